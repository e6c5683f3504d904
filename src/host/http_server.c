/*
 * http_server.c - the built-in HTTP server provider.
 *
 * Its links (provider -> component, wasi:http/incoming-handler) say where
 * to listen and whom to call. The provider's config chooses how
 * (routing_mode, as wasmCloud's http-server provider):
 *
 *   address (default)  a listener per link, at the link's source config
 *                      `address` (or `port`: 127.0.0.1:PORT), else at
 *                      default_address; one component per address
 *   path               one listener at default_address; a link's `path` is
 *                      a prefix ("/api" serves /api and /api/...), longest wins
 *   host               one listener at default_address; a link's `host` is
 *                      matched against a request header: Host by default,
 *                      or `header` (e.g. X-Forwarded-Host or a header a
 *                      reverse proxy sets to choose the component)
 *
 * Listeners are our streaming server (src/http); requests run the component
 * in this process, on the listener's workers, within the component's permits.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "wasi/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MODE_ADDRESS, MODE_PATH, MODE_HOST };

/* Workers per listener: each runs a guest that may block (sleep, call out). */
#define LISTENER_WORKERS 64

typedef struct route {
    char *key; /* path prefix or host; unused in address mode */
    char *component;
} route;

typedef struct listener {
    wc_host *h;
    char *addr;
    int mode;
    char *header; /* host mode: the header to match */
    wc_http_server *server;
    pthread_mutex_t mu; /* guards routes */
    WC_VEC(route) routes;
} listener;

typedef struct http_state {
    int mode;
    char *default_address, *header;
    WC_VEC(listener *) listeners;
} http_state;

static void
routes_free(listener *l)
{
    for (size_t i = 0; i < l->routes.n; i++) {
        free(l->routes.v[i].key);
        free(l->routes.v[i].component);
    }
    wc_vec_free(&l->routes);
}

static void
listener_free(listener *l, uint64_t grace_ns)
{
    if (l->server != NULL) {
        wc_http_server_stop(l->server, grace_ns);
    }
    routes_free(l);
    pthread_mutex_destroy(&l->mu);
    free(l->addr);
    free(l->header);
    free(l);
}

/* ---- serving ---- */

static void
setup(wc_wasi_ctx *ctx, void *data)
{
    comp_setup_ctx(ctx, data);
}

static void respond_text(wc_http_req *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
respond_text(wc_http_req *req, int status, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n > (int)sizeof(buf) - 2) {
        n = (int)sizeof(buf) - 2;
    }
    buf[n++] = '\n';
    wc_http_respond_simple(req, status, "text/plain; charset=utf-8", buf, (size_t)n);
}

static void
serve(wc_host *h, const char *component, wc_http_req *req)
{
    hcomp *c = comp_get(h, component);
    invocation inv;
    wc_wasi_http_target t;
    wc_error err = WC_ERROR_INIT;

    if (c == NULL) {
        respond_text(req, 503, "component %s is not running on this host", component);
        return;
    }
    memset(&inv, 0, sizeof(inv));
    inv.h = h;
    if (comp_acquire(c, &inv, &err) != 0) {
        WC_WARN("http", "%s %s: %s", wc_http_req_method(req), wc_http_req_target(req), err.msg);
        respond_text(req, 503, "%s", err.msg);
        comp_unref(c);
        return;
    }
    t.component = inv.img->comp;
    t.linker = inv.img->linker;
    t.wasi = inv.img->wasi;
    t.deadline_ns = inv.deadline_ns;
    t.setup = setup;
    t.setup_data = &inv;
    wc_wasi_http_serve(&t, req);
    comp_release(&inv);
    comp_unref(c);
}

static const char *
header_value(const wc_http_req *req, const char *name, size_t *len)
{
    size_t nlen = strlen(name);

    for (size_t i = 0; i < wc_http_req_nheaders(req); i++) {
        const wc_http_header *hd = wc_http_req_header(req, i);

        if (hd->name_len == nlen && strncasecmp(hd->name, name, nlen) == 0) {
            *len = hd->value_len;
            return hd->value;
        }
    }
    return NULL;
}

/* Does path (without query) start with prefix at a segment boundary? */
static int
path_matches(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    if (n > 0 && prefix[n - 1] == '/') {
        n--;
    }
    if (strncmp(path, prefix, n) != 0) {
        return 0;
    }
    return path[n] == '\0' || path[n] == '/' || path[n] == '?';
}

