/*
 * server.c - the HTTP/1.1 server: connections on a libuv loop thread,
 * handlers on worker threads, bodies through wc_pipes.
 *
 * Lifecycle of a request: the loop parses the head, creates the request
 * with a body pipe, feeds it whatever body bytes arrived, and queues the
 * request to the workers. The loop keeps feeding the body (pausing reads
 * while the pipe is full). A worker runs the handler, which calls
 * wc_http_respond(); that posts an event to the loop, which writes the head
 * and then copies the response pipe to the socket as data arrives. When
 * the response is complete and the request body consumed (or drained), the
 * connection takes its next request.
 *
 * Threads touch a request only through: the pipes (thread-safe), the
 * response fields (written by the worker before it posts the event), and
 * the event queue (mutex). Everything else belongs to the loop.
 */
#include "http/server.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "http/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define MAX_HEADERS 128
#define READ_CHUNK  (64 * 1024)
#define DRAIN_LIMIT (1u << 20) /* unread request body we will discard to keep a connection */

typedef struct conn conn;

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };
enum { EV_RESPOND, EV_DONE };

struct wc_http_req {
    atomic_int refs;
    wc_http_server *srv;
    conn *c; /* loop only; NULL once the connection is gone */
    /* The head, copied into one allocation. */
    char *head;
    const char *method, *target, *authority;
    wc_http_header *headers;
    size_t nheaders;
    wc_http_header *trailers;
    size_t ntrailers;
    char *trailer_buf;
    wc_pipe *body; /* request body: loop writes, handler reads */
    int keep_alive;
    /* Response, from the handler. */
    atomic_int responded;
    int status;
    wc_strbuf resp_head; /* formatted by the worker */
    wc_pipe *resp_body;
    int chunked;
    wc_strbuf resp_trailers;
    /* Loop state: waiting for room in the body pipe, for data in the response pipe.
     * Each initialised handle holds a reference until its close callback. */
    uv_poll_t body_poll, resp_poll;
    int body_poll_init, body_polling;
    int resp_poll_init, resp_polling;
    int head_sent, resp_done, handler_done;
    struct wc_http_req *qnext; /* worker queue */
    /* A local request (srv == NULL): the response as the handler gave it. */
    pthread_mutex_t lmu;
    pthread_cond_t lcond;
    wc_strbuf lstore; /* header names and values, NUL-separated */
    size_t lnheaders; /* in lstore */
    int lstatus;      /* 0 until responded; -1 if the handler ended without */
};

typedef struct event {
    struct event *next;
    wc_http_req *req;
    int kind;
} event;

struct conn {
    uv_tcp_t tcp;
    wc_http_server *srv;
    char *buf;
    size_t len, cap;
    wc_http_req *cur;
    int body_mode;
    uint64_t body_left;
    uint64_t body_total;
    wc_http_chunked *chunked;
    int body_complete;
    int reading, closing;
    int draining;
    uint64_t drained;
    int writes_pending;
    conn *next; /* all connections */
    conn *prev;
};

struct wc_http_server {
    wc_http_server_config cfg;
    wc_http_handler_fn fn;
    void *data;
    char addr[96];
    uv_loop_t loop;
    int listen_fd;
    uv_poll_t accept_poll;   /* readiness of listen_fd (see accept_cb) */
    uv_timer_t accept_timer; /* resumes accepting after running out of fds */
    uv_async_t async;
    pthread_t loop_thread;
    /* Events from workers. */
    pthread_mutex_t evmu;
    event *events;
    int stop_requested, stopping, loop_gone;
    uint64_t grace_deadline;
    uv_timer_t stop_timer;
    conn *conns;
    int inflight;
    /* Worker pool. */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    wc_http_req *qhead, *qtail;
    int qstop;
    pthread_t *workers;
    int nworkers;
};

static void conn_close(conn *c);
static void stop_check(uv_timer_t *t);
static void conn_process(conn *c);
static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b);
static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);

void
wc_http_server_config_init(wc_http_server_config *cfg)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    memset(cfg, 0, sizeof(*cfg));
    cfg->addr = "127.0.0.1:8080";
    cfg->workers = n > 0 ? (int)n : 2;
    cfg->max_header_bytes = 64 * 1024;
    cfg->pipe_bytes = 256 * 1024;
}

/* ---- requests ---- */

static void
req_unref(wc_http_req *r)
{
    if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1) {
        return;
    }
    wc_pipe_unref(r->body);
    if (r->resp_body != NULL) {
        wc_pipe_unref(r->resp_body);
    }
    wc_strbuf_release(&r->resp_head);
    wc_strbuf_release(&r->resp_trailers);
    free(r->head);
    free(r->headers);
    free(r->trailers);
    free(r->trailer_buf);
    free(r);
}

static int
hdr_is(const wc_http_hdr *h, const char *name)
{
    return h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0;
}

static int
value_has_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);

    for (size_t i = 0; i + tl <= n; i++) {
        if (strncasecmp(v + i, tok, tl) == 0 && (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
            (i + tl == n || v[i + tl] == ',' || v[i + tl] == ' ')) {
            return 1;
        }
    }
    return 0;
}

/* ---- writing ---- */

static void resp_poll_cb(uv_poll_t *p, int status, int events);

/* Watch the response body pipe; its eventfd is made on first use, so a body
 * that was complete when the head arrived never needs one. */
static int
resp_poll_start(wc_http_req *r)
{
    if (!r->resp_poll_init) {
        int fd = wc_pipe_readable_fd(r->resp_body);

        if (fd < 0 || uv_poll_init(&r->c->srv->loop, &r->resp_poll, fd) != 0) {
            return -1;
        }
        r->resp_poll.data = r;
        atomic_fetch_add(&r->refs, 1);
        r->resp_poll_init = 1;
    }
    if (!r->resp_polling) {
        uv_poll_start(&r->resp_poll, UV_READABLE, resp_poll_cb);
        r->resp_polling = 1;
    }
    return 0;
}

