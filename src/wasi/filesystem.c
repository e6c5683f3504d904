/*
 * filesystem.c - wasi:filesystem/types and wasi:filesystem/preopens.
 *
 * A descriptor is a host file descriptor plus the rights the guest holds on
 * it (descriptor-flags): read and write for files, read and
 * mutate-directory for directories. Granted directories (the context's
 * preopens) are read + mutate-directory; a directory opened beneath one
 * inherits its rights, a file gets what open-at asked for, and asking for
 * more than the parent allows is not-permitted.
 *
 * Confinement: a guest must never reach outside a granted directory. Every
 * guest path is resolved by openat2(2) with RESOLVE_BENEATH, so absolute
 * paths, ".." above the start and symlinks leading out (absolute or
 * relative) all fail, with not-permitted. Operations that name an entry
 * rather than open it (mkdir, unlink, rename, symlink, link) first open the
 * entry's parent that way and then act on the last component relative to
 * it; operations that only look at an entry (stat-at, set-times-at,
 * readlink-at, metadata-hash-at) open the entry itself with O_PATH. There is
 * no fallback to plain openat: without openat2 every path fails.
 *
 * Streams over files use their own duplicated fd with pread/pwrite and
 * their own offset, so they neither move nor depend on the descriptor's
 * file offset, and are always ready.
 */
#include "wasi/internal.h"

#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define FS(iface) "wasi:filesystem/" iface

/* The largest single descriptor.read; the guest gets a shorter read. */
#define FS_READ_MAX (1u << 20)

/* error-code cases, in the WIT's order. */
enum {
    FS_ACCESS,
    FS_WOULD_BLOCK,
    FS_ALREADY,
    FS_BAD_DESCRIPTOR,
    FS_BUSY,
    FS_DEADLOCK,
    FS_QUOTA,
    FS_EXIST,
    FS_FILE_TOO_LARGE,
    FS_ILLEGAL_BYTE_SEQUENCE,
    FS_IN_PROGRESS,
    FS_INTERRUPTED,
    FS_INVALID,
    FS_IO,
    FS_IS_DIRECTORY,
    FS_LOOP,
    FS_TOO_MANY_LINKS,
    FS_MESSAGE_SIZE,
    FS_NAME_TOO_LONG,
    FS_NO_DEVICE,
    FS_NO_ENTRY,
    FS_NO_LOCK,
    FS_INSUFFICIENT_MEMORY,
    FS_INSUFFICIENT_SPACE,
    FS_NOT_DIRECTORY,
    FS_NOT_EMPTY,
    FS_NOT_RECOVERABLE,
    FS_UNSUPPORTED,
    FS_NO_TTY,
    FS_NO_SUCH_DEVICE,
    FS_OVERFLOW,
    FS_NOT_PERMITTED,
    FS_PIPE,
    FS_READ_ONLY,
    FS_INVALID_SEEK,
    FS_TEXT_FILE_BUSY,
    FS_CROSS_DEVICE
};

/* descriptor-type cases. */
enum {
    TY_UNKNOWN,
    TY_BLOCK_DEVICE,
    TY_CHARACTER_DEVICE,
    TY_DIRECTORY,
    TY_FIFO,
    TY_SYMBOLIC_LINK,
    TY_REGULAR_FILE,
    TY_SOCKET
};

/* descriptor-flags, path-flags and open-flags bits. */
enum {
    DF_READ = 1 << 0,
    DF_WRITE = 1 << 1,
    DF_FILE_SYNC = 1 << 2,
    DF_DATA_SYNC = 1 << 3,
    DF_REQUESTED_SYNC = 1 << 4,
    DF_MUTATE = 1 << 5
};
enum { PF_FOLLOW = 1 << 0 };
enum { OF_CREATE = 1 << 0, OF_DIRECTORY = 1 << 1, OF_EXCLUSIVE = 1 << 2, OF_TRUNCATE = 1 << 3 };

typedef struct fsdesc {
    int fd;
    uint32_t flags; /* descriptor-flags: what the guest may do with it */
    int is_dir;
} fsdesc;

typedef struct fsdir {
    DIR *dir;
} fsdir;

/* ---- errors ---- */

