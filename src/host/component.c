/*
 * component.c - components on this host: scale, update, stop, and the
 * permits that bound concurrent invocations.
 *
 * A component is its id, a current image (compiled component + linker) and
 * max_instances, the number of invocations that may run at once. More wait
 * in line (up to cfg.max_waiting, for at most the execution time limit);
 * beyond that they are refused with a message saying so. An update swaps the
 * image: invocations running keep the old one until they finish, so nothing
 * in flight is dropped.
 */
#include "host/internal.h"

#include "base/duration.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The longest an invocation waits for a permit. */
#define MAX_PERMIT_WAIT_NS (60ull * 1000000000ull)

static void
image_unref(image *img)
{
    if (img != NULL && atomic_fetch_sub(&img->refs, 1) == 1) {
        wc_wasi_free(img->wasi);
        wc_linker_free(img->linker);
        free(img->iface);
        wc_component_unref(img->comp);
        free(img->ref);
        free(img);
    }
}

/* The file a file:// reference names ("file:///abs", "file://rel" or a plain path). */
static const char *
file_path(const char *ref)
{
    if (strncmp(ref, "file://", 7) == 0) {
        return ref + 7;
    }
    if (ref[0] == '/' || ref[0] == '.') {
        return ref;
    }
    return NULL;
}

static int
read_limited(const char *path, uint64_t max, wc_strbuf *out, wc_error *err)
{
    struct stat st;
    FILE *f;
    char buf[65536];
    size_t n;

    if (stat(path, &st) != 0) {
        return wc_error_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
    }
    if ((uint64_t)st.st_size > max) {
        return wc_error_set(err, WC_ELIMIT,
                            "%s is %llu bytes, over the component size limit of %llu bytes "
                            "(WASMCLOUD_MAX_COMPONENT_SIZE)",
                            path, (unsigned long long)st.st_size, (unsigned long long)max);
    }
    if ((f = fopen(path, "rb")) == NULL) {
        return wc_error_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        wc_strbuf_add(out, buf, n);
    }
    fclose(f);
    return 0;
}

/* Load, compile and link a component; instantiate it once so a missing import fails here. */
static int
image_load(wc_host *h, const char *ref, uint64_t max_memory, image **out, wc_error *err)
{
    const char *path = file_path(ref);
    wc_strbuf bytes = WC_STRBUF_INIT;
    image *img;
    wc_wasi_ctx probe;
    wc_cinstance *inst = NULL;
    int rc;

    if (path == NULL) {
        return wc_error_set(err, WC_ENOTSUP,
                            "cannot fetch %s: this host runs components from file:// references "
                            "(OCI registries are not supported)",
                            ref);
    }
    if ((rc = read_limited(path, h->cfg.max_component_bytes, &bytes, err)) != 0) {
        return rc;
    }
    img = wc_xcalloc(1, sizeof(*img));
    atomic_init(&img->refs, 1);
    img->ref = wc_xstrdup(ref);
    rc = wc_component_new(h->engine, bytes.buf, bytes.len, &img->comp, err);
    wc_strbuf_release(&bytes);
    if (rc != 0) {
        wc_error_prefix(err, "%s: ", path);
        image_unref(img);
        return rc;
    }
    if (max_memory != 0) {
        wc_component_set_max_memory(img->comp, max_memory);
    }
    img->linker = wc_linker_new();
    img->wasi = wc_wasi_link(img->linker);
    img->iface = iface_link(h, img->linker);
    wc_wasi_ctx_init(&probe);
    rc = wc_cinstance_new(img->comp, img->linker, &probe, 0, &inst, err);
    wc_cinstance_free(rc == 0 ? inst : NULL);
    wc_wasi_ctx_release(&probe);
    if (rc != 0) {
        wc_error_prefix(err, "%s: ", path);
        image_unref(img);
        return rc;
    }
    *out = img;
    return 0;
}

hcomp *
comp_get(wc_host *h, const char *id)
{
    hcomp *c;

    pthread_rwlock_rdlock(&h->lock);
    c = wc_map_get(&h->comps, id);
    if (c != NULL) {
        atomic_fetch_add(&c->refs, 1);
    }
    pthread_rwlock_unlock(&h->lock);
    return c;
}

void
comp_unref(hcomp *c)
{
    if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1) {
        image_unref(c->img);
        wc_arena_release(&c->arena);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cond);
        free(c->id);
        free(c);
    }
}