typedef struct wreq {
    uv_write_t w;
    conn *c;
    char *data;
} wreq;

static void
write_cb(uv_write_t *w, int status)
{
    wreq *wr = (wreq *)w;
    conn *c = wr->c;

    free(wr->data);
    free(wr);
    c->writes_pending--;
    if (status < 0 && !c->closing) {
        conn_close(c);
    }
    if (c->closing && c->writes_pending == 0 && !uv_is_closing((uv_handle_t *)&c->tcp)) {
        conn_close(c);
        return;
    }
    /* Room again: resume copying the response body. */
    if (!c->closing && c->cur != NULL && c->cur->head_sent && !c->cur->resp_done &&
        !c->cur->resp_polling && c->cur->resp_body != NULL && resp_poll_start(c->cur) != 0) {
        conn_close(c);
    }
}

/* Queue bytes for the socket (takes ownership of data, a malloc'd buffer). */
static void
conn_write(conn *c, char *data, size_t len)
{
    wreq *wr;
    uv_buf_t b;

    if (c->closing || len == 0) {
        free(data);
        return;
    }
    wr = wc_xcalloc(1, sizeof(*wr));
    wr->c = c;
    wr->data = data;
    b = uv_buf_init(data, (unsigned)len);
    c->writes_pending++;
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
        c->writes_pending--;
        free(data);
        free(wr);
        conn_close(c);
    }
}

static void
conn_write_str(conn *c, const char *s, size_t len)
{
    conn_write(c, wc_xmemdup(s, len), len);
}

/* An error response from the loop itself (bad request etc.); closes afterwards. */
static void
conn_error(conn *c, int status, const char *reason)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf),
                     "HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\ncontent-length: %zu\r\n"
                     "connection: close\r\n\r\n%s\n",
                     status, reason, strlen(reason) + 1, reason);

    conn_write_str(c, buf, (size_t)n);
    c->closing = 1;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
    if (c->writes_pending == 0) {
        conn_close(c);
    }
}

/* ---- the request body ---- */

static void wpoll_cb(uv_poll_t *p, int status, int events);

/* Offer body bytes to the request pipe. Returns how many were taken. */
static size_t
feed_body(conn *c, const char *data, size_t len)
{
    wc_http_req *r = c->cur;
    long n;

    if (c->draining || r == NULL) {
        c->drained += len;
        return len;
    }
    n = wc_pipe_write(r->body, data, len);
    if (n < 0) {
        /* The handler stopped reading: discard the rest of the body. */
        c->draining = 1;
        c->drained += len;
        return len;
    }
    return (size_t)n;
}

/* Move body bytes from c->buf into the pipe; may pause reading. */
static void
pump_body(conn *c)
{
    size_t off = 0;

    while (!c->body_complete && off < c->len) {
        size_t avail = c->len - off, used;

        if (c->body_mode == BODY_LENGTH) {
            size_t n = avail < c->body_left ? avail : (size_t)c->body_left, took;

            took = feed_body(c, c->buf + off, n);
            off += took;
            c->body_left -= took;
            if (c->body_left == 0) {
                c->body_complete = 1;
            }
            if (took < n) {
                break; /* pipe full */
            }
        } else {
            const char *data;
            size_t dlen;
            int rc = wc_http_chunked_step(c->chunked, c->buf + off, avail, &used, &data, &dlen);

            if (rc < 0) {
                conn_error(c, 400, "malformed chunked request body");
                return;
            }
            if (dlen > 0) {
                size_t took = feed_body(c, data, dlen);

                if (took < dlen) {
                    /* Give back what the pipe did not take and wait for room. */
                    c->chunked->size += dlen - took;
                    c->chunked->state = CH_DATA;
                    off += used - (dlen - took);
                    break;
                }
            }
            off += used;
            if (rc == 1) {
                c->body_complete = 1;
            }
        }
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    if (c->cur != NULL && c->body_complete) {
        wc_http_req *r = c->cur;

        if (c->chunked != NULL && c->chunked->trailer_len > 2) {
            wc_http_hdr hdrs[MAX_HEADERS];
            size_t nh = MAX_HEADERS, consumed;

            r->trailer_buf = wc_xmemdup(c->chunked->trailers, c->chunked->trailer_len);
            if (wc_http_parse_headers(r->trailer_buf, c->chunked->trailer_len, 0, hdrs, &nh,
                                      &consumed) == 0) {
                r->trailers = wc_xcalloc(nh + 1, sizeof(*r->trailers));
                for (size_t i = 0; i < nh; i++) {
                    r->trailers[i].name = hdrs[i].name;
                    r->trailers[i].name_len = hdrs[i].name_len;
                    r->trailers[i].value = hdrs[i].value;
                    r->trailers[i].value_len = hdrs[i].value_len;
                }
                r->ntrailers = nh;
            }
        }
        wc_pipe_close_write(r->body, 0);
    }
    if (!c->body_complete && !c->draining && c->len > 0 && c->cur != NULL) {
        wc_http_req *r = c->cur;

        /* Pipe full: stop reading until it has room. */
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = 0;
        }
        if (!r->body_poll_init) {
            int fd = wc_pipe_writable_fd(r->body);

            if (fd < 0 || uv_poll_init(&c->srv->loop, &r->body_poll, fd) != 0) {
                WC_ERR("http", "%s %s: cannot watch the request body: out of file descriptors?",
                       r->method, r->target);
                conn_close(c);
                return;
            }
            r->body_poll.data = r;
            atomic_fetch_add(&r->refs, 1);
            r->body_poll_init = 1;
        }
        if (!r->body_polling) {
            uv_poll_start(&r->body_poll, UV_READABLE, wpoll_cb);
            r->body_polling = 1;
        }
    } else if (!c->reading && !c->closing && (!c->body_complete || c->cur == NULL)) {
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
        c->reading = 1;
    }
    if (c->draining && c->drained > DRAIN_LIMIT) {
        c->closing = 1;
    }
}

