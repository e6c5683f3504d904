/*
 * translate.c - validate function bodies and write them as C.
 *
 * The operand stack is mapped onto C locals named by type class and height:
 * the i32 at height 3 is `i3`, an i64 there is `j3`, then `F3` (f32), `D3`
 * (f64) and `r3` (references). Wasm locals are `L0`, `L1`... (parameters
 * first). Because a Wasm stack height is static, every instruction becomes a
 * plain assignment between these variables, which both tcc and gcc handle
 * well, and branches become copies into the target's slots plus a goto.
 *
 * Validation follows the algorithm in the specification's appendix: a stack
 * of operand types and a stack of control frames; code after an unconditional
 * branch is type-checked against a polymorphic stack but not emitted.
 */
#include "engine/translate.h"

#include "base/vec.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WT_UNKNOWN 0 /* a polymorphic stack entry in unreachable code */

typedef struct frame {
    uint8_t kind; /* 0 function, 0x02 block, 0x03 loop, 0x04 if, 0x05 if after else */
    uint8_t unreachable;
    uint8_t dead; /* entered while not emitting: the whole frame emits nothing */
    uint8_t label_used;
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
    uint32_t height; /* operand stack height below the frame's parameters */
    uint32_t label;
} frame;

typedef struct fstate {
    const wc_modinfo *m;
    wc_error *err;
    wc_reader r;
    uint32_t func;
    const char *pfx;
    int emit;

    uint32_t nlocals;
    uint8_t *locals; /* types, parameters first */

    uint8_t *vals;
    uint32_t nvals, capvals;
    frame *ctrls;
    uint32_t nctrls, capctrls;

    wc_strbuf *out;
    uint32_t maxh[5]; /* highest slot used per class + 1 */
    uint32_t nlabels;
    uint8_t *called; /* per function: called from the current chunk */
    uint8_t single[1];
} fstate;

/* ---- C type names ---- */

static int
vclass(uint8_t t)
{
    switch (t) {
    case WT_I32: return 0;
    case WT_I64: return 1;
    case WT_F32: return 2;
    case WT_F64: return 3;
    default: return 4;
    }
}

static const char class_char[] = {'i', 'j', 'F', 'D', 'r'};
static const char *const class_ctype[] = {"u32", "u64", "f32", "f64", "wref"};
static const char *const class_field[] = {"i32", "i64", "f32", "f64", "ref"};

static const char *
ctype(uint8_t t)
{
    return class_ctype[vclass(t)];
}

/* Functions with several results return void and write them to a trailing
 * `wcrt_val *ret` array: a plain pointer is the same ABI in tcc and gcc,
 * which a struct returned in mixed registers is not. */
static void
add_ret_type(wc_strbuf *sb, const wc_ftype *t)
{
    wc_strbuf_adds(sb, t->nresults == 1 ? ctype(t->results[0]) : "void");
}

/* The C type of a function pointer with this signature: R (*)(void *, P...). */
static void
add_fnptr_type(wc_strbuf *sb, const wc_ftype *t)
{
    add_ret_type(sb, t);
    wc_strbuf_adds(sb, " (*)(void *");
    for (uint32_t i = 0; i < t->nparams; i++) {
        wc_strbuf_addf(sb, ", %s", ctype(t->params[i]));
    }
    if (t->nresults > 1) {
        wc_strbuf_adds(sb, ", wcrt_val *");
    }
    wc_strbuf_addch(sb, ')');
}

static void
add_prototype(wc_strbuf *sb, const wc_modinfo *m, const char *pfx, uint32_t f, int names)
{
    const wc_ftype *t = wc_modinfo_functype(m, f);

    add_ret_type(sb, t);
    wc_strbuf_addf(sb, " %sf%u(wcrt_inst *inst", pfx, f);
    for (uint32_t i = 0; i < t->nparams; i++) {
        if (names) {
            wc_strbuf_addf(sb, ", %s L%u", ctype(t->params[i]), i);
        } else {
            wc_strbuf_addf(sb, ", %s", ctype(t->params[i]));
        }
    }
    if (t->nresults > 1) {
        wc_strbuf_adds(sb, names ? ", wcrt_val *ret" : ", wcrt_val *");
    }
    wc_strbuf_addch(sb, ')');
}

/* ---- errors ---- */

static int
verr(fstate *fs, const char *msg)
{
    return wc_error_set(fs->err, WC_EINVAL, "%s (function %u, offset %zu)", msg, fs->func,
                        (size_t)(fs->r.p - fs->r.base));
}

/* ---- operand and control stacks (the specification's algorithm) ---- */

static void
push(fstate *fs, uint8_t t)
{
    if (fs->nvals == fs->capvals) {
        fs->capvals = (uint32_t)wc_grow_size(fs->capvals, fs->nvals + 1);
        fs->vals = wc_xrealloc(fs->vals, fs->capvals);
    }
    fs->vals[fs->nvals++] = t;
    if (t != WT_UNKNOWN) {
        int c = vclass(t);

        if (fs->nvals > fs->maxh[c]) {
            fs->maxh[c] = fs->nvals;
        }
    }
}

/* Pop one operand, expecting type `expect` (WT_UNKNOWN: any). */
static int
pop(fstate *fs, uint8_t expect, uint8_t *got)
{
    frame *f = &fs->ctrls[fs->nctrls - 1];
    uint8_t actual;

    if (fs->nvals == f->height) {
        if (f->unreachable) {
            if (got) {
                *got = expect;
            }
            return 0;
        }
        return verr(fs, "type mismatch (operand stack underflow)");
    }
    actual = fs->vals[--fs->nvals];
    if (expect != WT_UNKNOWN && actual != WT_UNKNOWN && actual != expect) {
        char msg[96];

        snprintf(msg, sizeof(msg), "type mismatch (expected %s, found %s)", wc_valtype_name(expect),
                 wc_valtype_name(actual));
        return verr(fs, msg);
    }
    if (got) {
        *got = actual == WT_UNKNOWN ? expect : actual;
    }
    return 0;
}

