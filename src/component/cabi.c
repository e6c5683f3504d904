/*
 * cabi.c - the canonical ABI (docs/component-model-notes.md §2, §3).
 *
 * Lifting turns core values and guest memory into wc_cval trees; lowering
 * does the reverse, allocating in the guest with its realloc. Type facts
 * (sizes, alignments, flattened types) were computed by the parser, so this
 * file only walks types and values. Host values are UTF-8; guest strings in
 * UTF-16 or Latin-1+UTF-16 are transcoded on the way. Everything the spec
 * says must trap returns WC_ETRAP with a message.
 */
#include "component/internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTE_LENGTH ((1u << 28) - 1)
#define UTF16_TAG       (1u << 31)

static int
trap(cabi_cx *cx, const char *msg)
{
    return wc_error_set(cx->err, WC_ETRAP, "trap: %s", msg);
}

/* ---- guest memory ---- */

static int
mem_range(cabi_cx *cx, uint64_t ptr, uint64_t len, uint32_t align, uint8_t **out)
{
    *out = NULL;
    if (cx->memory == NULL) {
        return trap(cx, "canonical ABI needs a memory, but the function has no memory option");
    }
    if (align > 1 && ptr % align != 0) {
        return trap(cx, "misaligned pointer");
    }
    if (ptr + len > wc_memory_size(cx->memory)) {
        return trap(cx, "pointer out of bounds of linear memory");
    }
    *out = wc_memory_data(cx->memory) + ptr;
    return 0;
}

static int
call_realloc(cabi_cx *cx, uint32_t old, uint32_t oldsize, uint32_t align, uint32_t size,
             uint32_t *out)
{
    wc_val args[4], r;
    uint8_t *unused;
    int rc;

    *out = 0;
    if (cx->realloc == NULL) {
        return trap(cx, "canonical ABI needs realloc, but the function has no realloc option");
    }
    args[0].i32 = old;
    args[1].i32 = oldsize;
    args[2].i32 = align;
    args[3].i32 = size;
    if ((rc = wc_func_call(cx->store, cx->realloc, args, 4, &r, 1, cx->err)) != 0) {
        return rc;
    }
    if ((rc = mem_range(cx, r.i32, size, align, &unused)) != 0) {
        return rc;
    }
    *out = r.i32;
    return 0;
}

static void *
alloc_vals(cabi_cx *cx, size_t n)
{
    return wc_arena_calloc(cx->arena, n ? n : 1, sizeof(wc_cval));
}

/* ---- UTF-8 ---- */

/* Decode one scalar value; returns its length, or 0 if invalid. */
static size_t
utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        len = 2;
        c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        c &= 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return len;
}

static int
utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;

    while (i < n) {
        size_t k;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
            return 0;
        }
        i += k;
    }
    return 1;
}

static size_t
utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

static int
valid_char(uint32_t c)
{
    return c < 0x110000 && !(c >= 0xd800 && c <= 0xdfff);
}

/* ---- strings ---- */

