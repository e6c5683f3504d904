/*
 * map.c - open-addressing string map with linear probing and tombstones.
 */
#include "base/vec.h"

#include <stdlib.h>
#include <string.h>

static char tombstone[1];

uint64_t
wc_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static wc_map_entry *
find(const wc_map *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;

    for (size_t i = h & mask;; i = (i + 1) & mask) {
        wc_map_entry *e = &m->slots[i];

        if (e->key == NULL) {
            return NULL;
        }
        if (e->key != tombstone && e->hash == h && strcmp(e->key, key) == 0) {
            return e;
        }
    }
}

void *
wc_map_get(const wc_map *m, const char *key)
{
    wc_map_entry *e;

    if (m->n == 0) {
        return NULL;
    }
    e = find(m, key, wc_hash_bytes(key, strlen(key)));
    return e ? e->value : NULL;
}

int
wc_map_has(const wc_map *m, const char *key)
{
    return m->n != 0 && find(m, key, wc_hash_bytes(key, strlen(key))) != NULL;
}

static void
rehash(wc_map *m, size_t cap)
{
    wc_map_entry *old = m->slots;
    size_t oldcap = m->cap;

    m->slots = wc_xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    m->tombs = 0;
    for (size_t i = 0; i < oldcap; i++) {
        wc_map_entry *e = &old[i];

        if (e->key != NULL && e->key != tombstone) {
            size_t j = e->hash & (cap - 1);

            while (m->slots[j].key != NULL) {
                j = (j + 1) & (cap - 1);
            }
            m->slots[j] = *e;
        }
    }
    free(old);
}

void *
wc_map_put(wc_map *m, const char *key, void *value)
{
    uint64_t h = wc_hash_bytes(key, strlen(key));
    wc_map_entry *e;
    size_t i;

    if ((m->n + m->tombs + 1) * 4 >= m->cap * 3) {
        rehash(m, m->cap ? (m->n * 2 >= m->cap ? m->cap * 2 : m->cap) : 16);
    }
    if ((e = find(m, key, h)) != NULL) {
        void *prev = e->value;

        e->value = value;
        return prev;
    }
    for (i = h & (m->cap - 1); m->slots[i].key != NULL && m->slots[i].key != tombstone;
         i = (i + 1) & (m->cap - 1)) {
    }
    if (m->slots[i].key == tombstone) {
        m->tombs--;
    }
    m->slots[i].key = wc_xstrdup(key);
    m->slots[i].value = value;
    m->slots[i].hash = h;
    m->n++;
    return NULL;
}

void *
wc_map_del(wc_map *m, const char *key)
{
    wc_map_entry *e;
    void *value;

    if (m->n == 0 || (e = find(m, key, wc_hash_bytes(key, strlen(key)))) == NULL) {
        return NULL;
    }
    value = e->value;
    free(e->key);
    e->key = tombstone;
    e->value = NULL;
    m->n--;
    m->tombs++;
    return value;
}

void
wc_map_release(wc_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key != NULL && m->slots[i].key != tombstone) {
            free(m->slots[i].key);
        }
    }
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = m->tombs = 0;
}

int
wc_map_next(const wc_map *m, size_t *pos, const char **key, void **value)
{
    for (size_t i = *pos; i < m->cap; i++) {
        wc_map_entry *e = &m->slots[i];

        if (e->key != NULL && e->key != tombstone) {
            *pos = i + 1;
            if (key != NULL) {
                *key = e->key;
            }
            if (value != NULL) {
                *value = e->value;
            }
            return 1;
        }
    }
    *pos = m->cap;
    return 0;
}
