/*
 * decode.c - the WebAssembly binary format, outside function bodies.
 *
 * Reads every section into a wc_modinfo and checks what the specification
 * calls well-formedness (malformed: bad encodings, section order, lengths)
 * and validity (invalid: index spaces, types, limits, constant expressions)
 * for everything except code, which translate.c validates as it translates.
 * Error messages follow the wording of the specification's test suite
 * ("unexpected end", "unknown function", ...) and add where it happened.
 */
#include "engine/module.h"

#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* ---- LEB128 and small readers (shared with translate.c) ---- */

int
wc__read_u8(wc_reader *r, uint8_t *out)
{
    if (r->p >= r->end) {
        return WC_EINVAL;
    }
    *out = *r->p++;
    return 0;
}

/* Returns 0, or WC_EINVAL with r->p left at the offending byte. *why says which rule. */
static int
read_uleb(wc_reader *r, unsigned bits, uint64_t *out, const char **why)
{
    uint64_t v = 0;
    unsigned shift = 0;

    for (;;) {
        uint8_t b;

        if (r->p >= r->end) {
            *why = "unexpected end";
            return WC_EINVAL;
        }
        b = *r->p++;
        if (shift + 7 >= bits && shift < bits) {
            /* Last byte allowed: unused high bits must be zero. */
            unsigned used = bits - shift;

            if (b & 0x80) {
                *why = "integer representation too long";
                return WC_EINVAL;
            }
            if (used < 7 && (b >> used) != 0) {
                *why = "integer too large";
                return WC_EINVAL;
            }
            v |= (uint64_t)b << shift;
            break;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            break;
        }
    }
    *out = v;
    return 0;
}

static int
read_sleb(wc_reader *r, unsigned bits, int64_t *out, const char **why)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    for (;;) {
        if (r->p >= r->end) {
            *why = "unexpected end";
            return WC_EINVAL;
        }
        b = *r->p++;
        if (shift + 7 >= bits) {
            /* Last byte: the unused bits must be a sign extension. */
            unsigned used = bits - shift; /* 1..7 */
            int sign;

            if (b & 0x80) {
                *why = "integer representation too long";
                return WC_EINVAL;
            }
            if (used < 7) {
                uint8_t rest = (uint8_t)(b >> (used - 1)); /* sign bit and above */
                uint8_t all = (uint8_t)(0x7f >> (used - 1));

                if (rest != 0 && rest != all) {
                    *why = "integer too large";
                    return WC_EINVAL;
                }
            }
            v |= (uint64_t)(b & 0x7f) << shift;
            sign = (b & 0x40) != 0;
            shift += 7;
            if (sign && shift < 64) {
                v |= ~0ULL << shift;
            }
            break;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if ((b & 0x40) && shift < 64) {
                v |= ~0ULL << shift;
            }
            break;
        }
    }
    *out = (int64_t)v;
    return 0;
}

