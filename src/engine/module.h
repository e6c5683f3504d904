/*
 * module.h - a decoded core WebAssembly module (engine-internal).
 *
 * decode.c fills a wc_modinfo from the binary format and validates
 * everything outside function bodies; translate.c validates the bodies while
 * it turns them into C. Names and byte ranges point into the module's bytes,
 * which the wc_modinfo keeps (it owns a copy), so data segments and custom
 * sections need no second copy.
 *
 * Supported: WebAssembly 2.0 (MVP, multi-value, bulk memory, reference types,
 * sign extension, saturating conversions, mutable globals). SIMD and the
 * post-2.0 proposals are refused with WC_ENOTSUP.
 */
#ifndef WC_ENGINE_MODULE_H
#define WC_ENGINE_MODULE_H

#include "base/arena.h"
#include "base/error.h"

#include <stddef.h>
#include <stdint.h>

/* Value types use their binary encodings. */
enum {
    WT_I32 = 0x7f,
    WT_I64 = 0x7e,
    WT_F32 = 0x7d,
    WT_F64 = 0x7c,
    WT_V128 = 0x7b,
    WT_FUNCREF = 0x70,
    WT_EXTERNREF = 0x6f
};

enum { EXT_FUNC = 0, EXT_TABLE = 1, EXT_MEMORY = 2, EXT_GLOBAL = 3 };

/* Engine limits on module shape (beyond these a module is refused). */
#define WC_MAX_FUNCS       1000000
#define WC_MAX_PARAMS      1000
#define WC_MAX_RESULTS     1000
#define WC_MAX_LOCALS      50000
#define WC_MAX_TYPES       1000000
#define WC_MAX_IMPORTS     100000
#define WC_MAX_EXPORTS     100000
#define WC_MAX_SEGMENTS    100000
#define WC_MAX_TABLES      100000
#define WC_MAX_GLOBALS     1000000
#define WC_MAX_FUNC_SIZE   (7654321u)
#define WC_MAX_TABLE_ELEMS 10000000u
#define WC_PAGE_SIZE       65536u
#define WC_MAX_PAGES       65536u

typedef struct wc_functype_ {
    uint32_t nparams, nresults;
    uint8_t *params;  /* value types */
    uint8_t *results; /* value types */
} wc_ftype;

typedef struct wc_limits {
    uint64_t min, max;
    int has_max;
} wc_limits;

typedef struct wc_tabletype {
    uint8_t elem; /* WT_FUNCREF or WT_EXTERNREF */
    wc_limits lim;
} wc_tabletype;

typedef struct wc_globaltype {
    uint8_t type;
    uint8_t mut;
} wc_globaltype;

/* A constant expression (globals, segment offsets, element items). */
enum { CE_I32, CE_I64, CE_F32, CE_F64, CE_REF_NULL, CE_REF_FUNC, CE_GLOBAL_GET };
typedef struct wc_constexpr {
    uint8_t op;
    uint8_t type; /* for CE_REF_NULL: the reference type */
    union {
        uint32_t i32;
        uint64_t i64;
        uint32_t f32bits;
        uint64_t f64bits;
        uint32_t index; /* function or global index */
    } u;
} wc_constexpr;

typedef struct wc_import {
    const char *module, *name; /* NUL-terminated copies in the arena (may hold NULs too) */
    uint32_t module_len, name_len;
    uint8_t kind;
    union {
        uint32_t type; /* EXT_FUNC: type index */
        wc_tabletype table;
        wc_limits memory;
        wc_globaltype global;
    } u;
} wc_import;

typedef struct wc_export {
    const char *name;
    uint32_t name_len;
    uint8_t kind;
    uint32_t index;
} wc_export;

typedef struct wc_globaldef {
    wc_globaltype type;
    wc_constexpr init;
} wc_globaldef;

enum { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARATIVE };

typedef struct wc_elemseg {
    uint8_t mode;
    uint8_t type; /* reference type */
    uint32_t table;
    wc_constexpr offset;
    uint32_t count;
    wc_constexpr *items; /* CE_REF_FUNC, CE_REF_NULL or CE_GLOBAL_GET */
    /* The same items precomputed for instantiation, when all are ref.func:
     * an escaped-function slot, or an import index | ELEM_IMPORT. NULL otherwise. */
    uint32_t *slots;
} wc_elemseg;

#define ELEM_IMPORT 0x80000000u

typedef struct wc_dataseg {
    uint8_t mode;
    uint32_t memory;
    wc_constexpr offset;
    const uint8_t *bytes;
    uint32_t len;
} wc_dataseg;

typedef struct wc_funcbody {
    const uint8_t *code; /* locals declarations + expression */
    uint32_t len;
} wc_funcbody;

typedef struct wc_modinfo {
    wc_arena arena; /* everything below lives here */
    uint8_t *bytes; /* owned copy of the binary */
    size_t len;

    uint32_t ntypes;
    wc_ftype *types;

    uint32_t nimports;
    wc_import *imports;
    uint32_t nfunc_imports, ntable_imports, nmemory_imports, nglobal_imports;

    uint32_t nfuncs;      /* imported + defined */
    uint32_t *func_types; /* type index per function (imports first) */
    wc_funcbody *bodies;  /* per defined function */

    uint32_t ntables; /* imported + defined */
    wc_tabletype *tables;

    uint32_t nmemories; /* imported + defined (0 or 1) */
    wc_limits *memories;

    uint32_t nglobals; /* imported + defined */
    wc_globaltype *global_types;
    wc_globaldef *globals; /* defined globals only (nglobals - nglobal_imports) */

    uint32_t nexports;
    wc_export *exports;

    int has_start;
    uint32_t start;

    uint32_t nelems;
    wc_elemseg *elems;

    int has_datacount;
    uint32_t ndatas;
    wc_dataseg *datas;

    /* Functions whose identity escapes (elements, exports, ref.func): each
     * gets a function object per instance. escape_index[f] is its slot, or
     * UINT32_MAX. Only defined functions have slots; imports are objects already. */
    uint32_t *escape_index;
    uint32_t *escaped; /* the inverse: escaped[slot] is the function index */
    uint32_t nescaped;
    uint8_t *declared_refs; /* per function: may appear in ref.func */
} wc_modinfo;

/**
 * Decode and validate everything but function bodies. bytes are copied.
 * Returns 0, WC_EINVAL (malformed or invalid, err says where and why) or
 * WC_ENOTSUP (a feature the engine does not run, such as SIMD).
 * On success *out must be freed with wc_modinfo_free().
 */
int wc_modinfo_decode(const uint8_t *bytes, size_t len, wc_modinfo **out, wc_error *err);
void wc_modinfo_free(wc_modinfo *m);

/** Type of function index f (imports first). */
static inline const wc_ftype *
wc_modinfo_functype(const wc_modinfo *m, uint32_t f)
{
    return &m->types[m->func_types[f]];
}

/** Printable name of a value type. */
const char *wc_valtype_name(uint8_t t);

/** Read an unsigned/signed LEB128; helpers shared by decode.c and translate.c. */
typedef struct wc_reader {
    const uint8_t *p, *end, *base;
} wc_reader;

int wc__read_u32(wc_reader *r, uint32_t *out);
int wc__read_s32(wc_reader *r, int32_t *out);
int wc__read_s33(wc_reader *r, int64_t *out);
int wc__read_s64(wc_reader *r, int64_t *out);
int wc__read_u8(wc_reader *r, uint8_t *out);

#endif
