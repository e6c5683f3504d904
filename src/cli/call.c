/*
 * call.c - `wash call ID FUNCTION [ARGS...]`: invoke a component's export
 * over wRPC, as another host or a provider would.
 *
 * FUNCTION is instance.function ("test:strings/echo@0.1.0.echo") or a
 * top-level function name. Arguments are WAVE text, one per parameter
 * ("42", "\"hi\"", "{x: 1}"), encoded with the function's type, which we
 * read from the component itself: the image the lattice reports for ID
 * when it is a local file, or --component FILE. The result prints as WAVE.
 *
 * wasi:http/incoming-handler.handle (or wrpc:http/...) sends an HTTP
 * request instead (--http-method, --http-path, -H, --http-body...) and
 * prints the response body; -o json prints status, headers and body.
 *
 * The transport is the host's (src/host/wrpc.c explains the protocol); a
 * failure a host reports arrives in the wasmcloud-error header.
 */
#include "cli/cli.h"

#include "base/duration.h"
#include "base/leb128.h"
#include "base/strbuf.h"
#include "lattice/lattice.h"
#include "wc/component.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct client {
    wc_lattice *lat;
    natsConnection *nc;
    char *inbox;               /* R_c */
    natsSubscription *hs, *rs; /* R_c (the handshake), R_c.> (results) */
    int64_t deadline_ms;
    /* Results by subject suffix: "results", "results.0.0", "results.0.1". */
    wc_strbuf res[3];
    int ended[3];
    char error[1024];
} client;

static const char *const suffixes[] = {"results", "results.0.0", "results.0.1"};

static int64_t
left_ms(const client *c)
{
    int64_t l = c->deadline_ms - (int64_t)(wc_now_ns() / 1000000);

    return l > 0 ? l : 0;
}

/* Invoke: publish, wait for the handshake, send the rest of the parameters. */
static int
start(client *c, const char *subject, const wc_strbuf *params, int empty_body, wc_error *err)
{
    char sub[300], rs[300];
    natsMsg *m = NULL, *reply = NULL;
    int64_t max = natsConnection_GetMaxPayload(c->nc) - 1024;
    size_t first = params->len < (size_t)max ? params->len : (size_t)max;
    natsStatus s;

    natsInbox_Create(&c->inbox);
    snprintf(sub, sizeof(sub), "%s.>", c->inbox);
    if (natsConnection_SubscribeSync(&c->hs, c->nc, c->inbox) != NATS_OK ||
        natsConnection_SubscribeSync(&c->rs, c->nc, sub) != NATS_OK) {
        return wc_error_set(err, WC_EIO, "cannot subscribe to %s", c->inbox);
    }
    natsMsg_Create(&m, subject, c->inbox, params->buf, (int)first);
    natsMsgHeader_Set(m, "source-id", "wash");
    s = natsConnection_PublishMsg(c->nc, m);
    natsMsg_Destroy(m);
    if (s != NATS_OK) {
        return wc_lattice_error(err, s, "publish the invocation");
    }
    s = natsSubscription_NextMsg(&reply, c->hs, left_ms(c));
    if (s == NATS_TIMEOUT) {
        return wc_error_set(err, WC_ETIMEDOUT, "no answer from %s", subject);
    }
    if (s == NATS_NO_RESPONDERS) {
        return wc_error_set(err, WC_ETIMEDOUT, "nothing serves %s", subject);
    }
    if (s != NATS_OK) {
        return wc_lattice_error(err, s, "wait for the handshake");
    }
    if (natsMsg_IsNoResponders(reply) || natsMsg_GetReply(reply) == NULL) {
        natsMsg_Destroy(reply);
        return wc_error_set(err, WC_ENOENT, "nothing serves %s", subject);
    }
    snprintf(rs, sizeof(rs), "%s.params", natsMsg_GetReply(reply));
    for (size_t off = first; off < params->len; off += (size_t)max) {
        size_t n = params->len - off < (size_t)max ? params->len - off : (size_t)max;

        natsConnection_Publish(c->nc, rs, params->buf + off, (int)n);
    }
    natsConnection_Publish(c->nc, rs, NULL, 0);
    if (empty_body) { /* a pending body that is empty: the end chunk, then the end */
        snprintf(rs, sizeof(rs), "%s.params.0.0", natsMsg_GetReply(reply));
        natsConnection_Publish(c->nc, rs, "", 1);
        natsConnection_Publish(c->nc, rs, NULL, 0);
    }
    natsMsg_Destroy(reply);
    return 0;
}

