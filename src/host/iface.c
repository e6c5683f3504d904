/*
 * iface.c - the interfaces a wasmCloud host gives every component:
 *
 *   wasi:logging/logging@0.1.0-draft      log to the host log, with the component id
 *   wasi:config/runtime@0.2.0-draft       the component's named configs, merged
 *   wasi:config/store@0.2.0-draft         the same, by the newer name
 *   wasmcloud:bus/lattice@1.0.0           choose the link name for later calls
 *   wasmcloud:messaging/consumer@0.2.0    publish and request through the linked
 *                                         messaging provider
 *   wasi:keyvalue@0.2.0-draft             through the linked keyvalue provider
 *                                         (keyvalue.c)
 *
 * Host functions find their invocation (component, link name) through the
 * WASI context's user pointer, set by comp_setup_ctx.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "component/cval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INV(call) ((invocation *)((wc_wasi_ctx *)(call)->host)->user)
/* Per linker: the host and the resource types defined in it. */
typedef struct iface_data {
    wc_host *h;
    wc_rtype *call_target;
    kv_iface kv;
} iface_data;

#define HOST(data) (((iface_data *)(data))->h)

/* ---- wasi:logging ---- */

HOSTFN(log_)
{
    static const enum wc_log_level levels[] = {WC_LOG_DEBUG, WC_LOG_DEBUG, WC_LOG_INFO,
                                               WC_LOG_WARN,  WC_LOG_ERROR, WC_LOG_ERROR};
    static const char *const names[] = {"trace", "debug", "info", "warn", "error", "critical"};
    invocation *inv = INV(call);
    uint32_t level = args[0].u.var.disc < 6 ? args[0].u.var.disc : 2;

    (void)data;
    (void)result;
    (void)err;
    wc_log(levels[level], "component", "%s [%s] %.*s: %.*s", inv != NULL ? inv->comp->id : "?",
           names[level], (int)args[1].u.str.len, args[1].u.str.ptr, (int)args[2].u.str.len,
           args[2].u.str.ptr);
    return 0;
}

/* ---- wasi:config ---- */

static json_t *
component_config(wc_host *h, invocation *inv)
{
    json_t *j;

    pthread_rwlock_rdlock(&h->lock);
    j = state_config_merge(h, &inv->comp->spec.config);
    pthread_rwlock_unlock(&h->lock);
    return j;
}

HOSTFN(config_get)
{
    invocation *inv = INV(call);
    json_t *all, *v;
    char *key;
    wc_cval *opt = cv_alloc(call, 1);

    (void)err;
    if (inv == NULL) {
        cv_ok(result, opt); /* none: not in an invocation (the startup probe) */
        return 0;
    }
    all = component_config(HOST(data), inv);
    key = wc_xmalloc(args[0].u.str.len + 1);
    memcpy(key, args[0].u.str.ptr, args[0].u.str.len);
    key[args[0].u.str.len] = '\0';
    v = json_object_get(all, key);
    if (json_is_string(v)) {
        opt->u.var.disc = 1;
        opt->u.var.val = cv_string(call, json_string_value(v));
    }
    free(key);
    json_decref(all);
    cv_ok(result, opt);
    return 0;
}

HOSTFN(config_get_all)
{
    invocation *inv = INV(call);
    json_t *all, *v;
    const char *k;
    wc_cval *list = cv_alloc(call, 1);
    size_t i = 0;

    (void)err;
    if (inv == NULL) {
        cv_ok(result, list);
        return 0;
    }
    all = component_config(HOST(data), inv);
    list->u.list.elems = cv_alloc(call, json_object_size(all));
    json_object_foreach(all, k, v)
    {
        wc_cval *pair = cv_alloc(call, 2);

        if (!json_is_string(v)) {
            continue;
        }
        cv_set_string(call, &pair[0], k, strlen(k));
        cv_set_string(call, &pair[1], json_string_value(v), strlen(json_string_value(v)));
        list->u.list.elems[i++].u.fields = pair;
    }
    list->u.list.n = i;
    json_decref(all);
    cv_ok(result, list);
    return 0;
}

