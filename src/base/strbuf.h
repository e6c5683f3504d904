/*
 * strbuf.h - a growable, always NUL-terminated byte string (Git's shape).
 *
 * A wc_strbuf owns its buffer. Initialise with WC_STRBUF_INIT or
 * wc_strbuf_init(); release with wc_strbuf_release(), after which it is
 * empty and reusable. buf is never NULL and always NUL-terminated, so it can
 * be passed to functions expecting a C string (it may also hold NUL bytes).
 */
#ifndef WC_BASE_STRBUF_H
#define WC_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct wc_strbuf {
    char *buf;
    size_t len;   /* bytes in use, excluding the terminating NUL */
    size_t alloc; /* bytes allocated, 0 while buf points at the shared empty string */
} wc_strbuf;

extern char wc__strbuf_empty[];
#define WC_STRBUF_INIT {wc__strbuf_empty, 0, 0}

void wc_strbuf_init(wc_strbuf *sb, size_t hint);
void wc_strbuf_release(wc_strbuf *sb);
/** Make room for at least extra more bytes. */
void wc_strbuf_grow(wc_strbuf *sb, size_t extra);
void wc_strbuf_add(wc_strbuf *sb, const void *data, size_t len);
void wc_strbuf_adds(wc_strbuf *sb, const char *s);
void wc_strbuf_addch(wc_strbuf *sb, int c);
void wc_strbuf_addf(wc_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wc_strbuf_vaddf(wc_strbuf *sb, const char *fmt, va_list ap);
/** Set the length to len (<= current length). */
void wc_strbuf_setlen(wc_strbuf *sb, size_t len);
#define wc_strbuf_reset(sb) wc_strbuf_setlen((sb), 0)
/** Give away the buffer (caller frees with free()); sb becomes empty. */
char *wc_strbuf_detach(wc_strbuf *sb, size_t *len);

#endif
