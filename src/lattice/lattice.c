/*
 * lattice.c - the NATS connection, CloudEvents, and mirrored KV buckets.
 */
#include "lattice/lattice.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct wc_lattice {
    natsConnection *nc;
    jsCtx *js;
    char *lattice;
    char *url;
    atomic_int connected;
    atomic_int closing; /* a disconnect now is ours: not worth a warning */
    void (*on_reconnect)(void *data);
    void (*on_disconnect)(void *data);
    void *cb_data;
};

void
wc_lattice_config_init(wc_lattice_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->url = "nats://127.0.0.1:4222";
    cfg->lattice = "default";
    cfg->connect_timeout_ns = 2000000000ull;
}

int
wc_lattice_error(wc_error *err, natsStatus s, const char *what)
{
    const char *last = nats_GetLastError(NULL);

    if (last != NULL && *last != '\0' && strcmp(last, natsStatus_GetText(s)) != 0) {
        return wc_error_set(err, s == NATS_TIMEOUT ? WC_ETIMEDOUT : WC_EIO, "%s: %s (%s)", what,
                            natsStatus_GetText(s), last);
    }
    return wc_error_set(err, s == NATS_TIMEOUT ? WC_ETIMEDOUT : WC_EIO, "%s: %s", what,
                        natsStatus_GetText(s));
}

static void
disconnected_cb(natsConnection *nc, void *closure)
{
    wc_lattice *lat = closure;

    atomic_store(&lat->connected, 0);
    if (atomic_load(&lat->closing)) {
        return;
    }
    WC_WARN("lattice", "disconnected from NATS; reconnecting");
    if (lat->on_disconnect != NULL) {
        lat->on_disconnect(lat->cb_data);
    }
}

static void
reconnected_cb(natsConnection *nc, void *closure)
{
    wc_lattice *lat = closure;

    atomic_store(&lat->connected, 1);
    WC_INFO("lattice", "reconnected to NATS");
    if (lat->on_reconnect != NULL) {
        lat->on_reconnect(lat->cb_data);
    }
}

int
wc_lattice_connect(const wc_lattice_config *cfg, wc_lattice **out, wc_error *err)
{
    natsOptions *opts = NULL;
    jsOptions jo;
    natsStatus s;
    wc_lattice *lat;

    nats_Open(-1);
    lat = wc_xcalloc(1, sizeof(*lat));
    lat->lattice = wc_xstrdup(cfg->lattice != NULL ? cfg->lattice : "default");
    lat->url = wc_xstrdup(cfg->url);
    lat->on_reconnect = cfg->on_reconnect;
    lat->on_disconnect = cfg->on_disconnect;
    lat->cb_data = cfg->cb_data;
    s = natsOptions_Create(&opts);
    if (s == NATS_OK) {
        s = natsOptions_SetURL(opts, cfg->url);
    }
    if (s == NATS_OK && cfg->name != NULL) {
        s = natsOptions_SetName(opts, cfg->name);
    }
    if (s == NATS_OK) {
        /* Forever, every 250 ms: a host outlives its NATS server. */
        s = natsOptions_SetMaxReconnect(opts, -1);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetReconnectWait(opts, 250);
    }
    if (s == NATS_OK) {
        /* Keep what is published while away (up to 8 MiB), send it on reconnect. */
        s = natsOptions_SetReconnectBufSize(opts, 8 * 1024 * 1024);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetTimeout(opts, (int64_t)(cfg->connect_timeout_ns / 1000000));
    }
    if (s == NATS_OK) {
        s = natsOptions_SetDisconnectedCB(opts, disconnected_cb, lat);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetReconnectedCB(opts, reconnected_cb, lat);
    }
    if (s != NATS_OK) {
        wc_lattice_error(err, s, "NATS options");
        goto fail;
    }
    s = natsConnection_Connect(&lat->nc, opts);
    if (s != NATS_OK) {
        wc_error_set(err, WC_EIO, "cannot connect to NATS at %s: %s (is nats-server running?)",
                     cfg->url, natsStatus_GetText(s));
        goto fail;
    }
    atomic_store(&lat->connected, 1);
    jsOptions_Init(&jo);
    jo.Domain = cfg->js_domain;
    jo.Wait = 5000;
    s = natsConnection_JetStream(&lat->js, lat->nc, &jo);
    if (s != NATS_OK) {
        wc_lattice_error(err, s, "JetStream context");
        goto fail;
    }
    natsOptions_Destroy(opts);
    *out = lat;
    return 0;
fail:
    natsOptions_Destroy(opts);
    wc_lattice_close(lat, 0);
    return err != NULL && err->code != 0 ? err->code : WC_EIO;
}