static void
wpoll_cb(uv_poll_t *p, int status, int events)
{
    wc_http_req *r = p->data;
    conn *c = r->c;

    (void)status;
    (void)events;
    uv_poll_stop(p);
    r->body_polling = 0;
    if (c != NULL) {
        pump_body(c);
        conn_process(c);
    }
}

/* ---- dispatch to workers ---- */

static void
enqueue(wc_http_server *s, wc_http_req *r)
{
    pthread_mutex_lock(&s->qmu);
    r->qnext = NULL;
    if (s->qtail != NULL) {
        s->qtail->qnext = r;
    } else {
        s->qhead = r;
    }
    s->qtail = r;
    pthread_mutex_unlock(&s->qmu);
    /* Signalled after unlocking, so the woken worker does not block on qmu. */
    pthread_cond_signal(&s->qcv);
}

static void
post_event(wc_http_server *s, wc_http_req *r, int kind)
{
    event *e = wc_xcalloc(1, sizeof(*e));

    e->req = r;
    e->kind = kind;
    atomic_fetch_add(&r->refs, 1);
    pthread_mutex_lock(&s->evmu);
    if (s->loop_gone) {
        pthread_mutex_unlock(&s->evmu);
        free(e);
        req_unref(r);
        return;
    }
    e->next = s->events;
    s->events = e;
    uv_async_send(&s->async);
    pthread_mutex_unlock(&s->evmu);
}

static void *
worker_main(void *arg)
{
    wc_http_server *s = arg;

    for (;;) {
        wc_http_req *r;

        pthread_mutex_lock(&s->qmu);
        while (s->qhead == NULL && !s->qstop) {
            pthread_cond_wait(&s->qcv, &s->qmu);
        }
        if (s->qhead == NULL) {
            pthread_mutex_unlock(&s->qmu);
            break;
        }
        r = s->qhead;
        s->qhead = r->qnext;
        if (s->qhead == NULL) {
            s->qtail = NULL;
        }
        pthread_mutex_unlock(&s->qmu);

        s->fn(s->data, r);
        if (!atomic_load(&r->responded)) {
            WC_WARN("http", "%s %s: the handler gave no response; sending 500", r->method,
                    r->target);
            wc_http_respond_simple(r, 500, "text/plain", "internal server error\n", 22);
        }
        post_event(s, r, EV_DONE);
        req_unref(r); /* the worker's reference */
    }
    return NULL;
}

/* ---- requests from the socket ---- */

