/*
 * code.c - turning generated C into running code, in two tiers.
 *
 * Baseline: libtcc compiles in memory (no files, no dlopen) in about a
 * second for a large module. Generated code must then avoid anything tcc
 * lacks: wcrt.h routes builtins through the runtime API, and the few helper
 * symbols tcc's own code generator emits calls to are supplied here.
 *
 * Optimized: the system C compiler at -O2 builds a shared object from the
 * same C, one object file per chunk (so memory stays bounded and chunks can
 * compile in parallel), into a cache directory keyed by the module's hash,
 * the translator version and the flags. A later load of the same module
 * finds the .so and skips translation and compilation entirely.
 */
#include "engine/internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libtcc.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Flags of the optimized tier; they are part of the cache key. */
static const char *const cc_flags[] = {
    "-O2", "-fPIC", "-fvisibility=hidden", "-fno-math-errno",
    /* keep x*1.0, x-0.0 etc.: they must quiet a NaN */
    "-fsignaling-nans", "-fno-strict-aliasing", "-fstack-clash-protection",
    /* Wasm recursion must exhaust the stack, not loop. */
    "-fno-optimize-sibling-calls", "-fno-stack-protector", "-w", NULL};

wc_code *
wc__code_ref(wc_code *c)
{
    atomic_fetch_add(&c->refs, 1);
    return c;
}

void
wc__code_unref(wc_code *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1) {
        return;
    }
    if (c->tcc != NULL) {
        tcc_delete(c->tcc);
    }
    if (c->dl != NULL) {
        dlclose(c->dl);
    }
    free(c);
}

/* ---- baseline: libtcc ---- */

/* Helpers tcc's x86-64 code generator calls for unsigned 64-bit conversions. */
static float
tcc_floatundisf(unsigned long long x)
{
    return (float)x;
}

static double
tcc_floatundidf(unsigned long long x)
{
    return (double)x;
}

static unsigned long long
tcc_fixunssfdi(float x)
{
    return (unsigned long long)x;
}

static unsigned long long
tcc_fixunsdfdi(double x)
{
    return (unsigned long long)x;
}

struct tcc_errs {
    wc_strbuf msgs;
    int n;
};

static void
tcc_error_cb(void *opaque, const char *msg)
{
    struct tcc_errs *e = opaque;

    if (e->n++ < 5) {
        wc_strbuf_addf(&e->msgs, "%s%s", e->msgs.len ? "; " : "", msg);
    }
}

int
wc__tcc_compile(const char *head, const wc_strbuf *chunks, size_t nchunks, TCCState **out,
                wc_error *err)
{
    struct tcc_errs errs = {WC_STRBUF_INIT, 0};
    wc_strbuf unit = WC_STRBUF_INIT;
    TCCState *s = tcc_new();
    int rc = 0;

    if (s == NULL) {
        return wc_error_set(err, WC_ENOMEM, "tcc_new failed");
    }
    tcc_set_error_func(s, &errs, tcc_error_cb);
    tcc_set_options(s, "-nostdlib -w");
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    for (size_t i = 0; i < nchunks; i++) {
        wc_strbuf_reset(&unit);
        wc_strbuf_adds(&unit, head);
        wc_strbuf_add(&unit, chunks[i].buf, chunks[i].len);
        if (tcc_compile_string(s, unit.buf) < 0) {
            rc = WC_EINVAL;
            goto out;
        }
    }
    tcc_add_symbol(s, "memcpy", memcpy);
    tcc_add_symbol(s, "memmove", memmove);
    tcc_add_symbol(s, "memset", memset);
    tcc_add_symbol(s, "__floatundisf", tcc_floatundisf);
    tcc_add_symbol(s, "__floatundidf", tcc_floatundidf);
    tcc_add_symbol(s, "__fixunssfdi", tcc_fixunssfdi);
    tcc_add_symbol(s, "__fixunsdfdi", tcc_fixunsdfdi);
    if (tcc_relocate(s, TCC_RELOCATE_AUTO) < 0) {
        rc = WC_EINVAL;
        goto out;
    }
out:
    wc_strbuf_release(&unit);
    if (rc != 0) {
        wc_error_set(err, rc, "baseline compiler (tcc) failed: %s",
                     errs.msgs.len ? errs.msgs.buf : "unknown error");
        tcc_delete(s);
    } else {
        *out = s;
    }
    wc_strbuf_release(&errs.msgs);
    return rc;
}