void
wc_lattice_close(wc_lattice *lat, uint64_t flush_timeout_ns)
{
    if (lat == NULL) {
        return;
    }
    if (lat->nc != NULL && flush_timeout_ns != 0 && atomic_load(&lat->connected)) {
        natsConnection_FlushTimeout(lat->nc, (int64_t)(flush_timeout_ns / 1000000));
    }
    atomic_store(&lat->closing, 1);
    jsCtx_Destroy(lat->js);
    if (lat->nc != NULL) {
        natsConnection_Close(lat->nc);
        natsConnection_Destroy(lat->nc);
    }
    free(lat->lattice);
    free(lat->url);
    free(lat);
}

const char *
wc_lattice_name(const wc_lattice *lat)
{
    return lat->lattice;
}

const char *
wc_lattice_url(const wc_lattice *lat)
{
    return lat->url;
}

natsConnection *
wc_lattice_conn(wc_lattice *lat)
{
    return lat->nc;
}

jsCtx *
wc_lattice_js(wc_lattice *lat)
{
    return lat->js;
}

int
wc_lattice_connected(wc_lattice *lat)
{
    return atomic_load(&lat->connected);
}

int
wc_lattice_publish(wc_lattice *lat, const char *subject, const void *data, size_t len)
{
    natsStatus s = natsConnection_Publish(lat->nc, subject, data, (int)len);

    if (s != NATS_OK) {
        WC_WARN("lattice", "publish on %s failed: %s", subject, natsStatus_GetText(s));
        return WC_EIO;
    }
    return 0;
}

int
wc_lattice_publish_json(wc_lattice *lat, const char *subject, json_t *j)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;

    if (text == NULL) {
        WC_ERR("lattice", "not publishing on %s: the message could not be encoded", subject);
        json_decref(j);
        return WC_EINVAL;
    }
    rc = wc_lattice_publish(lat, subject, text, strlen(text));
    free(text);
    json_decref(j);
    return rc;
}

int
wc_lattice_reply_json(wc_lattice *lat, natsMsg *req, json_t *j)
{
    const char *reply = natsMsg_GetReply(req);

    if (reply == NULL || *reply == '\0') {
        json_decref(j);
        return 0;
    }
    return wc_lattice_publish_json(lat, reply, j);
}

int
wc_lattice_event(wc_lattice *lat, const char *source, const char *name, json_t *data)
{
    char id[37], when[32], subject[256], type[128];
    json_t *ev;

    wc_lattice_uuid(id);
    wc_lattice_time(when);
    snprintf(subject, sizeof(subject), "wasmbus.evt.%s.%s", lat->lattice, name);
    snprintf(type, sizeof(type), "com.wasmcloud.lattice.%s", name);
    ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "specversion", "1.0", "id", id, "source",
                   source, "type", type, "datacontenttype", "application/json", "time", when,
                   "data", data);
    return wc_lattice_publish_json(lat, subject, ev);
}

