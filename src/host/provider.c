/*
 * provider.c - capability providers, built into the host.
 *
 * The first-party wasmCloud provider images resolve to providers in this
 * process, so manifests written for wasmCloud work unchanged:
 *
 *   ghcr.io/wasmcloud/http-server:*     wasmcloud+builtin://http-server
 *   ghcr.io/wasmcloud/messaging-nats:*  wasmcloud+builtin://messaging-nats
 *   ghcr.io/wasmcloud/keyvalue-nats:*   wasmcloud+builtin://keyvalue-nats
 *   ghcr.io/wasmcloud/http-client:*     wasmcloud+builtin://http-client
 *
 * Any other reference fails with provider_start_failed saying why. A
 * provider's work follows its links: prov_sync() runs after every change of
 * links, config, providers or components.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    prov_kind kind;
} builtins[] = {
    {"http-server", PROV_HTTP_SERVER},  {"httpserver", PROV_HTTP_SERVER},
    {"messaging-nats", PROV_MESSAGING}, {"keyvalue-nats", PROV_KEYVALUE},
    {"http-client", PROV_HTTP_CLIENT},  {"httpclient", PROV_HTTP_CLIENT},
};

/* The built-in provider a reference names: 0 and *kind, or -1. */
static int
resolve(const char *ref, prov_kind *kind)
{
    const char *name = NULL;
    size_t len;

    if (strncmp(ref, "wasmcloud+builtin://", 20) == 0) {
        name = ref + 20;
        len = strlen(name);
    } else {
        static const char *const registries[] = {"ghcr.io/wasmcloud/", "wasmcloud.azurecr.io/",
                                                 "oci://ghcr.io/wasmcloud/"};

        for (size_t i = 0; i < sizeof(registries) / sizeof(registries[0]); i++) {
            if (strncmp(ref, registries[i], strlen(registries[i])) == 0) {
                name = ref + strlen(registries[i]);
                break;
            }
        }
        if (name == NULL) {
            return -1;
        }
        len = strcspn(name, ":@");
    }
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strlen(builtins[i].name) == len && strncmp(name, builtins[i].name, len) == 0) {
            *kind = builtins[i].kind;
            return 0;
        }
    }
    return -1;
}

static const char *
kind_name(prov_kind k)
{
    switch (k) {
    case PROV_HTTP_SERVER: return "http-server";
    case PROV_HTTP_CLIENT: return "http-client";
    case PROV_MESSAGING: return "messaging-nats";
    case PROV_KEYVALUE: return "keyvalue-nats";
    }
    return "?";
}

static void
prov_free(hprov *p)
{
    wc_arena_release(&p->arena);
    free(p->id);
    free(p);
}

json_t *
prov_description(hprov *p)
{
    wc_lt_provider_description d = {0};
    char name[64];

    snprintf(name, sizeof(name), "%s (built-in)", kind_name(p->kind));
    d.id = p->id;
    d.image_ref = p->cmd.provider_ref;
    d.name = name;
    d.annotations = p->cmd.annotations;
    return wc_lt_provider_description_encode(&d);
}

static void
start_failed(wc_host *h, const wc_lt_start_provider_command *cmd, const char *error)
{
    wc_lt_provider_start_failed ev = {0};

    WC_WARN("host", "provider %s (%s) failed to start: %s", cmd->provider_id, cmd->provider_ref,
            error);
    ev.provider_ref = cmd->provider_ref;
    ev.image_ref = cmd->provider_ref;
    ev.provider_id = cmd->provider_id;
    ev.host_id = h->id;
    ev.error = wc_xstrdup(error);
    ev.error[wc_utf8_valid_len(error, strlen(error))] = '\0'; /* cut at a character */
    ev.link_name = "default";
    host_event(h, "provider_start_failed", wc_lt_provider_start_failed_encode(&ev));
    free(ev.error);
}