static int
bind_desc(wc_code *c, const wcrt_code *desc, const char *prefix, wc_error *err)
{
    if (desc == NULL) {
        return wc_error_set(err, WC_EINVAL, "compiled code has no %smodule descriptor", prefix);
    }
    if (desc->abi_version != WC_TRANSLATOR_VERSION) {
        return wc_error_set(err, WC_EINVAL, "compiled code has ABI version %u, expected %d",
                            desc->abi_version, WC_TRANSLATOR_VERSION);
    }
    *desc->api = &wc__api;
    c->desc = desc;
    return 0;
}

int
wc__code_tcc(const wc_csource *src, const char *prefix, wc_code **out, wc_error *err)
{
    wc_code *c;
    TCCState *s;
    char sym[128];
    int rc;

    if ((rc = wc__tcc_compile(src->head.buf, src->chunks, src->nchunks, &s, err)) != 0) {
        return rc;
    }
    c = wc_xcalloc(1, sizeof(*c));
    atomic_init(&c->refs, 1);
    c->tier = WC_TIER_BASELINE;
    c->tcc = s;
    snprintf(sym, sizeof(sym), "%smodule", prefix);
    if ((rc = bind_desc(c, tcc_get_symbol(s, sym), prefix, err)) != 0) {
        wc__code_unref(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* ---- optimized: cc -O2 into a shared object ---- */

static int
load_so(const char *path, const char *prefix, wc_code **out, wc_error *err)
{
    char sym[128];
    wc_code *c;
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    int rc;

    if (dl == NULL) {
        return wc_error_set(err, WC_EIO, "cannot load optimized code %s: %s", path, dlerror());
    }
    c = wc_xcalloc(1, sizeof(*c));
    atomic_init(&c->refs, 1);
    c->tier = WC_TIER_OPTIMIZED;
    c->dl = dl;
    snprintf(sym, sizeof(sym), "%smodule", prefix);
    if ((rc = bind_desc(c, dlsym(dl, sym), prefix, err)) != 0) {
        wc__code_unref(c);
        return rc;
    }
    *out = c;
    return 0;
}

int
wc__code_cache_load(const char *cache_dir, const char *key, const char *prefix, wc_code **out,
                    wc_error *err)
{
    wc_strbuf path = WC_STRBUF_INIT;
    int rc;

    if (cache_dir == NULL || cache_dir[0] == '\0') {
        return WC_ENOENT;
    }
    wc_strbuf_addf(&path, "%s/%s.so", cache_dir, key);
    if (access(path.buf, R_OK) != 0) {
        rc = WC_ENOENT;
    } else {
        rc = load_so(path.buf, prefix, out, err);
        if (rc != 0) {
            /* A damaged cache entry is not fatal: drop it and compile again. */
            WC_WARN("engine", "discarding unusable cache entry %s: %s", path.buf,
                    err ? err->msg : "");
            wc_error_clear(err);
            unlink(path.buf);
            rc = WC_ENOENT;
        }
    }
    wc_strbuf_release(&path);
    return rc;
}

static int
mkdir_p(const char *dir)
{
    char *p = wc_xstrdup(dir);
    int rc = 0;

    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                rc = -errno;
            }
            *s = '/';
        }
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        rc = -errno;
    }
    free(p);
    return rc;
}

