/*
 * cparse.c - the component binary format (docs/component-model-notes.md §1).
 *
 * One pass over the sections, in order, keeping each definition and a static
 * picture of every index space: the ctype of each type, function and
 * instance, and counts of the core spaces. Scopes nest: a nested component
 * and every component/instance type body start with empty spaces and see
 * their parents only through outer aliases.
 */
#include "component/cparse.h"

#include "base/vec.h"
#include "base/xalloc.h"
#include "engine/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the parser knows about one index space entry of a scope. */
typedef struct scope {
    struct scope *parent;
    ccomp *comp; /* NULL inside a type body */
    WC_VEC(const ctype *) types;
    WC_VEC(const ctype *) funcs;     /* func types */
    WC_VEC(const ctype *) instances; /* instance types (CT_INSTANCE) */
    WC_VEC(const ccomp *) components;
    WC_VEC(const ctype *) comptypes; /* component types of imported components */
    uint32_t ncore_funcs, ncore_tables, ncore_memories, ncore_globals, ncore_types;
    uint32_t ncore_instances, ncore_modules;
    WC_VEC(cdecl) decls; /* inside a type body: its imports/exports */
    WC_VEC(cdef) defs;   /* inside a component */
    uint32_t ids;        /* ctype ids handed out */
} scope;

typedef struct parser {
    wc_reader r;
    wc_arena *arena;
    wc_error *err;
    const char *section;
    int depth;
} parser;

static int
fail(parser *p, int code, const char *what)
{
    return wc_error_set(p->err, code, "%s (component %s section, offset %zu)", what, p->section,
                        (size_t)(p->r.p - p->r.base));
}

#define MALFORMED(p, what)   fail((p), WC_EINVAL, (what))
#define UNSUPPORTED(p, what) fail((p), WC_ENOTSUP, (what))

static int
byte(parser *p, uint8_t *out)
{
    *out = 0;
    if (p->r.p >= p->r.end) {
        return MALFORMED(p, "unexpected end");
    }
    *out = *p->r.p++;
    return 0;
}

static int
peek(parser *p, uint8_t *out)
{
    *out = 0;
    if (p->r.p >= p->r.end) {
        return MALFORMED(p, "unexpected end");
    }
    *out = *p->r.p;
    return 0;
}

static int
u32(parser *p, uint32_t *out)
{
    *out = 0;
    if (wc__read_u32(&p->r, out) != 0) {
        return MALFORMED(p, p->r.p >= p->r.end ? "unexpected end" : "malformed LEB128 integer");
    }
    return 0;
}

static int
count(parser *p, uint32_t *n)
{
    int rc = u32(p, n);

    if (rc == 0 && *n > (size_t)(p->r.end - p->r.p)) {
        return MALFORMED(p, "length out of bounds");
    }
    return rc;
}

static int
name(parser *p, const char **out)
{
    uint32_t n;
    int rc = u32(p, &n);

    if (rc != 0) {
        return rc;
    }
    if (n > (size_t)(p->r.end - p->r.p)) {
        return MALFORMED(p, "unexpected end (name)");
    }
    if (memchr(p->r.p, 0, n) != NULL) {
        return MALFORMED(p, "name contains a NUL byte");
    }
    *out = wc_arena_strndup(p->arena, (const char *)p->r.p, n);
    p->r.p += n;
    return 0;
}

/* importname'/exportname': a 0x00 or 0x01 discriminator, then the name. */
static int
extname(parser *p, const char **out)
{
    uint8_t b;
    int rc = byte(p, &b);

    if (rc != 0) {
        return rc;
    }
    if (b > 1) {
        return MALFORMED(p, "malformed import/export name discriminator");
    }
    return name(p, out);
}

static int
check_index(parser *p, uint32_t idx, uint32_t n, const char *space)
{
    char msg[96];

    if (idx < n) {
        return 0;
    }
    snprintf(msg, sizeof(msg), "unknown %s %u (only %u defined)", space, idx, n);
    return MALFORMED(p, msg);
}

/* ---- types and their ABI ---- */

static ctype *
new_type(parser *p, scope *s, uint8_t kind)
{
    ctype *t = wc_arena_calloc(p->arena, 1, sizeof(*t));

    t->kind = kind;
    t->dtor = UINT32_MAX;
    t->id = s->ids++;
    return t;
}

static uint32_t
align_to(uint32_t x, uint32_t a)
{
    return (x + a - 1) & ~(a - 1);
}

static uint8_t
join(uint8_t a, uint8_t b)
{
    if (a == b) {
        return a;
    }
    if ((a == FT_I32 && b == FT_F32) || (a == FT_F32 && b == FT_I32)) {
        return FT_I32;
    }
    return FT_I64;
}

static void
set_flat(parser *p, ctype *t, const uint8_t *flat, uint32_t n)
{
    uint8_t *f = wc_arena_alloc(p->arena, n + 1);

    memcpy(f, flat, n);
    t->flat = f;
    t->nflat = n;
}

static void
abi_primitive(parser *p, ctype *t)
{
    uint8_t f = FT_I32;

    switch (t->kind) {
    case CT_BOOL:
    case CT_S8:
    case CT_U8: t->size = t->align = 1; break;
    case CT_S16:
    case CT_U16: t->size = t->align = 2; break;
    case CT_S32:
    case CT_U32:
    case CT_CHAR:
    case CT_OWN:
    case CT_BORROW: t->size = t->align = 4; break;
    case CT_S64:
    case CT_U64:
        t->size = t->align = 8;
        f = FT_I64;
        break;
    case CT_F32:
        t->size = t->align = 4;
        f = FT_F32;
        break;
    case CT_F64:
        t->size = t->align = 8;
        f = FT_F64;
        break;
    }
    set_flat(p, t, &f, 1);
}

/* Records and tuples. */
static void
abi_record(parser *p, ctype *t)
{
    uint32_t s = 0, a = 1, nflat = 0;
    uint8_t *flat;

    for (uint32_t i = 0; i < t->n; i++) {
        const ctype *f = t->elems[i];

        s = align_to(s, f->align) + f->size;
        if (f->align > a) {
            a = f->align;
        }
        nflat += f->nflat;
        t->contains_ptr |= f->contains_ptr;
        t->contains_borrow |= f->contains_borrow;
    }
    t->align = a;
    t->size = align_to(s, a);
    flat = wc_arena_alloc(p->arena, nflat + 1);
    nflat = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        memcpy(flat + nflat, t->elems[i]->flat, t->elems[i]->nflat);
        nflat += t->elems[i]->nflat;
    }
    t->flat = flat;
    t->nflat = nflat;
}

