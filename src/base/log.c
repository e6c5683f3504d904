/*
 * log.c - formatting log lines, and the bounded buffer + writer thread.
 */
#include "base/log.h"

#include "base/xalloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *level_names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
static atomic_int cur_level = -1;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *ring;
    unsigned cap, head, len; /* bytes; head is the read position */
    int running, stop;
    unsigned long dropped, reported;
    pthread_t thread;
} as = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

int
wc_log_level_parse(const char *name)
{
    for (int i = 0; i <= WC_LOG_TRACE; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        return WC_LOG_WARN;
    }
    return -1;
}

enum wc_log_level
wc_log_get_level(void)
{
    int l = atomic_load_explicit(&cur_level, memory_order_relaxed);

    if (l < 0) {
        const char *env = getenv("WC_LOG");

        l = env ? wc_log_level_parse(env) : -1;
        if (l < 0) {
            l = WC_LOG_INFO;
        }
        atomic_store(&cur_level, l);
    }
    return (enum wc_log_level)l;
}

void
wc_log_set_level(enum wc_log_level level)
{
    atomic_store(&cur_level, (int)level);
}

static void
write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);

        if (w <= 0) {
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void
wc_log(enum wc_log_level level, const char *module, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n, m;

    if (level > wc_log_get_level()) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof(line),
                 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                 level_names[level], module);
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) {
        m = 0;
    }
    n += m;
    if ((size_t)n > sizeof(line) - 2) {
        n = (int)sizeof(line) - 5;
        memcpy(line + n, "...", 3);
        n += 3;
    }
    line[n++] = '\n';

    pthread_mutex_lock(&as.mu);
    if (!as.running) {
        pthread_mutex_unlock(&as.mu);
        write_all(line, (size_t)n);
        return;
    }
    if (as.cap - as.len < (unsigned)n) {
        as.dropped++;
    } else {
        for (int i = 0; i < n; i++) {
            as.ring[(as.head + as.len + (unsigned)i) % as.cap] = line[i];
        }
        as.len += (unsigned)n;
        pthread_cond_signal(&as.cv);
    }
    pthread_mutex_unlock(&as.mu);
}

static void *
writer(void *arg)
{
    char *chunk = wc_xmalloc(as.cap);

    (void)arg;
    pthread_mutex_lock(&as.mu);
    for (;;) {
        unsigned n;
        unsigned long dropped;

        while (as.len == 0 && as.dropped == as.reported && !as.stop) {
            pthread_cond_wait(&as.cv, &as.mu);
        }
        if (as.len == 0 && as.dropped == as.reported && as.stop) {
            break;
        }
        n = as.len;
        for (unsigned i = 0; i < n; i++) {
            chunk[i] = as.ring[(as.head + i) % as.cap];
        }
        as.head = (as.head + n) % as.cap;
        as.len = 0;
        dropped = as.dropped - as.reported;
        as.reported = as.dropped;
        pthread_mutex_unlock(&as.mu);
        write_all(chunk, n);
        if (dropped != 0) {
            char msg[128];
            int k = snprintf(msg, sizeof(msg), "log: dropped %lu lines (buffer full)\n", dropped);

            write_all(msg, (size_t)k);
        }
        pthread_mutex_lock(&as.mu);
    }
    pthread_mutex_unlock(&as.mu);
    free(chunk);
    return NULL;
}

void
wc_log_start_async(unsigned capacity)
{
    pthread_mutex_lock(&as.mu);
    if (as.running) {
        pthread_mutex_unlock(&as.mu);
        return;
    }
    as.cap = capacity ? capacity : 1u << 20;
    as.ring = wc_xmalloc(as.cap);
    as.head = as.len = 0;
    as.stop = 0;
    as.running = 1;
    pthread_mutex_unlock(&as.mu);
    if (pthread_create(&as.thread, NULL, writer, NULL) != 0) {
        pthread_mutex_lock(&as.mu);
        as.running = 0;
        free(as.ring);
        as.ring = NULL;
        pthread_mutex_unlock(&as.mu);
    }
}

void
wc_log_stop_async(void)
{
    pthread_mutex_lock(&as.mu);
    if (!as.running) {
        pthread_mutex_unlock(&as.mu);
        return;
    }
    as.stop = 1;
    pthread_cond_signal(&as.cv);
    pthread_mutex_unlock(&as.mu);
    pthread_join(as.thread, NULL);
    pthread_mutex_lock(&as.mu);
    as.running = 0;
    free(as.ring);
    as.ring = NULL;
    pthread_mutex_unlock(&as.mu);
}

unsigned long
wc_log_dropped(void)
{
    unsigned long n;

    pthread_mutex_lock(&as.mu);
    n = as.dropped;
    pthread_mutex_unlock(&as.mu);
    return n;
}
