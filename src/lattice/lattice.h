/*
 * lattice.h - one connection to a lattice: NATS, JetStream KV, CloudEvents.
 *
 * A wc_lattice wraps a nats.c connection that reconnects forever (the host
 * must outlive a NATS restart; nats.c re-subscribes by itself), the lattice
 * name, and a JetStream context with the optional domain. On top of it:
 *
 *  - wc_lattice_event(): a CloudEvent 1.0 (structured JSON) on
 *    wasmbus.evt.{lattice}.{name}, id a UUID built from a ULID, source the
 *    host's public key;
 *  - wc_kv_mirror: a KV bucket replayed and then watched, calling back for
 *    every change, one at a time, on its own thread. After a reconnect the
 *    watch is made again and the replay compared with what was known, so a
 *    key deleted while NATS was away is reported deleted too.
 *
 * Names here avoid nats.c's prefixes (nats, js, kv) on purpose.
 */
#ifndef WC_LATTICE_LATTICE_H
#define WC_LATTICE_LATTICE_H

#include "base/error.h"

#include <jansson.h>
#include <nats/nats.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wc_lattice wc_lattice;
typedef struct wc_kv_mirror wc_kv_mirror;

typedef struct wc_lattice_config {
    const char *url;       /* "nats://127.0.0.1:4222" (comma list allowed) */
    const char *lattice;   /* default "default" */
    const char *js_domain; /* NULL: none */
    const char *name;      /* the connection's name, seen in NATS monitoring */
    uint64_t connect_timeout_ns;
    /* Called on nats.c's thread after a reconnect (keep it short). */
    void (*on_reconnect)(void *data);
    void (*on_disconnect)(void *data);
    void *cb_data;
} wc_lattice_config;

void wc_lattice_config_init(wc_lattice_config *cfg);
/** Connect. A server that cannot be reached now is an error naming the URL. */
int wc_lattice_connect(const wc_lattice_config *cfg, wc_lattice **out, wc_error *err);
/** Flush what is pending (up to timeout), close, and free. NULL is fine. */
void wc_lattice_close(wc_lattice *lat, uint64_t flush_timeout_ns);

const char *wc_lattice_name(const wc_lattice *lat);
const char *wc_lattice_url(const wc_lattice *lat);
natsConnection *wc_lattice_conn(wc_lattice *lat);
jsCtx *wc_lattice_js(wc_lattice *lat);
/** 1 while connected. */
int wc_lattice_connected(wc_lattice *lat);

/** Record a nats.c failure in err: "what: status text (last error)". */
int wc_lattice_error(wc_error *err, natsStatus s, const char *what);

int wc_lattice_publish(wc_lattice *lat, const char *subject, const void *data, size_t len);
/** Publish j (compact JSON) and drop the reference to it. */
int wc_lattice_publish_json(wc_lattice *lat, const char *subject, json_t *j);
/** Reply to a request message with j (reference dropped); no reply subject: nothing. */
int wc_lattice_reply_json(wc_lattice *lat, natsMsg *req, json_t *j);

/**
 * Publish a CloudEvent: type "com.wasmcloud.lattice.{name}" on
 * wasmbus.evt.{lattice}.{name}; data's reference is taken.
 */
int wc_lattice_event(wc_lattice *lat, const char *source, const char *name, json_t *data);

/**
 * Request and parse the JSON reply (timeout in ms). 0 and *out (a new
 * reference), WC_ETIMEDOUT, WC_ENOENT for "no responders", or WC_EINVAL for
 * a reply that is not JSON.
 */
int wc_lattice_request_json(wc_lattice *lat, const char *subject, const json_t *body,
                            int64_t timeout_ms, json_t **out, wc_error *err);
/**
 * Scatter/gather: publish body (may be NULL) with a fresh inbox and call fn
 * for every JSON reply that arrives within timeout_ms (host.ping, auctions).
 */
int wc_lattice_gather(wc_lattice *lat, const char *subject, const json_t *body, int64_t timeout_ms,
                      void (*fn)(void *data, json_t *reply), void *data, wc_error *err);

/**
 * Is s a subject a guest or a config may name? Non-empty tokens separated by
 * dots, no spaces or control characters (nats.c does not check: a CR LF in
 * a subject would inject protocol commands); `*` and `>` tokens only when
 * wildcards is set (subscriptions). A queue group name is one token.
 */
int wc_lattice_valid_subject(const char *s, int wildcards);
int wc_lattice_valid_queue(const char *s);

/* ---- KV buckets ---- */

/** Open a bucket, creating it (history 1, no TTL) if it does not exist. */
int wc_lattice_bucket(wc_lattice *lat, const char *bucket, kvStore **out, wc_error *err);

/** A change: value NULL means the key was deleted or purged. */
typedef void (*wc_kv_change_fn)(void *data, const char *key, const char *value, size_t len);

/**
 * Replay bucket (calling fn for every key), then watch it on a thread. Returns
 * once the replay is done, so the caller starts from a complete picture.
 */
int wc_kv_mirror_start(wc_lattice *lat, kvStore *kv, wc_kv_change_fn fn, void *data,
                       wc_kv_mirror **out, wc_error *err);
/** Watch again from a replay (after a reconnect); asynchronous. */
void wc_kv_mirror_resync(wc_kv_mirror *m);
/** Stop watching and join the thread. NULL is fine. */
void wc_kv_mirror_stop(wc_kv_mirror *m);

/* ---- identities and times ---- */

/** A UUID (8-4-4-4-12 hex) from a fresh ULID: 48 bits of milliseconds, 80 random. */
void wc_lattice_uuid(char out[37]);
/** Now as RFC 3339 UTC with microseconds ("2025-01-02T03:04:05.123456Z"). */
void wc_lattice_time(char out[32]);
/** A friendly host name: "adjective-noun-NNNN", derived from the public key. */
void wc_lattice_friendly_name(const char *public_key, char *out, size_t size);

#endif