int
wc__read_u32(wc_reader *r, uint32_t *out)
{
    const char *why;
    uint64_t v;

    if (read_uleb(r, 32, &v, &why) != 0) {
        return WC_EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

int
wc__read_s32(wc_reader *r, int32_t *out)
{
    const char *why;
    int64_t v;

    if (read_sleb(r, 32, &v, &why) != 0) {
        return WC_EINVAL;
    }
    *out = (int32_t)v;
    return 0;
}

int
wc__read_s33(wc_reader *r, int64_t *out)
{
    const char *why;

    return read_sleb(r, 33, out, &why);
}

int
wc__read_s64(wc_reader *r, int64_t *out)
{
    const char *why;

    return read_sleb(r, 64, out, &why);
}

const char *
wc_valtype_name(uint8_t t)
{
    switch (t) {
    case WT_I32: return "i32";
    case WT_I64: return "i64";
    case WT_F32: return "f32";
    case WT_F64: return "f64";
    case WT_V128: return "v128";
    case WT_FUNCREF: return "funcref";
    case WT_EXTERNREF: return "externref";
    default: return "?";
    }
}

/* ---- decoder state ---- */

typedef struct decoder {
    wc_modinfo *m;
    wc_reader r;
    wc_error *err;
    const char *section;  /* for messages */
    uint32_t nfunc_decls; /* entries in the function section */
} decoder;

static size_t
off(decoder *d)
{
    return (size_t)(d->r.p - d->r.base);
}

static int
fail(decoder *d, const char *fmt, const char *what)
{
    return wc_error_set(d->err, WC_EINVAL, "%s (%s section, offset %zu)", what, d->section, off(d));
}

#define FAIL(d, msg) fail((d), "%s", (msg))

static int
u8(decoder *d, uint8_t *out)
{
    if (d->r.p >= d->r.end) {
        return FAIL(d, "unexpected end");
    }
    *out = *d->r.p++;
    return 0;
}

static int
u32(decoder *d, uint32_t *out)
{
    const char *why;
    uint64_t v;

    if (read_uleb(&d->r, 32, &v, &why) != 0) {
        return FAIL(d, why);
    }
    *out = (uint32_t)v;
    return 0;
}

static int
s32(decoder *d, int32_t *out)
{
    const char *why;
    int64_t v;

    if (read_sleb(&d->r, 32, &v, &why) != 0) {
        return FAIL(d, why);
    }
    *out = (int32_t)v;
    return 0;
}

static int
s64(decoder *d, int64_t *out)
{
    const char *why;

    if (read_sleb(&d->r, 64, out, &why) != 0) {
        return FAIL(d, why);
    }
    return 0;
}

/* A vector length: each element takes at least min_size bytes, so a length
 * larger than the bytes left is malformed before we allocate for it. */
static int
vec_len(decoder *d, uint32_t *n, size_t min_size, uint32_t limit, const char *what)
{
    int rc = u32(d, n);

    if (rc != 0) {
        return rc;
    }
    if ((uint64_t)*n * min_size > (uint64_t)(d->r.end - d->r.p)) {
        return FAIL(d, "length out of bounds");
    }
    if (*n > limit) {
        return wc_error_set(d->err, WC_ELIMIT, "too many %s (%u, the engine allows %u)", what, *n,
                            limit);
    }
    return 0;
}

static int
utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp;
        size_t len;

        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n) {
            return 0;
        }
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

static int
name_n(decoder *d, const char **out, uint32_t *len)
{
    uint32_t n;
    int rc;

    if ((rc = u32(d, &n)) != 0) {
        return rc;
    }
    if (n > (size_t)(d->r.end - d->r.p)) {
        return FAIL(d, "unexpected end (name length out of bounds)");
    }
    if (!utf8_valid(d->r.p, n)) {
        return FAIL(d, "malformed UTF-8 encoding");
    }
    *out = wc_arena_strndup(&d->m->arena, (const char *)d->r.p, n);
    if (len != NULL) {
        *len = n;
    }
    d->r.p += n;
    return 0;
}

static int
name(decoder *d, const char **out)
{
    return name_n(d, out, NULL);
}

static int
is_numtype(uint8_t t)
{
    return t == WT_I32 || t == WT_I64 || t == WT_F32 || t == WT_F64;
}

static int
is_reftype(uint8_t t)
{
    return t == WT_FUNCREF || t == WT_EXTERNREF;
}

static int
valtype(decoder *d, uint8_t *out)
{
    int rc = u8(d, out);

    if (rc != 0) {
        return rc;
    }
    if (*out == WT_V128) {
        return wc_error_set(d->err, WC_ENOTSUP,
                            "SIMD (v128) is not supported by this engine (%s section, offset %zu)",
                            d->section, off(d) - 1);
    }
    if (!is_numtype(*out) && !is_reftype(*out)) {
        d->r.p--;
        return FAIL(d, "malformed value type");
    }
    return 0;
}

static int
reftype(decoder *d, uint8_t *out)
{
    int rc = u8(d, out);

    if (rc != 0) {
        return rc;
    }
    if (!is_reftype(*out)) {
        d->r.p--;
        return FAIL(d, "malformed reference type");
    }
    return 0;
}

static int
limits(decoder *d, wc_limits *lim, int is_memory)
{
    uint8_t flags = 0;
    int rc;

    if ((rc = u8(d, &flags)) != 0) {
        return rc;
    }
    if (flags > 1) {
        d->r.p--;
        return FAIL(d, is_memory && flags <= 3 ? "shared memory is not supported (threads)"
                                               : "integer too large (malformed limits flags)");
    }
    lim->has_max = flags & 1;
    if (is_memory) {
        /* Memory sizes are u32 in 2.0 but validated against 65536 pages. */
        uint32_t v;

        if ((rc = u32(d, &v)) != 0) {
            return rc;
        }
        lim->min = v;
        lim->max = 0;
        if (lim->has_max) {
            if ((rc = u32(d, &v)) != 0) {
                return rc;
            }
            lim->max = v;
        }
    } else {
        uint32_t v;

        if ((rc = u32(d, &v)) != 0) {
            return rc;
        }
        lim->min = v;
        lim->max = 0;
        if (lim->has_max) {
            if ((rc = u32(d, &v)) != 0) {
                return rc;
            }
            lim->max = v;
        }
    }
    return 0;
}

static int
check_limits(decoder *d, const wc_limits *lim, int is_memory)
{
    if (is_memory) {
        if (lim->min > WC_MAX_PAGES || (lim->has_max && lim->max > WC_MAX_PAGES)) {
            return FAIL(d, "memory size must be at most 65536 pages (4GiB)");
        }
    }
    if (lim->has_max && lim->min > lim->max) {
        return FAIL(d, "size minimum must not be greater than maximum");
    }
    return 0;
}

static int
tabletype(decoder *d, wc_tabletype *t)
{
    int rc = reftype(d, &t->elem);

    if (rc == 0) {
        rc = limits(d, &t->lim, 0);
    }
    if (rc == 0) {
        rc = check_limits(d, &t->lim, 0);
    }
    return rc;
}

static int
globaltype(decoder *d, wc_globaltype *g)
{
    int rc = valtype(d, &g->type);

    if (rc == 0) {
        rc = u8(d, &g->mut);
    }
    if (rc == 0 && g->mut > 1) {
        d->r.p--;
        return FAIL(d, "malformed mutability");
    }
    return rc;
}

/* A constant expression of the given type. In 2.0: one constant instruction
 * then end; global.get only of an immutable imported global. */
static int constexpr(decoder *d, uint8_t type, wc_constexpr *ce)
{
    wc_modinfo *m = d->m;
    unsigned count = 0;
    uint8_t op = 0, produced = 0;
    int rc;

    for (;;) {
        if ((rc = u8(d, &op)) != 0) {
            return rc;
        }
        if (op == 0x0b) {
            break;
        }
        switch (op) {
        case 0x41: {
            int32_t v = 0;

            if ((rc = s32(d, &v)) != 0) {
                return rc;
            }
            ce->op = CE_I32;
            ce->u.i32 = (uint32_t)v;
            produced = WT_I32;
            break;
        }
        case 0x42: {
            int64_t v = 0;

            if ((rc = s64(d, &v)) != 0) {
                return rc;
            }
            ce->op = CE_I64;
            ce->u.i64 = (uint64_t)v;
            produced = WT_I64;
            break;
        }
        case 0x43:
            if (d->r.end - d->r.p < 4) {
                return FAIL(d, "unexpected end");
            }
            ce->op = CE_F32;
            memcpy(&ce->u.f32bits, d->r.p, 4);
            d->r.p += 4;
            produced = WT_F32;
            break;
        case 0x44:
            if (d->r.end - d->r.p < 8) {
                return FAIL(d, "unexpected end");
            }
            ce->op = CE_F64;
            memcpy(&ce->u.f64bits, d->r.p, 8);
            d->r.p += 8;
            produced = WT_F64;
            break;
        case 0xd0: {
            uint8_t t = 0;

            if ((rc = reftype(d, &t)) != 0) {
                return rc;
            }
            ce->op = CE_REF_NULL;
            ce->type = t;
            produced = t;
            break;
        }
        case 0xd2: {
            uint32_t f;

            if ((rc = u32(d, &f)) != 0) {
                return rc;
            }
            if (f >= m->nfuncs) {
                return FAIL(d, "unknown function");
            }
            m->declared_refs[f] = 1;
            ce->op = CE_REF_FUNC;
            ce->u.index = f;
            produced = WT_FUNCREF;
            break;
        }
        case 0x23: {
            uint32_t g;

            if ((rc = u32(d, &g)) != 0) {
                return rc;
            }
            if (g >= m->nglobal_imports) {
                return FAIL(d, "unknown global");
            }
            if (m->global_types[g].mut) {
                return FAIL(d, "constant expression required");
            }
            ce->op = CE_GLOBAL_GET;
            ce->u.index = g;
            produced = m->global_types[g].type;
            break;
        }
        default: d->r.p--; return FAIL(d, "constant expression required");
        }
        count++;
    }
    if (count != 1 || produced != type) {
        return FAIL(d, "type mismatch (constant expression)");
    }
    return 0;
}

/* ---- sections ---- */

static int
sec_type(decoder *d)
{
    wc_modinfo *m = d->m;
    int rc;

    if ((rc = vec_len(d, &m->ntypes, 3, WC_MAX_TYPES, "types")) != 0) {
        return rc;
    }
    m->types = wc_arena_calloc(&m->arena, m->ntypes, sizeof(*m->types));
    for (uint32_t i = 0; i < m->ntypes; i++) {
        wc_ftype *t = &m->types[i];
        uint8_t form = 0;

        if ((rc = u8(d, &form)) != 0) {
            return rc;
        }
        if (form != 0x60) {
            d->r.p--;
            return FAIL(d, "integer representation too long (malformed function type)");
        }
        if ((rc = vec_len(d, &t->nparams, 1, WC_MAX_PARAMS, "parameters")) != 0) {
            return rc;
        }
        t->params = wc_arena_alloc(&m->arena, t->nparams + 1);
        for (uint32_t k = 0; k < t->nparams; k++) {
            if ((rc = valtype(d, &t->params[k])) != 0) {
                return rc;
            }
        }
        if ((rc = vec_len(d, &t->nresults, 1, WC_MAX_RESULTS, "results")) != 0) {
            return rc;
        }
        t->results = wc_arena_alloc(&m->arena, t->nresults + 1);
        for (uint32_t k = 0; k < t->nresults; k++) {
            if ((rc = valtype(d, &t->results[k])) != 0) {
                return rc;
            }
        }
    }
    return 0;
}

static int
sec_import(decoder *d)
{
    wc_modinfo *m = d->m;
    int rc;

    if ((rc = vec_len(d, &m->nimports, 4, WC_MAX_IMPORTS, "imports")) != 0) {
        return rc;
    }
    m->imports = wc_arena_calloc(&m->arena, m->nimports, sizeof(*m->imports));
    for (uint32_t i = 0; i < m->nimports; i++) {
        wc_import *im = &m->imports[i];

        if ((rc = name_n(d, &im->module, &im->module_len)) != 0 ||
            (rc = name_n(d, &im->name, &im->name_len)) != 0 || (rc = u8(d, &im->kind)) != 0) {
            return rc;
        }
        switch (im->kind) {
        case EXT_FUNC:
            if ((rc = u32(d, &im->u.type)) != 0) {
                return rc;
            }
            if (im->u.type >= m->ntypes) {
                return FAIL(d, "unknown type");
            }
            m->nfunc_imports++;
            break;
        case EXT_TABLE:
            if ((rc = tabletype(d, &im->u.table)) != 0) {
                return rc;
            }
            m->ntable_imports++;
            break;
        case EXT_MEMORY:
            if ((rc = limits(d, &im->u.memory, 1)) != 0 ||
                (rc = check_limits(d, &im->u.memory, 1)) != 0) {
                return rc;
            }
            if (++m->nmemory_imports > 1) {
                return FAIL(d, "multiple memories");
            }
            break;
        case EXT_GLOBAL:
            if ((rc = globaltype(d, &im->u.global)) != 0) {
                return rc;
            }
            m->nglobal_imports++;
            break;
        default: d->r.p--; return FAIL(d, "malformed import kind");
        }
    }
    return 0;
}

/* After the import section (or its absence): size the index spaces' import parts. */
static void
index_imports(decoder *d)
{
    wc_modinfo *m = d->m;
    uint32_t f = 0, t = 0, mem = 0, g = 0;

    m->nfuncs = m->nfunc_imports;
    m->ntables = m->ntable_imports;
    m->nmemories = m->nmemory_imports;
    m->nglobals = m->nglobal_imports;
    m->func_types = wc_arena_calloc(&m->arena, m->nfuncs + 1, sizeof(uint32_t));
    m->tables = wc_arena_calloc(&m->arena, m->ntables + 1, sizeof(*m->tables));
    m->memories = wc_arena_calloc(&m->arena, m->nmemories + 1, sizeof(*m->memories));
    m->global_types = wc_arena_calloc(&m->arena, m->nglobals + 1, sizeof(*m->global_types));
    for (uint32_t i = 0; i < m->nimports; i++) {
        wc_import *im = &m->imports[i];

        switch (im->kind) {
        case EXT_FUNC: m->func_types[f++] = im->u.type; break;
        case EXT_TABLE: m->tables[t++] = im->u.table; break;
        case EXT_MEMORY: m->memories[mem++] = im->u.memory; break;
        case EXT_GLOBAL: m->global_types[g++] = im->u.global; break;
        }
    }
}

static int
sec_function(decoder *d)
{
    wc_modinfo *m = d->m;
    uint32_t n, *types;
    int rc;

    if ((rc = vec_len(d, &n, 1, WC_MAX_FUNCS, "functions")) != 0) {
        return rc;
    }
    types = wc_arena_calloc(&m->arena, m->nfuncs + n + 1, sizeof(uint32_t));
    memcpy(types, m->func_types, m->nfuncs * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t;

        if ((rc = u32(d, &t)) != 0) {
            return rc;
        }
        if (t >= m->ntypes) {
            return FAIL(d, "unknown type");
        }
        types[m->nfuncs + i] = t;
    }
    m->func_types = types;
    m->nfuncs += n;
    d->nfunc_decls = n;
    return 0;
}

static int
sec_table(decoder *d)
{
    wc_modinfo *m = d->m;
    wc_tabletype *tables;
    uint32_t n;
    int rc;

    if ((rc = vec_len(d, &n, 3, WC_MAX_TABLES, "tables")) != 0) {
        return rc;
    }
    tables = wc_arena_calloc(&m->arena, m->ntables + n + 1, sizeof(*tables));
    memcpy(tables, m->tables, m->ntables * sizeof(*tables));
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = tabletype(d, &tables[m->ntables + i])) != 0) {
            return rc;
        }
    }
    m->tables = tables;
    m->ntables += n;
    return 0;
}

