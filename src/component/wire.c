/*
 * wire.c - component values outside an instance: the wRPC value encoding,
 * WAVE text, and function types read from a component file.
 *
 * The encoding is wRPC's ("value definition encoding" as wrpc-transport
 * implements it): u8/s8 one raw byte, wider integers LEB128 (signed ones
 * SLEB128), floats little-endian, bool one byte, char its UTF-8 bytes,
 * strings and lists a LEB128 length then the contents, records and tuples
 * their fields in order, variants and enums a LEB128 case number then the
 * payload, option/result one byte (0 none/ok, 1 some/err) then the payload,
 * flags ceil(n/8) bytes little-endian. Resources do not cross.
 *
 * The text is WAVE (the WebAssembly Value Encoding wasmtime and wash use):
 * 42, -1.5, 'c', "str", [list], (tuple), {field: v}, case(payload), some(v),
 * none, ok(v), err(v), {flag-a, flag-b}.
 */
#include "base/leb128.h"
#include "component/cparse.h"
#include "component/internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

/* ---- function types ---- */

uint32_t
wc_ctype_nparams(const wc_ctype *fn)
{
    return fn->n;
}

const wc_ctype *
wc_ctype_param(const wc_ctype *fn, uint32_t i, const char **name)
{
    if (name != NULL) {
        *name = fn->names[i];
    }
    return fn->elems[i];
}

const wc_ctype *
wc_ctype_result(const wc_ctype *fn)
{
    return fn->res;
}

void
wc_ctype_format(wc_strbuf *sb, const wc_ctype *t)
{
    wc_ctype_print(sb, t);
}

int
wc_ctype_crosses(const wc_ctype *t)
{
    if (t == NULL) {
        return 1;
    }
    switch (t->kind) {
    case CT_OWN:
    case CT_BORROW: return 0;
    case CT_FUNC:
        for (uint32_t i = 0; i < t->n; i++) {
            if (!wc_ctype_crosses(t->elems[i])) {
                return 0;
            }
        }
        return wc_ctype_crosses(t->res);
    case CT_LIST: return wc_ctype_crosses(t->elems[0]);
    case CT_RECORD:
    case CT_TUPLE:
        for (uint32_t i = 0; i < t->n; i++) {
            if (!wc_ctype_crosses(t->elems[i])) {
                return 0;
            }
        }
        return 1;
    case CT_VARIANT:
    case CT_OPTION:
    case CT_RESULT:
        for (uint32_t c = 0; c < wc_ctype_ncases(t); c++) {
            if (!wc_ctype_crosses(wc_ctype_case(t, c))) {
                return 0;
            }
        }
        return 1;
    default: return 1;
    }
}

int
wc_component_func_type(const void *bytes, size_t len, const char *iface, const char *name,
                       wc_arena *arena, const wc_ctype **out, wc_error *err)
{
    ccomp *c;

    if (wc_cparse(bytes, len, arena, &c, err) != 0) {
        return WC_EINVAL;
    }
    for (uint32_t i = 0; i < c->ndefs; i++) {
        const cdef *d = &c->defs[i];

        if (d->kind != D_EXPORT || d->type == NULL) {
            continue;
        }
        if (iface == NULL || *iface == '\0') {
            if (d->sort == SORT_FUNC && strcmp(d->name, name) == 0 && d->type->kind == CT_FUNC) {
                *out = d->type;
                return 0;
            }
            continue;
        }
        if (d->sort != SORT_INSTANCE || d->type->kind != CT_INSTANCE ||
            !wc__name_matches(d->name, iface)) {
            continue;
        }
        for (uint32_t k = 0; k < d->type->n; k++) {
            const cdecl *f = &d->type->decls[k];

            if (f->sort == SORT_FUNC && strcmp(f->name, name) == 0) {
                *out = f->type;
                return 0;
            }
        }
    }
    return wc_error_set(err, WC_ENOENT, "the component does not export %s%s%s",
                        iface != NULL && *iface ? iface : "",
                        iface != NULL && *iface ? " function " : "function ", name);
}

/* ---- encoding ---- */

static void
put_sleb(wc_strbuf *sb, int64_t v)
{
    for (;;) {
        uint8_t b = v & 0x7f;

        v >>= 7; /* arithmetic */
        if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
            wc_strbuf_addch(sb, b);
            return;
        }
        wc_strbuf_addch(sb, b | 0x80);
    }
}

