/*
 * parse.h - parsing HTTP/1.1 heads and chunked bodies (used by server.c and
 * the tests; see parse.c).
 */
#ifndef WC_HTTP_PARSE_H
#define WC_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum { WC_HTTP_INCOMPLETE = -2, WC_HTTP_BAD = -1, WC_HTTP_TOO_MANY = -3 };

#define WC_HTTP_MAX_LINE 8192

typedef struct wc_http_hdr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} wc_http_hdr;

typedef struct wc_http_head {
    const char *method;
    size_t method_len;
    const char *target;
    size_t target_len;
    int minor;            /* HTTP/1.minor */
    wc_http_hdr *headers; /* caller's array */
    size_t nheaders;      /* in: capacity; out: count */
    size_t head_len;      /* bytes of the head, including the empty line */
} wc_http_head;

/** Parse a request head in buf. 0 on success, WC_HTTP_INCOMPLETE, _BAD or _TOO_MANY. */
int wc_http_parse_request(const char *buf, size_t len, wc_http_head *h);
/** Parse header lines starting at start up to and including an empty line. */
int wc_http_parse_headers(const char *buf, size_t len, size_t start, wc_http_hdr *hdrs,
                          size_t *nhdrs, size_t *consumed);

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

typedef struct wc_http_chunked {
    int state;
    uint64_t size;
    int digits;
    size_t line;
    char trailers[8192]; /* raw trailer section, ending with the empty line */
    size_t trailer_len;
} wc_http_chunked;

void wc_http_chunked_init(wc_http_chunked *d);
/**
 * Consume input; *used bytes were taken. A data run, if any, is returned in
 * data and data_len (pointing into in). Returns 0 (call again with the rest),
 * 1 at the end of the body, or WC_HTTP_BAD / WC_HTTP_TOO_MANY.
 */
int wc_http_chunked_step(wc_http_chunked *d, const char *in, size_t len, size_t *used,
                         const char **data, size_t *data_len);

#endif
