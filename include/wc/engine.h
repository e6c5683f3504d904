/*
 * wc/engine.h - the core WebAssembly engine: load, compile, instantiate, call.
 *
 * Objects and their lifetimes:
 *  - wc_engine: configuration, the code cache, the background compiler.
 *    Thread-safe. Free it last.
 *  - wc_module: a validated, compiled module. Thread-safe, reference counted;
 *    it may be instantiated any number of times from any thread. It starts on
 *    the baseline tier (tcc, in memory) and moves to the optimized tier (the
 *    system C compiler at -O2, cached on disk) when that is ready; instances
 *    created after that use the optimized code.
 *  - wc_store: owns instances, host functions, memories, tables and globals.
 *    Everything created in a store lives until wc_store_free(). A store is
 *    used by one thread at a time. One store per component instance, or per
 *    HTTP request, is the intended granularity.
 *
 * Errors: functions return 0 or a negative WC_E* code (base/error.h) and fill
 * the optional wc_error. A guest trap is WC_ETRAP with a message such as
 * "integer divide by zero". Traps never take the process down.
 */
#ifndef WC_ENGINE_H
#define WC_ENGINE_H

#include "base/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wc_engine wc_engine;
typedef struct wc_module wc_module;
typedef struct wc_store wc_store;
typedef struct wc_instance wc_instance;
typedef struct wcrt_func wc_func;
typedef struct wc_memory wc_memory;
typedef struct wc_table wc_table;
typedef struct wc_global wc_global;

/* Value types (their binary encodings). */
typedef enum wc_valkind {
    WC_I32 = 0x7f,
    WC_I64 = 0x7e,
    WC_F32 = 0x7d,
    WC_F64 = 0x7c,
    WC_FUNCREF = 0x70,
    WC_EXTERNREF = 0x6f
} wc_valkind;

/* A value; which member is meaningful follows from the type. */
typedef union wc_val {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
    void *ref; /* wc_func * for funcref, opaque for externref; NULL is null */
} wc_val;

typedef struct wc_functype {
    uint32_t nparams, nresults;
    const uint8_t *params;  /* wc_valkind values */
    const uint8_t *results; /* wc_valkind values */
} wc_functype;

typedef enum wc_externkind {
    WC_EXTERN_FUNC = 0,
    WC_EXTERN_TABLE = 1,
    WC_EXTERN_MEMORY = 2,
    WC_EXTERN_GLOBAL = 3
} wc_externkind;

typedef struct wc_extern {
    wc_externkind kind;
    union {
        wc_func *func;
        wc_table *table;
        wc_memory *memory;
        wc_global *global;
    } u;
} wc_extern;

typedef enum wc_tier {
    WC_TIER_AUTO = 0, /* baseline now, optimized when ready */
    WC_TIER_BASELINE, /* only tcc */
    WC_TIER_OPTIMIZED /* wait for the optimized tier */
} wc_tier;

typedef struct wc_engine_config {
    wc_tier tier;
    uint64_t max_memory_bytes;   /* per linear memory; default 256 MiB */
    uint32_t max_table_elements; /* per table; default 10,000,000 */
    uint64_t deadline_ns;        /* per top-level call; 0 = none */
    const char *cache_dir;       /* optimized code cache; NULL = default; "" = no disk cache */
    const char *cc;              /* C compiler for the optimized tier; NULL = $CC or "cc" */
    int background_jobs;         /* optimized compiles in parallel; default 1 */
    int no_memory_image;         /* copy data segments per instance (benchmark comparison) */
} wc_engine_config;

/** Fill cfg with defaults (reads WC_CACHE_DIR and CC from the environment). */
void wc_engine_config_init(wc_engine_config *cfg);

/** Create an engine. cfg is copied (strings too). */
int wc_engine_new(const wc_engine_config *cfg, wc_engine **out, wc_error *err);
/** Wait for background compiles to finish or be abandoned, then free. NULL is fine. */
void wc_engine_free(wc_engine *engine);

/**
 * Validate and compile a module. bytes are copied. With WC_TIER_AUTO this
 * returns after the baseline compile (or at once on an optimized cache hit),
 * with the optimized compile queued in the background. Returns WC_EINVAL for
 * a malformed or invalid module, WC_ENOTSUP for one using an unsupported
 * feature (SIMD), WC_ELIMIT for one beyond the engine's limits.
 * May block for the compile; call from a worker thread, not an event loop.
 */
int wc_module_new(wc_engine *engine, const void *bytes, size_t len, wc_module **out, wc_error *err);
/** Validate only (no code is generated). */
int wc_module_validate(wc_engine *engine, const void *bytes, size_t len, wc_error *err);
wc_module *wc_module_ref(wc_module *m);
void wc_module_unref(wc_module *m);

typedef struct wc_importdesc {
    const char *module, *name;   /* borrowed from the module; NUL-terminated */
    size_t module_len, name_len; /* names may contain NUL bytes */
    wc_externkind kind;
    /* For functions: */
    wc_functype functype;
    /* For globals: */
    wc_valkind global_type;
    int global_mutable;
    /* For tables and memories: */
    wc_valkind table_elem;
    uint64_t min, max;
    int has_max;
} wc_importdesc;

