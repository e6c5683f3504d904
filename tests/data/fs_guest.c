/*
 * fs_guest.c - a WASI command that exercises wasi:filesystem through
 * wasi-libc, for tests/integration/fs_test.sh.
 *
 * Usage (as the guest): fs_guest DIR, where DIR is a granted directory that
 * holds the fixture the test script made (a.txt, d/, escape ->
 * ../outside.txt, abs -> /etc/passwd, updir -> ..). Prints one line per step, "ok ..." or
 * "FAIL ..."; attempts to leave DIR print "denied: <error>" when refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int failures;

static void
check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) {
        printf("  errno: %s\n", strerror(errno));
        failures++;
    }
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    char *names[64];
    int n = 0;

    check(d != NULL, "opendir");
    if (d == NULL) {
        return;
    }
    while ((de = readdir(d)) != NULL && n < 64) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            names[n++] = strdup(de->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    printf("list:");
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static int
read_all(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) {
        return -1;
    }
    buf[n] = 0;
    return (int)n;
}

/* Opening path (relative to dirfd, or absolute with AT_FDCWD) must fail. */
static void
must_not_open(int dirfd, const char *path, int flags)
{
    int fd = openat(dirfd, path, flags, 0644);

    if (fd >= 0) {
        printf("FAIL escaped: %s\n", path);
        failures++;
        close(fd);
        return;
    }
    printf("denied: %s: %s\n", path, strerror(errno));
}

