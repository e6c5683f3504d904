/*
 * engine.c - the public engine API: engines, modules, stores, instances.
 *
 * Loading a module: hash it, decode it, and look for optimized code in the
 * disk cache. On a hit the module is ready at once. On a miss it is
 * translated to C (validating every body on the way), compiled with tcc for
 * immediate use, and the same C is queued for the background optimizer,
 * whose result replaces the baseline code for instances created afterwards.
 */
#include "engine/internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK_BYTES (4u << 20)
/* Below this much initial data, instances copy it instead of mapping an image. */
#define IMAGE_MIN_BYTES (16u << 10)
#define PREFIX          "w_"

enum { OBJ_INSTANCE, OBJ_MEMORY, OBJ_TABLE, OBJ_GLOBAL };

typedef struct wc_job {
    struct wc_job *next;
    wc_module *module;
    wc_csource src;
} wc_job;

/* ---- engine ---- */

static char *
default_cache_dir(void)
{
    const char *v;
    wc_strbuf sb = WC_STRBUF_INIT;

    if ((v = getenv("WC_CACHE_DIR")) != NULL) {
        return wc_xstrdup(v);
    }
    if ((v = getenv("XDG_CACHE_HOME")) != NULL && v[0] != '\0') {
        wc_strbuf_addf(&sb, "%s/wasmcloud-c/code", v);
    } else if ((v = getenv("HOME")) != NULL && v[0] != '\0') {
        wc_strbuf_addf(&sb, "%s/.cache/wasmcloud-c/code", v);
    } else {
        return wc_xstrdup("");
    }
    return wc_strbuf_detach(&sb, NULL);
}

void
wc_engine_config_init(wc_engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->tier = WC_TIER_AUTO;
    cfg->max_memory_bytes = 256ull << 20;
    cfg->max_table_elements = WC_MAX_TABLE_ELEMS;
    cfg->background_jobs = 1;
}

static void *worker_main(void *arg);

int
wc_engine_new(const wc_engine_config *cfg, wc_engine **out, wc_error *err)
{
    wc_engine *e;
    const char *cc;

    if (sodium_init() < 0) {
        return wc_error_set(err, WC_EIO, "libsodium failed to initialise");
    }
    e = wc_xcalloc(1, sizeof(*e));
    e->cfg = *cfg;
    e->cache_dir = cfg->cache_dir ? wc_xstrdup(cfg->cache_dir) : default_cache_dir();
    cc = cfg->cc ? cfg->cc : getenv("CC");
    e->cc = wc_xstrdup(cc && cc[0] ? cc : "cc");
    e->cfg.cache_dir = e->cache_dir;
    e->cfg.cc = e->cc;
    if (e->cfg.max_memory_bytes == 0) {
        e->cfg.max_memory_bytes = 256ull << 20;
    }
    e->max_pages = (uint32_t)((e->cfg.max_memory_bytes + WC_PAGE_SIZE - 1) / WC_PAGE_SIZE);
    if (e->max_pages > WC_MAX_PAGES) {
        e->max_pages = WC_MAX_PAGES;
    }
    if (e->cfg.max_table_elements == 0) {
        e->cfg.max_table_elements = WC_MAX_TABLE_ELEMS;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    if (e->cfg.tier == WC_TIER_AUTO) {
        int n = cfg->background_jobs > 0 ? cfg->background_jobs : 1;

        e->workers = wc_xcalloc((size_t)n, sizeof(pthread_t));
        for (int i = 0; i < n; i++) {
            if (pthread_create(&e->workers[i], NULL, worker_main, e) != 0) {
                break;
            }
            e->nworkers++;
        }
    }
    *out = e;
    return 0;
}

static void
finish_optimize(wc_module *m, wc_code *code, const wc_error *err)
{
    pthread_mutex_lock(&m->mu);
    if (code != NULL) {
        wc_code *old = m->code;

        m->code = code;
        m->opt_state = OPT_READY;
        wc__code_unref(old);
    } else {
        m->opt_state = OPT_FAILED;
        m->opt_err = *err;
    }
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static void *
worker_main(void *arg)
{
    wc_engine *e = arg;

    pthread_mutex_lock(&e->mu);
    for (;;) {
        wc_job *job;
        wc_error err = WC_ERROR_INIT;
        wc_code *code = NULL;
        int rc;

        while (e->jobs == NULL && !e->stopping) {
            pthread_cond_wait(&e->cv, &e->mu);
        }
        if (e->stopping) {
            break;
        }
        job = e->jobs;
        e->jobs = job->next;
        e->busy++;
        pthread_mutex_unlock(&e->mu);

        rc = wc__code_cc(&job->src, e->cc, e->cache_dir, job->module->key, PREFIX, &e->stopping,
                         &code, &err);
        if (rc != 0 && rc != WC_ECANCELED) {
            WC_WARN("engine", "optimized tier unavailable for module %.12s: %s", job->module->key,
                    err.msg);
        }
        if (rc != 0) {
            code = NULL;
        }
        finish_optimize(job->module, code, &err);
        wc_csource_release(&job->src);
        wc_module_unref(job->module);
        free(job);

        pthread_mutex_lock(&e->mu);
        e->busy--;
        pthread_cond_broadcast(&e->cv);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

void
wc_engine_free(wc_engine *e)
{
    wc_job *job;

    if (e == NULL) {
        return;
    }
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    for (int i = 0; i < e->nworkers; i++) {
        pthread_join(e->workers[i], NULL);
    }
    while ((job = e->jobs) != NULL) {
        wc_error err = WC_ERROR_INIT;

        e->jobs = job->next;
        wc_error_set(&err, WC_EIO, "engine shut down before the optimized tier was built");
        finish_optimize(job->module, NULL, &err);
        wc_csource_release(&job->src);
        wc_module_unref(job->module);
        free(job);
    }
    free(e->workers);
    free(e->cache_dir);
    free(e->cc);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}

/* ---- modules ---- */

static void
compute_key(wc_engine *e, const void *bytes, size_t len, char hex[65])
{
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];
    wc_strbuf salt = WC_STRBUF_INIT;

    wc_strbuf_addf(&salt, "wasmcloud-c engine %s translator %d cc %s flags ", WC_VERSION,
                   WC_TRANSLATOR_VERSION, e->cc);
    wc__code_flags(&salt);
    wc_strbuf_adds(&salt, wc_prelude_text); /* the runtime contract the code was built for */
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)salt.buf, salt.len);
    crypto_hash_sha256_update(&st, bytes, len);
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, sizeof(digest));
    wc_strbuf_release(&salt);
}

