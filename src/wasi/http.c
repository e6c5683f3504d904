/*
 * http.c - wasi:http/types and wasi:http/outgoing-handler, and running a
 * wasi:http/incoming-handler for a request from the HTTP server.
 *
 * Bodies are wc_pipes end to end: an incoming request body is the server's
 * pipe, read by the guest through an input-stream; an outgoing response body
 * is a pipe the guest writes through an output-stream and the server copies
 * to the socket. Outgoing requests run on a libcurl thread each, with both
 * bodies streaming through pipes, so nothing is buffered whole.
 */
#include "wasi/http.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"
#include "wasi/internal.h"

#include <curl/curl.h>
#include <stddef.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define TYPES      "wasi:http/types"
#define PIPE_BYTES (256 * 1024)

/* ---- fields ---- */

typedef struct hfield {
    char *name; /* lower case */
    uint8_t *value;
    size_t len;
} hfield;

typedef struct fields {
    WC_VEC(hfield) v;
    int immutable;
    int refs; /* a request's or response's headers are shared with their child handles */
} fields;

static fields *
fields_new(void)
{
    fields *f = wc_xcalloc(1, sizeof(fields));

    f->refs = 1;
    return f;
}

static void
fields_free(fields *f)
{
    if (f == NULL || --f->refs > 0) {
        return;
    }
    for (size_t i = 0; i < f->v.n; i++) {
        free(f->v.v[i].name);
        free(f->v.v[i].value);
    }
    wc_vec_free(&f->v);
    free(f);
}

static void
fields_add(fields *f, const char *name, size_t nlen, const void *value, size_t vlen)
{
    hfield h;

    h.name = wc_xstrndup(name, nlen);
    for (char *p = h.name; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p += 32;
        }
    }
    h.value = wc_xmemdup(value, vlen ? vlen : 1);
    h.len = vlen;
    wc_vec_push(&f->v, h);
}

static fields *
fields_clone(const fields *f)
{
    fields *c = fields_new();

    for (size_t i = 0; i < f->v.n; i++) {
        fields_add(c, f->v.v[i].name, strlen(f->v.v[i].name), f->v.v[i].value, f->v.v[i].len);
    }
    return c;
}

static int
name_eq(const hfield *h, const char *name, size_t len)
{
    return strlen(h->name) == len && strncasecmp(h->name, name, len) == 0;
}

static void
fields_delete(fields *f, const char *name, size_t len)
{
    size_t k = 0;

    for (size_t i = 0; i < f->v.n; i++) {
        if (name_eq(&f->v.v[i], name, len)) {
            free(f->v.v[i].name);
            free(f->v.v[i].value);
        } else {
            f->v.v[k++] = f->v.v[i];
        }
    }
    f->v.n = k;
}

/* header-error cases */
enum { HE_INVALID = 0, HE_FORBIDDEN = 1, HE_IMMUTABLE = 2 };

static int
valid_name(const char *s, size_t n)
{
    if (n == 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c) != NULL)) {
            return 0;
        }
    }
    return 1;
}

