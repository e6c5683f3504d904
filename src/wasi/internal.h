/*
 * internal.h - shared by the WASI host files: the resource types and small
 * helpers for building result values.
 *
 * File tour: wasi.c (context, registration) -> stream.c (stream and
 * pollable objects) -> io.c (wasi:io) -> cli.c (wasi:cli) -> misc.c
 * (wasi:clocks, wasi:random, wasi:sockets denial) -> filesystem.c ->
 * http.c (wasi:http).
 */
#ifndef WC_WASI_INTERNAL_H
#define WC_WASI_INTERNAL_H

#include "component/cval.h"
#include "wasi/wasi.h"

#include <string.h>

#define WASI_VERSION "0.2.3"

struct wc_wasi {
    wc_linker *linker;
    /* wasi:io */
    wc_rtype *error, *pollable, *input_stream, *output_stream;
    /* wasi:cli */
    wc_rtype *terminal_input, *terminal_output;
    /* wasi:filesystem */
    wc_rtype *descriptor, *dir_stream;
    /* wasi:sockets */
    wc_rtype *network, *tcp_socket, *udp_socket, *incoming_dgram, *outgoing_dgram, *resolve_stream;
    /* wasi:http */
    wc_rtype *fields, *incoming_request, *outgoing_request, *request_options, *response_outparam,
        *incoming_response, *incoming_body, *future_trailers, *outgoing_response, *outgoing_body,
        *future_incoming_response;
};

/* An error resource: a message. */
typedef struct wasi_error {
    char *msg;
    int fs_code; /* a wasi:filesystem error-code case + 1, or 0 */
} wasi_error;

/* Registration of each interface group. */
void wc__wasi_link_io(wc_wasi *w);
void wc__wasi_link_cli(wc_wasi *w);
void wc__wasi_link_misc(wc_wasi *w);
void wc__wasi_link_filesystem(wc_wasi *w);
void wc__wasi_link_sockets(wc_wasi *w);
void wc__wasi_link_http(wc_wasi *w);

/* Pollables, defined in stream.c. */
struct wc_pollable {
    int kind; /* PK_* */
    wc_stream *stream;
    uint64_t deadline;
    int (*check)(void *arg, int *fd, short *events);
    void *arg;
};
enum { PK_READY, PK_STREAM, PK_DEADLINE, PK_CUSTOM };
/** 1 if p is ready; else fills fd, events (fd -1: none) and deadline (0: none). */
int wc__pollable_ready(wc_pollable *p, int *fd, short *events, uint64_t *deadline);
void wc__pollable_free(wc_pollable *p);
/** Block until at least one of ps is ready. Returns 0, or WC_ETRAP if the call's deadline hit. */
int wc__poll_wait(wc_pollable **ps, size_t n, wc_error *err);

#define WASI_CTX(call) ((wc_wasi_ctx *)(call)->host)
#define WASI(data)     ((wc_wasi *)(data))

/** A stream-error "last-operation-failed" carrying an error resource with msg. */
void wc__stream_error_failed(wc_ccall *call, wc_wasi *w, wc_cval *out, int code, const char *msg);
/** The wasi:filesystem error-code case for an errno value. */
uint32_t wc__fs_errno_code(int e);
/** A stream-error "closed". */
void wc__stream_error_closed(wc_cval *out);
/** Trap the guest: a handle did not name a live object of the expected type. */
int wc__bad_handle(wc_error *err, const char *what);

#endif