/* Read the next result message into its buffer; 0, or an error (timeout). */
static int
pump(client *c, wc_error *err)
{
    natsMsg *m = NULL;
    natsStatus s = natsSubscription_NextMsg(&m, c->rs, left_ms(c));
    size_t il = strlen(c->inbox);
    const char *subj;

    if (s == NATS_TIMEOUT) {
        return wc_error_set(err, WC_ETIMEDOUT, "timed out waiting for the result");
    }
    if (s != NATS_OK) {
        return wc_lattice_error(err, s, "wait for the result");
    }
    subj = natsMsg_GetSubject(m);
    for (int i = 0; i < 3; i++) {
        if (strlen(subj) > il && strcmp(subj + il + 1, suffixes[i]) == 0) {
            const char *e = NULL;

            if (natsMsg_GetDataLength(m) == 0) {
                c->ended[i] = 1;
                if (natsMsgHeader_Get(m, "wasmcloud-error", &e) == NATS_OK && e != NULL) {
                    snprintf(c->error, sizeof(c->error), "%s", e);
                }
            }
            wc_strbuf_add(&c->res[i], natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
        }
    }
    natsMsg_Destroy(m);
    return 0;
}

static int
ended_early(client *c, wc_error *err)
{
    return wc_error_set(err, WC_EIO, "%s",
                        c->error[0] ? c->error
                                    : "the component returned no result (see the host's log)");
}

/* ---- a typed call ---- */

static int
call_func(client *c, const char *subject, const wc_ctype *ft, char **args, int nargs,
          const char *output, wc_error *err)
{
    uint32_t np = wc_ctype_nparams(ft);
    const wc_ctype *rt = wc_ctype_result(ft);
    wc_arena arena = WC_ARENA_INIT;
    wc_strbuf params = WC_STRBUF_INIT, text = WC_STRBUF_INIT;
    wc_cval v, result;
    int rc = 0;

    if (!wc_ctype_crosses(ft)) {
        return wc_error_set(err, WC_ENOTSUP,
                            "this function takes or returns a resource, which cannot be sent "
                            "over wRPC");
    }
    if ((uint32_t)nargs != np) {
        wc_ctype_format(&text, ft);
        rc = wc_error_set(err, WC_EINVAL, "the function takes %u argument%s, %d given: %s", np,
                          np == 1 ? "" : "s", nargs, text.buf);
        goto out;
    }
    for (uint32_t i = 0; i < np; i++) {
        const char *name;
        const wc_ctype *t = wc_ctype_param(ft, i, &name);

        if ((rc = wc_cval_parse(args[i], t, &arena, &v, err)) != 0) {
            wc_error_prefix(err, "argument %u (%s): ", i + 1, name);
            goto out;
        }
        if ((rc = wc_cval_encode(&params, t, &v, err)) != 0) {
            goto out;
        }
    }
    if ((rc = start(c, subject, &params, 0, err)) != 0) {
        goto out;
    }
    for (;;) {
        size_t used;

        if (rt == NULL) {
            if (c->ended[0]) {
                break;
            }
        } else if ((rc = wc_cval_decode_all((const uint8_t *)c->res[0].buf, c->res[0].len, &used,
                                            &rt, 1, &arena, &result, err)) == 0) {
            break;
        } else if (rc != 1) {
            goto out;
        } else if (c->ended[0]) {
            rc = ended_early(c, err);
            goto out;
        }
        if ((rc = pump(c, err)) != 0) {
            goto out;
        }
    }
    if (c->error[0]) {
        rc = wc_error_set(err, WC_EIO, "%s", c->error);
        goto out;
    }
    wc_strbuf_setlen(&text, 0);
    if (rt != NULL) {
        wc_cval_format(&text, rt, &result);
    }
    if (strcmp(output, "json") == 0) {
        json_t *j = json_pack("{s:b, s:s}", "success", 1, "result", text.buf);
        char *s = json_dumps(j, JSON_INDENT(2));

        printf("%s\n", s);
        free(s);
        json_decref(j);
    } else if (rt != NULL) {
        printf("%s\n", text.buf);
    }
out:
    wc_strbuf_release(&params);
    wc_strbuf_release(&text);
    wc_arena_release(&arena);
    return rc;
}

/* ---- HTTP ---- */

typedef struct http_opts {
    const char *method, *path, *body, *body_path, *content_type, *host, *scheme;
    uint64_t port;
    wc_strlist headers;
} http_opts;

/* result<response, error-code>: status and headers into j; 1 = need more bytes. */
static int
parse_response(const wc_strbuf *res, json_t *j, int *body_ready, wc_strbuf *body, wc_error *err)
{
    const uint8_t *p = (const uint8_t *)res->buf, *end = p + res->len, *b;
    uint64_t status, nf, nv, disc;
    size_t n;
    json_t *headers = json_object_get(j, "headers");

    if (p == end) {
        return 1;
    }
    if (*p++ != 0) {
        const uint8_t *q;

        if (wc_leb_get(&p, end, &disc) != 0) {
            return 1;
        }
        q = p + 1;

        if (disc == 38 && p < end && *p == 1 && wc_leb_get_bytes(&q, end, &b, &n) == 0) {
            return wc_error_set(err, WC_EIO, "the component failed: %.*s", (int)n, b);
        }
        return wc_error_set(err, WC_EIO, "the request failed (wasi:http error-code %llu)",
                            (unsigned long long)disc);
    }
    if (wc_leb_get_bytes(&p, end, &b, &n) != 0) {
        return 1;
    }
    *body_ready = n > 0;
    wc_strbuf_add(body, b, n);
    if (p == end) {
        return 1;
    }
    if (*p++ == 1) { /* trailers ready: option<fields> (skipped) */
        if (p == end) {
            return 1;
        }
        if (*p++ == 1) {
            if (wc_leb_get(&p, end, &nf) != 0) {
                return 1;
            }
            for (uint64_t i = 0; i < nf; i++) {
                if (wc_leb_get_bytes(&p, end, &b, &n) != 0 || wc_leb_get(&p, end, &nv) != 0) {
                    return 1;
                }
                for (uint64_t k = 0; k < nv; k++) {
                    if (wc_leb_get_bytes(&p, end, &b, &n) != 0) {
                        return 1;
                    }
                }
            }
        }
    }
    if (wc_leb_get(&p, end, &status) != 0 || wc_leb_get(&p, end, &nf) != 0) {
        return 1;
    }
    json_object_set_new(j, "status", json_integer((json_int_t)status));
    json_object_clear(headers);
    for (uint64_t i = 0; i < nf; i++) {
        const uint8_t *name;
        size_t nlen;

        if (wc_leb_get_bytes(&p, end, &name, &nlen) != 0 || wc_leb_get(&p, end, &nv) != 0) {
            return 1;
        }
        for (uint64_t k = 0; k < nv; k++) {
            char key[256];

            if (wc_leb_get_bytes(&p, end, &b, &n) != 0) {
                return 1;
            }
            snprintf(key, sizeof(key), "%.*s", (int)nlen, name);
            json_object_set_new(headers, key, json_stringn((const char *)b, n));
        }
    }
    return 0;
}

/* The body stream's chunks (length, bytes) up to the empty one; 1 = need more. */
static int
take_chunks(wc_strbuf *in, size_t *off, wc_strbuf *body)
{
    for (;;) {
        const uint8_t *p = (const uint8_t *)in->buf + *off, *b;
        size_t n;

        if (wc_leb_get_bytes(&p, (const uint8_t *)in->buf + in->len, &b, &n) != 0) {
            return 1;
        }
        *off = (size_t)(p - (const uint8_t *)in->buf);
        if (n == 0) {
            return 0;
        }
        wc_strbuf_add(body, b, n);
    }
}

static int
call_http(client *c, const char *lattice, const char *id, const http_opts *h, const char *output,
          wc_error *err)
{
    static const char *const methods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                          "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    wc_strbuf req = WC_STRBUF_INIT, body = WC_STRBUF_INIT, resp = WC_STRBUF_INIT;
    json_t *j = json_pack("{s:i, s:{}}", "status", 0, "headers");
    char subject[512], authority[300];
    size_t nh = h->headers.n + (h->content_type != NULL), off = 0, m;
    int rc, body_ready = 0, have_head = 0;

    if (h->body_path != NULL && (rc = wc_cli_read_file(h->body_path, &body, err)) != 0) {
        goto out;
    }
    if (h->body != NULL) {
        wc_strbuf_adds(&body, h->body);
    }
    /* request { body, trailers, method, path-with-query, scheme, authority, headers } */
    wc_leb_put_bytes(&req, body.buf, body.len); /* ready inline, or empty: pending */
    wc_strbuf_addch(&req, 1);                   /* trailers: ready, */
    wc_strbuf_addch(&req, 0);                   /* none */
    for (m = 0; m < 9 && strcasecmp(methods[m], h->method) != 0; m++) {
    }
    wc_leb_put(&req, m);
    if (m == 9) {
        wc_leb_put_bytes(&req, h->method, strlen(h->method));
    }
    wc_strbuf_addch(&req, 1);
    wc_leb_put_bytes(&req, h->path, strlen(h->path));
    wc_strbuf_addch(&req, 1);
    if (strcmp(h->scheme, "http") == 0 || strcmp(h->scheme, "https") == 0) {
        wc_leb_put(&req, strcmp(h->scheme, "https") == 0);
    } else {
        wc_leb_put(&req, 2);
        wc_leb_put_bytes(&req, h->scheme, strlen(h->scheme));
    }
    snprintf(authority, sizeof(authority), "%s:%llu", h->host, (unsigned long long)h->port);
    wc_strbuf_addch(&req, 1);
    wc_leb_put_bytes(&req, authority, strlen(authority));
    wc_leb_put(&req, nh);
    for (size_t i = 0; i < h->headers.n; i++) {
        const char *colon = strchr(h->headers.v[i], ':'), *v;

        if (colon == NULL) {
            rc = wc_error_set(err, WC_EINVAL, "-H %s: expected 'name: value'", h->headers.v[i]);
            goto out;
        }
        for (v = colon + 1; *v == ' '; v++) {
        }
        wc_leb_put_bytes(&req, h->headers.v[i], (size_t)(colon - h->headers.v[i]));
        wc_leb_put(&req, 1);
        wc_leb_put_bytes(&req, v, strlen(v));
    }
    if (h->content_type != NULL) {
        wc_leb_put_bytes(&req, "content-type", 12);
        wc_leb_put(&req, 1);
        wc_leb_put_bytes(&req, h->content_type, strlen(h->content_type));
    }
    snprintf(subject, sizeof(subject), "%s.%s.wrpc.0.0.1.wrpc:http/incoming-handler@0.1.0.handle",
             lattice, id);
    wc_strbuf_setlen(&body, 0);
    if ((rc = start(c, subject, &req, req.buf[0] == 0, err)) != 0) {
        goto out;
    }
    /* The head, then the body unless it came inline. */
    for (;;) {
        if (!have_head) {
            wc_strbuf_setlen(&resp, 0);
            rc = parse_response(&c->res[0], j, &body_ready, &resp, err);
            if (rc < 0) {
                goto out;
            }
            if (rc == 0) {
                have_head = 1;
                if (body_ready) {
                    wc_strbuf_add(&body, resp.buf, resp.len);
                    break;
                }
            } else if (c->ended[0]) {
                rc = ended_early(c, err);
                goto out;
            }
        }
        if (have_head && take_chunks(&c->res[1], &off, &body) == 0) {
            break;
        }
        if (have_head && c->ended[1]) {
            rc = wc_error_set(err, WC_EIO, "the response body ended early%s%s",
                              c->error[0] ? ": " : "", c->error);
            goto out;
        }
        if ((rc = pump(c, err)) != 0) {
            goto out;
        }
    }
    rc = 0;
    if (strcmp(output, "json") == 0) {
        char *s;

        json_object_set_new(j, "body", json_stringn(body.buf, body.len));
        s = json_dumps(j, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
    } else {
        json_int_t status = json_integer_value(json_object_get(j, "status"));

        fwrite(body.buf, 1, body.len, stdout);
        if (status < 200 || status > 299) {
            fflush(stdout);
            rc = wc_error_set(err, WC_EIO, "HTTP status %lld", (long long)status);
        }
    }
out:
    json_decref(j);
    wc_strbuf_release(&req);
    wc_strbuf_release(&body);
    wc_strbuf_release(&resp);
    return rc;
}

/* ---- the command ---- */

static int
is_http(const char *instance, const char *func)
{
    return strcmp(func, "handle") == 0 &&
           (strncmp(instance, "wasi:http/incoming-handler", 26) == 0 ||
            strncmp(instance, "wrpc:http/incoming-handler", 26) == 0) &&
           (instance[26] == '\0' || instance[26] == '@');
}

/* The function's type, from --component FILE or the image the lattice reports for id. */
static int
func_type(client *c, const char *lattice, const char *id, const char *file, const char *instance,
          const char *func, wc_strbuf *bytes, wc_arena *arena, const wc_ctype **ft, wc_error *err)
{
    char host[128], image[2048];
    const char *path = file;
    int rc;

    if (path == NULL) {
        if ((rc = wc_cli_locate(c->lat, lattice, id, 0, host, sizeof(host), image, sizeof(image),
                                err)) != 0) {
            return rc;
        }
        if (strncmp(image, "file://", 7) != 0) {
            return wc_error_set(err, WC_ENOTSUP,
                                "the types of %s come from its image %s, which is not a local "
                                "file: give the component with --component FILE",
                                id, image);
        }
        path = image + 7;
    }
    if ((rc = wc_cli_read_file(path, bytes, err)) != 0) {
        return rc;
    }
    rc = wc_component_func_type(bytes->buf, bytes->len, instance, func, arena, ft, err);
    if (rc != 0) {
        wc_error_prefix(err, "%s: ", path);
    }
    return rc;
}

int
cmd_call(int argc, char **argv)
{
    const char *nats_url = "nats://127.0.0.1:4222", *output = "text", *file = NULL;
    const char *lattice = getenv("WASMCLOUD_LATTICE") ? getenv("WASMCLOUD_LATTICE") : "default";
    uint64_t timeout = 10000000000ull;
    http_opts h = {"GET", "/", NULL, NULL, NULL, "localhost", "http", 8080, {NULL, 0}};
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &nats_url},
        {"lattice", 'x', WC_OPT_STRING, &lattice},
        {"output", 'o', WC_OPT_STRING, &output},
        {"timeout", 0, WC_OPT_DURATION, &timeout},
        {"component", 0, WC_OPT_STRING, &file},
        {"http-method", 0, WC_OPT_STRING, &h.method},
        {"http-path", 0, WC_OPT_STRING, &h.path},
        {"http-body", 0, WC_OPT_STRING, &h.body},
        {"http-body-path", 0, WC_OPT_STRING, &h.body_path},
        {"http-content-type", 0, WC_OPT_STRING, &h.content_type},
        {"http-header", 'H', WC_OPT_LIST, &h.headers},
        {"http-host", 0, WC_OPT_STRING, &h.host},
        {"http-port", 0, WC_OPT_UINT, &h.port},
        {"http-scheme", 0, WC_OPT_STRING, &h.scheme},
        {NULL, 0, 0, NULL},
    };
    wc_lattice_config lc;
    client c;
    wc_arena arena = WC_ARENA_INIT;
    wc_strbuf bytes = WC_STRBUF_INIT;
    wc_error err = WC_ERROR_INIT;
    char instance[256] = "", func[128], subject[600];
    const char *dot;
    const wc_ctype *ft;
    int npos, rc;

    rc = wc_parse_options(wc_find_command("call"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (npos < 2) {
        wc_cli_error("call", "usage: wash call ID FUNCTION [ARGS...] (see wash call --help)");
        free(h.headers.v);
        return 2;
    }
    if (h.body != NULL && h.body_path != NULL) {
        wc_cli_error("call", "give --http-body or --http-body-path, not both");
        free(h.headers.v);
        return 2;
    }
    dot = strrchr(argv[2], '.');
    snprintf(func, sizeof(func), "%s", dot != NULL ? dot + 1 : argv[2]);
    if (dot != NULL) {
        snprintf(instance, sizeof(instance), "%.*s", (int)(dot - argv[2]), argv[2]);
    }
    memset(&c, 0, sizeof(c));
    wc_lattice_config_init(&lc);
    lc.url = nats_url;
    lc.lattice = lattice;
    if (wc_lattice_connect(&lc, &c.lat, &err) != 0) {
        wc_cli_error("call", "%s (is NATS running? wash up starts it)", err.msg);
        free(h.headers.v);
        return 1;
    }
    c.nc = wc_lattice_conn(c.lat);
    c.deadline_ms = (int64_t)((wc_now_ns() + timeout) / 1000000);
    wc_progress_begin("Calling");
    if (is_http(instance, func)) {
        rc = call_http(&c, lattice, argv[1], &h, output, &err);
    } else if ((rc = func_type(&c, lattice, argv[1], file, instance, func, &bytes, &arena, &ft,
                               &err)) == 0) {
        snprintf(subject, sizeof(subject), "%s.%s.wrpc.0.0.1.%s%s%s", lattice, argv[1], instance,
                 instance[0] ? "." : "", func);
        rc = call_func(&c, subject, ft, argv + 3, npos - 2, output, &err);
    }
    wc_progress_end();
    if (rc == WC_ETIMEDOUT) {
        wc_cli_error("call", "%s: is component %s running in lattice %s? (wash get inventory)",
                     err.msg, argv[1], lattice);
    } else if (rc != 0) {
        wc_cli_error("call", "%s", err.msg);
    }
    for (int i = 0; i < 3; i++) {
        wc_strbuf_release(&c.res[i]);
    }
    natsSubscription_Destroy(c.hs);
    natsSubscription_Destroy(c.rs);
    natsInbox_Destroy(c.inbox);
    wc_lattice_close(c.lat, 1000000000ull);
    wc_strbuf_release(&bytes);
    wc_arena_release(&arena);
    free(h.headers.v);
    return rc == 0 ? 0 : 1;
}
