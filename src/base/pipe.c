/*
 * pipe.c - bounded byte channel: a ring buffer, a mutex, two eventfds.
 *
 * The eventfds mirror two conditions, "readable" (data or end) and
 * "writable" (room or reader gone). After every state change the pipe sets
 * or clears each one, so a poll(2) or a libuv poll handle on the fd behaves
 * like level-triggered readiness.
 *
 * Each eventfd is made only when someone first asks for it (to poll or to
 * wait): most pipes carry a small body that is written and read without
 * anyone waiting, and making and closing eventfds was a tenth of the time
 * of a hello-world HTTP request.
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
    int rfd, wfd;   /* eventfds, -1 until asked for */
    int rset, wset; /* whether each eventfd is currently signalled */
};

wc_pipe *
wc_pipe_new(size_t capacity)
{
    wc_pipe *p = wc_xcalloc(1, sizeof(*p));

    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->refs, 1);
    p->cap = capacity ? capacity : 64 * 1024;
    p->buf = wc_xmalloc(p->cap);
    p->rfd = p->wfd = -1;
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
    if (p->rfd >= 0) {
        close(p->rfd);
    }
    if (p->wfd >= 0) {
        close(p->wfd);
    }
    pthread_mutex_destroy(&p->mu);
    free(p->buf);
    free(p);
}

/* Set or clear one eventfd to match a condition. */
static void
signal_fd(int fd, int *set, int cond)
{
    eventfd_t v;

    if (fd < 0) {
        return;
    }
    if (cond && !*set) {
        eventfd_write(fd, 1);
        *set = 1;
    } else if (!cond && *set) {
        eventfd_read(fd, &v);
        *set = 0;
    }
}

/* Bring the eventfds in line with the state; called with mu held. */
static void
signal_state(wc_pipe *p)
{
    signal_fd(p->rfd, &p->rset, p->len > 0 || p->wclosed);
    signal_fd(p->wfd, &p->wset, p->len < p->cap || p->rclosed);
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

/* Wait for an eventfd; -1 if a signal interrupted the wait or there is no fd. */
static int
wait_fd(int fd)
{
    struct pollfd pf = {fd, POLLIN, 0};

    if (fd < 0) {
        return -1;
    }
    if (poll(&pf, 1, -1) < 0) {
        return errno == EINTR ? -1 : 0;
    }
    return 0;
}

int
wc_pipe_wait_readable(wc_pipe *p)
{
    return wait_fd(wc_pipe_readable_fd(p));
}

int
wc_pipe_wait_writable(wc_pipe *p)
{
    return wait_fd(wc_pipe_writable_fd(p));
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

/* Make *fd if it does not exist yet; called with mu held. */
static int
lazy_fd(wc_pipe *p, int *fd)
{
    if (*fd < 0) {
        *fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        signal_state(p);
    }
    return *fd;
}

int
wc_pipe_readable_fd(wc_pipe *p)
{
    int fd;

    pthread_mutex_lock(&p->mu);
    fd = lazy_fd(p, &p->rfd);
    pthread_mutex_unlock(&p->mu);
    return fd;
}

int
wc_pipe_writable_fd(wc_pipe *p)
{
    int fd;

    pthread_mutex_lock(&p->mu);
    fd = lazy_fd(p, &p->wfd);
    pthread_mutex_unlock(&p->mu);
    return fd;
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
