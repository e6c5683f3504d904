/*
 * host.h - the lattice host: runs components and built-in providers for a
 * wasmCloud 1.x lattice over NATS.
 *
 * A host answers the control interface (wasbus.ctl.v1.{lattice}.*), keeps
 * links and named config in the lattice's JetStream KV buckets (watched, so
 * a change made through any host reaches all of them), publishes a
 * CloudEvent for every change of state and a heartbeat with its inventory.
 * See docs/host.md for the design and docs/lattice-protocol.md for the
 * messages.
 */
#ifndef WC_HOST_HOST_H
#define WC_HOST_HOST_H

#include "base/error.h"
#include "wc/engine.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wc_host wc_host;

typedef struct wc_host_config {
    const char *nats_url;   /* default nats://127.0.0.1:4222 */
    const char *lattice;    /* default "default" */
    const char *seed;       /* an "SN..." nkey seed; NULL: a new identity */
    const char *js_domain;  /* NULL: none */
    const char *ctl_prefix; /* default "wasmbus.ctl" */
    const char **labels;    /* "key=value", beside the hostcore.* labels */
    size_t nlabels;
    uint64_t max_linear_memory;   /* bytes per instance; default 256 MiB */
    uint64_t max_execution_ns;    /* per invocation; default 10 minutes */
    uint64_t max_component_bytes; /* default 50 MiB */
    uint32_t max_components;      /* default 10,000 */
    uint64_t heartbeat_ns;        /* default 30 s */
    uint32_t max_waiting;         /* invocations queued per component; default 1000 */
    wc_tier tier;
    const char *cache_dir;
} wc_host_config;

/** Defaults, then the WASMCLOUD_* environment variables. Errors name the variable. */
int wc_host_config_init(wc_host_config *cfg, wc_error *err);

/**
 * Connect, create or open the KV buckets, replay links and config, subscribe
 * to the control interface and publish host_started.
 */
int wc_host_start(const wc_host_config *cfg, wc_host **out, wc_error *err);

/** The host's public key ("N...") and friendly name. */
const char *wc_host_id(const wc_host *h);
const char *wc_host_friendly_name(const wc_host *h);

/**
 * Block until the host is asked to stop (host.stop on the lattice) or
 * wc_host_request_stop() is called. Returns the shutdown deadline asked for.
 */
uint64_t wc_host_wait(wc_host *h);
/** Ask wc_host_wait to return (async-signal-safe). */
void wc_host_request_stop(wc_host *h);

/**
 * Stop: no new work, requests in flight finish (up to grace_ns), components
 * and providers stop, host_stopped is published, the connection closes.
 */
void wc_host_stop(wc_host *h, uint64_t grace_ns);

#endif