int
wc_lattice_request_json(wc_lattice *lat, const char *subject, const json_t *body,
                        int64_t timeout_ms, json_t **out, wc_error *err)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    natsMsg *reply = NULL;
    natsStatus s;
    json_error_t jerr;

    s = natsConnection_Request(&reply, lat->nc, subject, text != NULL ? text : "",
                               text != NULL ? (int)strlen(text) : 0, timeout_ms);
    free(text);
    if (s == NATS_NO_RESPONDERS) {
        return wc_error_set(err, WC_ENOENT, "%s: no responders", subject);
    }
    if (s != NATS_OK) {
        return wc_lattice_error(err, s, subject);
    }
    *out = json_loadb(natsMsg_GetData(reply), (size_t)natsMsg_GetDataLength(reply), 0, &jerr);
    natsMsg_Destroy(reply);
    if (*out == NULL) {
        return wc_error_set(err, WC_EINVAL, "%s: the reply is not JSON: %s", subject, jerr.text);
    }
    return 0;
}

int
wc_lattice_gather(wc_lattice *lat, const char *subject, const json_t *body, int64_t timeout_ms,
                  void (*fn)(void *data, json_t *reply), void *data, wc_error *err)
{
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    uint64_t end;
    natsStatus s;

    s = natsInbox_Create(&inbox);
    if (s == NATS_OK) {
        s = natsConnection_SubscribeSync(&sub, lat->nc, inbox);
    }
    if (s == NATS_OK) {
        s = natsConnection_PublishRequest(lat->nc, subject, inbox, text != NULL ? text : "",
                                          text != NULL ? (int)strlen(text) : 0);
    }
    free(text);
    if (s != NATS_OK) {
        natsSubscription_Destroy(sub);
        natsInbox_Destroy(inbox);
        return wc_lattice_error(err, s, subject);
    }
    end = (uint64_t)nats_Now() + (uint64_t)timeout_ms;
    for (;;) {
        int64_t left = (int64_t)(end - (uint64_t)nats_Now());
        natsMsg *m = NULL;
        json_t *j;

        if (left <= 0 || natsSubscription_NextMsg(&m, sub, left) != NATS_OK) {
            break;
        }
        /* A no-responders status has no body: skip anything that is not JSON. */
        j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
        natsMsg_Destroy(m);
        if (j != NULL) {
            fn(data, j);
            json_decref(j);
        }
    }
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    return 0;
}

int
wc_lattice_valid_subject(const char *s, int wildcards)
{
    const char *tok = s;

    if (s == NULL || *s == '\0' || strlen(s) > 4096) {
        return 0;
    }
    for (const char *p = s;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t n = (size_t)(p - tok);

            if (n == 0) {
                return 0;
            }
            if (!wildcards && ((n == 1 && (*tok == '*' || *tok == '>')))) {
                return 0;
            }
            if (wildcards && n == 1 && *tok == '>' && *p != '\0') {
                return 0; /* '>' only last */
            }
            if (*p == '\0') {
                return 1;
            }
            tok = p + 1;
        } else if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            return 0;
        }
    }
}