uint32_t
wc__fs_errno_code(int e)
{
    switch (e) {
    case EACCES: return FS_ACCESS;
    case EAGAIN: return FS_WOULD_BLOCK;
    case EALREADY: return FS_ALREADY;
    case EBADF: return FS_BAD_DESCRIPTOR;
    case EBUSY: return FS_BUSY;
    case EDEADLK: return FS_DEADLOCK;
    case EDQUOT: return FS_QUOTA;
    case EEXIST: return FS_EXIST;
    case EFBIG: return FS_FILE_TOO_LARGE;
    case EILSEQ: return FS_ILLEGAL_BYTE_SEQUENCE;
    case EINPROGRESS: return FS_IN_PROGRESS;
    case EINTR: return FS_INTERRUPTED;
    case EINVAL: return FS_INVALID;
    case EIO: return FS_IO;
    case EISDIR: return FS_IS_DIRECTORY;
    case ELOOP: return FS_LOOP;
    case EMLINK: return FS_TOO_MANY_LINKS;
    case EMSGSIZE: return FS_MESSAGE_SIZE;
    case ENAMETOOLONG: return FS_NAME_TOO_LONG;
    case ENODEV: return FS_NO_DEVICE;
    case ENOENT: return FS_NO_ENTRY;
    case ENOLCK: return FS_NO_LOCK;
    case ENOMEM:
    case EMFILE:
    case ENFILE: return FS_INSUFFICIENT_MEMORY;
    case ENOSPC: return FS_INSUFFICIENT_SPACE;
    case ENOTDIR: return FS_NOT_DIRECTORY;
    case ENOTEMPTY: return FS_NOT_EMPTY;
    case ENOTRECOVERABLE: return FS_NOT_RECOVERABLE;
    case EOPNOTSUPP:
    case ENOSYS: return FS_UNSUPPORTED;
    case ENOTTY: return FS_NO_TTY;
    case ENXIO: return FS_NO_SUCH_DEVICE;
    case EOVERFLOW: return FS_OVERFLOW;
    case EPERM: return FS_NOT_PERMITTED;
    case EPIPE: return FS_PIPE;
    case EROFS: return FS_READ_ONLY;
    case ESPIPE: return FS_INVALID_SEEK;
    case ETXTBSY: return FS_TEXT_FILE_BUSY;
    case EXDEV: return FS_CROSS_DEVICE;
    default: return FS_IO;
    }
}

/* Set result to ok(payload) if rc is 0 or more, else to err(the code for -rc). */
static int
fs_result(wc_ccall *call, wc_cval *result, int rc, wc_cval *payload)
{
    if (rc < 0) {
        cv_err(result, cv_enum(call, wc__fs_errno_code(-rc)));
    } else {
        cv_ok(result, payload);
    }
    return 0;
}

/* ---- paths ---- */

/* Copy a guest path into buf (PATH_MAX bytes) as a C string. Returns 0 or -errno. */
static int
guest_path(const wc_cval *p, char *buf)
{
    size_t n = p->u.str.len;

    if (n >= PATH_MAX) {
        return -ENAMETOOLONG;
    }
    if (n > 0 && memchr(p->u.str.ptr, 0, n) != NULL) {
        return -EINVAL;
    }
    if (n > 0 && p->u.str.ptr[0] == '/') {
        return -EPERM; /* absolute paths name nothing the guest was granted */
    }
    memcpy(buf, p->u.str.ptr, n);
    buf[n] = 0;
    return 0;
}

/* openat2 beneath dirfd: an escape (absolute, "..", symlink out) is -EPERM. Returns fd or -errno.
 */
static int
open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    struct open_how how;

    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (int tries = 0;; tries++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

        if (fd >= 0) {
            return (int)fd;
        }
        /* EAGAIN: a concurrent rename raced the lookup; the kernel asks for a retry. */
        if ((errno == EAGAIN && tries < 16) || (errno == EINTR && !wc_call_interrupted())) {
            continue;
        }
        return errno == EXDEV ? -EPERM : -errno;
    }
}

/* A path split into an opened parent directory and its last component. */
typedef struct fspath {
    int dirfd; /* the parent: owned if != the descriptor's fd */
    int owned;
    int slash; /* the path ended in '/': the entry must be a directory */
    char name[NAME_MAX + 1];
} fspath;

static void
fspath_release(fspath *p)
{
    if (p->owned) {
        close(p->dirfd);
    }
    p->owned = 0;
}

/*
 * Resolve the parent of path beneath d (a directory). A last component of
 * "." or ".." fails with -dot_errno: these name the parent itself, or
 * something above it, never an entry in it.
 */
static int
resolve_parent(fsdesc *d, const wc_cval *path, int dot_errno, fspath *out)
{
    char buf[PATH_MAX];
    size_t n;
    char *sep;
    const char *name;
    int rc, fd;

    memset(out, 0, sizeof(*out));
    out->dirfd = -1;
    if (!d->is_dir) {
        return -ENOTDIR;
    }
    if ((rc = guest_path(path, buf)) != 0) {
        return rc;
    }
    n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') {
        buf[--n] = 0;
        out->slash = 1;
    }
    sep = strrchr(buf, '/');
    name = sep != NULL ? sep + 1 : buf;
    if (*name == 0) {
        return -ENOENT;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        return -dot_errno;
    }
    if (strlen(name) > NAME_MAX) {
        return -ENAMETOOLONG;
    }
    if (sep != NULL) {
        *sep = 0;
        fd = open_beneath(d->fd, buf, O_PATH | O_DIRECTORY, 0);
        if (fd < 0) {
            return fd;
        }
        out->dirfd = fd;
        out->owned = 1;
    } else {
        out->dirfd = d->fd;
    }
    memcpy(out->name, name, strlen(name) + 1);
    return 0;
}