static int
lift_string(cabi_cx *cx, uint32_t ptr, uint32_t tcu, wc_cval *out)
{
    uint32_t align = 1;
    uint64_t bytes = tcu;
    int utf16 = 0;
    uint8_t *p;
    int rc;

    out->kind = CT_STRING;
    switch (cx->encoding) {
    case ENC_UTF16:
        align = 2;
        bytes = 2ull * tcu;
        utf16 = 1;
        break;
    case ENC_LATIN1_UTF16:
        align = 2;
        if (tcu & UTF16_TAG) {
            bytes = 2ull * (tcu ^ UTF16_TAG);
            utf16 = 1;
        }
        break;
    }
    if (bytes > MAX_BYTE_LENGTH) {
        return trap(cx, "string too long");
    }
    if ((rc = mem_range(cx, ptr, bytes, align, &p)) != 0) {
        return rc;
    }
    if (cx->encoding == ENC_UTF8) {
        if (!utf8_valid(p, bytes)) {
            return trap(cx, "invalid UTF-8 in a string");
        }
        if (cx->copy) {
            out->u.str.ptr = wc_arena_strndup(cx->arena, (const char *)p, bytes);
        } else {
            out->u.str.ptr = (const char *)p;
        }
        out->u.str.len = bytes;
        return 0;
    }
    if (!utf16) { /* Latin-1 */
        uint8_t *s = wc_arena_alloc(cx->arena, bytes * 2 + 1);
        size_t n = 0;

        for (uint64_t i = 0; i < bytes; i++) {
            n += utf8_encode(p[i], s + n);
        }
        out->u.str.ptr = (const char *)s;
        out->u.str.len = n;
        return 0;
    }
    {
        uint64_t units = bytes / 2;
        uint8_t *s = wc_arena_alloc(cx->arena, units * 3 + 1);
        size_t n = 0;

        for (uint64_t i = 0; i < units; i++) {
            uint32_t c = p[2 * i] | (uint32_t)p[2 * i + 1] << 8;

            if (c >= 0xd800 && c < 0xdc00) {
                uint32_t lo;

                if (i + 1 >= units) {
                    return trap(cx, "unpaired surrogate in a UTF-16 string");
                }
                lo = p[2 * i + 2] | (uint32_t)p[2 * i + 3] << 8;
                if (lo < 0xdc00 || lo > 0xdfff) {
                    return trap(cx, "unpaired surrogate in a UTF-16 string");
                }
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                i++;
            } else if (c >= 0xdc00 && c <= 0xdfff) {
                return trap(cx, "unpaired surrogate in a UTF-16 string");
            }
            n += utf8_encode(c, s + n);
        }
        out->u.str.ptr = (const char *)s;
        out->u.str.len = n;
        return 0;
    }
}

/* Store a host (UTF-8) string into the guest; returns (ptr, tagged code units). */
static int
lower_string(cabi_cx *cx, const wc_cval *v, uint32_t *ptr_out, uint32_t *len_out)
{
    const uint8_t *s = (const uint8_t *)v->u.str.ptr;
    size_t n = v->u.str.len, units = 0, i = 0;
    int latin1 = 1;
    uint8_t *d;
    uint32_t p;
    int rc;

    if (n > MAX_BYTE_LENGTH) {
        return trap(cx, "string too long");
    }
    if (cx->encoding == ENC_UTF8) {
        if ((rc = call_realloc(cx, 0, 0, 1, (uint32_t)n, &p)) != 0 ||
            (rc = mem_range(cx, p, n, 1, &d)) != 0) {
            return rc;
        }
        memcpy(d, s, n);
        *ptr_out = p;
        *len_out = (uint32_t)n;
        return 0;
    }
    /* Count UTF-16 code units and whether Latin-1 suffices. */
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);

        if (k == 0) {
            return wc_error_set(cx->err, WC_EINVAL, "host string is not valid UTF-8");
        }
        units += cp >= 0x10000 ? 2 : 1;
        latin1 &= cp < 256;
        i += k;
    }
    if (cx->encoding == ENC_LATIN1_UTF16 && latin1) {
        if ((rc = call_realloc(cx, 0, 0, 2, (uint32_t)units, &p)) != 0 ||
            (rc = mem_range(cx, p, units, 2, &d)) != 0) {
            return rc;
        }
        for (i = 0; i < n;) {
            uint32_t cp;

            i += utf8_decode(s + i, n - i, &cp);
            *d++ = (uint8_t)cp;
        }
        *ptr_out = p;
        *len_out = (uint32_t)units;
        return 0;
    }
    if ((rc = call_realloc(cx, 0, 0, 2, (uint32_t)(2 * units), &p)) != 0 ||
        (rc = mem_range(cx, p, 2 * units, 2, &d)) != 0) {
        return rc;
    }
    for (i = 0; i < n;) {
        uint32_t cp;

        i += utf8_decode(s + i, n - i, &cp);
        if (cp >= 0x10000) {
            uint32_t hi = 0xd800 + ((cp - 0x10000) >> 10), lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);

            *d++ = (uint8_t)hi;
            *d++ = (uint8_t)(hi >> 8);
            *d++ = (uint8_t)lo;
            *d++ = (uint8_t)(lo >> 8);
        } else {
            *d++ = (uint8_t)cp;
            *d++ = (uint8_t)(cp >> 8);
        }
    }
    *ptr_out = p;
    *len_out = (uint32_t)units | (cx->encoding == ENC_LATIN1_UTF16 ? UTF16_TAG : 0);
    return 0;
}

/* ---- handles ---- */