/* Copy a scale command into the component's own arena. */
static void
set_spec(hcomp *c, const wc_lt_scale_component_command *cmd)
{
    json_t *j = wc_lt_scale_component_command_encode(cmd);

    wc_arena_release(&c->arena);
    wc_arena_init(&c->arena, 512);
    memset(&c->spec, 0, sizeof(c->spec));
    wc_lt_scale_component_command_decode(j, &c->spec, &c->arena, NULL);
    json_decref(j);
}

json_t *
comp_description(hcomp *c)
{
    wc_lt_component_description d = {0};
    json_t *j;

    pthread_mutex_lock(&c->mu);
    d.id = c->id;
    d.image_ref = c->img->ref;
    d.max_instances = c->max;
    d.annotations = c->spec.annotations;
    d.limits = c->spec.component_limits;
    d.has_limits = c->spec.has_component_limits;
    j = wc_lt_component_description_encode(&d);
    pthread_mutex_unlock(&c->mu);
    return j;
}

static void
scaled_event(wc_host *h, const char *id, const char *ref, uint32_t count,
             const wc_lt_strmap *annotations)
{
    wc_lt_component_scaled ev = {0};

    ev.host_id = h->id;
    ev.component_id = (char *)id;
    ev.image_ref = (char *)ref;
    ev.max_instances = count;
    if (annotations != NULL) {
        ev.annotations = *annotations;
    }
    host_event(h, "component_scaled", wc_lt_component_scaled_encode(&ev));
}

static void
scale_failed(wc_host *h, const wc_lt_scale_component_command *cmd, const char *error)
{
    wc_lt_component_scale_failed ev = {0};

    WC_WARN("host", "scaling component %s (%s) failed: %s", cmd->component_id,
            cmd->component_ref ? cmd->component_ref : "", error);
    ev.host_id = h->id;
    ev.component_id = cmd->component_id;
    ev.image_ref = cmd->component_ref ? cmd->component_ref : "";
    ev.max_instances = cmd->count;
    ev.annotations = cmd->annotations;
    ev.error = (char *)error;
    host_event(h, "component_scale_failed", wc_lt_component_scale_failed_encode(&ev));
}

/* component_limits: max_memory_limit (bytes) and max_execution_time (ms, or "2s"). */
static int
parse_limits(wc_host *h, const wc_lt_scale_component_command *cmd, uint64_t *memory,
             uint64_t *deadline, wc_error *err)
{
    *memory = 0;
    *deadline = h->cfg.max_execution_ns;
    for (size_t i = 0; i < cmd->component_limits.n; i++) {
        const char *k = cmd->component_limits.keys[i], *v = cmd->component_limits.vals[i];
        char *end;
        unsigned long long n;

        errno = 0;
        n = strtoull(v, &end, 10);
        if (strcmp(k, "max_memory_limit") == 0) {
            if (errno != 0 || *end != '\0' || end == v || n == 0) {
                return wc_error_set(err, WC_EINVAL,
                                    "component_limits.max_memory_limit: \"%s\" is not a "
                                    "positive number of bytes",
                                    v);
            }
            *memory = n;
        } else if (strcmp(k, "max_execution_time") == 0) {
            if (errno == 0 && *end == '\0' && end != v) {
                *deadline = n * 1000000ull;
            } else if (wc_duration_parse(v, deadline, err) != 0) {
                wc_error_prefix(err, "component_limits.max_execution_time: ");
                return err->code;
            }
        }
    }
    return 0;
}

/* Write COMPONENT_{id} with the image url if there is none yet (links are kept). */
static void
ensure_spec(wc_host *h, const char *id, const char *ref)
{
    char key[512];
    char *text;
    json_t *j = json_pack("{s:s, s:[]}", "url", ref, "links");

    snprintf(key, sizeof(key), "COMPONENT_%s", id);
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    kvStore_Create(NULL, h->ldata, key, text, (int)strlen(text)); /* fails if present: fine */
    free(text);
}

static void
stop_component(wc_host *h, const char *id)
{
    hcomp *c;

    pthread_rwlock_wrlock(&h->lock);
    c = wc_map_del(&h->comps, id);
    pthread_rwlock_unlock(&h->lock);
    if (c == NULL) {
        return;
    }
    rpc_unsubscribe(c);
    pthread_mutex_lock(&c->mu);
    c->max = 0;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    WC_INFO("host", "component %s stopped", id);
    comp_unref(c);
}

