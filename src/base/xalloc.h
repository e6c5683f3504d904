/*
 * xalloc.h - allocation for host bookkeeping.
 *
 * wc_xmalloc and friends abort with a message when memory runs out: the host
 * cannot do useful work without its own bookkeeping. Anything whose size a
 * guest or a peer chooses must be checked against a budget first (and fail
 * with WC_ELIMIT) before it reaches these functions.
 *
 * For tests, wc_xalloc_fail_after(n) makes the nth following allocation
 * behave as if memory had run out (it aborts, which a death test can see).
 */
#ifndef WC_BASE_XALLOC_H
#define WC_BASE_XALLOC_H

#include <stddef.h>

void *wc_xmalloc(size_t size);
void *wc_xcalloc(size_t nmemb, size_t size);
void *wc_xrealloc(void *ptr, size_t size);
char *wc_xstrdup(const char *s);
char *wc_xstrndup(const char *s, size_t n);
void *wc_xmemdup(const void *p, size_t n);

/** Test hook: the nth allocation from now fails (n >= 1); 0 disables. */
void wc_xalloc_fail_after(unsigned long n);

/** Grow *alloc (>= need) geometrically; overflow aborts. */
size_t wc_grow_size(size_t alloc, size_t need);

#endif
