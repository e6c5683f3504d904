/*
 * ctype.c - small facts about component types, and printing them as WIT.
 */
#include "component/ctype.h"

int
wc_ctype_is_value(const ctype *t)
{
    return t != NULL && t->kind >= CT_BORROW && t->kind <= CT_BOOL;
}

uint32_t
wc_ctype_disc_size(uint32_t ncases)
{
    return ncases <= 256 ? 1 : ncases <= 65536 ? 2 : 4;
}

uint32_t
wc_ctype_ncases(const ctype *t)
{
    switch (t->kind) {
    case CT_VARIANT:
    case CT_ENUM: return t->n;
    case CT_OPTION:
    case CT_RESULT: return 2;
    default: return 0;
    }
}

const ctype *
wc_ctype_case(const ctype *t, uint32_t c)
{
    switch (t->kind) {
    case CT_VARIANT: return t->elems[c];
    case CT_OPTION: return c == 1 ? t->elems[0] : NULL;
    case CT_RESULT: return t->elems[c];
    default: return NULL;
    }
}

uint32_t
wc_ctype_payload_offset(const ctype *t)
{
    uint32_t ncases = wc_ctype_ncases(t), disc = wc_ctype_disc_size(ncases), a = 1;

    for (uint32_t c = 0; c < ncases; c++) {
        const ctype *pt = wc_ctype_case(t, c);

        if (pt != NULL && pt->align > a) {
            a = pt->align;
        }
    }
    return (disc + a - 1) & ~(a - 1);
}

uint32_t
wc_ctype_field_offset(const ctype *t, uint32_t i)
{
    uint32_t off = 0;

    for (uint32_t k = 0;; k++) {
        const ctype *f = t->elems[k];

        off = (off + f->align - 1) & ~(f->align - 1);
        if (k == i) {
            return off;
        }
        off += f->size;
    }
}

static const char *
prim_name(uint8_t k)
{
    switch (k) {
    case CT_BOOL: return "bool";
    case CT_S8: return "s8";
    case CT_U8: return "u8";
    case CT_S16: return "s16";
    case CT_U16: return "u16";
    case CT_S32: return "s32";
    case CT_U32: return "u32";
    case CT_S64: return "s64";
    case CT_U64: return "u64";
    case CT_F32: return "f32";
    case CT_F64: return "f64";
    case CT_CHAR: return "char";
    case CT_STRING: return "string";
    default: return NULL;
    }
}

void
wc_ctype_print(wc_strbuf *sb, const ctype *t)
{
    const char *p;

    if (t == NULL) {
        wc_strbuf_adds(sb, "_");
        return;
    }
    if ((p = prim_name(t->kind)) != NULL) {
        wc_strbuf_adds(sb, p);
        return;
    }
    switch (t->kind) {
    case CT_LIST:
        wc_strbuf_adds(sb, "list<");
        wc_ctype_print(sb, t->elems[0]);
        wc_strbuf_addch(sb, '>');
        break;
    case CT_OPTION:
        wc_strbuf_adds(sb, "option<");
        wc_ctype_print(sb, t->elems[0]);
        wc_strbuf_addch(sb, '>');
        break;
    case CT_RESULT:
        if (t->elems[0] == NULL && t->elems[1] == NULL) {
            wc_strbuf_adds(sb, "result");
            break;
        }
        wc_strbuf_adds(sb, "result<");
        wc_ctype_print(sb, t->elems[0]);
        if (t->elems[1] != NULL) {
            wc_strbuf_adds(sb, ", ");
            wc_ctype_print(sb, t->elems[1]);
        }
        wc_strbuf_addch(sb, '>');
        break;
    case CT_TUPLE:
        wc_strbuf_adds(sb, "tuple<");
        for (uint32_t i = 0; i < t->n; i++) {
            if (i) {
                wc_strbuf_adds(sb, ", ");
            }
            wc_ctype_print(sb, t->elems[i]);
        }
        wc_strbuf_addch(sb, '>');
        break;
    case CT_RECORD:
        wc_strbuf_adds(sb, "record { ");
        for (uint32_t i = 0; i < t->n; i++) {
            wc_strbuf_addf(sb, "%s%s: ", i ? ", " : "", t->names[i]);
            wc_ctype_print(sb, t->elems[i]);
        }
        wc_strbuf_adds(sb, " }");
        break;
    case CT_VARIANT:
        wc_strbuf_adds(sb, "variant { ");
        for (uint32_t i = 0; i < t->n; i++) {
            wc_strbuf_addf(sb, "%s%s", i ? ", " : "", t->names[i]);
            if (t->elems[i] != NULL) {
                wc_strbuf_addch(sb, '(');
                wc_ctype_print(sb, t->elems[i]);
                wc_strbuf_addch(sb, ')');
            }
        }
        wc_strbuf_adds(sb, " }");
        break;
    case CT_ENUM:
    case CT_FLAGS:
        wc_strbuf_adds(sb, t->kind == CT_ENUM ? "enum { " : "flags { ");
        for (uint32_t i = 0; i < t->n; i++) {
            wc_strbuf_addf(sb, "%s%s", i ? ", " : "", t->names[i]);
        }
        wc_strbuf_adds(sb, " }");
        break;
    case CT_OWN:
    case CT_BORROW:
        wc_strbuf_adds(sb, t->kind == CT_OWN ? "own<" : "borrow<");
        wc_ctype_print(sb, t->res);
        wc_strbuf_addch(sb, '>');
        break;
    case CT_RESOURCE:
    case CT_ABSTRACT:
        if (t->names != NULL && t->names[0] != NULL) {
            wc_strbuf_adds(sb, t->names[0]);
        } else {
            wc_strbuf_addf(sb, "resource#%u", t->id);
        }
        break;
    case CT_FUNC:
        wc_strbuf_adds(sb, "func(");
        for (uint32_t i = 0; i < t->n; i++) {
            wc_strbuf_addf(sb, "%s%s: ", i ? ", " : "", t->names[i]);
            wc_ctype_print(sb, t->elems[i]);
        }
        wc_strbuf_addch(sb, ')');
        if (t->res != NULL) {
            wc_strbuf_adds(sb, " -> ");
            wc_ctype_print(sb, t->res);
        }
        break;
    case CT_INSTANCE: wc_strbuf_adds(sb, "instance"); break;
    case CT_COMPONENT: wc_strbuf_adds(sb, "component"); break;
    default: wc_strbuf_addf(sb, "type(0x%02x)", t->kind); break;
    }
}
