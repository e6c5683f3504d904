/*
 * keyvalue.c - the built-in keyvalue-nats provider: wasi:keyvalue@0.2.0-draft
 * (store, atomics, batch) over JetStream KV buckets.
 *
 * A component opens a bucket through its link to the provider (namespace
 * wasi, package keyvalue, the link name of the invocation). The JetStream
 * bucket is the link's target config `bucket`, or else the identifier the
 * component passes to open(); it is created if missing (history 1).
 * Counters (atomics.increment) are decimal text, updated with
 * compare-and-set on the entry's revision, retried on a conflict.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "component/cval.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_PAGE 1000
#define CAS_TRIES 50

/* A bucket handle given to a guest. The kvStore belongs to the host's cache. */
typedef struct kv_handle {
    kvStore *kv;
} kv_handle;

struct kv_cache {
    pthread_mutex_t mu;
    wc_map stores; /* bucket name -> kvStore* */
};

static kv_cache *
cache(wc_host *h)
{
    static pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;

    pthread_mutex_lock(&init);
    if (h->kv == NULL) {
        h->kv = wc_xcalloc(1, sizeof(*h->kv));
        pthread_mutex_init(&h->kv->mu, NULL);
    }
    pthread_mutex_unlock(&init);
    return h->kv;
}

void
kv_cache_free(wc_host *h)
{
    size_t pos = 0;
    const char *key;
    void *v;

    if (h->kv == NULL) {
        return;
    }
    while (wc_map_next(&h->kv->stores, &pos, &key, &v)) {
        kvStore_Destroy(v);
    }
    wc_map_release(&h->kv->stores);
    pthread_mutex_destroy(&h->kv->mu);
    free(h->kv);
    h->kv = NULL;
}

/* ---- values ---- */

/* err(error): no-such-store 0, access-denied 1, other(string) 2 */
static void
kv_err(wc_ccall *call, wc_cval *result, uint32_t disc, const char *msg)
{
    wc_cval *e = cv_alloc(call, 1);

    e->u.var.disc = disc;
    e->u.var.val = msg != NULL ? cv_string(call, msg) : NULL;
    cv_err(result, e);
}

static void
kv_err_status(wc_ccall *call, wc_cval *result, natsStatus s, const char *what)
{
    char buf[300];

    snprintf(buf, sizeof(buf), "%s: %s", what, natsStatus_GetText(s));
    kv_err(call, result, 2, buf);
}

static char *
cstr(wc_ccall *call, const wc_cval *v)
{
    return wc_arena_strndup(call->arena, v->u.str.ptr, v->u.str.len);
}

static wc_cval *
bytes_val(wc_ccall *call, const void *data, size_t len)
{
    wc_cval *b = cv_alloc(call, 1);
    uint8_t *copy = wc_arena_alloc(call->arena, len ? len : 1);

    memcpy(copy, data, len);
    b->u.list.bytes = copy;
    b->u.list.n = len;
    return b;
}

#define KVDATA(data) ((kv_iface *)(data))
#define INV(call)    ((invocation *)((wc_wasi_ctx *)(call)->host)->user)

/* The handle behind a bucket argument, or a trap. */
#define BUCKET(var, arg)                                                                           \
    kv_handle *var = arg_obj(call, (arg), KVDATA(data)->bucket);                                   \
    if (var == NULL) {                                                                             \
        return wc_error_set(err, WC_ETRAP, "wasi:keyvalue: not a live bucket handle");             \
    }

/*
 * JetStream bucket names are letters, digits, - and _. The lattice's own
 * buckets (links, config) are not for components to read or rewrite.
 */
static int
bucket_name_ok(const char *name)
{
    if (strncmp(name, "LATTICEDATA_", 12) == 0 || strncmp(name, "CONFIGDATA_", 11) == 0 ||
        strncmp(name, "KV_", 3) == 0) {
        return 0;
    }
    for (const char *p = name; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_')) {
            return 0;
        }
    }
    return 1;
}

/* ---- store ---- */