static int
pop_n(fstate *fs, uint32_t n, const uint8_t *types)
{
    for (uint32_t i = n; i-- > 0;) {
        int rc = pop(fs, types[i], NULL);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static void
push_n(fstate *fs, uint32_t n, const uint8_t *types)
{
    for (uint32_t i = 0; i < n; i++) {
        push(fs, types[i]);
    }
}

static int
emitting(fstate *fs)
{
    frame *f = &fs->ctrls[fs->nctrls - 1];

    return fs->emit && !f->unreachable && !f->dead;
}

static frame *
push_ctrl(fstate *fs, uint8_t kind, uint32_t np, const uint8_t *params, uint32_t nr,
          const uint8_t *results)
{
    int live = fs->nctrls == 0 || emitting(fs);
    frame *f;

    if (fs->nctrls == fs->capctrls) {
        fs->capctrls = (uint32_t)wc_grow_size(fs->capctrls, fs->nctrls + 1);
        fs->ctrls = wc_xrealloc(fs->ctrls, fs->capctrls * sizeof(*fs->ctrls));
    }
    f = &fs->ctrls[fs->nctrls++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->nparams = np;
    f->params = params;
    f->nresults = nr;
    f->results = results;
    f->height = fs->nvals;
    f->dead = !live;
    f->label = fs->nlabels++;
    return f;
}

static void
set_unreachable(fstate *fs)
{
    frame *f = &fs->ctrls[fs->nctrls - 1];

    fs->nvals = f->height;
    f->unreachable = 1;
}

static uint32_t
label_arity(const frame *f, const uint8_t **types)
{
    if (f->kind == 0x03) {
        *types = f->params;
        return f->nparams;
    }
    *types = f->results;
    return f->nresults;
}

/* ---- emission helpers ---- */

#define OUT (fs->out)

static void
slot(fstate *fs, uint8_t t, uint32_t h)
{
    wc_strbuf_addf(OUT, "%c%u", class_char[vclass(t)], h);
}

/* Copy the top n values (types) down to start at height dst. */
static void
emit_copies(fstate *fs, uint32_t n, const uint8_t *types, uint32_t dst)
{
    uint32_t src = fs->nvals - n;

    if (src == dst) {
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        wc_strbuf_adds(OUT, " ");
        slot(fs, types[i], dst + i);
        wc_strbuf_adds(OUT, " = ");
        slot(fs, types[i], src + i);
        wc_strbuf_adds(OUT, ";");
    }
}

/* Branch to the frame at relative depth `depth`; emits copies and a goto. */
static void
emit_branch(fstate *fs, uint32_t depth)
{
    frame *f = &fs->ctrls[fs->nctrls - 1 - depth];
    const uint8_t *types;
    uint32_t n = label_arity(f, &types);

    if (depth == fs->nctrls - 1) {
        /* The function frame: a branch to it is a return. */
        const wc_ftype *ft = wc_modinfo_functype(fs->m, fs->func);

        if (ft->nresults == 0) {
            wc_strbuf_adds(OUT, " return;");
        } else if (ft->nresults == 1) {
            wc_strbuf_adds(OUT, " return ");
            slot(fs, ft->results[0], fs->nvals - 1);
            wc_strbuf_adds(OUT, ";");
        } else {
            for (uint32_t i = 0; i < ft->nresults; i++) {
                wc_strbuf_addf(OUT, " ret[%u].%s = ", i, class_field[vclass(ft->results[i])]);
                slot(fs, ft->results[i], fs->nvals - ft->nresults + i);
                wc_strbuf_adds(OUT, ";");
            }
            wc_strbuf_adds(OUT, " return;");
        }
        return;
    }
    emit_copies(fs, n, types, f->height);
    wc_strbuf_addf(OUT, " goto B%u;", f->label);
    f->label_used = 1;
}

static int
read_u32(fstate *fs, uint32_t *v)
{
    const uint8_t *at = fs->r.p;

    if (wc__read_u32(&fs->r, v) != 0) {
        fs->r.p = at;
        return verr(fs, fs->r.p >= fs->r.end ? "unexpected end" : "malformed LEB128 integer");
    }
    return 0;
}

static int
read_byte(fstate *fs, uint8_t *v)
{
    if (fs->r.p >= fs->r.end) {
        return verr(fs, "unexpected end of section or function");
    }
    *v = *fs->r.p++;
    return 0;
}

/* Block type: empty, one value type, or a type index (s33). */
static int
blocktype(fstate *fs, uint32_t *np, const uint8_t **params, uint32_t *nr, const uint8_t **results)
{
    static const uint8_t single_types[] = {WT_I32, WT_I64,     WT_F32,
                                           WT_F64, WT_FUNCREF, WT_EXTERNREF};
    uint8_t b;
    int64_t idx;

    if (fs->r.p >= fs->r.end) {
        return verr(fs, "unexpected end");
    }
    b = *fs->r.p;
    *np = 0;
    *params = NULL;
    if (b == 0x40) {
        fs->r.p++;
        *nr = 0;
        *results = NULL;
        return 0;
    }
    for (size_t i = 0; i < sizeof(single_types); i++) {
        if (b == single_types[i]) {
            fs->r.p++;
            *nr = 1;
            *results = &single_types[i];
            return 0;
        }
    }
    if (b == WT_V128) {
        return wc_error_set(fs->err, WC_ENOTSUP,
                            "SIMD (v128) is not supported by this engine (function %u)", fs->func);
    }
    if (wc__read_s33(&fs->r, &idx) != 0 || idx < 0) {
        return verr(fs, "malformed block type");
    }
    if ((uint64_t)idx >= fs->m->ntypes) {
        return verr(fs, "unknown type");
    }
    *np = fs->m->types[idx].nparams;
    *params = fs->m->types[idx].params;
    *nr = fs->m->types[idx].nresults;
    *results = fs->m->types[idx].results;
    return 0;
}

/* ---- numeric instructions 0x45..0xc4 ---- */

typedef struct numop {
    uint8_t in1, in2, out; /* in2 = 0 for unary */
    const char *fmt;       /* C expression with %s for the operands */
} numop;

#define I WT_I32
#define J WT_I64
#define F WT_F32
#define D WT_F64
static const numop numops[0xc5 - 0x45] = {
    [0x45 - 0x45] = {I, 0, I, "(u32)(%s == 0)"},
    [0x46 - 0x45] = {I, I, I, "(u32)(%s == %s)"},
    [0x47 - 0x45] = {I, I, I, "(u32)(%s != %s)"},
    [0x48 - 0x45] = {I, I, I, "(u32)((s32)%s < (s32)%s)"},
    [0x49 - 0x45] = {I, I, I, "(u32)(%s < %s)"},
    [0x4a - 0x45] = {I, I, I, "(u32)((s32)%s > (s32)%s)"},
    [0x4b - 0x45] = {I, I, I, "(u32)(%s > %s)"},
    [0x4c - 0x45] = {I, I, I, "(u32)((s32)%s <= (s32)%s)"},
    [0x4d - 0x45] = {I, I, I, "(u32)(%s <= %s)"},
    [0x4e - 0x45] = {I, I, I, "(u32)((s32)%s >= (s32)%s)"},
    [0x4f - 0x45] = {I, I, I, "(u32)(%s >= %s)"},
    [0x50 - 0x45] = {J, 0, I, "(u32)(%s == 0)"},
    [0x51 - 0x45] = {J, J, I, "(u32)(%s == %s)"},
    [0x52 - 0x45] = {J, J, I, "(u32)(%s != %s)"},
    [0x53 - 0x45] = {J, J, I, "(u32)((s64)%s < (s64)%s)"},
    [0x54 - 0x45] = {J, J, I, "(u32)(%s < %s)"},
    [0x55 - 0x45] = {J, J, I, "(u32)((s64)%s > (s64)%s)"},
    [0x56 - 0x45] = {J, J, I, "(u32)(%s > %s)"},
    [0x57 - 0x45] = {J, J, I, "(u32)((s64)%s <= (s64)%s)"},
    [0x58 - 0x45] = {J, J, I, "(u32)(%s <= %s)"},
    [0x59 - 0x45] = {J, J, I, "(u32)((s64)%s >= (s64)%s)"},
    [0x5a - 0x45] = {J, J, I, "(u32)(%s >= %s)"},
    [0x5b - 0x45] = {F, F, I, "(u32)(%s == %s)"},
    [0x5c - 0x45] = {F, F, I, "(u32)(%s != %s)"},
    [0x5d - 0x45] = {F, F, I, "(u32)(%s < %s)"},
    [0x5e - 0x45] = {F, F, I, "(u32)(%s > %s)"},
    [0x5f - 0x45] = {F, F, I, "(u32)(%s <= %s)"},
    [0x60 - 0x45] = {F, F, I, "(u32)(%s >= %s)"},
    [0x61 - 0x45] = {D, D, I, "(u32)(%s == %s)"},
    [0x62 - 0x45] = {D, D, I, "(u32)(%s != %s)"},
    [0x63 - 0x45] = {D, D, I, "(u32)(%s < %s)"},
    [0x64 - 0x45] = {D, D, I, "(u32)(%s > %s)"},
    [0x65 - 0x45] = {D, D, I, "(u32)(%s <= %s)"},
    [0x66 - 0x45] = {D, D, I, "(u32)(%s >= %s)"},
    [0x67 - 0x45] = {I, 0, I, "W_CLZ32(%s)"},
    [0x68 - 0x45] = {I, 0, I, "W_CTZ32(%s)"},
    [0x69 - 0x45] = {I, 0, I, "W_POPCNT32(%s)"},
    [0x6a - 0x45] = {I, I, I, "%s + %s"},
    [0x6b - 0x45] = {I, I, I, "%s - %s"},
    [0x6c - 0x45] = {I, I, I, "%s * %s"},
    [0x6d - 0x45] = {I, I, I, "DIVS32(%s, %s)"},
    [0x6e - 0x45] = {I, I, I, "DIVU32(%s, %s)"},
    [0x6f - 0x45] = {I, I, I, "REMS32(%s, %s)"},
    [0x70 - 0x45] = {I, I, I, "REMU32(%s, %s)"},
    [0x71 - 0x45] = {I, I, I, "%s & %s"},
    [0x72 - 0x45] = {I, I, I, "%s | %s"},
    [0x73 - 0x45] = {I, I, I, "%s ^ %s"},
    [0x74 - 0x45] = {I, I, I, "%s << (%s & 31)"},
    [0x75 - 0x45] = {I, I, I, "(u32)((s32)%s >> (%s & 31))"},
    [0x76 - 0x45] = {I, I, I, "%s >> (%s & 31)"},
    [0x77 - 0x45] = {I, I, I, "ROTL32(%s, %s)"},
    [0x78 - 0x45] = {I, I, I, "ROTR32(%s, %s)"},
    [0x79 - 0x45] = {J, 0, J, "W_CLZ64(%s)"},
    [0x7a - 0x45] = {J, 0, J, "W_CTZ64(%s)"},
    [0x7b - 0x45] = {J, 0, J, "W_POPCNT64(%s)"},
    [0x7c - 0x45] = {J, J, J, "%s + %s"},
    [0x7d - 0x45] = {J, J, J, "%s - %s"},
    [0x7e - 0x45] = {J, J, J, "%s * %s"},
    [0x7f - 0x45] = {J, J, J, "DIVS64(%s, %s)"},
    [0x80 - 0x45] = {J, J, J, "DIVU64(%s, %s)"},
    [0x81 - 0x45] = {J, J, J, "REMS64(%s, %s)"},
    [0x82 - 0x45] = {J, J, J, "REMU64(%s, %s)"},
    [0x83 - 0x45] = {J, J, J, "%s & %s"},
    [0x84 - 0x45] = {J, J, J, "%s | %s"},
    [0x85 - 0x45] = {J, J, J, "%s ^ %s"},
    [0x86 - 0x45] = {J, J, J, "%s << (%s & 63)"},
    [0x87 - 0x45] = {J, J, J, "(u64)((s64)%s >> (%s & 63))"},
    [0x88 - 0x45] = {J, J, J, "%s >> (%s & 63)"},
    [0x89 - 0x45] = {J, J, J, "ROTL64(%s, %s)"},
    [0x8a - 0x45] = {J, J, J, "ROTR64(%s, %s)"},
    [0x8b - 0x45] = {F, 0, F, "FABS32(%s)"},
    [0x8c - 0x45] = {F, 0, F, "FNEG32(%s)"},
    [0x8d - 0x45] = {F, 0, F, "W_CEILF(%s)"},
    [0x8e - 0x45] = {F, 0, F, "W_FLOORF(%s)"},
    [0x8f - 0x45] = {F, 0, F, "W_TRUNCF(%s)"},
    [0x90 - 0x45] = {F, 0, F, "W_NEARF(%s)"},
    [0x91 - 0x45] = {F, 0, F, "W_SQRTF(%s)"},
    [0x92 - 0x45] = {F, F, F, "%s + %s"},
    [0x93 - 0x45] = {F, F, F, "%s - %s"},
    [0x94 - 0x45] = {F, F, F, "%s * %s"},
    [0x95 - 0x45] = {F, F, F, "%s / %s"},
    [0x96 - 0x45] = {F, F, F, "FMIN32(%s, %s)"},
    [0x97 - 0x45] = {F, F, F, "FMAX32(%s, %s)"},
    [0x98 - 0x45] = {F, F, F, "FCOPYSIGN32(%s, %s)"},
    [0x99 - 0x45] = {D, 0, D, "FABS64(%s)"},
    [0x9a - 0x45] = {D, 0, D, "FNEG64(%s)"},
    [0x9b - 0x45] = {D, 0, D, "W_CEIL(%s)"},
    [0x9c - 0x45] = {D, 0, D, "W_FLOOR(%s)"},
    [0x9d - 0x45] = {D, 0, D, "W_TRUNC(%s)"},
    [0x9e - 0x45] = {D, 0, D, "W_NEAR(%s)"},
    [0x9f - 0x45] = {D, 0, D, "W_SQRT(%s)"},
    [0xa0 - 0x45] = {D, D, D, "%s + %s"},
    [0xa1 - 0x45] = {D, D, D, "%s - %s"},
    [0xa2 - 0x45] = {D, D, D, "%s * %s"},
    [0xa3 - 0x45] = {D, D, D, "%s / %s"},
    [0xa4 - 0x45] = {D, D, D, "FMIN64(%s, %s)"},
    [0xa5 - 0x45] = {D, D, D, "FMAX64(%s, %s)"},
    [0xa6 - 0x45] = {D, D, D, "FCOPYSIGN64(%s, %s)"},
    [0xa7 - 0x45] = {J, 0, I, "(u32)%s"},
    [0xa8 - 0x45] = {F, 0, I, "TRUNC_S_F32_I32(%s)"},
    [0xa9 - 0x45] = {F, 0, I, "TRUNC_U_F32_I32(%s)"},
    [0xaa - 0x45] = {D, 0, I, "TRUNC_S_F64_I32(%s)"},
    [0xab - 0x45] = {D, 0, I, "TRUNC_U_F64_I32(%s)"},
    [0xac - 0x45] = {I, 0, J, "(u64)(s64)(s32)%s"},
    [0xad - 0x45] = {I, 0, J, "(u64)%s"},
    [0xae - 0x45] = {F, 0, J, "TRUNC_S_F32_I64(%s)"},
    [0xaf - 0x45] = {F, 0, J, "TRUNC_U_F32_I64(%s)"},
    [0xb0 - 0x45] = {D, 0, J, "TRUNC_S_F64_I64(%s)"},
    [0xb1 - 0x45] = {D, 0, J, "TRUNC_U_F64_I64(%s)"},
    [0xb2 - 0x45] = {I, 0, F, "(f32)(s32)%s"},
    [0xb3 - 0x45] = {I, 0, F, "(f32)%s"},
    [0xb4 - 0x45] = {J, 0, F, "(f32)(s64)%s"},
    [0xb5 - 0x45] = {J, 0, F, "W_U64F32(%s)"},
    [0xb6 - 0x45] = {D, 0, F, "(f32)%s"},
    [0xb7 - 0x45] = {I, 0, D, "(f64)(s32)%s"},
    [0xb8 - 0x45] = {I, 0, D, "(f64)%s"},
    [0xb9 - 0x45] = {J, 0, D, "(f64)(s64)%s"},
    [0xba - 0x45] = {J, 0, D, "W_U64F64(%s)"},
    [0xbb - 0x45] = {F, 0, D, "W_PROMOTE(%s)"},
    [0xbc - 0x45] = {F, 0, I, "BITS32(%s)"},
    [0xbd - 0x45] = {D, 0, J, "BITS64(%s)"},
    [0xbe - 0x45] = {I, 0, F, "F32B(%s)"},
    [0xbf - 0x45] = {J, 0, D, "F64B(%s)"},
    [0xc0 - 0x45] = {I, 0, I, "(u32)(s32)(s8)%s"},
    [0xc1 - 0x45] = {I, 0, I, "(u32)(s32)(s16)%s"},
    [0xc2 - 0x45] = {J, 0, J, "(u64)(s64)(s8)%s"},
    [0xc3 - 0x45] = {J, 0, J, "(u64)(s64)(s16)%s"},
    [0xc4 - 0x45] = {J, 0, J, "(u64)(s64)(s32)%s"},
};

/* 0xfc 0..7: saturating truncations. */
static const numop satops[8] = {
    {F, 0, I, "SAT_S_F32_I32(%s)"}, {F, 0, I, "SAT_U_F32_I32(%s)"}, {D, 0, I, "SAT_S_F64_I32(%s)"},
    {D, 0, I, "SAT_U_F64_I32(%s)"}, {F, 0, J, "SAT_S_F32_I64(%s)"}, {F, 0, J, "SAT_U_F32_I64(%s)"},
    {D, 0, J, "SAT_S_F64_I64(%s)"}, {D, 0, J, "SAT_U_F64_I64(%s)"},
};

/* Loads 0x28..0x35 and stores 0x36..0x3e: value type, natural alignment log2, macro. */
typedef struct memop {
    uint8_t type, align;
    const char *mac;
} memop;

static const memop loadops[] = {
    {I, 2, "LD32"},
    {J, 3, "LD64"},
    {F, 2, "LDF32"},
    {D, 3, "LDF64"},
    {I, 0, "LD8S"},
    {I, 0, "LD8U"},
    {I, 1, "LD16S"},
    {I, 1, "LD16U"},
    {J, 0, "(u64)(s64)(s32)LD8S"},
    {J, 0, "(u64)LD8U"},
    {J, 1, "(u64)(s64)(s32)LD16S"},
    {J, 1, "(u64)LD16U"},
    {J, 2, "(u64)(s64)(s32)LD32"},
    {J, 2, "(u64)LD32"},
};
static const memop storeops[] = {
    {I, 2, "ST32"}, {J, 3, "ST64"}, {F, 2, "STF32"}, {D, 3, "STF64"}, {I, 0, "ST8"},
    {I, 1, "ST16"}, {J, 0, "ST8"},  {J, 1, "ST16"},  {J, 2, "ST32"},
};
#undef I
#undef J
#undef F
#undef D

static int
emit_numop(fstate *fs, const numop *op)
{
    uint32_t h;
    char a[16], b[16];
    int rc;

    if (op->in2 != 0 && (rc = pop(fs, op->in2, NULL)) != 0) {
        return rc;
    }
    if ((rc = pop(fs, op->in1, NULL)) != 0) {
        return rc;
    }
    h = fs->nvals;
    if (emitting(fs)) {
        snprintf(a, sizeof(a), "%c%u", class_char[vclass(op->in1)], h);
        snprintf(b, sizeof(b), "%c%u", class_char[vclass(op->in2 ? op->in2 : op->in1)], h + 1);
        wc_strbuf_adds(OUT, " ");
        slot(fs, op->out, h);
        wc_strbuf_adds(OUT, " = ");
        wc_strbuf_addf(OUT, op->fmt, a, b);
        wc_strbuf_adds(OUT, ";\n");
    }
    push(fs, op->out);
    return 0;
}

static int
memarg(fstate *fs, uint8_t natural, uint32_t *offset)
{
    uint32_t align;
    int rc;

    if ((rc = read_u32(fs, &align)) != 0 || (rc = read_u32(fs, offset)) != 0) {
        return rc;
    }
    if (fs->m->nmemories == 0) {
        return verr(fs, "unknown memory 0");
    }
    if (align > natural) {
        return verr(fs, "alignment must not be larger than natural");
    }
    return 0;
}

static int
need_memory(fstate *fs)
{
    return fs->m->nmemories == 0 ? verr(fs, "unknown memory 0") : 0;
}

static int
zero_byte(fstate *fs)
{
    uint8_t b = 0;
    int rc = read_byte(fs, &b);

    if (rc == 0 && b != 0) {
        return verr(fs, "zero byte expected");
    }
    return rc;
}

/* Emit a call to function object expression `callee` (or direct name) of type t. */
static void
emit_call(fstate *fs, const wc_ftype *t, const char *direct, const char *fnobj)
{
    uint32_t base = fs->nvals; /* after popping the parameters */

    wc_strbuf_adds(OUT, " ");
    if (t->nresults > 1) {
        wc_strbuf_addf(OUT, "{ wcrt_val t_[%u]; ", t->nresults);
    } else if (t->nresults == 1) {
        slot(fs, t->results[0], base);
        wc_strbuf_adds(OUT, " = ");
    }
    if (direct != NULL) {
        wc_strbuf_addf(OUT, "%s(inst", direct);
    } else {
        wc_strbuf_adds(OUT, "((");
        add_fnptr_type(OUT, t);
        wc_strbuf_addf(OUT, ")%s->fn)(%s->ctx", fnobj, fnobj);
    }
    for (uint32_t i = 0; i < t->nparams; i++) {
        wc_strbuf_adds(OUT, ", ");
        slot(fs, t->params[i], base + i);
    }
    wc_strbuf_adds(OUT, t->nresults > 1 ? ", t_);" : ");");
    if (t->nresults > 1) {
        for (uint32_t i = 0; i < t->nresults; i++) {
            wc_strbuf_adds(OUT, " ");
            slot(fs, t->results[i], base + i);
            wc_strbuf_addf(OUT, " = t_[%u].%s;", i, class_field[vclass(t->results[i])]);
        }
        wc_strbuf_adds(OUT, " }");
    }
    wc_strbuf_adds(OUT, "\n");
}

static const char *
global_lvalue(fstate *fs, uint32_t g, char *buf, size_t size)
{
    const wc_modinfo *m = fs->m;
    const char *field = class_field[vclass(m->global_types[g].type)];

    if (g < m->nglobal_imports) {
        snprintf(buf, size, "inst->gimports[%u]->%s", g, field);
    } else {
        snprintf(buf, size, "inst->g[%u].%s", g - m->nglobal_imports, field);
    }
    return buf;
}

static int
check_table(fstate *fs, uint32_t t)
{
    return t >= fs->m->ntables ? verr(fs, "unknown table") : 0;
}

static int
check_elem(fstate *fs, uint32_t e)
{
    return e >= fs->m->nelems ? verr(fs, "unknown elem segment") : 0;
}

static int
check_data(fstate *fs, uint32_t d)
{
    if (!fs->m->has_datacount) {
        return verr(fs, "data count section required");
    }
    return d >= fs->m->ndatas ? verr(fs, "unknown data segment") : 0;
}

/* The 0xfc prefix: saturating truncation, bulk memory and table instructions. */
static int
op_fc(fstate *fs)
{
    uint32_t sub = 0, a = 0, b = 0;
    uint32_t h;
    int rc;

    if ((rc = read_u32(fs, &sub)) != 0) {
        return rc;
    }
    if (sub < 8) {
        return emit_numop(fs, &satops[sub]);
    }
    switch (sub) {
    case 8: /* memory.init seg 0 */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = zero_byte(fs)) != 0 ||
            (rc = need_memory(fs)) != 0 || (rc = check_data(fs, a)) != 0) {
            return rc;
        }
        for (int i = 0; i < 3; i++) {
            if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
        }
        h = fs->nvals;
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " RT->memory_init(inst, %u, i%u, i%u, i%u);\n", a, h, h + 1, h + 2);
        }
        return 0;
    case 9: /* data.drop */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = check_data(fs, a)) != 0) {
            return rc;
        }
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " RT->data_drop(inst, %u);\n", a);
        }
        return 0;
    case 10: /* memory.copy 0 0 */
    case 11: /* memory.fill 0 */
        if ((rc = zero_byte(fs)) != 0 || (sub == 10 && (rc = zero_byte(fs)) != 0) ||
            (rc = need_memory(fs)) != 0) {
            return rc;
        }
        for (int i = 0; i < 3; i++) {
            if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
        }
        h = fs->nvals;
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " RT->memory_%s(inst, i%u, i%u, i%u);\n",
                           sub == 10 ? "copy" : "fill", h, h + 1, h + 2);
        }
        return 0;
    case 12: /* table.init seg table */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = read_u32(fs, &b)) != 0 ||
            (rc = check_elem(fs, a)) != 0 || (rc = check_table(fs, b)) != 0) {
            return rc;
        }
        if (fs->m->elems[a].type != fs->m->tables[b].elem) {
            return verr(fs, "type mismatch (table.init segment and table)");
        }
        for (int i = 0; i < 3; i++) {
            if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
        }
        h = fs->nvals;
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " RT->table_init(inst, %u, %u, i%u, i%u, i%u);\n", b, a, h, h + 1,
                           h + 2);
        }
        return 0;
    case 13: /* elem.drop */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = check_elem(fs, a)) != 0) {
            return rc;
        }
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " RT->elem_drop(inst, %u);\n", a);
        }
        return 0;
    case 14: /* table.copy dst src */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = read_u32(fs, &b)) != 0 ||
            (rc = check_table(fs, a)) != 0 || (rc = check_table(fs, b)) != 0) {
            return rc;
        }
        if (fs->m->tables[a].elem != fs->m->tables[b].elem) {
            return verr(fs, "type mismatch (table.copy between tables of different types)");
        }
        for (int i = 0; i < 3; i++) {
            if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
        }
        h = fs->nvals;
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " RT->table_copy(inst, %u, %u, i%u, i%u, i%u);\n", a, b, h, h + 1,
                           h + 2);
        }
        return 0;
    case 15: /* table.grow: (ref, n) -> old size */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = check_table(fs, a)) != 0 ||
            (rc = pop(fs, WT_I32, NULL)) != 0 || (rc = pop(fs, fs->m->tables[a].elem, NULL)) != 0) {
            return rc;
        }
        h = fs->nvals;
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " i%u = RT->table_grow(inst, %u, r%u, i%u);\n", h, a, h, h + 1);
        }
        push(fs, WT_I32);
        return 0;
    case 16: /* table.size */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = check_table(fs, a)) != 0) {
            return rc;
        }
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " i%u = inst->tables[%u]->size;\n", fs->nvals, a);
        }
        push(fs, WT_I32);
        return 0;
    case 17: /* table.fill: (i, ref, n) */
        if ((rc = read_u32(fs, &a)) != 0 || (rc = check_table(fs, a)) != 0 ||
            (rc = pop(fs, WT_I32, NULL)) != 0 || (rc = pop(fs, fs->m->tables[a].elem, NULL)) != 0 ||
            (rc = pop(fs, WT_I32, NULL)) != 0) {
            return rc;
        }
        h = fs->nvals;
        if (emitting(fs)) {
            wc_strbuf_addf(OUT, " RT->table_fill(inst, %u, i%u, r%u, i%u);\n", a, h, h + 1, h + 2);
        }
        return 0;
    default: return verr(fs, "illegal opcode (0xfc prefix)");
    }
}

