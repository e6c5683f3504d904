/*
 * host.c - the host's life: configuration, start, the work queue, events,
 * heartbeats, and a graceful stop.
 */
#include "host/internal.h"

#include "base/duration.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

struct job {
    void (*fn)(wc_host *h, void *arg);
    void *arg;
    void (*free_arg)(void *arg);
    job *next;
};

static int
env_u64(const char *name, uint64_t *out, uint64_t scale, wc_error *err)
{
    const char *v = getenv(name);
    char *end;
    unsigned long long n;

    if (v == NULL || *v == '\0') {
        return 0;
    }
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || *v == '-') {
        return wc_error_set(err, WC_EINVAL, "%s=%s: expected a whole number", name, v);
    }
    *out = (uint64_t)n * scale;
    return 0;
}

int
wc_host_config_init(wc_host_config *cfg, wc_error *err)
{
    const char *v;
    uint64_t n;

    memset(cfg, 0, sizeof(*cfg));
    cfg->nats_url = "nats://127.0.0.1:4222";
    cfg->lattice = "default";
    cfg->ctl_prefix = "wasmbus.ctl";
    cfg->max_linear_memory = 256ull << 20;
    cfg->max_execution_ns = 600ull * 1000000000ull;
    cfg->max_component_bytes = 50ull << 20;
    cfg->max_components = 10000;
    cfg->heartbeat_ns = 30ull * 1000000000ull;
    cfg->max_waiting = 1000;
    if ((v = getenv("WASMCLOUD_LATTICE")) != NULL && *v != '\0') {
        cfg->lattice = v;
    }
    if ((v = getenv("WASMCLOUD_HOST_SEED")) != NULL && *v != '\0') {
        cfg->seed = v;
    }
    if ((v = getenv("WASMCLOUD_JS_DOMAIN")) != NULL && *v != '\0') {
        cfg->js_domain = v;
    }
    if ((v = getenv("WASMCLOUD_CTL_TOPIC_PREFIX")) != NULL && *v != '\0') {
        cfg->ctl_prefix = v;
    }
    if ((v = getenv("WASMCLOUD_NATS_HOST")) != NULL && *v != '\0') {
        static char url[300];
        const char *port = getenv("WASMCLOUD_NATS_PORT");

        snprintf(url, sizeof(url), "nats://%s:%s", v, port != NULL && *port ? port : "4222");
        cfg->nats_url = url;
    }
    if (env_u64("WASMCLOUD_MAX_LINEAR_MEMORY", &cfg->max_linear_memory, 1, err) != 0 ||
        env_u64("WASMCLOUD_MAX_EXECUTION_TIME_MS", &cfg->max_execution_ns, 1000000, err) != 0 ||
        env_u64("WASMCLOUD_MAX_COMPONENT_SIZE", &cfg->max_component_bytes, 1, err) != 0 ||
        env_u64("WASMCLOUD_HEARTBEAT_INTERVAL", &cfg->heartbeat_ns, 1000000000ull, err) != 0) {
        return err->code;
    }
    n = cfg->max_components;
    if (env_u64("WASMCLOUD_MAX_COMPONENTS", &n, 1, err) != 0) {
        return err->code;
    }
    if (n == 0 || n > UINT32_MAX || cfg->heartbeat_ns == 0 || cfg->max_linear_memory == 0) {
        return wc_error_set(err, WC_EINVAL,
                            "WASMCLOUD_MAX_COMPONENTS, WASMCLOUD_HEARTBEAT_INTERVAL and "
                            "WASMCLOUD_MAX_LINEAR_MEMORY must be positive");
    }
    cfg->max_components = (uint32_t)n;
    return 0;
}

/* ---- the work queue ---- */

