/*
 * arena.c - bump allocation in chained blocks.
 */
#include "base/arena.h"

#include "base/error.h"
#include "base/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wc_arena_block {
    struct wc_arena_block *next;
    size_t size; /* usable bytes in data */
    size_t off;  /* bytes in use */
    _Alignas(16) unsigned char data[];
};

void
wc_arena_init(wc_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used = 0;
}

void *
wc_arena_alloc(wc_arena *a, size_t size)
{
    struct wc_arena_block *b = a->head;
    size_t need = (size + 15) & ~(size_t)15;
    void *p;

    if (need < size) {
        WC_BUG("arena allocation overflow (%zu)", size);
    }
    if (a->block_size == 0) {
        a->block_size = 64 * 1024;
    }
    if (b == NULL || b->size - b->off < need) {
        size_t bsize = need > a->block_size / 4 ? need : a->block_size;

        b = wc_xmalloc(sizeof(*b) + bsize);
        b->size = bsize;
        b->off = 0;
        if (bsize == need && a->head != NULL) {
            /* An oversized request: keep the current block at the head. */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    p = b->data + b->off;
    b->off += need;
    a->used += need;
    return p;
}

void *
wc_arena_calloc(wc_arena *a, size_t nmemb, size_t size)
{
    void *p;

    if (size != 0 && nmemb > SIZE_MAX / size) {
        WC_BUG("arena calloc overflow (%zu x %zu)", nmemb, size);
    }
    p = wc_arena_alloc(a, nmemb * size);
    memset(p, 0, nmemb * size);
    return p;
}

char *
wc_arena_strndup(wc_arena *a, const char *s, size_t n)
{
    char *p = wc_arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
wc_arena_strdup(wc_arena *a, const char *s)
{
    return wc_arena_strndup(a, s, strlen(s));
}

void
wc_arena_reset(wc_arena *a)
{
    struct wc_arena_block *b, *next, *keep = NULL;

    for (b = a->head; b != NULL; b = next) {
        next = b->next;
        if (keep == NULL && b->size == a->block_size) {
            keep = b;
            continue;
        }
        free(b);
    }
    if (keep != NULL) {
        keep->next = NULL;
        keep->off = 0;
    }
    a->head = keep;
    a->used = 0;
}

void
wc_arena_release(wc_arena *a)
{
    struct wc_arena_block *b, *next;

    for (b = a->head; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
    a->used = 0;
}
