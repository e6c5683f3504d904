/*
 * arena.h - a bump allocator for things that die together (a request, a
 * message, a reconcile pass, a translation).
 *
 * Allocations are 16-byte aligned and live until wc_arena_release() or
 * wc_arena_reset(). Large requests get a block of their own.
 */
#ifndef WC_BASE_ARENA_H
#define WC_BASE_ARENA_H

#include <stddef.h>

struct wc_arena_block;

typedef struct wc_arena {
    struct wc_arena_block *head;
    size_t block_size; /* default size of new blocks */
    size_t used;       /* total bytes handed out, for budgets */
} wc_arena;

#define WC_ARENA_INIT {NULL, 0, 0}

void wc_arena_init(wc_arena *a, size_t block_size);
/** Never returns NULL (aborts on OOM like wc_xmalloc). */
void *wc_arena_alloc(wc_arena *a, size_t size);
void *wc_arena_calloc(wc_arena *a, size_t nmemb, size_t size);
char *wc_arena_strndup(wc_arena *a, const char *s, size_t n);
char *wc_arena_strdup(wc_arena *a, const char *s);
/** Free everything but keep the first block for reuse. */
void wc_arena_reset(wc_arena *a);
/** Free everything. */
void wc_arena_release(wc_arena *a);

#endif
