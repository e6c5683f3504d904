/*
 * http.h - serving HTTP requests with a wasi:http/incoming-handler component.
 */
#ifndef WC_WASI_HTTP_H
#define WC_WASI_HTTP_H

#include "http/server.h"
#include "wasi/wasi.h"

typedef struct wc_wasi_http_target {
    wc_component *component;
    wc_linker *linker;
    wc_wasi *wasi;
    uint64_t deadline_ns; /* per request; 0 = none */
    /* Fill in each request's WASI context (environment, stdout...). */
    void (*setup)(wc_wasi_ctx *ctx, void *data);
    void *setup_data;
} wc_wasi_http_target;

/**
 * Handle one request on the calling (worker) thread: a fresh instance of the
 * component, its wasi:http/incoming-handler.handle, and a 500 with a logged
 * reason if it fails before responding.
 */
void wc_wasi_http_serve(const wc_wasi_http_target *t, wc_http_req *req);

#endif
