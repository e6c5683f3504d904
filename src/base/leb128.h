/*
 * leb128.h - LEB128 integers and length-prefixed byte strings, as the wRPC
 * value encoding writes them (component/wire.c has the whole encoding; the
 * host's and wash's HTTP bridges use these pieces directly).
 *
 * Readers take a cursor (*p, advanced on success) and the end of the bytes
 * at hand, and return 0, 1 if the bytes end inside the value (more may come
 * later), or -1 if it is malformed.
 */
#ifndef WC_BASE_LEB128_H
#define WC_BASE_LEB128_H

#include "base/strbuf.h"

#include <stddef.h>
#include <stdint.h>

static inline void
wc_leb_put(wc_strbuf *sb, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;

        v >>= 7;
        wc_strbuf_addch(sb, v ? b | 0x80 : b);
    } while (v);
}

/* A length, then the bytes. */
static inline void
wc_leb_put_bytes(wc_strbuf *sb, const void *p, size_t n)
{
    wc_leb_put(sb, n);
    wc_strbuf_add(sb, p, n);
}

static inline int
wc_leb_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;

    *v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (q == end) {
            return 1;
        }
        *v |= (uint64_t)(*q & 0x7f) << shift;
        if (!(*q++ & 0x80)) {
            *p = q;
            return 0;
        }
    }
    return -1;
}

/* A length-prefixed byte string: *b points into the input. */
static inline int
wc_leb_get_bytes(const uint8_t **p, const uint8_t *end, const uint8_t **b, size_t *n)
{
    const uint8_t *q = *p;
    uint64_t len;
    int rc = wc_leb_get(&q, end, &len);

    if (rc != 0) {
        return rc;
    }
    if ((uint64_t)(end - q) < len) {
        return 1;
    }
    *b = q, *n = (size_t)len;
    *p = q + len;
    return 0;
}

#endif
