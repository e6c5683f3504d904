/*
 * stream.c - stream and pollable objects behind wasi:io.
 *
 * A stream is a small vtable object (fd-backed or memory-backed here; HTTP
 * bodies add their own). Pollables wrap a stream's readiness, a deadline or
 * a custom check, and wc__poll_wait() blocks on all of them with one
 * poll(2), waking early if the guest's deadline passes (the watchdog's
 * signal interrupts the wait).
 */
#include "wasi/internal.h"

#include "base/duration.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- fd streams ---- */

typedef struct fdstream {
    wc_stream base;
    int fd;
    int own;
    int eof;
} fdstream;

static int
fd_check_write(wc_stream *s, uint64_t *room, wc_error *err)
{
    (void)s;
    (void)err;
    *room = 1u << 20; /* writes block until done, so any size is fine */
    return WC_STREAM_OK;
}

static int
fd_write(wc_stream *s, const uint8_t *data, size_t len, wc_error *err)
{
    fdstream *f = (fdstream *)s;

    while (len > 0) {
        ssize_t w = write(f->fd, data, len);

        if (w < 0 && errno == EINTR) {
            if (wc_call_interrupted()) {
                return wc_error_set(err, WC_ETRAP, "deadline exceeded");
            }
            continue;
        }
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {f->fd, POLLOUT, 0};

            poll(&p, 1, -1);
            continue;
        }
        if (w < 0) {
            return errno == EPIPE ? WC_STREAM_CLOSED
                                  : wc_error_set(err, -errno, "write failed: %s", strerror(errno));
        }
        data += w;
        len -= (size_t)w;
    }
    return WC_STREAM_OK;
}

static int
fd_flush(wc_stream *s, int blocking, wc_error *err)
{
    (void)s;
    (void)blocking;
    (void)err;
    return WC_STREAM_OK;
}

static int
fd_read(wc_stream *s, uint8_t *buf, size_t max, size_t *got, int blocking, wc_error *err)
{
    fdstream *f = (fdstream *)s;

    *got = 0;
    if (f->eof) {
        return WC_STREAM_CLOSED;
    }
    for (;;) {
        ssize_t r;

        if (!blocking) {
            struct pollfd p = {f->fd, POLLIN, 0};

            if (poll(&p, 1, 0) == 0) {
                return WC_STREAM_OK;
            }
        }
        r = read(f->fd, buf, max);
        if (r < 0 && errno == EINTR) {
            if (wc_call_interrupted()) {
                return wc_error_set(err, WC_ETRAP, "deadline exceeded");
            }
            continue;
        }
        if (r < 0 && errno == EAGAIN) {
            if (!blocking) {
                return WC_STREAM_OK;
            }
            struct pollfd p = {f->fd, POLLIN, 0};

            poll(&p, 1, -1);
            continue;
        }
        if (r < 0) {
            return wc_error_set(err, -errno, "read failed: %s", strerror(errno));
        }
        if (r == 0 && max > 0) {
            f->eof = 1;
            return WC_STREAM_CLOSED;
        }
        *got = (size_t)r;
        return WC_STREAM_OK;
    }
}

static int
fd_ready(wc_stream *s, int *fd, short *events)
{
    fdstream *f = (fdstream *)s;
    struct pollfd p = {f->fd, (short)(s->is_output ? POLLOUT : POLLIN), 0};

    if (f->eof || poll(&p, 1, 0) > 0) {
        return 1;
    }
    *fd = f->fd;
    *events = p.events;
    return 0;
}

static void
fd_free(wc_stream *s)
{
    fdstream *f = (fdstream *)s;

    if (f->own) {
        close(f->fd);
    }
    free(f);
}

static const wc_stream_ops fd_ops = {fd_check_write, fd_write, fd_flush,
                                     fd_read,        fd_ready, fd_free};

wc_stream *
wc_stream_fd(int fd, int is_output, int own)
{
    fdstream *f = wc_xcalloc(1, sizeof(*f));

    f->base.ops = &fd_ops;
    f->base.is_output = is_output;
    f->base.refs = 1;
    f->fd = fd;
    f->own = own;
    return &f->base;
}

/* ---- memory streams ---- */

typedef struct memstream {
    wc_stream base;
    wc_strbuf buf;
    size_t pos;
} memstream;

static int
mem_check_write(wc_stream *s, uint64_t *room, wc_error *err)
{
    (void)s;
    (void)err;
    *room = 1u << 20;
    return WC_STREAM_OK;
}

static int
mem_write(wc_stream *s, const uint8_t *data, size_t len, wc_error *err)
{
    (void)err;
    wc_strbuf_add(&((memstream *)s)->buf, data, len);
    return WC_STREAM_OK;
}