/* ---- wasmcloud:bus/lattice ---- */

static void
call_target_drop(void *host, void *obj)
{
    (void)host;
    free(obj);
}

HOSTFN(call_target_new)
{
    (void)args;
    (void)err;
    *result = *cv_own(call, ((iface_data *)data)->call_target, wc_xstrdup("call-target"));
    return 0;
}

HOSTFN(set_link_name)
{
    invocation *inv = INV(call);
    const wc_cval *targets = &args[1];

    (void)result;
    (void)err;
    for (size_t i = 0; i < targets->u.list.n; i++) {
        free(arg_take(call, &targets->u.list.elems[i], ((iface_data *)data)->call_target));
    }
    if (inv != NULL) {
        size_t n = args[0].u.str.len < sizeof(inv->link_name_buf) - 1
                       ? args[0].u.str.len
                       : sizeof(inv->link_name_buf) - 1;

        memcpy(inv->link_name_buf, args[0].u.str.ptr, n);
        inv->link_name_buf[n] = '\0';
        inv->link_name = inv->link_name_buf;
    }
    return 0;
}

/* ---- wasmcloud:messaging/consumer ---- */

const wc_lt_link *
iface_find_link(wc_host *h, const char *source, const char *ns, const char *pkg, const char *iface,
                const char *link_name)
{
    const wc_lt_component_specification *spec = state_spec(h, source);

    for (size_t i = 0; spec != NULL && i < spec->links.n; i++) {
        const wc_lt_link *l = &spec->links.v[i];

        if (strcmp(l->wit_namespace, ns) == 0 && strcmp(l->wit_package, pkg) == 0 &&
            strcmp(l->name, link_name) == 0 && strlist_has(&l->interfaces, iface)) {
            return l;
        }
    }
    return NULL;
}

/* Is there a usable messaging link? 0, or an error string in the call's arena. */
static const char *
messaging_link(wc_ccall *call, wc_host *h, invocation *inv)
{
    const wc_lt_link *l;
    const char *problem = NULL;
    char buf[512];

    if (inv == NULL) {
        return "not in an invocation";
    }
    pthread_rwlock_rdlock(&h->lock);
    l = iface_find_link(h, inv->comp->id, "wasmcloud", "messaging", "consumer", inv->link_name);
    if (l == NULL) {
        snprintf(buf, sizeof(buf),
                 "no link from %s for wasmcloud:messaging/consumer (link name \"%s\"): link it "
                 "to a messaging provider first",
                 inv->comp->id, inv->link_name);
        problem = buf;
    } else {
        hprov *p = wc_map_get(&h->provs, l->target);

        if (p == NULL || p->kind != PROV_MESSAGING) {
            snprintf(buf, sizeof(buf),
                     "the messaging link of %s targets %s, which is not a messaging provider "
                     "running on this host",
                     inv->comp->id, l->target);
            problem = buf;
        }
    }
    pthread_rwlock_unlock(&h->lock);
    return problem != NULL ? wc_arena_strdup(call->arena, problem) : NULL;
}

static char *
cstr(wc_ccall *call, const wc_cval *v)
{
    return wc_arena_strndup(call->arena, v->u.str.ptr, v->u.str.len);
}

HOSTFN(msg_publish)
{
    wc_host *h = HOST(data);
    const wc_cval *m = args[0].u.fields;
    const char *problem = messaging_link(call, h, INV(call));
    char *subject = cstr(call, &m[0]), *reply = NULL;
    natsStatus s;

    (void)err;
    if (problem == NULL && m[2].u.var.disc == 1) {
        reply = cstr(call, m[2].u.var.val);
        if (!wc_lattice_valid_subject(reply, 0)) {
            problem = "invalid reply-to subject";
        }
    }
    if (problem == NULL && !wc_lattice_valid_subject(subject, 0)) {
        problem = "invalid subject (empty tokens, spaces, control characters or wildcards)";
    }
    if (problem == NULL) {
        /* nats.c refuses PublishRequest with no reply subject. */
        s = reply != NULL ? natsConnection_PublishRequest(wc_lattice_conn(h->lat), subject, reply,
                                                          m[1].u.list.bytes, (int)m[1].u.list.n)
                          : natsConnection_Publish(wc_lattice_conn(h->lat), subject,
                                                   m[1].u.list.bytes, (int)m[1].u.list.n);
        if (s != NATS_OK) {
            problem = natsStatus_GetText(s);
        }
    }
    if (problem != NULL) {
        cv_err(result, cv_string(call, problem));
    } else {
        cv_ok(result, NULL);
    }
    return 0;
}