void
host_enqueue(wc_host *h, void (*fn)(wc_host *h, void *arg), void *arg, void (*free_arg)(void *arg))
{
    job *j = wc_xcalloc(1, sizeof(*j));

    j->fn = fn;
    j->arg = arg;
    j->free_arg = free_arg;
    pthread_mutex_lock(&h->qmu);
    if (h->qstop) {
        pthread_mutex_unlock(&h->qmu);
        if (free_arg != NULL) {
            free_arg(arg);
        }
        free(j);
        return;
    }
    if (h->qtail != NULL) {
        h->qtail->next = j;
    } else {
        h->qhead = j;
    }
    h->qtail = j;
    pthread_cond_signal(&h->qcond);
    pthread_mutex_unlock(&h->qmu);
}

static void *
worker_main(void *arg)
{
    wc_host *h = arg;

    for (;;) {
        job *j;

        pthread_mutex_lock(&h->qmu);
        while (h->qhead == NULL && !h->qstop) {
            pthread_cond_wait(&h->qcond, &h->qmu);
        }
        j = h->qhead;
        if (j == NULL) {
            pthread_mutex_unlock(&h->qmu);
            return NULL;
        }
        h->qhead = j->next;
        if (h->qhead == NULL) {
            h->qtail = NULL;
        }
        pthread_mutex_unlock(&h->qmu);
        j->fn(h, j->arg);
        if (j->free_arg != NULL) {
            j->free_arg(j->arg);
        }
        free(j);
    }
}

/* ---- events and descriptions ---- */

void
host_event(wc_host *h, const char *name, json_t *data)
{
    wc_lattice_event(h->lat, h->id, name, data);
}

uint64_t
host_uptime_s(wc_host *h)
{
    return (wc_now_ns() - h->started_ns) / 1000000000ull;
}

static void
uptime_human(uint64_t s, char *out, size_t size)
{
    uint64_t d = s / 86400, hr = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

    if (d > 0) {
        snprintf(out, size, "%llud %lluh %llum %llus", (unsigned long long)d,
                 (unsigned long long)hr, (unsigned long long)m, (unsigned long long)sec);
    } else if (hr > 0) {
        snprintf(out, size, "%lluh %llum %llus", (unsigned long long)hr, (unsigned long long)m,
                 (unsigned long long)sec);
    } else if (m > 0) {
        snprintf(out, size, "%llum %llus", (unsigned long long)m, (unsigned long long)sec);
    } else {
        snprintf(out, size, "%llus", (unsigned long long)sec);
    }
}

wc_lt_strmap
host_labels(wc_host *h, wc_arena *a)
{
    wc_lt_strmap m = {0};
    const char *k;
    json_t *v;
    size_t i = 0;

    m.n = json_object_size(h->labels);
    m.keys = wc_arena_calloc(a, m.n + 1, sizeof(char *));
    m.vals = wc_arena_calloc(a, m.n + 1, sizeof(char *));
    json_object_foreach(h->labels, k, v)
    {
        m.keys[i] = wc_arena_strdup(a, k);
        m.vals[i] = wc_arena_strdup(a, json_string_value(v));
        i++;
    }
    return m;
}

json_t *
host_inventory(wc_host *h)
{
    wc_lt_host_inventory inv = {0};
    wc_arena a;
    char up[64];
    json_t *j, *comps, *provs;
    size_t pos = 0;
    const char *key;
    void *v;

    wc_arena_init(&a, 1024);
    uptime_human(host_uptime_s(h), up, sizeof(up));
    inv.host_id = h->id;
    inv.friendly_name = h->friendly;
    inv.labels = host_labels(h, &a);
    inv.version = WC_VERSION;
    inv.uptime_human = up;
    inv.uptime_seconds = host_uptime_s(h);
    j = wc_lt_host_inventory_encode(&inv);
    comps = json_array();
    while (wc_map_next(&h->comps, &pos, &key, &v)) {
        json_array_append_new(comps, comp_description(v));
    }
    provs = json_array();
    pos = 0;
    while (wc_map_next(&h->provs, &pos, &key, &v)) {
        json_array_append_new(provs, prov_description(v));
    }
    json_object_set_new(j, "components", comps);
    json_object_set_new(j, "providers", provs);
    wc_arena_release(&a);
    return j;
}