static void
emit_end_of_function(fstate *fs)
{
    const wc_ftype *t = wc_modinfo_functype(fs->m, fs->func);

    if (t->nresults == 1) {
        wc_strbuf_adds(OUT, " return ");
        slot(fs, t->results[0], 0);
        wc_strbuf_adds(OUT, ";\n");
    } else if (t->nresults > 1) {
        for (uint32_t i = 0; i < t->nresults; i++) {
            wc_strbuf_addf(OUT, " ret[%u].%s = ", i, class_field[vclass(t->results[i])]);
            slot(fs, t->results[i], i);
            wc_strbuf_adds(OUT, ";");
        }
        wc_strbuf_adds(OUT, "\n");
    }
}

/* Translate the body of defined function f into fs->out (the body only). */
static int
translate_body(fstate *fs)
{
    const wc_modinfo *m = fs->m;
    const wc_ftype *ft = wc_modinfo_functype(m, fs->func);
    int rc;

    push_ctrl(fs, 0, 0, NULL, ft->nresults, ft->results);
    fs->ctrls[0].dead = !fs->emit;

    while (fs->nctrls > 0) {
        uint8_t op;
        uint32_t a = 0, b = 0, h;

        if (fs->r.p >= fs->r.end) {
            return verr(fs, "unexpected end of section or function (END opcode expected)");
        }
        op = *fs->r.p++;
        switch (op) {
        case 0x00: /* unreachable */
            if (emitting(fs)) {
                wc_strbuf_adds(OUT, " TRAP(UNREACHABLE);\n");
            }
            set_unreachable(fs);
            break;
        case 0x01: break; /* nop */
        case 0x02:        /* block */
        case 0x03:        /* loop */
        case 0x04: {      /* if */
            uint32_t np = 0, nr = 0;
            const uint8_t *params = NULL, *results = NULL;
            frame *f;

            if ((rc = blocktype(fs, &np, &params, &nr, &results)) != 0) {
                return rc;
            }
            if (op == 0x04 && (rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
            h = fs->nvals;
            if ((rc = pop_n(fs, np, params)) != 0) {
                return rc;
            }
            f = push_ctrl(fs, op, np, params, nr, results);
            push_n(fs, np, params);
            if (!f->dead) {
                if (op == 0x03) {
                    wc_strbuf_addf(OUT, " B%u:;\n", f->label);
                    f->label_used = 1;
                } else if (op == 0x04) {
                    wc_strbuf_addf(OUT, " if (i%u) {\n", h);
                }
            }
            break;
        }
        case 0x05: { /* else */
            frame *f = &fs->ctrls[fs->nctrls - 1];

            if (f->kind != 0x04) {
                return verr(fs, "else without matching if");
            }
            if ((rc = pop_n(fs, f->nresults, f->results)) != 0) {
                return rc;
            }
            if (fs->nvals != f->height) {
                return verr(fs, "type mismatch (values remaining on the stack at else)");
            }
            if (!f->dead) {
                wc_strbuf_adds(OUT, " } else {\n");
            }
            f->kind = 0x05;
            f->unreachable = 0;
            push_n(fs, f->nparams, f->params);
            break;
        }
        case 0x0b: { /* end */
            frame *f = &fs->ctrls[fs->nctrls - 1];
            frame done;

            if ((rc = pop_n(fs, f->nresults, f->results)) != 0) {
                return rc;
            }
            if (fs->nvals != f->height) {
                return verr(fs, "type mismatch (values remaining on the stack at end)");
            }
            if (f->kind == 0x04 &&
                (f->nparams != f->nresults || memcmp(f->params, f->results, f->nparams) != 0)) {
                return verr(fs, "type mismatch (if without else must leave its parameters)");
            }
            done = *f;
            fs->nctrls--;
            if (!done.dead) {
                if (done.kind == 0x04 || done.kind == 0x05) {
                    wc_strbuf_adds(OUT, " }\n");
                }
                if (done.kind != 0x03 && done.label_used) {
                    wc_strbuf_addf(OUT, " B%u:;\n", done.label);
                }
            }
            if (fs->nctrls == 0) {
                if (!done.dead && (!done.unreachable || done.label_used)) {
                    /* Reached by fallthrough or a branch: results sit at 0..n-1. */
                    fs->nvals = 0;
                    emit_end_of_function(fs);
                }
                break;
            }
            push_n(fs, done.nresults, done.results);
            break;
        }
        case 0x0c: /* br */
            if ((rc = read_u32(fs, &a)) != 0) {
                return rc;
            }
            if (a >= fs->nctrls) {
                return verr(fs, "unknown label");
            }
            {
                const uint8_t *types;
                uint32_t n = label_arity(&fs->ctrls[fs->nctrls - 1 - a], &types);

                if ((rc = pop_n(fs, n, types)) != 0) {
                    return rc;
                }
                if (emitting(fs)) {
                    fs->nvals += n;
                    emit_branch(fs, a);
                    wc_strbuf_adds(OUT, "\n");
                    fs->nvals -= n;
                }
            }
            set_unreachable(fs);
            break;
        case 0x0d: /* br_if */
            if ((rc = read_u32(fs, &a)) != 0) {
                return rc;
            }
            if (a >= fs->nctrls) {
                return verr(fs, "unknown label");
            }
            if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
            h = fs->nvals;
            {
                const uint8_t *types;
                uint32_t n = label_arity(&fs->ctrls[fs->nctrls - 1 - a], &types);

                if ((rc = pop_n(fs, n, types)) != 0) {
                    return rc;
                }
                push_n(fs, n, types);
                if (emitting(fs)) {
                    wc_strbuf_addf(OUT, " if (i%u) {", h);
                    emit_branch(fs, a);
                    wc_strbuf_adds(OUT, " }\n");
                }
            }
            break;
        case 0x0e: { /* br_table */
            uint32_t n, *targets, arity = 0;
            const uint8_t *types = NULL;
            int live;

            if ((rc = read_u32(fs, &n)) != 0) {
                return rc;
            }
            if (n > (size_t)(fs->r.end - fs->r.p)) {
                return verr(fs, "unexpected end (br_table length out of bounds)");
            }
            targets = wc_xmalloc(((size_t)n + 1) * sizeof(*targets));
            for (uint32_t i = 0; i <= n; i++) {
                if ((rc = read_u32(fs, &targets[i])) != 0) {
                    free(targets);
                    return rc;
                }
                if (targets[i] >= fs->nctrls) {
                    free(targets);
                    return verr(fs, "unknown label");
                }
            }
            if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                free(targets);
                return rc;
            }
            h = fs->nvals;
            /* All targets must accept the operands: check each label's types. */
            arity = label_arity(&fs->ctrls[fs->nctrls - 1 - targets[n]], &types);
            for (uint32_t i = 0; i <= n && rc == 0; i++) {
                const uint8_t *ti;
                uint32_t ni = label_arity(&fs->ctrls[fs->nctrls - 1 - targets[i]], &ti);
                uint32_t saved = fs->nvals;

                if (ni != arity) {
                    rc = verr(fs, "type mismatch (br_table targets have different arities)");
                    break;
                }
                /* pop() only moves nvals down, so restoring it undoes the check. */
                rc = pop_n(fs, ni, ti);
                fs->nvals = saved;
            }
            if (rc != 0) {
                free(targets);
                return rc;
            }
            live = emitting(fs);
            if (live) {
                /* The operand values sit just below the index slot. */
                wc_strbuf_addf(OUT, " switch (i%u) {\n", h);
                for (uint32_t i = 0; i <= n; i++) {
                    if (i < n) {
                        wc_strbuf_addf(OUT, " case %u:", i);
                    } else {
                        wc_strbuf_adds(OUT, " default:");
                    }
                    emit_branch(fs, targets[i]);
                    wc_strbuf_adds(OUT, "\n");
                }
                wc_strbuf_adds(OUT, " }\n");
            }
            free(targets);
            if ((rc = pop_n(fs, arity, types)) != 0) {
                return rc;
            }
            set_unreachable(fs);
            break;
        }
        case 0x0f: /* return */
            if ((rc = pop_n(fs, ft->nresults, ft->results)) != 0) {
                return rc;
            }
            if (emitting(fs)) {
                fs->nvals += ft->nresults;
                emit_branch(fs, fs->nctrls - 1);
                wc_strbuf_adds(OUT, "\n");
                fs->nvals -= ft->nresults;
            }
            set_unreachable(fs);
            break;
        case 0x10: { /* call */
            const wc_ftype *t;

            if ((rc = read_u32(fs, &a)) != 0) {
                return rc;
            }
            if (a >= m->nfuncs) {
                return verr(fs, "unknown function");
            }
            t = wc_modinfo_functype(m, a);
            if ((rc = pop_n(fs, t->nparams, t->params)) != 0) {
                return rc;
            }
            if (emitting(fs)) {
                char name[64];

                if (a < m->nfunc_imports) {
                    snprintf(name, sizeof(name), "inst->imports[%u]", a);
                    emit_call(fs, t, NULL, name);
                } else {
                    snprintf(name, sizeof(name), "%sf%u", fs->pfx, a);
                    fs->called[a] = 1;
                    emit_call(fs, t, name, NULL);
                }
            }
            push_n(fs, t->nresults, t->results);
            break;
        }
        case 0x11: { /* call_indirect type table */
            const wc_ftype *t;

            if ((rc = read_u32(fs, &a)) != 0 || (rc = read_u32(fs, &b)) != 0) {
                return rc;
            }
            if (b >= m->ntables) {
                return verr(fs, "unknown table");
            }
            if (a >= m->ntypes) {
                return verr(fs, "unknown type");
            }
            if (m->tables[b].elem != WT_FUNCREF) {
                return verr(fs, "type mismatch (call_indirect through a table of externref)");
            }
            t = &m->types[a];
            if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
            h = fs->nvals;
            if ((rc = pop_n(fs, t->nparams, t->params)) != 0) {
                return rc;
            }
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " { wcrt_func *c_ = CALLEE(inst, %u, i%u, %u);", b, h, a);
                emit_call(fs, t, NULL, "c_");
                wc_strbuf_adds(OUT, " }\n");
            }
            push_n(fs, t->nresults, t->results);
            break;
        }
        case 0x1a: /* drop */
            if ((rc = pop(fs, WT_UNKNOWN, NULL)) != 0) {
                return rc;
            }
            break;
        case 0x1b:   /* select */
        case 0x1c: { /* select t */
            uint8_t t1, t2, want = WT_UNKNOWN;

            if (op == 0x1c) {
                uint32_t n;

                if ((rc = read_u32(fs, &n)) != 0) {
                    return rc;
                }
                if (n != 1) {
                    return verr(fs, "invalid result arity (typed select needs one type)");
                }
                if ((rc = read_byte(fs, &want)) != 0) {
                    return rc;
                }
                if (want == WT_V128) {
                    return wc_error_set(fs->err, WC_ENOTSUP,
                                        "SIMD (v128) is not supported by this engine");
                }
                if (want != WT_I32 && want != WT_I64 && want != WT_F32 && want != WT_F64 &&
                    want != WT_FUNCREF && want != WT_EXTERNREF) {
                    return verr(fs, "malformed value type");
                }
            }
            if ((rc = pop(fs, WT_I32, NULL)) != 0 || (rc = pop(fs, want, &t2)) != 0 ||
                (rc = pop(fs, want, &t1)) != 0) {
                return rc;
            }
            if (op == 0x1b) {
                if ((t1 != WT_UNKNOWN && vclass(t1) == 4) ||
                    (t2 != WT_UNKNOWN && vclass(t2) == 4)) {
                    return verr(fs, "type mismatch (select without type needs numeric operands)");
                }
                if (t1 != WT_UNKNOWN && t2 != WT_UNKNOWN && t1 != t2) {
                    return verr(fs, "type mismatch (select operands differ)");
                }
                want = t1 != WT_UNKNOWN ? t1 : t2;
            }
            h = fs->nvals;
            if (emitting(fs)) {
                char c = class_char[vclass(want)];

                wc_strbuf_addf(OUT, " %c%u = i%u ? %c%u : %c%u;\n", c, h, h + 2, c, h, c, h + 1);
            }
            push(fs, want);
            break;
        }
        case 0x20: /* local.get */
        case 0x21: /* local.set */
        case 0x22: /* local.tee */
            if ((rc = read_u32(fs, &a)) != 0) {
                return rc;
            }
            if (a >= fs->nlocals) {
                return verr(fs, "unknown local");
            }
            if (op == 0x20) {
                if (emitting(fs)) {
                    wc_strbuf_adds(OUT, " ");
                    slot(fs, fs->locals[a], fs->nvals);
                    wc_strbuf_addf(OUT, " = L%u;\n", a);
                }
                push(fs, fs->locals[a]);
            } else {
                if ((rc = pop(fs, fs->locals[a], NULL)) != 0) {
                    return rc;
                }
                if (emitting(fs)) {
                    wc_strbuf_addf(OUT, " L%u = ", a);
                    slot(fs, fs->locals[a], fs->nvals);
                    wc_strbuf_adds(OUT, ";\n");
                }
                if (op == 0x22) {
                    push(fs, fs->locals[a]);
                }
            }
            break;
        case 0x23: /* global.get */
        case 0x24: /* global.set */
            if ((rc = read_u32(fs, &a)) != 0) {
                return rc;
            }
            if (a >= m->nglobals) {
                return verr(fs, "unknown global");
            }
            {
                char lv[64];

                if (op == 0x23) {
                    if (emitting(fs)) {
                        wc_strbuf_adds(OUT, " ");
                        slot(fs, m->global_types[a].type, fs->nvals);
                        wc_strbuf_addf(OUT, " = %s;\n", global_lvalue(fs, a, lv, sizeof(lv)));
                    }
                    push(fs, m->global_types[a].type);
                } else {
                    if (!m->global_types[a].mut) {
                        return verr(fs, "global is immutable");
                    }
                    if ((rc = pop(fs, m->global_types[a].type, NULL)) != 0) {
                        return rc;
                    }
                    if (emitting(fs)) {
                        wc_strbuf_addf(OUT, " %s = ", global_lvalue(fs, a, lv, sizeof(lv)));
                        slot(fs, m->global_types[a].type, fs->nvals);
                        wc_strbuf_adds(OUT, ";\n");
                    }
                }
            }
            break;
        case 0x25: /* table.get */
        case 0x26: /* table.set */
            if ((rc = read_u32(fs, &a)) != 0 || (rc = check_table(fs, a)) != 0) {
                return rc;
            }
            if (op == 0x25) {
                if ((rc = pop(fs, WT_I32, NULL)) != 0) {
                    return rc;
                }
                h = fs->nvals;
                if (emitting(fs)) {
                    wc_strbuf_addf(OUT, " r%u = TABLE_GET(inst, %u, i%u);\n", h, a, h);
                }
                push(fs, m->tables[a].elem);
            } else {
                if ((rc = pop(fs, m->tables[a].elem, NULL)) != 0 ||
                    (rc = pop(fs, WT_I32, NULL)) != 0) {
                    return rc;
                }
                h = fs->nvals;
                if (emitting(fs)) {
                    wc_strbuf_addf(OUT, " TABLE_SET(inst, %u, i%u, r%u);\n", a, h, h + 1);
                }
            }
            break;
        case 0x28:
        case 0x29:
        case 0x2a:
        case 0x2b:
        case 0x2c:
        case 0x2d:
        case 0x2e:
        case 0x2f:
        case 0x30:
        case 0x31:
        case 0x32:
        case 0x33:
        case 0x34:
        case 0x35: {
            const memop *mo = &loadops[op - 0x28];

            if ((rc = memarg(fs, mo->align, &a)) != 0 || (rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
            h = fs->nvals;
            if (emitting(fs)) {
                wc_strbuf_adds(OUT, " ");
                slot(fs, mo->type, h);
                wc_strbuf_addf(OUT, " = %s(M, i%u, %uu);\n", mo->mac, h, a);
            }
            push(fs, mo->type);
            break;
        }
        case 0x36:
        case 0x37:
        case 0x38:
        case 0x39:
        case 0x3a:
        case 0x3b:
        case 0x3c:
        case 0x3d:
        case 0x3e: {
            const memop *mo = &storeops[op - 0x36];

            if ((rc = memarg(fs, mo->align, &a)) != 0 || (rc = pop(fs, mo->type, NULL)) != 0 ||
                (rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
            h = fs->nvals;
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " %s(M, i%u, %uu, ", mo->mac, h, a);
                slot(fs, mo->type, h + 1);
                wc_strbuf_adds(OUT, ");\n");
            }
            break;
        }
        case 0x3f: /* memory.size */
            if ((rc = zero_byte(fs)) != 0 || (rc = need_memory(fs)) != 0) {
                return rc;
            }
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " i%u = (u32)inst->memory0->pages;\n", fs->nvals);
            }
            push(fs, WT_I32);
            break;
        case 0x40: /* memory.grow */
            if ((rc = zero_byte(fs)) != 0 || (rc = need_memory(fs)) != 0 ||
                (rc = pop(fs, WT_I32, NULL)) != 0) {
                return rc;
            }
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " i%u = RT->memory_grow(inst, i%u);\n", fs->nvals, fs->nvals);
            }
            push(fs, WT_I32);
            break;
        case 0x41: { /* i32.const */
            int32_t v;

            if (wc__read_s32(&fs->r, &v) != 0) {
                return verr(fs, "malformed i32 constant");
            }
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " i%u = 0x%xu;\n", fs->nvals, (uint32_t)v);
            }
            push(fs, WT_I32);
            break;
        }
        case 0x42: { /* i64.const */
            int64_t v;

            if (wc__read_s64(&fs->r, &v) != 0) {
                return verr(fs, "malformed i64 constant");
            }
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " j%u = 0x%llxull;\n", fs->nvals, (unsigned long long)v);
            }
            push(fs, WT_I64);
            break;
        }
        case 0x43: { /* f32.const */
            uint32_t bits;

            if (fs->r.end - fs->r.p < 4) {
                return verr(fs, "unexpected end");
            }
            memcpy(&bits, fs->r.p, 4);
            fs->r.p += 4;
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " F%u = F32B(0x%xu);\n", fs->nvals, bits);
            }
            push(fs, WT_F32);
            break;
        }
        case 0x44: { /* f64.const */
            uint64_t bits;

            if (fs->r.end - fs->r.p < 8) {
                return verr(fs, "unexpected end");
            }
            memcpy(&bits, fs->r.p, 8);
            fs->r.p += 8;
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " D%u = F64B(0x%llxull);\n", fs->nvals,
                               (unsigned long long)bits);
            }
            push(fs, WT_F64);
            break;
        }
        case 0xd0: { /* ref.null t */
            uint8_t t = 0;

            if ((rc = read_byte(fs, &t)) != 0) {
                return rc;
            }
            if (t != WT_FUNCREF && t != WT_EXTERNREF) {
                return verr(fs, "malformed reference type");
            }
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " r%u = 0;\n", fs->nvals);
            }
            push(fs, t);
            break;
        }
        case 0xd1: { /* ref.is_null */
            uint8_t t;

            if ((rc = pop(fs, WT_UNKNOWN, &t)) != 0) {
                return rc;
            }
            if (t != WT_UNKNOWN && t != WT_FUNCREF && t != WT_EXTERNREF) {
                return verr(fs, "type mismatch (ref.is_null needs a reference)");
            }
            if (emitting(fs)) {
                wc_strbuf_addf(OUT, " i%u = r%u == 0;\n", fs->nvals, fs->nvals);
            }
            push(fs, WT_I32);
            break;
        }
        case 0xd2: /* ref.func */
            if ((rc = read_u32(fs, &a)) != 0) {
                return rc;
            }
            if (a >= m->nfuncs) {
                return verr(fs, "unknown function");
            }
            if (!m->declared_refs[a]) {
                return verr(fs, "undeclared function reference");
            }
            if (emitting(fs)) {
                if (a < m->nfunc_imports) {
                    wc_strbuf_addf(OUT, " r%u = inst->imports[%u];\n", fs->nvals, a);
                } else {
                    wc_strbuf_addf(OUT, " r%u = &inst->funcs[%u];\n", fs->nvals,
                                   m->escape_index[a]);
                }
            }
            push(fs, WT_FUNCREF);
            break;
        case 0xfc:
            if ((rc = op_fc(fs)) != 0) {
                return rc;
            }
            break;
        case 0xfd:
            return wc_error_set(fs->err, WC_ENOTSUP,
                                "SIMD instructions are not supported by this engine (function %u, "
                                "offset %zu)",
                                fs->func, (size_t)(fs->r.p - fs->r.base - 1));
        default:
            if (op >= 0x45 && op <= 0xc4) {
                if ((rc = emit_numop(fs, &numops[op - 0x45])) != 0) {
                    return rc;
                }
                break;
            }
            fs->r.p--;
            return verr(fs, "illegal opcode");
        }
    }
    if (fs->r.p != fs->r.end) {
        return verr(fs, "section size mismatch (code after the end of the function)");
    }
    return 0;
}