/* A trailing '/' on an existing entry requires it to be a directory. */
static int
check_slash(const fspath *p)
{
    struct stat st;

    if (p->slash && fstatat(p->dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISDIR(st.st_mode)) {
        return -ENOTDIR;
    }
    return 0;
}

/* The descriptor must be a directory the guest may change. */
static int
need_mutate(const fsdesc *d)
{
    if (!d->is_dir) {
        return -ENOTDIR;
    }
    return (d->flags & DF_MUTATE) ? 0 : -EPERM;
}

/* Open the entry at path beneath d with O_PATH (following a final symlink if asked). */
static int
open_entry(fsdesc *d, uint32_t path_flags, const wc_cval *path)
{
    char buf[PATH_MAX];
    int rc;

    if (!d->is_dir) {
        return -ENOTDIR;
    }
    if ((rc = guest_path(path, buf)) != 0) {
        return rc;
    }
    return open_beneath(d->fd, buf, O_PATH | ((path_flags & PF_FOLLOW) ? 0 : O_NOFOLLOW), 0);
}

static int
valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;

    while (p < end) {
        unsigned c = *p, len;
        uint32_t cp;

        if (c < 0x80) {
            p++;
            continue;
        }
        len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        if (len == 0 || c > 0xf4 || (size_t)(end - p) < len) {
            return 0;
        }
        cp = c & (0x7f >> len);
        for (unsigned i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        p += len;
    }
    return 1;
}

/* ---- values ---- */

static uint32_t
mode_type(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFBLK: return TY_BLOCK_DEVICE;
    case S_IFCHR: return TY_CHARACTER_DEVICE;
    case S_IFDIR: return TY_DIRECTORY;
    case S_IFIFO: return TY_FIFO;
    case S_IFLNK: return TY_SYMBOLIC_LINK;
    case S_IFREG: return TY_REGULAR_FILE;
    case S_IFSOCK: return TY_SOCKET;
    default: return TY_UNKNOWN;
    }
}

/* option<datetime>: none for times before 1970, which datetime cannot hold. */
static void
set_datetime(wc_ccall *call, wc_cval *opt, struct timespec ts)
{
    wc_cval *dt, *rec;

    if (ts.tv_sec < 0) {
        opt->u.var.disc = 0;
        return;
    }
    dt = cv_alloc(call, 2);
    dt[0].u.u64 = (uint64_t)ts.tv_sec;
    dt[1].u.u32 = (uint32_t)ts.tv_nsec;
    rec = cv_alloc(call, 1);
    rec->u.fields = dt;
    opt->u.var.disc = 1;
    opt->u.var.val = rec;
}

static wc_cval *
stat_value(wc_ccall *call, const struct stat *st)
{
    wc_cval *f = cv_alloc(call, 6), *rec = cv_alloc(call, 1);

    f[0].u.var.disc = mode_type(st->st_mode);
    f[1].u.u64 = (uint64_t)st->st_nlink;
    f[2].u.u64 = (uint64_t)st->st_size;
    set_datetime(call, &f[3], st->st_atim);
    set_datetime(call, &f[4], st->st_mtim);
    set_datetime(call, &f[5], st->st_ctim);
    rec->u.fields = f;
    return rec;
}

/* metadata-hash-value: BLAKE2b of (device, inode), the same for every path to one file. */
static wc_cval *
hash_value(wc_ccall *call, const struct stat *st)
{
    uint64_t in[2] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino}, out[2];
    wc_cval *f = cv_alloc(call, 2), *rec = cv_alloc(call, 1);

    crypto_generichash((unsigned char *)out, sizeof(out), (const unsigned char *)in, sizeof(in),
                       NULL, 0);
    f[0].u.u64 = out[0];
    f[1].u.u64 = out[1];
    rec->u.fields = f;
    return rec;
}

/* new-timestamp: no-change, now, or timestamp(datetime). */
static int
new_timestamp(const wc_cval *v, struct timespec *ts)
{
    const wc_cval *dt;

    switch (v->u.var.disc) {
    case 0:
        ts->tv_sec = 0;
        ts->tv_nsec = UTIME_OMIT;
        return 0;
    case 1:
        ts->tv_sec = 0;
        ts->tv_nsec = UTIME_NOW;
        return 0;
    default:
        dt = v->u.var.val->u.fields;
        if (dt[0].u.u64 > INT64_MAX || dt[1].u.u32 >= 1000000000u) {
            return -EINVAL;
        }
        ts->tv_sec = (time_t)dt[0].u.u64;
        ts->tv_nsec = (long)dt[1].u.u32;
        return 0;
    }
}

/* ---- file streams ---- */

typedef struct fstream {
    wc_stream base;
    int fd;       /* owned: a duplicate of the descriptor's */
    uint64_t off; /* the next read or write position */
    int append;   /* writes go to the end, atomically */
} fstream;

static int
fs_check_write(wc_stream *s, uint64_t *room, wc_error *err)
{
    *room = 1u << 20; /* file writes complete before returning */
    return WC_STREAM_OK;
}

static int
fs_write(wc_stream *s, const uint8_t *data, size_t len, wc_error *err)
{
    fstream *f = (fstream *)s;

    while (len > 0) {
        ssize_t n;

        if (f->off > INT64_MAX) {
            return wc_error_set(err, -EFBIG, "writing the file failed: offset too large");
        }
        if (f->append) {
            struct iovec iov = {(void *)data, len};

            n = pwritev2(f->fd, &iov, 1, 0, RWF_APPEND);
        } else {
            n = pwrite(f->fd, data, len, (off_t)f->off);
        }
        if (n < 0 && errno == EINTR) {
            if (wc_call_interrupted()) {
                return wc_error_set(err, WC_ETRAP, "deadline exceeded");
            }
            continue;
        }
        if (n < 0) {
            return wc_error_set(err, -errno, "writing the file failed: %s", strerror(errno));
        }
        if (!f->append) {
            f->off += (uint64_t)n;
        }
        data += n;
        len -= (size_t)n;
    }
    return WC_STREAM_OK;
}

