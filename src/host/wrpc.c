/*
 * wrpc.c - component exports served over wRPC (the NATS transport, protocol
 * wrpc.0.0.1), so `wash call`, other hosts and providers can invoke them.
 *
 * Each component running here has a queue subscription on
 * {lattice}.{id}.wrpc.0.0.1.> (queue group {lattice}.{id}: hosts running
 * the same component share the calls). An invocation arrives with the
 * encoded parameters (or their first part) and a reply inbox R_c. We
 * subscribe our own inbox R_s.> and answer R_c with an empty message whose
 * reply subject is R_s; the rest of the parameters come on R_s.params, and
 * pending streams on R_s.params.<path>. Results go to R_c.results, an empty
 * message ends each subject, and streams we return pending go on
 * R_c.results.<path>. Values use the encoding in component/wire.c.
 *
 * Any export whose types have no resources is served from its component
 * type. wrpc:http/incoming-handler@0.1.0.handle is bridged to the
 * component's wasi:http/incoming-handler export: request and response
 * bodies stream both ways through pipes.
 *
 * The protocol has no error channel: on failure the results subject is just
 * closed. We also put the reason in a "wasmcloud-error" header on that
 * closing message (peers that do not know it ignore headers there), so
 * `wash call` can say what went wrong.
 *
 * Each invocation runs on a thread of its own (its component's permits
 * bound how many run a guest at once); wc_host_stop waits for them.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/leb128.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "wasi/http.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROTOCOL      "wrpc.0.0.1."
#define HTTP_INSTANCE "wrpc:http/incoming-handler@0.1.0"
#define MAX_PARAMS    (16u << 20) /* bytes of synchronous parameters */
#define WAIT_MS       10000       /* the longest wait for the next parameter message */
#define BODY_PIPE     (256u << 10)

typedef struct call {
    wc_host *h;
    natsMsg *msg;
    const char *reply; /* R_c */
    char id[256], instance[256], func[128];
    char *inbox; /* R_s */
    natsSubscription *sub;
    wc_strbuf params;
    int params_ended; /* the peer closed R_s.params */
} call;

/* ---- sending ---- */

static natsConnection *
conn(call *cl)
{
    return wc_lattice_conn(cl->h->lat);
}

/* Publish data to subject in messages the server accepts. */
static void
publish(call *cl, const char *subject, const void *data, size_t len)
{
    int64_t max = natsConnection_GetMaxPayload(conn(cl));
    size_t chunk = max > 1024 ? (size_t)max - 512 : 1024;

    for (size_t off = 0; off < len; off += chunk) {
        natsConnection_Publish(conn(cl), subject, (const char *)data + off,
                               (int)(len - off < chunk ? len - off : chunk));
    }
}

/* End a subject: an empty message, with the reason for a failure. */
static void
close_subject(call *cl, const char *subject, const char *error)
{
    natsMsg *m = NULL;

    if (natsMsg_Create(&m, subject, NULL, NULL, 0) != NATS_OK) {
        return;
    }
    if (error != NULL) {
        char buf[1024];
        size_t n = strnlen(error, sizeof(buf) - 1);

        /* One header line: no CR or LF. */
        memcpy(buf, error, n);
        buf[n] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (buf[i] == '\r' || buf[i] == '\n') {
                buf[i] = ' ';
            }
        }
        natsMsgHeader_Set(m, "wasmcloud-error", buf);
    }
    natsConnection_PublishMsg(conn(cl), m);
    natsMsg_Destroy(m);
}

static void
send_results(call *cl, const wc_strbuf *results, const char *error)
{
    char subject[512];

    snprintf(subject, sizeof(subject), "%s.results", cl->reply);
    if (results != NULL && results->len > 0) {
        publish(cl, subject, results->buf, results->len);
    }
    close_subject(cl, subject, error);
}

static void
fail(call *cl, const char *fmt, const char *arg)
{
    char msg[1024];

    snprintf(msg, sizeof(msg), fmt, arg);
    WC_WARN("wrpc", "%s.%s on %s: %s", cl->instance, cl->func, cl->id, msg);
    send_results(cl, NULL, msg);
}

/* ---- receiving ---- */

/*
 * The next message on R_s.>: its payload is appended to out if it is on
 * subject R_s.<suffix>; returns 1 for data, 0 at the end of that subject
 * (an empty message), -1 on timeout. Messages for other subjects are
 * dropped (we read one subject at a time).
 */