static void
on_request(void *data, wc_http_req *req)
{
    listener *l = data;
    char component[256] = "";
    size_t best = 0;

    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->routes.n; i++) {
        const route *r = &l->routes.v[i];

        if (l->mode == MODE_ADDRESS) {
            snprintf(component, sizeof(component), "%s", r->component);
            break;
        }
        if (l->mode == MODE_PATH) {
            if (path_matches(wc_http_req_target(req), r->key) && strlen(r->key) + 1 > best) {
                best = strlen(r->key) + 1;
                snprintf(component, sizeof(component), "%s", r->component);
            }
        } else {
            size_t len = 0, klen = strlen(r->key);
            const char *v = header_value(req, l->header, &len);

            /* "example.com" also matches "example.com:8080". */
            if (v != NULL && len >= klen && strncasecmp(v, r->key, klen) == 0 &&
                (len == klen || (v[klen] == ':' && strchr(r->key, ':') == NULL))) {
                snprintf(component, sizeof(component), "%s", r->component);
                break;
            }
        }
    }
    pthread_mutex_unlock(&l->mu);
    if (*component == '\0') {
        respond_text(req, 404, "%s",
                     l->mode == MODE_PATH   ? "path not found"
                     : l->mode == MODE_HOST ? "host not found"
                                            : "no component linked here");
        return;
    }
    serve(l->h, component, req);
}

/* ---- sync with links ---- */

typedef struct want {
    char *addr, *key, *component;
} want;

static const char *
cfg_str(json_t *cfg, const char *key)
{
    json_t *v = json_object_get(cfg, key);

    return json_is_string(v) && *json_string_value(v) != '\0' ? json_string_value(v) : NULL;
}

static listener *
find_listener(http_state *st, const char *addr)
{
    for (size_t i = 0; i < st->listeners.n; i++) {
        if (strcmp(st->listeners.v[i]->addr, addr) == 0) {
            return st->listeners.v[i];
        }
    }
    return NULL;
}

static void
stop_all(http_state *st, uint64_t grace_ns)
{
    for (size_t i = 0; i < st->listeners.n; i++) {
        WC_INFO("http", "closing listener %s", st->listeners.v[i]->addr);
        listener_free(st->listeners.v[i], grace_ns);
    }
    wc_vec_free(&st->listeners);
}

