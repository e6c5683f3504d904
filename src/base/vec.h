/*
 * vec.h - typed growable arrays and a string-keyed hash map.
 *
 * WC_VEC(T) declares an anonymous struct {T *v; size_t n, cap;}. Use
 * wc_vec_push(&vec, value) and wc_vec_free(&vec); elements are addressed
 * directly as vec.v[i]. Growth aborts on OOM like wc_xmalloc.
 *
 * wc_map maps NUL-terminated string keys to void* values with open
 * addressing. The map copies keys; values are borrowed (the caller owns
 * whatever they point to).
 */
#ifndef WC_BASE_VEC_H
#define WC_BASE_VEC_H

#include "base/xalloc.h"

#include <stddef.h>
#include <stdint.h>

#define WC_VEC(T)                                                                                  \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }

#define wc_vec_reserve(vec, need)                                                                  \
    do {                                                                                           \
        if ((need) > (vec)->cap) {                                                                 \
            (vec)->cap = wc_grow_size((vec)->cap, (need));                                         \
            (vec)->v = wc_xrealloc((vec)->v, (vec)->cap * sizeof(*(vec)->v));                      \
        }                                                                                          \
    } while (0)

#define wc_vec_push(vec, value)                                                                    \
    do {                                                                                           \
        wc_vec_reserve((vec), (vec)->n + 1);                                                       \
        (vec)->v[(vec)->n++] = (value);                                                            \
    } while (0)

#define wc_vec_free(vec)                                                                           \
    do {                                                                                           \
        free((vec)->v);                                                                            \
        (vec)->v = NULL;                                                                           \
        (vec)->n = (vec)->cap = 0;                                                                 \
    } while (0)

typedef struct wc_map_entry {
    char *key; /* NULL for an empty slot */
    void *value;
    uint64_t hash;
} wc_map_entry;

typedef struct wc_map {
    wc_map_entry *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;   /* live entries */
    size_t tombs;
} wc_map;

#define WC_MAP_INIT {NULL, 0, 0, 0}

/** 64-bit FNV-1a of len bytes. */
uint64_t wc_hash_bytes(const void *data, size_t len);
/** The value for key, or NULL. */
void *wc_map_get(const wc_map *m, const char *key);
/** Is key present (its value may be NULL)? */
int wc_map_has(const wc_map *m, const char *key);
/** Insert or replace; returns the previous value or NULL. */
void *wc_map_put(wc_map *m, const char *key, void *value);
/** Remove key; returns its value or NULL. */
void *wc_map_del(wc_map *m, const char *key);
/** Free the map's storage (not the values). */
void wc_map_release(wc_map *m);
/** Iterate: *pos starts at 0; returns 0 when done. */
int wc_map_next(const wc_map *m, size_t *pos, const char **key, void **value);

#endif