/* Variant-like types: variant, enum, option, result. */
static void
abi_variant(parser *p, ctype *t)
{
    uint32_t ncases = wc_ctype_ncases(t), disc = wc_ctype_disc_size(ncases);
    uint32_t case_align = 1, case_size = 0, nflat = 0;
    uint8_t *flat;

    for (uint32_t c = 0; c < ncases; c++) {
        const ctype *pt = wc_ctype_case(t, c);

        if (pt == NULL) {
            continue;
        }
        if (pt->align > case_align) {
            case_align = pt->align;
        }
        if (pt->size > case_size) {
            case_size = pt->size;
        }
        if (pt->nflat > nflat) {
            nflat = pt->nflat;
        }
        t->contains_ptr |= pt->contains_ptr;
        t->contains_borrow |= pt->contains_borrow;
    }
    t->align = disc > case_align ? disc : case_align;
    t->size = align_to(align_to(disc, case_align) + case_size, t->align);
    flat = wc_arena_calloc(p->arena, nflat + 2, 1);
    flat[0] = FT_I32;
    for (uint32_t c = 0; c < ncases; c++) {
        const ctype *pt = wc_ctype_case(t, c);

        for (uint32_t i = 0; pt != NULL && i < pt->nflat; i++) {
            flat[1 + i] = flat[1 + i] == 0 ? pt->flat[i] : join(flat[1 + i], pt->flat[i]);
        }
    }
    t->flat = flat;
    t->nflat = nflat + 1;
}

static void
abi_compute(parser *p, ctype *t)
{
    static const uint8_t two[2] = {FT_I32, FT_I32};

    switch (t->kind) {
    case CT_STRING:
    case CT_LIST:
        t->size = 8;
        t->align = 4;
        t->contains_ptr = 1;
        if (t->kind == CT_LIST) {
            t->contains_borrow = t->elems[0]->contains_borrow;
        }
        set_flat(p, t, two, 2);
        break;
    case CT_RECORD:
    case CT_TUPLE: abi_record(p, t); break;
    case CT_VARIANT:
    case CT_ENUM:
    case CT_OPTION:
    case CT_RESULT: abi_variant(p, t); break;
    case CT_FLAGS: {
        uint8_t f = FT_I32;

        t->size = t->align = t->n <= 8 ? 1 : t->n <= 16 ? 2 : 4;
        set_flat(p, t, &f, 1);
        break;
    }
    case CT_BORROW:
        t->contains_borrow = 1;
        abi_primitive(p, t);
        break;
    default: abi_primitive(p, t); break;
    }
}

static int
is_primitive_byte(uint8_t b)
{
    return b >= 0x73 && b <= 0x7f;
}

static const ctype *
primitive(parser *p, uint8_t b)
{
    ctype *t = wc_arena_calloc(p->arena, 1, sizeof(*t));
    t->kind = b;
    t->dtor = UINT32_MAX;
    abi_primitive(p, t);
    if (b == CT_STRING) {
        abi_compute(p, t);
    }
    return t;
}

/* valtype ::= primvaltype | typeidx (s33) */
static int
valtype(parser *p, scope *s, const ctype **out)
{
    uint8_t b;
    int64_t idx;
    int rc;

    if ((rc = peek(p, &b)) != 0) {
        return rc;
    }
    if (is_primitive_byte(b)) {
        p->r.p++;
        *out = primitive(p, b);
        return 0;
    }
    if (b == 0x64) {
        return UNSUPPORTED(p, "error-context values are not supported (async component model)");
    }
    if (wc__read_s33(&p->r, &idx) != 0 || idx < 0) {
        return MALFORMED(p, "malformed value type");
    }
    if ((rc = check_index(p, (uint32_t)idx, (uint32_t)s->types.n, "type")) != 0) {
        return rc;
    }
    *out = s->types.v[idx];
    if (!wc_ctype_is_value(*out)) {
        return MALFORMED(p, "type mismatch: expected a value type");
    }
    return 0;
}

static int
opt_valtype(parser *p, scope *s, const ctype **out)
{
    uint8_t b;
    int rc = byte(p, &b);

    if (rc != 0) {
        return rc;
    }
    *out = NULL;
    if (b == 0x00) {
        return 0;
    }
    if (b != 0x01) {
        return MALFORMED(p, "malformed optional value type");
    }
    return valtype(p, s, out);
}

static int
labels(parser *p, ctype *t)
{
    int rc;

    if ((rc = count(p, &t->n)) != 0) {
        return rc;
    }
    t->names = wc_arena_calloc(p->arena, t->n + 1, sizeof(char *));
    for (uint32_t i = 0; i < t->n; i++) {
        if ((rc = name(p, &t->names[i])) != 0) {
            return rc;
        }
    }
    return 0;
}

static int
resource_ref(parser *p, scope *s, ctype *t)
{
    uint32_t idx;
    int rc;

    if ((rc = u32(p, &idx)) != 0 || (rc = check_index(p, idx, (uint32_t)s->types.n, "type")) != 0) {
        return rc;
    }
    t->res = s->types.v[idx];
    if (t->res->kind != CT_RESOURCE && t->res->kind != CT_ABSTRACT) {
        return MALFORMED(p, "type mismatch: own/borrow of something that is not a resource");
    }
    return 0;
}

static int deftype(parser *p, scope *s, const ctype **out);