static int
start_request(conn *c)
{
    wc_http_server *s = c->srv;
    wc_http_hdr hdrs[MAX_HEADERS];
    wc_http_head h;
    wc_http_req *r;
    wc_strbuf copy = WC_STRBUF_INIT;
    int64_t clen = -1;
    int chunked = 0, close_hdr = 0, keep_hdr = 0, expect = 0, rc;
    size_t *offs;

    h.headers = hdrs;
    h.nheaders = MAX_HEADERS;
    rc = wc_http_parse_request(c->buf, c->len, &h);
    if (rc == WC_HTTP_INCOMPLETE) {
        if (c->len > s->cfg.max_header_bytes) {
            conn_error(c, 431, "request header fields too large");
        }
        return 0;
    }
    if (rc == WC_HTTP_TOO_MANY) {
        conn_error(c, 431, "too many request header fields");
        return 0;
    }
    if (rc != 0) {
        conn_error(c, 400, "malformed request");
        return 0;
    }
    if (h.head_len > s->cfg.max_header_bytes) {
        conn_error(c, 431, "request header fields too large");
        return 0;
    }
    for (size_t i = 0; i < h.nheaders; i++) {
        const wc_http_hdr *x = &hdrs[i];

        if (hdr_is(x, "content-length")) {
            char num[24];
            char *end;

            if (x->value_len == 0 || x->value_len >= sizeof(num)) {
                conn_error(c, 400, "invalid content-length");
                return 0;
            }
            memcpy(num, x->value, x->value_len);
            num[x->value_len] = '\0';
            if (clen >= 0 || num[0] < '0' || num[0] > '9') {
                conn_error(c, 400, "invalid content-length");
                return 0;
            }
            clen = strtoll(num, &end, 10);
            if (*end != '\0' || clen < 0) {
                conn_error(c, 400, "invalid content-length");
                return 0;
            }
        } else if (hdr_is(x, "transfer-encoding")) {
            if (!value_has_token(x->value, x->value_len, "chunked")) {
                conn_error(c, 501, "unsupported transfer-encoding");
                return 0;
            }
            chunked = 1;
        } else if (hdr_is(x, "connection")) {
            close_hdr |= value_has_token(x->value, x->value_len, "close");
            keep_hdr |= value_has_token(x->value, x->value_len, "keep-alive");
        } else if (hdr_is(x, "expect")) {
            expect = value_has_token(x->value, x->value_len, "100-continue");
        }
    }
    if (chunked && clen >= 0) {
        conn_error(c, 400, "both content-length and chunked transfer-encoding");
        return 0;
    }
    if (s->cfg.max_body_bytes != 0 && clen > 0 && (uint64_t)clen > s->cfg.max_body_bytes) {
        conn_error(c, 413, "request body too large");
        return 0;
    }

    /* Copy the head: method, target, then each header name and value, NUL-terminated. */
    offs = wc_xcalloc(2 + 2 * h.nheaders, sizeof(size_t));
    offs[0] = copy.len;
    wc_strbuf_add(&copy, h.method, h.method_len);
    wc_strbuf_addch(&copy, 0);
    offs[1] = copy.len;
    wc_strbuf_add(&copy, h.target, h.target_len);
    wc_strbuf_addch(&copy, 0);
    for (size_t i = 0; i < h.nheaders; i++) {
        offs[2 + 2 * i] = copy.len;
        for (size_t k = 0; k < hdrs[i].name_len; k++) {
            char ch = hdrs[i].name[k];

            wc_strbuf_addch(&copy, ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        wc_strbuf_addch(&copy, 0);
        offs[3 + 2 * i] = copy.len;
        wc_strbuf_add(&copy, hdrs[i].value, hdrs[i].value_len);
        wc_strbuf_addch(&copy, 0);
    }
    r = wc_xcalloc(1, sizeof(*r));
    atomic_init(&r->refs, 2); /* the loop and the worker */
    r->srv = s;
    r->c = c;
    r->head = wc_strbuf_detach(&copy, NULL);
    r->method = r->head + offs[0];
    r->target = r->head + offs[1];
    r->authority = "";
    r->headers = wc_xcalloc(h.nheaders + 1, sizeof(*r->headers));
    r->nheaders = h.nheaders;
    for (size_t i = 0; i < h.nheaders; i++) {
        r->headers[i].name = r->head + offs[2 + 2 * i];
        r->headers[i].name_len = hdrs[i].name_len;
        r->headers[i].value = r->head + offs[3 + 2 * i];
        r->headers[i].value_len = hdrs[i].value_len;
        if (strcmp(r->headers[i].name, "host") == 0) {
            r->authority = r->headers[i].value;
        }
    }
    free(offs);
    r->keep_alive = h.minor == 1 ? !close_hdr : keep_hdr;
    r->body = wc_pipe_new(s->cfg.pipe_bytes);
    if (r->body == NULL) {
        req_unref(r);
        req_unref(r);
        conn_error(c, 503, "out of resources");
        return 0;
    }
    memmove(c->buf, c->buf + h.head_len, c->len - h.head_len);
    c->len -= h.head_len;
    c->cur = r;
    c->body_mode = chunked ? BODY_CHUNKED : clen > 0 ? BODY_LENGTH : BODY_NONE;
    c->body_left = clen > 0 ? (uint64_t)clen : 0;
    c->body_complete = c->body_mode == BODY_NONE;
    c->draining = 0;
    c->drained = 0;
    if (chunked) {
        if (c->chunked == NULL) {
            c->chunked = wc_xmalloc(sizeof(*c->chunked));
        }
        wc_http_chunked_init(c->chunked);
    }
    if (c->body_complete) {
        wc_pipe_close_write(r->body, 0);
    }
    if (expect && !c->body_complete) {
        conn_write_str(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    }
    s->inflight++;
    enqueue(s, r);
    return 1;
}

static void
req_unref_close(uv_handle_t *h)
{
    req_unref(h->data);
}

/* Drop the loop's reference and close the request's poll handles (each holds one). */
static void
release_loop_ref(wc_http_req *r)
{
    if (r->body_poll_init) {
        r->body_poll_init = 0;
        r->body_polling = 0;
        uv_close((uv_handle_t *)&r->body_poll, req_unref_close);
    }
    if (r->resp_poll_init) {
        r->resp_poll_init = 0;
        r->resp_polling = 0;
        uv_close((uv_handle_t *)&r->resp_poll, req_unref_close);
    }
    req_unref(r);
}

/* The request on c is finished; take the next one. */
static void
finish_request(conn *c)
{
    wc_http_req *r = c->cur;

    c->cur = NULL;
    r->c = NULL;
    c->srv->inflight--;
    release_loop_ref(r);
}

static void
conn_process(conn *c)
{
    wc_http_server *s = c->srv;

    for (;;) {
        wc_http_req *r = c->cur;

        if (c->closing) {
            if (c->writes_pending == 0) {
                conn_close(c);
            }
            return;
        }
        if (r != NULL) {
            if (!r->resp_done || !r->handler_done) {
                return;
            }
            if (!c->body_complete) {
                /* The handler finished without reading the whole body: discard the rest. */
                wc_pipe_close_read(r->body);
                c->draining = 1;
                pump_body(c);
                if (!c->body_complete) {
                    return;
                }
            }
            if (!r->keep_alive || s->stop_requested) {
                c->closing = 1;
                finish_request(c);
                continue;
            }
            finish_request(c);
        }
        if (c->len == 0) {
            if (!c->reading) {
                uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
                c->reading = 1;
            }
            return;
        }
        if (!start_request(c)) {
            if (!c->closing && !c->reading) {
                uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
                c->reading = 1;
            }
            return;
        }
        pump_body(c);
    }
}

/* ---- reading ---- */

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    conn *c = h->data;

    (void)hint;
    if (c->cap - c->len < READ_CHUNK) {
        c->cap = c->len + READ_CHUNK;
        c->buf = wc_xrealloc(c->buf, c->cap);
    }
    *b = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    conn *c = st->data;

    (void)b;
    if (n < 0) {
        /* EOF or error: a request body cut short is an error for its reader. */
        if (c->cur != NULL && !c->body_complete) {
            wc_pipe_close_write(c->cur->body, 1);
            c->body_complete = 1;
        }
        c->closing = 1;
        if (c->reading) {
            uv_read_stop(st);
            c->reading = 0;
        }
        if (c->cur == NULL || (c->cur->resp_done && c->cur->handler_done)) {
            conn_process(c);
        }
        return;
    }
    c->len += (size_t)n;
    if (c->cur != NULL) {
        pump_body(c);
        if (c->cur != NULL && c->cur->resp_done && c->cur->handler_done) {
            conn_process(c);
        }
        return;
    }
    conn_process(c);
}

/* ---- writing the response ---- */

/* Copy what the response pipe holds to the socket; returns 1 when the body ended. */
static int
copy_response(conn *c, wc_http_req *r, wc_strbuf *out)
{
    char buf[READ_CHUNK];

    for (;;) {
        int perr = 0;
        long n;

        if (out->len > 4 * READ_CHUNK) {
            return 0; /* enough queued for now */
        }
        n = wc_pipe_read(r->resp_body, buf, sizeof(buf), &perr);
        if (n == 0) {
            return 0;
        }
        if (n < 0) {
            if (perr != 0) {
                /* The handler failed mid-body: the client must see a truncated response. */
                c->closing = 1;
                return 1;
            }
            if (r->chunked) {
                wc_strbuf_adds(out, "0\r\n");
                wc_strbuf_add(out, r->resp_trailers.buf, r->resp_trailers.len);
                wc_strbuf_adds(out, "\r\n");
            }
            return 1;
        }
        if (r->chunked) {
            wc_strbuf_addf(out, "%lx\r\n", n);
            wc_strbuf_add(out, buf, (size_t)n);
            wc_strbuf_adds(out, "\r\n");
        } else {
            wc_strbuf_add(out, buf, (size_t)n);
        }
    }
}

static void
pump_response(conn *c, wc_http_req *r)
{
    wc_strbuf out = WC_STRBUF_INIT;
    int ended = 1;

    if (!r->head_sent) {
        wc_strbuf_add(&out, r->resp_head.buf, r->resp_head.len);
        r->head_sent = 1;
    }
    if (r->resp_body != NULL) {
        ended = copy_response(c, r, &out);
    }
    if (out.len > 0) {
        size_t len;
        char *data = wc_strbuf_detach(&out, &len);

        conn_write(c, data, len);
    }
    wc_strbuf_release(&out);
    if (ended) {
        r->resp_done = 1;
        if (r->resp_polling) {
            uv_poll_stop(&r->resp_poll);
            r->resp_polling = 0;
        }
        conn_process(c);
        return;
    }
    /* Wait for more body, unless the socket is the slow side (write_cb resumes). */
    if (c->writes_pending > 4) {
        if (r->resp_polling) {
            uv_poll_stop(&r->resp_poll);
            r->resp_polling = 0;
        }
    } else if (!r->resp_polling && resp_poll_start(r) != 0) {
        WC_ERR("http", "%s %s: cannot watch the response body: out of file descriptors?", r->method,
               r->target);
        conn_close(c);
    }
}

static void
resp_poll_cb(uv_poll_t *p, int status, int events)
{
    wc_http_req *r = p->data;

    (void)status;
    (void)events;
    if (r->c == NULL) {
        uv_poll_stop(p);
        r->resp_polling = 0;
        return;
    }
    pump_response(r->c, r);
}

static void
handle_event(wc_http_server *s, event *e)
{
    wc_http_req *r = e->req;
    conn *c = r->c;

    if (e->kind == EV_RESPOND) {
        if (c == NULL) {
            /* The client went away: nobody reads the body. */
            if (r->resp_body != NULL) {
                wc_pipe_close_read(r->resp_body);
            }
        } else {
            pump_response(c, r);
        }
    } else { /* EV_DONE */
        r->handler_done = 1;
        if (c == NULL) {
            release_loop_ref(r);
        } else {
            conn_process(c);
        }
    }
    req_unref(r); /* the event's reference */
}

static void
async_cb(uv_async_t *a)
{
    wc_http_server *s = a->data;
    event *list, *rev = NULL;

    pthread_mutex_lock(&s->evmu);
    list = s->events;
    s->events = NULL;
    pthread_mutex_unlock(&s->evmu);
    /* Events were pushed LIFO: restore their order. */
    while (list != NULL) {
        event *next = list->next;

        list->next = rev;
        rev = list;
        list = next;
    }
    while (rev != NULL) {
        event *next = rev->next;

        handle_event(s, rev);
        free(rev);
        rev = next;
    }
    if (s->stop_requested && !s->stopping) {
        /* Stop accepting; the timer closes everything once idle or out of time. */
        s->stopping = 1;
        uv_close((uv_handle_t *)&s->accept_poll, NULL);
        uv_close((uv_handle_t *)&s->accept_timer, NULL);
        uv_timer_start(&s->stop_timer, stop_check, 0, 20);
    }
}

/* ---- connections ---- */

static void
conn_free_cb(uv_handle_t *h)
{
    conn *c = h->data;

    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        c->srv->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    free(c->buf);
    free(c->chunked);
    free(c);
}

static void
conn_close(conn *c)
{
    wc_http_req *r = c->cur;

    if (uv_is_closing((uv_handle_t *)&c->tcp)) {
        return;
    }
    c->closing = 1;
    if (r != NULL) {
        /* The handler may still run: end its body with an error, refuse its writes. */
        wc_pipe_close_write(r->body, c->body_complete ? 0 : 1);
        if (r->resp_body != NULL) {
            wc_pipe_close_read(r->resp_body);
        }
        c->cur = NULL;
        r->c = NULL;
        c->srv->inflight--;
        if (r->handler_done) {
            release_loop_ref(r);
        } else {
            if (r->resp_polling) {
                uv_poll_stop(&r->resp_poll);
                r->resp_polling = 0;
            }
            if (r->body_polling) {
                uv_poll_stop(&r->body_poll);
                r->body_polling = 0;
            }
        }
        /* Otherwise EV_DONE releases the loop's reference. */
    }
    uv_close((uv_handle_t *)&c->tcp, conn_free_cb);
}

static void accept_cb(uv_poll_t *p, int status, int events);

static void
accept_resume(uv_timer_t *t)
{
    wc_http_server *s = t->data;

    if (!s->stopping) {
        uv_poll_start(&s->accept_poll, UV_READABLE, accept_cb);
    }
}

/*
 * Accept what is waiting. Done here rather than with uv_listen because
 * libuv retries a failing accept in a loop until it succeeds: out of file
 * descriptors, the loop spun at full CPU and never served again. We pause
 * accepting for a moment instead, and connections wait in the backlog.
 */
static void
accept_cb(uv_poll_t *p, int status, int events)
{
    wc_http_server *s = p->data;

    (void)status;
    (void)events;
    for (int i = 0; i < 64 && !s->stop_requested; i++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        conn *c;

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                WC_WARN("http", "cannot accept connections: %s; pausing for 100 ms",
                        strerror(errno));
                uv_poll_stop(&s->accept_poll);
                uv_timer_start(&s->accept_timer, accept_resume, 100, 0);
            }
            return;
        }
        c = wc_xcalloc(1, sizeof(*c));
        c->srv = s;
        uv_tcp_init(&s->loop, &c->tcp);
        c->tcp.data = c;
        if (uv_tcp_open(&c->tcp, fd) != 0) {
            close(fd);
            uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
            continue;
        }
        uv_tcp_nodelay(&c->tcp, 1);
        c->next = s->conns;
        if (s->conns != NULL) {
            s->conns->prev = c;
        }
        s->conns = c;
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
        c->reading = 1;
    }
}

