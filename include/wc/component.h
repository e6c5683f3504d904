/*
 * wc/component.h - running WebAssembly components.
 *
 * Objects:
 *  - wc_component: a parsed component with its core modules compiled.
 *    Reference counted, shared across threads, instantiated any number of times.
 *  - wc_linker: the host's implementations, by interface name
 *    ("wasi:io/streams") and version; an import "wasi:io/streams@0.2.3" is
 *    served by any linked version of the same 0.2 line (semver-compatible).
 *  - wc_cinstance: one instantiation, with its own wc_store. Used by one
 *    thread at a time. After a trap it is poisoned: calls fail, free it.
 *
 * Values cross the boundary as wc_cval trees interpreted by the function's
 * component type. Strings are UTF-8. A list<u8> is bytes. Handles carry their
 * resource type and representation.
 */
#ifndef WC_COMPONENT_H
#define WC_COMPONENT_H

#include "base/arena.h"
#include "base/error.h"
#include "base/strbuf.h"
#include "wc/engine.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wc_component wc_component;
typedef struct wc_linker wc_linker;
typedef struct wc_cinstance wc_cinstance;
typedef struct wc_cfunc wc_cfunc;
typedef struct wc_rtype wc_rtype;
typedef struct ctype wc_ctype;

typedef struct wc_cval {
    uint8_t kind; /* the ctype kind it was lifted as (informational) */
    union {
        int b;
        int32_t s32;
        uint32_t u32;
        int64_t s64;
        uint64_t u64;
        float f32;
        double f64;
        uint32_t ch; /* a Unicode scalar value */
        struct {
            const char *ptr; /* UTF-8, not NUL-terminated */
            size_t len;
        } str;
        struct {
            struct wc_cval *elems; /* NULL for list<u8>/list<s8>: see bytes */
            const uint8_t *bytes;
            size_t n;
        } list;
        struct wc_cval *fields; /* record and tuple: one per field */
        struct {
            uint32_t disc;       /* variant case; option: 0 none, 1 some; result: 0 ok, 1 err */
            struct wc_cval *val; /* payload, or NULL */
        } var;
        uint32_t flags;
        struct {
            wc_rtype *type;
            uint32_t rep;
        } handle;
    } u;
} wc_cval;

/* A call in progress, as a host function sees it. */
typedef struct wc_ccall {
    wc_cinstance *inst; /* the calling component instance */
    void *host;         /* the host context given to wc_cinstance_new */
    wc_arena *arena;    /* allocate result values (and their strings) here */
} wc_ccall;

/**
 * A host function: args are the lifted parameters (valid during the call;
 * strings and byte lists may point into guest memory), *result is the result
 * to lower (ignored if the function has none). Return 0, or nonzero to trap
 * the guest with err's message.
 */
typedef int (*wc_chost_fn)(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result,
                           wc_error *err);

/* ---- components ---- */

/**
 * Parse and validate a component and compile its core modules with engine
 * (see wc_module_new for tiers). bytes are copied. Errors name the problem.
 */
int wc_component_new(wc_engine *engine, const void *bytes, size_t len, wc_component **out,
                     wc_error *err);
wc_component *wc_component_ref(wc_component *c);
void wc_component_unref(wc_component *c);
/** Wait until every core module runs on the optimized tier (or failed to). */
int wc_component_wait_optimized(wc_component *c, wc_error *err);

/**
 * Limit each linear memory of this component's future instances to bytes
 * (below the engine's limit). Set it before the component is shared.
 */
void wc_component_set_max_memory(wc_component *c, uint64_t bytes);

/** Does the component export this name (an instance like "wasi:http/incoming-handler@0.2.3")? */
int wc_component_exports(const wc_component *c, const char *name_prefix);

/* ---- the host ---- */

wc_linker *wc_linker_new(void);
void wc_linker_free(wc_linker *l);

/**
 * Define a host resource type in an interface ("wasi:io/streams", version
 * "0.2.3"). drop is called when the guest drops its last owning handle
 * (with the object registered by wc_cinstance_res_new).
 */
wc_rtype *wc_linker_resource(wc_linker *l, const char *iface, const char *version, const char *name,
                             void (*drop)(void *host, void *obj));