/* ---- heartbeats ---- */

/* Does a provider need another try (a listener that could not bind)? */
static int
any_unhealthy(wc_host *h)
{
    size_t pos = 0;
    const char *key;
    void *v;
    int found = 0;

    pthread_rwlock_rdlock(&h->lock);
    while (!found && wc_map_next(&h->provs, &pos, &key, &v)) {
        found = atomic_load(&((hprov *)v)->health) < 0;
    }
    pthread_rwlock_unlock(&h->lock);
    return found;
}

/* Heartbeats, and once a second a retry for providers that failed to sync
 * (an address still held by a provider stopping elsewhere, for example). */
static void *
heart_main(void *arg)
{
    wc_host *h = arg;
    uint64_t next = wc_now_ns() + h->cfg.heartbeat_ns, retry = wc_now_ns() + 1000000000ull;

    pthread_mutex_lock(&h->smu);
    while (!h->stopping) {
        struct timespec ts;
        uint64_t now = wc_now_ns(), until;

        if (now >= retry) {
            pthread_mutex_unlock(&h->smu);
            if (any_unhealthy(h)) {
                host_enqueue(h, prov_sync, NULL, NULL);
            }
            retry = now + 1000000000ull;
            pthread_mutex_lock(&h->smu);
            continue;
        }

        if (now >= next) {
            json_t *inv;

            pthread_mutex_unlock(&h->smu);
            pthread_rwlock_rdlock(&h->lock);
            inv = host_inventory(h);
            pthread_rwlock_unlock(&h->lock);
            host_event(h, "host_heartbeat", inv);
            prov_health(h);
            next = now + h->cfg.heartbeat_ns;
            pthread_mutex_lock(&h->smu);
            continue;
        }
        until = next < retry ? next : retry;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)((until - now) / 1000000000ull);
        ts.tv_nsec += (long)((until - now) % 1000000000ull);
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->scond, &h->smu, &ts);
    }
    pthread_mutex_unlock(&h->smu);
    return NULL;
}

/* ---- start and stop ---- */

static void
on_reconnect(void *data)
{
    wc_host *h = data;

    /* Under smu: state_stop_watching takes the mirrors away under it. */
    pthread_mutex_lock(&h->smu);
    wc_kv_mirror_resync(h->lmirror);
    wc_kv_mirror_resync(h->cmirror);
    pthread_mutex_unlock(&h->smu);
}

static int
add_label(wc_host *h, const char *kv, wc_error *err)
{
    const char *eq = strchr(kv, '=');
    char *key;

    if (eq == NULL || eq == kv) {
        return wc_error_set(err, WC_EINVAL, "label %s: expected KEY=VALUE", kv);
    }
    key = wc_xmalloc((size_t)(eq - kv) + 1);
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    json_object_set_new(h->labels, key, json_string(eq + 1));
    free(key);
    return 0;
}

static int
init_labels(wc_host *h, wc_error *err)
{
    extern char **environ;
    struct utsname u;
    const char *arch = "unknown";

    h->labels = json_object();
    if (uname(&u) == 0) {
        arch = strcmp(u.machine, "x86_64") == 0    ? "x86_64"
               : strcmp(u.machine, "aarch64") == 0 ? "aarch64"
                                                   : u.machine;
    }
    json_object_set_new(h->labels, "hostcore.arch", json_string(arch));
    json_object_set_new(h->labels, "hostcore.os", json_string("linux"));
    json_object_set_new(h->labels, "hostcore.osfamily", json_string("unix"));
    /* WASMCLOUD_LABEL_key=value, then flags (which win). */
    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, "WASMCLOUD_LABEL_", 16) == 0 && add_label(h, *e + 16, err) != 0) {
            return err->code;
        }
    }
    for (size_t i = 0; i < h->cfg.nlabels; i++) {
        if (add_label(h, h->cfg.labels[i], err) != 0) {
            return err->code;
        }
    }
    return 0;
}

