/*
 * wadm.h - the declarative deployment server: wasmCloud's wadm API over NATS,
 * manifests kept in JetStream KV, and a reconciler that makes the lattice
 * match the deployed manifests (and keeps it so when hosts come and go).
 *
 * Any number of wadm servers may run on a lattice: every one answers the API
 * (queue group wadm_server; the state is in KV, written with compare-and-
 * set), and one of them, the leader, reconciles. Leadership is a key in the
 * KV bucket wadm_leader holding the leader's id and the time it last renewed
 * it (every round); a key older than leader_ttl is taken over, by
 * compare-and-set, by one of the others.
 */
#ifndef WC_WADM_WADM_H
#define WC_WADM_WADM_H

#include "base/error.h"

#include <stdint.h>

typedef struct wadm wadm;

typedef struct wadm_server_config {
    const char *nats_url;   /* default nats://127.0.0.1:4222 */
    const char *lattice;    /* default "default" */
    const char *js_domain;  /* NULL: none */
    const char *api_prefix; /* default "wadm.api" */
    uint64_t tick_ns;       /* reconcile at least this often; default 1 s */
    uint64_t leader_ttl_ns; /* leadership lapses after this; default 5 s */
} wadm_server_config;

void wadm_server_config_init(wadm_server_config *cfg);
int wadm_start(const wadm_server_config *cfg, wadm **out, wc_error *err);
/** This server's id (for logs and the leadership key). */
const char *wadm_id(const wadm *w);
void wadm_stop(wadm *w);

#endif
