/*
 * error.h - error codes and error detail for every layer.
 *
 * Functions that can fail return int: 0 on success or a negative WC_E* code.
 * Codes below -1000 are ours; -errno values pass through unchanged. An
 * optional trailing `wc_error *err` carries a human-readable message; the
 * first cause wins, so a low-level message is not overwritten by callers
 * that add nothing.
 */
#ifndef WC_BASE_ERROR_H
#define WC_BASE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum {
    WC_EINVAL = -1001,    /* bad input: malformed module, manifest, message, flag */
    WC_ENOMEM = -1002,    /* out of memory where recovery is possible */
    WC_ELIMIT = -1003,    /* a configured budget or limit would be exceeded */
    WC_ETRAP = -1004,     /* a guest trapped */
    WC_ENOTSUP = -1005,   /* valid but unsupported (e.g. SIMD) */
    WC_ENOENT = -1006,    /* a named thing does not exist */
    WC_EIO = -1007,       /* an I/O or subprocess failure */
    WC_ELINK = -1008,     /* an import could not be satisfied */
    WC_ETIMEDOUT = -1009, /* a deadline passed */
    WC_ECANCELED = -1010  /* stopped because its owner is shutting down */
};

#define WC_ERROR_MSG_MAX 512

typedef struct wc_error {
    int code;                   /* 0 while no error is recorded */
    char msg[WC_ERROR_MSG_MAX]; /* NUL-terminated; truncated if longer */
} wc_error;

#define WC_ERROR_INIT {0, {0}}

/**
 * Record an error in err (may be NULL) unless one is already recorded.
 * Returns code, so callers can write `return wc_error_set(err, WC_EINVAL, ...)`.
 */
int wc_error_set(wc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wc_error_setv(wc_error *err, int code, const char *fmt, va_list ap);

/**
 * Prepend context ("loading foo.wasm: ") to an already recorded message.
 * Does nothing if err is NULL or holds no error.
 */
void wc_error_prefix(wc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Forget a recorded error. */
void wc_error_clear(wc_error *err);

/**
 * The length of the longest prefix of s[0..n) that is well-formed UTF-8 (so a
 * text cut at a byte limit can be cut back to a character boundary).
 */
size_t wc_utf8_valid_len(const char *s, size_t n);

/** A short static name for a code ("invalid input", or strerror for -errno). */
const char *wc_strerror(int code);

/** Print "BUG: file:line: msg" and abort. For broken invariants only, never bad input. */
#define WC_BUG(...) wc__bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void wc__bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
