/*
 * up.c - `wash up` and `wash down`: a whole platform on this machine.
 *
 * `wash up` starts nats-server with JetStream as a child (its own state
 * directory, a given or default port), then a host and wadm in this same
 * process (or, with --no-embed / WASH_NO_EMBED=1, as `wash host` and
 * `wash wadm` children), says where everything is, and stays until Ctrl-C.
 * --detached returns once everything answers; --nats-url uses a NATS that
 * is already running (and leaves it alone).
 *
 * What it started is written to STATE/up.json (the up process and every
 * child, by pid). `wash down`, from any terminal, asks the up process to
 * stop, waits a bounded time, then kills whatever of the list is still
 * alive: it never hangs, even if a part already died.
 */
#include "cli/cli.h"

#include "base/duration.h"
#include "base/log.h"
#include "host/host.h"
#include "lattice/lattice.h"
#include "wadm/wadm.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STOP_WAIT_NS (20ull * 1000000000ull)

static void
state_dir(const char *given, char *out, size_t size)
{
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

    if (given != NULL) {
        snprintf(out, size, "%s", given);
    } else if (getenv("WASH_STATE_DIR") != NULL) {
        snprintf(out, size, "%s", getenv("WASH_STATE_DIR"));
    } else if (x != NULL && *x != '\0') {
        snprintf(out, size, "%s/wasmcloud-c", x);
    } else {
        snprintf(out, size, "%s/.local/state/wasmcloud-c", home != NULL ? home : "/tmp");
    }
}

