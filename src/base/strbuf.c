/*
 * strbuf.c - growable strings.
 */
#include "base/strbuf.h"

#include "base/error.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char wc__strbuf_empty[1];

void
wc_strbuf_init(wc_strbuf *sb, size_t hint)
{
    sb->buf = wc__strbuf_empty;
    sb->len = 0;
    sb->alloc = 0;
    if (hint != 0) {
        wc_strbuf_grow(sb, hint);
    }
}

void
wc_strbuf_release(wc_strbuf *sb)
{
    if (sb->alloc != 0) {
        free(sb->buf);
    }
    wc_strbuf_init(sb, 0);
}

void
wc_strbuf_grow(wc_strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;

    if (need < sb->len) {
        WC_BUG("strbuf size overflow");
    }
    if (need <= sb->alloc) {
        return;
    }
    if (sb->alloc == 0) {
        sb->buf = NULL;
    }
    sb->alloc = wc_grow_size(sb->alloc, need);
    sb->buf = wc_xrealloc(sb->buf, sb->alloc);
    sb->buf[sb->len] = '\0';
}

void
wc_strbuf_add(wc_strbuf *sb, const void *data, size_t len)
{
    wc_strbuf_grow(sb, len);
    memcpy(sb->buf + sb->len, data, len);
    wc_strbuf_setlen(sb, sb->len + len);
}

void
wc_strbuf_adds(wc_strbuf *sb, const char *s)
{
    wc_strbuf_add(sb, s, strlen(s));
}

void
wc_strbuf_addch(wc_strbuf *sb, int c)
{
    wc_strbuf_grow(sb, 1);
    sb->buf[sb->len++] = (char)c;
    sb->buf[sb->len] = '\0';
}

void
wc_strbuf_vaddf(wc_strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(sb->buf + sb->len, sb->alloc ? sb->alloc - sb->len : 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        WC_BUG("vsnprintf failed on format '%s'", fmt);
    }
    if ((size_t)n >= (sb->alloc ? sb->alloc - sb->len : 0)) {
        wc_strbuf_grow(sb, (size_t)n);
        n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
    }
    wc_strbuf_setlen(sb, sb->len + (size_t)n);
}

void
wc_strbuf_addf(wc_strbuf *sb, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    wc_strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void
wc_strbuf_setlen(wc_strbuf *sb, size_t len)
{
    if (len > (sb->alloc ? sb->alloc - 1 : 0)) {
        WC_BUG("strbuf setlen %zu beyond allocation %zu", len, sb->alloc);
    }
    sb->len = len;
    if (sb->alloc != 0) {
        sb->buf[len] = '\0';
    }
}

char *
wc_strbuf_detach(wc_strbuf *sb, size_t *len)
{
    char *p;

    if (sb->alloc == 0) {
        wc_strbuf_grow(sb, 0);
    }
    p = sb->buf;
    if (len != NULL) {
        *len = sb->len;
    }
    wc_strbuf_init(sb, 0);
    return p;
}
