/*
 * wasi.h - the host side of WASI 0.2 (and the wasmCloud interfaces later).
 *
 * wc_wasi_link() registers every interface in a wc_linker and returns the
 * resource types, which host functions share. Each component instance gets
 * a wc_wasi_ctx (its arguments, environment, standard streams, granted
 * directories, HTTP state), passed as the instance's host context.
 *
 * Streams and pollables are host objects behind resource handles. Every
 * pollable can say whether it is ready and, if not, which file descriptor
 * or deadline to wait on, so wasi:io/poll is one poll(2) over all of them:
 * stdin, timers, HTTP bodies and outgoing requests alike.
 */
#ifndef WC_WASI_H
#define WC_WASI_H

#include "base/error.h"
#include "wc/component.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wc_wasi wc_wasi;
typedef struct wc_wasi_ctx wc_wasi_ctx;
typedef struct wc_stream wc_stream;

/* ---- streams ---- */

enum { WC_STREAM_OK = 0, WC_STREAM_CLOSED = 1 };

typedef struct wc_stream_ops {
    /* Output: room for a write without blocking (0 = not now). */
    int (*check_write)(wc_stream *s, uint64_t *room, wc_error *err);
    int (*write)(wc_stream *s, const uint8_t *data, size_t len, wc_error *err);
    int (*flush)(wc_stream *s, int blocking, wc_error *err);
    /* Input: up to max bytes; *got 0 with OK means nothing yet (non-blocking). */
    int (*read)(wc_stream *s, uint8_t *buf, size_t max, size_t *got, int blocking, wc_error *err);
    /* Readiness: 1 ready now, 0 not; *fd (poll for POLLIN/POLLOUT per *events) if not. */
    int (*ready)(wc_stream *s, int *fd, short *events);
    void (*free)(wc_stream *s);
} wc_stream_ops;

struct wc_stream {
    const wc_stream_ops *ops;
    int is_output;
    int refs; /* the stream object and its child pollables */
};

/** A stream over a file descriptor (stdin, stdout, a file). own: close it when done. */
wc_stream *wc_stream_fd(int fd, int is_output, int own);
/** A stream reading from memory (copied). */
wc_stream *wc_stream_memory_in(const void *data, size_t len);
/** A stream writing into a growable buffer; see wc_stream_memory_data(). */
wc_stream *wc_stream_memory_out(void);
const uint8_t *wc_stream_memory_data(wc_stream *s, size_t *len);
void wc_stream_unref(wc_stream *s);

/* ---- pollables ---- */

typedef struct wc_pollable wc_pollable;
/** Ready when the stream is (holds a reference to it). */
wc_pollable *wc_pollable_stream(wc_stream *s);
/** Ready at a monotonic time (ns). */
wc_pollable *wc_pollable_deadline(uint64_t when_ns);
/** Ready at once. */
wc_pollable *wc_pollable_ready(void);
/** Ready when a custom check says so; fd to wait on, or -1 with a retry period. */
wc_pollable *wc_pollable_custom(int (*ready)(void *arg, int *fd, short *events), void *arg);

/* ---- the context of one instance ---- */

struct wc_wasi_ctx {
    char **args; /* argv[0] is the program name */
    size_t nargs;
    char **env; /* "KEY=VALUE" */
    size_t nenv;
    wc_stream *stdin_s, *stdout_s, *stderr_s;
    struct wc_preopen {
        char *host;  /* granted host directory */
        char *guest; /* the name the guest sees */
        int dirfd;
    } *preopens;
    size_t npreopens;
    int exited; /* wasi:cli/exit was called */
    int exit_code;
    void *http; /* wasi:http state (http.c) */
    void *user; /* the embedder's */
};

/** A context with no arguments, no environment, stdin empty, stdout and stderr to fds 1 and 2. */
void wc_wasi_ctx_init(wc_wasi_ctx *ctx);
void wc_wasi_ctx_release(wc_wasi_ctx *ctx);
int wc_wasi_ctx_add_arg(wc_wasi_ctx *ctx, const char *arg);
int wc_wasi_ctx_add_env(wc_wasi_ctx *ctx, const char *key_eq_value);
/** Grant host directory host as guest path guest (opened now; errors name the path). */
int wc_wasi_ctx_preopen(wc_wasi_ctx *ctx, const char *host, const char *guest, wc_error *err);

/** Register WASI 0.2 in l. The returned registry lives as long as l. */
wc_wasi *wc_wasi_link(wc_linker *l);
void wc_wasi_free(wc_wasi *w);

#endif