/* A non-blocking listening socket on ss, or a negative errno. */
static int
listen_on(const struct sockaddr_storage *ss)
{
    int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t len =
        ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

    if (fd < 0) {
        return -errno;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 1024) != 0) {
        int e = errno;

        close(fd);
        return -e;
    }
    return fd;
}

/* ---- starting and stopping ---- */

static int
parse_addr(const char *addr, struct sockaddr_storage *ss, wc_error *err)
{
    char host[64];
    const char *colon, *h = addr;
    size_t hl;
    long port;
    char *end;

    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');

        if (rb == NULL || rb[1] != ':') {
            return wc_error_set(err, WC_EINVAL, "invalid address \"%s\" (expected [v6]:port)",
                                addr);
        }
        h = addr + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL) {
            return wc_error_set(err, WC_EINVAL, "invalid address \"%s\" (expected host:port)",
                                addr);
        }
        hl = (size_t)(colon - addr);
    }
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535 || colon[1] == '\0' || hl >= sizeof(host)) {
        return wc_error_set(err, WC_EINVAL, "invalid address \"%s\" (bad port)", addr);
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (hl == 0 || strcmp(host, "localhost") == 0) {
        strcpy(host, "127.0.0.1");
    }
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) != 0 &&
        uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) != 0) {
        return wc_error_set(err, WC_EINVAL, "invalid address \"%s\" (not an IP address)", addr);
    }
    return 0;
}