int
wc_lattice_valid_queue(const char *s)
{
    if (s == NULL || *s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s <= 0x20 || *s == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* ---- KV ---- */

int
wc_lattice_bucket(wc_lattice *lat, const char *bucket, kvStore **out, wc_error *err)
{
    kvConfig cfg;
    natsStatus s;

    s = js_KeyValue(out, lat->js, bucket);
    if (s == NATS_OK) {
        return 0;
    }
    if (s != NATS_NOT_FOUND) {
        char what[200];

        snprintf(what, sizeof(what), "opening KV bucket %s (is JetStream on? nats-server -js)",
                 bucket);
        return wc_lattice_error(err, s, what);
    }
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket;
    cfg.History = 1;
    s = js_CreateKeyValue(out, lat->js, &cfg);
    if (s != NATS_OK && js_KeyValue(out, lat->js, bucket) == NATS_OK) {
        return 0; /* someone else created it meanwhile */
    }
    if (s != NATS_OK) {
        char what[200];

        snprintf(what, sizeof(what), "creating KV bucket %s", bucket);
        return wc_lattice_error(err, s, what);
    }
    return 0;
}

typedef struct known_value {
    size_t len;
    char data[];
} known_value;

struct wc_kv_mirror {
    wc_lattice *lat;
    kvStore *kv;
    wc_kv_change_fn fn;
    void *data;
    pthread_t thread;
    atomic_int stop;
    atomic_int resync;
    /* The replay handshake with wc_kv_mirror_start. */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int replayed;
    char *failure;
    wc_map known; /* key -> known_value*, as last reported */
};

static void
report_put(wc_kv_mirror *m, const char *key, const char *value, size_t len)
{
    known_value *old = wc_map_get(&m->known, key), *v;

    if (old != NULL && old->len == len && memcmp(old->data, value, len) == 0) {
        return;
    }
    v = wc_xmalloc(sizeof(*v) + len + 1);
    v->len = len;
    memcpy(v->data, value, len);
    v->data[len] = '\0';
    free(wc_map_put(&m->known, key, v));
    m->fn(m->data, key, v->data, len);
}

static void
report_del(wc_kv_mirror *m, const char *key)
{
    known_value *old = wc_map_del(&m->known, key);

    if (old != NULL) {
        free(old);
        m->fn(m->data, key, NULL, 0);
    }
}

/* After a replay: what was known but not replayed is gone. */
static void
report_vanished(wc_kv_mirror *m, wc_map *seen)
{
    WC_VEC(char *) gone = {0};
    size_t pos = 0;
    const char *key;
    void *v;

    while (wc_map_next(&m->known, &pos, &key, &v)) {
        if (!wc_map_has(seen, key)) {
            wc_vec_push(&gone, wc_xstrdup(key));
        }
    }
    for (size_t i = 0; i < gone.n; i++) {
        report_del(m, gone.v[i]);
        free(gone.v[i]);
    }
    wc_vec_free(&gone);
}

static void
replay_done(wc_kv_mirror *m, const char *failure)
{
    pthread_mutex_lock(&m->mu);
    if (!m->replayed) {
        m->replayed = 1;
        m->failure = failure != NULL ? wc_xstrdup(failure) : NULL;
        pthread_cond_broadcast(&m->cond);
    }
    pthread_mutex_unlock(&m->mu);
}

static void *
mirror_main(void *arg)
{
    wc_kv_mirror *m = arg;
    kvWatcher *w = NULL;
    wc_map seen = WC_MAP_INIT;
    int replaying = 0, first = 1;

    while (!atomic_load(&m->stop)) {
        kvEntry *e = NULL;
        natsStatus s;

        if (w == NULL || atomic_exchange(&m->resync, 0)) {
            kvWatchOptions o;

            kvWatcher_Destroy(w);
            w = NULL;
            kvWatchOptions_Init(&o);
            s = kvStore_WatchAll(&w, m->kv, &o);
            if (s != NATS_OK) {
                if (first) {
                    replay_done(m, natsStatus_GetText(s));
                    break;
                }
                w = NULL;
                nats_Sleep(250);
                continue;
            }
            wc_map_release(&seen);
            replaying = 1;
        }
        s = kvWatcher_Next(&e, w, 250);
        if (s == NATS_TIMEOUT) {
            continue;
        }
        if (s != NATS_OK) {
            /* The watch broke (the server went away): make it again when we can. */
            kvWatcher_Destroy(w);
            w = NULL;
            nats_Sleep(250);
            continue;
        }
        if (e == NULL) { /* the end of the replay */
            if (replaying) {
                report_vanished(m, &seen);
                wc_map_release(&seen);
                replaying = 0;
            }
            if (first) {
                first = 0;
                replay_done(m, NULL);
            }
            continue;
        }
        if (kvEntry_Operation(e) == kvOp_Put) {
            report_put(m, kvEntry_Key(e), kvEntry_ValueString(e), (size_t)kvEntry_ValueLen(e));
            if (replaying) {
                wc_map_put(&seen, kvEntry_Key(e), NULL);
            }
        } else {
            report_del(m, kvEntry_Key(e));
        }
        kvEntry_Destroy(e);
    }
    kvWatcher_Destroy(w);
    wc_map_release(&seen);
    return NULL;
}

int
wc_kv_mirror_start(wc_lattice *lat, kvStore *kv, wc_kv_change_fn fn, void *data, wc_kv_mirror **out,
                   wc_error *err)
{
    wc_kv_mirror *m = wc_xcalloc(1, sizeof(*m));
    int rc = 0;

    m->lat = lat;
    m->kv = kv;
    m->fn = fn;
    m->data = data;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cond, NULL);
    if (pthread_create(&m->thread, NULL, mirror_main, m) != 0) {
        free(m);
        return wc_error_set(err, WC_ENOMEM, "cannot start a KV watch thread");
    }
    pthread_mutex_lock(&m->mu);
    while (!m->replayed) {
        pthread_cond_wait(&m->cond, &m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    if (m->failure != NULL) {
        rc = wc_error_set(err, WC_EIO, "watching KV bucket %s: %s", kvStore_Bucket(kv), m->failure);
        wc_kv_mirror_stop(m);
        return rc;
    }
    *out = m;
    return 0;
}

void
wc_kv_mirror_resync(wc_kv_mirror *m)
{
    if (m != NULL) {
        atomic_store(&m->resync, 1);
    }
}

void
wc_kv_mirror_stop(wc_kv_mirror *m)
{
    size_t pos = 0;
    const char *key;
    void *v;

    if (m == NULL) {
        return;
    }
    atomic_store(&m->stop, 1);
    pthread_join(m->thread, NULL);
    while (wc_map_next(&m->known, &pos, &key, &v)) {
        free(v);
    }
    wc_map_release(&m->known);
    free(m->failure);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cond);
    free(m);
}

/* ---- identities and times ---- */

void
wc_lattice_uuid(char out[37])
{
    struct timespec ts;
    uint8_t b[16];
    uint64_t ms;
    char *p = out;

    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    for (int i = 0; i < 6; i++) {
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    }
    randombytes_buf(b + 6, 10);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }
        p += sprintf(p, "%02x", b[i]);
    }
}

