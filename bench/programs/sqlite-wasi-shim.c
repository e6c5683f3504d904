/*
 * sqlite-wasi-shim.c - functions SQLite's shell.c calls that Debian 12's
 * wasi-libc (2022) does not define. WASI preview 1 cannot do any of them,
 * so they fail with ENOSYS (the shell reports the error and goes on):
 *   chmod     the writefile() SQL function (fileio extension, .archive)
 *   realpath  the realpath() SQL function
 *   system    .system/.shell, edit() and the .excel/.once -e viewer
 */
#include <errno.h>
#include <stdlib.h>

#include "sqlite-wasi-shim.h"

char *realpath(const char *path, char *resolved) {
    (void)path;
    (void)resolved;
    errno = ENOSYS;
    return NULL;
}

int chmod(const char *path, mode_t mode) {
    (void)path;
    (void)mode;
    errno = ENOSYS;
    return -1;
}

int system(const char *command) {
    if (command == NULL) return 0; /* no command processor */
    errno = ENOSYS;
    return -1;
}