int
wc_host_start(const wc_host_config *cfg, wc_host **out, wc_error *err)
{
    wc_host *h = wc_xcalloc(1, sizeof(*h));
    wc_lattice_config lc;
    wc_engine_config ec;
    wc_lt_host_started hs = {0};
    wc_arena a;
    char bucket[300];
    int rc;

    h->cfg = *cfg;
    h->lattice = wc_xstrdup(cfg->lattice);
    h->ctl_prefix = wc_xstrdup(cfg->ctl_prefix);
    h->started_ns = wc_now_ns();
    h->registries = json_object();
    h->stop_pipe[0] = h->stop_pipe[1] = -1;
    pthread_rwlock_init(&h->lock, NULL);
    pthread_mutex_init(&h->qmu, NULL);
    pthread_cond_init(&h->qcond, NULL);
    pthread_mutex_init(&h->smu, NULL);
    pthread_cond_init(&h->scond, NULL);
    pthread_mutex_init(&h->rpc_mu, NULL);
    pthread_cond_init(&h->rpc_cond, NULL);
    if (pipe(h->stop_pipe) != 0) {
        rc = wc_error_set(err, -errno, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (cfg->seed != NULL) {
        if ((rc = wc_nkey_from_seed(&h->key, cfg->seed, err)) != 0) {
            wc_error_prefix(err, "WASMCLOUD_HOST_SEED: ");
            goto fail;
        }
        if (h->key.kind != WC_NKEY_SERVER) {
            rc = wc_error_set(err, WC_EINVAL,
                              "WASMCLOUD_HOST_SEED: not a server seed (it should start with SN)");
            goto fail;
        }
    } else {
        wc_nkey_generate(&h->key, WC_NKEY_SERVER);
    }
    wc_nkey_public(&h->key, h->id);
    wc_lattice_friendly_name(h->id, h->friendly, sizeof(h->friendly));
    if ((rc = init_labels(h, err)) != 0) {
        goto fail;
    }

    wc_engine_config_init(&ec);
    ec.tier = cfg->tier;
    ec.max_memory_bytes = cfg->max_linear_memory;
    if (cfg->cache_dir != NULL) {
        ec.cache_dir = cfg->cache_dir;
    }
    if ((rc = wc_engine_new(&ec, &h->engine, err)) != 0) {
        goto fail;
    }

    wc_lattice_config_init(&lc);
    lc.url = cfg->nats_url;
    lc.lattice = cfg->lattice;
    lc.js_domain = cfg->js_domain;
    lc.name = h->id;
    lc.on_reconnect = on_reconnect;
    lc.cb_data = h;
    if ((rc = wc_lattice_connect(&lc, &h->lat, err)) != 0) {
        goto fail;
    }
    snprintf(bucket, sizeof(bucket), "LATTICEDATA_%s", h->lattice);
    if ((rc = wc_lattice_bucket(h->lat, bucket, &h->ldata, err)) != 0) {
        goto fail;
    }
    snprintf(bucket, sizeof(bucket), "CONFIGDATA_%s", h->lattice);
    if ((rc = wc_lattice_bucket(h->lat, bucket, &h->cdata, err)) != 0) {
        goto fail;
    }
    if (pthread_create(&h->worker, NULL, worker_main, h) != 0) {
        rc = wc_error_set(err, WC_ENOMEM, "cannot start the work thread");
        goto fail;
    }
    if ((rc = state_start(h, err)) != 0 || (rc = ctl_subscribe(h, err)) != 0) {
        goto fail;
    }
    natsConnection_Flush(wc_lattice_conn(h->lat));
    if (pthread_create(&h->heart, NULL, heart_main, h) != 0) {
        rc = wc_error_set(err, WC_ENOMEM, "cannot start the heartbeat thread");
        goto fail;
    }
    wc_arena_init(&a, 512);
    hs.friendly_name = h->friendly;
    hs.labels = host_labels(h, &a);
    hs.uptime_seconds = 0;
    hs.version = WC_VERSION;
    hs.host_id = h->id;
    host_event(h, "host_started", wc_lt_host_started_encode(&hs));
    wc_arena_release(&a);
    natsConnection_Flush(wc_lattice_conn(h->lat));
    WC_INFO("host", "host %s (%s) started on lattice %s at %s", h->id, h->friendly, h->lattice,
            cfg->nats_url);
    *out = h;
    return 0;
fail:
    /* Nothing was announced; tear down what exists. */
    wc_host_stop(h, 0);
    return rc;
}

const char *
wc_host_id(const wc_host *h)
{
    return h->id;
}

const char *
wc_host_friendly_name(const wc_host *h)
{
    return h->friendly;
}

uint64_t
wc_host_wait(wc_host *h)
{
    char c;

    while (read(h->stop_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    return h->stop_timeout_ns;
}

void
wc_host_request_stop(wc_host *h)
{
    char c = 1;
    ssize_t n = write(h->stop_pipe[1], &c, 1);

    (void)n;
}

void
wc_host_stop(wc_host *h, uint64_t grace_ns)
{
    int announced;
    size_t pos = 0;
    const char *key;
    void *v;

    if (h == NULL) {
        return;
    }
    announced = h->heart != 0;
    pthread_mutex_lock(&h->smu);
    h->stopping = 1;
    pthread_cond_broadcast(&h->scond);
    pthread_mutex_unlock(&h->smu);
    if (h->heart != 0) {
        pthread_join(h->heart, NULL);
    }
    /* No new control requests, and none still running (they use h): drain. */
    for (size_t i = 0; i < h->subs.n; i++) {
        natsSubscription_Drain(h->subs.v[i]);
    }
    for (size_t i = 0; i < h->subs.n; i++) {
        if (natsSubscription_WaitForDrainCompletion(h->subs.v[i], 60000) == NATS_OK) {
            natsSubscription_Destroy(h->subs.v[i]);
        } else {
            natsSubscription_Unsubscribe(h->subs.v[i]);
        }
    }
    wc_vec_free(&h->subs);
    state_stop_watching(h);
    if (h->worker != 0) {
        pthread_mutex_lock(&h->qmu);
        h->qstop = 1;
        pthread_cond_signal(&h->qcond);
        pthread_mutex_unlock(&h->qmu);
        pthread_join(h->worker, NULL);
    }
    /* Providers first (listeners drain their requests), then components. */
    prov_stop_all(h, grace_ns);
    comp_stop_all(h);
    rpc_wait_idle(h, grace_ns + 15ull * 1000000000ull);
    kv_cache_free(h);
    state_free(h);
    if (announced) {
        wc_lt_host_stopped hs = {0};
        wc_arena a;

        wc_arena_init(&a, 512);
        hs.labels = host_labels(h, &a);
        hs.host_id = h->id;
        host_event(h, "host_stopped", wc_lt_host_stopped_encode(&hs));
        wc_arena_release(&a);
        WC_INFO("host", "host %s stopped", h->id);
    }
    if (h->ldata != NULL) {
        kvStore_Destroy(h->ldata);
    }
    if (h->cdata != NULL) {
        kvStore_Destroy(h->cdata);
    }
    wc_lattice_close(h->lat, 2000000000ull);
    wc_engine_free(h->engine);
    while (wc_map_next(&h->claims, &pos, &key, &v)) {
        json_decref(v);
    }
    wc_map_release(&h->claims);
    wc_map_release(&h->comps);
    wc_map_release(&h->provs);
    json_decref(h->labels);
    json_decref(h->registries);
    if (h->stop_pipe[0] >= 0) {
        close(h->stop_pipe[0]);
        close(h->stop_pipe[1]);
    }
    free(h->lattice);
    free(h->ctl_prefix);
    free(h);
}

int
strlist_has(const wc_lt_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}