static int
lift_own(cabi_cx *cx, const ctype *t, uint32_t idx, wc_cval *out)
{
    chandle *h = wc__handle_get(cx->inst, idx);
    wc_rtype *want = wc__cinst_rtype(cx->inst, t->res);

    if (h == NULL) {
        return trap(cx, "unknown handle index");
    }
    if (h->rt != want) {
        return trap(cx, "handle of the wrong resource type");
    }
    if (!h->own) {
        return trap(cx, "a borrowed handle was passed where ownership is required");
    }
    if (h->lends != 0) {
        return trap(cx, "cannot move a handle that is lent out");
    }
    out->kind = CT_OWN;
    out->u.handle.type = h->rt;
    out->u.handle.rep = h->rep;
    wc__handle_remove(cx->inst, idx);
    return 0;
}

static int
lift_borrow(cabi_cx *cx, const ctype *t, uint32_t idx, wc_cval *out)
{
    chandle *h = wc__handle_get(cx->inst, idx);
    wc_rtype *want = wc__cinst_rtype(cx->inst, t->res);

    if (h == NULL) {
        return trap(cx, "unknown handle index");
    }
    if (h->rt != want) {
        return trap(cx, "handle of the wrong resource type");
    }
    h->lends++;
    wc_vec_push(&cx->lends, idx);
    out->kind = CT_BORROW;
    out->u.handle.type = h->rt;
    out->u.handle.rep = h->rep;
    return 0;
}

void
wc__cabi_end_lends(cabi_cx *cx)
{
    for (size_t i = 0; i < cx->lends.n; i++) {
        chandle *h = wc__handle_get(cx->inst, cx->lends.v[i]);

        if (h != NULL && h->lends > 0) {
            h->lends--;
        }
    }
    wc_vec_free(&cx->lends);
}

static int
lower_handle(cabi_cx *cx, const ctype *t, const wc_cval *v, uint32_t *out)
{
    wc_rtype *want = wc__cinst_rtype(cx->inst, t->res);

    if (v->u.handle.type != want) {
        return wc_error_set(
            cx->err, WC_ETRAP, "trap: handle of resource type %s where %s is expected",
            v->u.handle.type ? v->u.handle.type->name : "(none)", want ? want->name : "(unbound)");
    }
    if (t->kind == CT_BORROW && want->impl == cx->inst) {
        *out = v->u.handle.rep; /* the implementation sees its own representation */
        return 0;
    }
    return wc__handle_add(cx->inst, want, v->u.handle.rep, t->kind == CT_OWN,
                          t->kind == CT_BORROW ? cx->scope : 0, out, cx->err);
}

/* ---- loading and storing ---- */

static int load(cabi_cx *cx, uint32_t ptr, const ctype *t, wc_cval *out);
static int store(cabi_cx *cx, uint32_t ptr, const ctype *t, const wc_cval *v);

static int
is_byte_list(const ctype *t)
{
    return t->kind == CT_LIST && (t->elems[0]->kind == CT_U8 || t->elems[0]->kind == CT_S8);
}

static int
lift_list(cabi_cx *cx, const ctype *t, uint32_t ptr, uint32_t len, wc_cval *out)
{
    const ctype *et = t->elems[0];
    uint64_t bytes = (uint64_t)len * et->size;
    uint8_t *p;
    int rc;

    out->kind = CT_LIST;
    if (bytes > MAX_BYTE_LENGTH) {
        return trap(cx, "list too long");
    }
    if ((rc = mem_range(cx, ptr, bytes, et->align, &p)) != 0) {
        return rc;
    }
    out->u.list.n = len;
    if (is_byte_list(t)) {
        if (cx->copy) {
            uint8_t *c = wc_arena_alloc(cx->arena, bytes ? bytes : 1);

            memcpy(c, p, bytes);
            out->u.list.bytes = c;
        } else {
            out->u.list.bytes = p;
        }
        return 0;
    }
    out->u.list.elems = alloc_vals(cx, len);
    for (uint32_t i = 0; i < len; i++) {
        if ((rc = load(cx, ptr + i * et->size, et, &out->u.list.elems[i])) != 0) {
            return rc;
        }
    }
    return 0;
}

