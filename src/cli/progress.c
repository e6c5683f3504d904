/*
 * progress.c - a progress line for anything that takes over a second.
 *
 * wc_progress_begin("Stopping wasmCloud") starts a timer thread; if the work
 * is still going after a second it prints "Stopping wasmCloud... 1s" on
 * stderr and keeps the count current (rewriting the line on a terminal,
 * a line every 5 s otherwise). wc_progress_end() stops it and finishes the
 * line. Quick work prints nothing. One progress line at a time.
 */
#include "cli/cli.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct {
    pthread_t thread;
    int running, shown, tty;
    char what[160];
    uint64_t start_ns;
} progress;

/* The condition variable waits on CLOCK_REALTIME. */
static uint64_t
realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
show(uint64_t now)
{
    unsigned long long s = (now - progress.start_ns) / 1000000000ull;

    if (progress.tty) {
        fprintf(stderr, "\r%s... %llus", progress.what, s);
    } else if (!progress.shown || s % 5 == 0) {
        fprintf(stderr, "%s... %llus\n", progress.what, s);
    }
    fflush(stderr);
    progress.shown = 1;
}

static void *
ticker(void *arg)
{
    struct timespec ts;
    uint64_t next = progress.start_ns + 1000000000ull;

    (void)arg;
    pthread_mutex_lock(&mu);
    while (progress.running) {
        ts.tv_sec = (time_t)(next / 1000000000ull);
        ts.tv_nsec = (long)(next % 1000000000ull);
        if (pthread_cond_timedwait(&cond, &mu, &ts) != 0 && progress.running) {
            show(next);
            next += 1000000000ull;
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

void
wc_progress_begin(const char *what)
{
    if (progress.running) {
        return;
    }
    snprintf(progress.what, sizeof(progress.what), "%s", what);
    progress.tty = isatty(STDERR_FILENO);
    progress.shown = 0;
    progress.start_ns = realtime_ns();
    progress.running = 1;
    if (pthread_create(&progress.thread, NULL, ticker, NULL) != 0) {
        progress.running = 0;
    }
}

void
wc_progress_end(void)
{
    if (!progress.running) {
        return;
    }
    pthread_mutex_lock(&mu);
    progress.running = 0;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&mu);
    pthread_join(progress.thread, NULL);
    if (progress.shown && progress.tty) {
        fputc('\n', stderr);
    }
}
