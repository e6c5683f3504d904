/*
 * sqlite-wasi-shim.h - force-included (clang -include) into SQLite's
 * shell.c for wasm32-wasi. Debian 12's wasi-libc (2022) has no chmod() and
 * no realpath() declarations (clang would otherwise assume `int f()` and
 * warn). The definitions are in sqlite-wasi-shim.c.
 */
#ifndef SQLITE_WASI_SHIM_H
#define SQLITE_WASI_SHIM_H
#include <sys/types.h>
char *realpath(const char *path, char *resolved);
int chmod(const char *path, mode_t mode);
#endif
