/*
 * internal.h - the engine's own structures, shared by its files only.
 *
 * File tour: decode.c (binary format) -> translate.c (bodies to C) ->
 * code.c (baseline tcc + optimized cc tiers, the disk cache) -> sigs.c
 * (engine-wide signature ids and call trampolines) -> runtime.c (memories,
 * tables, traps, signals, deadlines: what generated code calls) -> engine.c
 * (the public API: engine, module, store, instance).
 */
#ifndef WC_ENGINE_INTERNAL_H
#define WC_ENGINE_INTERNAL_H

#define WCRT_RUNTIME 1
#include "engine/wcrt.h"

#include "base/arena.h"
#include "base/vec.h"
#include "engine/module.h"
#include "engine/translate.h"
#include "wc/engine.h"

#include <pthread.h>
#include <stdatomic.h>

/* Operand stack heights above this are refused, which bounds C frame sizes. */
#define WC_MAX_STACK_HEIGHT 8192

/* ---- compiled code (code.c) ---- */

typedef struct wc_code {
    atomic_int refs;
    wc_tier tier;
    const wcrt_code *desc;
    void *tcc; /* TCCState * (baseline) */
    void *dl;  /* dlopen handle (optimized) */
} wc_code;

/** Compile src in memory with libtcc. prefix names the descriptor symbol. */
int wc__code_tcc(const wc_csource *src, const char *prefix, wc_code **out, wc_error *err);
/**
 * Load cached optimized code for key (hex) if present: 0 and *out on a hit,
 * WC_ENOENT on a miss.
 */
int wc__code_cache_load(const char *cache_dir, const char *key, const char *prefix, wc_code **out,
                        wc_error *err);
/**
 * Compile src with cc -O2 into the cache (or a temporary file) and load it.
 * If stop is given and becomes nonzero, give up waiting (WC_ECANCELED): a
 * build for the cache carries on without this process, a private one is
 * killed.
 */
int wc__code_cc(const wc_csource *src, const char *cc, const char *cache_dir, const char *key,
                const char *prefix, const atomic_int *stop, wc_code **out, wc_error *err);
/** Compile head + each chunk as separate units into one in-memory tcc state. */
struct TCCState;
int wc__tcc_compile(const char *head, const wc_strbuf *chunks, size_t nchunks,
                    struct TCCState **out, wc_error *err);
/** Append the optimized tier's compiler flags (part of the cache key). */
void wc__code_flags(wc_strbuf *sb);
wc_code *wc__code_ref(wc_code *c);
void wc__code_unref(wc_code *c);

/* ---- signatures (sigs.c) ---- */

typedef void (*wc_call_tramp)(void (*fn)(void), void *ctx, const wcrt_val *args, wcrt_val *results);

typedef struct wc_sig {
    wc_functype type; /* owned copy */
    wc_call_tramp call;
    void (*host)(void); /* typed adapter for host functions */
} wc_sig;

/** The engine-wide id of a signature (interned; never freed). */
uint32_t wc__sig_intern(const uint8_t *params, uint32_t np, const uint8_t *results, uint32_t nr);
/** The signature for an id (lock-free). */
const wc_sig *wc__sig_get(uint32_t id);
/** Make sure the trampolines of these ids are compiled. */
int wc__sig_prepare(const uint32_t *ids, size_t n, wc_error *err);

/* ---- objects ---- */

enum { WC_FUNC_GUEST = 0, WC_FUNC_HOST = 1 };

typedef struct wc_hostfunc {
    wcrt_func f; /* first: a wc_hostfunc is a wc_func */
    wc_host_cb cb;
    void *data;
} wc_hostfunc;

struct wc_memory {
    wcrt_memory m;
    void *slot;                /* reservation (runtime.c) */
    uint64_t image_bytes;      /* bytes mapped from a module's memory image, or 0 */
    const uint8_t *image_view; /* the image, read-only, to restore written pages from */
    uint64_t min_pages;        /* initial size, restored when the memory is recycled */
    struct wc_module *pool;    /* the module whose free list this memory returns to */
    uint64_t decl_max;         /* declared maximum, for import matching */
    int has_max;
};