HOSTFN(kv_open)
{
    wc_host *h = KVDATA(data)->h;
    invocation *inv = INV(call);
    char *ident = cstr(call, &args[0]), name[256], problem[512] = "";
    const wc_lt_link *l;
    kv_cache *c = cache(h);
    kvStore *kv;
    kv_handle *hd;
    wc_error e = WC_ERROR_INIT;

    if (inv == NULL) {
        kv_err(call, result, 2, "not in an invocation");
        return 0;
    }
    pthread_rwlock_rdlock(&h->lock);
    l = iface_find_link(h, inv->comp->id, "wasi", "keyvalue", "store", inv->link_name);
    if (l == NULL) {
        snprintf(problem, sizeof(problem),
                 "no link from %s for wasi:keyvalue/store (link name \"%s\"): link it to a "
                 "keyvalue provider first",
                 inv->comp->id, inv->link_name);
    } else {
        hprov *p = wc_map_get(&h->provs, l->target);
        json_t *cfg = state_config_merge(h, &l->target_config);
        json_t *b = json_object_get(cfg, "bucket");

        if (p == NULL || p->kind != PROV_KEYVALUE) {
            snprintf(problem, sizeof(problem),
                     "the keyvalue link of %s targets %s, which is not a keyvalue provider "
                     "running on this host",
                     inv->comp->id, l->target);
        }
        snprintf(name, sizeof(name), "%s",
                 json_is_string(b) && *json_string_value(b) ? json_string_value(b) : ident);
        json_decref(cfg);
    }
    pthread_rwlock_unlock(&h->lock);
    if (*problem != '\0') {
        kv_err(call, result, 2, problem);
        return 0;
    }
    if (*name == '\0') {
        kv_err(call, result, 0, NULL);
        return 0;
    }
    if (!bucket_name_ok(name)) {
        kv_err(call, result, 1, NULL); /* access-denied: the lattice's own, or not a name */
        return 0;
    }
    pthread_mutex_lock(&c->mu);
    kv = wc_map_get(&c->stores, name);
    if (kv == NULL) {
        if (wc_lattice_bucket(h->lat, name, &kv, &e) != 0) {
            pthread_mutex_unlock(&c->mu);
            kv_err(call, result, 2, e.msg);
            return 0;
        }
        wc_map_put(&c->stores, name, kv);
    }
    pthread_mutex_unlock(&c->mu);
    hd = wc_xcalloc(1, sizeof(*hd));
    hd->kv = kv;
    cv_ok(result, cv_own(call, KVDATA(data)->bucket, hd));
    return 0;
}

HOSTFN(kv_get)
{
    BUCKET(b, &args[0]);
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, b->kv, cstr(call, &args[1]));
    wc_cval *opt = cv_alloc(call, 1);

    if (s == NATS_NOT_FOUND) {
        cv_ok(result, opt);
        return 0;
    }
    if (s != NATS_OK) {
        kv_err_status(call, result, s, "get");
        return 0;
    }
    opt->u.var.disc = 1;
    opt->u.var.val = bytes_val(call, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e));
    kvEntry_Destroy(e);
    cv_ok(result, opt);
    return 0;
}

HOSTFN(kv_set)
{
    BUCKET(b, &args[0]);
    natsStatus s =
        kvStore_Put(NULL, b->kv, cstr(call, &args[1]), args[2].u.list.bytes, (int)args[2].u.list.n);

    if (s != NATS_OK) {
        kv_err_status(call, result, s, "set");
    } else {
        cv_ok(result, NULL);
    }
    return 0;
}

HOSTFN(kv_delete)
{
    BUCKET(b, &args[0]);
    natsStatus s = kvStore_Delete(b->kv, cstr(call, &args[1]));

    if (s != NATS_OK && s != NATS_NOT_FOUND) {
        kv_err_status(call, result, s, "delete");
    } else {
        cv_ok(result, NULL);
    }
    return 0;
}

HOSTFN(kv_exists)
{
    BUCKET(b, &args[0]);
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, b->kv, cstr(call, &args[1]));
    wc_cval *v = cv_alloc(call, 1);

    if (s != NATS_OK && s != NATS_NOT_FOUND) {
        kv_err_status(call, result, s, "exists");
        return 0;
    }
    v->u.b = s == NATS_OK;
    kvEntry_Destroy(e);
    cv_ok(result, v);
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

HOSTFN(kv_list_keys)
{
    BUCKET(b, &args[0]);
    kvKeysList list = {0};
    natsStatus s = kvStore_Keys(&list, b->kv, NULL);
    uint64_t from = args[1].u.var.disc == 1 ? args[1].u.var.val->u.u64 : 0;
    wc_cval *resp = cv_alloc(call, 2), *rec = cv_alloc(call, 1), *keys;
    size_t n = 0;

    if (s != NATS_OK && s != NATS_NOT_FOUND) {
        kv_err_status(call, result, s, "list-keys");
        return 0;
    }
    /* Sorted, so a cursor (an offset) means the same from call to call. */
    if (list.Count > 0) {
        qsort(list.Keys, (size_t)list.Count, sizeof(char *), cmp_str);
    }
    keys = cv_alloc(call, LIST_PAGE);
    for (uint64_t i = from; i < (uint64_t)list.Count && n < LIST_PAGE; i++) {
        cv_set_string(call, &keys[n++], list.Keys[i], strlen(list.Keys[i]));
    }
    resp[0].u.list.elems = keys;
    resp[0].u.list.n = n;
    if (from + n < (uint64_t)list.Count) {
        resp[1].u.var.disc = 1;
        resp[1].u.var.val = cv_u64(call, from + n);
    }
    rec->u.fields = resp;
    kvKeysList_Destroy(&list);
    cv_ok(result, rec);
    return 0;
}

/* ---- atomics ---- */