static int
fs_flush(wc_stream *s, int blocking, wc_error *err)
{
    return WC_STREAM_OK; /* pwrite leaves nothing buffered here */
}

static int
fs_read(wc_stream *s, uint8_t *buf, size_t max, size_t *got, int blocking, wc_error *err)
{
    fstream *f = (fstream *)s;
    ssize_t n;

    *got = 0;
    if (max == 0) {
        return WC_STREAM_OK;
    }
    if (f->off > INT64_MAX) {
        return WC_STREAM_CLOSED;
    }
    for (;;) {
        n = pread(f->fd, buf, max, (off_t)f->off);
        if (n >= 0) {
            break;
        }
        if (errno == EINTR) {
            if (wc_call_interrupted()) {
                return wc_error_set(err, WC_ETRAP, "deadline exceeded");
            }
            continue;
        }
        return wc_error_set(err, -errno, "reading the file failed: %s", strerror(errno));
    }
    if (n == 0) {
        return WC_STREAM_CLOSED;
    }
    f->off += (uint64_t)n;
    *got = (size_t)n;
    return WC_STREAM_OK;
}

static int
fs_ready(wc_stream *s, int *fd, short *events)
{
    return 1;
}

static void
fs_free(wc_stream *s)
{
    close(((fstream *)s)->fd);
    free(s);
}

static const wc_stream_ops fstream_ops = {fs_check_write, fs_write, fs_flush,
                                          fs_read,        fs_ready, fs_free};

/* A stream over a duplicate of d's fd. Returns 0 or -errno. */
static int
fstream_new(const fsdesc *d, int is_output, uint64_t off, int append, wc_stream **out)
{
    fstream *f;
    int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0);

    if (fd < 0) {
        return -errno;
    }
    f = wc_xcalloc(1, sizeof(*f));
    f->base.ops = &fstream_ops;
    f->base.is_output = is_output;
    f->base.refs = 1;
    f->fd = fd;
    f->off = off;
    f->append = append;
    *out = &f->base;
    return 0;
}

/* ---- descriptors ---- */

static fsdesc *
desc_new(int fd, uint32_t flags, int is_dir)
{
    fsdesc *d = wc_xcalloc(1, sizeof(*d));

    d->fd = fd;
    d->flags = flags;
    d->is_dir = is_dir;
    return d;
}

static void
drop_descriptor(void *host, void *obj)
{
    fsdesc *d = obj;

    close(d->fd);
    free(d);
}

static void
drop_dir_stream(void *host, void *obj)
{
    fsdir *ds = obj;

    closedir(ds->dir);
    free(ds);
}

static int
file_stream(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err,
            int is_output, int append)
{
    wc_wasi *w = WASI(data);
    fsdesc *d = arg_obj(call, &args[0], w->descriptor);
    uint64_t off = append ? 0 : args[1].u.u64;
    wc_stream *s = NULL;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (d->is_dir) {
        rc = -EISDIR;
    } else if (!(d->flags & (is_output ? DF_WRITE : DF_READ))) {
        rc = -EBADF;
    } else {
        rc = fstream_new(d, is_output, off, append, &s);
    }
    if (rc < 0) {
        return fs_result(call, result, rc, NULL);
    }
    return fs_result(call, result, 0,
                     cv_own(call, is_output ? w->output_stream : w->input_stream, s));
}

HOSTFN(desc_read_via_stream)
{
    return file_stream(call, data, args, result, err, 0, 0);
}

HOSTFN(desc_write_via_stream)
{
    return file_stream(call, data, args, result, err, 1, 0);
}

HOSTFN(desc_append_via_stream)
{
    return file_stream(call, data, args, result, err, 1, 1);
}

HOSTFN(desc_advise)
{
    static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    uint64_t off = args[1].u.u64, len = args[2].u.u64;
    uint32_t a = args[3].u.var.disc;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (off > INT64_MAX || len > INT64_MAX || a >= sizeof(advice) / sizeof(advice[0])) {
        rc = -EINVAL;
    } else if (d->is_dir) {
        rc = -EBADF;
    } else {
        rc = -posix_fadvise(d->fd, (off_t)off, (off_t)len, advice[a]);
    }
    return fs_result(call, result, rc, NULL);
}

static int
do_sync(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err, int all)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    rc = all ? fsync(d->fd) : fdatasync(d->fd);
    return fs_result(call, result, rc < 0 ? -errno : 0, NULL);
}

HOSTFN(desc_sync_data)
{
    return do_sync(call, data, args, result, err, 0);
}

HOSTFN(desc_sync)
{
    return do_sync(call, data, args, result, err, 1);
}

HOSTFN(desc_get_flags)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    wc_cval *f;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    f = cv_alloc(call, 1);
    f->u.flags = d->flags;
    return fs_result(call, result, 0, f);
}

HOSTFN(desc_get_type)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    struct stat st;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (fstat(d->fd, &st) < 0) {
        return fs_result(call, result, -errno, NULL);
    }
    return fs_result(call, result, 0, cv_enum(call, mode_type(st.st_mode)));
}