/* Read the locals of a body; fills fs->locals (params first). */
static int
read_locals(fstate *fs, const wc_ftype *t)
{
    uint32_t ngroups;
    uint64_t total = t->nparams;
    const uint8_t *start;
    int rc;

    if ((rc = read_u32(fs, &ngroups)) != 0) {
        return rc;
    }
    start = fs->r.p;
    /* First pass: count, so one allocation fits all. */
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n = 0;
        uint8_t ty = 0;

        if ((rc = read_u32(fs, &n)) != 0 || (rc = read_byte(fs, &ty)) != 0) {
            return rc;
        }
        total += n;
        if (total > 0xffffffffull) {
            return verr(fs, "too many locals");
        }
    }
    if (total > WC_MAX_LOCALS) {
        return wc_error_set(fs->err, WC_ELIMIT, "too many locals in function %u (%llu; limit %u)",
                            fs->func, (unsigned long long)total, WC_MAX_LOCALS);
    }
    fs->locals = wc_xrealloc(fs->locals, total + 1);
    memcpy(fs->locals, t->params, t->nparams);
    fs->nlocals = t->nparams;
    fs->r.p = start;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n = 0;
        uint8_t ty = 0;

        read_u32(fs, &n);
        read_byte(fs, &ty);
        if (ty == WT_V128) {
            return wc_error_set(fs->err, WC_ENOTSUP,
                                "SIMD (v128) is not supported by this engine (function %u)",
                                fs->func);
        }
        if (ty != WT_I32 && ty != WT_I64 && ty != WT_F32 && ty != WT_F64 && ty != WT_FUNCREF &&
            ty != WT_EXTERNREF) {
            return verr(fs, "malformed value type (local)");
        }
        memset(fs->locals + fs->nlocals, ty, n);
        fs->nlocals += n;
    }
    return 0;
}

