/*
 * internal.h - the host's state, shared by its files.
 *
 * File tour: host.c (start, stop, heartbeat, the work queue) -> ctl.c (the
 * control interface) -> state.c (links and config from KV) -> component.c
 * (scale, update, invocation with concurrency permits) -> iface.c
 * (wasi:logging, wasi:config, wasmcloud:bus, wasmcloud:messaging consumer)
 * -> provider.c (built-in providers: start, stop, sync) -> http_server.c
 * -> messaging.c.
 *
 * Threads and locks:
 *  - nats.c delivers control requests on its threads; they validate, answer
 *    reads under h->lock (read), and queue changes for the work thread;
 *  - the work thread applies changes one at a time (scale, update, provider
 *    start and stop, listener changes), taking h->lock (write) only to swap
 *    in results, never while compiling or binding;
 *  - KV mirror threads update links and config under h->lock (write) and
 *    queue a provider sync;
 *  - invocations (HTTP workers, NATS message threads) look up a component
 *    under h->lock (read), take a reference and a permit, and run unlocked.
 */
#ifndef WC_HOST_INTERNAL_H
#define WC_HOST_INTERNAL_H

#include "base/arena.h"
#include "base/vec.h"
#include "host/host.h"
#include "http/server.h"
#include "lattice/lattice.h"
#include "lattice/lattice_types.h"
#include "lattice/nkey.h"
#include "wasi/wasi.h"

#include <pthread.h>
#include <stdatomic.h>

/* A compiled component with its linker: shared by the requests using it. */
typedef struct image {
    atomic_int refs;
    char *ref; /* the reference it came from */
    wc_component *comp;
    wc_linker *linker;
    wc_wasi *wasi;
    void *iface; /* iface_link's */
} image;

typedef struct hcomp {
    atomic_int refs;
    char *id;
    pthread_mutex_t mu; /* guards img, max, active, waiting */
    pthread_cond_t cond;
    image *img;
    uint32_t max; /* max_instances: concurrent invocations; 0 once stopped */
    uint32_t active, waiting;
    uint64_t deadline_ns;  /* per invocation */
    natsSubscription *rpc; /* wRPC invocations (wrpc.c) */
    /* The last scale command (annotations, limits, config names), under h->lock. */
    wc_arena arena;
    wc_lt_scale_component_command spec;
} hcomp;

typedef enum prov_kind {
    PROV_HTTP_SERVER,
    PROV_HTTP_CLIENT,
    PROV_MESSAGING,
    PROV_KEYVALUE
} prov_kind;

typedef struct hprov {
    char *id;
    prov_kind kind;
    wc_arena arena;
    wc_lt_start_provider_command cmd;
    atomic_int health; /* 1 or 0 passing, -1 failing: set by its kind on the work thread */
    int reported;      /* what the last health event said (heartbeat thread) */
    void *state;
} hprov;

/* A component's specification from LATTICEDATA: its links. */
typedef struct spec_entry {
    wc_arena arena;
    wc_lt_component_specification spec;
} spec_entry;

typedef struct job job;
typedef struct kv_cache kv_cache;

struct wc_host {
    wc_host_config cfg;
    char *lattice, *ctl_prefix;
    wc_nkey key;
    char id[WC_NKEY_PUBLIC_LEN + 1];
    char friendly[64];
    uint64_t started_ns;
    wc_lattice *lat;
    kvStore *ldata, *cdata;
    wc_kv_mirror *lmirror, *cmirror;
    wc_engine *engine;
    WC_VEC(natsSubscription *) subs;

    pthread_rwlock_t lock;
    wc_map comps;   /* id -> hcomp* */
    wc_map provs;   /* id -> hprov* */
    wc_map specs;   /* component id -> spec_entry* (LATTICEDATA COMPONENT_*) */
    wc_map claims;  /* CLAIMS_* key -> json_t* */
    wc_map configs; /* name -> json_t* object (CONFIGDATA) */
    json_t *labels;
    json_t *registries;
    int ncomps_reserved; /* components being started (for max_components) */
    kv_cache *kv;        /* keyvalue.c: open JetStream KV buckets */

    /* The work queue. */
    pthread_t worker;
    pthread_mutex_t qmu;
    pthread_cond_t qcond;
    job *qhead, *qtail;
    int qstop;

    /* Heartbeats and stop requests. */
    pthread_t heart;
    pthread_mutex_t smu;
    pthread_cond_t scond;
    int stop_requested, stopping;
    uint64_t stop_timeout_ns;
    int stop_pipe[2];
    /* wRPC invocations running (wrpc.c). */
    pthread_mutex_t rpc_mu;
    pthread_cond_t rpc_cond;
    int rpc_active;
};

/* A decoded control command with the arena holding it, handed to the work thread. */
typedef struct owned_cmd {
    wc_arena arena;
    void *cmd;
} owned_cmd;

/* ---- host.c ---- */

/** Queue fn(h, arg) for the work thread; free_arg(arg) afterwards (may be NULL). */
void host_enqueue(wc_host *h, void (*fn)(wc_host *h, void *arg), void *arg,
                  void (*free_arg)(void *arg));