static void
swap_image(hcomp *c, image *img)
{
    image *old;

    pthread_mutex_lock(&c->mu);
    old = c->img;
    c->img = img;
    pthread_mutex_unlock(&c->mu);
    image_unref(old);
}

void
comp_scale(wc_host *h, void *arg)
{
    const wc_lt_scale_component_command *cmd = ((owned_cmd *)arg)->cmd;
    wc_error err = WC_ERROR_INIT;
    uint64_t memory, deadline;
    hcomp *c = comp_get(h, cmd->component_id);
    image *img = NULL;
    int full;

    if (cmd->count == 0) {
        char *ref = wc_xstrdup(c != NULL ? c->img->ref : cmd->component_ref);

        comp_unref(c);
        stop_component(h, cmd->component_id);
        scaled_event(h, cmd->component_id, ref, 0, &cmd->annotations);
        free(ref);
        return;
    }
    if (parse_limits(h, cmd, &memory, &deadline, &err) != 0) {
        comp_unref(c);
        scale_failed(h, cmd, err.msg);
        return;
    }
    if (c != NULL) {
        const char *ref = cmd->component_ref;

        char *old_ref = NULL;

        if (cmd->allow_update && ref != NULL && *ref != '\0' && strcmp(ref, c->img->ref) != 0) {
            if (image_load(h, ref, memory, &img, &err) != 0) {
                scale_failed(h, cmd, err.msg);
                comp_unref(c);
                return;
            }
            old_ref = wc_xstrdup(c->img->ref);
            swap_image(c, img);
        }
        pthread_rwlock_wrlock(&h->lock);
        set_spec(c, cmd);
        pthread_rwlock_unlock(&h->lock);
        pthread_mutex_lock(&c->mu);
        c->max = cmd->count;
        c->deadline_ns = deadline;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->mu);
        scaled_event(h, c->id, c->img->ref, cmd->count, &cmd->annotations);
        if (old_ref != NULL) { /* an update, reported as comp_update does */
            scaled_event(h, c->id, old_ref, 0, &cmd->annotations);
            free(old_ref);
        }
        comp_unref(c);
        return;
    }

    pthread_rwlock_wrlock(&h->lock);
    full = h->comps.n + (size_t)h->ncomps_reserved >= h->cfg.max_components;
    if (!full) {
        h->ncomps_reserved++;
    }
    pthread_rwlock_unlock(&h->lock);
    if (full) {
        wc_error_set(&err, WC_ELIMIT,
                     "this host already runs its limit of %u components "
                     "(WASMCLOUD_MAX_COMPONENTS)",
                     h->cfg.max_components);
        scale_failed(h, cmd, err.msg);
        return;
    }
    if (image_load(h, cmd->component_ref, memory, &img, &err) != 0) {
        pthread_rwlock_wrlock(&h->lock);
        h->ncomps_reserved--;
        pthread_rwlock_unlock(&h->lock);
        scale_failed(h, cmd, err.msg);
        return;
    }
    c = wc_xcalloc(1, sizeof(*c));
    atomic_init(&c->refs, 1);
    c->id = wc_xstrdup(cmd->component_id);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->img = img;
    c->max = cmd->count;
    c->deadline_ns = deadline;
    wc_arena_init(&c->arena, 512);
    set_spec(c, cmd);
    pthread_rwlock_wrlock(&h->lock);
    h->ncomps_reserved--;
    wc_map_put(&h->comps, c->id, c);
    pthread_rwlock_unlock(&h->lock);
    ensure_spec(h, c->id, img->ref);
    if (rpc_subscribe(h, c, &err) != 0) {
        WC_WARN("host", "component %s: %s (it is not callable over wRPC)", c->id, err.msg);
    }
    WC_INFO("host", "component %s started from %s (max_instances %u)", c->id, img->ref, c->max);
    scaled_event(h, c->id, img->ref, c->max, &cmd->annotations);
    host_enqueue(h, prov_sync, NULL, NULL);
}