/** Define a host function in an interface. The name is the WIT export name
 * ("get-stdout", "[method]output-stream.write"). */
void wc_linker_func(wc_linker *l, const char *iface, const char *version, const char *name,
                    wc_chost_fn fn, void *data);

/* ---- instances ---- */

/**
 * Instantiate c, satisfying its imports from l. host is passed to every host
 * function (for example the WASI context of this instance). A missing import
 * fails with WC_ELINK and names it.
 */
int wc_cinstance_new(wc_component *c, wc_linker *l, void *host, uint64_t deadline_ns,
                     wc_cinstance **out, wc_error *err);
void wc_cinstance_free(wc_cinstance *ci);
/** Nonzero after a trap: the instance must not be used again. */
int wc_cinstance_poisoned(const wc_cinstance *ci);
void *wc_cinstance_host(const wc_cinstance *ci);

/**
 * Find an exported function: iface is the exported instance name, matched
 * semver-compatibly ("wasi:http/incoming-handler@0.2.0" finds @0.2.3), or NULL
 * for a function exported at the top level.
 */
int wc_cinstance_func(wc_cinstance *ci, const char *iface, const char *name, wc_cfunc **out,
                      wc_error *err);
/** The function's component type (a CT_FUNC ctype). */
const wc_ctype *wc_cfunc_type(const wc_cfunc *f);

/**
 * Call an exported function. args must match its parameters; the result
 * (if it has one) is written to *result with strings and lists copied into
 * arena. Returns WC_ETRAP if the guest trapped (the instance is then
 * poisoned).
 */
int wc_cfunc_call(wc_cinstance *ci, wc_cfunc *f, const wc_cval *args, size_t nargs, wc_cval *result,
                  wc_arena *arena, wc_error *err);

/* ---- host resources ---- */

/** Register a host object of resource type t; returns its representation. */
uint32_t wc_cinstance_res_new(wc_cinstance *ci, wc_rtype *t, void *obj);
/** The object behind rep, or NULL if rep is not a live object of type t. */
void *wc_cinstance_res_get(wc_cinstance *ci, wc_rtype *t, uint32_t rep);
/** Remove and return the object (the caller disposes of it). */
void *wc_cinstance_res_take(wc_cinstance *ci, wc_rtype *t, uint32_t rep);

/* ---- values outside an instance: the wire (wRPC) and text (WAVE) ---- */

/** A function type's parameters and result (NULL: none). */
uint32_t wc_ctype_nparams(const wc_ctype *fn);
const wc_ctype *wc_ctype_param(const wc_ctype *fn, uint32_t i, const char **name);
const wc_ctype *wc_ctype_result(const wc_ctype *fn);
/** WIT-like text for a type. */
void wc_ctype_format(wc_strbuf *sb, const wc_ctype *t);
/** Can values of t (or every parameter and result of a function type) cross the wire (no
 * resources)? */
int wc_ctype_crosses(const wc_ctype *t);

/**
 * Find an exported function's type in a component binary without compiling
 * it (iface as for wc_cinstance_func; NULL or "" for a top-level function).
 * The type is allocated in arena; bytes must stay valid while it is used.
 */
int wc_component_func_type(const void *bytes, size_t len, const char *iface, const char *name,
                           wc_arena *arena, const wc_ctype **out, wc_error *err);

/** Append the wRPC encoding of v (of type t). */
int wc_cval_encode(wc_strbuf *out, const wc_ctype *t, const wc_cval *v, wc_error *err);
/**
 * Decode n values of the given types from buf (strings and lists copied into
 * a). Returns 0 (*used bytes consumed), 1 if buf ends inside a value (more
 * bytes are needed), or an error code for malformed input.
 */
int wc_cval_decode_all(const uint8_t *buf, size_t len, size_t *used, const wc_ctype *const *types,
                       uint32_t n, wc_arena *a, wc_cval *out, wc_error *err);

/** Parse WAVE text ("42", "\"hi\"", "{x: 1, y: 2}", "some(ok(3))") as a value of type t. */
int wc_cval_parse(const char *text, const wc_ctype *t, wc_arena *a, wc_cval *out, wc_error *err);
/** Append v (of type t) as WAVE text. */
void wc_cval_format(wc_strbuf *out, const wc_ctype *t, const wc_cval *v);

#endif