HOSTFN(msg_request)
{
    wc_host *h = HOST(data);
    const char *problem = messaging_link(call, h, INV(call));
    char *subject = cstr(call, &args[0]);
    natsMsg *reply = NULL;
    natsStatus s;

    (void)err;
    if (problem == NULL && !wc_lattice_valid_subject(subject, 0)) {
        problem = "invalid subject (empty tokens, spaces, control characters or wildcards)";
    }
    if (problem != NULL) {
        cv_err(result, cv_string(call, problem));
        return 0;
    }
    {
        /* A guest blocked here is not stopped by its deadline: never wait past it. */
        int64_t ms = args[2].u.u32 != 0 ? (int64_t)args[2].u.u32 : 5000;
        int64_t cap = (int64_t)(INV(call)->deadline_ns / 1000000);

        if (cap > 0 && ms > cap) {
            ms = cap;
        }
        s = natsConnection_Request(&reply, wc_lattice_conn(h->lat), subject, args[1].u.list.bytes,
                                   (int)args[1].u.list.n, ms);
    }
    if (s != NATS_OK) {
        char buf[300];

        snprintf(buf, sizeof(buf), "request on %s failed: %s", subject,
                 s == NATS_NO_RESPONDERS ? "no responders" : natsStatus_GetText(s));
        cv_err(result, cv_string(call, buf));
        return 0;
    }
    {
        wc_cval *bm = cv_alloc(call, 3), *rec = cv_alloc(call, 1);
        size_t len = (size_t)natsMsg_GetDataLength(reply);
        uint8_t *body = wc_arena_alloc(call->arena, len ? len : 1);

        cv_set_string(call, &bm[0], natsMsg_GetSubject(reply), strlen(natsMsg_GetSubject(reply)));
        memcpy(body, natsMsg_GetData(reply), len);
        bm[1].u.list.bytes = body;
        bm[1].u.list.n = len;
        bm[2].u.var.disc = 0;
        rec->u.fields = bm;
        cv_ok(result, rec);
    }
    natsMsg_Destroy(reply);
    return 0;
}

void *
iface_link(wc_host *h, wc_linker *l)
{
    iface_data *d = wc_xcalloc(1, sizeof(*d));

    d->h = h;
    wc_linker_func(l, "wasi:logging/logging", "0.1.0-draft", "log", log_, d);
    wc_linker_func(l, "wasi:config/runtime", "0.2.0-draft", "get", config_get, d);
    wc_linker_func(l, "wasi:config/runtime", "0.2.0-draft", "get-all", config_get_all, d);
    wc_linker_func(l, "wasi:config/store", "0.2.0-draft", "get", config_get, d);
    wc_linker_func(l, "wasi:config/store", "0.2.0-draft", "get-all", config_get_all, d);
    d->call_target = wc_linker_resource(l, "wasmcloud:bus/lattice", "1.0.0",
                                        "call-target-interface", call_target_drop);
    wc_linker_func(l, "wasmcloud:bus/lattice", "1.0.0", "[constructor]call-target-interface",
                   call_target_new, d);
    wc_linker_func(l, "wasmcloud:bus/lattice", "1.0.0", "set-link-name", set_link_name, d);
    wc_linker_func(l, "wasmcloud:messaging/consumer", "0.2.0", "publish", msg_publish, d);
    wc_linker_func(l, "wasmcloud:messaging/consumer", "0.2.0", "request", msg_request, d);
    d->kv.h = h;
    kv_link(&d->kv, l);
    return d;
}
