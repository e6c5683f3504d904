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
 *
 * The optimized build is a generated shell script. With a cache it runs
 * niced, in a session of its own, holding KEY.lock: a process that stops
 * (wash run of a short command, wash serve on Ctrl-C) leaves the build to
 * finish and store its result for the next load, and two processes loading
 * the same module wait for one build instead of running two.
 */
#include "engine/internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libtcc.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
unlink_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove dir and everything in it, as far as possible. */
static void
unlink_tree(const char *dir)
{
    nftw(dir, unlink_one, 8, FTW_DEPTH | FTW_PHYS);
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
    while (sb->len > 0 && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == ' ')) {
        wc_strbuf_setlen(sb, sb->len - 1);
    }
}

/* Append s to sb quoted for sh. */
static void
sh_quote(wc_strbuf *sb, const char *s)
{
    wc_strbuf_addch(sb, '\'');
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            wc_strbuf_adds(sb, "'\\''");
        } else {
            wc_strbuf_addch(sb, *s);
        }
    }
    wc_strbuf_addch(sb, '\'');
}

/*
 * The build, as a shell script run in the work directory: compile the chunks
 * two at a time, link, move the shared object to `out`, and remove the work
 * directory. On failure the first lines of the compiler's complaint go to
 * `errpath`. A script rather than a loop here so that a build can outlive
 * this process (see wc__code_cc).
 */
static void
build_script(wc_strbuf *sh, const char *cc, const char *dir, size_t nchunks, const char *out,
             const char *errpath)
{
    wc_strbuf_adds(sh, "cd ");
    sh_quote(sh, dir);
    wc_strbuf_adds(sh,
                   " || exit 1\nfail() {\n  { printf 'optimizing compiler failed on %s: ' \"$1\"; "
                   "head -c 400 \"$2\"; } >");
    sh_quote(sh, errpath);
    wc_strbuf_adds(sh, "\n  cd / && rm -rf ");
    sh_quote(sh, dir);
    wc_strbuf_adds(sh, "\n  exit 1\n}\n");
    for (size_t i = 0; i < nchunks; i += 2) {
        for (size_t k = i; k < nchunks && k < i + 2; k++) {
            sh_quote(sh, cc);
            for (int f = 0; cc_flags[f] != NULL; f++) {
                wc_strbuf_addf(sh, " %s", cc_flags[f]);
            }
            wc_strbuf_addf(sh, " -c c%zu.c -o c%zu.o 2>c%zu.err &\np%zu=$!\n", k, k, k, k - i);
        }
        for (size_t k = i; k < nchunks && k < i + 2; k++) {
            wc_strbuf_addf(sh, "wait $p%zu || fail 'chunk %zu' c%zu.err\n", k - i, k, k);
        }
    }
    sh_quote(sh, cc);
    wc_strbuf_adds(sh, " -shared -o code.so");
    for (size_t k = 0; k < nchunks; k++) {
        wc_strbuf_addf(sh, " c%zu.o", k);
    }
    wc_strbuf_adds(sh, " -lm 2>link.err || fail link link.err\nmv -f code.so ");
    sh_quote(sh, out);
    wc_strbuf_adds(sh, " 2>link.err || fail 'storing the result' link.err\ncd / && rm -rf ");
    sh_quote(sh, dir);
    wc_strbuf_addch(sh, '\n');
}

/* Write the sources and the build script into a new work directory. */
static int
prepare_build(const wc_csource *src, const char *cc, const char *dir_template, const char *out,
              const char *errpath, wc_strbuf *dir, wc_error *err)
{
    wc_strbuf path = WC_STRBUF_INIT, sh = WC_STRBUF_INIT;
    int rc = 0;

    wc_strbuf_adds(dir, dir_template);
    if (mkdtemp(dir->buf) == NULL) {
        rc = wc_error_set(err, -errno, "cannot create %s: %s", dir->buf, strerror(errno));
        wc_strbuf_reset(dir);
        goto out;
    }
    for (size_t k = 0; k < src->nchunks && rc == 0; k++) {
        wc_strbuf_reset(&path);
        wc_strbuf_addf(&path, "%s/c%zu.c", dir->buf, k);
        rc = write_file(path.buf, src->head.buf, src->head.len, src->chunks[k].buf,
                        src->chunks[k].len);
    }
    if (rc == 0) {
        build_script(&sh, cc, dir->buf, src->nchunks, out, errpath);
        wc_strbuf_reset(&path);
        wc_strbuf_addf(&path, "%s/build.sh", dir->buf);
        rc = write_file(path.buf, sh.buf, sh.len, "", 0);
    }
    if (rc != 0) {
        rc = wc_error_set(err, rc, "cannot write %s: %s", path.buf, strerror(-rc));
    }
out:
    wc_strbuf_release(&path);
    wc_strbuf_release(&sh);
    return rc;
}