static int
write_file(const char *path, const char *a, size_t alen, const char *b, size_t blen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const char *parts[2] = {a, b};
    size_t lens[2] = {alen, blen};

    if (fd < 0) {
        return -errno;
    }
    for (int i = 0; i < 2; i++) {
        const char *p = parts[i];
        size_t n = lens[i];

        while (n > 0) {
            ssize_t w = write(fd, p, n);

            if (w < 0) {
                int e = errno;

                close(fd);
                return -e;
            }
            p += w;
            n -= (size_t)w;
        }
    }
    return close(fd) == 0 ? 0 : -errno;
}

/* Run argv with stderr to errfile; returns the pid or a negative error. */
static pid_t
spawn(char *const argv[], const char *errfile)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -rc;
}

static void
read_head(const char *path, wc_strbuf *sb, size_t max)
{
    FILE *f = fopen(path, "r");
    char buf[512];
    size_t n;

    if (f == NULL) {
        return;
    }
    while (sb->len < max && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        wc_strbuf_add(sb, buf, n);
    }
    fclose(f);
    if (sb->len > max) {
        wc_strbuf_setlen(sb, max);
    }
}

static int
wait_ok(pid_t pid, const char *what, const char *errfile, wc_error *err)
{
    int status;

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return wc_error_set(err, -errno, "waiting for %s: %s", what, strerror(errno));
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        wc_strbuf msg = WC_STRBUF_INIT;
        int rc;

        read_head(errfile, &msg, 400);
        rc = wc_error_set(err, WC_EIO, "optimizing compiler failed on %s: %s", what,
                          msg.len ? msg.buf : "no message");
        wc_strbuf_release(&msg);
        return rc;
    }
    return 0;
}

