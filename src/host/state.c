/*
 * state.c - links and named config, mirrored from the lattice's KV buckets.
 *
 * LATTICEDATA_{lattice}: COMPONENT_{id} holds {"url", "links": [Link]} with
 * every link whose source is {id}; CLAIMS_{key} holds claims. CONFIGDATA:
 * a key per config name, a JSON object of strings. Every host watches both;
 * a change queues a provider sync, so a link put through one host opens a
 * listener on every host running the provider.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
spec_free(spec_entry *s)
{
    if (s != NULL) {
        wc_arena_release(&s->arena);
        free(s);
    }
}

static void
on_latticedata(void *data, const char *key, const char *value, size_t len)
{
    wc_host *h = data;

    if (strncmp(key, "COMPONENT_", 10) == 0) {
        const char *id = key + 10;
        spec_entry *s = NULL;

        if (value != NULL) {
            json_error_t jerr;
            json_t *j = json_loadb(value, len, 0, &jerr);
            wc_error err = WC_ERROR_INIT;

            s = wc_xcalloc(1, sizeof(*s));
            wc_arena_init(&s->arena, 1024);
            if (j == NULL ||
                wc_lt_component_specification_decode(j, &s->spec, &s->arena, &err) != 0) {
                WC_WARN("host", "ignoring LATTICEDATA %s: %s", key,
                        j == NULL ? jerr.text : err.msg);
                spec_free(s);
                json_decref(j);
                return;
            }
            json_decref(j);
        }
        pthread_rwlock_wrlock(&h->lock);
        spec_free(s != NULL ? wc_map_put(&h->specs, id, s) : wc_map_del(&h->specs, id));
        pthread_rwlock_unlock(&h->lock);
        host_enqueue(h, prov_sync, NULL, NULL);
    } else if (strncmp(key, "CLAIMS_", 7) == 0) {
        json_t *j = value != NULL ? json_loadb(value, len, 0, NULL) : NULL;

        pthread_rwlock_wrlock(&h->lock);
        json_decref(j != NULL ? wc_map_put(&h->claims, key, j) : wc_map_del(&h->claims, key));
        pthread_rwlock_unlock(&h->lock);
    }
}

static void
on_configdata(void *data, const char *key, const char *value, size_t len)
{
    wc_host *h = data;
    json_t *j = NULL;

    if (value != NULL) {
        j = json_loadb(value, len, 0, NULL);
        if (!json_is_object(j)) {
            WC_WARN("host", "ignoring CONFIGDATA %s: not a JSON object", key);
            json_decref(j);
            j = NULL;
        } else {
            const char *k;
            json_t *v;
            void *tmp;

            /* Config is strings; anyone may write the bucket, so drop the rest. */
            json_object_foreach_safe(j, tmp, k, v)
            {
                if (!json_is_string(v)) {
                    WC_WARN("host", "CONFIGDATA %s: ignoring \"%s\", not a string", key, k);
                    json_object_del(j, k);
                }
            }
        }
    }
    pthread_rwlock_wrlock(&h->lock);
    json_decref(j != NULL ? wc_map_put(&h->configs, key, j) : wc_map_del(&h->configs, key));
    pthread_rwlock_unlock(&h->lock);
    host_enqueue(h, prov_sync, NULL, NULL);
}

int
state_start(wc_host *h, wc_error *err)
{
    int rc;

    if ((rc = wc_kv_mirror_start(h->lat, h->cdata, on_configdata, h, &h->cmirror, err)) != 0) {
        return rc;
    }
    return wc_kv_mirror_start(h->lat, h->ldata, on_latticedata, h, &h->lmirror, err);
}

void
state_stop_watching(wc_host *h)
{
    wc_kv_mirror *l, *c;

    pthread_mutex_lock(&h->smu);
    l = h->lmirror;
    c = h->cmirror;
    h->lmirror = h->cmirror = NULL;
    pthread_mutex_unlock(&h->smu);
    wc_kv_mirror_stop(l);
    wc_kv_mirror_stop(c);
}

void
state_free(wc_host *h)
{
    size_t pos = 0;
    const char *key;
    void *v;

    pthread_rwlock_wrlock(&h->lock);
    while (wc_map_next(&h->specs, &pos, &key, &v)) {
        spec_free(v);
    }
    wc_map_release(&h->specs);
    pos = 0;
    while (wc_map_next(&h->configs, &pos, &key, &v)) {
        json_decref(v);
    }
    wc_map_release(&h->configs);
    pthread_rwlock_unlock(&h->lock);
}

const wc_lt_component_specification *
state_spec(wc_host *h, const char *id)
{
    spec_entry *s = wc_map_get(&h->specs, id);

    return s != NULL ? &s->spec : NULL;
}

json_t *
state_config_merge(wc_host *h, const wc_lt_strlist *names)
{
    json_t *out = json_object();

    for (size_t i = 0; i < names->n; i++) {
        json_t *c = wc_map_get(&h->configs, names->v[i]);

        if (c != NULL) {
            json_object_update(out, c);
        }
    }
    return out;
}

int
state_configs_known(wc_host *h, const wc_lt_strlist *names)
{
    for (size_t i = 0; i < names->n; i++) {
        if (strncmp(names->v[i], "SECRET_", 7) != 0 && !wc_map_has(&h->configs, names->v[i])) {
            return 0;
        }
    }
    return 1;
}

int
state_read_spec(wc_host *h, const char *source_id, wc_lt_component_specification *out,
                uint64_t *rev, wc_arena *a, wc_error *err)
{
    char key[512];
    kvEntry *e = NULL;
    natsStatus s;
    json_t *j;
    int rc;

    memset(out, 0, sizeof(*out));
    *rev = 0;
    snprintf(key, sizeof(key), "COMPONENT_%s", source_id);
    s = kvStore_Get(&e, h->ldata, key);
    if (s == NATS_NOT_FOUND) {
        out->url = "";
        return 0;
    }
    if (s != NATS_OK) {
        return wc_lattice_error(err, s, "reading links from LATTICEDATA");
    }
    *rev = kvEntry_Revision(e);
    j = json_loadb(kvEntry_ValueString(e), (size_t)kvEntry_ValueLen(e), 0, NULL);
    kvEntry_Destroy(e);
    rc = j != NULL ? wc_lt_component_specification_decode(j, out, a, err)
                   : wc_error_set(err, WC_EINVAL, "LATTICEDATA %s is not JSON", key);
    json_decref(j);
    if (rc != 0) {
        wc_error_prefix(err, "LATTICEDATA %s: ", key);
    }
    return rc;
}

int
state_write_links(wc_host *h, const char *source_id, const char *url, const wc_lt_link *links,
                  size_t n, uint64_t rev, wc_error *err)
{
    wc_lt_component_specification spec = {0};
    char key[512];
    json_t *j;
    char *text;
    natsStatus s;

    spec.url = (char *)(url != NULL ? url : "");
    spec.links.v = (wc_lt_link *)links;
    spec.links.n = n;
    j = wc_lt_component_specification_encode(&spec);
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    snprintf(key, sizeof(key), "COMPONENT_%s", source_id);
    s = rev != 0 ? kvStore_Update(NULL, h->ldata, key, text, (int)strlen(text), rev)
                 : kvStore_Create(NULL, h->ldata, key, text, (int)strlen(text));
    free(text);
    if (s == NATS_OK) {
        return 0;
    }
    /* Written meanwhile (wrong last sequence, or created): the caller reads again. */
    wc_lattice_error(err, s, "writing the links to LATTICEDATA");
    return 1;
}
