/*
 * xalloc.c - aborting allocators with a fault-injection hook.
 */
#include "base/xalloc.h"

#include "base/error.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong fail_countdown;

void
wc_xalloc_fail_after(unsigned long n)
{
    atomic_store(&fail_countdown, n);
}

static void
check_injected(size_t size)
{
    unsigned long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);

    if (n != 0 && atomic_fetch_sub(&fail_countdown, 1) == 1) {
        WC_BUG("out of memory allocating %zu bytes (injected)", size);
    }
}

void *
wc_xmalloc(size_t size)
{
    void *p;

    check_injected(size);
    p = malloc(size ? size : 1);
    if (p == NULL) {
        WC_BUG("out of memory allocating %zu bytes", size);
    }
    return p;
}

void *
wc_xcalloc(size_t nmemb, size_t size)
{
    void *p;

    check_injected(size);
    p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL) {
        WC_BUG("out of memory allocating %zu x %zu bytes", nmemb, size);
    }
    return p;
}

void *
wc_xrealloc(void *ptr, size_t size)
{
    void *p;

    check_injected(size);
    p = realloc(ptr, size ? size : 1);
    if (p == NULL) {
        WC_BUG("out of memory reallocating to %zu bytes", size);
    }
    return p;
}

void *
wc_xmemdup(const void *src, size_t n)
{
    void *p = wc_xmalloc(n);

    if (n != 0) {
        memcpy(p, src, n);
    }
    return p;
}

char *
wc_xstrndup(const char *s, size_t n)
{
    char *p = wc_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
wc_xstrdup(const char *s)
{
    return wc_xstrndup(s, strlen(s));
}

size_t
wc_grow_size(size_t alloc, size_t need)
{
    size_t n = alloc ? alloc : 16;

    while (n < need) {
        if (n > SIZE_MAX / 2) {
            WC_BUG("allocation size overflow (%zu)", need);
        }
        n *= 2;
    }
    return n;
}