/*
 * Start `sh DIR/build.sh` in a session of its own, with stdio on /dev/null.
 * If lock_fd >= 0 it is passed down as fd 3, so the build holds the lock
 * until its last compiler exits, and the script is started in the background
 * by an intermediate shell (reaped here): the build then belongs to nobody
 * and finishes even if this process exits. Returns the pid of the shell
 * (also the build's process group) or a negative error.
 */
static pid_t
start_build(const char *dir, int lock_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    wc_strbuf script = WC_STRBUF_INIT;
    const char *detached[] = {"sh", "-c", "nice -n 10 sh \"$0\" & exit 0", NULL, NULL};
    const char *attached[] = {"sh", NULL, NULL};
    const char **argv;
    pid_t pid;
    int rc;

    wc_strbuf_addf(&script, "%s/build.sh", dir);
    if (lock_fd >= 0) {
        detached[3] = script.buf;
        argv = detached;
    } else {
        attached[1] = script.buf;
        argv = attached;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (lock_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, lock_fd, 3);
    }
    posix_spawn_file_actions_addclosefrom_np(&fa, 4);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    rc = posix_spawnp(&pid, "sh", &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    wc_strbuf_release(&script);
    if (rc != 0) {
        return -rc;
    }
    if (lock_fd >= 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    return pid;
}

static int
stopped(const atomic_int *stop)
{
    return stop != NULL && atomic_load(stop);
}

static void
nap(void)
{
    struct timespec ts = {0, 50 * 1000 * 1000};

    nanosleep(&ts, NULL);
}

/* Take lock_fd's lock, waiting while another build holds it. */
static int
lock_wait(int fd, const atomic_int *stop)
{
    if (stop == NULL) {
        while (flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                return -errno;
            }
        }
        return 0;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            return -errno;
        }
        if (stopped(stop)) {
            return WC_ECANCELED;
        }
        nap();
    }
    return 0;
}

/* Report the failure a build left in errpath, and remove it. */
static int
build_failed(const char *errpath, wc_error *err)
{
    wc_strbuf msg = WC_STRBUF_INIT;
    int rc;

    read_head(errpath, &msg, 600);
    unlink(errpath);
    rc = wc_error_set(err, WC_EIO, "%s",
                      msg.len ? msg.buf : "the optimizing compiler stopped without a result");
    wc_strbuf_release(&msg);
    return rc;
}

/* With a cache: builds are shared between processes through KEY.lock. */
static int
cc_cached(const wc_csource *src, const char *cc, const char *cache_dir, const char *key,
          const char *prefix, const atomic_int *stop, wc_code **out, wc_error *err)
{
    wc_strbuf lock = WC_STRBUF_INIT, so = WC_STRBUF_INIT, errpath = WC_STRBUF_INIT;
    wc_strbuf tmpl = WC_STRBUF_INIT, dir = WC_STRBUF_INIT;
    int fd = -1, started = 0, rc;

    if ((rc = mkdir_p(cache_dir)) != 0) {
        rc =
            wc_error_set(err, rc, "cannot create cache directory %s: %s", cache_dir, strerror(-rc));
        goto out;
    }
    wc_strbuf_addf(&lock, "%s/%s.lock", cache_dir, key);
    wc_strbuf_addf(&so, "%s/%s.so", cache_dir, key);
    wc_strbuf_addf(&errpath, "%s/%s.err", cache_dir, key);
    wc_strbuf_addf(&tmpl, "%s/tmp-%s-XXXXXX", cache_dir, key);
    for (;;) {
        fd = open(lock.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            rc = wc_error_set(err, -errno, "cannot open %s: %s", lock.buf, strerror(errno));
            goto out;
        }
        if ((rc = lock_wait(fd, stop)) != 0) {
            if (rc != WC_ECANCELED) {
                rc = wc_error_set(err, rc, "cannot lock %s: %s", lock.buf, strerror(-rc));
            } else {
                wc_error_set(err, rc, "stopped before the optimized tier was built");
            }
            goto out;
        }
        /* Holding the lock: no build of this key is running anywhere. */
        if (access(so.buf, R_OK) == 0) {
            rc = load_so(so.buf, prefix, out, err);
            goto out;
        }
        if (access(errpath.buf, F_OK) == 0) {
            rc = build_failed(errpath.buf, err);
            goto out;
        }
        if (started) {
            rc = wc_error_set(err, WC_EIO, "the optimizing compiler stopped without a result");
            goto out;
        }
        wc_strbuf_reset(&dir);
        if ((rc = prepare_build(src, cc, tmpl.buf, so.buf, errpath.buf, &dir, err)) != 0) {
            goto out;
        }
        rc = (int)start_build(dir.buf, fd);
        if (rc < 0) {
            rc = wc_error_set(err, WC_EIO, "cannot start the optimizing compiler: %s",
                              strerror(-rc));
            goto out;
        }
        /* The build holds the lock now; wait for it like any other. */
        started = 1;
        close(fd);
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rc != 0 && dir.len > 0 && !started) {
        unlink_tree(dir.buf);
    }
    wc_strbuf_release(&lock);
    wc_strbuf_release(&so);
    wc_strbuf_release(&errpath);
    wc_strbuf_release(&tmpl);
    wc_strbuf_release(&dir);
    return rc;
}

