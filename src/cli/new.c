/*
 * new.c - `wash new component NAME --template c|js` and `wash build [DIR]`.
 *
 * A new project is a copy of templates/{c,js} plus templates/wadm.yaml with
 * {{name}} replaced, and the WASI 0.2.3 WIT it needs copied into wit/deps,
 * so the project stands on its own. `wash build` builds what it finds:
 *   index.js  componentize-js (npm, pinned in this repository's lock file)
 *   *.c       clang --target=wasm32-wasi (Debian), then jco embed + jco new
 *             with the preview1 reactor adapter
 * into build/NAME.wasm, NAME being the directory's name.
 *
 * Where the templates and the npm tools are: WASH_TEMPLATES and
 * WASH_NODE_MODULES, else this source tree (compiled in as WC_SOURCE_DIR).
 */
#include "cli/cli.h"

#include "base/duration.h"
#include "base/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Paths are joined into PATH_MAX buffers; one longer than that is cut and
 * then fails to open, with the (cut) path in the message. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static const char *const wit_packages[] = {"cli", "clocks", "filesystem", "http",
                                           "io",  "random", "sockets"};

static const char *
source_path(const char *env, const char *sub, char *out, size_t size)
{
    if (getenv(env) != NULL) {
        snprintf(out, size, "%s", getenv(env));
    } else {
        snprintf(out, size, "%s/%s", WC_SOURCE_DIR, sub);
    }
    return out;
}

/* Copy src to dst, replacing every {{name}} with name. */
static int
copy_subst(const char *src, const char *dst, const char *name, wc_error *err)
{
    wc_strbuf in = WC_STRBUF_INIT, out = WC_STRBUF_INIT;
    FILE *f;
    const char *p, *q;
    int rc;

    if ((rc = wc_cli_read_file(src, &in, err)) != 0) {
        return rc;
    }
    for (p = in.buf; (q = strstr(p, "{{name}}")) != NULL; p = q + 8) {
        wc_strbuf_add(&out, p, (size_t)(q - p));
        wc_strbuf_adds(&out, name);
    }
    wc_strbuf_adds(&out, p);
    if ((f = fopen(dst, "w")) == NULL) {
        rc = wc_error_set(err, -errno, "cannot write %s: %s", dst, strerror(errno));
    } else {
        fwrite(out.buf, 1, out.len, f);
        fclose(f);
    }
    wc_strbuf_release(&in);
    wc_strbuf_release(&out);
    return rc;
}

/* Copy the template directory src into dst (one level of subdirectories). */
static int
copy_tree(const char *src, const char *dst, const char *name, wc_error *err)
{
    DIR *d = opendir(src);
    struct dirent *e;
    int rc = 0;

    if (d == NULL) {
        return wc_error_set(err, -errno, "cannot read the template %s: %s", src, strerror(errno));
    }
    mkdir(dst, 0755);
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char s[PATH_MAX], t[PATH_MAX], tname[NAME_MAX + 64];
        struct stat st;
        const char *brace = strstr(e->d_name, "{{name}}");

        if (e->d_name[0] == '.') {
            continue;
        }
        if (brace != NULL) {
            snprintf(tname, sizeof(tname), "%.*s%s%s", (int)(brace - e->d_name), e->d_name, name,
                     brace + 8);
        } else {
            snprintf(tname, sizeof(tname), "%s", e->d_name);
        }
        snprintf(s, sizeof(s), "%s/%s", src, e->d_name);
        snprintf(t, sizeof(t), "%s/%s", dst, tname);
        if (stat(s, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = copy_tree(s, t, name, err);
        } else {
            rc = copy_subst(s, t, name, err);
        }
    }
    closedir(d);
    return rc;
}

static int
valid_name(const char *s)
{
    if (*s == '\0' || !((*s >= 'a' && *s <= 'z'))) {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) {
            return 0;
        }
    }
    return 1;
}