typedef wc_importdesc wc_exportdesc; /* module is NULL for exports */

uint32_t wc_module_import_count(const wc_module *m);
void wc_module_import(const wc_module *m, uint32_t i, wc_importdesc *out);
uint32_t wc_module_export_count(const wc_module *m);
void wc_module_export(const wc_module *m, uint32_t i, wc_exportdesc *out);

/** Which tier new instances use now. */
wc_tier wc_module_tier(const wc_module *m);
/** Block until the optimized tier is ready or failed; returns 0 if it is in use. */
int wc_module_wait_optimized(wc_module *m, wc_error *err);
/** True if the optimized code came from the disk cache. */
int wc_module_cache_hit(const wc_module *m);

/* ---- stores and instances ---- */

wc_store *wc_store_new(wc_engine *engine);
void wc_store_free(wc_store *store);
/** Per top-level call deadline for this store (0 = none); overrides the engine default. */
void wc_store_set_deadline(wc_store *store, uint64_t ns);
/** Lower the linear memory limit for this store's instances (bytes; the engine's limit caps it). */
void wc_store_set_max_memory(wc_store *store, uint64_t bytes);
/** Nonzero once a call in this store was cut off by its deadline (the store is then unusable). */
int wc_store_poisoned(const wc_store *store);

/**
 * Instantiate m in store with imports given in the module's import order.
 * Runs active segments and the start function. A trap in either gives
 * WC_ETRAP; a missing or mistyped import gives WC_ELINK naming it.
 */
int wc_instance_new(wc_store *store, wc_module *m, const wc_extern *imports, size_t nimports,
                    wc_instance **out, wc_error *err);
/** Look up an export by name; WC_ENOENT if there is none. */
int wc_instance_export(wc_instance *inst, const char *name, wc_extern *out);
/** The same for a name of len bytes that may contain NUL bytes. */
int wc_instance_export_n(wc_instance *inst, const char *name, size_t len, wc_extern *out);
/**
 * Like wc_instance_export, for callers that look up the same names in many
 * instances of a module: *hint (0 at first) remembers where the export was
 * found, and a right guess costs one comparison.
 */
int wc_instance_export_hinted(wc_instance *inst, const char *name, uint32_t *hint, wc_extern *out);
/** The module an instance was created from (borrowed). */
wc_module *wc_instance_module(wc_instance *inst);

/* ---- functions ---- */

/**
 * A host function. Called with the arguments; writes the results. Return 0,
 * or nonzero to trap the guest with err's message.
 */
typedef int (*wc_host_cb)(void *data, const wc_val *args, wc_val *results, wc_error *err);

/** Create a host function in store. type is copied. */
wc_func *wc_func_new_host(wc_store *store, const wc_functype *type, wc_host_cb cb, void *data);
/**
 * Register a function type once (and build its host adapter), for making
 * many host functions of that type cheaply: wc_func_new_host takes two
 * process-wide locks to find the type, this takes none.
 */
int wc_functype_intern(const wc_functype *type, uint32_t *id, wc_error *err);
wc_func *wc_func_new_host_interned(wc_store *store, uint32_t type_id, wc_host_cb cb, void *data);
/** The function's type (borrowed; valid while the function lives). */
const wc_functype *wc_func_type(const wc_func *f);

/**
 * Call f with args (nargs must match), writing results. Reentrant: a host
 * function may call back into Wasm. Returns WC_ETRAP if the guest trapped.
 */
int wc_func_call(wc_store *store, wc_func *f, const wc_val *args, size_t nargs, wc_val *results,
                 size_t nresults, wc_error *err);

/**
 * True when the current thread's guest call has passed its deadline. A host
 * function that blocks (poll, sleep, network) checks this when its wait is
 * interrupted (EINTR) and returns an error, so the guest traps promptly.
 */
int wc_call_interrupted(void);

/* ---- memories, tables, globals ---- */

int wc_memory_new(wc_store *store, uint64_t min_pages, uint64_t max_pages, int has_max,
                  wc_memory **out, wc_error *err);
uint8_t *wc_memory_data(const wc_memory *mem);
uint64_t wc_memory_size(const wc_memory *mem); /* bytes */
/** Grow by delta pages; returns the old size in pages, or -1 if it cannot grow. */
int64_t wc_memory_grow(wc_memory *mem, uint64_t delta);

int wc_table_new(wc_store *store, wc_valkind elem, uint32_t min, uint32_t max, int has_max,
                 void *init, wc_table **out, wc_error *err);
uint32_t wc_table_size(const wc_table *t);
int wc_table_get(const wc_table *t, uint32_t i, void **out);
int wc_table_set(wc_table *t, uint32_t i, void *ref);

int wc_global_new(wc_store *store, wc_valkind type, int mutable_, wc_val init, wc_global **out);
wc_val wc_global_get(const wc_global *g);
void wc_global_set(wc_global *g, wc_val v);
wc_valkind wc_global_type(const wc_global *g);

#endif