static void *
loop_main(void *arg)
{
    wc_http_server *s = arg;

    uv_run(&s->loop, UV_RUN_DEFAULT);
    return NULL;
}

int
wc_http_server_start(const wc_http_server_config *cfg, wc_http_handler_fn fn, void *data,
                     wc_http_server **out, wc_error *err)
{
    wc_http_server *s = wc_xcalloc(1, sizeof(*s));
    struct sockaddr_storage ss;
    socklen_t namelen = sizeof(ss);
    int rc;

    memset(&ss, 0, sizeof(ss));
    s->cfg = *cfg;
    s->fn = fn;
    s->data = data;
    if ((rc = parse_addr(cfg->addr, &ss, err)) != 0) {
        free(s);
        return rc;
    }
    if ((s->listen_fd = listen_on(&ss)) < 0) {
        wc_error_set(err, WC_EIO, "cannot listen on %s: %s", cfg->addr, strerror(-s->listen_fd));
        free(s);
        return WC_EIO;
    }
    getsockname(s->listen_fd, (struct sockaddr *)&ss, &namelen);
    uv_loop_init(&s->loop);
    uv_poll_init(&s->loop, &s->accept_poll, s->listen_fd);
    s->accept_poll.data = s;
    uv_poll_start(&s->accept_poll, UV_READABLE, accept_cb);
    uv_timer_init(&s->loop, &s->accept_timer);
    s->accept_timer.data = s;
    if (ss.ss_family == AF_INET6) {
        char ip[64];

        uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
        snprintf(s->addr, sizeof(s->addr), "[%s]:%d", ip,
                 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    } else {
        char ip[32];

        uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
        snprintf(s->addr, sizeof(s->addr), "%s:%d", ip,
                 ntohs(((struct sockaddr_in *)&ss)->sin_port));
    }
    uv_async_init(&s->loop, &s->async, async_cb);
    s->async.data = s;
    uv_timer_init(&s->loop, &s->stop_timer);
    s->stop_timer.data = s;
    pthread_mutex_init(&s->evmu, NULL);
    pthread_mutex_init(&s->qmu, NULL);
    pthread_cond_init(&s->qcv, NULL);
    s->nworkers = cfg->workers > 0 ? cfg->workers : 2;
    s->workers = wc_xcalloc((size_t)s->nworkers, sizeof(pthread_t));
    for (int i = 0; i < s->nworkers; i++) {
        pthread_attr_t attr;

        /* Guests run on workers: give them room and a deep guard for stack exhaustion. */
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 8u << 20);
        pthread_attr_setguardsize(&attr, 2u << 20);
        pthread_create(&s->workers[i], &attr, worker_main, s);
        pthread_attr_destroy(&attr);
    }
    pthread_create(&s->loop_thread, NULL, loop_main, s);
    *out = s;
    return 0;
}