int
cmd_new(int argc, char **argv)
{
    const char *tmpl = "js";
    const wc_option opts[] = {
        {"template", 't', WC_OPT_STRING, &tmpl},
        {NULL, 0, 0, NULL},
    };
    char root[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], wit[PATH_MAX];
    wc_error err = WC_ERROR_INIT;
    struct stat st;
    const char *name;
    int npos, rc;

    rc = wc_parse_options(wc_find_command("new"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (npos != 2 || strcmp(argv[1], "component") != 0) {
        wc_cli_error("new", "usage: wash new component NAME [--template c|js]");
        return 2;
    }
    name = argv[2];
    if (!valid_name(name)) {
        wc_cli_error("new",
                     "%s: a name is lowercase letters, digits and '-', starting with a letter "
                     "(it becomes the WIT package and world name)",
                     name);
        return 2;
    }
    if (strcmp(tmpl, "c") != 0 && strcmp(tmpl, "js") != 0) {
        wc_cli_error("new", "--template %s: expected c or js", tmpl);
        return 2;
    }
    if (stat(name, &st) == 0) {
        wc_cli_error("new", "%s already exists; choose another name or remove it", name);
        return 1;
    }
    source_path("WASH_TEMPLATES", "templates", root, sizeof(root));
    snprintf(src, sizeof(src), "%s/%s", root, tmpl);
    if ((rc = copy_tree(src, name, name, &err)) == 0) {
        snprintf(src, sizeof(src), "%s/wadm.yaml", root);
        snprintf(dst, sizeof(dst), "%s/wadm.yaml", name);
        rc = copy_subst(src, dst, name, &err);
    }
    /* The WIT the world includes, so the project builds anywhere. */
    source_path("WASH_WIT", "wit/deps", wit, sizeof(wit));
    snprintf(dst, sizeof(dst), "%s/wit/deps", name);
    mkdir(dst, 0755);
    for (size_t i = 0; rc == 0 && i < sizeof(wit_packages) / sizeof(wit_packages[0]); i++) {
        snprintf(src, sizeof(src), "%s/%s", wit, wit_packages[i]);
        snprintf(dst, sizeof(dst), "%s/wit/deps/%s", name, wit_packages[i]);
        rc = copy_tree(src, dst, name, &err);
    }
    if (rc == 0) {
        snprintf(src, sizeof(src), "%s/LICENSE", wit);
        snprintf(dst, sizeof(dst), "%s/wit/deps/LICENSE", name);
        rc = copy_subst(src, dst, name, &err);
    }
    if (rc != 0) {
        wc_cli_error("new", "%s", err.msg);
        return 1;
    }
    printf("Created %s (%s): an HTTP hello component and its wadm.yaml\n"
           "  build:   wash build %s\n  deploy:  wash app deploy %s/wadm.yaml (after wash up)\n"
           "  or both, redeploying on change: wash dev %s\n",
           name, strcmp(tmpl, "c") == 0 ? "C" : "JavaScript", name, name, name);
    return 0;
}

/* ---- build ---- */

static int
run(char *const argv[], const char *dir, wc_error *err)
{
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        if (dir != NULL && chdir(dir) != 0) {
            _exit(126);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        return wc_error_set(err, WC_EIO, "cannot run %s", argv[0]);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return wc_error_set(err, WC_EIO, "%s failed (exit %d); its output is above", argv[0],
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return 0;
}

/* The world name in wit/world.wit ("world NAME {"). */
static int
world_name(const char *dir, char *out, size_t size, wc_error *err)
{
    char path[PATH_MAX];
    wc_strbuf text = WC_STRBUF_INIT;
    const char *p;
    int rc;

    snprintf(path, sizeof(path), "%s/wit/world.wit", dir);
    if ((rc = wc_cli_read_file(path, &text, err)) != 0) {
        return rc;
    }
    for (p = text.buf; (p = strstr(p, "world ")) != NULL; p += 6) {
        if (p == text.buf || p[-1] == '\n') {
            size_t n = strcspn(p + 6, " {\n");

            snprintf(out, size, "%.*s", (int)n, p + 6);
            wc_strbuf_release(&text);
            return 0;
        }
    }
    wc_strbuf_release(&text);
    return wc_error_set(err, WC_EINVAL, "%s: no world declared", path);
}

int wc_cli_build(const char *dir, char *out, size_t size, wc_error *err);

int
wc_cli_build(const char *dir, char *out, size_t size, wc_error *err)
{
    char real[PATH_MAX], name[NAME_MAX + 1], world[256], nm[PATH_MAX], tool[PATH_MAX],
        core[PATH_MAX], embed[PATH_MAX], js[PATH_MAX];
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc;

    if (realpath(dir, real) == NULL) {
        return wc_error_set(err, -errno, "%s: %s", dir, strerror(errno));
    }
    snprintf(name, sizeof(name), "%s", basename(real));
    if ((rc = world_name(real, world, sizeof(world), err)) != 0) {
        return rc;
    }
    snprintf(out, size, "%s/build/%s.wasm", real, name);
    snprintf(core, sizeof(core), "%s/build", real);
    mkdir(core, 0755);
    source_path("WASH_NODE_MODULES", "node_modules", nm, sizeof(nm));
    snprintf(js, sizeof(js), "%s/index.js", real);
    if (stat(js, &st) == 0) {
        snprintf(tool, sizeof(tool), "%s/@bytecodealliance/componentize-js/src/cli.js", nm);
        {
            char *argv[] = {"node",         tool,  "index.js", "--wit", "wit",
                            "--world-name", world, "-o",       out,     NULL};

            return run(argv, real, err);
        }
    }
    /* C: every .c file at the top of the project. */
    {
        char *cargv[64];
        int n = 0;
        char sources[32][NAME_MAX + 1];
        int ns = 0;

        if ((d = opendir(real)) == NULL) {
            return wc_error_set(err, -errno, "%s: %s", real, strerror(errno));
        }
        while ((e = readdir(d)) != NULL && ns < 32) {
            size_t l = strlen(e->d_name);

            if (l > 2 && strcmp(e->d_name + l - 2, ".c") == 0) {
                snprintf(sources[ns++], sizeof(sources[0]), "%s", e->d_name);
            }
        }
        closedir(d);
        if (ns == 0) {
            return wc_error_set(err, WC_ENOENT,
                                "%s: nothing to build (no index.js, no .c files); create a "
                                "project with wash new component NAME",
                                real);
        }
        snprintf(core, sizeof(core), "%s/build/%s.core.wasm", real, name);
        snprintf(embed, sizeof(embed), "%s/build/%s.embed.wasm", real, name);
        cargv[n++] = "clang";
        cargv[n++] = "--target=wasm32-wasi";
        cargv[n++] = "--sysroot=/usr";
        cargv[n++] = "-O2";
        cargv[n++] = "-mexec-model=reactor";
        for (int i = 0; i < ns; i++) {
            cargv[n++] = sources[i];
        }
        cargv[n++] = "-o";
        cargv[n++] = core;
        cargv[n] = NULL;
        if ((rc = run(cargv, real, err)) != 0) {
            return rc;
        }
        snprintf(tool, sizeof(tool), "%s/.bin/jco", nm);
        {
            char *eargv[] = {tool,   "embed", "--wit", "wit", "-n", world, "--string-encoding",
                             "utf8", "-o",    embed,   core,  NULL};
            char *nargv[] = {tool, "new", embed, "--wasi-reactor", "-o", out, NULL};

            if ((rc = run(eargv, real, err)) != 0 || (rc = run(nargv, real, err)) != 0) {
                return rc;
            }
        }
    }
    return 0;
}

int
cmd_build(int argc, char **argv)
{
    const wc_option opts[] = {{NULL, 0, 0, NULL}};
    char out[PATH_MAX], d[32];
    wc_error err = WC_ERROR_INIT;
    uint64_t t0 = wc_now_ns();
    int npos, rc;

    rc = wc_parse_options(wc_find_command("build"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    fprintf(stderr, "Building %s...\n", npos >= 1 ? argv[1] : ".");
    if (wc_cli_build(npos >= 1 ? argv[1] : ".", out, sizeof(out), &err) != 0) {
        wc_cli_error("build", "%s", err.msg);
        return 1;
    }
    snprintf(d, sizeof(d), "%.1fs", (double)(wc_now_ns() - t0) / 1e9);
    printf("Built %s in %s\n", out, d);
    return 0;
}