HOSTFN(desc_set_size)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    uint64_t size = args[1].u.u64;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (d->is_dir) {
        rc = -EISDIR;
    } else if (!(d->flags & DF_WRITE)) {
        rc = -EBADF;
    } else if (size > INT64_MAX) {
        rc = -EFBIG;
    } else {
        rc = ftruncate(d->fd, (off_t)size) < 0 ? -errno : 0;
    }
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_set_times)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    struct timespec ts[2];
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (d->is_dir ? !(d->flags & DF_MUTATE) : !(d->flags & DF_WRITE)) {
        rc = d->is_dir ? -EPERM : -EBADF;
    } else if ((rc = new_timestamp(&args[1], &ts[0])) == 0 &&
               (rc = new_timestamp(&args[2], &ts[1])) == 0) {
        rc = futimens(d->fd, ts) < 0 ? -errno : 0;
    }
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_read)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    uint64_t want = args[1].u.u64, off = args[2].u.u64;
    size_t got = 0;
    int eof = 0, rc = 0;
    uint8_t *buf;
    wc_cval *fields, *tup;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (d->is_dir) {
        return fs_result(call, result, -EISDIR, NULL);
    }
    if (!(d->flags & DF_READ)) {
        return fs_result(call, result, -EBADF, NULL);
    }
    if (off > INT64_MAX) {
        return fs_result(call, result, -EINVAL, NULL);
    }
    if (want > FS_READ_MAX) {
        want = FS_READ_MAX; /* a short read: the guest asks again */
    }
    buf = wc_arena_alloc(call->arena, want + 1);
    while (got < want) {
        ssize_t n = pread(d->fd, buf + got, want - got, (off_t)(off + got));

        if (n < 0 && errno == EINTR && !wc_call_interrupted()) {
            continue;
        }
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0) {
            eof = 1;
            break;
        }
        got += (size_t)n;
    }
    if (rc < 0 && got == 0) {
        return fs_result(call, result, rc, NULL);
    }
    fields = cv_alloc(call, 2);
    fields[0].u.list.bytes = buf;
    fields[0].u.list.n = got;
    fields[1].u.b = eof;
    tup = cv_alloc(call, 1);
    tup->u.fields = fields;
    return fs_result(call, result, 0, tup);
}

HOSTFN(desc_write)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    const uint8_t *p = args[1].u.list.bytes;
    size_t len = args[1].u.list.n, done = 0;
    uint64_t off = args[2].u.u64;
    int rc = 0;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (d->is_dir) {
        return fs_result(call, result, -EISDIR, NULL);
    }
    if (!(d->flags & DF_WRITE)) {
        return fs_result(call, result, -EBADF, NULL);
    }
    if (off > INT64_MAX || len > INT64_MAX - off) {
        return fs_result(call, result, -EFBIG, NULL);
    }
    while (done < len) {
        ssize_t n = pwrite(d->fd, p + done, len - done, (off_t)(off + done));

        if (n < 0 && errno == EINTR && !wc_call_interrupted()) {
            continue;
        }
        if (n < 0) {
            rc = -errno;
            break;
        }
        done += (size_t)n;
    }
    if (rc < 0 && done == 0) {
        return fs_result(call, result, rc, NULL);
    }
    return fs_result(call, result, 0, cv_u64(call, done));
}

HOSTFN(desc_read_directory)
{
    wc_wasi *w = WASI(data);
    fsdesc *d = arg_obj(call, &args[0], w->descriptor);
    fsdir *ds;
    DIR *dir;
    int fd;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (!d->is_dir) {
        return fs_result(call, result, -ENOTDIR, NULL);
    }
    if (!(d->flags & DF_READ)) {
        return fs_result(call, result, -EBADF, NULL);
    }
    /* A fresh open file description: each listing starts at the beginning. */
    fd = open_beneath(d->fd, ".", O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) {
        return fs_result(call, result, fd, NULL);
    }
    if ((dir = fdopendir(fd)) == NULL) {
        int e = errno;

        close(fd);
        return fs_result(call, result, -e, NULL);
    }
    ds = wc_xcalloc(1, sizeof(*ds));
    ds->dir = dir;
    return fs_result(call, result, 0, cv_own(call, w->dir_stream, ds));
}

static uint32_t
dirent_type(DIR *dir, const struct dirent *de)
{
    struct stat st;

    switch (de->d_type) {
    case DT_BLK: return TY_BLOCK_DEVICE;
    case DT_CHR: return TY_CHARACTER_DEVICE;
    case DT_DIR: return TY_DIRECTORY;
    case DT_FIFO: return TY_FIFO;
    case DT_LNK: return TY_SYMBOLIC_LINK;
    case DT_REG: return TY_REGULAR_FILE;
    case DT_SOCK: return TY_SOCKET;
    default:
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            return mode_type(st.st_mode);
        }
        return TY_UNKNOWN;
    }
}