int
wc__code_cc(const wc_csource *src, const char *cc, const char *cache_dir, const char *key,
            const char *prefix, wc_code **out, wc_error *err)
{
    wc_strbuf dir = WC_STRBUF_INIT, path = WC_STRBUF_INIT, so = WC_STRBUF_INIT;
    wc_strbuf errfile = WC_STRBUF_INIT;
    char **objs = wc_xcalloc(src->nchunks + 1, sizeof(char *));
    int keep = cache_dir != NULL && cache_dir[0] != '\0';
    int rc = 0;

    /* Work in a private directory next to the cache entry, then rename. */
    if (keep) {
        if ((rc = mkdir_p(cache_dir)) != 0) {
            rc = wc_error_set(err, rc, "cannot create cache directory %s: %s", cache_dir,
                              strerror(-rc));
            goto out;
        }
        wc_strbuf_addf(&dir, "%s/tmp-%s-XXXXXX", cache_dir, key);
    } else {
        const char *tmp = getenv("TMPDIR");

        wc_strbuf_addf(&dir, "%s/wc-code-XXXXXX", tmp ? tmp : "/tmp");
    }
    if (mkdtemp(dir.buf) == NULL) {
        rc = wc_error_set(err, -errno, "cannot create %s: %s", dir.buf, strerror(errno));
        goto out;
    }
    wc_strbuf_addf(&errfile, "%s/cc.err", dir.buf);

    /* Compile the chunks, two at a time. */
    for (size_t i = 0; i < src->nchunks && rc == 0; i += 2) {
        pid_t pids[2] = {0, 0};

        for (size_t k = i; k < src->nchunks && k < i + 2; k++) {
            const char *argv[32];
            int n = 0;

            wc_strbuf_reset(&path);
            wc_strbuf_addf(&path, "%s/c%zu.c", dir.buf, k);
            if ((rc = write_file(path.buf, src->head.buf, src->head.len, src->chunks[k].buf,
                                 src->chunks[k].len)) != 0) {
                rc = wc_error_set(err, rc, "cannot write %s: %s", path.buf, strerror(-rc));
                break;
            }
            objs[k] = wc_xstrdup(path.buf);
            objs[k][strlen(objs[k]) - 1] = 'o';
            argv[n++] = cc;
            for (int f = 0; cc_flags[f] != NULL; f++) {
                argv[n++] = cc_flags[f];
            }
            argv[n++] = "-c";
            argv[n++] = path.buf;
            argv[n++] = "-o";
            argv[n++] = objs[k];
            argv[n] = NULL;
            wc_strbuf_reset(&errfile);
            wc_strbuf_addf(&errfile, "%s/c%zu.err", dir.buf, k);
            pids[k - i] = spawn((char *const *)argv, errfile.buf);
            if (pids[k - i] < 0) {
                rc = wc_error_set(err, WC_EIO, "cannot run the C compiler '%s': %s", cc,
                                  strerror(-pids[k - i]));
                pids[k - i] = 0;
                break;
            }
        }
        for (size_t k = i; k < i + 2; k++) {
            if (pids[k - i] > 0) {
                char what[64];

                snprintf(what, sizeof(what), "chunk %zu", k);
                wc_strbuf_reset(&errfile);
                wc_strbuf_addf(&errfile, "%s/c%zu.err", dir.buf, k);
                if (wait_ok(pids[k - i], what, errfile.buf, err) != 0 && rc == 0) {
                    rc = WC_EIO;
                }
            }
        }
    }
    if (rc != 0) {
        goto out;
    }

    /* Link. */
    {
        const char **argv = wc_xcalloc(src->nchunks + 8, sizeof(char *));
        int n = 0;
        pid_t pid;

        wc_strbuf_addf(&so, "%s/code.so", dir.buf);
        argv[n++] = cc;
        argv[n++] = "-shared";
        argv[n++] = "-o";
        argv[n++] = so.buf;
        for (size_t k = 0; k < src->nchunks; k++) {
            argv[n++] = objs[k];
        }
        argv[n++] = "-lm";
        argv[n] = NULL;
        wc_strbuf_reset(&errfile);
        wc_strbuf_addf(&errfile, "%s/link.err", dir.buf);
        pid = spawn((char *const *)argv, errfile.buf);
        free(argv);
        if (pid < 0) {
            rc =
                wc_error_set(err, WC_EIO, "cannot run the C compiler '%s': %s", cc, strerror(-pid));
            goto out;
        }
        if ((rc = wait_ok(pid, "link", errfile.buf, err)) != 0) {
            goto out;
        }
    }

    if (keep) {
        wc_strbuf_reset(&path);
        wc_strbuf_addf(&path, "%s/%s.so", cache_dir, key);
        if (rename(so.buf, path.buf) != 0) {
            rc = wc_error_set(err, -errno, "cannot store %s: %s", path.buf, strerror(errno));
            goto out;
        }
        rc = load_so(path.buf, prefix, out, err);
    } else {
        rc = load_so(so.buf, prefix, out, err);
        unlink(so.buf);
    }
out:
    if (dir.len != 0) {
        /* Remove the work directory and whatever is left in it. */
        for (size_t k = 0; k < src->nchunks; k++) {
            wc_strbuf_reset(&path);
            wc_strbuf_addf(&path, "%s/c%zu.c", dir.buf, k);
            unlink(path.buf);
            wc_strbuf_reset(&path);
            wc_strbuf_addf(&path, "%s/c%zu.err", dir.buf, k);
            unlink(path.buf);
            if (objs[k] != NULL) {
                unlink(objs[k]);
            }
        }
        wc_strbuf_reset(&path);
        wc_strbuf_addf(&path, "%s/link.err", dir.buf);
        unlink(path.buf);
        unlink(so.buf);
        rmdir(dir.buf);
    }
    for (size_t k = 0; k < src->nchunks; k++) {
        free(objs[k]);
    }
    free(objs);
    wc_strbuf_release(&dir);
    wc_strbuf_release(&path);
    wc_strbuf_release(&so);
    wc_strbuf_release(&errfile);
    return rc;
}

/* The flags, for the cache key. */
void
wc__code_flags(wc_strbuf *sb)
{
    for (int f = 0; cc_flags[f] != NULL; f++) {
        wc_strbuf_addf(sb, "%s ", cc_flags[f]);
    }
}
