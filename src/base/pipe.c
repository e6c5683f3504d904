/*
 * pipe.c - bounded byte channel: a ring buffer, a mutex, two eventfds.
 *
 * The eventfds mirror two conditions, "readable" (data or end) and
 * "writable" (room or reader gone). After every state change the pipe sets
 * or clears each one, so a poll(2) or a libuv poll handle on the fd behaves
 * like level-triggered readiness.
 */
#include "base/pipe.h"

#include "base/xalloc.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct wc_pipe {
    pthread_mutex_t mu;
    atomic_int refs;
    uint8_t *buf;
    size_t cap, head, len;
    int wclosed, rclosed, werr;
    int rfd, wfd;        /* eventfds */
    int rset, wset;      /* whether each eventfd is currently signalled */
};

wc_pipe *
wc_pipe_new(size_t capacity)
{
    wc_pipe *p = wc_xcalloc(1, sizeof(*p));

    p->rfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->rfd < 0 || p->wfd < 0) {
        if (p->rfd >= 0) {
            close(p->rfd);
        }
        if (p->wfd >= 0) {
            close(p->wfd);
        }
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->refs, 1);
    p->cap = capacity ? capacity : 64 * 1024;
    p->buf = wc_xmalloc(p->cap);
    /* Empty and open: writable, not readable. */
    eventfd_write(p->wfd, 1);
    p->wset = 1;
    return p;
}

void
wc_pipe_ref(wc_pipe *p)
{
    atomic_fetch_add(&p->refs, 1);
}

void
wc_pipe_unref(wc_pipe *p)
{
    if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1) {
        return;
    }
    close(p->rfd);
    close(p->wfd);
    pthread_mutex_destroy(&p->mu);
    free(p->buf);
    free(p);
}

/* Bring the eventfds in line with the state; called with mu held. */
static void
signal_state(wc_pipe *p)
{
    int readable = p->len > 0 || p->wclosed;
    int writable = p->len < p->cap || p->rclosed;
    eventfd_t v;

    if (readable && !p->rset) {
        eventfd_write(p->rfd, 1);
        p->rset = 1;
    } else if (!readable && p->rset) {
        eventfd_read(p->rfd, &v);
        p->rset = 0;
    }
    if (writable && !p->wset) {
        eventfd_write(p->wfd, 1);
        p->wset = 1;
    } else if (!writable && p->wset) {
        eventfd_read(p->wfd, &v);
        p->wset = 0;
    }
}

long
wc_pipe_write(wc_pipe *p, const void *data, size_t len)
{
    const uint8_t *d = data;
    size_t n;

    pthread_mutex_lock(&p->mu);
    if (p->rclosed) {
        pthread_mutex_unlock(&p->mu);
        return -1;
    }
    n = p->cap - p->len;
    if (n > len) {
        n = len;
    }
    for (size_t done = 0; done < n;) {
        size_t tail = (p->head + p->len) % p->cap;
        size_t run = p->cap - tail;

        if (run > n - done) {
            run = n - done;
        }
        memcpy(p->buf + tail, d + done, run);
        p->len += run;
        done += run;
    }
    signal_state(p);
    pthread_mutex_unlock(&p->mu);
    return (long)n;
}

int
wc_pipe_write_all(wc_pipe *p, const void *data, size_t len)
{
    const uint8_t *d = data;

    while (len > 0) {
        long n = wc_pipe_write(p, d, len);

        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            if (wc_pipe_wait_writable(p) != 0) {
                return -1;
            }
            continue;
        }
        d += n;
        len -= (size_t)n;
    }
    return 0;
}

size_t
wc_pipe_space(wc_pipe *p)
{
    size_t n;

    pthread_mutex_lock(&p->mu);
    n = p->rclosed ? 0 : p->cap - p->len;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void
wc_pipe_close_write(wc_pipe *p, int err)
{
    pthread_mutex_lock(&p->mu);
    if (!p->wclosed) {
        p->wclosed = 1;
        p->werr = err;
    }
    signal_state(p);
    pthread_mutex_unlock(&p->mu);
}

long
wc_pipe_read(wc_pipe *p, void *buf, size_t max, int *err)
{
    uint8_t *b = buf;
    size_t n;

    pthread_mutex_lock(&p->mu);
    if (p->len == 0) {
        long r = p->wclosed ? -1 : 0;

        if (err != NULL) {
            *err = p->werr;
        }
        pthread_mutex_unlock(&p->mu);
        return r;
    }
    n = p->len < max ? p->len : max;
    for (size_t done = 0; done < n;) {
        size_t run = p->cap - p->head;

        if (run > n - done) {
            run = n - done;
        }
        memcpy(b + done, p->buf + p->head, run);
        p->head = (p->head + run) % p->cap;
        p->len -= run;
        done += run;
    }
    signal_state(p);
    pthread_mutex_unlock(&p->mu);
    return (long)n;
}

static int
wait_fd(int fd)
{
    struct pollfd pf = {fd, POLLIN, 0};

    if (poll(&pf, 1, -1) < 0) {
        return errno == EINTR ? -1 : 0;
    }
    return 0;
}

int
wc_pipe_wait_readable(wc_pipe *p)
{
    return wait_fd(p->rfd);
}

int
wc_pipe_wait_writable(wc_pipe *p)
{
    return wait_fd(p->wfd);
}

void
wc_pipe_close_read(wc_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->rclosed = 1;
    p->len = 0;
    signal_state(p);
    pthread_mutex_unlock(&p->mu);
}

int
wc_pipe_readable_fd(wc_pipe *p)
{
    return p->rfd;
}

int
wc_pipe_writable_fd(wc_pipe *p)
{
    return p->wfd;
}

size_t
wc_pipe_available(wc_pipe *p)
{
    size_t n;

    pthread_mutex_lock(&p->mu);
    n = p->len;
    pthread_mutex_unlock(&p->mu);
    return n;
}

int
wc_pipe_write_closed(wc_pipe *p)
{
    int c;

    pthread_mutex_lock(&p->mu);
    c = p->wclosed;
    pthread_mutex_unlock(&p->mu);
    return c;
}

int
wc_pipe_read_closed(wc_pipe *p)
{
    int c;

    pthread_mutex_lock(&p->mu);
    c = p->rclosed;
    pthread_mutex_unlock(&p->mu);
    return c;
}
