/*
 * internal.h - the component layer's runtime structures.
 *
 * File tour: cparse.c (binary format, static types) -> ctype.c (type facts,
 * printing) -> cabi.c (the canonical ABI: lifting and lowering values,
 * strings, handles) -> cinst.c (loading, linking, instantiating the
 * definition graph, calls in both directions, resources).
 */
#ifndef WC_COMPONENT_INTERNAL_H
#define WC_COMPONENT_INTERNAL_H

#include "base/vec.h"
#include "component/cparse.h"
#include "wc/component.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct wc_cinst wc_cinst;

struct wc_rtype {
    const char *name;
    wc_cinst *impl;                      /* defining component instance; NULL for host types */
    wc_func *dtor;                       /* guest destructor, or NULL */
    void (*drop)(void *host, void *obj); /* host types */
};

/* A handle table slot (index 0 is never used). */
typedef struct chandle {
    wc_rtype *rt; /* NULL: free */
    uint32_t rep;
    uint8_t own;
    uint32_t lends;
    uint32_t scope; /* borrows: the call that received it */
} chandle;

/* Runtime items of the component index spaces. */
typedef struct citem {
    uint8_t sort;  /* SORT_* */
    uint8_t csort; /* for SORT_CORE */
    const char *name;
    union {
        wc_cfunc *func;
        struct wc_cinstval *inst;
        const ccomp *comp;
        wc_module *module;
        struct {
            const ctype *t;
            wc_rtype *rt; /* if t is a resource */
        } type;
    } u;
} citem;

/* A component-level instance value: a set of named exports. */
typedef struct wc_cinstval {
    uint32_t n;
    citem *items;
} wc_cinstval;

/* A core instance: a real instance, or a bag of exports. */
typedef struct ccoreinst {
    wc_instance *inst;
    uint32_t n;
    const char **names;
    wc_extern *externs;
} ccoreinst;

struct wc_cfunc {
    const ctype *type;
    wc_cinst *owner; /* resolves resource types; its handle table receives handles */
    wc_chost_fn host;
    void *host_data;
    /* Lifted guest function: */
    wc_func *core;
    wc_memory *memory;
    wc_func *realloc;
    wc_func *post_return;
    uint8_t encoding;
};

/* One instantiated (possibly nested) component. */
struct wc_cinst {
    wc_cinstance *root;
    wc_cinst *parent;
    const ccomp *comp;
    /* Resource nodes of this component's types -> runtime resource types. */
    WC_VEC(const ctype *) env_keys;
    WC_VEC(wc_rtype *) env_vals;
    /* Index spaces. */
    WC_VEC(wc_func *) core_funcs;
    WC_VEC(wc_table *) core_tables;
    WC_VEC(wc_memory *) core_memories;
    WC_VEC(wc_global *) core_globals;
    WC_VEC(wc_module *) core_modules;
    WC_VEC(ccoreinst *) core_instances;
    WC_VEC(wc_cfunc *) funcs;
    WC_VEC(citem) types;
    WC_VEC(wc_cinstval *) instances;
    WC_VEC(const ccomp *) components;
    /* Handles held by this instance. */
    WC_VEC(chandle) handles;
    WC_VEC(uint32_t) free_handles;
    uint8_t may_leave;
    WC_VEC(citem) exports;
};

struct wc_component {
    atomic_int refs;
    wc_engine *engine;
    wc_arena arena;
    uint8_t *bytes;
    size_t len;
    ccomp *root;
    /* Compiled modules of every (nested) component, in tree order. */
    uint32_t nmodules;
    wc_module **modules;
    /* What each linker used with this component resolves its imports to
     * (cinst.c): the newest first, older ones kept for instantiations
     * still using them. */
    _Atomic(struct link_plan *) plan;
    pthread_mutex_t plan_mu;
    uint64_t max_memory_bytes; /* per instance, below the engine's; 0 = the engine's */
};

struct wc_cinstance {
    wc_component *component;
    wc_store *store;
    void *host;
    wc_cinst *top;
    int poisoned;
    int in_call;
    uint32_t call_seq;
    wc_arena arena;         /* instance lifetime: runtime structures */
    WC_VEC(wc_cinst *) all; /* every nested instance, for freeing */
    WC_VEC(wc_rtype *) rtypes;
    /* Host objects: rep - 1 indexes here. */
    WC_VEC(struct hostobj {
        wc_rtype *t;
        void *obj;
    })
    objs;
    WC_VEC(uint32_t) free_objs;
};

/* ---- canonical ABI (cabi.c) ---- */

typedef struct cabi_cx {
    wc_cinst *inst; /* guest side: handles, resource types */
    wc_store *store;
    wc_memory *memory;
    wc_func *realloc;
    uint8_t encoding;
    wc_arena *arena;        /* where lifted host values live */
    int copy;               /* lifted strings/lists are copied out of guest memory */
    uint32_t scope;         /* the call that receives borrows */
    WC_VEC(uint32_t) lends; /* handles lent for this call */
    wc_error *err;
} cabi_cx;

/** The runtime resource type a handle's resource node stands for in inst. */
/* Does exported name have satisfy the requested want (semver-compatible versions)? */
int wc__name_matches(const char *have, const char *want);

wc_rtype *wc__cinst_rtype(wc_cinst *inst, const ctype *res);

/** Lift n values of types from flat core values (spilling beyond max). */
int wc__cabi_lift(cabi_cx *cx, const ctype *const *types, uint32_t n, const wc_val *flat,
                  uint32_t nflat, uint32_t max, wc_cval *out);
/**
 * Lower n values into flat core values (at most max; beyond, into memory:
 * at *retptr if given, else a fresh allocation whose address is the single
 * flat value). *nflat_out receives the count written to flat.
 */
int wc__cabi_lower(cabi_cx *cx, const ctype *const *types, uint32_t n, const wc_cval *vals,
                   wc_val *flat, uint32_t *nflat_out, uint32_t max, const uint32_t *retptr);
/** Flattened core types of a function for lift or lower; returns the counts. */
void wc__cabi_flatten_func(const ctype *ft, int lower, uint8_t *params, uint32_t *np,
                           uint8_t *results, uint32_t *nr);
/** Undo the lends of a call. */
void wc__cabi_end_lends(cabi_cx *cx);

/* handle table */
int wc__handle_add(wc_cinst *inst, wc_rtype *rt, uint32_t rep, int own, uint32_t scope,
                   uint32_t *out, wc_error *err);
chandle *wc__handle_get(wc_cinst *inst, uint32_t idx);
void wc__handle_remove(wc_cinst *inst, uint32_t idx);

/** Drop an owned resource the host or a guest gave up: run its destructor. */
int wc__resource_destroy(wc_cinstance *ci, wc_rtype *rt, uint32_t rep, wc_error *err);

#endif