static int
next_on(call *cl, const char *suffix, wc_strbuf *out)
{
    char want[512];

    snprintf(want, sizeof(want), "%s.%s", cl->inbox, suffix);
    for (;;) {
        natsMsg *m = NULL;
        int got;

        if (natsSubscription_NextMsg(&m, cl->sub, WAIT_MS) != NATS_OK) {
            return -1;
        }
        if (strcmp(natsMsg_GetSubject(m), want) != 0) {
            natsMsg_Destroy(m);
            continue;
        }
        got = natsMsg_GetDataLength(m) > 0;
        wc_strbuf_add(out, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
        natsMsg_Destroy(m);
        return got;
    }
}

/* More parameter bytes: 0, or an error already reported to the caller. */
static int
more_params(call *cl)
{
    int rc;

    if (cl->params_ended) {
        fail(cl, "the parameters ended inside a value%s", "");
        return -1;
    }
    if (cl->params.len > MAX_PARAMS) {
        fail(cl, "the parameters exceed %s", "16 MiB");
        return -1;
    }
    rc = next_on(cl, "params", &cl->params);
    if (rc < 0) {
        fail(cl, "timed out waiting for the rest of the parameters%s", "");
        return -1;
    }
    cl->params_ended = rc == 0;
    return 0;
}

/* ---- any function without resources ---- */

static void
serve_func(call *cl, hcomp *c)
{
    invocation inv;
    wc_wasi_ctx ctx;
    wc_cinstance *ci = NULL;
    wc_cfunc *fn;
    const wc_ctype *ft, **types;
    wc_cval *args, result;
    wc_arena arena;
    wc_strbuf out = WC_STRBUF_INIT;
    wc_error err = WC_ERROR_INIT;
    uint32_t np;
    size_t used;
    int rc;

    memset(&inv, 0, sizeof(inv));
    inv.h = cl->h;
    if (comp_acquire(c, &inv, &err) != 0) {
        fail(cl, "%s", err.msg);
        return;
    }
    wc_arena_init(&arena, 1024);
    wc_wasi_ctx_init(&ctx);
    comp_setup_ctx(&ctx, &inv);
    if (wc_cinstance_new(inv.img->comp, inv.img->linker, &ctx, inv.deadline_ns, &ci, &err) != 0 ||
        wc_cinstance_func(ci, cl->instance[0] ? cl->instance : NULL, cl->func, &fn, &err) != 0) {
        fail(cl, "%s", err.msg);
        goto out;
    }
    ft = wc_cfunc_type(fn);
    if (!wc_ctype_crosses(ft)) {
        fail(cl, "%s takes or returns a resource handle, which cannot be sent over wRPC", cl->func);
        goto out;
    }
    np = wc_ctype_nparams(ft);
    types = wc_arena_calloc(&arena, np + 1, sizeof(*types));
    args = wc_arena_calloc(&arena, np + 1, sizeof(*args));
    for (uint32_t i = 0; i < np; i++) {
        types[i] = wc_ctype_param(ft, i, NULL);
    }
    while ((rc = wc_cval_decode_all((const uint8_t *)cl->params.buf, cl->params.len, &used, types,
                                    np, &arena, args, &err)) == 1) {
        if (more_params(cl) != 0) {
            goto out;
        }
    }
    if (rc != 0) {
        fail(cl, "malformed parameters: %s", err.msg);
        goto out;
    }
    memset(&result, 0, sizeof(result));
    if (wc_cfunc_call(ci, fn, args, np, &result, &arena, &err) != 0) {
        fail(cl, "%s", err.msg);
        goto out;
    }
    if (wc_ctype_result(ft) != NULL &&
        wc_cval_encode(&out, wc_ctype_result(ft), &result, &err) != 0) {
        fail(cl, "%s", err.msg);
        goto out;
    }
    send_results(cl, &out, NULL);
out:
    wc_strbuf_release(&out);
    wc_cinstance_free(ci);
    wc_wasi_ctx_release(&ctx);
    wc_arena_release(&arena);
    comp_release(&inv);
}

/* ---- wrpc:http/incoming-handler ---- */

/* A reader over bytes that may end early: every get returns 1 when they do. */
typedef struct rd {
    const uint8_t *p, *end;
} rd;

static int
get_byte(rd *r, uint8_t *b)
{
    if (r->p == r->end) {
        return 1;
    }
    *b = *r->p++;
    return 0;
}

static int
get_opt_bytes(rd *r, const uint8_t **p, size_t *n)
{
    uint8_t some;
    int rc = get_byte(r, &some);

    *p = NULL, *n = 0;
    if (rc != 0 || some == 0) {
        return rc;
    }
    return some == 1 ? wc_leb_get_bytes(&r->p, r->end, p, n) : -1;
}

/* fields: list<tuple<string, list<list<u8>>>>, one header per value. */
static int
get_fields(rd *r, wc_http_header **out, size_t *n)
{
    uint64_t nf, nv;
    int rc;

    *out = NULL, *n = 0;
    if ((rc = wc_leb_get(&r->p, r->end, &nf)) != 0) {
        return rc;
    }
    for (uint64_t i = 0; i < nf; i++) {
        const uint8_t *name, *val;
        size_t nlen, vlen;

        if ((rc = wc_leb_get_bytes(&r->p, r->end, &name, &nlen)) != 0 ||
            (rc = wc_leb_get(&r->p, r->end, &nv)) != 0) {
            return rc;
        }
        for (uint64_t k = 0; k < nv; k++) {
            if ((rc = wc_leb_get_bytes(&r->p, r->end, &val, &vlen)) != 0) {
                return rc;
            }
            if (*n % 16 == 0) {
                *out = wc_xrealloc(*out, (*n + 16) * sizeof(**out));
            }
            (*out)[*n].name = (const char *)name, (*out)[*n].name_len = nlen;
            (*out)[*n].value = (const char *)val, (*out)[*n].value_len = vlen;
            (*n)++;
        }
    }
    return 0;
}

typedef struct http_in {
    char method[64];
    char *target, *authority;
    wc_http_header *headers;
    size_t nheaders;
    const uint8_t *body; /* a ready body, or NULL: pending */
    size_t body_len;
} http_in;

static void
http_in_free(http_in *in)
{
    free(in->target);
    free(in->authority);
    free(in->headers);
    memset(in, 0, sizeof(*in));
}

/* The request record; 1 if more bytes are needed, -1 if malformed. */
static int
get_request(rd *r, http_in *in)
{
    static const char *const methods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                          "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    const uint8_t *p;
    size_t n;
    uint8_t b;
    uint64_t disc;
    int rc;

    if ((rc = wc_leb_get_bytes(&r->p, r->end, &in->body, &in->body_len)) != 0) {
        return rc;
    }
    if (in->body_len == 0) {
        in->body = NULL; /* an empty list: the body streams on params.0.0 */
    }
    /* trailers: future<option<fields>>; pending (0) is not awaited. */
    if ((rc = get_byte(r, &b)) != 0) {
        return rc;
    }
    if (b == 1) {
        wc_http_header *t;
        size_t nt;

        if ((rc = get_byte(r, &b)) != 0) {
            return rc;
        }
        if (b == 1 && (rc = get_fields(r, &t, &nt)) == 0) {
            free(t);
        }
        if (rc != 0) {
            return rc;
        }
    }
    if ((rc = wc_leb_get(&r->p, r->end, &disc)) != 0) {
        return rc;
    }
    if (disc < 9) {
        snprintf(in->method, sizeof(in->method), "%s", methods[disc]);
    } else if (disc == 9) {
        if ((rc = wc_leb_get_bytes(&r->p, r->end, &p, &n)) != 0) {
            return rc;
        }
        snprintf(in->method, sizeof(in->method), "%.*s", (int)n, (const char *)p);
    } else {
        return -1;
    }
    if ((rc = get_opt_bytes(r, &p, &n)) != 0) {
        return rc;
    }
    free(in->target);
    in->target = p != NULL ? wc_xstrndup((const char *)p, n) : wc_xstrdup("/");
    /* scheme: option<variant { HTTP, HTTPS, other(string) }> */
    if ((rc = get_byte(r, &b)) != 0) {
        return rc;
    }
    if (b == 1) {
        if ((rc = wc_leb_get(&r->p, r->end, &disc)) != 0) {
            return rc;
        }
        if (disc == 2 && (rc = wc_leb_get_bytes(&r->p, r->end, &p, &n)) != 0) {
            return rc;
        }
    }
    if ((rc = get_opt_bytes(r, &p, &n)) != 0) {
        return rc;
    }
    free(in->authority);
    in->authority = wc_xstrndup(p != NULL ? (const char *)p : "", n);
    free(in->headers);
    in->headers = NULL;
    return get_fields(r, &in->headers, &in->nheaders);
}

/* Feeds a pending request body from R_s.params.0.0 into a pipe. */
typedef struct feeder {
    call *cl;
    wc_pipe *pipe;
    pthread_t thread;
} feeder;

static void *
feed_body(void *arg)
{
    feeder *f = arg;
    wc_strbuf buf = WC_STRBUF_INIT;
    size_t off = 0;
    int failed = 1;

    for (;;) {
        rd r = {(const uint8_t *)buf.buf + off, (const uint8_t *)buf.buf + buf.len};
        const uint8_t *p;
        size_t n;
        int rc = wc_leb_get_bytes(&r.p, r.end, &p, &n);

        if (rc == 0) {
            off = (size_t)(r.p - (const uint8_t *)buf.buf);
            if (n == 0) {
                failed = 0; /* the stream's end */
                break;
            }
            if (wc_pipe_write_all(f->pipe, p, n) != 0) {
                failed = 0; /* the guest stopped reading */
                break;
            }
            continue;
        }
        if (rc < 0 || next_on(f->cl, "params.0.0", &buf) <= 0) {
            break; /* malformed, timed out, or closed without the end chunk */
        }
    }
    wc_pipe_close_write(f->pipe, failed);
    wc_strbuf_release(&buf);
    return NULL;
}

typedef struct guest_run {
    wc_wasi_http_target t;
    wc_http_req *req;
    pthread_t thread;
} guest_run;

static void
setup(wc_wasi_ctx *ctx, void *data)
{
    comp_setup_ctx(ctx, data);
}

static void *
run_guest(void *arg)
{
    guest_run *g = arg;

    wc_wasi_http_serve(&g->t, g->req);
    wc_http_req_local_ended(g->req);
    return NULL;
}

/* result<response, error-code>::err(internal-error(some(msg))) */
static void
send_http_error(call *cl, const char *msg)
{
    wc_strbuf out = WC_STRBUF_INIT;

    wc_strbuf_addch(&out, 1);
    wc_leb_put(&out, 38); /* internal-error */
    wc_strbuf_addch(&out, 1);
    wc_leb_put_bytes(&out, msg, strlen(msg));
    send_results(cl, &out, NULL);
    wc_strbuf_release(&out);
}

/* Trailers as "name: value\r\n" lines -> option<fields>. */
static void
put_trailers(wc_strbuf *out, const char *lines)
{
    size_t n = 0;
    wc_strbuf body = WC_STRBUF_INIT;

    for (const char *p = lines; p != NULL && *p;) {
        const char *colon = strchr(p, ':'), *eol = strstr(p, "\r\n");

        if (colon == NULL || eol == NULL || colon > eol) {
            break;
        }
        wc_leb_put_bytes(&body, p, (size_t)(colon - p));
        colon += colon[1] == ' ' ? 2 : 1;
        wc_leb_put(&body, 1);
        wc_leb_put_bytes(&body, colon, (size_t)(eol - colon));
        n++;
        p = eol + 2;
    }
    if (n == 0) {
        wc_strbuf_addch(out, 0);
    } else {
        wc_strbuf_addch(out, 1);
        wc_leb_put(out, n);
        wc_strbuf_add(out, body.buf, body.len);
    }
    wc_strbuf_release(&body);
}

static void
serve_http(call *cl, hcomp *c)
{
    invocation inv;
    http_in in;
    feeder fd = {cl, NULL, 0};
    guest_run g;
    wc_http_header *rh = NULL;
    size_t nrh = 0;
    wc_pipe *body = NULL;
    wc_strbuf out = WC_STRBUF_INIT;
    wc_error err = WC_ERROR_INIT;
    char subject[512];
    int rc, status;

    memset(&in, 0, sizeof(in));
    memset(&g, 0, sizeof(g));
    for (;;) {
        rd r = {(const uint8_t *)cl->params.buf, (const uint8_t *)cl->params.buf + cl->params.len};

        if ((rc = get_request(&r, &in)) != 1) {
            break;
        }
        if (more_params(cl) != 0) {
            http_in_free(&in);
            return;
        }
    }
    if (rc != 0) {
        fail(cl, "malformed wrpc:http request%s", "");
        http_in_free(&in);
        return;
    }
    memset(&inv, 0, sizeof(inv));
    inv.h = cl->h;
    if (comp_acquire(c, &inv, &err) != 0) {
        send_http_error(cl, err.msg);
        http_in_free(&in);
        return;
    }
    fd.pipe = wc_pipe_new(in.body != NULL && in.body_len > BODY_PIPE ? in.body_len : BODY_PIPE);
    if (in.body != NULL) {
        wc_pipe_write_all(fd.pipe, in.body, in.body_len);
        wc_pipe_close_write(fd.pipe, 0);
    } else {
        wc_pipe_ref(fd.pipe);
        if (pthread_create(&fd.thread, NULL, feed_body, &fd) != 0) {
            wc_pipe_close_write(fd.pipe, 1);
            wc_pipe_unref(fd.pipe);
            fd.thread = 0;
        }
    }
    g.req = wc_http_req_local(in.method, in.target, in.authority, in.headers, in.nheaders, fd.pipe);
    g.t.component = inv.img->comp;
    g.t.linker = inv.img->linker;
    g.t.wasi = inv.img->wasi;
    g.t.deadline_ns = inv.deadline_ns;
    g.t.setup = setup;
    g.t.setup_data = &inv;
    if (pthread_create(&g.thread, NULL, run_guest, &g) != 0) {
        run_guest(&g);
        g.thread = 0;
    }
    status = wc_http_req_local_wait(g.req, &rh, &nrh, &body);
    if (status < 0) {
        send_http_error(cl, "the component did not respond");
    } else {
        /* ok(response { body: pending, trailers: pending, status, headers }) */
        wc_strbuf_addch(&out, 0);
        wc_strbuf_addch(&out, 0);
        wc_strbuf_addch(&out, 0);
        wc_leb_put(&out, (uint64_t)status);
        wc_leb_put(&out, nrh);
        for (size_t i = 0; i < nrh; i++) {
            wc_leb_put_bytes(&out, rh[i].name, rh[i].name_len);
            wc_leb_put(&out, 1);
            wc_leb_put_bytes(&out, rh[i].value, rh[i].value_len);
        }
        send_results(cl, &out, NULL);
        /* The body: chunks (length, bytes), an empty chunk, then the end. */
        snprintf(subject, sizeof(subject), "%s.results.0.0", cl->reply);
        while (body != NULL) {
            uint8_t buf[65536];
            long n;
            int perr = 0;

            wc_pipe_wait_readable(body);
            n = wc_pipe_read(body, buf, sizeof(buf), &perr);
            if (n < 0) {
                break;
            }
            if (n > 0) {
                wc_strbuf_setlen(&out, 0);
                wc_leb_put_bytes(&out, buf, (size_t)n);
                publish(cl, subject, out.buf, out.len);
            }
        }
        publish(cl, subject, "", 1);
        close_subject(cl, subject, NULL);
        if (g.thread != 0) {
            pthread_join(g.thread, NULL);
            g.thread = 0;
        }
        snprintf(subject, sizeof(subject), "%s.results.0.1", cl->reply);
        wc_strbuf_setlen(&out, 0);
        put_trailers(&out, wc_http_req_local_trailers(g.req));
        publish(cl, subject, out.buf, out.len);
        close_subject(cl, subject, NULL);
    }
    if (body != NULL) {
        wc_pipe_close_read(body);
        wc_pipe_unref(body);
    }
    if (g.thread != 0) {
        pthread_join(g.thread, NULL);
    }
    wc_pipe_close_read(fd.pipe); /* a feeder still writing gives up */
    if (fd.thread != 0) {
        pthread_join(fd.thread, NULL);
        wc_pipe_unref(fd.pipe);
    }
    wc_http_req_local_free(g.req);
    free(rh);
    wc_strbuf_release(&out);
    http_in_free(&in);
    comp_release(&inv);
}

/* ---- dispatch ---- */

/* {lattice}.{id}.wrpc.0.0.1.{instance}.{func}: instance may hold dots, func does not. */
static int
parse_subject(call *cl, const char *subject)
{
    size_t ll = strlen(cl->h->lattice);
    const char *id = subject + ll + 1, *dot, *rest, *last;

    if (strncmp(subject, cl->h->lattice, ll) != 0 || subject[ll] != '.' ||
        (dot = strchr(id, '.')) == NULL || strncmp(dot + 1, PROTOCOL, strlen(PROTOCOL)) != 0 ||
        (size_t)(dot - id) >= sizeof(cl->id)) {
        return -1;
    }
    snprintf(cl->id, sizeof(cl->id), "%.*s", (int)(dot - id), id);
    rest = dot + 1 + strlen(PROTOCOL);
    last = strrchr(rest, '.');
    if (last == NULL) {
        snprintf(cl->func, sizeof(cl->func), "%s", rest);
    } else {
        snprintf(cl->instance, sizeof(cl->instance), "%.*s", (int)(last - rest), rest);
        snprintf(cl->func, sizeof(cl->func), "%s", last + 1);
    }
    return cl->func[0] != '\0' ? 0 : -1;
}

static void *
invoke(void *arg)
{
    call *cl = arg;
    natsConnection *nc = conn(cl);
    char subject[512];
    hcomp *c;

    cl->reply = natsMsg_GetReply(cl->msg);
    if (cl->reply == NULL || *cl->reply == '\0' ||
        parse_subject(cl, natsMsg_GetSubject(cl->msg)) != 0) {
        WC_WARN("wrpc", "ignored an invocation on %s: %s", natsMsg_GetSubject(cl->msg),
                cl->reply == NULL || *cl->reply == '\0' ? "no reply subject"
                                                        : "not a wrpc.0.0.1 subject");
        goto out;
    }
    wc_strbuf_add(&cl->params, natsMsg_GetData(cl->msg), (size_t)natsMsg_GetDataLength(cl->msg));
    /* The handshake: our inbox, then an empty reply naming it. */
    if (natsInbox_Create(&cl->inbox) != NATS_OK) {
        goto out;
    }
    snprintf(subject, sizeof(subject), "%s.>", cl->inbox);
    if (natsConnection_SubscribeSync(&cl->sub, nc, subject) != NATS_OK) {
        goto out;
    }
    natsConnection_PublishRequest(nc, cl->reply, cl->inbox, NULL, 0);
    if ((c = comp_get(cl->h, cl->id)) == NULL) {
        fail(cl, "component %s is not running on this host", cl->id);
        goto out;
    }
    if (strcmp(cl->instance, HTTP_INSTANCE) == 0 && strcmp(cl->func, "handle") == 0) {
        serve_http(cl, c);
    } else {
        serve_func(cl, c);
    }
    comp_unref(c);
out:
    if (cl->sub != NULL) {
        natsSubscription_Unsubscribe(cl->sub);
        natsSubscription_Destroy(cl->sub);
    }
    natsInbox_Destroy(cl->inbox);
    wc_strbuf_release(&cl->params);
    natsMsg_Destroy(cl->msg);
    pthread_mutex_lock(&cl->h->rpc_mu);
    if (--cl->h->rpc_active == 0) {
        pthread_cond_broadcast(&cl->h->rpc_cond);
    }
    pthread_mutex_unlock(&cl->h->rpc_mu);
    free(cl);
    return NULL;
}

static void
on_invoke(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    wc_host *h = closure;
    call *cl = wc_xcalloc(1, sizeof(*cl));
    pthread_attr_t attr;
    pthread_t t;

    (void)nc, (void)sub;
    cl->h = h;
    cl->msg = msg;
    pthread_mutex_lock(&h->rpc_mu);
    h->rpc_active++;
    pthread_mutex_unlock(&h->rpc_mu);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, invoke, cl) != 0) {
        invoke(cl); /* no thread to spare: serve it here */
    }
    pthread_attr_destroy(&attr);
}

