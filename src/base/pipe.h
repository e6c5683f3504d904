/*
 * pipe.h - a bounded byte channel between two threads, pollable by fd.
 *
 * HTTP bodies flow through these: from the server's event loop to a guest
 * reading a request body, from a guest writing a response body back to the
 * loop, and to and from libcurl for outgoing requests. The writer blocks or
 * backs off when the pipe is full, so a large body is never buffered whole.
 *
 * Each side can wait without spinning: readable_fd() becomes readable when
 * there is data or the writer closed; writable_fd() when there is room or the
 * reader went away. Both are eventfds driven level-style by the pipe, made
 * on first use. All functions are thread-safe. A new pipe has one reference; each holder
 * (a reader, a writer, an object that hands ends out) takes and drops its own.
 */
#ifndef WC_BASE_PIPE_H
#define WC_BASE_PIPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct wc_pipe wc_pipe;

/** A pipe holding up to capacity bytes (0: 64 KiB). */
wc_pipe *wc_pipe_new(size_t capacity);
void wc_pipe_ref(wc_pipe *p);
void wc_pipe_unref(wc_pipe *p);

/** Write what fits; returns bytes taken (0 if full), or -1 if the reader is gone. */
long wc_pipe_write(wc_pipe *p, const void *data, size_t len);
/** Write everything, waiting for room; returns 0, or -1 if the reader is gone. */
int wc_pipe_write_all(wc_pipe *p, const void *data, size_t len);
/** Room for a write now. */
size_t wc_pipe_space(wc_pipe *p);
/** The writer is done; err (nonzero) marks the body as failed. */
void wc_pipe_close_write(wc_pipe *p, int err);

/**
 * Read up to max bytes. Returns bytes read (> 0), 0 if nothing yet, or -1 at
 * the end (writer closed and drained); *err gets the writer's error code then.
 */
long wc_pipe_read(wc_pipe *p, void *buf, size_t max, int *err);
/** Wait until readable (data or end); returns 0, or -1 if interrupted (EINTR) or out of fds. */
int wc_pipe_wait_readable(wc_pipe *p);
/** Wait until writable (room or reader gone). */
int wc_pipe_wait_writable(wc_pipe *p);
/** The reader is gone: writers get -1 from now on. */
void wc_pipe_close_read(wc_pipe *p);

/** The eventfds, made on the first call; -1 if one cannot be made. */
int wc_pipe_readable_fd(wc_pipe *p);
int wc_pipe_writable_fd(wc_pipe *p);
/** Bytes waiting to be read. */
size_t wc_pipe_available(wc_pipe *p);
/** Has the writer closed (the reader will see the end after the data)? */
int wc_pipe_write_closed(wc_pipe *p);
/** Has the reader gone away? */
int wc_pipe_read_closed(wc_pipe *p);

#endif