static void
put_utf8(wc_strbuf *sb, uint32_t c)
{
    if (c < 0x80) {
        wc_strbuf_addch(sb, (int)c);
    } else if (c < 0x800) {
        wc_strbuf_addch(sb, 0xc0 | (c >> 6));
        wc_strbuf_addch(sb, 0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        wc_strbuf_addch(sb, 0xe0 | (c >> 12));
        wc_strbuf_addch(sb, 0x80 | ((c >> 6) & 0x3f));
        wc_strbuf_addch(sb, 0x80 | (c & 0x3f));
    } else {
        wc_strbuf_addch(sb, 0xf0 | (c >> 18));
        wc_strbuf_addch(sb, 0x80 | ((c >> 12) & 0x3f));
        wc_strbuf_addch(sb, 0x80 | ((c >> 6) & 0x3f));
        wc_strbuf_addch(sb, 0x80 | (c & 0x3f));
    }
}

static int
encode(wc_strbuf *sb, const ctype *t, const wc_cval *v, int depth, wc_error *err)
{
    if (depth > MAX_DEPTH) {
        return wc_error_set(err, WC_ELIMIT, "value nested deeper than %d", MAX_DEPTH);
    }
    switch (t->kind) {
    case CT_BOOL: wc_strbuf_addch(sb, v->u.b ? 1 : 0); break;
    case CT_S8:
    case CT_U8: wc_strbuf_addch(sb, (int)(v->u.u32 & 0xff)); break;
    case CT_U16:
    case CT_U32: wc_leb_put(sb, v->u.u32); break;
    case CT_U64: wc_leb_put(sb, v->u.u64); break;
    case CT_S16:
    case CT_S32: put_sleb(sb, v->u.s32); break;
    case CT_S64: put_sleb(sb, v->u.s64); break;
    case CT_F32: wc_strbuf_add(sb, &v->u.f32, 4); break; /* little-endian hosts only */
    case CT_F64: wc_strbuf_add(sb, &v->u.f64, 8); break;
    case CT_CHAR: put_utf8(sb, v->u.ch); break;
    case CT_STRING:
        wc_leb_put(sb, v->u.str.len);
        wc_strbuf_add(sb, v->u.str.ptr, v->u.str.len);
        break;
    case CT_LIST:
        wc_leb_put(sb, v->u.list.n);
        if (v->u.list.elems == NULL) {
            wc_strbuf_add(sb, v->u.list.bytes, v->u.list.n);
            break;
        }
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (encode(sb, t->elems[0], &v->u.list.elems[i], depth + 1, err) != 0) {
                return err->code;
            }
        }
        break;
    case CT_RECORD:
    case CT_TUPLE:
        for (uint32_t i = 0; i < t->n; i++) {
            if (encode(sb, t->elems[i], &v->u.fields[i], depth + 1, err) != 0) {
                return err->code;
            }
        }
        break;
    case CT_ENUM: wc_leb_put(sb, v->u.var.disc); break;
    case CT_VARIANT:
    case CT_OPTION:
    case CT_RESULT: {
        const ctype *p = wc_ctype_case(t, v->u.var.disc);

        if (t->kind == CT_VARIANT) {
            wc_leb_put(sb, v->u.var.disc);
        } else {
            wc_strbuf_addch(sb, v->u.var.disc ? 1 : 0);
        }
        if (p != NULL && encode(sb, p, v->u.var.val, depth + 1, err) != 0) {
            return err->code;
        }
        break;
    }
    case CT_FLAGS:
        for (uint32_t i = 0; i < (t->n + 7) / 8; i++) {
            wc_strbuf_addch(sb, (int)((v->u.flags >> (8 * i)) & 0xff));
        }
        break;
    default: return wc_error_set(err, WC_ENOTSUP, "a resource handle cannot be sent over the wire");
    }
    return 0;
}

int
wc_cval_encode(wc_strbuf *out, const wc_ctype *t, const wc_cval *v, wc_error *err)
{
    return encode(out, t, v, 0, err);
}

/* ---- decoding ---- */

typedef struct reader {
    const uint8_t *p, *end;
    wc_arena *a;
    wc_error *err;
} reader;

#define MORE 1 /* the input ended inside a value */

static int
get_uleb(reader *r, unsigned bits, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned shift = 0;; shift += 7) {
        uint8_t b;

        if (r->p == r->end) {
            return MORE;
        }
        b = *r->p++;
        if (shift >= bits || (shift + 7 > bits && (b & 0x7f) >> (bits - shift) != 0)) {
            return wc_error_set(r->err, WC_EINVAL, "integer too large for %u bits", bits);
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            break;
        }
    }
    *out = v;
    return 0;
}