static int
defvaltype(parser *p, scope *s, uint8_t b, const ctype **out)
{
    ctype *t;
    int rc = 0;

    if (is_primitive_byte(b)) {
        *out = primitive(p, b);
        return 0;
    }
    t = new_type(p, s, b);
    switch (b) {
    case CT_RECORD:
        if ((rc = count(p, &t->n)) != 0) {
            return rc;
        }
        if (t->n == 0) {
            return MALFORMED(p, "record type must have at least one field");
        }
        t->names = wc_arena_calloc(p->arena, t->n + 1, sizeof(char *));
        t->elems = wc_arena_calloc(p->arena, t->n + 1, sizeof(ctype *));
        for (uint32_t i = 0; i < t->n && rc == 0; i++) {
            if ((rc = name(p, &t->names[i])) == 0) {
                rc = valtype(p, s, &t->elems[i]);
            }
        }
        break;
    case CT_VARIANT:
        if ((rc = count(p, &t->n)) != 0) {
            return rc;
        }
        if (t->n == 0) {
            return MALFORMED(p, "variant type must have at least one case");
        }
        t->names = wc_arena_calloc(p->arena, t->n + 1, sizeof(char *));
        t->elems = wc_arena_calloc(p->arena, t->n + 1, sizeof(ctype *));
        for (uint32_t i = 0; i < t->n && rc == 0; i++) {
            uint8_t refines;

            if ((rc = name(p, &t->names[i])) != 0 || (rc = opt_valtype(p, s, &t->elems[i])) != 0 ||
                (rc = byte(p, &refines)) != 0) {
                break;
            }
            if (refines != 0) {
                return UNSUPPORTED(p, "variant case refinements are not supported");
            }
        }
        break;
    case CT_LIST:
        t->n = 1;
        t->elems = wc_arena_calloc(p->arena, 1, sizeof(ctype *));
        rc = valtype(p, s, &t->elems[0]);
        break;
    case CT_TUPLE:
        if ((rc = count(p, &t->n)) != 0) {
            return rc;
        }
        if (t->n == 0) {
            return MALFORMED(p, "tuple type must have at least one element");
        }
        t->elems = wc_arena_calloc(p->arena, t->n + 1, sizeof(ctype *));
        for (uint32_t i = 0; i < t->n && rc == 0; i++) {
            rc = valtype(p, s, &t->elems[i]);
        }
        break;
    case CT_FLAGS:
        if ((rc = labels(p, t)) != 0) {
            return rc;
        }
        if (t->n == 0 || t->n > 32) {
            return MALFORMED(p, "flags type must have 1 to 32 labels");
        }
        break;
    case CT_ENUM:
        if ((rc = labels(p, t)) != 0) {
            return rc;
        }
        if (t->n == 0) {
            return MALFORMED(p, "enum type must have at least one case");
        }
        break;
    case CT_OPTION:
        t->n = 1;
        t->elems = wc_arena_calloc(p->arena, 1, sizeof(ctype *));
        rc = valtype(p, s, &t->elems[0]);
        break;
    case CT_RESULT:
        t->n = 2;
        t->elems = wc_arena_calloc(p->arena, 2, sizeof(ctype *));
        if ((rc = opt_valtype(p, s, &t->elems[0])) == 0) {
            rc = opt_valtype(p, s, &t->elems[1]);
        }
        break;
    case CT_OWN:
    case CT_BORROW: rc = resource_ref(p, s, t); break;
    case 0x67: return UNSUPPORTED(p, "fixed-size lists are not supported");
    case 0x66:
    case 0x65: return UNSUPPORTED(p, "stream and future types are not supported (async)");
    case 0x63: return UNSUPPORTED(p, "map types are not supported");
    default: {
        char msg[64];

        snprintf(msg, sizeof(msg), "malformed type (unknown type constructor 0x%02x)", b);
        p->r.p--;
        return MALFORMED(p, msg);
    }
    }
    if (rc == 0) {
        abi_compute(p, t);
        *out = t;
    }
    return rc;
}

static int
functype(parser *p, scope *s, const ctype **out)
{
    ctype *t = new_type(p, s, CT_FUNC);
    uint8_t b;
    int rc;

    if ((rc = count(p, &t->n)) != 0) {
        return rc;
    }
    t->names = wc_arena_calloc(p->arena, t->n + 1, sizeof(char *));
    t->elems = wc_arena_calloc(p->arena, t->n + 1, sizeof(ctype *));
    for (uint32_t i = 0; i < t->n; i++) {
        if ((rc = name(p, &t->names[i])) != 0 || (rc = valtype(p, s, &t->elems[i])) != 0) {
            return rc;
        }
    }
    if ((rc = byte(p, &b)) != 0) {
        return rc;
    }
    if (b == 0x00) {
        if ((rc = valtype(p, s, &t->res)) != 0) {
            return rc;
        }
    } else if (b == 0x01) {
        uint32_t n;

        if ((rc = u32(p, &n)) != 0) {
            return rc;
        }
        if (n != 0) {
            return UNSUPPORTED(p, "functions with several named results are not supported "
                                  "(an older component model version)");
        }
    } else {
        return MALFORMED(p, "malformed function result list");
    }
    *out = t;
    return 0;
}

