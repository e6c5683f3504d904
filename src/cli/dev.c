/*
 * dev.c - `wash dev [DIR]`: build, deploy, and on every change to the
 * sources rebuild and redeploy, until Ctrl-C.
 *
 * The platform is the one `wash up` runs (started detached if none is up).
 * Each build is copied to build/dev/NAME-N.wasm and deployed as version
 * dev-N of DIR/wadm.yaml with that image, so wadm sees a new image and
 * updates the component in place (no dropped requests).
 */
#include "cli/cli.h"

#include "base/duration.h"
#include "base/strbuf.h"
#include "lattice/lattice.h"
#include "wadm/manifest.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wformat-truncation" /* PATH_MAX buffers, as new.c */

int wc_cli_build(const char *dir, char *out, size_t size, wc_error *err);

static int
copy_file(const char *from, const char *to)
{
    wc_strbuf data = WC_STRBUF_INIT;
    FILE *f;
    int rc = -1;

    if (wc_cli_read_file(from, &data, NULL) == 0 && (f = fopen(to, "wb")) != NULL) {
        rc = fwrite(data.buf, 1, data.len, f) == data.len ? 0 : -1;
        fclose(f);
    }
    wc_strbuf_release(&data);
    return rc;
}

/* Deploy DIR/wadm.yaml as version dev-N with built images replaced by image. */
static int
deploy(wc_lattice *lat, const char *dir, const char *built, const char *image, int n, wc_error *err)
{
    char path[PATH_MAX], subject[512], version[64], from[PATH_MAX + 8], to[PATH_MAX + 8];
    wc_strbuf text = WC_STRBUF_INIT;
    wadm_manifest *m = NULL;
    json_t *reply = NULL, *comp;
    size_t i;
    int rc;

    snprintf(path, sizeof(path), "%s/wadm.yaml", dir);
    if ((rc = wc_cli_read_file(path, &text, err)) != 0 ||
        (rc = wadm_manifest_parse(text.buf, text.len, dir, &m, err)) != 0) {
        wc_strbuf_release(&text);
        return rc;
    }
    wc_strbuf_release(&text);
    snprintf(version, sizeof(version), "dev-%d-%llu", n,
             (unsigned long long)(wc_now_ns() / 1000000));
    json_object_set_new(json_object_get(json_object_get(m->json, "metadata"), "annotations"),
                        "version", json_string(version));
    snprintf(from, sizeof(from), "file://%s", built);
    snprintf(to, sizeof(to), "file://%s", image);
    json_array_foreach(json_object_get(json_object_get(m->json, "spec"), "components"), i, comp)
    {
        json_t *props = json_object_get(comp, "properties");
        const char *img = json_string_value(json_object_get(props, "image"));

        if (img != NULL && strcmp(img, from) == 0) {
            json_object_set_new(props, "image", json_string(to));
        }
    }
    snprintf(subject, sizeof(subject), "wadm.api.%s.model.put", wc_lattice_name(lat));
    rc = wc_lattice_request_json(lat, subject, m->json, 5000, &reply, err);
    if (rc == 0 &&
        strcmp(json_string_value(json_object_get(reply, "result")) ?: "", "error") == 0) {
        rc = wc_error_set(err, WC_EINVAL, "%s",
                          json_string_value(json_object_get(reply, "message")));
    }
    json_decref(reply);
    reply = NULL;
    if (rc == 0) {
        json_t *body = json_pack("{s:s}", "version", version);

        snprintf(subject, sizeof(subject), "wadm.api.%s.model.deploy.%s", wc_lattice_name(lat),
                 m->name);
        rc = wc_lattice_request_json(lat, subject, body, 5000, &reply, err);
        json_decref(body);
        json_decref(reply);
    }
    if (rc == 0) {
        printf("Deployed %s %s\n", m->name, version);
        fflush(stdout);
    }
    wadm_manifest_free(m);
    return rc;
}