/*
 * The memory image: a memfd holding the module's own memory as it is right
 * after its active data segments are applied. Only possible when the module
 * defines its memory and every active data segment has a constant offset
 * inside the initial size; otherwise instances apply the segments themselves.
 */
static void
build_image(wc_module *m)
{
    const wc_modinfo *info = m->info;
    uint64_t end = 0, total = 0, limit;
    uint8_t *p;
    int fd;

    m->image_state = -1;
    if (info->nmemories == 0 || info->nmemory_imports != 0) {
        return;
    }
    limit = info->memories[0].min * WC_PAGE_SIZE;
    for (uint32_t i = 0; i < info->ndatas; i++) {
        const wc_dataseg *d = &info->datas[i];

        if (d->mode != SEG_ACTIVE) {
            continue;
        }
        if (d->offset.op != CE_I32 || (uint64_t)d->offset.u.i32 + d->len > limit) {
            return;
        }
        if (d->len != 0 && d->offset.u.i32 + (uint64_t)d->len > end) {
            end = d->offset.u.i32 + (uint64_t)d->len;
        }
        total += d->len;
    }
    if (total < IMAGE_MIN_BYTES) {
        return; /* copying a little data is cheaper than mapping it */
    }
    end = (end + 4095) & ~(uint64_t)4095;
    fd = memfd_create("wc-memory-image", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)end) != 0) {
        WC_WARN("engine", "no memory image (instances copy data segments): %s", strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    p = mmap(NULL, end, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return;
    }
    for (uint32_t i = 0; i < info->ndatas; i++) {
        const wc_dataseg *d = &info->datas[i];

        if (d->mode == SEG_ACTIVE && d->len != 0) {
            memcpy(p + d->offset.u.i32, d->bytes, d->len);
        }
    }
    mprotect(p, end, PROT_READ);
    m->image_view = p;
    m->image_fd = fd;
    m->image_bytes = end;
    m->image_state = 1;
}

static void
module_free(wc_module *m)
{
    for (int i = 0; i < m->nfree_mems; i++) {
        wc__memory_release(m->free_mems[i]);
        free(m->free_mems[i]);
    }
    if (m->image_state == 1 && m->image_fd >= 0) {
        munmap(m->image_view, m->image_bytes);
        close(m->image_fd);
    }
    wc__code_unref(m->code);
    wc_modinfo_free(m->info);
    wc_map_release(&m->exports);
    free(m->typeids);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

wc_module *
wc_module_ref(wc_module *m)
{
    atomic_fetch_add(&m->refs, 1);
    return m;
}

void
wc_module_unref(wc_module *m)
{
    if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1) {
        module_free(m);
    }
}

static void
enqueue_optimize(wc_engine *e, wc_module *m, wc_csource *src)
{
    wc_job *job = wc_xcalloc(1, sizeof(*job)), **tail;

    job->module = wc_module_ref(m);
    job->src = *src;
    memset(src, 0, sizeof(*src));
    pthread_mutex_lock(&e->mu);
    for (tail = &e->jobs; *tail != NULL; tail = &(*tail)->next) {
    }
    *tail = job;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* WC_DUMP_C=DIR writes each module's generated C to DIR/<key>.c, for debugging. */
static void
dump_source(const wc_module *m, const wc_csource *src)
{
    const char *dir = getenv("WC_DUMP_C");
    wc_strbuf path = WC_STRBUF_INIT;
    FILE *f;

    if (dir == NULL || dir[0] == '\0') {
        return;
    }
    wc_strbuf_addf(&path, "%s/%.16s.c", dir, m->key);
    if ((f = fopen(path.buf, "w")) != NULL) {
        fwrite(src->head.buf, 1, src->head.len, f);
        for (size_t i = 0; i < src->nchunks; i++) {
            fwrite(src->chunks[i].buf, 1, src->chunks[i].len, f);
        }
        fclose(f);
    }
    wc_strbuf_release(&path);
}

int
wc_module_new(wc_engine *e, const void *bytes, size_t len, wc_module **out, wc_error *err)
{
    wc_module *m = wc_xcalloc(1, sizeof(*m));
    wc_csource src;
    wc_code *code = NULL;
    int rc, have_src = 0;

    atomic_init(&m->refs, 1);
    m->engine = e;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    compute_key(e, bytes, len, m->key);

    if ((rc = wc_modinfo_decode(bytes, len, &m->info, err)) != 0) {
        goto fail;
    }
    m->typeids = wc_xcalloc(m->info->ntypes + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < m->info->ntypes; i++) {
        const wc_ftype *t = &m->info->types[i];

        m->typeids[i] = wc__sig_intern(t->params, t->nparams, t->results, t->nresults);
    }
    if ((rc = wc__sig_prepare(m->typeids, m->info->ntypes, err)) != 0) {
        goto fail;
    }
    for (uint32_t i = 0; i < m->info->nexports; i++) {
        const wc_export *ex = &m->info->exports[i];

        /* Names with NUL bytes are found by search (wc_instance_export_n). */
        if (memchr(ex->name, 0, ex->name_len) == NULL) {
            wc_map_put(&m->exports, ex->name, (void *)(uintptr_t)(i + 1));
        }
    }

    /* A cache hit skips translation and compilation altogether. */
    if (e->cfg.tier != WC_TIER_BASELINE &&
        wc__code_cache_load(e->cache_dir, m->key, PREFIX, &code, err) == 0) {
        m->code = code;
        m->cache_hit = 1;
        m->opt_state = OPT_READY;
        *out = m;
        return 0;
    }
    if ((rc = wc_translate(m->info, PREFIX, CHUNK_BYTES, &src, err)) != 0) {
        goto fail;
    }
    have_src = 1;
    dump_source(m, &src);
    if (e->cfg.tier != WC_TIER_OPTIMIZED) {
        wc_error terr = WC_ERROR_INIT;

        rc = wc__code_tcc(&src, PREFIX, &code, &terr);
        if (rc != 0 && e->cfg.tier == WC_TIER_BASELINE) {
            *err = terr;
            goto fail;
        }
        if (rc != 0) {
            /* The baseline could not take it: the optimized tier must. */
            WC_WARN("engine", "baseline tier failed (%s); compiling with the optimized tier",
                    terr.msg);
        }
    }
    if (code == NULL) {
        if ((rc = wc__code_cc(&src, e->cc, e->cache_dir, m->key, PREFIX, NULL, &code, err)) != 0) {
            goto fail;
        }
        m->opt_state = OPT_READY;
    } else if (e->cfg.tier == WC_TIER_AUTO && e->nworkers > 0) {
        m->opt_state = OPT_PENDING;
        enqueue_optimize(e, m, &src);
    }
    m->code = code;
    if (have_src) {
        wc_csource_release(&src);
    }
    *out = m;
    return 0;
fail:
    if (have_src) {
        wc_csource_release(&src);
    }
    module_free(m);
    return rc;
}

int
wc_module_validate(wc_engine *e, const void *bytes, size_t len, wc_error *err)
{
    wc_modinfo *info;
    int rc;

    (void)e;
    if ((rc = wc_modinfo_decode(bytes, len, &info, err)) != 0) {
        return rc;
    }
    rc = wc_translate(info, PREFIX, 0, NULL, err);
    wc_modinfo_free(info);
    return rc;
}

wc_tier
wc_module_tier(const wc_module *m)
{
    wc_tier t;

    pthread_mutex_lock((pthread_mutex_t *)&m->mu);
    t = m->code->tier;
    pthread_mutex_unlock((pthread_mutex_t *)&m->mu);
    return t;
}

int
wc_module_wait_optimized(wc_module *m, wc_error *err)
{
    int rc = 0;

    pthread_mutex_lock(&m->mu);
    while (m->opt_state == OPT_PENDING) {
        pthread_cond_wait(&m->cv, &m->mu);
    }
    if (m->opt_state == OPT_FAILED) {
        if (err != NULL && err->code == 0) {
            *err = m->opt_err;
        }
        rc = m->opt_err.code ? m->opt_err.code : WC_EIO;
    } else if (m->opt_state == OPT_NONE) {
        rc = wc_error_set(err, WC_ENOTSUP, "the optimized tier is not enabled for this module");
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int
wc_module_cache_hit(const wc_module *m)
{
    return m->cache_hit;
}

static void
fill_functype(wc_functype *out, const wc_ftype *t)
{
    out->nparams = t->nparams;
    out->nresults = t->nresults;
    out->params = t->params;
    out->results = t->results;
}

uint32_t
wc_module_import_count(const wc_module *m)
{
    return m->info->nimports;
}

void
wc_module_import(const wc_module *m, uint32_t i, wc_importdesc *out)
{
    const wc_import *im = &m->info->imports[i];

    memset(out, 0, sizeof(*out));
    out->module = im->module;
    out->name = im->name;
    out->module_len = im->module_len;
    out->name_len = im->name_len;
    out->kind = (wc_externkind)im->kind;
    switch (im->kind) {
    case EXT_FUNC: fill_functype(&out->functype, &m->info->types[im->u.type]); break;
    case EXT_TABLE:
        out->table_elem = (wc_valkind)im->u.table.elem;
        out->min = im->u.table.lim.min;
        out->max = im->u.table.lim.max;
        out->has_max = im->u.table.lim.has_max;
        break;
    case EXT_MEMORY:
        out->min = im->u.memory.min;
        out->max = im->u.memory.max;
        out->has_max = im->u.memory.has_max;
        break;
    case EXT_GLOBAL:
        out->global_type = (wc_valkind)im->u.global.type;
        out->global_mutable = im->u.global.mut;
        break;
    }
}

uint32_t
wc_module_export_count(const wc_module *m)
{
    return m->info->nexports;
}

void
wc_module_export(const wc_module *m, uint32_t i, wc_exportdesc *out)
{
    const wc_modinfo *info = m->info;
    const wc_export *ex = &info->exports[i];

    memset(out, 0, sizeof(*out));
    out->name = ex->name;
    out->name_len = ex->name_len;
    out->kind = (wc_externkind)ex->kind;
    switch (ex->kind) {
    case EXT_FUNC: fill_functype(&out->functype, wc_modinfo_functype(info, ex->index)); break;
    case EXT_TABLE:
        out->table_elem = (wc_valkind)info->tables[ex->index].elem;
        out->min = info->tables[ex->index].lim.min;
        out->max = info->tables[ex->index].lim.max;
        out->has_max = info->tables[ex->index].lim.has_max;
        break;
    case EXT_MEMORY:
        out->min = info->memories[ex->index].min;
        out->max = info->memories[ex->index].max;
        out->has_max = info->memories[ex->index].has_max;
        break;
    case EXT_GLOBAL:
        out->global_type = (wc_valkind)info->global_types[ex->index].type;
        out->global_mutable = info->global_types[ex->index].mut;
        break;
    }
}

/* ---- stores ---- */

wc_store *
wc_store_new(wc_engine *e)
{
    wc_store *s = wc_xcalloc(1, sizeof(*s));

    s->engine = e;
    s->deadline_ns = e->cfg.deadline_ns;
    s->max_pages = e->max_pages;
    wc_arena_init(&s->arena, 4096);
    return s;
}

void
wc_store_set_max_memory(wc_store *s, uint64_t bytes)
{
    uint64_t pages = (bytes + WC_PAGE_SIZE - 1) / WC_PAGE_SIZE;

    s->max_pages = pages < s->engine->max_pages ? (uint32_t)pages : s->engine->max_pages;
}

void
wc_store_set_deadline(wc_store *s, uint64_t ns)
{
    s->deadline_ns = ns;
}

int
wc_store_poisoned(const wc_store *s)
{
    return s->poisoned;
}

static void
store_add(wc_store *s, uint8_t kind, void *obj)
{
    wc_vec_push(&s->objects, obj);
    wc_vec_push(&s->kinds, kind);
}

/* A module's own memory goes back to the module's free list when there is room. */
static void
memory_free(wc_memory *mem)
{
    wc_module *m = mem->pool;

    if (m != NULL) {
        wc__memory_reset(mem);
        pthread_mutex_lock(&m->mu);
        if (m->nfree_mems < WC_MODULE_FREE_MEMS) {
            m->free_mems[m->nfree_mems++] = mem;
            mem = NULL;
        }
        pthread_mutex_unlock(&m->mu);
        wc_module_unref(m);
        if (mem == NULL) {
            return;
        }
    }
    wc__memory_release(mem);
    free(mem);
}

/* Memory 0 of a new instance of m: a recycled one, or a new one with the image mapped. */
static int
module_memory(wc_store *s, wc_module *m, wc_memory **out, int *from_image, wc_error *err)
{
    const wc_limits *lim = &m->info->memories[0];
    wc_memory *mem = NULL;
    int rc;

    pthread_mutex_lock(&m->mu);
    if (m->image_state == 0) {
        if (s->engine->cfg.no_memory_image) {
            m->image_state = -1;
        } else {
            build_image(m);
        }
    }
    if (m->nfree_mems > 0) {
        mem = m->free_mems[--m->nfree_mems];
    }
    pthread_mutex_unlock(&m->mu);
    *from_image = m->image_state == 1;
    if (mem == NULL) {
        if ((rc = wc_memory_new(s, lim->min, lim->max, lim->has_max, &mem, err)) != 0) {
            return rc;
        }
        /* wc_memory_new registered it with the store; it is now the pool's too. */
        if (*from_image && (rc = wc__memory_map_image(mem, m->image_fd, m->image_view,
                                                      m->image_bytes, err)) != 0) {
            return rc;
        }
    } else {
        /* The limit is the new store's, not the one it was made for. */
        mem->m.max_pages = lim->has_max && lim->max < s->max_pages ? lim->max : s->max_pages;
        store_add(s, OBJ_MEMORY, mem);
    }
    mem->pool = wc_module_ref(m);
    *out = mem;
    return 0;
}

static void
instance_free(wc_instance *inst)
{
    wc__code_unref(inst->code);
    wc_module_unref(inst->module);
    free(inst->rt);
    free(inst->tables);
    free(inst->globals);
    free(inst->elem_dropped);
    free(inst);
}

void
wc_store_free(wc_store *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = s->objects.n; i-- > 0;) {
        void *o = s->objects.v[i];

        switch (s->kinds.v[i]) {
        case OBJ_INSTANCE: instance_free(o); break;
        case OBJ_MEMORY: memory_free(o); break;
        case OBJ_TABLE:
            wc__table_release(o);
            free(o);
            break;
        case OBJ_GLOBAL: free(o); break;
        }
    }
    wc_vec_free(&s->objects);
    wc_vec_free(&s->kinds);
    wc_arena_release(&s->arena);
    free(s);
}

/* ---- functions ---- */

int
wc_functype_intern(const wc_functype *type, uint32_t *id, wc_error *err)
{
    *id = wc__sig_intern(type->params, type->nparams, type->results, type->nresults);
    return wc__sig_prepare(id, 1, err);
}

/* Host functions live in the store's arena: they die with the store. */
wc_func *
wc_func_new_host_interned(wc_store *s, uint32_t id, wc_host_cb cb, void *data)
{
    wc_hostfunc *hf = wc_arena_calloc(&s->arena, 1, sizeof(*hf));

    hf->f.fn = wc__sig_get(id)->host;
    hf->f.ctx = hf;
    hf->f.type_id = id;
    hf->f.flags = WC_FUNC_HOST;
    hf->cb = cb;
    hf->data = data;
    return &hf->f;
}

wc_func *
wc_func_new_host(wc_store *s, const wc_functype *type, wc_host_cb cb, void *data)
{
    wc_error err = WC_ERROR_INIT;
    uint32_t id;

    if (wc_functype_intern(type, &id, &err) != 0) {
        WC_BUG("cannot compile a host adapter: %s", err.msg);
    }
    return wc_func_new_host_interned(s, id, cb, data);
}

const wc_functype *
wc_func_type(const wc_func *f)
{
    return &wc__sig_get(f->type_id)->type;
}

int
wc_func_call(wc_store *s, wc_func *f, const wc_val *args, size_t nargs, wc_val *results,
             size_t nresults, wc_error *err)
{
    const wc_functype *t = wc_func_type(f);

    if (nargs != t->nparams || nresults != t->nresults) {
        return wc_error_set(err, WC_EINVAL,
                            "wrong number of values: the function takes %u arguments and returns "
                            "%u results (given %zu and %zu)",
                            t->nparams, t->nresults, nargs, nresults);
    }
    return wc__call(s, f, (const wcrt_val *)args, (wcrt_val *)results, err);
}

/* ---- memories, tables, globals ---- */

int
wc_memory_new(wc_store *s, uint64_t min, uint64_t max, int has_max, wc_memory **out, wc_error *err)
{
    wc_memory *mem = wc_xcalloc(1, sizeof(*mem));
    uint64_t limit = has_max && max < s->max_pages ? max : s->max_pages;
    int rc = wc__memory_init(mem, min, limit, err);

    if (rc != 0) {
        free(mem);
        return rc;
    }
    mem->decl_max = max;
    mem->has_max = has_max;
    store_add(s, OBJ_MEMORY, mem);
    *out = mem;
    return 0;
}

uint8_t *
wc_memory_data(const wc_memory *mem)
{
    return mem->m.base;
}

uint64_t
wc_memory_size(const wc_memory *mem)
{
    return mem->m.pages * WC_PAGE_SIZE;
}

int
wc_table_new(wc_store *s, wc_valkind elem, uint32_t min, uint32_t max, int has_max, void *init,
             wc_table **out, wc_error *err)
{
    wc_table *t = wc_xcalloc(1, sizeof(*t));
    uint32_t limit = s->engine->cfg.max_table_elements;
    int rc;

    if (has_max && max < limit) {
        limit = max;
    }
    if ((rc = wc__table_init(t, (uint8_t)elem, min, limit, init, err)) != 0) {
        free(t);
        return rc;
    }
    t->decl_max = max;
    t->has_max = has_max;
    store_add(s, OBJ_TABLE, t);
    *out = t;
    return 0;
}

uint32_t
wc_table_size(const wc_table *t)
{
    return t->t.size;
}

int
wc_table_get(const wc_table *t, uint32_t i, void **out)
{
    if (i >= t->t.size) {
        return WC_EINVAL;
    }
    *out = t->t.elems[i];
    return 0;
}

int
wc_table_set(wc_table *t, uint32_t i, void *ref)
{
    if (i >= t->t.size) {
        return WC_EINVAL;
    }
    t->t.elems[i] = ref;
    return 0;
}

int
wc_global_new(wc_store *s, wc_valkind type, int mut, wc_val init, wc_global **out)
{
    wc_global *g = wc_xcalloc(1, sizeof(*g));

    g->type = (uint8_t)type;
    g->mut = (uint8_t)(mut != 0);
    memcpy(&g->own, &init, sizeof(init));
    g->cell = &g->own;
    store_add(s, OBJ_GLOBAL, g);
    *out = g;
    return 0;
}

wc_val
wc_global_get(const wc_global *g)
{
    wc_val v;

    memcpy(&v, g->cell, sizeof(v));
    return v;
}

void
wc_global_set(wc_global *g, wc_val v)
{
    memcpy(g->cell, &v, sizeof(v));
}

wc_valkind
wc_global_type(const wc_global *g)
{
    return (wc_valkind)g->type;
}

/* ---- instances ---- */

static int
limits_match(const char *what, const wc_import *im, uint64_t min, uint64_t max, int has_max,
             const wc_limits *want, wc_error *err)
{
    if (min < want->min || (want->has_max && (!has_max || max > want->max))) {
        return wc_error_set(err, WC_ELINK,
                            "incompatible import type: %s %s::%s has limits %llu..%s%llu, the "
                            "module needs %llu..%s%llu",
                            what, im->module, im->name, (unsigned long long)min,
                            has_max ? "" : "unbounded ", (unsigned long long)max,
                            (unsigned long long)want->min, want->has_max ? "" : "unbounded ",
                            (unsigned long long)want->max);
    }
    return 0;
}

static const char *const kind_names[] = {"function", "table", "memory", "global"};

static int
link_import(wc_instance *inst, uint32_t i, const wc_extern *ext, uint32_t *counters, wc_error *err)
{
    const wc_modinfo *m = inst->module->info;
    const wc_import *im = &m->imports[i];
    wcrt_inst *rt = inst->rt;

    if ((int)ext->kind != im->kind || ext->u.func == NULL) {
        return wc_error_set(err, WC_ELINK, "incompatible import type: %s::%s must be a %s, got %s",
                            im->module, im->name, kind_names[im->kind],
                            ext->u.func == NULL ? "nothing" : kind_names[ext->kind & 3]);
    }
    switch (im->kind) {
    case EXT_FUNC:
        if (ext->u.func->type_id != inst->module->typeids[im->u.type]) {
            return wc_error_set(err, WC_ELINK,
                                "incompatible import type: function %s::%s has the wrong "
                                "signature",
                                im->module, im->name);
        }
        rt->imports[counters[0]++] = ext->u.func;
        break;
    case EXT_TABLE: {
        wc_table *t = ext->u.table;

        if (t->t.elem_type != im->u.table.elem) {
            return wc_error_set(err, WC_ELINK,
                                "incompatible import type: table %s::%s has elements of the "
                                "wrong type",
                                im->module, im->name);
        }
        if (limits_match("table", im, t->t.size, t->decl_max, t->has_max, &im->u.table.lim, err) !=
            0) {
            return WC_ELINK;
        }
        inst->tables[counters[1]] = t;
        rt->tables[counters[1]++] = &t->t;
        break;
    }
    case EXT_MEMORY: {
        wc_memory *mem = ext->u.memory;

        if (limits_match("memory", im, mem->m.pages, mem->decl_max, mem->has_max, &im->u.memory,
                         err) != 0) {
            return WC_ELINK;
        }
        inst->memory = mem;
        break;
    }
    case EXT_GLOBAL: {
        wc_global *g = ext->u.global;

        if (g->type != im->u.global.type || g->mut != im->u.global.mut) {
            return wc_error_set(err, WC_ELINK,
                                "incompatible import type: global %s::%s is %s%s, the module "
                                "needs %s%s",
                                im->module, im->name, g->mut ? "mutable " : "",
                                wc_valtype_name(g->type), im->u.global.mut ? "mutable " : "",
                                wc_valtype_name(im->u.global.type));
        }
        inst->globals[counters[3]] = g;
        rt->gimports[counters[3]++] = g->cell;
        break;
    }
    }
    return 0;
}

int
wc_instance_new(wc_store *s, wc_module *m, const wc_extern *imports, size_t nimports,
                wc_instance **out, wc_error *err)
{
    const wc_modinfo *info = m->info;
    uint32_t nown_globals = info->nglobals - info->nglobal_imports;
    uint32_t counters[4] = {0, 0, 0, 0};
    wc_instance *inst;
    wcrt_inst *rt;
    size_t size;
    char *p;
    int rc, from_image = 0;

    if (nimports != info->nimports) {
        return wc_error_set(err, WC_ELINK, "the module has %u imports, %zu were given",
                            info->nimports, nimports);
    }
    inst = wc_xcalloc(1, sizeof(*inst));
    inst->store = s;
    inst->module = wc_module_ref(m);
    pthread_mutex_lock(&m->mu);
    inst->code = wc__code_ref(m->code);
    pthread_mutex_unlock(&m->mu);
    store_add(s, OBJ_INSTANCE, inst);

    /* One allocation: the header with own globals, then the arrays. */
    size = sizeof(wcrt_inst) + nown_globals * sizeof(wcrt_val);
    size = (size + 15) & ~(size_t)15;
    size += info->nfunc_imports * sizeof(wcrt_func *) + info->ntables * sizeof(wcrt_table *) +
            info->nglobal_imports * sizeof(wcrt_val *) + info->nescaped * sizeof(wcrt_func);
    rt = wc_xcalloc(1, size);
    p = (char *)rt + ((sizeof(wcrt_inst) + nown_globals * sizeof(wcrt_val) + 15) & ~(size_t)15);
    rt->funcs = (wcrt_func *)p;
    p += info->nescaped * sizeof(wcrt_func);
    rt->imports = (wcrt_func **)p;
    p += info->nfunc_imports * sizeof(wcrt_func *);
    rt->tables = (wcrt_table **)p;
    p += info->ntables * sizeof(wcrt_table *);
    rt->gimports = (wcrt_val **)p;
    rt->typeids = m->typeids;
    rt->rt = inst;
    inst->rt = rt;
    inst->tables = wc_xcalloc(info->ntables + 1, sizeof(*inst->tables));
    inst->globals = wc_xcalloc(info->nglobals + 1, sizeof(*inst->globals));
    inst->elem_dropped = wc_xcalloc(info->nelems + info->ndatas + 1, 1);
    inst->data_dropped = inst->elem_dropped + info->nelems;

    for (uint32_t i = 0; i < info->nimports; i++) {
        if ((rc = link_import(inst, i, &imports[i], counters, err)) != 0) {
            goto out;
        }
    }

    /* Own memory and tables, within the engine's limits. */
    if (info->nmemories > info->nmemory_imports) {
        const wc_limits *lim = &info->memories[0];
        wc_memory *mem;

        if (lim->min > s->max_pages) {
            rc = wc_error_set(err, WC_ELIMIT,
                              "the module needs %llu pages of memory; the limit is %u pages "
                              "(%llu MiB)",
                              (unsigned long long)lim->min, s->max_pages,
                              (unsigned long long)s->max_pages * WC_PAGE_SIZE >> 20);
            goto out;
        }
        if ((rc = module_memory(s, m, &mem, &from_image, err)) != 0) {
            goto out;
        }
        inst->memory = mem;
    }
    if (inst->memory != NULL) {
        rt->memory0 = &inst->memory->m;
        rt->mem0 = inst->memory->m.base;
    }
    for (uint32_t i = info->ntable_imports; i < info->ntables; i++) {
        const wc_tabletype *tt = &info->tables[i];
        wc_table *t;

        if ((rc = wc_table_new(s, (wc_valkind)tt->elem, (uint32_t)tt->lim.min,
                               (uint32_t)tt->lim.max, tt->lim.has_max, NULL, &t, err)) != 0) {
            goto out;
        }
        inst->tables[i] = t;
        rt->tables[i] = &t->t;
    }

    /* Globals, then the function objects of escaping functions. */
    for (uint32_t i = 0; i < nown_globals; i++) {
        rt->g[i] = wc__const_eval(inst, &info->globals[i].init);
    }
    {
        void (*const *code_funcs)(void) = inst->code->desc->funcs;

        for (uint32_t x = 0; x < info->nescaped; x++) {
            uint32_t f = info->escaped[x];

            rt->funcs[x].fn = code_funcs[f - info->nfunc_imports];
            rt->funcs[x].ctx = rt;
            rt->funcs[x].type_id = m->typeids[info->func_types[f]];
            rt->funcs[x].flags = WC_FUNC_GUEST;
        }
    }

    if ((rc = wc__init_segments(inst, from_image, err)) != 0) {
        goto out;
    }
    if (info->has_start) {
        wcrt_func start, *fp;

        if (info->start < info->nfunc_imports) {
            fp = rt->imports[info->start];
        } else {
            start.fn = inst->code->desc->funcs[info->start - info->nfunc_imports];
            start.ctx = rt;
            start.type_id = m->typeids[info->func_types[info->start]];
            start.flags = WC_FUNC_GUEST;
            fp = &start;
        }
        if ((rc = wc__call(s, fp, NULL, NULL, err)) != 0) {
            goto out;
        }
    }
    *out = inst;
    return 0;
out:
    /* The instance stays in the store (its effects on shared state are real). */
    return rc;
}

wc_module *
wc_instance_module(wc_instance *inst)
{
    return inst->module;
}

int
wc_instance_export(wc_instance *inst, const char *name, wc_extern *out)
{
    return wc_instance_export_n(inst, name, strlen(name), out);
}

/* The index + 1 of the export called name, or 0. */
static uint32_t
find_export(const wc_module *m, const char *name, size_t len)
{
    const wc_modinfo *info = m->info;

    if (memchr(name, 0, len) == NULL) {
        return (uint32_t)(uintptr_t)wc_map_get(&m->exports, name);
    }
    /* Names with NUL bytes cannot be map keys: search. */
    for (uint32_t i = 0; i < info->nexports; i++) {
        if (info->exports[i].name_len == len && memcmp(info->exports[i].name, name, len) == 0) {
            return i + 1;
        }
    }
    return 0;
}

static void export_at(wc_instance *inst, uint32_t i, wc_extern *out);

int
wc_instance_export_n(wc_instance *inst, const char *name, size_t len, wc_extern *out)
{
    uint32_t v = find_export(inst->module, name, len);

    if (v == 0) {
        return WC_ENOENT;
    }
    export_at(inst, v - 1, out);
    return 0;
}

int
wc_instance_export_hinted(wc_instance *inst, const char *name, uint32_t *hint, wc_extern *out)
{
    const wc_modinfo *info = inst->module->info;
    size_t len = strlen(name);
    uint32_t v = *hint;

    if (v == 0 || v > info->nexports || info->exports[v - 1].name_len != len ||
        memcmp(info->exports[v - 1].name, name, len) != 0) {
        if ((v = find_export(inst->module, name, len)) == 0) {
            return WC_ENOENT;
        }
        *hint = v;
    }
    export_at(inst, v - 1, out);
    return 0;
}

static void
export_at(wc_instance *inst, uint32_t i, wc_extern *out)
{
    const wc_modinfo *info = inst->module->info;
    const wc_export *ex = &info->exports[i];

    out->kind = (wc_externkind)ex->kind;
    switch (ex->kind) {
    case EXT_FUNC:
        out->u.func = ex->index < info->nfunc_imports
                          ? inst->rt->imports[ex->index]
                          : &inst->rt->funcs[info->escape_index[ex->index]];
        break;
    case EXT_TABLE: out->u.table = inst->tables[ex->index]; break;
    case EXT_MEMORY: out->u.memory = inst->memory; break;
    case EXT_GLOBAL:
        if (inst->globals[ex->index] == NULL) {
            /* An own global: wrap its cell inside the instance. */
            wc_global *g = wc_xcalloc(1, sizeof(*g));
            uint32_t k = ex->index - info->nglobal_imports;

            g->type = info->global_types[ex->index].type;
            g->mut = info->global_types[ex->index].mut;
            g->cell = &inst->rt->g[k];
            store_add(inst->store, OBJ_GLOBAL, g);
            inst->globals[ex->index] = g;
        }
        out->u.global = inst->globals[ex->index];
        break;
    }
}