static int
lower_list(cabi_cx *cx, const ctype *t, const wc_cval *v, uint32_t *ptr_out, uint32_t *len_out)
{
    const ctype *et = t->elems[0];
    uint64_t bytes = (uint64_t)v->u.list.n * et->size;
    uint32_t p;
    uint8_t *d;
    int rc;

    if (bytes > MAX_BYTE_LENGTH) {
        return trap(cx, "list too long");
    }
    if ((rc = call_realloc(cx, 0, 0, et->align, (uint32_t)bytes, &p)) != 0) {
        return rc;
    }
    if (is_byte_list(t) && v->u.list.elems == NULL) {
        if ((rc = mem_range(cx, p, bytes, 1, &d)) != 0) {
            return rc;
        }
        if (bytes != 0) {
            memcpy(d, v->u.list.bytes, bytes);
        }
    } else {
        for (size_t i = 0; i < v->u.list.n; i++) {
            if ((rc = store(cx, p + (uint32_t)i * et->size, et, &v->u.list.elems[i])) != 0) {
                return rc;
            }
        }
    }
    *ptr_out = p;
    *len_out = (uint32_t)v->u.list.n;
    return 0;
}

static uint32_t
load_uint(const uint8_t *p, uint32_t size)
{
    switch (size) {
    case 1: return p[0];
    case 2: return p[0] | (uint32_t)p[1] << 8;
    default: return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
}

static void
store_uint(uint8_t *p, uint32_t size, uint32_t v)
{
    for (uint32_t i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int
load(cabi_cx *cx, uint32_t ptr, const ctype *t, wc_cval *out)
{
    uint8_t *p;
    int rc = mem_range(cx, ptr, t->size, t->align, &p);

    if (rc != 0) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    out->kind = t->kind;
    switch (t->kind) {
    case CT_BOOL: out->u.b = p[0] != 0; return 0;
    case CT_S8: out->u.s32 = (int8_t)p[0]; return 0;
    case CT_U8: out->u.u32 = p[0]; return 0;
    case CT_S16: out->u.s32 = (int16_t)load_uint(p, 2); return 0;
    case CT_U16: out->u.u32 = load_uint(p, 2); return 0;
    case CT_S32:
    case CT_U32:
    case CT_F32:
    case CT_FLAGS: memcpy(&out->u.u32, p, 4); return 0;
    case CT_S64:
    case CT_U64:
    case CT_F64: memcpy(&out->u.u64, p, 8); return 0;
    case CT_CHAR:
        memcpy(&out->u.ch, p, 4);
        return valid_char(out->u.ch) ? 0 : trap(cx, "invalid char (not a Unicode scalar value)");
    case CT_STRING: return lift_string(cx, load_uint(p, 4), load_uint(p + 4, 4), out);
    case CT_LIST: return lift_list(cx, t, load_uint(p, 4), load_uint(p + 4, 4), out);
    case CT_RECORD:
    case CT_TUPLE:
        out->u.fields = alloc_vals(cx, t->n);
        for (uint32_t i = 0; i < t->n; i++) {
            if ((rc = load(cx, ptr + wc_ctype_field_offset(t, i), t->elems[i],
                           &out->u.fields[i])) != 0) {
                return rc;
            }
        }
        return 0;
    case CT_VARIANT:
    case CT_ENUM:
    case CT_OPTION:
    case CT_RESULT: {
        uint32_t ncases = wc_ctype_ncases(t);
        uint32_t disc = load_uint(p, wc_ctype_disc_size(ncases));
        const ctype *pt;

        if (disc >= ncases) {
            return trap(cx, "invalid variant discriminant");
        }
        out->u.var.disc = disc;
        pt = wc_ctype_case(t, disc);
        if (pt != NULL) {
            out->u.var.val = alloc_vals(cx, 1);
            return load(cx, ptr + wc_ctype_payload_offset(t), pt, out->u.var.val);
        }
        return 0;
    }
    case CT_OWN: return lift_own(cx, t, load_uint(p, 4), out);
    case CT_BORROW: return lift_borrow(cx, t, load_uint(p, 4), out);
    }
    return trap(cx, "cannot load a value of this type");
}

static int
store(cabi_cx *cx, uint32_t ptr, const ctype *t, const wc_cval *v)
{
    uint8_t *p;
    uint32_t a, b;
    int rc = mem_range(cx, ptr, t->size, t->align, &p);

    if (rc != 0) {
        return rc;
    }
    switch (t->kind) {
    case CT_BOOL: p[0] = v->u.b != 0; return 0;
    case CT_S8:
    case CT_U8: p[0] = (uint8_t)v->u.u32; return 0;
    case CT_S16:
    case CT_U16: store_uint(p, 2, v->u.u32); return 0;
    case CT_S32:
    case CT_U32:
    case CT_F32:
    case CT_CHAR: memcpy(p, &v->u.u32, 4); return 0;
    case CT_FLAGS: store_uint(p, t->size, v->u.flags); return 0;
    case CT_S64:
    case CT_U64:
    case CT_F64: memcpy(p, &v->u.u64, 8); return 0;
    case CT_STRING:
        if ((rc = lower_string(cx, v, &a, &b)) != 0) {
            return rc;
        }
        goto store_pair;
    case CT_LIST:
        if ((rc = lower_list(cx, t, v, &a, &b)) != 0) {
            return rc;
        }
    store_pair:
        /* realloc may have grown memory: find the slot again. */
        if ((rc = mem_range(cx, ptr, 8, 4, &p)) != 0) {
            return rc;
        }
        store_uint(p, 4, a);
        store_uint(p + 4, 4, b);
        return 0;
    case CT_RECORD:
    case CT_TUPLE:
        for (uint32_t i = 0; i < t->n; i++) {
            if ((rc = store(cx, ptr + wc_ctype_field_offset(t, i), t->elems[i], &v->u.fields[i])) !=
                0) {
                return rc;
            }
        }
        return 0;
    case CT_VARIANT:
    case CT_ENUM:
    case CT_OPTION:
    case CT_RESULT: {
        uint32_t ncases = wc_ctype_ncases(t);
        const ctype *pt;

        if (v->u.var.disc >= ncases) {
            return wc_error_set(cx->err, WC_EINVAL, "variant case %u out of range (%u cases)",
                                v->u.var.disc, ncases);
        }
        store_uint(p, wc_ctype_disc_size(ncases), v->u.var.disc);
        pt = wc_ctype_case(t, v->u.var.disc);
        if (pt != NULL) {
            if (v->u.var.val == NULL) {
                return wc_error_set(cx->err, WC_EINVAL, "variant case %u needs a payload",
                                    v->u.var.disc);
            }
            return store(cx, ptr + wc_ctype_payload_offset(t), pt, v->u.var.val);
        }
        return 0;
    }
    case CT_OWN:
    case CT_BORROW:
        if ((rc = lower_handle(cx, t, v, &a)) != 0) {
            return rc;
        }
        store_uint(p, 4, a);
        return 0;
    }
    return wc_error_set(cx->err, WC_EINVAL, "cannot store a value of this type");
}

/* ---- flat values ---- */

typedef struct flatit {
    const wc_val *v;
    uint32_t i, n;
} flatit;

static wc_val
next(flatit *it)
{
    wc_val z;

    if (it->i < it->n) {
        return it->v[it->i++];
    }
    memset(&z, 0, sizeof(z));
    return z;
}

static int
lift_flat(cabi_cx *cx, flatit *it, const ctype *t, wc_cval *out)
{
    wc_val v;
    int rc;

    memset(out, 0, sizeof(*out));
    out->kind = t->kind;
    switch (t->kind) {
    case CT_BOOL: out->u.b = next(it).i32 != 0; return 0;
    case CT_S8: out->u.s32 = (int8_t)next(it).i32; return 0;
    case CT_U8: out->u.u32 = (uint8_t)next(it).i32; return 0;
    case CT_S16: out->u.s32 = (int16_t)next(it).i32; return 0;
    case CT_U16: out->u.u32 = (uint16_t)next(it).i32; return 0;
    case CT_S32:
    case CT_U32:
    case CT_FLAGS: out->u.u32 = next(it).i32; return 0;
    case CT_F32: out->u.f32 = next(it).f32; return 0;
    case CT_S64:
    case CT_U64: out->u.u64 = next(it).i64; return 0;
    case CT_F64: out->u.f64 = next(it).f64; return 0;
    case CT_CHAR:
        out->u.ch = next(it).i32;
        return valid_char(out->u.ch) ? 0 : trap(cx, "invalid char (not a Unicode scalar value)");
    case CT_STRING: v = next(it); return lift_string(cx, v.i32, next(it).i32, out);
    case CT_LIST: v = next(it); return lift_list(cx, t, v.i32, next(it).i32, out);
    case CT_RECORD:
    case CT_TUPLE:
        out->u.fields = alloc_vals(cx, t->n);
        for (uint32_t i = 0; i < t->n; i++) {
            if ((rc = lift_flat(cx, it, t->elems[i], &out->u.fields[i])) != 0) {
                return rc;
            }
        }
        return 0;
    case CT_VARIANT:
    case CT_ENUM:
    case CT_OPTION:
    case CT_RESULT: {
        uint32_t ncases = wc_ctype_ncases(t), disc = next(it).i32, start = it->i;
        const ctype *pt;

        if (disc >= ncases) {
            return trap(cx, "invalid variant discriminant");
        }
        out->u.var.disc = disc;
        pt = wc_ctype_case(t, disc);
        if (pt != NULL) {
            /* The union of wc_val makes the joined-type coercions plain reads. */
            out->u.var.val = alloc_vals(cx, 1);
            if ((rc = lift_flat(cx, it, pt, out->u.var.val)) != 0) {
                return rc;
            }
        }
        it->i = start + (t->nflat - 1); /* skip the joined slots the case did not use */
        return 0;
    }
    case CT_OWN: return lift_own(cx, t, next(it).i32, out);
    case CT_BORROW: return lift_borrow(cx, t, next(it).i32, out);
    }
    return trap(cx, "cannot lift a value of this type");
}

/* Lower v into flat slots starting at out[*k]; joined[] gives each slot's core type. */
static int
lower_flat(cabi_cx *cx, const ctype *t, const wc_cval *v, wc_val *out, uint32_t *k)
{
    uint32_t a, b;
    int rc;

    switch (t->kind) {
    case CT_BOOL: out[(*k)++].i64 = v->u.b != 0; return 0;
    case CT_S8: out[(*k)++].i64 = (uint32_t)(int32_t)(int8_t)v->u.s32; return 0;
    case CT_U8: out[(*k)++].i64 = (uint8_t)v->u.u32; return 0;
    case CT_S16: out[(*k)++].i64 = (uint32_t)(int32_t)(int16_t)v->u.s32; return 0;
    case CT_U16: out[(*k)++].i64 = (uint16_t)v->u.u32; return 0;
    case CT_S32:
    case CT_U32:
    case CT_CHAR: out[(*k)++].i64 = v->u.u32; return 0;
    case CT_FLAGS: out[(*k)++].i64 = v->u.flags; return 0;
    case CT_F32:
        out[*k].i64 = 0;
        out[(*k)++].f32 = v->u.f32;
        return 0;
    case CT_S64:
    case CT_U64: out[(*k)++].i64 = v->u.u64; return 0;
    case CT_F64: out[(*k)++].f64 = v->u.f64; return 0;
    case CT_STRING:
        if ((rc = lower_string(cx, v, &a, &b)) != 0) {
            return rc;
        }
        out[(*k)++].i64 = a;
        out[(*k)++].i64 = b;
        return 0;
    case CT_LIST:
        if ((rc = lower_list(cx, t, v, &a, &b)) != 0) {
            return rc;
        }
        out[(*k)++].i64 = a;
        out[(*k)++].i64 = b;
        return 0;
    case CT_RECORD:
    case CT_TUPLE:
        for (uint32_t i = 0; i < t->n; i++) {
            if ((rc = lower_flat(cx, t->elems[i], &v->u.fields[i], out, k)) != 0) {
                return rc;
            }
        }
        return 0;
    case CT_VARIANT:
    case CT_ENUM:
    case CT_OPTION:
    case CT_RESULT: {
        uint32_t ncases = wc_ctype_ncases(t), start;
        const ctype *pt;

        if (v->u.var.disc >= ncases) {
            return wc_error_set(cx->err, WC_EINVAL, "variant case %u out of range (%u cases)",
                                v->u.var.disc, ncases);
        }
        out[(*k)++].i64 = v->u.var.disc;
        start = *k;
        for (uint32_t i = 0; i + 1 < t->nflat; i++) {
            out[start + i].i64 = 0; /* unused joined slots are zero */
        }
        pt = wc_ctype_case(t, v->u.var.disc);
        if (pt != NULL) {
            if (v->u.var.val == NULL) {
                return wc_error_set(cx->err, WC_EINVAL, "variant case %u needs a payload",
                                    v->u.var.disc);
            }
            /* Slots hold zero-extended bits, so an i32/f32 payload in an i64 slot is right. */
            if ((rc = lower_flat(cx, pt, v->u.var.val, out, k)) != 0) {
                return rc;
            }
        }
        *k = start + (t->nflat - 1);
        return 0;
    }
    case CT_OWN:
    case CT_BORROW:
        if ((rc = lower_handle(cx, t, v, &a)) != 0) {
            return rc;
        }
        out[(*k)++].i64 = a;
        return 0;
    }
    return wc_error_set(cx->err, WC_EINVAL, "cannot lower a value of this type");
}

/* ---- value lists (parameters and results) ---- */

/* Layout of a tuple of these types: alignment, size, and each offset. */
static void
tuple_layout(const ctype *const *types, uint32_t n, uint32_t *align, uint32_t *size,
             uint32_t *offsets)
{
    uint32_t s = 0, a = 1;

    for (uint32_t i = 0; i < n; i++) {
        s = (s + types[i]->align - 1) & ~(types[i]->align - 1);
        offsets[i] = s;
        s += types[i]->size;
        if (types[i]->align > a) {
            a = types[i]->align;
        }
    }
    *align = a;
    *size = (s + a - 1) & ~(a - 1);
}

static uint32_t
flat_count(const ctype *const *types, uint32_t n)
{
    uint32_t k = 0;

    for (uint32_t i = 0; i < n; i++) {
        k += types[i]->nflat;
    }
    return k;
}

int
wc__cabi_lift(cabi_cx *cx, const ctype *const *types, uint32_t n, const wc_val *flat,
              uint32_t nflat, uint32_t max, wc_cval *out)
{
    flatit it = {flat, 0, nflat};
    int rc;

    if (flat_count(types, n) > max) {
        uint32_t align, size, *offsets = wc_xmalloc((n + 1) * sizeof(uint32_t));
        uint32_t ptr = nflat ? flat[0].i32 : 0;
        uint8_t *unused;

        tuple_layout(types, n, &align, &size, offsets);
        rc = mem_range(cx, ptr, size, align, &unused);
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            rc = load(cx, ptr + offsets[i], types[i], &out[i]);
        }
        free(offsets);
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = lift_flat(cx, &it, types[i], &out[i])) != 0) {
            return rc;
        }
    }
    return 0;
}