void
comp_update(wc_host *h, void *arg)
{
    const wc_lt_update_component_command *cmd = ((owned_cmd *)arg)->cmd;
    wc_error err = WC_ERROR_INIT;
    hcomp *c = comp_get(h, cmd->component_id);
    uint64_t memory, deadline;
    image *img;
    char *old_ref;
    uint32_t count;

    if (c == NULL) {
        WC_WARN("host", "update of %s: it is not running", cmd->component_id);
        return;
    }
    if (strcmp(c->img->ref, cmd->new_component_ref) == 0) {
        comp_unref(c);
        return;
    }
    pthread_rwlock_rdlock(&h->lock);
    parse_limits(h, &c->spec, &memory, &deadline, NULL);
    pthread_rwlock_unlock(&h->lock);
    if (image_load(h, cmd->new_component_ref, memory, &img, &err) != 0) {
        wc_lt_scale_component_command f = {0};

        f.component_id = cmd->component_id;
        f.component_ref = cmd->new_component_ref;
        f.count = c->max;
        f.annotations = cmd->annotations;
        scale_failed(h, &f, err.msg);
        comp_unref(c);
        return;
    }
    old_ref = wc_xstrdup(c->img->ref);
    count = c->max;
    swap_image(c, img);
    WC_INFO("host", "component %s updated from %s to %s", c->id, old_ref, img->ref);
    scaled_event(h, c->id, img->ref, count, &cmd->annotations);
    scaled_event(h, c->id, old_ref, 0, &cmd->annotations);
    free(old_ref);
    comp_unref(c);
}

void
comp_stop_all(wc_host *h)
{
    WC_VEC(char *) ids = {0};
    size_t pos = 0;
    const char *key;
    void *v;

    pthread_rwlock_rdlock(&h->lock);
    while (wc_map_next(&h->comps, &pos, &key, &v)) {
        wc_vec_push(&ids, wc_xstrdup(key));
    }
    pthread_rwlock_unlock(&h->lock);
    for (size_t i = 0; i < ids.n; i++) {
        stop_component(h, ids.v[i]);
        free(ids.v[i]);
    }
    wc_vec_free(&ids);
    wc_map_release(&h->comps);
}

/* ---- invocations ---- */

int
comp_acquire(hcomp *c, invocation *inv, wc_error *err)
{
    uint64_t wait;
    struct timespec until;

    pthread_mutex_lock(&c->mu);
    wait = c->deadline_ns != 0 && c->deadline_ns < MAX_PERMIT_WAIT_NS ? c->deadline_ns
                                                                      : MAX_PERMIT_WAIT_NS;
    if (c->max != 0 && c->active >= c->max) {
        if (c->waiting >= inv->h->cfg.max_waiting) {
            uint32_t max = c->max, waiting = c->waiting;

            pthread_mutex_unlock(&c->mu);
            return wc_error_set(err, WC_ELIMIT,
                                "component %s is busy: %u invocations running (max_instances) "
                                "and %u waiting",
                                c->id, max, waiting);
        }
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)(wait / 1000000000ull);
        until.tv_nsec += (long)(wait % 1000000000ull);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        c->waiting++;
        while (c->max != 0 && c->active >= c->max) {
            if (pthread_cond_timedwait(&c->cond, &c->mu, &until) == ETIMEDOUT) {
                char d[32];

                c->waiting--;
                pthread_mutex_unlock(&c->mu);
                return wc_error_set(err, WC_ELIMIT,
                                    "component %s is busy: waited %s for one of its %u "
                                    "instances",
                                    c->id, wc_duration_format(wait, d, sizeof(d)), c->max);
            }
        }
        c->waiting--;
    }
    if (c->max == 0) {
        pthread_mutex_unlock(&c->mu);
        return wc_error_set(err, WC_ENOENT, "component %s is stopping", c->id);
    }
    c->active++;
    inv->comp = c;
    inv->deadline_ns = c->deadline_ns;
    inv->img = c->img;
    atomic_fetch_add(&inv->img->refs, 1);
    pthread_mutex_unlock(&c->mu);
    if (inv->link_name == NULL) {
        inv->link_name = "default";
    }
    return 0;
}

void
comp_release(invocation *inv)
{
    hcomp *c = inv->comp;

    pthread_mutex_lock(&c->mu);
    c->active--;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
    image_unref(inv->img);
    inv->img = NULL;
}

void
comp_setup_ctx(wc_wasi_ctx *ctx, invocation *inv)
{
    /* As wasmCloud: argv ["main.wasm"], no environment, no directories. */
    wc_wasi_ctx_add_arg(ctx, "main.wasm");
    ctx->user = inv;
}
