/*
 * parse.c - HTTP/1.1 message heads and chunked bodies (RFC 9112).
 *
 * A strict, allocation-free parser: it finds the pieces of a head in the
 * caller's buffer and says how many bytes the head took, or that more bytes
 * are needed, or what is wrong. The chunked decoder is a byte-at-a-time state
 * machine that yields data runs in place and collects trailers.
 */
#include "http/parse.h"

#include <string.h>

static int
is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Find the end of a line starting at p; returns the index after the line break or 0. */
static size_t
line_end(const char *buf, size_t len, size_t start, size_t *content_end)
{
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t i;

    if (nl == NULL) {
        return 0;
    }
    i = (size_t)(nl - buf);
    *content_end = (i > start && buf[i - 1] == '\r') ? i - 1 : i;
    return i + 1;
}

int
wc_http_parse_headers(const char *buf, size_t len, size_t start, wc_http_hdr *hdrs, size_t *nhdrs,
                      size_t *consumed)
{
    size_t pos = start, max = *nhdrs, n = 0;

    for (;;) {
        size_t end, next = line_end(buf, len, pos, &end), colon, vs, ve;

        if (next == 0) {
            return WC_HTTP_INCOMPLETE;
        }
        if (end == pos) { /* empty line: end of the header section */
            *nhdrs = n;
            *consumed = next;
            return 0;
        }
        if (buf[pos] == ' ' || buf[pos] == '\t') {
            return WC_HTTP_BAD; /* obsolete line folding */
        }
        for (colon = pos; colon < end && buf[colon] != ':'; colon++) {
            if (!is_tchar((unsigned char)buf[colon])) {
                return WC_HTTP_BAD;
            }
        }
        if (colon == end || colon == pos) {
            return WC_HTTP_BAD;
        }
        for (vs = colon + 1; vs < end && (buf[vs] == ' ' || buf[vs] == '\t'); vs++) {
        }
        for (ve = end; ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'); ve--) {
        }
        for (size_t i = vs; i < ve; i++) {
            unsigned char c = (unsigned char)buf[i];

            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return WC_HTTP_BAD;
            }
        }
        if (n == max) {
            return WC_HTTP_TOO_MANY;
        }
        hdrs[n].name = buf + pos;
        hdrs[n].name_len = colon - pos;
        hdrs[n].value = buf + vs;
        hdrs[n].value_len = ve - vs;
        n++;
        pos = next;
    }
}

int
wc_http_parse_request(const char *buf, size_t len, wc_http_head *h)
{
    size_t pos = 0, end, next, sp1, sp2, nh, consumed;
    int rc;

    /* Tolerate empty lines before the request line (RFC 9112 section 2.2). */
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n')) {
        pos++;
    }
    next = line_end(buf, len, pos, &end);
    if (next == 0) {
        return len - pos > WC_HTTP_MAX_LINE ? WC_HTTP_BAD : WC_HTTP_INCOMPLETE;
    }
    for (sp1 = pos; sp1 < end && buf[sp1] != ' '; sp1++) {
        if (!is_tchar((unsigned char)buf[sp1])) {
            return WC_HTTP_BAD;
        }
    }
    if (sp1 == pos || sp1 == end) {
        return WC_HTTP_BAD;
    }
    for (sp2 = sp1 + 1; sp2 < end && buf[sp2] != ' '; sp2++) {
        unsigned char c = (unsigned char)buf[sp2];

        if (c <= 0x20 || c == 0x7f) {
            return WC_HTTP_BAD;
        }
    }
    if (sp2 == sp1 + 1 || sp2 == end || end - sp2 - 1 != 8 ||
        memcmp(buf + sp2 + 1, "HTTP/1.", 7) != 0 || (buf[sp2 + 8] != '0' && buf[sp2 + 8] != '1')) {
        return WC_HTTP_BAD;
    }
    h->method = buf + pos;
    h->method_len = sp1 - pos;
    h->target = buf + sp1 + 1;
    h->target_len = sp2 - sp1 - 1;
    h->minor = buf[sp2 + 8] - '0';
    nh = h->nheaders;
    rc = wc_http_parse_headers(buf, len, next, h->headers, &nh, &consumed);
    if (rc != 0) {
        return rc;
    }
    h->nheaders = nh;
    h->head_len = consumed;
    return 0;
}

/* ---- chunked bodies ---- */

void
wc_http_chunked_init(wc_http_chunked *d)
{
    memset(d, 0, sizeof(*d));
}

int
wc_http_chunked_step(wc_http_chunked *d, const char *in, size_t len, size_t *used,
                     const char **data, size_t *data_len)
{
    size_t i = 0;

    *data = NULL;
    *data_len = 0;
    while (i < len) {
        char c = in[i];

        switch (d->state) {
        case CH_SIZE:
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
                int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

                if (d->size >> 59) {
                    return WC_HTTP_BAD; /* chunk size overflow */
                }
                d->size = d->size * 16 + (uint64_t)v;
                d->digits++;
            } else if (c == ';' || c == ' ' || c == '\t') {
                if (d->digits == 0) {
                    return WC_HTTP_BAD;
                }
                d->state = CH_EXT;
            } else if (c == '\r' || c == '\n') {
                if (d->digits == 0) {
                    return WC_HTTP_BAD;
                }
                d->state = c == '\r' ? CH_SIZE_LF : (d->size ? CH_DATA : CH_TRAILER);
                if (c == '\n') {
                    d->line = 0;
                }
            } else {
                return WC_HTTP_BAD;
            }
            i++;
            break;
        case CH_EXT:
            if (c == '\n') {
                d->state = d->size ? CH_DATA : CH_TRAILER;
                d->line = 0;
            }
            i++;
            break;
        case CH_SIZE_LF:
            if (c != '\n') {
                return WC_HTTP_BAD;
            }
            d->state = d->size ? CH_DATA : CH_TRAILER;
            d->line = 0;
            i++;
            break;
        case CH_DATA: {
            size_t n = len - i < d->size ? len - i : (size_t)d->size;

            *data = in + i;
            *data_len = n;
            d->size -= n;
            i += n;
            if (d->size == 0) {
                d->state = CH_DATA_CR;
            }
            *used = i;
            return 0; /* hand out this run before going on */
        }
        case CH_DATA_CR:
            if (c == '\r') {
                d->state = CH_DATA_LF;
            } else if (c == '\n') {
                d->state = CH_SIZE;
                d->digits = 0;
            } else {
                return WC_HTTP_BAD;
            }
            i++;
            break;
        case CH_DATA_LF:
            if (c != '\n') {
                return WC_HTTP_BAD;
            }
            d->state = CH_SIZE;
            d->size = 0;
            d->digits = 0;
            i++;
            break;
        case CH_TRAILER:
            /* Collect trailer lines; an empty line ends the body. */
            if (d->trailer_len >= sizeof(d->trailers)) {
                return WC_HTTP_TOO_MANY;
            }
            d->trailers[d->trailer_len++] = c;
            i++;
            if (c == '\n') {
                if (d->line == 0 || (d->line == 1 && d->trailers[d->trailer_len - 2] == '\r')) {
                    d->state = CH_DONE;
                    *used = i;
                    return 1;
                }
                d->line = 0;
            } else {
                d->line++;
            }
            break;
        case CH_DONE: *used = i; return 1;
        }
    }
    *used = i;
    return 0;
}