struct wc_table {
    wcrt_table t;
    uint32_t decl_max; /* declared maximum, for import matching */
    int has_max;
};

struct wc_global {
    wcrt_val *cell; /* &own, or a cell inside an instance */
    wcrt_val own;
    uint8_t type, mut;
};

struct wc_engine {
    wc_engine_config cfg;
    char *cache_dir, *cc;
    uint32_t max_pages;
    /* Background optimized compiles. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wc_job *jobs; /* queue */
    pthread_t *workers;
    int nworkers, busy;
    atomic_int stopping;
};

#define WC_MODULE_FREE_MEMS 16

struct wc_module {
    atomic_int refs;
    wc_engine *engine;
    wc_modinfo *info;
    char key[65]; /* hex SHA-256 of bytes + engine version + flags */
    uint32_t *typeids;
    wc_map exports; /* name -> export index + 1 */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    wc_code *code; /* best code so far; guarded by mu */
    int opt_state; /* OPT_* */
    int cache_hit;
    wc_error opt_err;
    /* Initial memory image (data segments applied), mapped copy-on-write
     * into each new instance. image_state: 0 not built yet, 1 ready, -1 not
     * applicable (imported memory, computed offsets, or out of bounds). */
    int image_state;
    int image_fd;
    uint64_t image_bytes;
    uint8_t *image_view; /* the image mapped read-only, to restore recycled memories from */
    /* Memories of finished instances, kept ready (sized, image mapped) for
     * the next instance: instantiation then needs no memory syscalls. */
    wc_memory *free_mems[WC_MODULE_FREE_MEMS];
    int nfree_mems;
};

enum { OPT_NONE, OPT_PENDING, OPT_READY, OPT_FAILED };

struct wc_store {
    wc_engine *engine;
    uint64_t deadline_ns;
    uint32_t max_pages; /* per linear memory: the engine's limit or lower */
    int poisoned;
    WC_VEC(void *) objects; /* freed with the store: see store_obj kinds */
    WC_VEC(uint8_t) kinds;
    wc_arena arena; /* host functions */
};

struct wc_instance {
    wc_store *store;
    wc_module *module;
    wc_code *code;
    wcrt_inst *rt;
    wc_memory *memory;     /* memory 0, own or imported */
    wc_table **tables;     /* all tables */
    uint8_t *elem_dropped; /* per element segment */
    uint8_t *data_dropped; /* per data segment */
    wc_global **globals;   /* wrappers for all globals, made on demand */
};

/* ---- runtime (runtime.c) ---- */

extern const wcrt_api wc__api;

/** Reserve a linear memory with min pages accessible and max_pages as the limit. */
int wc__memory_init(wc_memory *mem, uint64_t min_pages, uint64_t max_pages, wc_error *err);
/**
 * Make a used memory look fresh again: its pages are dropped (reading as zero,
 * or as the mapped image) and it is shrunk back to min_pages.
 */
void wc__memory_reset(wc_memory *mem);
/** Map bytes of image fd copy-on-write over the start of mem. */
int wc__memory_map_image(wc_memory *mem, int fd, const uint8_t *view, uint64_t bytes,
                         wc_error *err);
void wc__memory_release(wc_memory *mem);
int wc__table_init(wc_table *t, uint8_t elem, uint32_t min, uint32_t max, void *init,
                   wc_error *err);
void wc__table_release(wc_table *t);

/** Evaluate a constant expression in an instance being built. */
wcrt_val wc__const_eval(wc_instance *inst, const wc_constexpr *ce);

/**
 * Call f (guest or host) under the store's deadline with trap handling.
 * The single entry from host code into guest code.
 */
int wc__call(wc_store *store, wc_func *f, const wcrt_val *args, wcrt_val *results, wc_error *err);
/**
 * Apply active element segments, then active data segments unless the
 * memory came from the module's image (data_done), dropping each.
 * Returns WC_ETRAP if a segment is out of bounds.
 */
int wc__init_segments(wc_instance *inst, int data_done, wc_error *err);

#endif