static int
sec_memory(decoder *d)
{
    wc_modinfo *m = d->m;
    wc_limits *mems;
    uint32_t n;
    int rc;

    if ((rc = vec_len(d, &n, 2, 1000, "memories")) != 0) {
        return rc;
    }
    mems = wc_arena_calloc(&m->arena, m->nmemories + n + 1, sizeof(*mems));
    memcpy(mems, m->memories, m->nmemories * sizeof(*mems));
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = limits(d, &mems[m->nmemories + i], 1)) != 0 ||
            (rc = check_limits(d, &mems[m->nmemories + i], 1)) != 0) {
            return rc;
        }
    }
    m->memories = mems;
    m->nmemories += n;
    if (m->nmemories > 1) {
        return FAIL(d, "multiple memories");
    }
    return 0;
}

static int
sec_global(decoder *d)
{
    wc_modinfo *m = d->m;
    wc_globaltype *types;
    uint32_t n;
    int rc;

    if ((rc = vec_len(d, &n, 3, WC_MAX_GLOBALS, "globals")) != 0) {
        return rc;
    }
    types = wc_arena_calloc(&m->arena, m->nglobals + n + 1, sizeof(*types));
    memcpy(types, m->global_types, m->nglobals * sizeof(*types));
    m->global_types = types;
    m->globals = wc_arena_calloc(&m->arena, n + 1, sizeof(*m->globals));
    for (uint32_t i = 0; i < n; i++) {
        wc_globaldef *g = &m->globals[i];

        if ((rc = globaltype(d, &g->type)) != 0 ||
            (rc = constexpr(d, g->type.type, &g->init)) != 0) {
            return rc;
        }
        types[m->nglobals + i] = g->type;
    }
    m->nglobals += n;
    return 0;
}