HOSTFN(dir_read_entry)
{
    fsdir *ds = arg_obj(call, &args[0], WASI(data)->dir_stream);
    struct dirent *de;
    wc_cval *opt, *f, *rec;
    size_t n;

    if (ds == NULL) {
        return wc__bad_handle(err, "directory-entry-stream");
    }
    do {
        errno = 0;
        de = readdir(ds->dir);
    } while (de != NULL && (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0));
    opt = cv_alloc(call, 1);
    if (de == NULL) {
        return fs_result(call, result, errno != 0 ? -errno : 0, opt); /* none at the end */
    }
    n = strlen(de->d_name);
    if (!valid_utf8(de->d_name, n)) {
        return fs_result(call, result, -EILSEQ, NULL);
    }
    f = cv_alloc(call, 2);
    f[0].u.var.disc = dirent_type(ds->dir, de);
    cv_set_string(call, &f[1], de->d_name, n);
    rec = cv_alloc(call, 1);
    rec->u.fields = f;
    opt->u.var.disc = 1;
    opt->u.var.val = rec;
    return fs_result(call, result, 0, opt);
}

HOSTFN(desc_create_directory_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    fspath p;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = need_mutate(d)) == 0 && (rc = resolve_parent(d, &args[1], EEXIST, &p)) == 0) {
        rc = mkdirat(p.dirfd, p.name, 0777) < 0 ? -errno : 0;
        fspath_release(&p);
    }
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_stat)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    struct stat st;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (fstat(d->fd, &st) < 0) {
        return fs_result(call, result, -errno, NULL);
    }
    return fs_result(call, result, 0, stat_value(call, &st));
}

/* fstat the entry at path (args[1] path-flags, args[2] path). Returns 0 or -errno. */
static int
stat_entry(fsdesc *d, const wc_cval *args, struct stat *st)
{
    int fd = open_entry(d, args[1].u.flags, &args[2]), rc;

    if (fd < 0) {
        return fd;
    }
    rc = fstat(fd, st) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

HOSTFN(desc_stat_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    struct stat st;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = stat_entry(d, args, &st)) < 0) {
        return fs_result(call, result, rc, NULL);
    }
    return fs_result(call, result, 0, stat_value(call, &st));
}

HOSTFN(desc_set_times_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    uint32_t pflags = args[1].u.flags;
    struct timespec ts[2];
    int rc, fd;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = need_mutate(d)) != 0 || (rc = new_timestamp(&args[3], &ts[0])) != 0 ||
        (rc = new_timestamp(&args[4], &ts[1])) != 0) {
        return fs_result(call, result, rc, NULL);
    }
    if ((fd = open_entry(d, pflags, &args[2])) < 0) {
        return fs_result(call, result, fd, NULL);
    }
    /* The O_PATH fd is the entry itself (the link, without follow): set its times. */
    rc = utimensat(fd, "", ts, AT_EMPTY_PATH | ((pflags & PF_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW));
    rc = rc < 0 ? -errno : 0;
    close(fd);
    return fs_result(call, result, rc, NULL);
}

/* Hard-link the O_PATH fd's file as name in dirfd (the target of a followed symlink). */
static int
link_fd(int fd, int dirfd, const char *name)
{
    char proc[64];

    if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0) {
        return 0;
    }
    if (errno != ENOENT && errno != EPERM) {
        return -errno;
    }
    /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link of the fd does not. */
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

HOSTFN(desc_link_at)
{
    wc_wasi *w = WASI(data);
    fsdesc *d = arg_obj(call, &args[0], w->descriptor);
    fsdesc *nd = arg_obj(call, &args[3], w->descriptor);
    uint32_t pflags = args[1].u.flags;
    fspath op, np;
    int rc, fd;

    if (d == NULL || nd == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = need_mutate(d)) != 0 || (rc = need_mutate(nd)) != 0 ||
        (rc = resolve_parent(nd, &args[4], EEXIST, &np)) != 0) {
        return fs_result(call, result, rc, NULL);
    }
    if (np.slash) {
        rc = -ENOTDIR; /* a hard link is never a directory */
    } else if (pflags & PF_FOLLOW) {
        /* Resolve the old path, symlinks included, beneath d; then link what it names. */
        if ((fd = open_entry(d, PF_FOLLOW, &args[2])) < 0) {
            rc = fd;
        } else {
            rc = link_fd(fd, np.dirfd, np.name);
            close(fd);
        }
    } else if ((rc = resolve_parent(d, &args[2], EPERM, &op)) == 0) {
        rc = check_slash(&op);
        if (rc == 0) {
            rc = linkat(op.dirfd, op.name, np.dirfd, np.name, 0) < 0 ? -errno : 0;
        }
        fspath_release(&op);
    }
    fspath_release(&np);
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_open_at)
{
    wc_wasi *w = WASI(data);
    fsdesc *d = arg_obj(call, &args[0], w->descriptor);
    uint32_t pflags = args[1].u.flags, oflags = args[3].u.flags, dflags = args[4].u.flags;
    char path[PATH_MAX];
    int how = O_NOCTTY | O_NONBLOCK, fd, rc, fl;
    struct stat st;
    uint32_t flags;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (!d->is_dir) {
        return fs_result(call, result, -ENOTDIR, NULL);
    }
    if ((rc = guest_path(&args[2], path)) != 0) {
        return fs_result(call, result, rc, NULL);
    }
    if (((oflags & (OF_CREATE | OF_TRUNCATE)) || (dflags & (DF_WRITE | DF_MUTATE))) &&
        !(d->flags & DF_MUTATE)) {
        return fs_result(call, result, -EPERM, NULL);
    }
    if (dflags & DF_WRITE) {
        how |= (dflags & DF_READ) ? O_RDWR : O_WRONLY;
    } else {
        how |= O_RDONLY;
    }
    how |= (oflags & OF_CREATE) ? O_CREAT : 0;
    how |= (oflags & OF_EXCLUSIVE) ? O_EXCL : 0;
    how |= (oflags & OF_TRUNCATE) ? O_TRUNC : 0;
    how |= (oflags & OF_DIRECTORY) ? O_DIRECTORY : 0;
    how |= (pflags & PF_FOLLOW) ? 0 : O_NOFOLLOW;
    how |= (dflags & DF_FILE_SYNC) ? O_SYNC : 0;
    how |= (dflags & DF_DATA_SYNC) ? O_DSYNC : 0;
    how |= (dflags & DF_REQUESTED_SYNC) ? O_RSYNC : 0;
    /* O_NONBLOCK so that opening a FIFO cannot hang the host; cleared below. */
    if ((fd = open_beneath(d->fd, path, how, 0666)) < 0) {
        return fs_result(call, result, fd, NULL);
    }
    if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
        fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        return fs_result(call, result, rc, NULL);
    }
    if (S_ISDIR(st.st_mode)) {
        flags = d->flags & (DF_READ | DF_MUTATE); /* a directory inherits its parent's rights */
    } else {
        flags = dflags & (DF_READ | DF_WRITE | DF_FILE_SYNC | DF_DATA_SYNC | DF_REQUESTED_SYNC);
    }
    return fs_result(call, result, 0,
                     cv_own(call, w->descriptor, desc_new(fd, flags, S_ISDIR(st.st_mode))));
}