int
wc__cabi_lower(cabi_cx *cx, const ctype *const *types, uint32_t n, const wc_cval *vals,
               wc_val *flat, uint32_t *nflat_out, uint32_t max, const uint32_t *retptr)
{
    uint8_t saved = cx->inst->may_leave;
    int rc = 0;

    cx->inst->may_leave = 0;
    *nflat_out = 0;
    if (flat_count(types, n) > max) {
        uint32_t align, size, ptr, *offsets = wc_xmalloc((n + 1) * sizeof(uint32_t));
        uint8_t *unused;

        tuple_layout(types, n, &align, &size, offsets);
        if (retptr != NULL) {
            ptr = *retptr;
            rc = mem_range(cx, ptr, size, align, &unused);
        } else if ((rc = call_realloc(cx, 0, 0, align, size, &ptr)) == 0) {
            flat[0].i64 = ptr;
            *nflat_out = 1;
        }
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            rc = store(cx, ptr + offsets[i], types[i], &vals[i]);
        }
        free(offsets);
    } else {
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            rc = lower_flat(cx, types[i], &vals[i], flat, nflat_out);
        }
    }
    cx->inst->may_leave = saved;
    return rc;
}

void
wc__cabi_flatten_func(const ctype *ft, int lower, uint8_t *params, uint32_t *np, uint8_t *results,
                      uint32_t *nr)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < ft->n; i++) {
        n += ft->elems[i]->nflat;
    }
    if (n > WC_MAX_FLAT_PARAMS) {
        params[0] = FT_I32;
        n = 1;
    } else {
        n = 0;
        for (uint32_t i = 0; i < ft->n; i++) {
            memcpy(params + n, ft->elems[i]->flat, ft->elems[i]->nflat);
            n += ft->elems[i]->nflat;
        }
    }
    *nr = 0;
    if (ft->res != NULL) {
        if (ft->res->nflat > WC_MAX_FLAT_RESULTS) {
            if (lower) {
                params[n++] = FT_I32;
            } else {
                results[0] = FT_I32;
                *nr = 1;
            }
        } else {
            memcpy(results, ft->res->flat, ft->res->nflat);
            *nr = ft->res->nflat;
        }
    }
    *np = n;
}