const char *
wc_http_server_addr(const wc_http_server *s)
{
    return s->addr;
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) {
        uv_close(h, NULL);
    }
}

/* On the loop: stop when idle or past the grace period. */
static void
stop_check(uv_timer_t *t)
{
    wc_http_server *s = t->data;
    conn *c, *next;

    if (s->inflight > 0 && uv_hrtime() < s->grace_deadline) {
        return;
    }
    uv_timer_stop(t);
    pthread_mutex_lock(&s->evmu);
    s->loop_gone = 1; /* late events from handlers are dropped from now on */
    pthread_mutex_unlock(&s->evmu);
    for (c = s->conns; c != NULL; c = next) {
        next = c->next;
        conn_close(c);
    }
    uv_close((uv_handle_t *)&s->async, NULL);
    uv_close((uv_handle_t *)&s->stop_timer, NULL);
}

void
wc_http_server_stop(wc_http_server *s, uint64_t grace_ns)
{
    pthread_mutex_lock(&s->evmu);
    s->stop_requested = 1;
    s->grace_deadline = uv_hrtime() + grace_ns;
    pthread_mutex_unlock(&s->evmu);
    uv_async_send(&s->async);
    pthread_join(s->loop_thread, NULL);
    uv_walk(&s->loop, close_walk_cb, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    close(s->listen_fd);
    pthread_mutex_lock(&s->qmu);
    s->qstop = 1;
    pthread_cond_broadcast(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    for (int i = 0; i < s->nworkers; i++) {
        pthread_join(s->workers[i], NULL);
    }
    free(s->workers);
    pthread_mutex_destroy(&s->evmu);
    pthread_mutex_destroy(&s->qmu);
    pthread_cond_destroy(&s->qcv);
    free(s);
}

/* ---- request accessors and responses (worker side) ---- */

const char *
wc_http_req_method(const wc_http_req *r)
{
    return r->method;
}

const char *
wc_http_req_target(const wc_http_req *r)
{
    return r->target;
}

const char *
wc_http_req_authority(const wc_http_req *r)
{
    return r->authority;
}

size_t
wc_http_req_nheaders(const wc_http_req *r)
{
    return r->nheaders;
}

const wc_http_header *
wc_http_req_header(const wc_http_req *r, size_t i)
{
    return &r->headers[i];
}

wc_pipe *
wc_http_req_body(wc_http_req *r)
{
    return r->body;
}

size_t
wc_http_req_ntrailers(const wc_http_req *r)
{
    return r->ntrailers;
}

const wc_http_header *
wc_http_req_trailer(const wc_http_req *r, size_t i)
{
    return &r->trailers[i];
}

static const char *
reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

static int
hdr_named(const wc_http_header *h, const char *name)
{
    return h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0;
}

/* ---- local requests ---- */

static void local_respond(wc_http_req *r, int status, const wc_http_header *headers, size_t n,
                          wc_pipe *body);

wc_http_req *
wc_http_req_local(const char *method, const char *target, const char *authority,
                  const wc_http_header *headers, size_t n, wc_pipe *body)
{
    wc_http_req *r = wc_xcalloc(1, sizeof(*r));
    wc_strbuf head = WC_STRBUF_INIT;
    size_t *at = wc_xcalloc(2 * n + 3, sizeof(size_t)), k = 0;

    /* One allocation for the strings, as for a parsed request. */
    at[k++] = head.len, wc_strbuf_add(&head, method, strlen(method) + 1);
    at[k++] = head.len, wc_strbuf_add(&head, target, strlen(target) + 1);
    at[k++] = head.len, wc_strbuf_add(&head, authority, strlen(authority) + 1);
    for (size_t i = 0; i < n; i++) {
        at[k++] = head.len, wc_strbuf_add(&head, headers[i].name, headers[i].name_len);
        wc_strbuf_addch(&head, 0);
        at[k++] = head.len, wc_strbuf_add(&head, headers[i].value, headers[i].value_len);
        wc_strbuf_addch(&head, 0);
    }
    r->head = wc_strbuf_detach(&head, NULL);
    r->method = r->head + at[0];
    r->target = r->head + at[1];
    r->authority = r->head + at[2];
    r->headers = wc_xcalloc(n + 1, sizeof(*r->headers));
    for (size_t i = 0; i < n; i++) {
        r->headers[i].name = r->head + at[3 + 2 * i];
        r->headers[i].name_len = headers[i].name_len;
        r->headers[i].value = r->head + at[4 + 2 * i];
        r->headers[i].value_len = headers[i].value_len;
    }
    r->nheaders = n;
    free(at);
    if (body == NULL) { /* the handler reads an empty body */
        body = wc_pipe_new(1);
        wc_pipe_close_write(body, 0);
    }
    r->body = body;
    atomic_init(&r->refs, 1);
    pthread_mutex_init(&r->lmu, NULL);
    pthread_cond_init(&r->lcond, NULL);
    return r;
}

static void
local_respond(wc_http_req *r, int status, const wc_http_header *headers, size_t n, wc_pipe *body)
{
    pthread_mutex_lock(&r->lmu);
    for (size_t i = 0; i < n; i++) {
        wc_strbuf_add(&r->lstore, headers[i].name, headers[i].name_len);
        wc_strbuf_addch(&r->lstore, 0);
        wc_strbuf_add(&r->lstore, headers[i].value, headers[i].value_len);
        wc_strbuf_addch(&r->lstore, 0);
    }
    r->lnheaders = n;
    r->resp_body = body;
    r->lstatus = status;
    pthread_cond_broadcast(&r->lcond);
    pthread_mutex_unlock(&r->lmu);
}

void
wc_http_req_local_ended(wc_http_req *r)
{
    pthread_mutex_lock(&r->lmu);
    if (r->lstatus == 0) {
        r->lstatus = -1;
    }
    pthread_cond_broadcast(&r->lcond);
    pthread_mutex_unlock(&r->lmu);
}

int
wc_http_req_local_wait(wc_http_req *r, wc_http_header **headers, size_t *n, wc_pipe **body)
{
    int status;

    pthread_mutex_lock(&r->lmu);
    while (r->lstatus == 0) {
        pthread_cond_wait(&r->lcond, &r->lmu);
    }
    status = r->lstatus;
    pthread_mutex_unlock(&r->lmu);
    *headers = NULL, *n = 0, *body = NULL;
    if (status < 0) {
        return -1;
    }
    *headers = wc_xcalloc(r->lnheaders + 1, sizeof(**headers));
    for (size_t i = 0, at = 0; i < r->lnheaders; i++) {
        (*headers)[i].name = r->lstore.buf + at;
        (*headers)[i].name_len = strlen(r->lstore.buf + at);
        at += (*headers)[i].name_len + 1;
        (*headers)[i].value = r->lstore.buf + at;
        (*headers)[i].value_len = strlen(r->lstore.buf + at);
        at += (*headers)[i].value_len + 1;
    }
    *n = r->lnheaders;
    *body = r->resp_body;
    r->resp_body = NULL;
    return status;
}

const char *
wc_http_req_local_trailers(wc_http_req *r)
{
    return r->resp_trailers.buf;
}

void
wc_http_req_local_free(wc_http_req *r)
{
    if (r == NULL) {
        return;
    }
    if (r->resp_body != NULL) {
        wc_pipe_close_read(r->resp_body);
        wc_pipe_unref(r->resp_body);
    }
    if (r->body != NULL) {
        wc_pipe_close_read(r->body);
        wc_pipe_unref(r->body);
    }
    wc_strbuf_release(&r->lstore);
    wc_strbuf_release(&r->resp_trailers);
    wc_strbuf_release(&r->resp_head);
    pthread_mutex_destroy(&r->lmu);
    pthread_cond_destroy(&r->lcond);
    free(r->headers);
    free(r->head);
    free(r);
}

int
wc_http_respond(wc_http_req *r, int status, const wc_http_header *headers, size_t n, wc_pipe *body,
                int64_t content_length)
{
    wc_strbuf *h = &r->resp_head;
    int no_body = status == 204 || status == 304 || (status >= 100 && status < 200) ||
                  strcmp(r->method, "HEAD") == 0;

    if (atomic_exchange(&r->responded, 1)) {
        if (body != NULL) {
            wc_pipe_close_read(body);
            wc_pipe_unref(body);
        }
        return WC_EINVAL;
    }
    if (r->srv == NULL) {
        local_respond(r, status, headers, n, body);
        return 0;
    }
    wc_strbuf_addf(h, "HTTP/1.1 %d %s\r\n", status, reason(status));
    for (size_t i = 0; i < n; i++) {
        /* Framing is ours to decide. */
        if (hdr_named(&headers[i], "content-length") ||
            hdr_named(&headers[i], "transfer-encoding") || hdr_named(&headers[i], "connection")) {
            continue;
        }
        wc_strbuf_add(h, headers[i].name, headers[i].name_len);
        wc_strbuf_adds(h, ": ");
        wc_strbuf_add(h, headers[i].value, headers[i].value_len);
        wc_strbuf_adds(h, "\r\n");
    }
    if (no_body) {
        if (body != NULL) {
            wc_pipe_close_read(body);
            wc_pipe_unref(body);
            body = NULL;
        }
    } else if (body == NULL) {
        wc_strbuf_adds(h, "content-length: 0\r\n");
    } else if (content_length >= 0) {
        wc_strbuf_addf(h, "content-length: %lld\r\n", (long long)content_length);
    } else {
        wc_strbuf_adds(h, "transfer-encoding: chunked\r\n");
        r->chunked = 1;
    }
    if (!r->keep_alive) {
        wc_strbuf_adds(h, "connection: close\r\n");
    }
    wc_strbuf_adds(h, "\r\n");
    r->status = status;
    r->resp_body = body;
    post_event(r->srv, r, EV_RESPOND);
    return 0;
}

void
wc_http_set_trailers(wc_http_req *r, const wc_http_header *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        wc_strbuf_add(&r->resp_trailers, t[i].name, t[i].name_len);
        wc_strbuf_adds(&r->resp_trailers, ": ");
        wc_strbuf_add(&r->resp_trailers, t[i].value, t[i].value_len);
        wc_strbuf_adds(&r->resp_trailers, "\r\n");
    }
}

int
wc_http_respond_simple(wc_http_req *r, int status, const char *content_type, const void *body,
                       size_t len)
{
    wc_http_header h = {"content-type", 12, content_type, strlen(content_type)};
    wc_pipe *p = len > 0 ? wc_pipe_new(len) : NULL;
    int rc;

    if (p != NULL) {
        wc_pipe_write(p, body, len);
        wc_pipe_close_write(p, 0);
    }
    rc = wc_http_respond(r, status, &h, 1, p, (int64_t)len);
    return rc;
}