void
wc_lattice_time(char out[32])
{
    struct timespec ts;
    struct tm tm;
    char base[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.20s.%06dZ", base, (int)(ts.tv_nsec / 1000) % 1000000);
}

void
wc_lattice_friendly_name(const char *public_key, char *out, size_t size)
{
    static const char *const adjectives[] = {
        "amber",  "bold",   "calm",  "crimson", "dapper", "eager",  "fancy",  "gentle",
        "golden", "hidden", "icy",   "jolly",   "keen",   "lively", "mellow", "noble",
        "odd",    "proud",  "quiet", "rapid",   "silent", "tidy",   "urban",  "vivid",
        "wild",   "young",  "zesty", "brave",   "cosmic", "dusty",  "frosty", "lucky"};
    static const char *const nouns[] = {
        "wave",    "river",  "meadow", "forest", "canyon", "harbor", "island", "glacier",
        "prairie", "summit", "valley", "comet",  "breeze", "ember",  "falcon", "otter",
        "heron",   "lynx",   "maple",  "pebble", "quartz", "reef",   "spruce", "thunder",
        "tundra",  "willow", "yak",    "zephyr", "cedar",  "delta",  "fjord",  "grove"};
    uint64_t h = wc_hash_bytes(public_key, strlen(public_key));

    snprintf(out, size, "%s-%s-%04u", adjectives[h % 32], nouns[(h >> 8) % 32],
             (unsigned)((h >> 16) % 10000));
}
