/*
 * error.c - recording error detail and turning codes into words.
 */
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
wc_utf8_valid_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        size_t len = p[i] < 0x80             ? 1
                     : (p[i] & 0xe0) == 0xc0 ? 2
                     : (p[i] & 0xf0) == 0xe0 ? 3
                     : (p[i] & 0xf8) == 0xf0 ? 4
                                             : 0;

        if (len == 0 || i + len > n) {
            break;
        }
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return i;
            }
        }
        i += len;
    }
    return i;
}

/* A message cut at the buffer's end may end inside a UTF-8 sequence: drop it. */
static void
trim_utf8(char *msg)
{
    msg[wc_utf8_valid_len(msg, strlen(msg))] = '\0';
}

int
wc_error_setv(wc_error *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL || err->code != 0) {
        return code;
    }
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    trim_utf8(err->msg);
    return code;
}

int
wc_error_set(wc_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    wc_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void
wc_error_prefix(wc_error *err, const char *fmt, ...)
{
    char joined[WC_ERROR_MSG_MAX];
    size_t n;
    va_list ap;

    if (err == NULL || err->code == 0) {
        return;
    }
    va_start(ap, fmt);
    n = (size_t)vsnprintf(joined, sizeof(joined), fmt, ap);
    va_end(ap);
    if (n < sizeof(joined)) {
        size_t rest = strlen(err->msg);

        if (rest > sizeof(joined) - 1 - n) {
            rest = sizeof(joined) - 1 - n;
        }
        memcpy(joined + n, err->msg, rest);
        joined[n + rest] = '\0';
    }
    memcpy(err->msg, joined, sizeof(joined));
    trim_utf8(err->msg);
}

void
wc_error_clear(wc_error *err)
{
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *
wc_strerror(int code)
{
    switch (code) {
    case 0: return "success";
    case WC_EINVAL: return "invalid input";
    case WC_ENOMEM: return "out of memory";
    case WC_ELIMIT: return "limit exceeded";
    case WC_ETRAP: return "guest trapped";
    case WC_ENOTSUP: return "not supported";
    case WC_ENOENT: return "not found";
    case WC_EIO: return "I/O error";
    case WC_ELINK: return "unresolved import";
    case WC_ETIMEDOUT: return "timed out";
    case WC_ECANCELED: return "canceled";
    default: break;
    }
    if (code < 0 && code > -4096) {
        return strerror(-code);
    }
    return "unknown error";
}

void
wc__bug(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "BUG: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