static int
export_cmp(const void *a, const void *b)
{
    const wc_export *x = *(const wc_export *const *)a, *y = *(const wc_export *const *)b;
    int c = memcmp(x->name, y->name, x->name_len < y->name_len ? x->name_len : y->name_len);

    return c != 0 ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int
sec_export(decoder *d)
{
    wc_modinfo *m = d->m;
    int rc;

    if ((rc = vec_len(d, &m->nexports, 3, WC_MAX_EXPORTS, "exports")) != 0) {
        return rc;
    }
    m->exports = wc_arena_calloc(&m->arena, m->nexports + 1, sizeof(*m->exports));
    for (uint32_t i = 0; i < m->nexports; i++) {
        wc_export *e = &m->exports[i];
        uint32_t limit = 0;

        if ((rc = name_n(d, &e->name, &e->name_len)) != 0 || (rc = u8(d, &e->kind)) != 0 ||
            (rc = u32(d, &e->index)) != 0) {
            return rc;
        }
        switch (e->kind) {
        case EXT_FUNC: limit = m->nfuncs; break;
        case EXT_TABLE: limit = m->ntables; break;
        case EXT_MEMORY: limit = m->nmemories; break;
        case EXT_GLOBAL: limit = m->nglobals; break;
        default: return FAIL(d, "malformed export kind");
        }
        if (e->index >= limit) {
            static const char *what[] = {"unknown function", "unknown table", "unknown memory",
                                         "unknown global"};

            return FAIL(d, what[e->kind]);
        }
        if (e->kind == EXT_FUNC) {
            m->declared_refs[e->index] = 1;
        }
    }
    /* Export names must be unique: sort a copy of the pointers and compare neighbours. */
    if (m->nexports > 1) {
        const wc_export **names = wc_xmalloc(m->nexports * sizeof(*names));
        int dup = 0;

        for (uint32_t i = 0; i < m->nexports; i++) {
            names[i] = &m->exports[i];
        }
        qsort(names, m->nexports, sizeof(*names), export_cmp);
        for (uint32_t i = 1; i < m->nexports && !dup; i++) {
            dup = export_cmp(&names[i - 1], &names[i]) == 0;
        }
        free(names);
        if (dup) {
            return FAIL(d, "duplicate export name");
        }
    }
    return 0;
}

static int
sec_start(decoder *d)
{
    wc_modinfo *m = d->m;
    const wc_ftype *t;
    int rc;

    if ((rc = u32(d, &m->start)) != 0) {
        return rc;
    }
    if (m->start >= m->nfuncs) {
        return FAIL(d, "unknown function");
    }
    t = wc_modinfo_functype(m, m->start);
    if (t->nparams != 0 || t->nresults != 0) {
        return FAIL(d, "start function must have type [] -> []");
    }
    m->has_start = 1;
    return 0;
}

static int
sec_elem(decoder *d)
{
    wc_modinfo *m = d->m;
    int rc;

    if ((rc = vec_len(d, &m->nelems, 2, WC_MAX_SEGMENTS, "element segments")) != 0) {
        return rc;
    }
    m->elems = wc_arena_calloc(&m->arena, m->nelems + 1, sizeof(*m->elems));
    for (uint32_t i = 0; i < m->nelems; i++) {
        wc_elemseg *e = &m->elems[i];
        uint32_t flags = 0;
        int exprs;

        if ((rc = u32(d, &flags)) != 0) {
            return rc;
        }
        if (flags > 7) {
            return FAIL(d, "malformed elements segment kind");
        }
        exprs = (flags & 4) != 0;
        e->type = WT_FUNCREF;
        e->mode = (flags & 1) ? ((flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE) : SEG_ACTIVE;
        if (e->mode == SEG_ACTIVE) {
            if ((flags & 2) && (rc = u32(d, &e->table)) != 0) {
                return rc;
            }
            if (e->table >= m->ntables) {
                return FAIL(d, "unknown table");
            }
            if ((rc = constexpr(d, WT_I32, &e->offset)) != 0) {
                return rc;
            }
        }
        if (flags & 3) {
            /* An element kind (0x00 = funcref) or, with expressions, a reference type. */
            if (exprs) {
                if ((rc = reftype(d, &e->type)) != 0) {
                    return rc;
                }
            } else {
                uint8_t kind = 0;

                if ((rc = u8(d, &kind)) != 0) {
                    return rc;
                }
                if (kind != 0) {
                    d->r.p--;
                    return FAIL(d, "malformed element kind");
                }
            }
        }
        if ((rc = vec_len(d, &e->count, 1, WC_MAX_TABLE_ELEMS, "elements")) != 0) {
            return rc;
        }
        e->items = wc_arena_calloc(&m->arena, e->count + 1, sizeof(*e->items));
        for (uint32_t k = 0; k < e->count; k++) {
            if (exprs) {
                if ((rc = constexpr(d, e->type, &e->items[k])) != 0) {
                    return rc;
                }
            } else {
                uint32_t f = 0;

                if ((rc = u32(d, &f)) != 0) {
                    return rc;
                }
                if (f >= m->nfuncs) {
                    return FAIL(d, "unknown function");
                }
                m->declared_refs[f] = 1;
                e->items[k].op = CE_REF_FUNC;
                e->items[k].u.index = f;
            }
        }
        if (e->mode == SEG_ACTIVE && m->tables[e->table].elem != e->type) {
            return FAIL(d, "type mismatch (element segment and table)");
        }
    }
    return 0;
}

static int
sec_datacount(decoder *d)
{
    int rc = u32(d, &d->m->ndatas);

    if (rc == 0) {
        d->m->has_datacount = 1;
        if (d->m->ndatas > WC_MAX_SEGMENTS) {
            return wc_error_set(d->err, WC_ELIMIT, "too many data segments (%u)", d->m->ndatas);
        }
    }
    return rc;
}

static int
sec_code(decoder *d)
{
    wc_modinfo *m = d->m;
    uint32_t n;
    int rc;

    if ((rc = vec_len(d, &n, 2, WC_MAX_FUNCS, "function bodies")) != 0) {
        return rc;
    }
    if (n != d->nfunc_decls) {
        return FAIL(d, "function and code section have inconsistent lengths");
    }
    m->bodies = wc_arena_calloc(&m->arena, n + 1, sizeof(*m->bodies));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size;

        if ((rc = u32(d, &size)) != 0) {
            return rc;
        }
        if (size > (size_t)(d->r.end - d->r.p)) {
            return FAIL(d, "unexpected end (function body size out of bounds)");
        }
        if (size > WC_MAX_FUNC_SIZE) {
            return wc_error_set(d->err, WC_ELIMIT, "function %u is too large (%u bytes)",
                                m->nfunc_imports + i, size);
        }
        m->bodies[i].code = d->r.p;
        m->bodies[i].len = size;
        d->r.p += size;
    }
    return 0;
}

static int
sec_data(decoder *d)
{
    wc_modinfo *m = d->m;
    uint32_t n;
    int rc;

    if ((rc = vec_len(d, &n, 2, WC_MAX_SEGMENTS, "data segments")) != 0) {
        return rc;
    }
    if (m->has_datacount && n != m->ndatas) {
        return FAIL(d, "data count and data section have inconsistent lengths");
    }
    m->ndatas = n;
    m->datas = wc_arena_calloc(&m->arena, n + 1, sizeof(*m->datas));
    for (uint32_t i = 0; i < n; i++) {
        wc_dataseg *s = &m->datas[i];
        uint32_t flags = 0, len = 0;

        if ((rc = u32(d, &flags)) != 0) {
            return rc;
        }
        if (flags > 2) {
            return FAIL(d, "malformed data segment kind");
        }
        s->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
        if (flags == 2 && (rc = u32(d, &s->memory)) != 0) {
            return rc;
        }
        if (s->mode == SEG_ACTIVE) {
            if (s->memory >= m->nmemories) {
                return FAIL(d, "unknown memory");
            }
            if ((rc = constexpr(d, WT_I32, &s->offset)) != 0) {
                return rc;
            }
        }
        if ((rc = u32(d, &len)) != 0) {
            return rc;
        }
        if (len > (size_t)(d->r.end - d->r.p)) {
            return FAIL(d, "unexpected end of section or function (data segment length)");
        }
        s->bytes = d->r.p;
        s->len = len;
        d->r.p += len;
    }
    return 0;
}

/* Rank of each known section id in the required order (datacount sits before code). */
static int
section_rank(uint8_t id)
{
    static const int rank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

    return id < sizeof(rank) / sizeof(rank[0]) ? rank[id] : -1;
}

static const char *const section_names[] = {"custom", "type",   "import",    "function", "table",
                                            "memory", "global", "export",    "start",    "element",
                                            "code",   "data",   "data count"};

int
wc_modinfo_decode(const uint8_t *bytes, size_t len, wc_modinfo **out, wc_error *err)
{
    static const uint8_t magic[4] = {0, 'a', 's', 'm'};
    static const uint8_t version[4] = {1, 0, 0, 0};
    wc_modinfo *m = wc_xcalloc(1, sizeof(*m));
    decoder d = {.m = m, .err = err, .section = "header"};
    int rc = 0, last_rank = 0, imports_indexed = 0;

    wc_arena_init(&m->arena, 64 * 1024);
    m->bytes = wc_xmemdup(bytes, len);
    m->len = len;
    d.r.base = d.r.p = m->bytes;
    d.r.end = m->bytes + len;

    if (len < 4 || memcmp(m->bytes, magic, 4) != 0) {
        rc = wc_error_set(err, WC_EINVAL, "magic header not detected (not a WebAssembly module)");
        goto out;
    }
    if (len < 8) {
        rc = wc_error_set(err, WC_EINVAL, "unexpected end (truncated header)");
        goto out;
    }
    if (memcmp(m->bytes + 4, version, 4) != 0) {
        rc = wc_error_set(err, WC_EINVAL,
                          memcmp(m->bytes + 4, "\x0d\x00\x01\x00", 4) == 0
                              ? "unknown binary version: this is a component, not a core module"
                              : "unknown binary version");
        goto out;
    }
    d.r.p += 8;

    while (d.r.p < d.r.end) {
        uint8_t id;
        uint32_t size;
        const uint8_t *end_of_file = d.r.end;
        int rank;

        d.section = "header";
        if ((rc = u8(&d, &id)) != 0 || (rc = u32(&d, &size)) != 0) {
            goto out;
        }
        rank = section_rank(id);
        if (rank < 0) {
            rc = wc_error_set(err, WC_EINVAL, "malformed section id %u at offset %zu", id,
                              off(&d) - 1);
            goto out;
        }
        d.section = section_names[id];
        if (size > (size_t)(d.r.end - d.r.p)) {
            rc = FAIL(&d, "section size mismatch (unexpected end: section extends past the end)");
            goto out;
        }
        if (id != 0) {
            if (rank <= last_rank) {
                rc = FAIL(&d, "unexpected content after last section (sections out of order or "
                              "repeated)");
                goto out;
            }
            last_rank = rank;
        }
        if (rank > 2 && !imports_indexed) {
            index_imports(&d);
            imports_indexed = 1;
        }
        if (rank > 3 && m->declared_refs == NULL) {
            m->declared_refs = wc_arena_calloc(&m->arena, m->nfuncs + 1, 1);
        }
        d.r.end = d.r.p + size;
        switch (id) {
        case 0: {
            const char *ignored;

            rc = name(&d, &ignored);
            d.r.p = d.r.end;
            break;
        }
        case 1: rc = sec_type(&d); break;
        case 2: rc = sec_import(&d); break;
        case 3: rc = sec_function(&d); break;
        case 4: rc = sec_table(&d); break;
        case 5: rc = sec_memory(&d); break;
        case 6: rc = sec_global(&d); break;
        case 7: rc = sec_export(&d); break;
        case 8: rc = sec_start(&d); break;
        case 9: rc = sec_elem(&d); break;
        case 10: rc = sec_code(&d); break;
        case 11: rc = sec_data(&d); break;
        case 12: rc = sec_datacount(&d); break;
        }
        if (rc != 0) {
            goto out;
        }
        if (d.r.p != d.r.end) {
            rc = FAIL(&d, "section size mismatch");
            goto out;
        }
        d.r.end = end_of_file;
    }
    d.section = "end";
    if (!imports_indexed) {
        index_imports(&d);
    }
    if (m->declared_refs == NULL) {
        m->declared_refs = wc_arena_calloc(&m->arena, m->nfuncs + 1, 1);
    }
    if (d.nfunc_decls != 0 && m->bodies == NULL) {
        rc = wc_error_set(err, WC_EINVAL, "function and code section have inconsistent lengths");
        goto out;
    }
    if (m->has_datacount && m->datas == NULL && m->ndatas != 0) {
        rc = wc_error_set(err, WC_EINVAL, "data count and data section have inconsistent lengths");
        goto out;
    }

    /* Escaping functions get per-instance function objects. */
    m->escape_index = wc_arena_alloc(&m->arena, (m->nfuncs + 1) * sizeof(uint32_t));
    for (uint32_t f = 0; f < m->nfuncs; f++) {
        m->escape_index[f] = UINT32_MAX;
        if (f >= m->nfunc_imports && m->declared_refs[f]) {
            m->escape_index[f] = m->nescaped++;
        }
    }
    m->escaped = wc_arena_alloc(&m->arena, (m->nescaped + 1) * sizeof(uint32_t));
    for (uint32_t f = 0; f < m->nfuncs; f++) {
        if (m->escape_index[f] != UINT32_MAX) {
            m->escaped[m->escape_index[f]] = f;
        }
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        wc_elemseg *e = &m->elems[i];
        uint32_t k;

        for (k = 0; k < e->count && e->items[k].op == CE_REF_FUNC; k++) {
        }
        if (k < e->count || m->nfuncs >= ELEM_IMPORT) {
            continue;
        }
        e->slots = wc_arena_alloc(&m->arena, (e->count + 1) * sizeof(uint32_t));
        for (k = 0; k < e->count; k++) {
            uint32_t f = e->items[k].u.index;

            e->slots[k] = f < m->nfunc_imports ? f | ELEM_IMPORT : m->escape_index[f];
        }
    }
out:
    if (rc != 0) {
        wc_modinfo_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void
wc_modinfo_free(wc_modinfo *m)
{
    if (m == NULL) {
        return;
    }
    wc_arena_release(&m->arena);
    free(m->bytes);
    free(m);
}