/* Translate function f, appending a complete C definition to out. */
static int
translate_function(fstate *fs, uint32_t f, wc_strbuf *out)
{
    const wc_modinfo *m = fs->m;
    const wc_ftype *t = wc_modinfo_functype(m, f);
    const wc_funcbody *body = &m->bodies[f - m->nfunc_imports];
    wc_strbuf code = WC_STRBUF_INIT;
    int rc;

    fs->func = f;
    fs->r.base = m->bytes;
    fs->r.p = body->code;
    fs->r.end = body->code + body->len;
    fs->nvals = 0;
    fs->nctrls = 0;
    fs->nlabels = 0;
    memset(fs->maxh, 0, sizeof(fs->maxh));
    fs->out = &code;

    if ((rc = read_locals(fs, t)) != 0 || (rc = translate_body(fs)) != 0) {
        wc_strbuf_release(&code);
        return rc;
    }
    if (out != NULL) {
        add_prototype(out, m, fs->pfx, f, 1);
        wc_strbuf_adds(out, "\n{\n");
        if (m->nmemories != 0) {
            wc_strbuf_adds(out, " u8 *const M = inst->mem0;\n");
        }
        for (uint32_t i = t->nparams; i < fs->nlocals; i++) {
            wc_strbuf_addf(out, " %s L%u = 0;\n", ctype(fs->locals[i]), i);
        }
        for (int c = 0; c < 5; c++) {
            for (uint32_t h = 0; h < fs->maxh[c]; h++) {
                if (h == 0) {
                    wc_strbuf_addf(out, " %s %c0", class_ctype[c], class_char[c]);
                } else {
                    wc_strbuf_addf(out, ", %c%u", class_char[c], h);
                }
            }
            if (fs->maxh[c] != 0) {
                wc_strbuf_adds(out, ";\n");
            }
        }
        wc_strbuf_add(out, code.buf, code.len);
        wc_strbuf_adds(out, "}\n\n");
    }
    wc_strbuf_release(&code);
    return 0;
}