static int
ensure_up(const char *nats_url, wc_lattice **lat, wc_error *err)
{
    wc_lattice_config lc;
    char self[PATH_MAX];
    ssize_t len;
    pid_t pid;
    int status;

    wc_lattice_config_init(&lc);
    lc.url = nats_url;
    if (wc_lattice_connect(&lc, lat, NULL) == 0) {
        return 0;
    }
    printf("No platform at %s: starting one (wash up --detached)\n", nats_url);
    fflush(stdout);
    len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[len > 0 ? len : 0] = '\0';
    if ((pid = fork()) == 0) {
        execl(self, self, "up", "--detached", (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return wc_error_set(err, WC_EIO, "wash up failed; run it yourself to see why");
    }
    return wc_lattice_connect(&lc, lat, err);
}

int
cmd_dev(int argc, char **argv)
{
    const char *nats_url = "nats://127.0.0.1:4222";
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &nats_url},
        {NULL, 0, 0, NULL},
    };
    char dir[PATH_MAX], built[PATH_MAX], image[PATH_MAX], devdir[PATH_MAX], wit[PATH_MAX];
    wc_lattice *lat = NULL;
    wc_error err = WC_ERROR_INIT;
    int npos, rc, n = 0, fd, sfd;
    sigset_t set;

    rc = wc_parse_options(wc_find_command("dev"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (realpath(npos >= 1 ? argv[1] : ".", dir) == NULL) {
        wc_cli_error("dev", "%s: %s", npos >= 1 ? argv[1] : ".", strerror(errno));
        return 1;
    }
    if (ensure_up(nats_url, &lat, &err) != 0) {
        wc_cli_error("dev", "%s", err.msg);
        return 1;
    }
    snprintf(devdir, sizeof(devdir), "%s/build/dev", dir);
    fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
    snprintf(wit, sizeof(wit), "%s/wit", dir);
    inotify_add_watch(fd, wit, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sfd = -1;
    for (;;) {
        struct pollfd p[1] = {{fd, POLLIN, 0}};
        siginfo_t si;
        struct timespec zero = {0, 0};
        char buf[4096];

        wc_error_clear(&err);
        printf("Building %s...\n", dir);
        fflush(stdout);
        snprintf(image, sizeof(image), "%s/%s-%d.wasm", devdir, basename(dir), ++n);
        if (wc_cli_build(dir, built, sizeof(built), &err) != 0) {
            /* reported below */
        } else if (mkdir(devdir, 0755) != 0 && errno != EEXIST) {
            wc_error_set(&err, -errno, "cannot create %s: %s", devdir, strerror(errno));
        } else if (copy_file(built, image) != 0) {
            wc_error_set(&err, WC_EIO, "cannot copy %s to %s", built, image);
        } else {
            deploy(lat, dir, built, image, n, &err);
        }
        if (err.code != 0) {
            wc_cli_error("dev", "%s (waiting for the next change)", err.msg);
        }
        printf("Watching %s for changes (Ctrl-C to stop; the app keeps running until wash "
               "app undeploy or wash down)\n",
               dir);
        fflush(stdout);
        /* Wait for a source change (not our own build output), or a signal. */
        for (;;) {
            ssize_t len;
            int changed = 0;

            if (sigtimedwait(&set, &si, &zero) > 0) {
                close(fd);
                wc_lattice_close(lat, 0);
                (void)sfd;
                return 0;
            }
            if (poll(p, 1, 200) <= 0) {
                continue;
            }
            while ((len = read(fd, buf, sizeof(buf))) > 0) {
                for (char *q = buf; q < buf + len;) {
                    struct inotify_event *ev = (struct inotify_event *)q;
                    const char *nm = ev->len ? ev->name : "";
                    size_t l = strlen(nm);

                    if (l > 2 && (strcmp(nm + l - 2, ".c") == 0 || strcmp(nm + l - 2, ".h") == 0 ||
                                  (l > 3 && strcmp(nm + l - 3, ".js") == 0) ||
                                  (l > 4 && strcmp(nm + l - 4, ".wit") == 0) ||
                                  strcmp(nm, "wadm.yaml") == 0)) {
                        changed = 1;
                    }
                    q += sizeof(*ev) + ev->len;
                }
            }
            if (changed) {
                usleep(200000); /* let an editor finish writing */
                while (read(fd, buf, sizeof(buf)) > 0) {
                }
                break;
            }
        }
    }
}