/* Without a cache: build into a temporary file; stopping kills the build. */
static int
cc_private(const wc_csource *src, const char *cc, const char *prefix, const atomic_int *stop,
           wc_code **out, wc_error *err)
{
    const char *tmp = getenv("TMPDIR");
    wc_strbuf tmpl = WC_STRBUF_INIT, dir = WC_STRBUF_INIT, so = WC_STRBUF_INIT;
    wc_strbuf errpath = WC_STRBUF_INIT;
    pid_t pid = 0;
    int status, rc;

    /* Reserve the names of the result and the error file next to the work dir. */
    wc_strbuf_addf(&tmpl, "%s/wc-code-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(tmpl.buf) == NULL) {
        rc = wc_error_set(err, -errno, "cannot create %s: %s", tmpl.buf, strerror(errno));
        goto out;
    }
    wc_strbuf_addf(&so, "%s/code.so", tmpl.buf);
    wc_strbuf_addf(&errpath, "%s/cc.err", tmpl.buf);
    wc_strbuf_adds(&tmpl, "/build-XXXXXX");
    if ((rc = prepare_build(src, cc, tmpl.buf, so.buf, errpath.buf, &dir, err)) != 0) {
        goto out;
    }
    if ((pid = start_build(dir.buf, -1)) < 0) {
        rc = wc_error_set(err, WC_EIO, "cannot start the optimizing compiler: %s", strerror(-pid));
        goto out;
    }
    for (;;) {
        pid_t w = waitpid(pid, &status, stop != NULL ? WNOHANG : 0);

        if (w == pid || (w < 0 && errno != EINTR)) {
            break;
        }
        if (stopped(stop)) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            rc = wc_error_set(err, WC_ECANCELED, "stopped before the optimized tier was built");
            goto out;
        }
        if (w == 0) {
            nap();
        }
    }
    if (access(so.buf, R_OK) == 0) {
        rc = load_so(so.buf, prefix, out, err);
    } else {
        rc = build_failed(errpath.buf, err);
    }
out:
    /* tmpl holds the private directory (plus "/build-..." once prepared). */
    if (so.len > 0) {
        char *slash = strrchr(so.buf, '/');

        *slash = '\0';
        unlink_tree(so.buf);
    }
    wc_strbuf_release(&tmpl);
    wc_strbuf_release(&dir);
    wc_strbuf_release(&so);
    wc_strbuf_release(&errpath);
    return rc;
}

int
wc__code_cc(const wc_csource *src, const char *cc, const char *cache_dir, const char *key,
            const char *prefix, const atomic_int *stop, wc_code **out, wc_error *err)
{
    if (cache_dir != NULL && cache_dir[0] != '\0') {
        return cc_cached(src, cc, cache_dir, key, prefix, stop, out, err);
    }
    return cc_private(src, cc, prefix, stop, out, err);
}

/* The flags, for the cache key. */
void
wc__code_flags(wc_strbuf *sb)
{
    for (int f = 0; cc_flags[f] != NULL; f++) {
        wc_strbuf_addf(sb, "%s ", cc_flags[f]);
    }
}