void
prov_start(wc_host *h, void *arg)
{
    const wc_lt_start_provider_command *cmd = ((owned_cmd *)arg)->cmd;
    wc_lt_provider_started ev = {0};
    hprov *p;
    prov_kind kind;
    json_t *j;
    int exists;

    pthread_rwlock_rdlock(&h->lock);
    exists = wc_map_has(&h->provs, cmd->provider_id);
    pthread_rwlock_unlock(&h->lock);
    if (exists) {
        start_failed(h, cmd, "a provider with this id is already running on this host");
        return;
    }
    if (resolve(cmd->provider_ref, &kind) != 0) {
        char msg[600];

        snprintf(msg, sizeof(msg),
                 "cannot start %s: this host runs the built-in providers only "
                 "(ghcr.io/wasmcloud/http-server, messaging-nats, keyvalue-nats, http-client, or "
                 "wasmcloud+builtin://NAME); provider binaries and other images are not supported",
                 cmd->provider_ref);
        start_failed(h, cmd, msg);
        return;
    }
    p = wc_xcalloc(1, sizeof(*p));
    p->id = wc_xstrdup(cmd->provider_id);
    p->kind = kind;
    wc_arena_init(&p->arena, 512);
    j = wc_lt_start_provider_command_encode(cmd);
    wc_lt_start_provider_command_decode(j, &p->cmd, &p->arena, NULL);
    json_decref(j);
    pthread_rwlock_wrlock(&h->lock);
    wc_map_put(&h->provs, p->id, p);
    pthread_rwlock_unlock(&h->lock);
    WC_INFO("host", "provider %s started (%s, built-in %s)", p->id, cmd->provider_ref,
            kind_name(kind));
    ev.host_id = h->id;
    ev.image_ref = cmd->provider_ref;
    ev.provider_id = cmd->provider_id;
    ev.annotations = cmd->annotations;
    ev.instance_id = cmd->provider_id;
    ev.public_key = cmd->provider_id;
    ev.link_name = "default";
    host_event(h, "provider_started", wc_lt_provider_started_encode(&ev));
    prov_sync(h, NULL);
}

static void
stop_one(wc_host *h, hprov *p, uint64_t grace_ns)
{
    wc_lt_provider_stopped ev = {0};

    if (p->kind == PROV_HTTP_SERVER) {
        http_provider_stop(h, p, grace_ns);
    } else if (p->kind == PROV_MESSAGING) {
        msg_provider_stop(h, p);
    }
    ev.host_id = h->id;
    ev.provider_id = p->id;
    ev.annotations = p->cmd.annotations;
    ev.reason = "stop";
    ev.instance_id = p->id;
    ev.public_key = p->id;
    ev.link_name = "default";
    host_event(h, "provider_stopped", wc_lt_provider_stopped_encode(&ev));
    WC_INFO("host", "provider %s stopped", p->id);
    prov_free(p);
}

void
prov_stop(wc_host *h, void *arg)
{
    const wc_lt_stop_provider_command *cmd = ((owned_cmd *)arg)->cmd;
    hprov *p;

    pthread_rwlock_wrlock(&h->lock);
    p = wc_map_del(&h->provs, cmd->provider_id);
    pthread_rwlock_unlock(&h->lock);
    if (p != NULL) {
        stop_one(h, p, 10ull * 1000000000ull);
    }
}

void
prov_stop_all(wc_host *h, uint64_t grace_ns)
{
    for (;;) {
        size_t pos = 0;
        const char *key;
        void *v = NULL;

        pthread_rwlock_wrlock(&h->lock);
        if (wc_map_next(&h->provs, &pos, &key, &v)) {
            wc_map_del(&h->provs, key);
        } else {
            v = NULL;
        }
        pthread_rwlock_unlock(&h->lock);
        if (v == NULL) {
            break;
        }
        stop_one(h, v, grace_ns);
    }
    wc_map_release(&h->provs);
}

void
prov_sync(wc_host *h, void *arg)
{
    WC_VEC(hprov *) ps = {0};
    size_t pos = 0;
    const char *key;
    void *v;

    (void)arg;
    /* Providers change only on this (the work) thread, so the list stays valid. */
    pthread_rwlock_rdlock(&h->lock);
    while (wc_map_next(&h->provs, &pos, &key, &v)) {
        wc_vec_push(&ps, (hprov *)v);
    }
    pthread_rwlock_unlock(&h->lock);
    for (size_t i = 0; i < ps.n; i++) {
        if (ps.v[i]->kind == PROV_HTTP_SERVER) {
            http_provider_sync(h, ps.v[i]);
        } else if (ps.v[i]->kind == PROV_MESSAGING) {
            msg_provider_sync(h, ps.v[i]);
        } else {
            ps.v[i]->health = 1;
        }
    }
    wc_vec_free(&ps);
}

void
prov_health(wc_host *h)
{
    size_t pos = 0;
    const char *key;
    void *v;

    pthread_rwlock_rdlock(&h->lock);
    while (wc_map_next(&h->provs, &pos, &key, &v)) {
        hprov *p = v;
        int healthy = atomic_load(&p->health) >= 0;
        wc_lt_health_check ev = {0};
        const char *name;

        /* As the reference: unknown counts as unhealthy, so a first failing
         * check is a status, and passed/failed mark changes only. */
        name = healthy && p->reported <= 0   ? "health_check_passed"
               : !healthy && p->reported > 0 ? "health_check_failed"
                                             : "health_check_status";
        p->reported = healthy ? 1 : -1;
        ev.host_id = h->id;
        ev.provider_id = p->id;
        host_event(h, name, wc_lt_health_check_encode(&ev));
    }
    pthread_rwlock_unlock(&h->lock);
}