/* Skip a core type (functype or module type): only counted. */
static int
skip_core_type(parser *p)
{
    uint8_t b;
    uint32_t n;
    int rc;

    if ((rc = byte(p, &b)) != 0) {
        return rc;
    }
    if (b == 0x60) {
        for (int k = 0; k < 2; k++) {
            if ((rc = count(p, &n)) != 0) {
                return rc;
            }
            if (n > (size_t)(p->r.end - p->r.p)) {
                return MALFORMED(p, "unexpected end");
            }
            p->r.p += n;
        }
        return 0;
    }
    if (b != 0x50) {
        return UNSUPPORTED(p, "core type other than a function or module type (GC)");
    }
    if ((rc = count(p, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        const char *ignored;
        uint8_t kind;

        if ((rc = byte(p, &kind)) != 0) {
            return rc;
        }
        switch (kind) {
        case 0x00: /* import: module name, field name, importdesc */
            if ((rc = name(p, &ignored)) != 0) {
                return rc;
            }
            /* fallthrough */
        case 0x03: { /* export: name, importdesc */
            uint8_t d;
            uint32_t x;

            if ((rc = name(p, &ignored)) != 0 || (rc = byte(p, &d)) != 0) {
                return rc;
            }
            switch (d) {
            case 0x00: rc = u32(p, &x); break; /* func typeidx */
            case 0x01:                         /* table: reftype limits */
                if ((rc = byte(p, &d)) == 0 && (rc = byte(p, &d)) == 0 && (rc = u32(p, &x)) == 0 &&
                    (d & 1)) {
                    rc = u32(p, &x);
                }
                break;
            case 0x02: /* memory: limits */
                if ((rc = byte(p, &d)) == 0 && (rc = u32(p, &x)) == 0 && (d & 1)) {
                    rc = u32(p, &x);
                }
                break;
            case 0x03: /* global: valtype mut */
                if ((rc = byte(p, &d)) == 0) {
                    rc = byte(p, &d);
                }
                break;
            default: return MALFORMED(p, "malformed core import description in a module type");
            }
            if (rc != 0) {
                return rc;
            }
            break;
        }
        case 0x01:
            if ((rc = skip_core_type(p)) != 0) {
                return rc;
            }
            break;
        case 0x02: { /* outer core type alias: sort 0x10, 0x01, ct, idx */
            uint8_t sb, tb;
            uint32_t x;

            if ((rc = byte(p, &sb)) != 0 || (rc = byte(p, &tb)) != 0 || (rc = u32(p, &x)) != 0 ||
                (rc = u32(p, &x)) != 0) {
                return rc;
            }
            break;
        }
        default: return MALFORMED(p, "malformed module type declaration");
        }
    }
    return 0;
}

static int externdesc(parser *p, scope *s, uint8_t *sort, const ctype **type, int add);
static void name_resource(parser *p, const ctype *t, const char *n);
static int alias(parser *p, scope *s, cdef *d);

/* The body of an instance (0x42) or component (0x41) type: a new scope. */
static int decltype(parser * p, scope *outer, uint8_t kind, const ctype **out)
{
    scope inner;
    ctype *t = new_type(p, outer, kind);
    uint32_t n;
    int rc;

    memset(&inner, 0, sizeof(inner));
    inner.parent = outer;
    inner.ids = outer->ids;
    if ((rc = count(p, &n)) != 0) {
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b;

        if ((rc = byte(p, &b)) != 0) {
            goto done;
        }
        switch (b) {
        case 0x00: /* core type */
            if ((rc = skip_core_type(p)) != 0) {
                goto done;
            }
            inner.ncore_types++;
            break;
        case 0x01: { /* type */
            const ctype *dt;

            if ((rc = deftype(p, &inner, &dt)) != 0) {
                goto done;
            }
            if (dt->kind == CT_RESOURCE) {
                rc = MALFORMED(p, "resource types cannot be defined inside a type");
                goto done;
            }
            wc_vec_push(&inner.types, dt);
            break;
        }
        case 0x02: { /* alias */
            cdef d;

            if ((rc = alias(p, &inner, &d)) != 0) {
                goto done;
            }
            break;
        }
        case 0x03:   /* import (component types only) */
        case 0x04: { /* export */
            cdecl decl;

            if (b == 0x03 && kind != CT_COMPONENT) {
                rc = MALFORMED(p, "import declaration inside an instance type");
                goto done;
            }
            memset(&decl, 0, sizeof(decl));
            decl.is_import = b == 0x03;
            if ((rc = extname(p, &decl.name)) != 0 ||
                (rc = externdesc(p, &inner, &decl.sort, &decl.type, 1)) != 0) {
                goto done;
            }
            name_resource(p, decl.type, decl.name);
            wc_vec_push(&inner.decls, decl);
            break;
        }
        default: rc = MALFORMED(p, "malformed instance or component type declaration"); goto done;
        }
    }
    t->n = (uint32_t)inner.decls.n;
    t->decls = wc_arena_alloc(p->arena, (inner.decls.n + 1) * sizeof(cdecl));
    memcpy((void *)t->decls, inner.decls.v, inner.decls.n * sizeof(cdecl));
    *out = t;
done:
    outer->ids = inner.ids;
    wc_vec_free(&inner.types);
    wc_vec_free(&inner.funcs);
    wc_vec_free(&inner.instances);
    wc_vec_free(&inner.components);
    wc_vec_free(&inner.comptypes);
    wc_vec_free(&inner.decls);
    return rc;
}

/* A type-section entry: resource, func, component, instance, or a value type. */
static int
deftype(parser *p, scope *s, const ctype **out)
{
    uint8_t b;
    int rc = byte(p, &b);

    if (rc != 0) {
        return rc;
    }
    switch (b) {
    case 0x3f: { /* resource (rep i32) (dtor f)? */
        ctype *t = new_type(p, s, CT_RESOURCE);
        uint8_t rep, has;

        if ((rc = byte(p, &rep)) != 0 || (rc = byte(p, &has)) != 0) {
            return rc;
        }
        if (rep != 0x7f) {
            return UNSUPPORTED(p, "resource representation other than i32");
        }
        if (has == 0x01) {
            if ((rc = u32(p, &t->dtor)) != 0 ||
                (rc = check_index(p, t->dtor, s->ncore_funcs, "core func")) != 0) {
                return rc;
            }
        } else if (has != 0x00) {
            return MALFORMED(p, "malformed resource destructor");
        }
        if (s->comp == NULL) {
            return MALFORMED(p, "resource types cannot be defined inside a type");
        }
        *out = t;
        return 0;
    }
    case 0x3e: return UNSUPPORTED(p, "async resource destructors are not supported");
    case 0x40: return functype(p, s, out);
    case 0x43: return UNSUPPORTED(p, "async functions are not supported");
    case 0x41:
    case 0x42: return decltype(p, s, b, out);
    default: return defvaltype(p, s, b, out);
    }
}

/* Give an unnamed resource type the name it is imported or exported as (for messages). */
static void
name_resource(parser *p, const ctype *t, const char *n)
{
    ctype *m = (ctype *)t;

    if (t != NULL && (t->kind == CT_ABSTRACT || t->kind == CT_RESOURCE) && t->names == NULL) {
        const char *slash = strrchr(n, '/');

        m->names = wc_arena_calloc(p->arena, 1, sizeof(char *));
        m->names[0] = slash ? slash + 1 : n;
    }
}

/* Record what an import/export of (sort, type) adds to a scope's spaces. */
static void
add_to_space(scope *s, uint8_t sort, const ctype *type)
{
    switch (sort) {
    case SORT_CORE: s->ncore_modules++; break;
    case SORT_FUNC: wc_vec_push(&s->funcs, type); break;
    case SORT_TYPE: wc_vec_push(&s->types, type); break;
    case SORT_COMPONENT:
        wc_vec_push(&s->components, (const ccomp *)NULL);
        wc_vec_push(&s->comptypes, type);
        break;
    case SORT_INSTANCE: wc_vec_push(&s->instances, type); break;
    }
}

/* externdesc: what an import or export is; adds to the scope's spaces if add. */
static int
externdesc(parser *p, scope *s, uint8_t *sort, const ctype **type, int add)
{
    uint8_t b, c;
    uint32_t idx;
    int rc;

    if ((rc = byte(p, &b)) != 0) {
        return rc;
    }
    *type = NULL;
    switch (b) {
    case 0x00: /* core module: 0x11 typeidx */
        if ((rc = byte(p, &c)) != 0 || (rc = u32(p, &idx)) != 0) {
            return rc;
        }
        if (c != 0x11) {
            return MALFORMED(p, "malformed core module extern description");
        }
        *sort = SORT_CORE;
        break;
    case 0x01: /* func */
    case 0x04: /* component */
    case 0x05: /* instance */
        if ((rc = u32(p, &idx)) != 0 ||
            (rc = check_index(p, idx, (uint32_t)s->types.n, "type")) != 0) {
            return rc;
        }
        *type = s->types.v[idx];
        if ((b == 0x01 && (*type)->kind != CT_FUNC) ||
            (b == 0x04 && (*type)->kind != CT_COMPONENT) ||
            (b == 0x05 && (*type)->kind != CT_INSTANCE)) {
            return MALFORMED(p, "type mismatch in an import or export description");
        }
        *sort = b;
        break;
    case 0x02: return UNSUPPORTED(p, "value imports and exports are not supported");
    case 0x03: /* type bound */
        if ((rc = byte(p, &c)) != 0) {
            return rc;
        }
        if (c == 0x00) {
            if ((rc = u32(p, &idx)) != 0 ||
                (rc = check_index(p, idx, (uint32_t)s->types.n, "type")) != 0) {
                return rc;
            }
            *type = s->types.v[idx];
        } else if (c == 0x01) {
            *type = new_type(p, s, CT_ABSTRACT);
        } else {
            return MALFORMED(p, "malformed type bound");
        }
        *sort = SORT_TYPE;
        break;
    default: return MALFORMED(p, "malformed extern description");
    }
    if (add) {
        add_to_space(s, *sort, *type);
    }
    return 0;
}

static int
sort_bytes(parser *p, uint8_t *sort, uint8_t *csort)
{
    int rc = byte(p, sort);

    *csort = 0;
    if (rc == 0 && *sort == SORT_CORE) {
        rc = byte(p, csort);
    }
    if (rc == 0 && *sort > SORT_INSTANCE) {
        return MALFORMED(p, "malformed sort");
    }
    if (rc == 0 && *sort == SORT_VALUE) {
        return UNSUPPORTED(p, "values are not supported");
    }
    return rc;
}

/* Find an export named n in an instance type. */
static const cdecl *
find_decl(const ctype *inst, const char *n)
{
    for (uint32_t i = 0; inst != NULL && i < inst->n; i++) {
        if (!inst->decls[i].is_import && strcmp(inst->decls[i].name, n) == 0) {
            return &inst->decls[i];
        }
    }
    return NULL;
}

static void
count_core(scope *s, uint8_t csort)
{
    switch (csort) {
    case CSORT_FUNC: s->ncore_funcs++; break;
    case CSORT_TABLE: s->ncore_tables++; break;
    case CSORT_MEMORY: s->ncore_memories++; break;
    case CSORT_GLOBAL: s->ncore_globals++; break;
    case CSORT_TYPE: s->ncore_types++; break;
    case CSORT_MODULE: s->ncore_modules++; break;
    case CSORT_INSTANCE: s->ncore_instances++; break;
    }
}

static int
alias(parser *p, scope *s, cdef *d)
{
    uint8_t target;
    int rc;

    memset(d, 0, sizeof(*d));
    if ((rc = sort_bytes(p, &d->sort, &d->csort)) != 0 || (rc = byte(p, &target)) != 0) {
        return rc;
    }
    switch (target) {
    case 0x00: { /* export of a component instance */
        const cdecl *decl;

        d->kind = D_ALIAS_EXPORT;
        if ((rc = u32(p, &d->a)) != 0 || (rc = name(p, &d->name)) != 0 ||
            (rc = check_index(p, d->a, (uint32_t)s->instances.n, "instance")) != 0) {
            return rc;
        }
        decl = find_decl(s->instances.v[d->a], d->name);
        if (decl == NULL && s->instances.v[d->a] != NULL) {
            char msg[160];

            snprintf(msg, sizeof(msg), "instance %u has no export named \"%s\"", d->a, d->name);
            return MALFORMED(p, msg);
        }
        d->type = decl ? decl->type : NULL;
        if (d->sort == SORT_CORE) {
            d->kind = D_ALIAS_EXPORT;
            s->ncore_modules++;
        } else {
            if (decl != NULL && decl->sort != d->sort) {
                return MALFORMED(p, "alias sort does not match the export");
            }
            add_to_space(s, d->sort, d->type);
        }
        return 0;
    }
    case 0x01: /* export of a core instance */
        d->kind = D_ALIAS_CORE_EXPORT;
        if (d->sort != SORT_CORE) {
            return MALFORMED(p, "core export alias of a non-core sort");
        }
        if ((rc = u32(p, &d->a)) != 0 || (rc = name(p, &d->name)) != 0 ||
            (rc = check_index(p, d->a, s->ncore_instances, "core instance")) != 0) {
            return rc;
        }
        count_core(s, d->csort);
        return 0;
    case 0x02: { /* outer */
        uint32_t ct, idx;
        scope *o = s;

        d->kind = D_ALIAS_OUTER;
        if ((rc = u32(p, &ct)) != 0 || (rc = u32(p, &idx)) != 0) {
            return rc;
        }
        for (uint32_t i = 0; i < ct && o != NULL; i++) {
            o = o->parent;
        }
        if (o == NULL) {
            return MALFORMED(p, "outer alias beyond the outermost component");
        }
        if (d->sort == SORT_TYPE) {
            if ((rc = check_index(p, idx, (uint32_t)o->types.n, "outer type")) != 0) {
                return rc;
            }
            d->type = o->types.v[idx];
            if (d->type->kind == CT_RESOURCE && ct > 0) {
                return MALFORMED(p, "outer alias of a locally defined resource type");
            }
            wc_vec_push(&s->types, d->type);
        } else if (d->sort == SORT_COMPONENT) {
            if ((rc = check_index(p, idx, (uint32_t)o->components.n, "outer component")) != 0) {
                return rc;
            }
            d->outer_comp = o->components.v[idx];
            wc_vec_push(&s->components, d->outer_comp);
            wc_vec_push(&s->comptypes, (const ctype *)NULL);
        } else if (d->sort == SORT_CORE && d->csort == CSORT_MODULE) {
            if (o->comp == NULL || idx >= o->ncore_modules) {
                return MALFORMED(p, "outer alias of an unknown core module");
            }
            d->outer_comp = o->comp;
            d->outer_module = idx;
            s->ncore_modules++;
        } else if (d->sort == SORT_CORE && d->csort == CSORT_TYPE) {
            s->ncore_types++;
        } else {
            return MALFORMED(p, "outer aliases may only name types, modules or components");
        }
        return 0;
    }
    default: return MALFORMED(p, "malformed alias target");
    }
}

/* ---- sections of a component ---- */

static int parse_component(parser *p, const ccomp *parent, scope *parent_scope, ccomp **out);

static void
push_def(scope *s, const cdef *d)
{
    wc_vec_push(&s->defs, *d);
}

static int
sec_core_instance(parser *p, scope *s)
{
    uint32_t n;
    int rc;

    if ((rc = count(p, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        cdef d;
        uint8_t b;
        carg *args;

        memset(&d, 0, sizeof(d));
        if ((rc = byte(p, &b)) != 0) {
            return rc;
        }
        if (b == 0x00) {
            d.kind = D_CORE_INSTANTIATE;
            if ((rc = u32(p, &d.a)) != 0 ||
                (rc = check_index(p, d.a, s->ncore_modules, "core module")) != 0 ||
                (rc = count(p, &d.nargs)) != 0) {
                return rc;
            }
            args = wc_arena_calloc(p->arena, d.nargs + 1, sizeof(*args));
            for (uint32_t k = 0; k < d.nargs; k++) {
                uint8_t sort;

                if ((rc = name(p, &args[k].name)) != 0 || (rc = byte(p, &sort)) != 0 ||
                    (rc = u32(p, &args[k].index)) != 0) {
                    return rc;
                }
                if (sort != CSORT_INSTANCE) {
                    return MALFORMED(p, "core instantiation arguments must be instances");
                }
                args[k].csort = CSORT_INSTANCE;
                if ((rc = check_index(p, args[k].index, s->ncore_instances, "core instance")) !=
                    0) {
                    return rc;
                }
            }
        } else if (b == 0x01) {
            d.kind = D_CORE_EXPORTS;
            if ((rc = count(p, &d.nargs)) != 0) {
                return rc;
            }
            args = wc_arena_calloc(p->arena, d.nargs + 1, sizeof(*args));
            for (uint32_t k = 0; k < d.nargs; k++) {
                uint32_t limit = 0;

                if ((rc = name(p, &args[k].name)) != 0 || (rc = byte(p, &args[k].csort)) != 0 ||
                    (rc = u32(p, &args[k].index)) != 0) {
                    return rc;
                }
                args[k].sort = SORT_CORE;
                switch (args[k].csort) {
                case CSORT_FUNC: limit = s->ncore_funcs; break;
                case CSORT_TABLE: limit = s->ncore_tables; break;
                case CSORT_MEMORY: limit = s->ncore_memories; break;
                case CSORT_GLOBAL: limit = s->ncore_globals; break;
                default: return MALFORMED(p, "malformed core export sort");
                }
                if ((rc = check_index(p, args[k].index, limit, "core item")) != 0) {
                    return rc;
                }
            }
        } else {
            return MALFORMED(p, "malformed core instance expression");
        }
        d.args = args;
        s->ncore_instances++;
        push_def(s, &d);
    }
    return 0;
}

/* The static type of an instance built from inline exports. */
static const ctype *
bag_type(parser *p, scope *s, const carg *args, uint32_t n)
{
    ctype *t = new_type(p, s, CT_INSTANCE);
    cdecl *decls = wc_arena_calloc(p->arena, n + 1, sizeof(*decls));

    for (uint32_t i = 0; i < n; i++) {
        decls[i].name = args[i].name;
        decls[i].sort = args[i].sort;
        switch (args[i].sort) {
        case SORT_FUNC: decls[i].type = s->funcs.v[args[i].index]; break;
        case SORT_TYPE: decls[i].type = s->types.v[args[i].index]; break;
        case SORT_INSTANCE: decls[i].type = s->instances.v[args[i].index]; break;
        default: break;
        }
    }
    t->n = n;
    t->decls = decls;
    return t;
}

static int
check_sort_index(parser *p, scope *s, uint8_t sort, uint8_t csort, uint32_t idx)
{
    switch (sort) {
    case SORT_FUNC: return check_index(p, idx, (uint32_t)s->funcs.n, "func");
    case SORT_TYPE: return check_index(p, idx, (uint32_t)s->types.n, "type");
    case SORT_COMPONENT: return check_index(p, idx, (uint32_t)s->components.n, "component");
    case SORT_INSTANCE: return check_index(p, idx, (uint32_t)s->instances.n, "instance");
    case SORT_CORE:
        if (csort == CSORT_MODULE) {
            return check_index(p, idx, s->ncore_modules, "core module");
        }
        return MALFORMED(p, "only core modules may be passed to or exported from components");
    default: return MALFORMED(p, "malformed sort");
    }
}

/* The static type of an instance of nested component c: its exports. */
static const ctype *
instance_of(parser *p, scope *s, const ccomp *c)
{
    ctype *t = new_type(p, s, CT_INSTANCE);
    cdecl *decls;
    uint32_t n = 0;

    if (c == NULL) {
        return NULL;
    }
    decls = wc_arena_calloc(p->arena, c->nexports + 1, sizeof(*decls));
    for (uint32_t i = 0; i < c->ndefs; i++) {
        const cdef *d = &c->defs[i];

        if (d->kind == D_EXPORT) {
            decls[n].name = d->name;
            decls[n].sort = d->sort;
            decls[n].type = d->type;
            n++;
        }
    }
    t->n = n;
    t->decls = decls;
    return t;
}

static int
sec_instance(parser *p, scope *s)
{
    uint32_t n;
    int rc;

    if ((rc = count(p, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        cdef d;
        uint8_t b;
        carg *args;

        memset(&d, 0, sizeof(d));
        if ((rc = byte(p, &b)) != 0) {
            return rc;
        }
        if (b != 0x00 && b != 0x01) {
            return MALFORMED(p, "malformed instance expression");
        }
        d.kind = b == 0x00 ? D_INSTANTIATE : D_INSTANCE_EXPORTS;
        if (b == 0x00 &&
            ((rc = u32(p, &d.a)) != 0 ||
             (rc = check_index(p, d.a, (uint32_t)s->components.n, "component")) != 0)) {
            return rc;
        }
        if ((rc = count(p, &d.nargs)) != 0) {
            return rc;
        }
        args = wc_arena_calloc(p->arena, d.nargs + 1, sizeof(*args));
        for (uint32_t k = 0; k < d.nargs; k++) {
            if ((rc = (b == 0x00 ? name(p, &args[k].name) : extname(p, &args[k].name))) != 0 ||
                (rc = sort_bytes(p, &args[k].sort, &args[k].csort)) != 0 ||
                (rc = u32(p, &args[k].index)) != 0 ||
                (rc = check_sort_index(p, s, args[k].sort, args[k].csort, args[k].index)) != 0) {
                return rc;
            }
        }
        d.args = args;
        if (b == 0x00) {
            const ccomp *c = s->components.v[d.a];

            if (c == NULL) {
                return UNSUPPORTED(p, "instantiating an imported component is not supported");
            }
            d.type = instance_of(p, s, c);
        } else {
            d.type = bag_type(p, s, args, d.nargs);
        }
        wc_vec_push(&s->instances, d.type);
        push_def(s, &d);
    }
    return 0;
}

static int
canonopts(parser *p, scope *s, copts *o)
{
    uint32_t n;
    int rc, have_enc = 0;

    o->encoding = ENC_UTF8;
    o->memory = o->realloc = o->post_return = UINT32_MAX;
    if ((rc = count(p, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b;

        if ((rc = byte(p, &b)) != 0) {
            return rc;
        }
        switch (b) {
        case 0x00:
        case 0x01:
        case 0x02:
            if (have_enc++) {
                return MALFORMED(p, "canonical option string-encoding given twice");
            }
            o->encoding = b;
            break;
        case 0x03:
            if (o->memory != UINT32_MAX) {
                return MALFORMED(p, "canonical option memory given twice");
            }
            if ((rc = u32(p, &o->memory)) != 0 ||
                (rc = check_index(p, o->memory, s->ncore_memories, "core memory")) != 0) {
                return rc;
            }
            break;
        case 0x04:
        case 0x05: {
            uint32_t *f = b == 0x04 ? &o->realloc : &o->post_return;

            if (*f != UINT32_MAX) {
                return MALFORMED(p, "canonical option realloc/post-return given twice");
            }
            if ((rc = u32(p, f)) != 0 ||
                (rc = check_index(p, *f, s->ncore_funcs, "core func")) != 0) {
                return rc;
            }
            break;
        }
        default: {
            char msg[96];

            snprintf(msg, sizeof(msg),
                     "canonical option 0x%02x is not supported (async or GC options)", b);
            return UNSUPPORTED(p, msg);
        }
        }
    }
    if (o->realloc != UINT32_MAX && o->memory == UINT32_MAX) {
        return MALFORMED(p, "canonical option realloc requires memory");
    }
    return 0;
}

static int
sec_canon(parser *p, scope *s)
{
    uint32_t n;
    int rc;

    if ((rc = count(p, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        cdef d;
        uint8_t op, sub;
        uint32_t idx;

        memset(&d, 0, sizeof(d));
        if ((rc = byte(p, &op)) != 0) {
            return rc;
        }
        switch (op) {
        case 0x00: /* lift: 0x00 core-func opts type */
            d.kind = D_CANON_LIFT;
            if ((rc = byte(p, &sub)) != 0 || (rc = u32(p, &d.a)) != 0 ||
                (rc = check_index(p, d.a, s->ncore_funcs, "core func")) != 0 ||
                (rc = canonopts(p, s, &d.opts)) != 0 || (rc = u32(p, &idx)) != 0 ||
                (rc = check_index(p, idx, (uint32_t)s->types.n, "type")) != 0) {
                return rc;
            }
            if (sub != 0x00) {
                return MALFORMED(p, "malformed canon lift");
            }
            d.type = s->types.v[idx];
            if (d.type->kind != CT_FUNC) {
                return MALFORMED(p, "canon lift needs a function type");
            }
            wc_vec_push(&s->funcs, d.type);
            break;
        case 0x01: /* lower: 0x00 func opts */
            d.kind = D_CANON_LOWER;
            if ((rc = byte(p, &sub)) != 0 || (rc = u32(p, &d.a)) != 0 ||
                (rc = check_index(p, d.a, (uint32_t)s->funcs.n, "func")) != 0 ||
                (rc = canonopts(p, s, &d.opts)) != 0) {
                return rc;
            }
            if (sub != 0x00) {
                return MALFORMED(p, "malformed canon lower");
            }
            if (d.opts.post_return != UINT32_MAX) {
                return MALFORMED(p, "canon lower cannot have a post-return option");
            }
            d.type = s->funcs.v[d.a];
            s->ncore_funcs++;
            break;
        case 0x02:
        case 0x03:
        case 0x04:
            d.kind = op == 0x02 ? D_RESOURCE_NEW : op == 0x03 ? D_RESOURCE_DROP : D_RESOURCE_REP;
            if ((rc = u32(p, &idx)) != 0 ||
                (rc = check_index(p, idx, (uint32_t)s->types.n, "type")) != 0) {
                return rc;
            }
            d.type = s->types.v[idx];
            if (d.type->kind != CT_RESOURCE && d.type->kind != CT_ABSTRACT) {
                return MALFORMED(p, "canon resource builtin of something that is not a resource");
            }
            if (op != 0x03 && d.type->kind != CT_RESOURCE) {
                return MALFORMED(p,
                                 "resource.new and resource.rep need a locally defined resource");
            }
            s->ncore_funcs++;
            break;
        default: {
            char msg[128];

            snprintf(msg, sizeof(msg),
                     "canonical built-in 0x%02x is not supported (async, threads or "
                     "error-context)",
                     op);
            return UNSUPPORTED(p, msg);
        }
        }
        push_def(s, &d);
    }
    return 0;
}

static int
sec_import(parser *p, scope *s)
{
    uint32_t n;
    int rc;

    if ((rc = count(p, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        cdef d;

        memset(&d, 0, sizeof(d));
        d.kind = D_IMPORT;
        if ((rc = extname(p, &d.name)) != 0 || (rc = externdesc(p, s, &d.sort, &d.type, 1)) != 0) {
            return rc;
        }
        name_resource(p, d.type, d.name);
        s->comp->nimports++;
        push_def(s, &d);
    }
    return 0;
}

static int
sec_export(parser *p, scope *s)
{
    uint32_t n;
    int rc;

    if ((rc = count(p, &n)) != 0) {
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        cdef d;
        uint8_t has;
        const ctype *t = NULL;

        memset(&d, 0, sizeof(d));
        d.kind = D_EXPORT;
        if ((rc = extname(p, &d.name)) != 0 || (rc = sort_bytes(p, &d.sort, &d.csort)) != 0 ||
            (rc = u32(p, &d.a)) != 0 || (rc = check_sort_index(p, s, d.sort, d.csort, d.a)) != 0 ||
            (rc = byte(p, &has)) != 0) {
            return rc;
        }
        switch (d.sort) {
        case SORT_FUNC: t = s->funcs.v[d.a]; break;
        case SORT_TYPE: t = s->types.v[d.a]; break;
        case SORT_INSTANCE: t = s->instances.v[d.a]; break;
        default: break;
        }
        if (has == 0x01) {
            /* An ascribed type: what the export is declared as. */
            uint8_t sort;
            const ctype *declared;

            if ((rc = externdesc(p, s, &sort, &declared, 0)) != 0) {
                return rc;
            }
            if (sort != d.sort) {
                return MALFORMED(p, "export description does not match the exported item");
            }
            if (sort == SORT_FUNC || sort == SORT_INSTANCE) {
                t = declared;
            }
        } else if (has != 0x00) {
            return MALFORMED(p, "malformed export type ascription");
        }
        d.type = t;
        name_resource(p, t, d.name);
        add_to_space(s, d.sort, t);
        s->comp->nexports++;
        push_def(s, &d);
    }
    return 0;
}

static int
parse_sections(parser *p, scope *s)
{
    ccomp *c = s->comp;
    int rc = 0;

    while (p->r.p < p->r.end) {
        uint8_t id;
        uint32_t size;
        const uint8_t *end_of_all = p->r.end;
        const char *names[] = {"custom",   "core module", "core instance", "core type", "component",
                               "instance", "alias",       "type",          "canon",     "start",
                               "import",   "export",      "value"};

        p->section = "header";
        if ((rc = byte(p, &id)) != 0 || (rc = u32(p, &size)) != 0) {
            return rc;
        }
        if (size > (size_t)(p->r.end - p->r.p)) {
            return MALFORMED(p, "section size mismatch (section extends past the end)");
        }
        if (id > 12) {
            char msg[64];

            snprintf(msg, sizeof(msg), "malformed section id %u", id);
            return MALFORMED(p, msg);
        }
        p->section = names[id];
        p->r.end = p->r.p + size;
        switch (id) {
        case 0: p->r.p = p->r.end; break;
        case 1: {
            cdef d;

            memset(&d, 0, sizeof(d));
            d.kind = D_CORE_MODULE;
            d.a = c->nmodules;
            c->modules = wc_xrealloc(c->modules, (c->nmodules + 1) * sizeof(*c->modules));
            c->modules[c->nmodules].bytes = p->r.p;
            c->modules[c->nmodules].len = size;
            c->nmodules++;
            s->ncore_modules++;
            push_def(s, &d);
            p->r.p = p->r.end;
            break;
        }
        case 2: rc = sec_core_instance(p, s); break;
        case 3: {
            uint32_t n;

            if ((rc = count(p, &n)) != 0) {
                return rc;
            }
            for (uint32_t i = 0; i < n && rc == 0; i++) {
                cdef d;

                memset(&d, 0, sizeof(d));
                d.kind = D_CORE_TYPE;
                if ((rc = skip_core_type(p)) == 0) {
                    s->ncore_types++;
                    push_def(s, &d);
                }
            }
            break;
        }
        case 4: {
            cdef d;
            ccomp *nested;
            parser sub = *p;

            memset(&d, 0, sizeof(d));
            sub.depth = p->depth + 1;
            if (sub.depth > 16) {
                return MALFORMED(p, "components nested too deeply");
            }
            sub.r.base = sub.r.p;
            if ((rc = parse_component(&sub, c, s, &nested)) != 0) {
                return rc;
            }
            p->r.p = p->r.end;
            d.kind = D_COMPONENT;
            d.a = c->ncomponents;
            c->components =
                wc_xrealloc(c->components, (c->ncomponents + 1) * sizeof(*c->components));
            c->components[c->ncomponents++] = nested;
            wc_vec_push(&s->components, (const ccomp *)nested);
            wc_vec_push(&s->comptypes, (const ctype *)NULL);
            push_def(s, &d);
            break;
        }
        case 5: rc = sec_instance(p, s); break;
        case 6: {
            uint32_t n;

            if ((rc = count(p, &n)) != 0) {
                return rc;
            }
            for (uint32_t i = 0; i < n && rc == 0; i++) {
                cdef d;

                if ((rc = alias(p, s, &d)) == 0) {
                    push_def(s, &d);
                }
            }
            break;
        }
        case 7: {
            uint32_t n;

            if ((rc = count(p, &n)) != 0) {
                return rc;
            }
            for (uint32_t i = 0; i < n && rc == 0; i++) {
                cdef d;

                memset(&d, 0, sizeof(d));
                d.kind = D_TYPE;
                if ((rc = deftype(p, s, &d.type)) == 0) {
                    wc_vec_push(&s->types, d.type);
                    push_def(s, &d);
                }
            }
            break;
        }
        case 8: rc = sec_canon(p, s); break;
        case 9: return UNSUPPORTED(p, "component start functions are not supported");
        case 10: rc = sec_import(p, s); break;
        case 11: rc = sec_export(p, s); break;
        case 12: return UNSUPPORTED(p, "component values are not supported");
        }
        if (rc != 0) {
            return rc;
        }
        if (p->r.p != p->r.end) {
            return MALFORMED(p, "section size mismatch");
        }
        p->r.end = end_of_all;
    }
    return 0;
}

static int
parse_component(parser *p, const ccomp *parent, scope *parent_scope, ccomp **out)
{
    static const uint8_t preamble[8] = {0, 'a', 's', 'm', 0x0d, 0, 0x01, 0};
    ccomp *c = wc_arena_calloc(p->arena, 1, sizeof(*c));
    scope s;
    int rc;

    if ((size_t)(p->r.end - p->r.p) < 8 || memcmp(p->r.p, preamble, 4) != 0) {
        return MALFORMED(p, "magic header not detected (not a WebAssembly component)");
    }
    if (memcmp(p->r.p + 4, preamble + 4, 4) != 0) {
        char msg[160];

        if (memcmp(p->r.p + 4, "\x01\0\0\0", 4) == 0) {
            return MALFORMED(p, "this is a core WebAssembly module, not a component");
        }
        snprintf(msg, sizeof(msg),
                 "unsupported component binary version 0x%02x%02x layer 0x%02x%02x (expected "
                 "version 0x0d, layer 1)",
                 p->r.p[5], p->r.p[4], p->r.p[7], p->r.p[6]);
        return MALFORMED(p, msg);
    }
    p->r.p += 8;
    memset(&s, 0, sizeof(s));
    s.parent = parent_scope;
    s.comp = c;
    c->arena = p->arena;
    c->parent = parent;
    rc = parse_sections(p, &s);
    if (rc == 0) {
        c->ndefs = (uint32_t)s.defs.n;
        c->defs = wc_arena_alloc(p->arena, (s.defs.n + 1) * sizeof(cdef));
        memcpy(c->defs, s.defs.v, s.defs.n * sizeof(cdef));
        c->ntypes = (uint32_t)s.types.n;
        c->types = wc_arena_alloc(p->arena, (s.types.n + 1) * sizeof(ctype *));
        memcpy((void *)c->types, s.types.v, s.types.n * sizeof(ctype *));
        /* Module and component arrays live in the arena too. */
        if (c->nmodules != 0) {
            cmodule *m = wc_arena_alloc(p->arena, c->nmodules * sizeof(*m));

            memcpy(m, c->modules, c->nmodules * sizeof(*m));
            free(c->modules);
            c->modules = m;
        }
        if (c->ncomponents != 0) {
            ccomp **cs = wc_arena_alloc(p->arena, c->ncomponents * sizeof(*cs));

            memcpy(cs, c->components, c->ncomponents * sizeof(*cs));
            free(c->components);
            c->components = cs;
        }
        *out = c;
    } else {
        free(c->modules);
        free(c->components);
    }
    wc_vec_free(&s.types);
    wc_vec_free(&s.funcs);
    wc_vec_free(&s.instances);
    wc_vec_free(&s.components);
    wc_vec_free(&s.comptypes);
    wc_vec_free(&s.decls);
    wc_vec_free(&s.defs);
    return rc;
}

int
wc_is_component(const uint8_t *bytes, size_t len)
{
    return len >= 8 && memcmp(bytes, "\0asm", 4) == 0 && bytes[6] == 0x01 && bytes[7] == 0x00;
}

int
wc_cparse(const uint8_t *bytes, size_t len, wc_arena *arena, ccomp **out, wc_error *err)
{
    parser p;

    memset(&p, 0, sizeof(p));
    p.r.base = p.r.p = bytes;
    p.r.end = bytes + len;
    p.arena = arena;
    p.err = err;
    p.section = "header";
    return parse_component(&p, NULL, NULL, out);
}