static int
valid_value(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Hop-by-hop headers belong to the connection, which the host manages. */
static int
forbidden(const char *s, size_t n)
{
    static const char *const names[] = {"connection",        "keep-alive", "proxy-connection",
                                        "transfer-encoding", "upgrade",    "http2-settings"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
header_error(wc_ccall *call, wc_cval *result, int which)
{
    cv_err(result, cv_enum(call, (uint32_t)which));
    return 0;
}

/* Validate a (name, value) pair; -1 if fine, else the header-error case. */
static int
check_header(fields *f, const char *name, size_t nlen, const uint8_t *value, size_t vlen)
{
    if (f->immutable) {
        return HE_IMMUTABLE;
    }
    if (!valid_name(name, nlen) || !valid_value(value, vlen)) {
        return HE_INVALID;
    }
    if (forbidden(name, nlen)) {
        return HE_FORBIDDEN;
    }
    return -1;
}

static void
drop_fields(void *host, void *obj)
{
    (void)host;
    fields_free(obj);
}

HOSTFN(fields_constructor)
{
    (void)args;
    (void)err;
    cv_set_own(call, result, WASI(data)->fields, fields_new());
    return 0;
}

HOSTFN(fields_from_list)
{
    const wc_cval *list = &args[0];
    fields *f = fields_new();

    (void)err;
    for (size_t i = 0; i < list->u.list.n; i++) {
        const wc_cval *kv = list->u.list.elems[i].u.fields;
        int bad =
            check_header(f, kv[0].u.str.ptr, kv[0].u.str.len, kv[1].u.list.bytes, kv[1].u.list.n);

        if (bad >= 0) {
            fields_free(f);
            return header_error(call, result, bad);
        }
        fields_add(f, kv[0].u.str.ptr, kv[0].u.str.len, kv[1].u.list.bytes, kv[1].u.list.n);
    }
    cv_ok(result, cv_own(call, WASI(data)->fields, f));
    return 0;
}

HOSTFN(fields_get)
{
    fields *f = arg_obj(call, &args[0], WASI(data)->fields);
    size_t n = 0;
    wc_cval *vals;

    if (f == NULL) {
        return wc__bad_handle(err, "fields");
    }
    vals = cv_alloc(call, f->v.n);
    for (size_t i = 0; i < f->v.n; i++) {
        if (name_eq(&f->v.v[i], args[1].u.str.ptr, args[1].u.str.len)) {
            vals[n].u.list.bytes = f->v.v[i].value;
            vals[n].u.list.n = f->v.v[i].len;
            n++;
        }
    }
    result->u.list.elems = vals;
    result->u.list.n = n;
    return 0;
}

HOSTFN(fields_has)
{
    fields *f = arg_obj(call, &args[0], WASI(data)->fields);

    if (f == NULL) {
        return wc__bad_handle(err, "fields");
    }
    result->u.b = 0;
    for (size_t i = 0; i < f->v.n; i++) {
        result->u.b |= name_eq(&f->v.v[i], args[1].u.str.ptr, args[1].u.str.len);
    }
    return 0;
}

HOSTFN(fields_set)
{
    fields *f = arg_obj(call, &args[0], WASI(data)->fields);
    const wc_cval *name = &args[1], *vals = &args[2];

    if (f == NULL) {
        return wc__bad_handle(err, "fields");
    }
    for (size_t i = 0; i < vals->u.list.n; i++) {
        int bad = check_header(f, name->u.str.ptr, name->u.str.len,
                               vals->u.list.elems[i].u.list.bytes, vals->u.list.elems[i].u.list.n);

        if (bad >= 0) {
            return header_error(call, result, bad);
        }
    }
    if (f->immutable) {
        return header_error(call, result, HE_IMMUTABLE);
    }
    fields_delete(f, name->u.str.ptr, name->u.str.len);
    for (size_t i = 0; i < vals->u.list.n; i++) {
        fields_add(f, name->u.str.ptr, name->u.str.len, vals->u.list.elems[i].u.list.bytes,
                   vals->u.list.elems[i].u.list.n);
    }
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(fields_delete_)
{
    fields *f = arg_obj(call, &args[0], WASI(data)->fields);

    if (f == NULL) {
        return wc__bad_handle(err, "fields");
    }
    if (f->immutable) {
        return header_error(call, result, HE_IMMUTABLE);
    }
    if (!valid_name(args[1].u.str.ptr, args[1].u.str.len)) {
        return header_error(call, result, HE_INVALID);
    }
    if (forbidden(args[1].u.str.ptr, args[1].u.str.len)) {
        return header_error(call, result, HE_FORBIDDEN);
    }
    fields_delete(f, args[1].u.str.ptr, args[1].u.str.len);
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(fields_append)
{
    fields *f = arg_obj(call, &args[0], WASI(data)->fields);
    int bad;

    if (f == NULL) {
        return wc__bad_handle(err, "fields");
    }
    bad = check_header(f, args[1].u.str.ptr, args[1].u.str.len, args[2].u.list.bytes,
                       args[2].u.list.n);
    if (bad >= 0) {
        return header_error(call, result, bad);
    }
    fields_add(f, args[1].u.str.ptr, args[1].u.str.len, args[2].u.list.bytes, args[2].u.list.n);
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(fields_entries)
{
    fields *f = arg_obj(call, &args[0], WASI(data)->fields);
    wc_cval *list;

    if (f == NULL) {
        return wc__bad_handle(err, "fields");
    }
    list = cv_alloc(call, f->v.n);
    for (size_t i = 0; i < f->v.n; i++) {
        wc_cval *kv = cv_alloc(call, 2);

        kv[0].u.str.ptr = f->v.v[i].name;
        kv[0].u.str.len = strlen(f->v.v[i].name);
        kv[1].u.list.bytes = f->v.v[i].value;
        kv[1].u.list.n = f->v.v[i].len;
        list[i].u.fields = kv;
    }
    result->u.list.elems = list;
    result->u.list.n = f->v.n;
    return 0;
}

HOSTFN(fields_clone_)
{
    fields *f = arg_obj(call, &args[0], WASI(data)->fields);
    fields *c;

    if (f == NULL) {
        return wc__bad_handle(err, "fields");
    }
    c = fields_clone(f);
    cv_set_own(call, result, WASI(data)->fields, c);
    return 0;
}

/* A fresh immutable copy handed to the guest (request and response headers). */
static void
own_immutable_copy(wc_ccall *call, wc_wasi *w, const fields *f, wc_cval *out)
{
    fields *c = fields_clone(f);

    c->immutable = 1;
    cv_set_own(call, out, w->fields, c);
}

/* ---- methods and schemes ---- */

static const char *const method_names[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static void
method_to_cval(wc_ccall *call, const char *m, wc_cval *out)
{
    for (uint32_t i = 0; i < 9; i++) {
        if (strcmp(m, method_names[i]) == 0) {
            out->u.var.disc = i;
            out->u.var.val = NULL;
            return;
        }
    }
    out->u.var.disc = 9; /* other(string) */
    out->u.var.val = cv_string(call, m);
}

static char *
method_from_cval(const wc_cval *v)
{
    if (v->u.var.disc < 9) {
        return wc_xstrdup(method_names[v->u.var.disc]);
    }
    return wc_xstrndup(v->u.var.val->u.str.ptr, v->u.var.val->u.str.len);
}

/* ---- bodies as streams ---- */

typedef struct pipestream {
    wc_stream base;
    wc_pipe *pipe;
    uint64_t written;
    uint64_t limit; /* content-length promised, or UINT64_MAX */
} pipestream;

static int
ps_check_write(wc_stream *s, uint64_t *room, wc_error *err)
{
    pipestream *p = (pipestream *)s;

    (void)err;
    if (wc_pipe_read_closed(p->pipe)) {
        return WC_STREAM_CLOSED;
    }
    *room = wc_pipe_space(p->pipe);
    return WC_STREAM_OK;
}

static int
ps_write(wc_stream *s, const uint8_t *data, size_t len, wc_error *err)
{
    pipestream *p = (pipestream *)s;

    if (p->written + len > p->limit) {
        return wc_error_set(err, WC_EINVAL, "body longer than its content-length (%llu)",
                            (unsigned long long)p->limit);
    }
    /* Writes within check-write never block; larger ones wait for the socket. */
    if (wc_pipe_write_all(p->pipe, data, len) != 0) {
        return WC_STREAM_CLOSED;
    }
    p->written += len;
    return WC_STREAM_OK;
}

static int
ps_flush(wc_stream *s, int blocking, wc_error *err)
{
    (void)s;
    (void)blocking;
    (void)err;
    return WC_STREAM_OK;
}

static int
ps_read(wc_stream *s, uint8_t *buf, size_t max, size_t *got, int blocking, wc_error *err)
{
    pipestream *p = (pipestream *)s;

    *got = 0;
    for (;;) {
        int perr = 0;
        long n = wc_pipe_read(p->pipe, buf, max, &perr);

        if (n > 0) {
            *got = (size_t)n;
            return WC_STREAM_OK;
        }
        if (n < 0) {
            if (perr != 0) {
                return wc_error_set(err, WC_EIO, "the body ended early (connection lost)");
            }
            return WC_STREAM_CLOSED;
        }
        if (!blocking || max == 0) {
            return WC_STREAM_OK;
        }
        if (wc_pipe_wait_readable(p->pipe) != 0 && wc_call_interrupted()) {
            return wc_error_set(err, WC_ETRAP, "deadline exceeded");
        }
    }
}

static int
ps_ready(wc_stream *s, int *fd, short *events)
{
    pipestream *p = (pipestream *)s;
    struct pollfd pf;

    pf.fd = s->is_output ? wc_pipe_writable_fd(p->pipe) : wc_pipe_readable_fd(p->pipe);
    pf.events = POLLIN;
    pf.revents = 0;
    if (poll(&pf, 1, 0) > 0) {
        return 1;
    }
    *fd = pf.fd;
    *events = POLLIN;
    return 0;
}

static void
ps_free(wc_stream *s)
{
    pipestream *p = (pipestream *)s;

    if (s->is_output) {
        /* A body dropped without finish is incomplete. */
        wc_pipe_close_write(p->pipe, 1);
    }
    wc_pipe_unref(p->pipe);
    free(p);
}

static const wc_stream_ops pipe_ops = {ps_check_write, ps_write, ps_flush,
                                       ps_read,        ps_ready, ps_free};

/* A stream over one end of a pipe (takes a reference). */
static pipestream *
pipe_stream(wc_pipe *pipe, int is_output, uint64_t limit)
{
    pipestream *p = wc_xcalloc(1, sizeof(*p));

    p->base.ops = &pipe_ops;
    p->base.is_output = is_output;
    p->base.refs = 1;
    p->pipe = pipe;
    p->limit = limit;
    wc_pipe_ref(pipe);
    return p;
}

/* ---- incoming bodies and trailers ---- */

typedef struct trailers_src {
    wc_http_req *server; /* server request: trailers after the body */
    fields *fixed;       /* or a known set (NULL: none) */
} trailers_src;

typedef struct incoming_body {
    wc_pipe *pipe; /* our reference */
    int stream_taken;
    trailers_src trailers;
} incoming_body;

typedef struct future_trailers {
    wc_pipe *pipe; /* ready when the body has ended */
    trailers_src trailers;
    int taken;
} future_trailers;

static void
drop_incoming_body(void *host, void *obj)
{
    incoming_body *b = obj;

    (void)host;
    wc_pipe_unref(b->pipe);
    fields_free(b->trailers.fixed);
    free(b);
}

HOSTFN(incoming_body_stream)
{
    incoming_body *b = arg_obj(call, &args[0], WASI(data)->incoming_body);
    pipestream *p;

    if (b == NULL) {
        return wc__bad_handle(err, "incoming-body");
    }
    if (b->stream_taken) {
        cv_err(result, NULL);
        return 0;
    }
    b->stream_taken = 1;
    p = pipe_stream(b->pipe, 0, UINT64_MAX);
    cv_ok(result, cv_own(call, WASI(data)->input_stream, &p->base));
    return 0;
}

static void
drop_future_trailers(void *host, void *obj)
{
    future_trailers *f = obj;

    (void)host;
    wc_pipe_unref(f->pipe);
    fields_free(f->trailers.fixed);
    free(f);
}

HOSTFN(incoming_body_finish)
{
    incoming_body *b = arg_take(call, &args[0], WASI(data)->incoming_body);
    future_trailers *f;

    if (b == NULL) {
        return wc__bad_handle(err, "incoming-body");
    }
    f = wc_xcalloc(1, sizeof(*f));
    f->pipe = b->pipe;
    f->trailers = b->trailers;
    free(b);
    cv_set_own(call, result, WASI(data)->future_trailers, f);
    return 0;
}

static int
trailers_ready(void *arg, int *fd, short *events)
{
    future_trailers *f = arg;

    if (wc_pipe_write_closed(f->pipe)) {
        return 1;
    }
    *fd = wc_pipe_readable_fd(f->pipe);
    *events = POLLIN;
    return 0;
}

HOSTFN(future_trailers_subscribe)
{
    future_trailers *f = arg_obj(call, &args[0], WASI(data)->future_trailers);

    if (f == NULL) {
        return wc__bad_handle(err, "future-trailers");
    }
    cv_set_own(call, result, WASI(data)->pollable, wc_pollable_custom(trailers_ready, f));
    return 0;
}

HOSTFN(future_trailers_get)
{
    future_trailers *f = arg_obj(call, &args[0], WASI(data)->future_trailers);
    wc_cval *outer, *inner, *opt;
    fields *t = NULL;

    if (f == NULL) {
        return wc__bad_handle(err, "future-trailers");
    }
    /* option<result<result<option<trailers>, error-code>>> */
    if (!wc_pipe_write_closed(f->pipe)) {
        result->u.var.disc = 0; /* none: not ready */
        return 0;
    }
    outer = cv_alloc(call, 1);
    result->u.var.disc = 1;
    result->u.var.val = outer;
    if (f->taken) {
        cv_err(outer, NULL);
        return 0;
    }
    f->taken = 1;
    inner = cv_alloc(call, 1);
    cv_ok(outer, inner);
    opt = cv_alloc(call, 1);
    cv_ok(inner, opt);
    if (f->trailers.server != NULL && wc_http_req_ntrailers(f->trailers.server) > 0) {
        t = fields_new();
        for (size_t i = 0; i < wc_http_req_ntrailers(f->trailers.server); i++) {
            const wc_http_header *h = wc_http_req_trailer(f->trailers.server, i);

            fields_add(t, h->name, h->name_len, h->value, h->value_len);
        }
    } else if (f->trailers.fixed != NULL) {
        t = fields_clone(f->trailers.fixed);
    }
    if (t != NULL) {
        t->immutable = 1;
        opt->u.var.disc = 1;
        opt->u.var.val = cv_own(call, WASI(data)->fields, t);
    }
    return 0;
}

/* ---- incoming requests ---- */

typedef struct incoming_request {
    char *method, *path, *authority;
    int https;
    fields *headers;
    wc_pipe *body;
    int consumed;
    wc_http_req *server;
} incoming_request;

static void
drop_incoming_request(void *host, void *obj)
{
    incoming_request *r = obj;

    (void)host;
    free(r->method);
    free(r->path);
    free(r->authority);
    fields_free(r->headers);
    wc_pipe_unref(r->body);
    free(r);
}

#define IREQ(call, data, args, err)                                                                \
    incoming_request *r = arg_obj(call, &args[0], WASI(data)->incoming_request);                   \
    if (r == NULL) {                                                                               \
        return wc__bad_handle(err, "incoming-request");                                            \
    }

HOSTFN(ireq_method)
{
    IREQ(call, data, args, err);
    method_to_cval(call, r->method, result);
    return 0;
}

HOSTFN(ireq_path_with_query)
{
    IREQ(call, data, args, err);
    result->u.var.disc = 1;
    result->u.var.val = cv_string(call, r->path);
    return 0;
}

HOSTFN(ireq_scheme)
{
    wc_cval *v;

    IREQ(call, data, args, err);
    v = cv_alloc(call, 1);
    v->u.var.disc = r->https ? 1 : 0;
    result->u.var.disc = 1;
    result->u.var.val = v;
    return 0;
}

HOSTFN(ireq_authority)
{
    IREQ(call, data, args, err);
    if (r->authority[0] == '\0') {
        result->u.var.disc = 0;
    } else {
        result->u.var.disc = 1;
        result->u.var.val = cv_string(call, r->authority);
    }
    return 0;
}

HOSTFN(ireq_headers)
{
    IREQ(call, data, args, err);
    own_immutable_copy(call, WASI(data), r->headers, result);
    return 0;
}

HOSTFN(ireq_consume)
{
    incoming_body *b;

    IREQ(call, data, args, err);
    if (r->consumed) {
        cv_err(result, NULL);
        return 0;
    }
    r->consumed = 1;
    b = wc_xcalloc(1, sizeof(*b));
    b->pipe = r->body;
    wc_pipe_ref(b->pipe);
    b->trailers.server = r->server;
    cv_ok(result, cv_own(call, WASI(data)->incoming_body, b));
    return 0;
}

/* ---- outgoing bodies (responses and requests) ---- */

/* What an outgoing body and its owner share: the pipe, the promised length, trailers. */
typedef struct body_state {
    int refs;
    wc_pipe *pipe; /* writer: the guest; reader: the server or curl */
    int taken;     /* body() was called */
    int finished;
    uint64_t length; /* content-length, or UINT64_MAX */
    pipestream *stream;
    wc_http_req *server; /* responses, once set */
    fields *trailers;    /* given to finish before the response was set */
} body_state;

/* NULL if no pipe can be made (out of file descriptors). */
static body_state *
body_state_new(void)
{
    body_state *b = wc_xcalloc(1, sizeof(*b));

    b->refs = 1;
    b->pipe = wc_pipe_new(PIPE_BYTES);
    b->length = UINT64_MAX;
    if (b->pipe == NULL) {
        free(b);
        return NULL;
    }
    return b;
}

static void
body_state_unref(body_state *b)
{
    if (b == NULL || --b->refs > 0) {
        return;
    }
    if (!b->finished) {
        wc_pipe_close_write(b->pipe, b->taken ? 1 : 0);
    }
    if (b->stream != NULL) {
        wc_stream_unref(&b->stream->base);
    }
    wc_pipe_unref(b->pipe);
    fields_free(b->trailers);
    free(b);
}

static void
apply_trailers(wc_http_req *req, const fields *t)
{
    wc_http_header *h = wc_xcalloc(t->v.n + 1, sizeof(*h));

    for (size_t i = 0; i < t->v.n; i++) {
        h[i].name = t->v.v[i].name;
        h[i].name_len = strlen(t->v.v[i].name);
        h[i].value = (const char *)t->v.v[i].value;
        h[i].value_len = t->v.v[i].len;
    }
    wc_http_set_trailers(req, h, t->v.n);
    free(h);
}

static void
drop_outgoing_body(void *host, void *obj)
{
    (void)host;
    body_state_unref(obj);
}

HOSTFN(obody_write)
{
    body_state *b = arg_obj(call, &args[0], WASI(data)->outgoing_body);
    pipestream *p;

    if (b == NULL) {
        return wc__bad_handle(err, "outgoing-body");
    }
    if (b->stream != NULL) {
        cv_err(result, NULL);
        return 0;
    }
    p = pipe_stream(b->pipe, 1, b->length);
    /* The stream must not end the body when dropped: finish does. */
    p->base.is_output = 1;
    b->stream = p;
    p->base.refs++; /* one for the body, one for the guest's handle */
    cv_ok(result, cv_own(call, WASI(data)->output_stream, &p->base));
    return 0;
}

/* The error-code variant: cases used by this host. */
enum {
    EC_DNS_ERROR = 1,
    EC_DESTINATION_NOT_FOUND = 2,
    EC_CONNECTION_REFUSED = 6,
    EC_CONNECTION_TERMINATED = 7,
    EC_CONNECTION_TIMEOUT = 8,
    EC_TLS_PROTOCOL_ERROR = 12,
    EC_TLS_CERTIFICATE_ERROR = 13,
    EC_HTTP_REQUEST_URI_INVALID = 19,
    EC_HTTP_REQUEST_BODY_SIZE = 17,
    EC_HTTP_RESPONSE_INCOMPLETE = 25,
    EC_HTTP_RESPONSE_TIMEOUT = 33,
    EC_HTTP_PROTOCOL_ERROR = 35,
    EC_INTERNAL_ERROR = 38
};

static wc_cval *
error_code(wc_ccall *call, uint32_t which, const char *msg)
{
    wc_cval *v = cv_alloc(call, 1);

    v->u.var.disc = which;
    if (which == EC_INTERNAL_ERROR) {
        wc_cval *opt = cv_alloc(call, 1);

        if (msg != NULL) {
            opt->u.var.disc = 1;
            opt->u.var.val = cv_string(call, msg);
        }
        v->u.var.val = opt;
    } else if (which == EC_DNS_ERROR) {
        wc_cval *rec = cv_alloc(call, 1);

        rec->u.fields = cv_alloc(call, 2); /* rcode: none, info-code: none */
        v->u.var.val = rec;
    } else if (which == EC_HTTP_REQUEST_BODY_SIZE) {
        v->u.var.val = cv_alloc(call, 1); /* none */
    }
    return v;
}

HOSTFN(obody_finish)
{
    wc_wasi *w = WASI(data);
    body_state *b = arg_take(call, &args[0], w->outgoing_body);
    const wc_cval *topt = &args[1];
    uint64_t written;

    if (b == NULL) {
        return wc__bad_handle(err, "outgoing-body");
    }
    if (topt->u.var.disc == 1) {
        fields *t = arg_take(call, topt->u.var.val, w->fields);

        if (t != NULL) {
            if (b->server != NULL) {
                apply_trailers(b->server, t);
                fields_free(t);
            } else {
                fields_free(b->trailers);
                b->trailers = t;
            }
        }
    }
    written = b->stream != NULL ? b->stream->written : 0;
    b->finished = 1;
    if (b->length != UINT64_MAX && written != b->length) {
        wc_pipe_close_write(b->pipe, 1);
        cv_err(result, error_code(call, EC_HTTP_REQUEST_BODY_SIZE, NULL));
    } else {
        wc_pipe_close_write(b->pipe, 0);
        cv_ok(result, NULL);
    }
    body_state_unref(b);
    return 0;
}

/* ---- outgoing responses ---- */

typedef struct outgoing_response {
    uint16_t status;
    fields *headers;
    body_state *body;
} outgoing_response;

static void
drop_outgoing_response(void *host, void *obj)
{
    outgoing_response *r = obj;

    (void)host;
    fields_free(r->headers);
    body_state_unref(r->body);
    free(r);
}

HOSTFN(oresp_constructor)
{
    wc_wasi *w = WASI(data);
    fields *h = arg_take(call, &args[0], w->fields);
    outgoing_response *r;

    if (h == NULL) {
        return wc__bad_handle(err, "fields");
    }
    r = wc_xcalloc(1, sizeof(*r));
    r->status = 200;
    r->headers = h;
    r->body = body_state_new();
    if (r->body == NULL) {
        drop_outgoing_response(NULL, r);
        return wc_error_set(err, WC_ETRAP, "out of file descriptors for a response body");
    }
    cv_set_own(call, result, w->outgoing_response, r);
    return 0;
}

HOSTFN(oresp_status_code)
{
    outgoing_response *r = arg_obj(call, &args[0], WASI(data)->outgoing_response);

    if (r == NULL) {
        return wc__bad_handle(err, "outgoing-response");
    }
    result->u.u32 = r->status;
    return 0;
}

HOSTFN(oresp_set_status_code)
{
    outgoing_response *r = arg_obj(call, &args[0], WASI(data)->outgoing_response);
    uint32_t code = args[1].u.u32;

    if (r == NULL) {
        return wc__bad_handle(err, "outgoing-response");
    }
    if (code < 100 || code > 599) {
        cv_err(result, NULL);
        return 0;
    }
    r->status = (uint16_t)code;
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(oresp_headers)
{
    wc_wasi *w = WASI(data);
    outgoing_response *r = arg_obj(call, &args[0], w->outgoing_response);

    if (r == NULL) {
        return wc__bad_handle(err, "outgoing-response");
    }
    /* A child handle: edits apply to the response's own headers. */
    r->headers->refs++;
    cv_set_own(call, result, w->fields, r->headers);
    return 0;
}

HOSTFN(oresp_body)
{
    wc_wasi *w = WASI(data);
    outgoing_response *r = arg_obj(call, &args[0], w->outgoing_response);

    if (r == NULL) {
        return wc__bad_handle(err, "outgoing-response");
    }
    if (r->body->taken) {
        cv_err(result, NULL);
        return 0;
    }
    r->body->taken = 1;
    r->body->refs++;
    cv_ok(result, cv_own(call, w->outgoing_body, r->body));
    return 0;
}

/* The content-length header's value, or UINT64_MAX. */
static uint64_t
content_length(const fields *f)
{
    for (size_t i = 0; i < f->v.n; i++) {
        if (strcmp(f->v.v[i].name, "content-length") == 0 && f->v.v[i].len > 0 &&
            f->v.v[i].len < 20) {
            char num[24];
            char *end;
            unsigned long long v;

            memcpy(num, f->v.v[i].value, f->v.v[i].len);
            num[f->v.v[i].len] = '\0';
            v = strtoull(num, &end, 10);
            if (*end == '\0') {
                return v;
            }
        }
    }
    return UINT64_MAX;
}

/* ---- response-outparam ---- */

typedef struct outparam {
    wc_http_req *req;
    int set;
} outparam;

static void
drop_outparam(void *host, void *obj)
{
    (void)host;
    free(obj);
}

HOSTFN(outparam_set)
{
    wc_wasi *w = WASI(data);
    outparam *op = arg_take(call, &args[0], w->response_outparam);
    const wc_cval *res = &args[1];
    wc_http_header *hdrs;
    outgoing_response *r;
    body_state *b;

    (void)result;
    if (op == NULL) {
        return wc__bad_handle(err, "response-outparam");
    }
    if (res->u.var.disc != 0) {
        /* err(error-code): the guest failed the request. */
        WC_WARN("http", "%s %s: the component answered with an error code (case %u)",
                wc_http_req_method(op->req), wc_http_req_target(op->req),
                res->u.var.val ? res->u.var.val->u.var.disc : 0);
        wc_http_respond_simple(op->req, 500, "text/plain", "internal server error\n", 22);
        free(op);
        return 0;
    }
    r = arg_take(call, res->u.var.val, w->outgoing_response);
    if (r == NULL) {
        free(op);
        return wc__bad_handle(err, "outgoing-response");
    }
    b = r->body;
    b->length = content_length(r->headers);
    if (b->stream != NULL) {
        b->stream->limit = b->length;
    }
    b->server = op->req;
    if (b->trailers != NULL) {
        apply_trailers(op->req, b->trailers);
    }
    if (!b->taken) {
        /* No body was asked for: it is empty. */
        b->finished = 1;
        wc_pipe_close_write(b->pipe, 0);
    }
    hdrs = wc_xcalloc(r->headers->v.n + 1, sizeof(*hdrs));
    for (size_t i = 0; i < r->headers->v.n; i++) {
        hdrs[i].name = r->headers->v.v[i].name;
        hdrs[i].name_len = strlen(r->headers->v.v[i].name);
        hdrs[i].value = (const char *)r->headers->v.v[i].value;
        hdrs[i].value_len = r->headers->v.v[i].len;
    }
    wc_pipe_ref(b->pipe); /* the server's end */
    wc_http_respond(op->req, r->status, hdrs, r->headers->v.n, b->pipe,
                    b->length == UINT64_MAX ? -1 : (int64_t)b->length);
    free(hdrs);
    drop_outgoing_response(NULL, r);
    free(op);
    return 0;
}

/* ---- request options ---- */

typedef struct request_options {
    uint64_t connect, first_byte, between; /* ns; 0 = none */
} request_options;

static void
drop_plain(void *host, void *obj)
{
    (void)host;
    free(obj);
}

HOSTFN(ropts_constructor)
{
    (void)args;
    (void)err;
    cv_set_own(call, result, WASI(data)->request_options, wc_xcalloc(1, sizeof(request_options)));
    return 0;
}

static int
ropt_get(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err,
         size_t off)
{
    request_options *o = arg_obj(call, &args[0], WASI(data)->request_options);
    uint64_t v;

    if (o == NULL) {
        return wc__bad_handle(err, "request-options");
    }
    memcpy(&v, (char *)o + off, sizeof(v));
    result->u.var.disc = v != 0;
    result->u.var.val = v ? cv_u64(call, v) : NULL;
    return 0;
}

static int
ropt_set(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err,
         size_t off)
{
    request_options *o = arg_obj(call, &args[0], WASI(data)->request_options);
    uint64_t v = args[1].u.var.disc ? args[1].u.var.val->u.u64 : 0;

    if (o == NULL) {
        return wc__bad_handle(err, "request-options");
    }
    memcpy((char *)o + off, &v, sizeof(v));
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(ropts_connect_timeout)
{
    return ropt_get(call, data, args, result, err, offsetof(request_options, connect));
}
HOSTFN(ropts_set_connect_timeout)
{
    return ropt_set(call, data, args, result, err, offsetof(request_options, connect));
}
HOSTFN(ropts_first_byte_timeout)
{
    return ropt_get(call, data, args, result, err, offsetof(request_options, first_byte));
}
HOSTFN(ropts_set_first_byte_timeout)
{
    return ropt_set(call, data, args, result, err, offsetof(request_options, first_byte));
}
HOSTFN(ropts_between_bytes_timeout)
{
    return ropt_get(call, data, args, result, err, offsetof(request_options, between));
}
HOSTFN(ropts_set_between_bytes_timeout)
{
    return ropt_set(call, data, args, result, err, offsetof(request_options, between));
}

/* ---- outgoing requests ---- */

typedef struct outgoing_request {
    char *method;
    int scheme; /* 0 http, 1 https, 2 other */
    char *scheme_other;
    char *authority, *path;
    int has_authority, has_path;
    fields *headers;
    body_state *body;
} outgoing_request;

static void
drop_outgoing_request(void *host, void *obj)
{
    outgoing_request *r = obj;

    (void)host;
    free(r->method);
    free(r->scheme_other);
    free(r->authority);
    free(r->path);
    fields_free(r->headers);
    body_state_unref(r->body);
    free(r);
}

#define OREQ(call, data, args, err)                                                                \
    outgoing_request *r = arg_obj(call, &args[0], WASI(data)->outgoing_request);                   \
    if (r == NULL) {                                                                               \
        return wc__bad_handle(err, "outgoing-request");                                            \
    }

HOSTFN(oreq_constructor)
{
    wc_wasi *w = WASI(data);
    fields *h = arg_take(call, &args[0], w->fields);
    outgoing_request *r;

    if (h == NULL) {
        return wc__bad_handle(err, "fields");
    }
    r = wc_xcalloc(1, sizeof(*r));
    r->method = wc_xstrdup("GET");
    r->headers = h;
    r->body = body_state_new();
    if (r->body == NULL) {
        drop_outgoing_request(NULL, r);
        return wc_error_set(err, WC_ETRAP, "out of file descriptors for a request body");
    }
    cv_set_own(call, result, w->outgoing_request, r);
    return 0;
}

HOSTFN(oreq_body)
{
    OREQ(call, data, args, err);
    if (r->body->taken) {
        cv_err(result, NULL);
        return 0;
    }
    r->body->taken = 1;
    r->body->refs++;
    cv_ok(result, cv_own(call, WASI(data)->outgoing_body, r->body));
    return 0;
}

HOSTFN(oreq_method)
{
    OREQ(call, data, args, err);
    method_to_cval(call, r->method, result);
    return 0;
}

HOSTFN(oreq_set_method)
{
    OREQ(call, data, args, err);
    if (args[1].u.var.disc == 9 &&
        !valid_name(args[1].u.var.val->u.str.ptr, args[1].u.var.val->u.str.len)) {
        cv_err(result, NULL);
        return 0;
    }
    free(r->method);
    r->method = method_from_cval(&args[1]);
    cv_ok(result, NULL);
    return 0;
}

static void
opt_string(wc_ccall *call, int has, const char *s, wc_cval *out)
{
    out->u.var.disc = has;
    out->u.var.val = has ? cv_string(call, s) : NULL;
}

HOSTFN(oreq_path_with_query)
{
    OREQ(call, data, args, err);
    opt_string(call, r->has_path, r->path, result);
    return 0;
}

HOSTFN(oreq_set_path_with_query)
{
    OREQ(call, data, args, err);
    free(r->path);
    r->path = NULL;
    r->has_path = args[1].u.var.disc;
    if (r->has_path) {
        r->path = wc_xstrndup(args[1].u.var.val->u.str.ptr, args[1].u.var.val->u.str.len);
    }
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(oreq_scheme)
{
    wc_cval *v;

    OREQ(call, data, args, err);
    v = cv_alloc(call, 1);
    v->u.var.disc = (uint32_t)r->scheme;
    if (r->scheme == 2) {
        v->u.var.val = cv_string(call, r->scheme_other);
    }
    result->u.var.disc = 1;
    result->u.var.val = v;
    return 0;
}

HOSTFN(oreq_set_scheme)
{
    OREQ(call, data, args, err);
    free(r->scheme_other);
    r->scheme_other = NULL;
    r->scheme = 0;
    if (args[1].u.var.disc == 1) {
        const wc_cval *v = args[1].u.var.val;

        r->scheme = (int)v->u.var.disc;
        if (r->scheme == 2) {
            r->scheme_other = wc_xstrndup(v->u.var.val->u.str.ptr, v->u.var.val->u.str.len);
        }
    }
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(oreq_authority)
{
    OREQ(call, data, args, err);
    opt_string(call, r->has_authority, r->authority, result);
    return 0;
}

HOSTFN(oreq_set_authority)
{
    OREQ(call, data, args, err);
    free(r->authority);
    r->authority = NULL;
    r->has_authority = args[1].u.var.disc;
    if (r->has_authority) {
        r->authority = wc_xstrndup(args[1].u.var.val->u.str.ptr, args[1].u.var.val->u.str.len);
    }
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(oreq_headers)
{
    OREQ(call, data, args, err);
    r->headers->refs++;
    cv_set_own(call, result, WASI(data)->fields, r->headers);
    return 0;
}

/* ---- outgoing calls through libcurl ---- */

typedef struct outcall {
    pthread_mutex_t mu;
    int refs;
    int efd;   /* readable once the response head or an error is known */
    int state; /* 0 waiting, 1 head ready, 2 failed */
    int taken;
    uint32_t error; /* error-code case when failed */
    char errmsg[CURL_ERROR_SIZE];
    long status;
    fields *headers;
    int head_done;
    wc_pipe *resp_body; /* curl writes, the guest reads */
    wc_pipe *req_body;  /* the guest writes, curl reads; NULL: no body */
    CURL *easy;
    struct curl_slist *hdrs;
    char *url;
    pthread_t thread;
} outcall;

static void
outcall_unref(outcall *c)
{
    int last;

    pthread_mutex_lock(&c->mu);
    last = --c->refs == 0;
    pthread_mutex_unlock(&c->mu);
    if (!last) {
        return;
    }
    close(c->efd);
    fields_free(c->headers);
    wc_pipe_unref(c->resp_body);
    if (c->req_body != NULL) {
        wc_pipe_unref(c->req_body);
    }
    curl_slist_free_all(c->hdrs);
    if (c->easy != NULL) {
        curl_easy_cleanup(c->easy);
    }
    free(c->url);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void
outcall_settle(outcall *c, int state)
{
    pthread_mutex_lock(&c->mu);
    if (c->state == 0) {
        c->state = state;
        eventfd_write(c->efd, 1);
    }
    pthread_mutex_unlock(&c->mu);
}

static size_t
curl_header_cb(char *buf, size_t size, size_t n, void *arg)
{
    outcall *c = arg;
    size_t len = size * n;

    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new status line: a 1xx, a redirect, or the final response. */
        pthread_mutex_lock(&c->mu);
        fields_free(c->headers);
        c->headers = fields_new();
        pthread_mutex_unlock(&c->mu);
        return len;
    }
    if (len <= 2) { /* the empty line ends a head */
        long status = 0;

        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200) {
            c->status = status;
            c->head_done = 1;
            c->headers->immutable = 1;
            outcall_settle(c, 1);
        }
        return len;
    }
    {
        const char *colon = memchr(buf, ':', len);
        size_t vs, ve;

        if (colon != NULL && c->headers != NULL) {
            vs = (size_t)(colon - buf) + 1;
            while (vs < len && (buf[vs] == ' ' || buf[vs] == '\t')) {
                vs++;
            }
            ve = len;
            while (ve > vs && (buf[ve - 1] == '\r' || buf[ve - 1] == '\n' || buf[ve - 1] == ' ')) {
                ve--;
            }
            fields_add(c->headers, buf, (size_t)(colon - buf), buf + vs, ve - vs);
        }
    }
    return len;
}

static size_t
curl_write_cb(char *buf, size_t size, size_t n, void *arg)
{
    outcall *c = arg;

    /* Blocks while the guest has not read enough: backpressure to the peer. */
    return wc_pipe_write_all(c->resp_body, buf, size * n) == 0 ? size * n : 0;
}

static size_t
curl_read_cb(char *buf, size_t size, size_t n, void *arg)
{
    outcall *c = arg;

    for (;;) {
        int perr = 0;
        long r = wc_pipe_read(c->req_body, buf, size * n, &perr);

        if (r > 0) {
            return (size_t)r;
        }
        if (r < 0) {
            return perr ? CURL_READFUNC_ABORT : 0;
        }
        wc_pipe_wait_readable(c->req_body);
    }
}

static uint32_t
curl_error_case(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return EC_DNS_ERROR;
    case CURLE_COULDNT_CONNECT: return EC_CONNECTION_REFUSED;
    case CURLE_OPERATION_TIMEDOUT: return EC_CONNECTION_TIMEOUT;
    case CURLE_URL_MALFORMAT: return EC_HTTP_REQUEST_URI_INVALID;
    case CURLE_SSL_CONNECT_ERROR: return EC_TLS_PROTOCOL_ERROR;
    case CURLE_PEER_FAILED_VERIFICATION: return EC_TLS_CERTIFICATE_ERROR;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR: return EC_CONNECTION_TERMINATED;
    case CURLE_PARTIAL_FILE: return EC_HTTP_RESPONSE_INCOMPLETE;
    case CURLE_WEIRD_SERVER_REPLY: return EC_HTTP_PROTOCOL_ERROR;
    default: return EC_INTERNAL_ERROR;
    }
}

static void *
outcall_main(void *arg)
{
    outcall *c = arg;
    CURLcode rc = curl_easy_perform(c->easy);

    if (rc != CURLE_OK) {
        c->error = curl_error_case(rc);
        if (c->errmsg[0] == '\0') {
            snprintf(c->errmsg, sizeof(c->errmsg), "%s", curl_easy_strerror(rc));
        }
        outcall_settle(c, 2);
        wc_pipe_close_write(c->resp_body, 1);
    } else {
        if (!c->head_done) {
            long status = 0;

            curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
            c->status = status;
            if (c->headers == NULL) {
                c->headers = fields_new();
            }
            outcall_settle(c, 1);
        }
        wc_pipe_close_write(c->resp_body, 0);
    }
    if (c->req_body != NULL) {
        wc_pipe_close_read(c->req_body);
    }
    outcall_unref(c);
    return NULL;
}

typedef struct future_response {
    outcall *call;
} future_response;

static void
drop_future_response(void *host, void *obj)
{
    future_response *f = obj;

    (void)host;
    outcall_unref(f->call);
    free(f);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

HOSTFN(outgoing_handle)
{
    wc_wasi *w = WASI(data);
    outgoing_request *r = arg_take(call, &args[0], w->outgoing_request);
    request_options *opt = NULL;
    wc_strbuf url = WC_STRBUF_INIT;
    future_response *f;
    outcall *c;
    pthread_attr_t attr;

    if (r == NULL) {
        return wc__bad_handle(err, "outgoing-request");
    }
    if (args[1].u.var.disc == 1) {
        opt = arg_take(call, args[1].u.var.val, w->request_options);
    }
    if (!r->has_authority || r->authority[0] == '\0' || r->scheme == 2) {
        cv_err(result, error_code(call, EC_HTTP_REQUEST_URI_INVALID, NULL));
        drop_outgoing_request(NULL, r);
        free(opt);
        return 0;
    }
    pthread_once(&curl_once, curl_init_once);
    wc_strbuf_addf(&url, "%s://%s%s", r->scheme == 1 ? "https" : "http", r->authority,
                   r->has_path ? r->path : "/");
    c = wc_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->refs = 2; /* the curl thread and the future */
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    c->resp_body = wc_pipe_new(PIPE_BYTES);
    if (c->efd < 0 || c->resp_body == NULL) {
        if (c->efd >= 0) {
            close(c->efd);
        }
        if (c->resp_body != NULL) {
            wc_pipe_unref(c->resp_body);
        }
        free(c->url);
        curl_easy_cleanup(c->easy);
        free(c);
        drop_outgoing_request(NULL, r);
        free(opt);
        cv_err(result, error_code(call, EC_INTERNAL_ERROR, "out of file descriptors"));
        return 0;
    }
    c->url = wc_strbuf_detach(&url, NULL);
    c->easy = curl_easy_init();
    curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
    curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, r->method);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
    }
    curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, curl_header_cb);
    curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, curl_write_cb);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errmsg);
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_easy_setopt(c->easy, CURLOPT_HTTP_TRANSFER_DECODING, 1L);
    if (opt != NULL) {
        if (opt->connect) {
            curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(opt->connect / 1000000));
        }
        if (opt->first_byte || opt->between) {
            curl_easy_setopt(c->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
            curl_easy_setopt(
                c->easy, CURLOPT_LOW_SPEED_TIME,
                (long)((opt->between ? opt->between : opt->first_byte) / 1000000000 + 1));
        }
    }
    for (size_t i = 0; i < r->headers->v.n; i++) {
        wc_strbuf line = WC_STRBUF_INIT;

        wc_strbuf_addf(&line, "%s: ", r->headers->v.v[i].name);
        wc_strbuf_add(&line, r->headers->v.v[i].value, r->headers->v.v[i].len);
        c->hdrs = curl_slist_append(c->hdrs, line.buf);
        wc_strbuf_release(&line);
    }
    c->hdrs = curl_slist_append(c->hdrs, "Expect:");
    if (r->body->taken) {
        uint64_t len = content_length(r->headers);

        c->req_body = r->body->pipe;
        wc_pipe_ref(c->req_body);
        curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, curl_read_cb);
        curl_easy_setopt(c->easy, CURLOPT_READDATA, c);
        if (len != UINT64_MAX) {
            curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
        } else {
            c->hdrs = curl_slist_append(c->hdrs, "Transfer-Encoding: chunked");
        }
    }
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
    drop_outgoing_request(NULL, r);
    free(opt);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&c->thread, &attr, outcall_main, c) != 0) {
        pthread_attr_destroy(&attr);
        outcall_unref(c);
        outcall_unref(c);
        cv_err(result, error_code(call, EC_INTERNAL_ERROR, "cannot start a request thread"));
        return 0;
    }
    pthread_attr_destroy(&attr);
    f = wc_xcalloc(1, sizeof(*f));
    f->call = c;
    cv_ok(result, cv_own(call, w->future_incoming_response, f));
    return 0;
}

static int
response_ready(void *arg, int *fd, short *events)
{
    outcall *c = arg;
    int st;

    pthread_mutex_lock(&c->mu);
    st = c->state;
    pthread_mutex_unlock(&c->mu);
    if (st != 0) {
        return 1;
    }
    *fd = c->efd;
    *events = POLLIN;
    return 0;
}

HOSTFN(future_response_subscribe)
{
    future_response *f = arg_obj(call, &args[0], WASI(data)->future_incoming_response);

    if (f == NULL) {
        return wc__bad_handle(err, "future-incoming-response");
    }
    cv_set_own(call, result, WASI(data)->pollable, wc_pollable_custom(response_ready, f->call));
    return 0;
}

typedef struct incoming_response {
    uint16_t status;
    fields *headers;
    wc_pipe *body;
    int consumed;
} incoming_response;

static void
drop_incoming_response(void *host, void *obj)
{
    incoming_response *r = obj;

    (void)host;
    fields_free(r->headers);
    wc_pipe_unref(r->body);
    free(r);
}

HOSTFN(future_response_get)
{
    wc_wasi *w = WASI(data);
    future_response *f = arg_obj(call, &args[0], w->future_incoming_response);
    outcall *c;
    wc_cval *outer, *inner;
    int st;

    if (f == NULL) {
        return wc__bad_handle(err, "future-incoming-response");
    }
    c = f->call;
    pthread_mutex_lock(&c->mu);
    st = c->state;
    pthread_mutex_unlock(&c->mu);
    if (st == 0) {
        result->u.var.disc = 0;
        return 0;
    }
    outer = cv_alloc(call, 1);
    result->u.var.disc = 1;
    result->u.var.val = outer;
    if (c->taken) {
        cv_err(outer, NULL);
        return 0;
    }
    c->taken = 1;
    inner = cv_alloc(call, 1);
    cv_ok(outer, inner);
    if (st == 2) {
        cv_err(inner, error_code(call, c->error, c->errmsg));
    } else {
        incoming_response *r = wc_xcalloc(1, sizeof(*r));

        r->status = (uint16_t)c->status;
        r->headers = c->headers;
        c->headers = NULL;
        r->body = c->resp_body;
        wc_pipe_ref(r->body);
        cv_ok(inner, cv_own(call, w->incoming_response, r));
    }
    return 0;
}

HOSTFN(iresp_status)
{
    incoming_response *r = arg_obj(call, &args[0], WASI(data)->incoming_response);

    if (r == NULL) {
        return wc__bad_handle(err, "incoming-response");
    }
    result->u.u32 = r->status;
    return 0;
}

HOSTFN(iresp_headers)
{
    incoming_response *r = arg_obj(call, &args[0], WASI(data)->incoming_response);

    if (r == NULL) {
        return wc__bad_handle(err, "incoming-response");
    }
    own_immutable_copy(call, WASI(data), r->headers, result);
    return 0;
}

HOSTFN(iresp_consume)
{
    incoming_response *r = arg_obj(call, &args[0], WASI(data)->incoming_response);
    incoming_body *b;

    if (r == NULL) {
        return wc__bad_handle(err, "incoming-response");
    }
    if (r->consumed) {
        cv_err(result, NULL);
        return 0;
    }
    r->consumed = 1;
    b = wc_xcalloc(1, sizeof(*b));
    b->pipe = r->body;
    wc_pipe_ref(b->pipe);
    cv_ok(result, cv_own(call, WASI(data)->incoming_body, b));
    return 0;
}

HOSTFN(http_error_code)
{
    (void)call;
    (void)data;
    (void)args;
    (void)err;
    result->u.var.disc = 0; /* none: io errors here carry no HTTP error code */
    return 0;
}

/* ---- registration ---- */

void
wc__wasi_link_http(wc_wasi *w)
{
    wc_linker *l = w->linker;
    struct {
        const char *name;
        wc_chost_fn fn;
    } fns[] = {
        {"[constructor]fields", fields_constructor},
        {"[static]fields.from-list", fields_from_list},
        {"[method]fields.get", fields_get},
        {"[method]fields.has", fields_has},
        {"[method]fields.set", fields_set},
        {"[method]fields.delete", fields_delete_},
        {"[method]fields.append", fields_append},
        {"[method]fields.entries", fields_entries},
        {"[method]fields.clone", fields_clone_},
        {"[method]incoming-request.method", ireq_method},
        {"[method]incoming-request.path-with-query", ireq_path_with_query},
        {"[method]incoming-request.scheme", ireq_scheme},
        {"[method]incoming-request.authority", ireq_authority},
        {"[method]incoming-request.headers", ireq_headers},
        {"[method]incoming-request.consume", ireq_consume},
        {"[constructor]outgoing-request", oreq_constructor},
        {"[method]outgoing-request.body", oreq_body},
        {"[method]outgoing-request.method", oreq_method},
        {"[method]outgoing-request.set-method", oreq_set_method},
        {"[method]outgoing-request.path-with-query", oreq_path_with_query},
        {"[method]outgoing-request.set-path-with-query", oreq_set_path_with_query},
        {"[method]outgoing-request.scheme", oreq_scheme},
        {"[method]outgoing-request.set-scheme", oreq_set_scheme},
        {"[method]outgoing-request.authority", oreq_authority},
        {"[method]outgoing-request.set-authority", oreq_set_authority},
        {"[method]outgoing-request.headers", oreq_headers},
        {"[constructor]request-options", ropts_constructor},
        {"[method]request-options.connect-timeout", ropts_connect_timeout},
        {"[method]request-options.set-connect-timeout", ropts_set_connect_timeout},
        {"[method]request-options.first-byte-timeout", ropts_first_byte_timeout},
        {"[method]request-options.set-first-byte-timeout", ropts_set_first_byte_timeout},
        {"[method]request-options.between-bytes-timeout", ropts_between_bytes_timeout},
        {"[method]request-options.set-between-bytes-timeout", ropts_set_between_bytes_timeout},
        {"[static]response-outparam.set", outparam_set},
        {"[method]incoming-response.status", iresp_status},
        {"[method]incoming-response.headers", iresp_headers},
        {"[method]incoming-response.consume", iresp_consume},
        {"[method]incoming-body.stream", incoming_body_stream},
        {"[static]incoming-body.finish", incoming_body_finish},
        {"[method]future-trailers.subscribe", future_trailers_subscribe},
        {"[method]future-trailers.get", future_trailers_get},
        {"[constructor]outgoing-response", oresp_constructor},
        {"[method]outgoing-response.status-code", oresp_status_code},
        {"[method]outgoing-response.set-status-code", oresp_set_status_code},
        {"[method]outgoing-response.headers", oresp_headers},
        {"[method]outgoing-response.body", oresp_body},
        {"[method]outgoing-body.write", obody_write},
        {"[static]outgoing-body.finish", obody_finish},
        {"[method]future-incoming-response.subscribe", future_response_subscribe},
        {"[method]future-incoming-response.get", future_response_get},
        {"http-error-code", http_error_code},
    };

    w->fields = wc_linker_resource(l, TYPES, WASI_VERSION, "fields", drop_fields);
    w->incoming_request =
        wc_linker_resource(l, TYPES, WASI_VERSION, "incoming-request", drop_incoming_request);
    w->outgoing_request =
        wc_linker_resource(l, TYPES, WASI_VERSION, "outgoing-request", drop_outgoing_request);
    w->request_options = wc_linker_resource(l, TYPES, WASI_VERSION, "request-options", drop_plain);
    w->response_outparam =
        wc_linker_resource(l, TYPES, WASI_VERSION, "response-outparam", drop_outparam);
    w->incoming_response =
        wc_linker_resource(l, TYPES, WASI_VERSION, "incoming-response", drop_incoming_response);
    w->incoming_body =
        wc_linker_resource(l, TYPES, WASI_VERSION, "incoming-body", drop_incoming_body);
    w->future_trailers =
        wc_linker_resource(l, TYPES, WASI_VERSION, "future-trailers", drop_future_trailers);
    w->outgoing_response =
        wc_linker_resource(l, TYPES, WASI_VERSION, "outgoing-response", drop_outgoing_response);
    w->outgoing_body =
        wc_linker_resource(l, TYPES, WASI_VERSION, "outgoing-body", drop_outgoing_body);
    w->future_incoming_response = wc_linker_resource(
        l, TYPES, WASI_VERSION, "future-incoming-response", drop_future_response);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        wc_linker_func(l, TYPES, WASI_VERSION, fns[i].name, fns[i].fn, w);
    }
    wc_linker_func(l, "wasi:http/outgoing-handler", WASI_VERSION, "handle", outgoing_handle, w);
}

/* ---- serving a request with a component ---- */

#define HANDLER_IFACE "wasi:http/incoming-handler@0.2.0"

void
wc_wasi_http_serve(const wc_wasi_http_target *t, wc_http_req *req)
{
    wc_wasi *w = t->wasi;
    wc_wasi_ctx ctx;
    wc_cinstance *inst = NULL;
    wc_cfunc *handle;
    wc_error err = WC_ERROR_INIT;
    wc_arena arena = WC_ARENA_INIT;
    incoming_request *ir;
    outparam *op;
    wc_cval args[2];
    int rc;

    wc_wasi_ctx_init(&ctx);
    if (t->setup != NULL) {
        t->setup(&ctx, t->setup_data);
    }
    if ((rc = wc_cinstance_new(t->component, t->linker, &ctx, t->deadline_ns, &inst, &err)) != 0 ||
        (rc = wc_cinstance_func(inst, HANDLER_IFACE, "handle", &handle, &err)) != 0) {
        WC_ERR("http", "%s %s: cannot start the component: %s", wc_http_req_method(req),
               wc_http_req_target(req), err.msg);
        wc_http_respond_simple(req, 500, "text/plain", "internal server error\n", 22);
        goto out;
    }
    ir = wc_xcalloc(1, sizeof(*ir));
    ir->method = wc_xstrdup(wc_http_req_method(req));
    ir->path = wc_xstrdup(wc_http_req_target(req));
    ir->authority = wc_xstrdup(wc_http_req_authority(req));
    ir->headers = fields_new();
    for (size_t i = 0; i < wc_http_req_nheaders(req); i++) {
        const wc_http_header *h = wc_http_req_header(req, i);

        fields_add(ir->headers, h->name, h->name_len, h->value, h->value_len);
    }
    ir->headers->immutable = 1;
    ir->body = wc_http_req_body(req);
    wc_pipe_ref(ir->body);
    ir->server = req;
    op = wc_xcalloc(1, sizeof(*op));
    op->req = req;
    memset(args, 0, sizeof(args));
    args[0].u.handle.type = w->incoming_request;
    args[0].u.handle.rep = wc_cinstance_res_new(inst, w->incoming_request, ir);
    args[1].u.handle.type = w->response_outparam;
    args[1].u.handle.rep = wc_cinstance_res_new(inst, w->response_outparam, op);
    rc = wc_cfunc_call(inst, handle, args, 2, NULL, &arena, &err);
    if (rc != 0) {
        WC_ERR("http", "%s %s: the component trapped: %s", wc_http_req_method(req),
               wc_http_req_target(req), err.msg);
        /* Before a response: a 500 (the server sends it). After: the body is cut short. */
    }
out:
    /* Freeing the instance drops what the guest still held: an unfinished body
     * ends as an error, so the client sees a truncated response. */
    wc_cinstance_free(inst);
    wc_wasi_ctx_release(&ctx);
    wc_arena_release(&arena);
}