int
main(int argc, char **argv)
{
    char path[512], buf[256];
    struct stat st;
    int fd, dirfd;
    const char *dir;

    if (argc != 2) {
        fprintf(stderr, "usage: fs_guest DIR\n");
        return 2;
    }
    dir = argv[1];
    if (chdir(dir) != 0) {
        printf("FAIL chdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    list_dir(".");

    /* create, write, read back */
    fd = open("hello.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0, "create hello.txt");
    check(write(fd, "hello\n", 6) == 6, "write hello.txt");
    close(fd);
    check(read_all("hello.txt", buf, sizeof(buf)) == 6 && strcmp(buf, "hello\n") == 0,
          "read hello.txt");

    /* append */
    fd = open("hello.txt", O_WRONLY | O_APPEND);
    check(fd >= 0, "open for append");
    check(write(fd, "world\n", 6) == 6, "append");
    close(fd);
    check(read_all("hello.txt", buf, sizeof(buf)) == 12 && strcmp(buf, "hello\nworld\n") == 0,
          "read after append");

    /* positional I/O and truncate */
    fd = open("hello.txt", O_RDWR);
    check(fd >= 0, "open read-write");
    check(pwrite(fd, "J", 1, 0) == 1, "pwrite");
    check(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "world", 5) == 0, "pread");
    check(ftruncate(fd, 11) == 0, "ftruncate");
    check(fstat(fd, &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode), "fstat");
    close(fd);
    check(read_all("hello.txt", buf, sizeof(buf)) == 11 && strcmp(buf, "Jello\nworld") == 0,
          "content after pwrite and truncate");

    /* sync, advice, flags, times through the descriptor */
    fd = open("hello.txt", O_RDWR);
    check(fd >= 0 && fsync(fd) == 0 && fdatasync(fd) == 0, "fsync and fdatasync");
    check(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0, "posix_fadvise");
    check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "F_GETFL is O_RDWR");
    {
        struct timespec ts[2] = {{UTIME_OMIT, UTIME_OMIT}, {1500000000, 0}};

        check(futimens(fd, ts) == 0 && fstat(fd, &st) == 0 && st.st_mtim.tv_sec == 1500000000,
              "futimens");
    }
    {
        struct stat st2;

        check(stat("hello.txt", &st2) == 0 && st2.st_ino == st.st_ino && st2.st_dev == st.st_dev,
              "same inode by path and by descriptor");
        check(stat("a.txt", &st2) == 0 && st2.st_ino != st.st_ino, "different files differ");
    }
    close(fd);

    /* a larger file, through several stream chunks */
    {
        static char big[300000], back[300000];
        size_t got = 0;
        ssize_t n;

        for (size_t i = 0; i < sizeof(big); i++) {
            big[i] = (char)('a' + i % 26);
        }
        fd = open("big.bin", O_WRONLY | O_CREAT | O_EXCL, 0644);
        check(fd >= 0 && write(fd, big, sizeof(big)) == (ssize_t)sizeof(big), "write big");
        close(fd);
        check(open("big.bin", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST,
              "O_EXCL on existing is EEXIST");
        fd = open("big.bin", O_RDONLY);
        while (fd >= 0 && (n = read(fd, back + got, sizeof(back) - got)) > 0) {
            got += (size_t)n;
        }
        close(fd);
        check(got == sizeof(big) && memcmp(big, back, got) == 0, "read big back");
        check(unlink("big.bin") == 0, "unlink big");
    }

    /* read-only descriptors refuse writes */
    fd = open("hello.txt", O_RDONLY);
    errno = 0;
    check(fd >= 0 && write(fd, "x", 1) < 0, "write to read-only fd refused");
    close(fd);

    /* stat */
    check(stat("hello.txt", &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode), "stat file");
    check(stat(".", &st) == 0 && S_ISDIR(st.st_mode), "stat dir");
    check(stat("nonexistent", &st) != 0 && errno == ENOENT, "stat missing is ENOENT");

    /* mkdir, file in subdir, rmdir */
    check(mkdir("sub", 0755) == 0, "mkdir sub");
    check(mkdir("sub", 0755) != 0 && errno == EEXIST, "mkdir again is EEXIST");
    check(stat("sub", &st) == 0 && S_ISDIR(st.st_mode), "stat sub");
    fd = open("sub/inner.txt", O_WRONLY | O_CREAT, 0644);
    check(fd >= 0 && write(fd, "inner", 5) == 5, "create sub/inner.txt");
    close(fd);
    check(rmdir("sub") != 0 && errno == ENOTEMPTY, "rmdir non-empty is ENOTEMPTY");
    check(unlink("sub/inner.txt") == 0, "unlink sub/inner.txt");
    check(rmdir("sub") == 0, "rmdir sub");
    check(stat("sub", &st) != 0 && errno == ENOENT, "sub is gone");

    /* rename */
    check(rename("hello.txt", "renamed.txt") == 0, "rename");
    check(access("hello.txt", F_OK) != 0, "old name gone");
    check(read_all("renamed.txt", buf, sizeof(buf)) == 11, "new name readable");

    /* hard link */
    check(link("renamed.txt", "hard.txt") == 0, "link");
    check(stat("hard.txt", &st) == 0 && st.st_nlink == 2, "link count 2");
    check(unlink("hard.txt") == 0, "unlink hard.txt");

    /* symlink + readlink, following a symlink inside */
    check(symlink("renamed.txt", "link") == 0, "symlink");
    {
        ssize_t n = readlink("link", buf, sizeof(buf) - 1);

        check(n == 11 && memcmp(buf, "renamed.txt", 11) == 0, "readlink");
    }
    check(lstat("link", &st) == 0 && S_ISLNK(st.st_mode), "lstat link");
    check(read_all("link", buf, sizeof(buf)) == 11, "read through symlink");
    /* (a directory fd: this wasi-libc's linkat with AT_FDCWD mixes up its two paths) */
    dirfd = open(".", O_RDONLY | O_DIRECTORY);
    check(linkat(dirfd, "link", dirfd, "hard2", AT_SYMLINK_FOLLOW) == 0,
          "link following a symlink");
    close(dirfd);
    check(lstat("hard2", &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 2,
          "followed link is the file");
    check(unlink("hard2") == 0, "unlink hard2");
    check(unlink("link") == 0, "unlink symlink");

    /* utimes */
    {
        struct timespec ts[2] = {{1000000000, 0}, {1234567890, 5000}};

        check(utimensat(AT_FDCWD, "renamed.txt", ts, 0) == 0, "utimensat");
        check(stat("renamed.txt", &st) == 0 && st.st_mtim.tv_sec == 1234567890 &&
                  st.st_atim.tv_sec == 1000000000,
              "times set");
    }

    /* unlink */
    check(unlink("renamed.txt") == 0, "unlink renamed.txt");
    check(access("renamed.txt", F_OK) != 0, "renamed.txt gone");

    /* escapes: all must fail */
    dirfd = open(".", O_RDONLY | O_DIRECTORY);
    check(dirfd >= 0, "open dir");
    must_not_open(dirfd, "../outside.txt", O_RDONLY);
    must_not_open(dirfd, "d/../../outside.txt", O_RDONLY);
    must_not_open(dirfd, "/etc/passwd", O_RDONLY);
    must_not_open(dirfd, "escape", O_RDONLY);
    must_not_open(dirfd, "abs", O_RDONLY);
    must_not_open(dirfd, "updir/outside.txt", O_RDONLY);
    must_not_open(dirfd, "updir/new.txt", O_WRONLY | O_CREAT);
    must_not_open(dirfd, "escape", O_WRONLY | O_TRUNC);
    {
        /* straight to the host, past wasi-libc's own check of absolute paths */
        __wasi_fd_t nfd;
        __wasi_errno_t e =
            __wasi_path_open(dirfd, 0, "/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &nfd);

        if (e == 0) {
            printf("FAIL escaped: raw /etc/passwd\n");
            failures++;
        } else {
            printf("denied: raw /etc/passwd: %s\n", strerror(e));
        }
    }
    snprintf(path, sizeof(path), "%s/../outside.txt", dir);
    must_not_open(AT_FDCWD, path, O_RDONLY);
    errno = 0;
    check(mkdirat(dirfd, "../evil", 0755) != 0, "mkdir outside refused");
    check(symlinkat("/etc/passwd", dirfd, "newabs") != 0, "absolute symlink refused");
    printf("denied: symlink /etc/passwd: %s\n", strerror(errno));
    check(renameat(dirfd, "a.txt", dirfd, "../stolen.txt") != 0, "rename outside refused");
    check(linkat(dirfd, "escape", dirfd, "hardescape", AT_SYMLINK_FOLLOW) != 0,
          "link through escaping symlink refused");
    check(fstatat(dirfd, "escape", &st, 0) != 0, "stat through escaping symlink refused");
    check(fstatat(dirfd, "escape", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode),
          "lstat of escaping symlink itself works");
    check(unlinkat(dirfd, "../outside.txt", 0) != 0, "unlink outside refused");
    close(dirfd);

    list_dir(".");
    printf("done: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