static void
add_prototypes(wc_strbuf *sb, const wc_modinfo *m, const char *pfx, const uint8_t *which)
{
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
        if (which == NULL || which[f]) {
            add_prototype(sb, m, pfx, f, 0);
            wc_strbuf_adds(sb, ";\n");
        }
    }
}

static void
finish_chunk(wc_csource *src, const wc_modinfo *m, const char *pfx, uint8_t *called,
             wc_strbuf *bodies)
{
    wc_strbuf chunk = WC_STRBUF_INIT;

    wc_strbuf_grow(&chunk, bodies->len + 4096);
    add_prototypes(&chunk, m, pfx, called);
    wc_strbuf_add(&chunk, bodies->buf, bodies->len);
    src->chunks = wc_xrealloc(src->chunks, (src->nchunks + 1) * sizeof(*src->chunks));
    src->chunks[src->nchunks++] = chunk;
    wc_strbuf_reset(bodies);
    memset(called, 0, m->nfuncs + 1);
}

int
wc_translate(const wc_modinfo *m, const char *prefix, size_t chunk_bytes, wc_csource *out,
             wc_error *err)
{
    fstate fs = {.m = m, .err = err, .pfx = prefix, .emit = out != NULL};
    wc_strbuf bodies = WC_STRBUF_INIT;
    int rc = 0;

    fs.called = wc_xcalloc(m->nfuncs + 1, 1);
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
        wc_strbuf_init(&out->head, 0);
        wc_strbuf_adds(&out->head, wc_prelude_text);
    }
    for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
        if ((rc = translate_function(&fs, f, out ? &bodies : NULL)) != 0) {
            goto out;
        }
        if (out != NULL && chunk_bytes != 0 && bodies.len >= chunk_bytes) {
            finish_chunk(out, m, prefix, fs.called, &bodies);
        }
    }
    if (out != NULL) {
        if (bodies.len != 0) {
            finish_chunk(out, m, prefix, fs.called, &bodies);
        }
        /* The descriptor chunk: the function table and the runtime hook. */
        wc_strbuf_adds(&bodies, "const wcrt_api *wcrt_rt;\n");
        add_prototypes(&bodies, m, prefix, NULL);
        wc_strbuf_addf(&bodies, "static void (*const %sfuncs[])(void) = {\n", prefix);
        for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
            wc_strbuf_addf(&bodies, " (void (*)(void))%sf%u,\n", prefix, f);
        }
        wc_strbuf_adds(&bodies, " 0\n};\n");
        wc_strbuf_addf(&bodies,
                       "WCRT_EXPORT const wcrt_code %smodule = {%d, %u, %sfuncs, &wcrt_rt};\n",
                       prefix, WC_TRANSLATOR_VERSION, m->nfuncs - m->nfunc_imports, prefix);
        memset(fs.called, 0, m->nfuncs + 1);
        finish_chunk(out, m, prefix, fs.called, &bodies);
    }