HOSTFN(desc_readlink_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    char buf[PATH_MAX];
    struct stat st;
    ssize_t n = -1;
    int fd, rc = 0;
    wc_cval *str;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((fd = open_entry(d, 0, &args[1])) < 0) {
        return fs_result(call, result, fd, NULL);
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
    } else if (!S_ISLNK(st.st_mode)) {
        rc = -EINVAL;
    } else if ((n = readlinkat(fd, "", buf, sizeof(buf))) < 0) {
        rc = -errno;
    } else if ((size_t)n >= sizeof(buf)) {
        rc = -ENAMETOOLONG;
    } else if (!valid_utf8(buf, (size_t)n)) {
        rc = -EILSEQ;
    }
    close(fd);
    if (rc < 0) {
        return fs_result(call, result, rc, NULL);
    }
    str = cv_alloc(call, 1);
    cv_set_string(call, str, buf, (size_t)n);
    return fs_result(call, result, 0, str);
}

HOSTFN(desc_remove_directory_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    fspath p;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = need_mutate(d)) == 0 && (rc = resolve_parent(d, &args[1], EINVAL, &p)) == 0) {
        rc = unlinkat(p.dirfd, p.name, AT_REMOVEDIR) < 0 ? -errno : 0;
        fspath_release(&p);
    }
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_rename_at)
{
    wc_wasi *w = WASI(data);
    fsdesc *d = arg_obj(call, &args[0], w->descriptor);
    fsdesc *nd = arg_obj(call, &args[2], w->descriptor);
    fspath op, np;
    int rc;

    if (d == NULL || nd == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = need_mutate(d)) != 0 || (rc = need_mutate(nd)) != 0 ||
        (rc = resolve_parent(d, &args[1], EINVAL, &op)) != 0) {
        return fs_result(call, result, rc, NULL);
    }
    if ((rc = resolve_parent(nd, &args[3], EINVAL, &np)) == 0) {
        if ((rc = check_slash(&op)) == 0 && (rc = check_slash(&np)) == 0) {
            rc = renameat(op.dirfd, op.name, np.dirfd, np.name) < 0 ? -errno : 0;
        }
        fspath_release(&np);
    }
    fspath_release(&op);
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_symlink_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    char target[PATH_MAX];
    fspath p;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    /* An absolute target could only ever point outside the granted directory. */
    if ((rc = need_mutate(d)) != 0 || (rc = guest_path(&args[1], target)) != 0 ||
        (rc = resolve_parent(d, &args[2], EEXIST, &p)) != 0) {
        return fs_result(call, result, rc, NULL);
    }
    if (p.slash) {
        rc = -ENOTDIR;
    } else {
        rc = symlinkat(target, p.dirfd, p.name) < 0 ? -errno : 0;
    }
    fspath_release(&p);
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_unlink_file_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    fspath p;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = need_mutate(d)) == 0 && (rc = resolve_parent(d, &args[1], EISDIR, &p)) == 0) {
        if ((rc = check_slash(&p)) == 0) {
            rc = unlinkat(p.dirfd, p.name, 0) < 0 ? -errno : 0;
        }
        fspath_release(&p);
    }
    return fs_result(call, result, rc, NULL);
}

HOSTFN(desc_is_same_object)
{
    wc_wasi *w = WASI(data);
    fsdesc *a = arg_obj(call, &args[0], w->descriptor);
    fsdesc *b = arg_obj(call, &args[1], w->descriptor);
    struct stat sa, sb;

    if (a == NULL || b == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    result->u.b = fstat(a->fd, &sa) == 0 && fstat(b->fd, &sb) == 0 && sa.st_dev == sb.st_dev &&
                  sa.st_ino == sb.st_ino;
    return 0;
}

HOSTFN(desc_metadata_hash)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    struct stat st;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if (fstat(d->fd, &st) < 0) {
        return fs_result(call, result, -errno, NULL);
    }
    return fs_result(call, result, 0, hash_value(call, &st));
}