static int
mkdirs(const char *path)
{
    char buf[1024];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int
alive(pid_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static int
port_free(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok, one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static pid_t
spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setpgid(0, 0); /* Ctrl-C reaches us, and we stop the children in order */
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Wait until NATS answers with JetStream on (up to timeout). */
static int
wait_nats(const char *url, uint64_t timeout_ns, pid_t child, wc_error *err)
{
    uint64_t end = wc_now_ns() + timeout_ns;

    for (;;) {
        wc_lattice_config lc;
        wc_lattice *lat = NULL;
        wc_error e = WC_ERROR_INIT;
        json_t *r = NULL;

        wc_lattice_config_init(&lc);
        lc.url = url;
        lc.connect_timeout_ns = 500000000ull;
        if (wc_lattice_connect(&lc, &lat, &e) == 0) {
            int ok = wc_lattice_request_json(lat, "$JS.API.INFO", NULL, 1000, &r, &e) == 0 &&
                     json_object_get(r, "error") == NULL;

            json_decref(r);
            wc_lattice_close(lat, 0);
            if (ok) {
                return 0;
            }
        }
        if (child > 0 && !alive(child)) {
            return wc_error_set(err, WC_EIO, "nats-server exited at start");
        }
        if (wc_now_ns() > end) {
            return wc_error_set(err, WC_ETIMEDOUT,
                                "NATS at %s did not answer with JetStream on within %llus (%s)",
                                url, (unsigned long long)(timeout_ns / 1000000000ull), e.msg);
        }
        usleep(100000);
    }
}

static void
count_reply(void *data, json_t *reply)
{
    (*(int *)data)++;
}

/* With --no-embed: wait until the separate host and wadm answer. */
static int
wait_parts(const char *url, const char *lattice, pid_t host, pid_t wadm_pid, wc_error *err)
{
    uint64_t end = wc_now_ns() + 30ull * 1000000000ull;
    wc_lattice_config lc;
    wc_lattice *lat = NULL;
    char ping[300], list[300];
    int rc;

    wc_lattice_config_init(&lc);
    lc.url = url;
    lc.lattice = lattice;
    if ((rc = wc_lattice_connect(&lc, &lat, err)) != 0) {
        return rc;
    }
    snprintf(ping, sizeof(ping), "wasmbus.ctl.v1.%s.host.ping", lattice);
    snprintf(list, sizeof(list), "wadm.api.%s.model.list", lattice);
    for (;;) {
        int hosts = 0;
        json_t *r = NULL;

        wc_lattice_gather(lat, ping, NULL, 200, count_reply, &hosts, NULL);
        if (hosts > 0 && wc_lattice_request_json(lat, list, NULL, 200, &r, NULL) == 0) {
            json_decref(r);
            break;
        }
        if (!alive(host) || !alive(wadm_pid)) {
            rc = wc_error_set(err, WC_EIO, "the %s process exited at start",
                              alive(host) ? "wadm" : "host");
            break;
        }
        if (wc_now_ns() > end) {
            rc = wc_error_set(err, WC_ETIMEDOUT, "the host and wadm did not answer in 30s");
            break;
        }
        usleep(100000);
    }
    wc_lattice_close(lat, 0);
    return rc;
}

static int
write_state(const char *dir, json_t *st)
{
    char path[1100], tmp[1100];

    snprintf(path, sizeof(path), "%s/up.json", dir);
    snprintf(tmp, sizeof(tmp), "%s/up.json.tmp", dir);
    if (json_dump_file(st, tmp, JSON_INDENT(2)) != 0 || rename(tmp, path) != 0) {
        return -1;
    }
    return 0;
}

static json_t *
read_state(const char *dir)
{
    char path[1100];

    snprintf(path, sizeof(path), "%s/up.json", dir);
    return json_load_file(path, 0, NULL);
}

static void
remove_state(const char *dir)
{
    char path[1100];

    snprintf(path, sizeof(path), "%s/up.json", dir);
    unlink(path);
}

/* Stop a child: SIGTERM, wait up to ns, then SIGKILL. */
static void
stop_child(pid_t pid, uint64_t ns)
{
    uint64_t end = wc_now_ns() + ns;

    if (pid <= 0) {
        return;
    }
    kill(pid, SIGTERM);
    while (wc_now_ns() < end) {
        if (waitpid(pid, NULL, WNOHANG) == pid || !alive(pid)) {
            return;
        }
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int
cmd_up(int argc, char **argv)
{
    const char *nats_url = NULL, *lattice = "default", *dir_opt = NULL;
    uint64_t port = 4222, detached = 0, no_embed = 0;
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &nats_url},
        {"nats-port", 0, WC_OPT_UINT, &port},
        {"lattice", 'x', WC_OPT_STRING, &lattice},
        {"detached", 'd', WC_OPT_BOOL, &detached},
        {"no-embed", 0, WC_OPT_BOOL, &no_embed},
        {"state-dir", 0, WC_OPT_STRING, &dir_opt},
        {NULL, 0, 0, NULL},
    };
    char dir[1024], url[300], log[1100], jsdir[1100], portstr[16], self[1024];
    pid_t nats_pid = 0, host_pid = 0, wadm_pid = 0;
    int ready_pipe[2] = {-1, -1}, npos, rc, status = 1, sig;
    wc_host *host = NULL;
    wadm *w = NULL;
    wc_error err = WC_ERROR_INIT;
    json_t *st;
    sigset_t set;
    ssize_t n;

    if (getenv("WASH_NO_EMBED") != NULL && strcmp(getenv("WASH_NO_EMBED"), "1") == 0) {
        no_embed = 1;
    }
    rc = wc_parse_options(wc_find_command("up"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    state_dir(dir_opt, dir, sizeof(dir));
    if (mkdirs(dir) != 0) {
        wc_cli_error("up", "cannot create the state directory %s: %s", dir, strerror(errno));
        return 1;
    }
    st = read_state(dir);
    if (st != NULL && alive((pid_t)json_integer_value(json_object_get(st, "pid")))) {
        wc_cli_error("up", "already running (pid %lld, NATS %s); 'wash down' stops it",
                     (long long)json_integer_value(json_object_get(st, "pid")),
                     json_string_value(json_object_get(st, "nats_url")));
        json_decref(st);
        return 1;
    }
    json_decref(st);
    if (nats_url == NULL && !port_free((int)port)) {
        wc_cli_error("up",
                     "port %llu on 127.0.0.1 is in use (another NATS?); use --nats-port N, or "
                     "--nats-url nats://127.0.0.1:%llu to use the NATS that is there",
                     (unsigned long long)port, (unsigned long long)port);
        return 1;
    }
    if (detached) {
        pid_t pid;
        char c = 0;

        if (pipe(ready_pipe) != 0) {
            wc_cli_error("up", "pipe: %s", strerror(errno));
            return 1;
        }
        if ((pid = fork()) < 0) {
            wc_cli_error("up", "fork: %s", strerror(errno));
            return 1;
        }
        if (pid > 0) {
            /* The parent: wait for "ready" (or the daemon's end), then report. */
            close(ready_pipe[1]);
            wc_progress_begin("Starting wasmCloud");
            n = read(ready_pipe[0], &c, 1);
            wc_progress_end();
            if (n == 1 && c == 'R') {
                st = read_state(dir);
                printf("wasmCloud is up (detached, pid %lld%s)\n  NATS   %s\n  host   %s\n"
                       "  state  %s (logs)\nStop it with: wash down\n",
                       (long long)json_integer_value(json_object_get(st, "pid")),
                       json_is_true(json_object_get(st, "embedded"))
                           ? ""
                           : "; host and wadm as separate processes",
                       json_string_value(json_object_get(st, "nats_url")),
                       json_is_string(json_object_get(st, "host_id"))
                           ? json_string_value(json_object_get(st, "host_id"))
                           : "wash host (own process)",
                       dir);
                json_decref(st);
                return 0;
            }
            snprintf(log, sizeof(log), "%s/wash-up.log", dir);
            wc_cli_error("up", "the platform did not start; see %s", log);
            return 1;
        }
        /* The daemon: its own session, output to the log. */
        close(ready_pipe[0]);
        setsid();
        snprintf(log, sizeof(log), "%s/wash-up.log", dir);
        {
            int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644),
                devnull = open("/dev/null", O_RDONLY);

            dup2(devnull, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
            close(devnull);
        }
    }
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!detached) {
        wc_progress_begin("Starting wasmCloud");
    }

    if (nats_url == NULL) {
        snprintf(url, sizeof(url), "nats://127.0.0.1:%llu", (unsigned long long)port);
        snprintf(jsdir, sizeof(jsdir), "%s/nats", dir);
        snprintf(log, sizeof(log), "%s/nats.log", dir);
        snprintf(portstr, sizeof(portstr), "%llu", (unsigned long long)port);
        {
            char *nargv[] = {"nats-server", "-a",  "127.0.0.1", "-p", portstr,
                             "-js",         "-sd", jsdir,       NULL};

            nats_pid = spawn(nargv, log);
        }
    } else {
        snprintf(url, sizeof(url), "%s", nats_url);
    }
    if (wait_nats(url, 20ull * 1000000000ull, nats_pid, &err) != 0) {
        wc_cli_error("up", "%s%s%s", err.msg, nats_pid ? "; see " : "", nats_pid ? log : "");
        goto out;
    }
    if (no_embed) {
        ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

        self[len > 0 ? len : 0] = '\0';
        snprintf(log, sizeof(log), "%s/host.log", dir);
        {
            char *hargv[] = {self, "host", "--nats-url", url, "-x", (char *)lattice, NULL};

            host_pid = spawn(hargv, log);
        }
        snprintf(log, sizeof(log), "%s/wadm.log", dir);
        {
            char *wargv[] = {self, "wadm", "--nats-url", url, "-x", (char *)lattice, NULL};

            wadm_pid = spawn(wargv, log);
        }
        if (wait_parts(url, lattice, host_pid, wadm_pid, &err) != 0) {
            wc_cli_error("up", "%s; see %s/host.log and %s/wadm.log", err.msg, dir, dir);
            goto out;
        }
    } else {
        wc_host_config hc;
        wadm_server_config wc;

        if (wc_host_config_init(&hc, &err) != 0) {
            wc_cli_error("up", "%s", err.msg);
            goto out;
        }
        hc.nats_url = url;
        hc.lattice = lattice;
        if (wc_host_start(&hc, &host, &err) != 0) {
            wc_cli_error("up", "host: %s", err.msg);
            goto out;
        }
        wadm_server_config_init(&wc);
        wc.nats_url = url;
        wc.lattice = lattice;
        if (wadm_start(&wc, &w, &err) != 0) {
            wc_cli_error("up", "wadm: %s", err.msg);
            goto out;
        }
    }
    st = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:b}", "pid", (json_int_t)getpid(), "nats_url",
                   url, "lattice", lattice, "nats_pid", (json_int_t)nats_pid, "host_pid",
                   (json_int_t)host_pid, "wadm_pid", (json_int_t)wadm_pid, "embedded", !no_embed);
    if (host != NULL) {
        json_object_set_new(st, "host_id", json_string(wc_host_id(host)));
    }
    write_state(dir, st);
    json_decref(st);
    wc_progress_end();
    printf("wasmCloud is up%s\n  NATS   %s%s\n  host   %s\n  wadm   %s\n  state  %s\n"
           "Deploy an app: wash app deploy wadm.yaml   Stop: Ctrl-C or wash down\n",
           no_embed ? " (host and wadm as separate processes)" : "", url,
           nats_pid ? " (started here, JetStream on)" : " (given)",
           host != NULL ? wc_host_id(host) : "wash host (own process)",
           w != NULL ? wadm_id(w) : "wash wadm (own process)", dir);
    fflush(stdout);
    if (ready_pipe[1] >= 0) {
        char c = 'R';

        n = write(ready_pipe[1], &c, 1);
        (void)n;
        close(ready_pipe[1]);
    }
    sigwait(&set, &sig);
    WC_INFO("up", "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;
out:
    wc_progress_end();
    /* In order: wadm (no new commands), the host (drains), then NATS. */
    wadm_stop(w);
    if (host != NULL) {
        wc_host_stop(host, 10ull * 1000000000ull);
    }
    stop_child(wadm_pid, 10ull * 1000000000ull);
    stop_child(host_pid, 15ull * 1000000000ull);
    stop_child(nats_pid, 10ull * 1000000000ull);
    remove_state(dir);
    return status;
}

int
cmd_down(int argc, char **argv)
{
    const char *dir_opt = NULL;
    const wc_option opts[] = {
        {"state-dir", 0, WC_OPT_STRING, &dir_opt},
        {NULL, 0, 0, NULL},
    };
    static const char *const children[] = {"wadm_pid", "host_pid", "nats_pid"};
    char dir[1024];
    json_t *st;
    pid_t up;
    uint64_t end;
    int npos, rc;

    rc = wc_parse_options(wc_find_command("down"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    state_dir(dir_opt, dir, sizeof(dir));
    if ((st = read_state(dir)) == NULL) {
        printf("Nothing to stop (no wash up running from %s)\n", dir);
        return 0;
    }
    up = (pid_t)json_integer_value(json_object_get(st, "pid"));
    wc_progress_begin("Stopping wasmCloud");
    if (alive(up)) {
        kill(up, SIGTERM);
    }
    /* Bounded: the up process stops its parts in order; whatever is left is killed. */
    end = wc_now_ns() + STOP_WAIT_NS;
    while (alive(up) && wc_now_ns() < end) {
        usleep(100000);
    }
    if (alive(up)) {
        fprintf(stderr, "wash down: pid %d did not stop in %llus; killing it\n", (int)up,
                (unsigned long long)(STOP_WAIT_NS / 1000000000ull));
        kill(up, SIGKILL);
    }
    for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
        pid_t pid = (pid_t)json_integer_value(json_object_get(st, children[i]));

        if (alive(pid)) {
            kill(pid, SIGTERM);
            end = wc_now_ns() + 5000000000ull;
            while (alive(pid) && wc_now_ns() < end) {
                usleep(100000);
            }
            if (alive(pid)) {
                kill(pid, SIGKILL);
            }
        }
    }
    wc_progress_end();
    remove_state(dir);
    json_decref(st);
    printf("Stopped\n");
    return 0;
}