HOSTFN(kv_increment)
{
    BUCKET(b, &args[0]);
    const char *key = cstr(call, &args[1]);
    uint64_t delta = args[2].u.u64;

    for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
        kvEntry *e = NULL;
        natsStatus s = kvStore_Get(&e, b->kv, key);
        uint64_t value = 0, rev = 0;
        char text[32];

        if (s != NATS_OK && s != NATS_NOT_FOUND) {
            kv_err_status(call, result, s, "increment");
            return 0;
        }
        if (s == NATS_OK) {
            char buf[32] = "";
            size_t len = (size_t)kvEntry_ValueLen(e);
            char *end;

            rev = kvEntry_Revision(e);
            if (len > 0 && len < sizeof(buf)) {
                memcpy(buf, kvEntry_Value(e), len);
                value = strtoull(buf, &end, 10);
                if (*end != '\0') {
                    kvEntry_Destroy(e);
                    kv_err(call, result, 2, "increment: the value is not a decimal number");
                    return 0;
                }
            } else if (len >= sizeof(buf)) {
                kvEntry_Destroy(e);
                kv_err(call, result, 2, "increment: the value is not a decimal number");
                return 0;
            }
            kvEntry_Destroy(e);
        }
        value += delta;
        snprintf(text, sizeof(text), "%" PRIu64, value);
        s = rev != 0 ? kvStore_Update(NULL, b->kv, key, text, (int)strlen(text), rev)
                     : kvStore_Create(NULL, b->kv, key, text, (int)strlen(text));
        if (s == NATS_OK) {
            cv_ok(result, cv_u64(call, value));
            return 0;
        }
        /* Someone else wrote it first: read again. */
    }
    kv_err(call, result, 2, "increment: too much contention on the key");
    return 0;
}

/* ---- batch ---- */

HOSTFN(kv_get_many)
{
    BUCKET(b, &args[0]);
    const wc_cval *keys = &args[1];
    wc_cval *list = cv_alloc(call, 1), *elems = cv_alloc(call, keys->u.list.n);

    for (size_t i = 0; i < keys->u.list.n; i++) {
        const char *key = cstr(call, &keys->u.list.elems[i]);
        kvEntry *e = NULL;
        natsStatus s = kvStore_Get(&e, b->kv, key);

        if (s == NATS_NOT_FOUND) {
            continue; /* none */
        }
        if (s != NATS_OK) {
            kv_err_status(call, result, s, "get-many");
            return 0;
        }
        {
            wc_cval *pair = cv_alloc(call, 2);

            cv_set_string(call, &pair[0], key, strlen(key));
            pair[1] = *bytes_val(call, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e));
            elems[i].u.var.disc = 1;
            elems[i].u.var.val = cv_alloc(call, 1);
            elems[i].u.var.val->u.fields = pair;
        }
        kvEntry_Destroy(e);
    }
    list->u.list.elems = elems;
    list->u.list.n = keys->u.list.n;
    cv_ok(result, list);
    return 0;
}

HOSTFN(kv_set_many)
{
    BUCKET(b, &args[0]);
    const wc_cval *kvs = &args[1];

    for (size_t i = 0; i < kvs->u.list.n; i++) {
        const wc_cval *pair = kvs->u.list.elems[i].u.fields;
        natsStatus s = kvStore_Put(NULL, b->kv, cstr(call, &pair[0]), pair[1].u.list.bytes,
                                   (int)pair[1].u.list.n);

        if (s != NATS_OK) {
            kv_err_status(call, result, s, "set-many");
            return 0;
        }
    }
    cv_ok(result, NULL);
    return 0;
}

HOSTFN(kv_delete_many)
{
    BUCKET(b, &args[0]);
    const wc_cval *keys = &args[1];

    for (size_t i = 0; i < keys->u.list.n; i++) {
        natsStatus s = kvStore_Delete(b->kv, cstr(call, &keys->u.list.elems[i]));

        if (s != NATS_OK && s != NATS_NOT_FOUND) {
            kv_err_status(call, result, s, "delete-many");
            return 0;
        }
    }
    cv_ok(result, NULL);
    return 0;
}

static void
handle_drop(void *host, void *obj)
{
    (void)host;
    free(obj);
}

void
kv_link(kv_iface *d, wc_linker *l)
{
    static const char *V = "0.2.0-draft";
    static const struct {
        const char *iface, *name;
        wc_chost_fn fn;
    } fns[] = {
        {"wasi:keyvalue/store", "open", kv_open},
        {"wasi:keyvalue/store", "[method]bucket.get", kv_get},
        {"wasi:keyvalue/store", "[method]bucket.set", kv_set},
        {"wasi:keyvalue/store", "[method]bucket.delete", kv_delete},
        {"wasi:keyvalue/store", "[method]bucket.exists", kv_exists},
        {"wasi:keyvalue/store", "[method]bucket.list-keys", kv_list_keys},
        {"wasi:keyvalue/atomics", "increment", kv_increment},
        {"wasi:keyvalue/batch", "get-many", kv_get_many},
        {"wasi:keyvalue/batch", "set-many", kv_set_many},
        {"wasi:keyvalue/batch", "delete-many", kv_delete_many},
    };

    d->bucket = wc_linker_resource(l, "wasi:keyvalue/store", V, "bucket", handle_drop);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        wc_linker_func(l, fns[i].iface, V, fns[i].name, fns[i].fn, d);
    }
}