static int
get_sleb(reader *r, unsigned bits, int64_t *out)
{
    int64_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        if (r->p == r->end) {
            return MORE;
        }
        if (shift >= bits + 7) {
            return wc_error_set(r->err, WC_EINVAL, "integer too large for %u bits", bits);
        }
        b = *r->p++;
        v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) {
        v |= (int64_t)(~0ull << shift);
    }
    if (bits < 64 && (v < -(1ll << (bits - 1)) || v >= (1ll << (bits - 1)))) {
        return wc_error_set(r->err, WC_EINVAL, "integer out of range for s%u", bits);
    }
    *out = v;
    return 0;
}

/* The length of the UTF-8 sequence at s (valid, no surrogates), or 0. */
static size_t
utf8_char(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len;

    if (n == 0) {
        return 0;
    }
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        c = s[0] & 0x1f, len = 2;
    } else if ((s[0] & 0xf0) == 0xe0) {
        c = s[0] & 0x0f, len = 3;
    } else if ((s[0] & 0xf8) == 0xf0) {
        c = s[0] & 0x07, len = 4;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10ffff || (c >= 0xd800 && c < 0xe000)) {
        return 0;
    }
    *cp = c;
    return len;
}

static int
valid_utf8(const uint8_t *s, size_t n)
{
    uint32_t c;

    for (size_t i = 0, k; i < n; i += k) {
        if ((k = utf8_char(s + i, n - i, &c)) == 0) {
            return 0;
        }
    }
    return 1;
}

static int
get_len(reader *r, uint64_t *n)
{
    return get_uleb(r, 32, n);
}

static int decode(reader *r, const ctype *t, wc_cval *v, int depth);