void
http_provider_sync(wc_host *h, hprov *p)
{
    http_state *st = p->state;
    WC_VEC(want) wants = {0};
    const wc_lt_component_specification *spec;
    json_t *pcfg;
    int mode = MODE_ADDRESS, failed = 0;
    const char *m;
    char *default_address, *header;

    if (st == NULL) {
        st = p->state = wc_xcalloc(1, sizeof(*st));
        st->mode = -1;
    }
    pthread_rwlock_rdlock(&h->lock);
    pcfg = state_config_merge(h, &p->cmd.config);
    m = cfg_str(pcfg, "routing_mode");
    if (m != NULL && strcmp(m, "path") == 0) {
        mode = MODE_PATH;
    } else if (m != NULL && strcmp(m, "host") == 0) {
        mode = MODE_HOST;
    } else if (m != NULL && strcmp(m, "address") != 0) {
        WC_WARN("http", "provider %s: unknown routing_mode \"%s\"; using address", p->id, m);
    }
    default_address = wc_xstrdup(cfg_str(pcfg, "default_address") ? cfg_str(pcfg, "default_address")
                                                                  : "0.0.0.0:8000");
    header = wc_xstrdup(cfg_str(pcfg, "header") ? cfg_str(pcfg, "header") : "host");
    json_decref(pcfg);
    spec = state_spec(h, p->id);
    for (size_t i = 0; spec != NULL && i < spec->links.n; i++) {
        const wc_lt_link *l = &spec->links.v[i];
        json_t *lcfg;
        const char *addr, *key = NULL;
        char portaddr[64];
        want w;

        if (strcmp(l->wit_namespace, "wasi") != 0 || strcmp(l->wit_package, "http") != 0 ||
            !strlist_has(&l->interfaces, "incoming-handler") ||
            !state_configs_known(h, &l->source_config)) {
            continue;
        }
        lcfg = state_config_merge(h, &l->source_config);
        addr = cfg_str(lcfg, "address");
        if (addr == NULL && cfg_str(lcfg, "port") != NULL) {
            snprintf(portaddr, sizeof(portaddr), "127.0.0.1:%s", cfg_str(lcfg, "port"));
            addr = portaddr;
        }
        if (mode != MODE_ADDRESS) {
            key = cfg_str(lcfg, mode == MODE_PATH ? "path" : "host");
            if (key == NULL) {
                WC_WARN("http", "link %s -> %s: routing_mode %s needs a \"%s\" in its config",
                        p->id, l->target, mode == MODE_PATH ? "path" : "host",
                        mode == MODE_PATH ? "path" : "host");
                json_decref(lcfg);
                failed = 1;
                continue;
            }
            addr = default_address;
        } else if (addr == NULL) {
            addr = default_address;
        }
        w.addr = wc_xstrdup(addr);
        w.key = key != NULL ? wc_xstrdup(key) : NULL;
        w.component = wc_xstrdup(l->target);
        wc_vec_push(&wants, w);
        json_decref(lcfg);
    }
    pthread_rwlock_unlock(&h->lock);

    /* A new mode or default address: start over. */
    if (st->mode != mode || st->default_address == NULL ||
        strcmp(st->default_address, default_address) != 0 || strcmp(st->header, header) != 0) {
        stop_all(st, 10ull * 1000000000ull);
        free(st->default_address);
        free(st->header);
        st->mode = mode;
        st->default_address = default_address;
        st->header = header;
    } else {
        free(default_address);
        free(header);
    }
    /* Close listeners nobody wants any more. */
    for (size_t i = 0; i < st->listeners.n;) {
        listener *l = st->listeners.v[i];
        int wanted = 0;

        for (size_t j = 0; j < wants.n && !wanted; j++) {
            wanted = strcmp(wants.v[j].addr, l->addr) == 0;
        }
        if (wanted) {
            i++;
            continue;
        }
        WC_INFO("http", "provider %s: closing listener %s (no links left)", p->id, l->addr);
        listener_free(l, 10ull * 1000000000ull);
        st->listeners.v[i] = st->listeners.v[--st->listeners.n];
    }
    /* Open new listeners, then set every listener's routes. */
    for (size_t i = 0; i < wants.n; i++) {
        listener *l = find_listener(st, wants.v[i].addr);
        wc_http_server_config hc;
        wc_error err = WC_ERROR_INIT;

        if (l != NULL) {
            continue;
        }
        l = wc_xcalloc(1, sizeof(*l));
        l->h = h;
        l->addr = wc_xstrdup(wants.v[i].addr);
        l->mode = mode;
        l->header = wc_xstrdup(st->header);
        pthread_mutex_init(&l->mu, NULL);
        wc_http_server_config_init(&hc);
        hc.addr = l->addr;
        hc.workers = LISTENER_WORKERS;
        if (wc_http_server_start(&hc, on_request, l, &l->server, &err) != 0) {
            WC_ERR("http", "provider %s: cannot listen on %s: %s", p->id, l->addr, err.msg);
            l->server = NULL;
            listener_free(l, 0);
            failed = 1;
            continue;
        }
        WC_INFO("http", "provider %s: listening on http://%s", p->id,
                wc_http_server_addr(l->server));
        wc_vec_push(&st->listeners, l);
    }
    for (size_t i = 0; i < st->listeners.n; i++) {
        listener *l = st->listeners.v[i];
        WC_VEC(route) routes = {0};

        for (size_t j = 0; j < wants.n; j++) {
            route r;

            if (strcmp(wants.v[j].addr, l->addr) != 0) {
                continue;
            }
            if (mode == MODE_ADDRESS && routes.n > 0) {
                WC_WARN("http", "address %s is already served by %s; not serving %s there", l->addr,
                        routes.v[0].component, wants.v[j].component);
                continue;
            }
            r.key = wants.v[j].key != NULL ? wc_xstrdup(wants.v[j].key) : NULL;
            r.component = wc_xstrdup(wants.v[j].component);
            wc_vec_push(&routes, r);
        }
        pthread_mutex_lock(&l->mu);
        routes_free(l);
        l->routes.v = routes.v;
        l->routes.n = routes.n;
        l->routes.cap = routes.cap;
        pthread_mutex_unlock(&l->mu);
    }
    for (size_t i = 0; i < wants.n; i++) {
        free(wants.v[i].addr);
        free(wants.v[i].key);
        free(wants.v[i].component);
    }
    wc_vec_free(&wants);
    atomic_store(&p->health, failed ? -1 : 1);
}

void
http_provider_stop(wc_host *h, hprov *p, uint64_t grace_ns)
{
    http_state *st = p->state;

    (void)h;
    if (st == NULL) {
        return;
    }
    stop_all(st, grace_ns);
    free(st->default_address);
    free(st->header);
    free(st);
    p->state = NULL;
}