int
rpc_subscribe(wc_host *h, hcomp *c, wc_error *err)
{
    char subject[512], queue[300];
    natsStatus s;

    snprintf(subject, sizeof(subject), "%s.%s.%s>", h->lattice, c->id, PROTOCOL);
    snprintf(queue, sizeof(queue), "%s.%s", h->lattice, c->id);
    s = natsConnection_QueueSubscribe(&c->rpc, wc_lattice_conn(h->lat), subject, queue, on_invoke,
                                      h);
    if (s != NATS_OK) {
        return wc_lattice_error(err, s, "subscribe for wRPC invocations");
    }
    natsSubscription_SetPendingLimits(c->rpc, 65536, 64 * 1024 * 1024);
    return 0;
}

void
rpc_unsubscribe(hcomp *c)
{
    if (c->rpc != NULL) {
        natsSubscription_Unsubscribe(c->rpc);
        natsSubscription_Destroy(c->rpc);
        c->rpc = NULL;
    }
}

void
rpc_wait_idle(wc_host *h, uint64_t timeout_ns)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(timeout_ns / 1000000000ull);
    pthread_mutex_lock(&h->rpc_mu);
    while (h->rpc_active > 0 && pthread_cond_timedwait(&h->rpc_cond, &h->rpc_mu, &ts) == 0) {
    }
    if (h->rpc_active > 0) {
        WC_WARN("wrpc", "%d invocations still running at shutdown", h->rpc_active);
    }
    pthread_mutex_unlock(&h->rpc_mu);
}