static int
decode_fields(reader *r, const ctype *const *types, uint32_t n, wc_cval *fields, int depth)
{
    for (uint32_t i = 0; i < n; i++) {
        int rc = decode(r, types[i], &fields[i], depth + 1);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int
decode(reader *r, const ctype *t, wc_cval *v, int depth)
{
    uint64_t u = 0;
    int64_t s = 0;
    int rc;

    if (depth > MAX_DEPTH) {
        return wc_error_set(r->err, WC_ELIMIT, "value nested deeper than %d", MAX_DEPTH);
    }
    memset(v, 0, sizeof(*v));
    v->kind = t->kind;
    switch (t->kind) {
    case CT_BOOL:
    case CT_U8:
    case CT_S8:
        if (r->p == r->end) {
            return MORE;
        }
        if (t->kind == CT_BOOL && *r->p > 1) {
            return wc_error_set(r->err, WC_EINVAL, "bool byte %u is not 0 or 1", *r->p);
        }
        if (t->kind == CT_BOOL) {
            v->u.b = *r->p++;
        } else if (t->kind == CT_U8) {
            v->u.u32 = *r->p++;
        } else {
            v->u.s32 = (int8_t)*r->p++;
        }
        return 0;
    case CT_U16:
    case CT_U32:
    case CT_U64:
        rc = get_uleb(r, t->kind == CT_U16 ? 16 : t->kind == CT_U32 ? 32 : 64, &u);
        if (t->kind == CT_U64) {
            v->u.u64 = u;
        } else {
            v->u.u32 = (uint32_t)u;
        }
        return rc;
    case CT_S16:
    case CT_S32:
    case CT_S64:
        rc = get_sleb(r, t->kind == CT_S16 ? 16 : t->kind == CT_S32 ? 32 : 64, &s);
        if (t->kind == CT_S64) {
            v->u.s64 = s;
        } else {
            v->u.s32 = (int32_t)s;
        }
        return rc;
    case CT_F32:
    case CT_F64: {
        size_t n = t->kind == CT_F32 ? 4 : 8;

        if ((size_t)(r->end - r->p) < n) {
            return MORE;
        }
        memcpy(t->kind == CT_F32 ? (void *)&v->u.f32 : (void *)&v->u.f64, r->p, n);
        r->p += n;
        return 0;
    }
    case CT_CHAR: {
        size_t n = (size_t)(r->end - r->p), k;

        if (n == 0) {
            return MORE;
        }
        if ((k = utf8_char(r->p, n, &v->u.ch)) == 0) {
            size_t need = *r->p >= 0xf0 ? 4 : *r->p >= 0xe0 ? 3 : 2;

            return n < need ? MORE : wc_error_set(r->err, WC_EINVAL, "invalid UTF-8 in a char");
        }
        r->p += k;
        return 0;
    }
    case CT_STRING:
        if ((rc = get_len(r, &u)) != 0) {
            return rc;
        }
        if ((uint64_t)(r->end - r->p) < u) {
            return MORE;
        }
        if (!valid_utf8(r->p, u)) {
            return wc_error_set(r->err, WC_EINVAL, "a string is not valid UTF-8");
        }
        v->u.str.ptr = wc_arena_strndup(r->a, (const char *)r->p, u);
        v->u.str.len = u;
        r->p += u;
        return 0;
    case CT_LIST:
        if ((rc = get_len(r, &u)) != 0) {
            return rc;
        }
        v->u.list.n = u;
        if (t->elems[0]->kind == CT_U8 || t->elems[0]->kind == CT_S8) {
            if ((uint64_t)(r->end - r->p) < u) {
                return MORE;
            }
            v->u.list.bytes = (const uint8_t *)wc_arena_strndup(r->a, (const char *)r->p, u);
            r->p += u;
            return 0;
        }
        /* Every element takes a byte at least, except empty records and tuples. */
        if (u > (uint64_t)(r->end - r->p) && t->elems[0]->size > 0) {
            return MORE;
        }
        if (u > (1u << 20)) {
            return wc_error_set(r->err, WC_ELIMIT, "a list of %llu elements is too long",
                                (unsigned long long)u);
        }
        v->u.list.elems = wc_arena_calloc(r->a, u ? u : 1, sizeof(wc_cval));
        for (uint64_t i = 0; i < u; i++) {
            if ((rc = decode(r, t->elems[0], &v->u.list.elems[i], depth + 1)) != 0) {
                return rc;
            }
        }
        return 0;
    case CT_RECORD:
    case CT_TUPLE:
        v->u.fields = wc_arena_calloc(r->a, t->n ? t->n : 1, sizeof(wc_cval));
        return decode_fields(r, t->elems, t->n, v->u.fields, depth);
    case CT_ENUM:
    case CT_VARIANT:
    case CT_OPTION:
    case CT_RESULT: {
        const ctype *p;

        if (t->kind == CT_ENUM || t->kind == CT_VARIANT) {
            if ((rc = get_uleb(r, 32, &u)) != 0) {
                return rc;
            }
        } else if (r->p == r->end) {
            return MORE;
        } else {
            u = *r->p++;
        }
        if (u >= wc_ctype_ncases(t)) {
            return wc_error_set(r->err, WC_EINVAL, "case %llu of a type with %u cases",
                                (unsigned long long)u, wc_ctype_ncases(t));
        }
        v->u.var.disc = (uint32_t)u;
        if ((p = wc_ctype_case(t, v->u.var.disc)) != NULL) {
            v->u.var.val = wc_arena_calloc(r->a, 1, sizeof(wc_cval));
            return decode(r, p, v->u.var.val, depth + 1);
        }
        return 0;
    }
    case CT_FLAGS: {
        uint32_t n = (t->n + 7) / 8;

        if ((uint32_t)(r->end - r->p) < n) {
            return MORE;
        }
        for (uint32_t i = 0; i < n; i++) {
            v->u.flags |= (uint32_t)r->p[i] << (8 * i);
        }
        r->p += n;
        if (t->n < 32 && (v->u.flags >> t->n) != 0) {
            return wc_error_set(r->err, WC_EINVAL, "flags beyond the %u defined", t->n);
        }
        return 0;
    }
    default:
        return wc_error_set(r->err, WC_ENOTSUP,
                            "a resource handle cannot be received over the "
                            "wire");
    }
}

int
wc_cval_decode_all(const uint8_t *buf, size_t len, size_t *used, const wc_ctype *const *types,
                   uint32_t n, wc_arena *a, wc_cval *out, wc_error *err)
{
    reader r = {buf, buf + len, a, err};
    int rc = decode_fields(&r, types, n, out, 0);

    *used = (size_t)(r.p - buf);
    return rc;
}

/* ---- WAVE text ---- */

typedef struct parser {
    const char *s, *p;
    wc_arena *a;
    wc_error *err;
} parser;

static void
skip_ws(parser *ps)
{
    while (isspace((unsigned char)*ps->p)) {
        ps->p++;
    }
}

static int
syntax(parser *ps, const char *what)
{
    return wc_error_set(ps->err, WC_EINVAL, "expected %s at offset %zu of the value: %.20s", what,
                        (size_t)(ps->p - ps->s), *ps->p ? ps->p : "(end)");
}

static int
eat(parser *ps, char c)
{
    skip_ws(ps);
    if (*ps->p == c) {
        ps->p++;
        return 1;
    }
    return 0;
}

/* A label (kebab-case, optionally %-escaped); returns its length, 0 if none. */
static size_t
label(parser *ps, const char **out)
{
    const char *b;

    skip_ws(ps);
    if (*ps->p == '%') {
        ps->p++;
    }
    b = ps->p;
    while (isalnum((unsigned char)*ps->p) || *ps->p == '-') {
        ps->p++;
    }
    *out = b;
    return (size_t)(ps->p - b);
}

static int
find_label(const ctype *t, const char *l, size_t n)
{
    for (uint32_t i = 0; i < t->n; i++) {
        if (strlen(t->names[i]) == n && memcmp(t->names[i], l, n) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* One character of a quoted string or char, escapes decoded. */
static int
quoted_char(parser *ps, uint32_t *c)
{
    const unsigned char *p = (const unsigned char *)ps->p;
    size_t k;

    if (*p == '\\') {
        switch (p[1]) {
        case 'n': *c = '\n'; break;
        case 't': *c = '\t'; break;
        case 'r': *c = '\r'; break;
        case '\\':
        case '\'':
        case '"': *c = p[1]; break;
        case 'u': {
            char *e;

            if (p[2] != '{') {
                return syntax(ps, "\\u{hex}");
            }
            *c = (uint32_t)strtoul((const char *)p + 3, &e, 16);
            if (*e != '}' || *c > 0x10ffff || (*c >= 0xd800 && *c < 0xe000)) {
                return syntax(ps, "\\u{hex}");
            }
            ps->p = e + 1;
            return 0;
        }
        default: return syntax(ps, "an escape (\\n \\t \\r \\\\ \\' \\\" \\u{...})");
        }
        ps->p += 2;
        return 0;
    }
    if ((k = utf8_char(p, strnlen(ps->p, 4), c)) == 0) {
        return syntax(ps, "UTF-8 text");
    }
    ps->p += k;
    return 0;
}

static int parse(parser *ps, const ctype *t, wc_cval *v, int depth);

static int
parse_number(parser *ps, const ctype *t, wc_cval *v)
{
    char *e;

    skip_ws(ps);
    errno = 0;
    if (t->kind == CT_F32 || t->kind == CT_F64) {
        double d;

        if (strncmp(ps->p, "nan", 3) == 0) {
            d = NAN, e = (char *)ps->p + 3;
        } else if (strncmp(ps->p, "inf", 3) == 0 || strncmp(ps->p, "-inf", 4) == 0) {
            d = *ps->p == '-' ? -INFINITY : INFINITY;
            e = (char *)ps->p + (*ps->p == '-' ? 4 : 3);
        } else {
            d = strtod(ps->p, &e);
        }
        if (e == ps->p) {
            return syntax(ps, "a number");
        }
        if (t->kind == CT_F32) {
            v->u.f32 = (float)d;
        } else {
            v->u.f64 = d;
        }
    } else if (t->kind == CT_U8 || t->kind == CT_U16 || t->kind == CT_U32 || t->kind == CT_U64) {
        unsigned long long u;
        unsigned long long max = t->kind == CT_U8    ? 0xff
                                 : t->kind == CT_U16 ? 0xffff
                                 : t->kind == CT_U32 ? 0xffffffffull
                                                     : ~0ull;

        if (*ps->p == '-' || !isdigit((unsigned char)*ps->p)) {
            return syntax(ps, "an unsigned integer");
        }
        u = strtoull(ps->p, &e, 10);
        if (errno != 0 || u > max) {
            return wc_error_set(ps->err, WC_EINVAL, "%.*s is out of range for this type",
                                (int)(e - ps->p), ps->p);
        }
        if (t->kind == CT_U64) {
            v->u.u64 = u;
        } else {
            v->u.u32 = (uint32_t)u;
        }
    } else {
        long long s = strtoll(ps->p, &e, 10);
        long long lim = t->kind == CT_S8    ? 0x80
                        : t->kind == CT_S16 ? 0x8000
                        : t->kind == CT_S32 ? 0x80000000ll
                                            : 0;

        if (e == ps->p) {
            return syntax(ps, "an integer");
        }
        if (errno != 0 || (lim != 0 && (s < -lim || s >= lim))) {
            return wc_error_set(ps->err, WC_EINVAL, "%.*s is out of range for this type",
                                (int)(e - ps->p), ps->p);
        }
        if (t->kind == CT_S64) {
            v->u.s64 = s;
        } else {
            v->u.s32 = (int32_t)s;
        }
    }
    ps->p = e;
    return 0;
}

static int
parse_seq(parser *ps, char open, char close, const ctype *const *types, uint32_t n, wc_cval *out,
          int depth)
{
    if (!eat(ps, open)) {
        char what[4] = {open, 0};

        return syntax(ps, what);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && !eat(ps, ',')) {
            return syntax(ps, "','");
        }
        if (parse(ps, types[i], &out[i], depth + 1) != 0) {
            return WC_EINVAL;
        }
    }
    eat(ps, ',');
    if (!eat(ps, close)) {
        char what[4] = {close, 0};

        return syntax(ps, what);
    }
    return 0;
}

static int
parse_case(parser *ps, const ctype *t, wc_cval *v, int depth)
{
    static const char *const optnames[] = {"none", "some"}, *const resnames[] = {"ok", "err"};
    const char *l;
    size_t n = label(ps, &l);
    int c = -1;
    const ctype *p;

    if (t->kind == CT_OPTION || t->kind == CT_RESULT) {
        const char *const *names = t->kind == CT_OPTION ? optnames : resnames;

        for (int i = 0; i < 2; i++) {
            if (strlen(names[i]) == n && memcmp(names[i], l, n) == 0) {
                c = i;
            }
        }
    } else {
        c = find_label(t, l, n);
    }
    if (c < 0) {
        ps->p = l;
        return syntax(ps, t->kind == CT_OPTION   ? "some(...) or none"
                          : t->kind == CT_RESULT ? "ok(...) or err(...)"
                                                 : "a case name");
    }
    v->u.var.disc = (uint32_t)c;
    p = t->kind == CT_ENUM ? NULL : wc_ctype_case(t, (uint32_t)c);
    if (p == NULL) {
        return 0;
    }
    v->u.var.val = wc_arena_calloc(ps->a, 1, sizeof(wc_cval));
    return parse_seq(ps, '(', ')', &p, 1, v->u.var.val, depth);
}

static int
parse(parser *ps, const ctype *t, wc_cval *v, int depth)
{
    if (depth > MAX_DEPTH) {
        return wc_error_set(ps->err, WC_ELIMIT, "value nested deeper than %d", MAX_DEPTH);
    }
    memset(v, 0, sizeof(*v));
    v->kind = t->kind;
    skip_ws(ps);
    switch (t->kind) {
    case CT_BOOL:
        if (strncmp(ps->p, "true", 4) == 0 || strncmp(ps->p, "false", 5) == 0) {
            v->u.b = *ps->p == 't';
            ps->p += v->u.b ? 4 : 5;
            return 0;
        }
        return syntax(ps, "true or false");
    case CT_CHAR:
        if (!eat(ps, '\'') || quoted_char(ps, &v->u.ch) != 0 || !eat(ps, '\'')) {
            return syntax(ps, "a char like 'x'");
        }
        return 0;
    case CT_STRING: {
        wc_strbuf sb = WC_STRBUF_INIT;
        uint32_t c;

        if (!eat(ps, '"')) {
            return syntax(ps, "a string in double quotes");
        }
        while (*ps->p != '"') {
            if (*ps->p == '\0' || quoted_char(ps, &c) != 0) {
                wc_strbuf_release(&sb);
                return *ps->p == '\0' ? syntax(ps, "a closing '\"'") : WC_EINVAL;
            }
            put_utf8(&sb, c);
        }
        ps->p++;
        v->u.str.ptr = wc_arena_strndup(ps->a, sb.buf, sb.len);
        v->u.str.len = sb.len;
        wc_strbuf_release(&sb);
        return 0;
    }
    case CT_LIST: {
        size_t cap = 8, n = 0;
        wc_cval *elems = wc_arena_calloc(ps->a, cap, sizeof(wc_cval));

        if (!eat(ps, '[')) {
            return syntax(ps, "'['");
        }
        while (!eat(ps, ']')) {
            if (n > 0 && !eat(ps, ',')) {
                return syntax(ps, "',' or ']'");
            }
            if (n > 0 && eat(ps, ']')) {
                break;
            }
            if (n == cap) {
                wc_cval *bigger = wc_arena_calloc(ps->a, cap * 2, sizeof(wc_cval));

                memcpy(bigger, elems, cap * sizeof(wc_cval));
                elems = bigger, cap *= 2;
            }
            if (parse(ps, t->elems[0], &elems[n++], depth + 1) != 0) {
                return WC_EINVAL;
            }
        }
        v->u.list.n = n;
        if (t->elems[0]->kind == CT_U8 || t->elems[0]->kind == CT_S8) {
            uint8_t *b = wc_arena_alloc(ps->a, n ? n : 1);

            for (size_t i = 0; i < n; i++) {
                b[i] = (uint8_t)elems[i].u.u32;
            }
            v->u.list.bytes = b;
        } else {
            v->u.list.elems = elems;
        }
        return 0;
    }
    case CT_TUPLE:
        v->u.fields = wc_arena_calloc(ps->a, t->n ? t->n : 1, sizeof(wc_cval));
        return parse_seq(ps, '(', ')', t->elems, t->n, v->u.fields, depth);
    case CT_RECORD: {
        uint8_t *seen = wc_arena_calloc(ps->a, t->n ? t->n : 1, 1);

        v->u.fields = wc_arena_calloc(ps->a, t->n ? t->n : 1, sizeof(wc_cval));
        if (!eat(ps, '{')) {
            return syntax(ps, "'{' (a record)");
        }
        for (int first = 1; !eat(ps, '}'); first = 0) {
            const char *l;
            size_t n;
            int f;

            if (!first && !eat(ps, ',')) {
                return syntax(ps, "',' or '}'");
            }
            if (!first && eat(ps, '}')) {
                break;
            }
            n = label(ps, &l);
            if ((f = find_label(t, l, n)) < 0) {
                ps->p = l;
                return syntax(ps, "a field name of the record");
            }
            if (!eat(ps, ':')) {
                return syntax(ps, "':'");
            }
            if (parse(ps, t->elems[f], &v->u.fields[f], depth + 1) != 0) {
                return WC_EINVAL;
            }
            seen[f] = 1;
        }
        for (uint32_t i = 0; i < t->n; i++) {
            /* An option field left out is none. */
            if (!seen[i] && t->elems[i]->kind != CT_OPTION) {
                return wc_error_set(ps->err, WC_EINVAL, "the record has no field %s", t->names[i]);
            }
            v->u.fields[i].kind = t->elems[i]->kind;
        }
        return 0;
    }
    case CT_FLAGS:
        if (!eat(ps, '{')) {
            return syntax(ps, "'{' (flags)");
        }
        for (int first = 1; !eat(ps, '}'); first = 0) {
            const char *l;
            size_t n;
            int f;

            if (!first && !eat(ps, ',')) {
                return syntax(ps, "',' or '}'");
            }
            n = label(ps, &l);
            if ((f = find_label(t, l, n)) < 0 || f >= 32) {
                ps->p = l;
                return syntax(ps, "a flag name");
            }
            v->u.flags |= 1u << f;
        }
        return 0;
    case CT_ENUM:
    case CT_VARIANT:
    case CT_OPTION:
    case CT_RESULT: return parse_case(ps, t, v, depth);
    case CT_OWN:
    case CT_BORROW:
        return wc_error_set(ps->err, WC_ENOTSUP, "a resource handle cannot be given as text");
    default: return parse_number(ps, t, v);
    }
}

int
wc_cval_parse(const char *text, const wc_ctype *t, wc_arena *a, wc_cval *out, wc_error *err)
{
    parser ps = {text, text, a, err};

    if (parse(&ps, t, out, 0) != 0) {
        return err->code ? err->code : WC_EINVAL;
    }
    skip_ws(&ps);
    if (*ps.p != '\0') {
        return syntax(&ps, "the end of the value");
    }
    return 0;
}

static void
format_char(wc_strbuf *sb, uint32_t c, char quote)
{
    switch (c) {
    case '\n': wc_strbuf_adds(sb, "\\n"); return;
    case '\t': wc_strbuf_adds(sb, "\\t"); return;
    case '\r': wc_strbuf_adds(sb, "\\r"); return;
    case '\\': wc_strbuf_adds(sb, "\\\\"); return;
    default: break;
    }
    if (c == (uint32_t)quote) {
        wc_strbuf_addch(sb, '\\');
        wc_strbuf_addch(sb, quote);
    } else if (c < 0x20 || c == 0x7f) {
        wc_strbuf_addf(sb, "\\u{%x}", c);
    } else {
        put_utf8(sb, c);
    }
}

static void
format(wc_strbuf *sb, const ctype *t, const wc_cval *v, int depth)
{
    if (depth > MAX_DEPTH) {
        wc_strbuf_adds(sb, "...");
        return;
    }
    switch (t->kind) {
    case CT_BOOL: wc_strbuf_adds(sb, v->u.b ? "true" : "false"); break;
    case CT_U8:
    case CT_U16:
    case CT_U32: wc_strbuf_addf(sb, "%u", v->u.u32); break;
    case CT_S8:
    case CT_S16:
    case CT_S32: wc_strbuf_addf(sb, "%d", v->u.s32); break;
    case CT_U64: wc_strbuf_addf(sb, "%llu", (unsigned long long)v->u.u64); break;
    case CT_S64: wc_strbuf_addf(sb, "%lld", (long long)v->u.s64); break;
    case CT_F32:
    case CT_F64: {
        double d = t->kind == CT_F32 ? (double)v->u.f32 : v->u.f64;

        if (isnan(d)) {
            wc_strbuf_adds(sb, "nan");
        } else if (isinf(d)) {
            wc_strbuf_adds(sb, d < 0 ? "-inf" : "inf");
        } else {
            wc_strbuf_addf(sb, t->kind == CT_F32 ? "%.9g" : "%.17g", d);
        }
        break;
    }
    case CT_CHAR:
        wc_strbuf_addch(sb, '\'');
        format_char(sb, v->u.ch, '\'');
        wc_strbuf_addch(sb, '\'');
        break;
    case CT_STRING: {
        const uint8_t *s = (const uint8_t *)v->u.str.ptr;
        uint32_t c;

        wc_strbuf_addch(sb, '"');
        for (size_t i = 0, k; i < v->u.str.len; i += k) {
            if ((k = utf8_char(s + i, v->u.str.len - i, &c)) == 0) {
                c = 0xfffd, k = 1;
            }
            format_char(sb, c, '"');
        }
        wc_strbuf_addch(sb, '"');
        break;
    }
    case CT_LIST:
        wc_strbuf_addch(sb, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i > 0) {
                wc_strbuf_adds(sb, ", ");
            }
            if (v->u.list.elems == NULL) {
                wc_strbuf_addf(sb, "%d",
                               t->elems[0]->kind == CT_S8 ? (int)(int8_t)v->u.list.bytes[i]
                                                          : (int)v->u.list.bytes[i]);
            } else {
                format(sb, t->elems[0], &v->u.list.elems[i], depth + 1);
            }
        }
        wc_strbuf_addch(sb, ']');
        break;
    case CT_TUPLE:
    case CT_RECORD:
        wc_strbuf_addch(sb, t->kind == CT_TUPLE ? '(' : '{');
        for (uint32_t i = 0; i < t->n; i++) {
            if (i > 0) {
                wc_strbuf_adds(sb, ", ");
            }
            if (t->kind == CT_RECORD) {
                wc_strbuf_addf(sb, "%s: ", t->names[i]);
            }
            format(sb, t->elems[i], &v->u.fields[i], depth + 1);
        }
        wc_strbuf_addch(sb, t->kind == CT_TUPLE ? ')' : '}');
        break;
    case CT_FLAGS: {
        int first = 1;

        wc_strbuf_addch(sb, '{');
        for (uint32_t i = 0; i < t->n && i < 32; i++) {
            if (v->u.flags & (1u << i)) {
                wc_strbuf_addf(sb, "%s%s", first ? "" : ", ", t->names[i]);
                first = 0;
            }
        }
        wc_strbuf_addch(sb, '}');
        break;
    }
    case CT_ENUM: wc_strbuf_adds(sb, t->names[v->u.var.disc]); break;
    case CT_VARIANT:
    case CT_OPTION:
    case CT_RESULT: {
        const ctype *p = wc_ctype_case(t, v->u.var.disc);

        if (t->kind == CT_VARIANT) {
            wc_strbuf_adds(sb, t->names[v->u.var.disc]);
        } else if (t->kind == CT_OPTION) {
            wc_strbuf_adds(sb, v->u.var.disc ? "some" : "none");
        } else {
            wc_strbuf_adds(sb, v->u.var.disc ? "err" : "ok");
        }
        if (p != NULL && v->u.var.val != NULL) {
            wc_strbuf_addch(sb, '(');
            format(sb, p, v->u.var.val, depth + 1);
            wc_strbuf_addch(sb, ')');
        }
        break;
    }
    default: wc_strbuf_adds(sb, "<handle>"); break;
    }
}

void
wc_cval_format(wc_strbuf *out, const wc_ctype *t, const wc_cval *v)
{
    format(out, t, v, 0);
}