/** Publish an event with h's id as the source; data's reference is taken. */
void host_event(wc_host *h, const char *name, json_t *data);
/** The inventory (reply to host.get, data of host_heartbeat). Caller holds h->lock. */
json_t *host_inventory(wc_host *h);
/** Labels as a strmap in a; caller holds h->lock. */
wc_lt_strmap host_labels(wc_host *h, wc_arena *a);
uint64_t host_uptime_s(wc_host *h);

/* ---- ctl.c ---- */

int ctl_subscribe(wc_host *h, wc_error *err);

/* ---- state.c ---- */

int state_start(wc_host *h, wc_error *err);
/** Stop the KV watches (links and config stay as they were). */
void state_stop_watching(wc_host *h);
/** Free links and config: once nothing can read them (providers, components stopped). */
void state_free(wc_host *h);
/** The links whose source is id (caller holds h->lock); NULL if none. */
const wc_lt_component_specification *state_spec(wc_host *h, const char *id);
/**
 * Merge named configs (later names win) into a new JSON object; caller holds
 * h->lock. Missing names are skipped.
 */
json_t *state_config_merge(wc_host *h, const wc_lt_strlist *names);
/**
 * Have all these configs reached this host (caller holds h->lock)? A link
 * can arrive before the config it names (two KV watches): providers wait
 * for the config (its arrival syncs them again) rather than use defaults.
 */
int state_configs_known(wc_host *h, const wc_lt_strlist *names);
/**
 * Read COMPONENT_{source_id} from KV itself (not the mirror, which may lag),
 * with its revision (0: there is none; out is then empty).
 */
int state_read_spec(wc_host *h, const char *source_id, wc_lt_component_specification *out,
                    uint64_t *rev, wc_arena *a, wc_error *err);
/**
 * Write the links of source_id if the entry is still at revision rev (0: if
 * it still does not exist). 1 if someone wrote it meanwhile: read again.
 */
int state_write_links(wc_host *h, const char *source_id, const char *url, const wc_lt_link *links,
                      size_t n, uint64_t rev, wc_error *err);

/* ---- component.c ---- */

/** Scale (work thread). */
void comp_scale(wc_host *h, void *arg);
/** Update (work thread). */
void comp_update(wc_host *h, void *arg);
/** Stop all components (at shutdown). */
void comp_stop_all(wc_host *h);
/** The component by id with a reference, or NULL. */
hcomp *comp_get(wc_host *h, const char *id);
void comp_unref(hcomp *c);
json_t *comp_description(hcomp *c);

/* An invocation: a permit on a component and its current image. */
typedef struct invocation {
    wc_host *h;
    hcomp *comp;
    image *img;
    uint64_t deadline_ns;  /* per invocation, copied from the component */
    const char *link_name; /* wasmcloud:bus/lattice set-link-name; "default" */
    char link_name_buf[128];
} invocation;

/**
 * Wait for a permit (up to the component's limits) and take the current
 * image. WC_ELIMIT with a message when the waiting queue is full or the wait
 * times out; WC_ENOENT when the component stops meanwhile.
 */
int comp_acquire(hcomp *c, invocation *inv, wc_error *err);
void comp_release(invocation *inv);
/** Fill a WASI context for an invocation (user = inv). */
void comp_setup_ctx(wc_wasi_ctx *ctx, invocation *inv);

/* ---- wrpc.c ---- */
/** Serve c's exports over wRPC (sets c->rpc). */
int rpc_subscribe(wc_host *h, hcomp *c, wc_error *err);
void rpc_unsubscribe(hcomp *c);
/** Wait (up to timeout_ns) until no wRPC invocation is running. */
void rpc_wait_idle(wc_host *h, uint64_t timeout_ns);

/* ---- iface.c ---- */

/** Register the host's interfaces (logging, config, bus, messaging) in l; free() the result with l.
 */
void *iface_link(wc_host *h, wc_linker *l);
/** The target of the link from source for ns:pkg/iface named link_name (caller holds lock). */
const wc_lt_link *iface_find_link(wc_host *h, const char *source, const char *ns, const char *pkg,
                                  const char *iface, const char *link_name);

/* ---- keyvalue.c ---- */

typedef struct kv_iface {
    wc_host *h;
    wc_rtype *bucket;
} kv_iface;

/** Register wasi:keyvalue (store, atomics, batch) in l; d lives as long as l. */
void kv_link(kv_iface *d, wc_linker *l);
void kv_cache_free(wc_host *h);

/* ---- provider.c ---- */

void prov_start(wc_host *h, void *arg);
void prov_stop(wc_host *h, void *arg);
void prov_stop_all(wc_host *h, uint64_t grace_ns);
/** Bring every provider in line with links and config (work thread). */
void prov_sync(wc_host *h, void *arg);
json_t *prov_description(hprov *p);
/** Health checks (heartbeat thread): emits the health_check_* events. */
void prov_health(wc_host *h);

/* ---- http_server.c ---- */

void http_provider_sync(wc_host *h, hprov *p);
void http_provider_stop(wc_host *h, hprov *p, uint64_t grace_ns);

/* ---- messaging.c ---- */

void msg_provider_sync(wc_host *h, hprov *p);
void msg_provider_stop(wc_host *h, hprov *p);

/* Does list contain s? */
int strlist_has(const wc_lt_strlist *l, const char *s);

#endif