out:
    if (rc != 0 && out != NULL) {
        wc_csource_release(out);
    }
    wc_strbuf_release(&bodies);
    free(fs.called);
    free(fs.vals);
    free(fs.ctrls);
    free(fs.locals);
    return rc;
}

void
wc_csource_release(wc_csource *src)
{
    wc_strbuf_release(&src->head);
    for (size_t i = 0; i < src->nchunks; i++) {
        wc_strbuf_release(&src->chunks[i]);
    }
    free(src->chunks);
    src->chunks = NULL;
    src->nchunks = 0;
}

void
wc_translate_signature(wc_strbuf *sb, const char *name, const wc_ftype *t)
{
    /* Generic call: unpack wcrt_val arguments, call the typed function, pack results. */
    wc_strbuf_addf(
        sb, "void %s_call(void (*fn)(void), void *ctx, const wcrt_val *a, wcrt_val *r)\n{\n", name);
    wc_strbuf_adds(sb, " ");
    if (t->nresults == 1) {
        wc_strbuf_addf(sb, "r[0].%s = ", class_field[vclass(t->results[0])]);
    }
    wc_strbuf_adds(sb, "((");
    add_fnptr_type(sb, t);
    wc_strbuf_adds(sb, ")fn)(ctx");
    for (uint32_t i = 0; i < t->nparams; i++) {
        wc_strbuf_addf(sb, ", a[%u].%s", i, class_field[vclass(t->params[i])]);
    }
    wc_strbuf_adds(sb, t->nresults > 1 ? ", r);\n}\n" : ");\n}\n");

    /* Host adapter: a typed function whose context is a host function record. */
    add_ret_type(sb, t);
    wc_strbuf_addf(sb, " %s_host(void *ctx", name);
    for (uint32_t i = 0; i < t->nparams; i++) {
        wc_strbuf_addf(sb, ", %s p%u", ctype(t->params[i]), i);
    }
    if (t->nresults > 1) {
        wc_strbuf_adds(sb, ", wcrt_val *ret");
    }
    wc_strbuf_addf(sb, ")\n{\n wcrt_val a[%u], r[%u];\n", t->nparams + 1, t->nresults + 1);
    for (uint32_t i = 0; i < t->nparams; i++) {
        wc_strbuf_addf(sb, " a[%u].%s = p%u;\n", i, class_field[vclass(t->params[i])], i);
    }
    wc_strbuf_addf(sb, " RT->host_call(ctx, a, %s);\n", t->nresults > 1 ? "ret" : "r");
    if (t->nresults == 1) {
        wc_strbuf_addf(sb, " return r[0].%s;\n", class_field[vclass(t->results[0])]);
    }
    wc_strbuf_adds(sb, "}\n");
}