static int
mem_read(wc_stream *s, uint8_t *buf, size_t max, size_t *got, int blocking, wc_error *err)
{
    memstream *m = (memstream *)s;
    size_t n = m->buf.len - m->pos;

    (void)blocking;
    (void)err;
    if (n == 0 && max > 0) {
        *got = 0;
        return WC_STREAM_CLOSED;
    }
    if (n > max) {
        n = max;
    }
    memcpy(buf, m->buf.buf + m->pos, n);
    m->pos += n;
    *got = n;
    return WC_STREAM_OK;
}

static int
mem_ready(wc_stream *s, int *fd, short *events)
{
    (void)s;
    (void)fd;
    (void)events;
    return 1;
}

static void
mem_free(wc_stream *s)
{
    wc_strbuf_release(&((memstream *)s)->buf);
    free(s);
}

static const wc_stream_ops mem_ops = {mem_check_write, mem_write, fd_flush,
                                      mem_read,        mem_ready, mem_free};

wc_stream *
wc_stream_memory_in(const void *data, size_t len)
{
    memstream *m = wc_xcalloc(1, sizeof(*m));

    m->base.ops = &mem_ops;
    m->base.refs = 1;
    wc_strbuf_init(&m->buf, 0);
    wc_strbuf_add(&m->buf, data, len);
    return &m->base;
}

wc_stream *
wc_stream_memory_out(void)
{
    memstream *m = wc_xcalloc(1, sizeof(*m));

    m->base.ops = &mem_ops;
    m->base.is_output = 1;
    m->base.refs = 1;
    wc_strbuf_init(&m->buf, 0);
    return &m->base;
}

const uint8_t *
wc_stream_memory_data(wc_stream *s, size_t *len)
{
    memstream *m = (memstream *)s;

    *len = m->buf.len;
    return (const uint8_t *)m->buf.buf;
}

void
wc_stream_unref(wc_stream *s)
{
    if (s != NULL && --s->refs == 0) {
        s->ops->free(s);
    }
}

/* ---- pollables ---- */

static wc_pollable *
new_pollable(int kind)
{
    wc_pollable *p = wc_xcalloc(1, sizeof(*p));

    p->kind = kind;
    return p;
}

wc_pollable *
wc_pollable_stream(wc_stream *s)
{
    wc_pollable *p = new_pollable(PK_STREAM);

    s->refs++;
    p->stream = s;
    return p;
}

wc_pollable *
wc_pollable_deadline(uint64_t when)
{
    wc_pollable *p = new_pollable(PK_DEADLINE);

    p->deadline = when;
    return p;
}

wc_pollable *
wc_pollable_ready(void)
{
    return new_pollable(PK_READY);
}

wc_pollable *
wc_pollable_custom(int (*check)(void *arg, int *fd, short *events), void *arg)
{
    wc_pollable *p = new_pollable(PK_CUSTOM);

    p->check = check;
    p->arg = arg;
    return p;
}

void
wc__pollable_free(wc_pollable *p)
{
    if (p != NULL) {
        wc_stream_unref(p->stream);
        free(p);
    }
}

int
wc__pollable_ready(wc_pollable *p, int *fd, short *events, uint64_t *deadline)
{
    *fd = -1;
    *events = 0;
    *deadline = 0;
    switch (p->kind) {
    case PK_READY: return 1;
    case PK_STREAM: return p->stream->ops->ready(p->stream, fd, events);
    case PK_DEADLINE:
        if (wc_now_ns() >= p->deadline) {
            return 1;
        }
        *deadline = p->deadline;
        return 0;
    case PK_CUSTOM: return p->check(p->arg, fd, events);
    }
    return 1;
}

int
wc__poll_wait(wc_pollable **ps, size_t n, wc_error *err)
{
    struct pollfd *fds = wc_xcalloc(n + 1, sizeof(*fds));
    int rc = 0;

    for (;;) {
        uint64_t soonest = 0;
        size_t nfds = 0;
        int any = 0, timeout;

        if (wc_call_interrupted()) {
            rc = wc_error_set(err, WC_ETRAP, "deadline exceeded while waiting in poll");
            break;
        }
        for (size_t i = 0; i < n; i++) {
            int fd;
            short ev;
            uint64_t dl;

            if (wc__pollable_ready(ps[i], &fd, &ev, &dl)) {
                any = 1;
                break;
            }
            if (fd >= 0) {
                fds[nfds].fd = fd;
                fds[nfds].events = ev;
                fds[nfds].revents = 0;
                nfds++;
            }
            if (dl != 0 && (soonest == 0 || dl < soonest)) {
                soonest = dl;
            }
        }
        if (any) {
            break;
        }
        if (soonest != 0) {
            uint64_t now = wc_now_ns();

            timeout = soonest > now ? (int)((soonest - now + 999999) / 1000000) : 0;
        } else if (nfds == 0) {
            timeout = 1; /* custom checks with nothing to wait on: re-check soon */
        } else {
            timeout = -1;
        }
        if (poll(fds, nfds, timeout) < 0 && errno == EINTR && wc_call_interrupted()) {
            rc = wc_error_set(err, WC_ETRAP, "deadline exceeded while waiting in poll");
            break;
        }
    }
    free(fds);
    return rc;
}