HOSTFN(desc_metadata_hash_at)
{
    fsdesc *d = arg_obj(call, &args[0], WASI(data)->descriptor);
    struct stat st;
    int rc;

    if (d == NULL) {
        return wc__bad_handle(err, "descriptor");
    }
    if ((rc = stat_entry(d, args, &st)) < 0) {
        return fs_result(call, result, rc, NULL);
    }
    return fs_result(call, result, 0, hash_value(call, &st));
}

HOSTFN(filesystem_error_code)
{
    wasi_error *e = arg_obj(call, &args[0], WASI(data)->error);

    if (e == NULL) {
        return wc__bad_handle(err, "error");
    }
    if (e->fs_code > 0) {
        result->u.var.disc = 1;
        result->u.var.val = cv_enum(call, (uint32_t)e->fs_code - 1);
    } else {
        result->u.var.disc = 0;
    }
    return 0;
}

/* ---- wasi:filesystem/preopens ---- */

HOSTFN(get_directories)
{
    wc_wasi *w = WASI(data);
    wc_wasi_ctx *ctx = WASI_CTX(call);
    wc_cval *list = cv_alloc(call, ctx->npreopens);
    size_t n = 0;

    for (size_t i = 0; i < ctx->npreopens; i++) {
        /* Each descriptor owns its fd: the guest may drop one and ask again. */
        int fd = fcntl(ctx->preopens[i].dirfd, F_DUPFD_CLOEXEC, 0);
        wc_cval *pair;

        if (fd < 0) {
            return wc_error_set(err, WC_ETRAP, "cannot share granted directory %s: %s",
                                ctx->preopens[i].host, strerror(errno));
        }
        pair = cv_alloc(call, 2);
        cv_set_own(call, &pair[0], w->descriptor, desc_new(fd, DF_READ | DF_MUTATE, 1));
        cv_set_string(call, &pair[1], ctx->preopens[i].guest, strlen(ctx->preopens[i].guest));
        list[n++].u.fields = pair;
    }
    result->u.list.elems = list;
    result->u.list.n = n;
    return 0;
}

void
wc__wasi_link_filesystem(wc_wasi *w)
{
    wc_linker *l = w->linker;
    struct {
        const char *iface, *name;
        wc_chost_fn fn;
    } fns[] = {
        {FS("types"), "[method]descriptor.read-via-stream", desc_read_via_stream},
        {FS("types"), "[method]descriptor.write-via-stream", desc_write_via_stream},
        {FS("types"), "[method]descriptor.append-via-stream", desc_append_via_stream},
        {FS("types"), "[method]descriptor.advise", desc_advise},
        {FS("types"), "[method]descriptor.sync-data", desc_sync_data},
        {FS("types"), "[method]descriptor.get-flags", desc_get_flags},
        {FS("types"), "[method]descriptor.get-type", desc_get_type},
        {FS("types"), "[method]descriptor.set-size", desc_set_size},
        {FS("types"), "[method]descriptor.set-times", desc_set_times},
        {FS("types"), "[method]descriptor.read", desc_read},
        {FS("types"), "[method]descriptor.write", desc_write},
        {FS("types"), "[method]descriptor.read-directory", desc_read_directory},
        {FS("types"), "[method]descriptor.sync", desc_sync},
        {FS("types"), "[method]descriptor.create-directory-at", desc_create_directory_at},
        {FS("types"), "[method]descriptor.stat", desc_stat},
        {FS("types"), "[method]descriptor.stat-at", desc_stat_at},
        {FS("types"), "[method]descriptor.set-times-at", desc_set_times_at},
        {FS("types"), "[method]descriptor.link-at", desc_link_at},
        {FS("types"), "[method]descriptor.open-at", desc_open_at},
        {FS("types"), "[method]descriptor.readlink-at", desc_readlink_at},
        {FS("types"), "[method]descriptor.remove-directory-at", desc_remove_directory_at},
        {FS("types"), "[method]descriptor.rename-at", desc_rename_at},
        {FS("types"), "[method]descriptor.symlink-at", desc_symlink_at},
        {FS("types"), "[method]descriptor.unlink-file-at", desc_unlink_file_at},
        {FS("types"), "[method]descriptor.is-same-object", desc_is_same_object},
        {FS("types"), "[method]descriptor.metadata-hash", desc_metadata_hash},
        {FS("types"), "[method]descriptor.metadata-hash-at", desc_metadata_hash_at},
        {FS("types"), "[method]directory-entry-stream.read-directory-entry", dir_read_entry},
        {FS("types"), "filesystem-error-code", filesystem_error_code},
        {FS("preopens"), "get-directories", get_directories},
    };

    w->descriptor = wc_linker_resource(l, FS("types"), WASI_VERSION, "descriptor", drop_descriptor);
    w->dir_stream =
        wc_linker_resource(l, FS("types"), WASI_VERSION, "directory-entry-stream", drop_dir_stream);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        wc_linker_func(l, fns[i].iface, WASI_VERSION, fns[i].name, fns[i].fn, w);
    }
}
