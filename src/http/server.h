/*
 * server.h - a streaming HTTP/1.1 server: one libuv loop, a pool of workers.
 *
 * The loop thread accepts connections, parses requests (picohttpparser, from
 * libh2o) and writes responses; each request's handler runs on a worker
 * thread, where it may block (a guest runs there). Bodies stream both ways
 * through wc_pipes with backpressure: the loop stops reading a socket while
 * the handler has not consumed the body, and a handler's writes wait while
 * the socket is slow. Keep-alive, chunked encoding (with trailers) and
 * Content-Length are handled here; handlers see decoded bodies.
 *
 * Why not h2o itself: h2o 2.2 (Debian 12) buffers each request body whole
 * before calling a handler, and we must stream.
 */
#ifndef WC_HTTP_SERVER_H
#define WC_HTTP_SERVER_H

#include "base/error.h"
#include "base/pipe.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wc_http_server wc_http_server;
typedef struct wc_http_req wc_http_req;

typedef struct wc_http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} wc_http_header;

/**
 * Called on a worker thread for each request. It should call wc_http_respond
 * once (then write the body into the pipe it passed and close it). If it
 * returns without responding, the client gets a 500.
 */
typedef void (*wc_http_handler_fn)(void *data, wc_http_req *req);

typedef struct wc_http_server_config {
    const char *addr;        /* "127.0.0.1:8080", "[::1]:0"; port 0 picks a free port */
    int workers;             /* default: number of CPUs */
    size_t max_header_bytes; /* default 64 KiB; beyond: 431 */
    uint64_t max_body_bytes; /* 0: unlimited; beyond: 413 */
    size_t pipe_bytes;       /* body buffering per direction, default 256 KiB */
} wc_http_server_config;

void wc_http_server_config_init(wc_http_server_config *cfg);

/** Bind, listen and start the loop and worker threads. */
int wc_http_server_start(const wc_http_server_config *cfg, wc_http_handler_fn fn, void *data,
                         wc_http_server **out, wc_error *err);
/** The bound address ("127.0.0.1:43123"). */
const char *wc_http_server_addr(const wc_http_server *s);
/**
 * Stop accepting, let requests in flight finish (up to grace_ns), close all
 * connections and join the threads. Thread-safe; call once.
 */
void wc_http_server_stop(wc_http_server *s, uint64_t grace_ns);

/* ---- the request, for its handler (valid until the handler returns) ---- */

const char *wc_http_req_method(const wc_http_req *r);
/** The request target: path and query ("/a/b?x=1"). */
const char *wc_http_req_target(const wc_http_req *r);
/** The Host header, or "". */
const char *wc_http_req_authority(const wc_http_req *r);
size_t wc_http_req_nheaders(const wc_http_req *r);
const wc_http_header *wc_http_req_header(const wc_http_req *r, size_t i);
/** The decoded request body (reader end; the end of the body reads as EOF). */
wc_pipe *wc_http_req_body(wc_http_req *r);
/** Trailers of a chunked request body, once the body has ended (may be 0). */
size_t wc_http_req_ntrailers(const wc_http_req *r);
const wc_http_header *wc_http_req_trailer(const wc_http_req *r, size_t i);

/**
 * Send the response head. body: a pipe the server reads the body from (it
 * takes over one reference; NULL for an empty body); content_length -1 means
 * chunked. Returns WC_EINVAL if already responded.
 */
int wc_http_respond(wc_http_req *r, int status, const wc_http_header *headers, size_t n,
                    wc_pipe *body, int64_t content_length);
/** Trailers to send after a chunked body (call before closing the body pipe). */
void wc_http_set_trailers(wc_http_req *r, const wc_http_header *trailers, size_t n);
/** Send a whole small response: status, one content type, body bytes. */
int wc_http_respond_simple(wc_http_req *r, int status, const char *content_type, const void *body,
                           size_t len);

/* ---- local requests: not from a socket (a wRPC invocation) ---- */

/**
 * A request made in process, for a handler run by the caller (for example
 * wc_wasi_http_serve on a thread of its own). body: the request body's
 * reader end (the request takes one reference; NULL for none). Header
 * values may contain bytes a socket would not carry.
 */
wc_http_req *wc_http_req_local(const char *method, const char *target, const char *authority,
                               const wc_http_header *headers, size_t n, wc_pipe *body);
/** The handler has returned (call from its thread): wakes a waiter if it never responded. */
void wc_http_req_local_ended(wc_http_req *r);
/**
 * Wait for the response: returns the status and hands over the headers
 * (free() the array; the strings live in r) and the body pipe's reader end
 * (NULL: empty; the caller drops it); -1 if the handler ended without one.
 */
int wc_http_req_local_wait(wc_http_req *r, wc_http_header **headers, size_t *n, wc_pipe **body);
/** Trailers the handler set, as "name: value\r\n" lines ("" if none); read after the body ends. */
const char *wc_http_req_local_trailers(wc_http_req *r);
void wc_http_req_local_free(wc_http_req *r);

#endif
