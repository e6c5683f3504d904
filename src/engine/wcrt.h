/*
 * wcrt.h - the contract between translated Wasm code and the engine runtime.
 *
 * Every translation unit the engine generates starts with this file (it is
 * embedded in the binary as a string, see prelude.cmake), and the runtime
 * (runtime.c) includes it too, so both sides agree on the layout of instances,
 * function objects, tables and values. It must compile with both tcc
 * (baseline tier) and the system C compiler (optimized tier), so it includes
 * no system headers: everything it needs is declared here.
 *
 * Conventions of generated code:
 *  - A Wasm function becomes `R fN(wcrt_inst *inst, P0 p0, ...)` where R is
 *    void, a scalar, or a struct of the results (multi-value).
 *  - A function object (wcrt_func) is the runtime form of a funcref: the
 *    typed C function, the context passed as its first argument (an instance,
 *    or a host function record) and the canonical type id of its signature.
 *  - Linear memory 0 never moves: it is a fixed 8 GiB reservation whose
 *    inaccessible part traps by fault, so loads and stores are unchecked.
 *  - Everything else a guest can do that needs the host goes through the
 *    wcrt_api table (RT), set once when the code is loaded.
 */
#ifndef WCRT_H
#define WCRT_H

typedef unsigned char u8;
typedef signed char s8;
typedef unsigned short u16;
typedef short s16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;
typedef float f32;
typedef double f64;
typedef void *wref; /* funcref or externref */

/* A Wasm value in the generic calling convention (8 bytes, untagged). */
typedef union wcrt_val {
    u32 i32;
    u64 i64;
    f32 f32;
    f64 f64;
    void *ref;
} wcrt_val;

/* The runtime form of a funcref (and of a function import or export). */
typedef struct wcrt_func {
    void (*fn)(void); /* typed C function: R fn(void *ctx, params...) */
    void *ctx;        /* its first argument: a wcrt_inst or a host record */
    u32 type_id;      /* canonical signature id (engine-wide) */
    u32 flags;        /* runtime private */
} wcrt_func;

/* A table of references (funcref: wcrt_func *, externref: opaque void *). */
typedef struct wcrt_table {
    void **elems;
    u32 size;
    u32 max;      /* declared or configured maximum */
    u8 elem_type; /* 0x70 funcref, 0x6f externref */
} wcrt_table;

/* A linear memory. base is fixed for the memory's lifetime. */
typedef struct wcrt_memory {
    u8 *base;
    u64 pages;     /* current size in 64 KiB pages */
    u64 max_pages; /* effective maximum (declared, capped by the engine limit) */
} wcrt_memory;

/* An instance as generated code sees it; the runtime allocates the arrays. */
typedef struct wcrt_inst {
    u8 *mem0;             /* base of memory 0 (own or imported), or 0 */
    wcrt_memory *memory0; /* memory 0 object, or 0 */
    const u32 *typeids;   /* canonical id of each module type */
    wcrt_func **imports;  /* imported functions, in import order */
    wcrt_table **tables;  /* all tables: imports first, then own */
    wcrt_val **gimports;  /* imported globals, in import order */
    wcrt_func *funcs;     /* function objects of escaping functions */
    void *rt;             /* runtime private: the engine's instance */
    wcrt_val g[];         /* own globals, in definition order */
} wcrt_inst;

enum wcrt_trap {
    WCRT_TRAP_NONE,
    WCRT_TRAP_UNREACHABLE,
    WCRT_TRAP_MEMORY_OOB,
    WCRT_TRAP_TABLE_OOB,
    WCRT_TRAP_DIV_ZERO,
    WCRT_TRAP_INT_OVERFLOW,
    WCRT_TRAP_INVALID_CONVERSION,
    WCRT_TRAP_UNDEFINED_ELEMENT,
    WCRT_TRAP_UNINITIALIZED_ELEMENT,
    WCRT_TRAP_INDIRECT_TYPE,
    WCRT_TRAP_EXHAUSTION,
    WCRT_TRAP_DEADLINE,
    WCRT_TRAP_HOST,
    WCRT_TRAP_COUNT
};

/* Services of the runtime that generated code calls. All may trap. */
typedef struct wcrt_api {
    void (*trap)(int code) __attribute__((noreturn));
    u32 (*memory_grow)(wcrt_inst *inst, u32 delta);
    void (*memory_fill)(wcrt_inst *inst, u32 dst, u32 val, u32 n);
    void (*memory_copy)(wcrt_inst *inst, u32 dst, u32 src, u32 n);
    void (*memory_init)(wcrt_inst *inst, u32 seg, u32 dst, u32 src, u32 n);
    void (*data_drop)(wcrt_inst *inst, u32 seg);
    u32 (*table_grow)(wcrt_inst *inst, u32 table, void *init, u32 delta);
    void (*table_fill)(wcrt_inst *inst, u32 table, u32 dst, void *val, u32 n);
    void (*table_copy)(wcrt_inst *inst, u32 dst_table, u32 src_table, u32 dst, u32 src, u32 n);
    void (*table_init)(wcrt_inst *inst, u32 table, u32 seg, u32 dst, u32 src, u32 n);
    void (*elem_drop)(wcrt_inst *inst, u32 seg);
    f32 (*nearestf)(f32);
    f64 (*nearest)(f64);
    f32 (*sqrtf)(f32);
    f64 (*sqrt)(f64);
    f32 (*ceilf)(f32);
    f64 (*ceil)(f64);
    f32 (*floorf)(f32);
    f64 (*floor)(f64);
    f32 (*truncf)(f32);
    f64 (*trunc)(f64);
    f32 (*u64_to_f32)(u64);
    f64 (*u64_to_f64)(u64);
    /* Host adapters call this with a host function record as ctx. */
    void (*host_call)(void *ctx, const wcrt_val *args, wcrt_val *results);
} wcrt_api;

/* What a compiled module exports: its defined functions and a hook for the API. */
typedef struct wcrt_code {
    u32 abi_version;
    u32 nfuncs;                 /* defined functions */
    void (*const *funcs)(void); /* typed C function of each defined function */
    const wcrt_api **api;       /* the runtime stores its API table here */
} wcrt_code;

#ifndef WCRT_RUNTIME /* ---- below: only for generated code ---- */

extern const wcrt_api *wcrt_rt;
#define RT wcrt_rt

#define TRAP(c) RT->trap(WCRT_TRAP_##c)

#if defined(__GNUC__) && !defined(__TINYC__)
#define WCRT_EXPORT __attribute__((visibility("default")))
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
typedef u16 __attribute__((aligned(1), may_alias)) u16u;
typedef u32 __attribute__((aligned(1), may_alias)) u32u;
typedef u64 __attribute__((aligned(1), may_alias)) u64u;
#define W_SQRTF(x) __builtin_sqrtf(x)
#define W_SQRT(x)  __builtin_sqrt(x)
/* gcc expands these inline without quieting a signalling NaN; Wasm wants it quiet. */
#define W_CEILF(x)     W_QNAN32(x, __builtin_ceilf(x))
#define W_CEIL(x)      W_QNAN64(x, __builtin_ceil(x))
#define W_FLOORF(x)    W_QNAN32(x, __builtin_floorf(x))
#define W_FLOOR(x)     W_QNAN64(x, __builtin_floor(x))
#define W_TRUNCF(x)    W_QNAN32(x, __builtin_truncf(x))
#define W_TRUNC(x)     W_QNAN64(x, __builtin_trunc(x))
#define W_QNAN32(x, e) ((x) != (x) ? (x) + (x) : (e))
#define W_QNAN64(x, e) ((x) != (x) ? (x) + (x) : (e))
#define W_NEARF(x)     __builtin_nearbyintf(x)
#define W_NEAR(x)      __builtin_nearbyint(x)
#define W_U64F32(x)    ((f32)(x))
#define W_U64F64(x)    ((f64)(x))
static inline u32
W_CLZ32(u32 x)
{
    return x ? (u32)__builtin_clz(x) : 32;
}
static inline u64
W_CLZ64(u64 x)
{
    return x ? (u64)__builtin_clzll(x) : 64;
}
static inline u32
W_CTZ32(u32 x)
{
    return x ? (u32)__builtin_ctz(x) : 32;
}
static inline u64
W_CTZ64(u64 x)
{
    return x ? (u64)__builtin_ctzll(x) : 64;
}
static inline u32
W_POPCNT32(u32 x)
{
    return (u32)__builtin_popcount(x);
}
static inline u64
W_POPCNT64(u64 x)
{
    return (u64)__builtin_popcountll(x);
}
#else
/* tcc: no builtins, no alignment attributes; x86-64 tolerates unaligned access. */
#define WCRT_EXPORT
#define LIKELY(x)   (x)
#define UNLIKELY(x) (x)
typedef u16 u16u;
typedef u32 u32u;
typedef u64 u64u;
#define W_SQRTF(x)  RT->sqrtf(x)
#define W_SQRT(x)   RT->sqrt(x)
#define W_CEILF(x)  RT->ceilf(x)
#define W_CEIL(x)   RT->ceil(x)
#define W_FLOORF(x) RT->floorf(x)
#define W_FLOOR(x)  RT->floor(x)
#define W_TRUNCF(x) RT->truncf(x)
#define W_TRUNC(x)  RT->trunc(x)
#define W_NEARF(x)  RT->nearestf(x)
#define W_NEAR(x)   RT->nearest(x)
#define W_U64F32(x) RT->u64_to_f32(x)
#define W_U64F64(x) RT->u64_to_f64(x)
static u32
W_CLZ32(u32 x)
{
    u32 n = 0;
    if (!x) {
        return 32;
    }
    if (!(x & 0xffff0000u)) {
        n += 16;
        x <<= 16;
    }
    if (!(x & 0xff000000u)) {
        n += 8;
        x <<= 8;
    }
    if (!(x & 0xf0000000u)) {
        n += 4;
        x <<= 4;
    }
    if (!(x & 0xc0000000u)) {
        n += 2;
        x <<= 2;
    }
    if (!(x & 0x80000000u)) {
        n += 1;
    }
    return n;
}
static u64
W_CLZ64(u64 x)
{
    return (x >> 32) ? W_CLZ32((u32)(x >> 32)) : 32 + W_CLZ32((u32)x);
}
static u32
W_CTZ32(u32 x)
{
    u32 n = 0;
    if (!x) {
        return 32;
    }
    if (!(x & 0xffffu)) {
        n += 16;
        x >>= 16;
    }
    if (!(x & 0xffu)) {
        n += 8;
        x >>= 8;
    }
    if (!(x & 0xfu)) {
        n += 4;
        x >>= 4;
    }
    if (!(x & 0x3u)) {
        n += 2;
        x >>= 2;
    }
    if (!(x & 0x1u)) {
        n += 1;
    }
    return n;
}
static u64
W_CTZ64(u64 x)
{
    return (u32)x ? W_CTZ32((u32)x) : 32 + W_CTZ32((u32)(x >> 32));
}
static u32
W_POPCNT32(u32 x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (x * 0x01010101u) >> 24;
}
static u64
W_POPCNT64(u64 x)
{
    return W_POPCNT32((u32)x) + W_POPCNT32((u32)(x >> 32));
}
#endif

/* Loads and stores: base + zero-extended address + offset, checked by fault.
 * A load whose value is unused must still happen (it may trap), so under gcc
 * each loaded value passes through an empty asm statement the optimizer
 * cannot remove, as wasm2c does. */
#define EA(M, a, o) ((M) + (u64)(a) + (u64)(o))
#if defined(__GNUC__) && !defined(__TINYC__)
#define W_KEEP(T, p)                                                                               \
    ({                                                                                             \
        T v_ = *(p);                                                                               \
        __asm__("" ::"r"(v_));                                                                     \
        v_;                                                                                        \
    })
/* gcc folds demote(promote(x)) to x even with -fsignaling-nans; a NaN must come out quiet. */
#define W_PROMOTE(x)                                                                               \
    ({                                                                                             \
        f64 r_ = (f64)(x);                                                                         \
        __asm__("" : "+x"(r_));                                                                    \
        r_;                                                                                        \
    })
#else
#define W_KEEP(T, p) (*(p))
#define W_PROMOTE(x) ((f64)(x))
#endif
#define LD8U(M, a, o)    ((u32)W_KEEP(u8, (u8 *)EA(M, a, o)))
#define LD8S(M, a, o)    ((u32)(s32)W_KEEP(s8, (s8 *)EA(M, a, o)))
#define LD16U(M, a, o)   ((u32)W_KEEP(u16, (u16u *)EA(M, a, o)))
#define LD16S(M, a, o)   ((u32)(s32)(s16)W_KEEP(u16, (u16u *)EA(M, a, o)))
#define LD32(M, a, o)    W_KEEP(u32, (u32u *)EA(M, a, o))
#define LD64(M, a, o)    W_KEEP(u64, (u64u *)EA(M, a, o))
#define ST8(M, a, o, v)  (*(u8 *)EA(M, a, o) = (u8)(v))
#define ST16(M, a, o, v) (*(u16u *)EA(M, a, o) = (u16)(v))
#define ST32(M, a, o, v) (*(u32u *)EA(M, a, o) = (u32)(v))
#define ST64(M, a, o, v) (*(u64u *)EA(M, a, o) = (u64)(v))

/* Bit casts between floats and integers that keep NaN payloads. */
static inline u32
BITS32(f32 x)
{
    union {
        f32 f;
        u32 u;
    } v;
    v.f = x;
    return v.u;
}
static inline u64
BITS64(f64 x)
{
    union {
        f64 f;
        u64 u;
    } v;
    v.f = x;
    return v.u;
}
static inline f32
F32B(u32 x)
{
    union {
        u32 u;
        f32 f;
    } v;
    v.u = x;
    return v.f;
}
static inline f64
F64B(u64 x)
{
    union {
        u64 u;
        f64 f;
    } v;
    v.u = x;
    return v.f;
}
#define LDF32(M, a, o)    F32B(LD32(M, a, o))
#define LDF64(M, a, o)    F64B(LD64(M, a, o))
#define STF32(M, a, o, v) ST32(M, a, o, BITS32(v))
#define STF64(M, a, o, v) ST64(M, a, o, BITS64(v))

static inline u32
ROTL32(u32 x, u32 n)
{
    n &= 31;
    return n ? (x << n) | (x >> (32 - n)) : x;
}
static inline u32
ROTR32(u32 x, u32 n)
{
    n &= 31;
    return n ? (x >> n) | (x << (32 - n)) : x;
}
static inline u64
ROTL64(u64 x, u64 n)
{
    n &= 63;
    return n ? (x << n) | (x >> (64 - n)) : x;
}
static inline u64
ROTR64(u64 x, u64 n)
{
    n &= 63;
    return n ? (x >> n) | (x << (64 - n)) : x;
}

static inline u32
DIVS32(u32 a, u32 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    if (UNLIKELY(a == 0x80000000u && b == 0xffffffffu)) {
        TRAP(INT_OVERFLOW);
    }
    return (u32)((s32)a / (s32)b);
}
static inline u32
DIVU32(u32 a, u32 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    return a / b;
}
static inline u32
REMS32(u32 a, u32 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    if (UNLIKELY(b == 0xffffffffu)) {
        return 0;
    }
    return (u32)((s32)a % (s32)b);
}
static inline u32
REMU32(u32 a, u32 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    return a % b;
}
static inline u64
DIVS64(u64 a, u64 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    if (UNLIKELY(a == 0x8000000000000000ull && b == 0xffffffffffffffffull)) {
        TRAP(INT_OVERFLOW);
    }
    return (u64)((s64)a / (s64)b);
}
static inline u64
DIVU64(u64 a, u64 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    return a / b;
}
static inline u64
REMS64(u64 a, u64 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    if (UNLIKELY(b == 0xffffffffffffffffull)) {
        return 0;
    }
    return (u64)((s64)a % (s64)b);
}
static inline u64
REMU64(u64 a, u64 b)
{
    if (UNLIKELY(b == 0)) {
        TRAP(DIV_ZERO);
    }
    return a % b;
}

/* Sign manipulation on the bits, so NaN payloads survive (Wasm requires it). */
static inline f32
FNEG32(f32 x)
{
    return F32B(BITS32(x) ^ 0x80000000u);
}
static inline f64
FNEG64(f64 x)
{
    return F64B(BITS64(x) ^ 0x8000000000000000ull);
}
static inline f32
FABS32(f32 x)
{
    return F32B(BITS32(x) & 0x7fffffffu);
}
static inline f64
FABS64(f64 x)
{
    return F64B(BITS64(x) & 0x7fffffffffffffffull);
}
static inline f32
FCOPYSIGN32(f32 a, f32 b)
{
    return F32B((BITS32(a) & 0x7fffffffu) | (BITS32(b) & 0x80000000u));
}
static inline f64
FCOPYSIGN64(f64 a, f64 b)
{
    return F64B((BITS64(a) & 0x7fffffffffffffffull) | (BITS64(b) & 0x8000000000000000ull));
}
/* min/max: NaN in, NaN out; -0 < +0. */
static inline f32
FMIN32(f32 a, f32 b)
{
    if (a != a || b != b) {
        return a + b;
    }
    if (a == b) {
        return F32B(BITS32(a) | BITS32(b));
    }
    return a < b ? a : b;
}
static inline f32
FMAX32(f32 a, f32 b)
{
    if (a != a || b != b) {
        return a + b;
    }
    if (a == b) {
        return F32B(BITS32(a) & BITS32(b));
    }
    return a > b ? a : b;
}
static inline f64
FMIN64(f64 a, f64 b)
{
    if (a != a || b != b) {
        return a + b;
    }
    if (a == b) {
        return F64B(BITS64(a) | BITS64(b));
    }
    return a < b ? a : b;
}
static inline f64
FMAX64(f64 a, f64 b)
{
    if (a != a || b != b) {
        return a + b;
    }
    if (a == b) {
        return F64B(BITS64(a) & BITS64(b));
    }
    return a > b ? a : b;
}

/* Trapping float-to-int conversions: NaN is invalid, out of range overflows. */
#define W_TRUNC_CHECK(x, lo, hi)                                                                   \
    do {                                                                                           \
        if (UNLIKELY((x) != (x)))                                                                  \
            TRAP(INVALID_CONVERSION);                                                              \
        if (UNLIKELY(!((x) > (lo) && (x) < (hi))))                                                 \
            TRAP(INT_OVERFLOW);                                                                    \
    } while (0)
static inline u32
TRUNC_S_F32_I32(f32 x)
{
    W_TRUNC_CHECK(x, -2147483904.0f, 2147483648.0f);
    return (u32)(s32)x;
}
static inline u32
TRUNC_U_F32_I32(f32 x)
{
    W_TRUNC_CHECK(x, -1.0f, 4294967296.0f);
    return (u32)x;
}
static inline u32
TRUNC_S_F64_I32(f64 x)
{
    W_TRUNC_CHECK(x, -2147483649.0, 2147483648.0);
    return (u32)(s32)x;
}
static inline u32
TRUNC_U_F64_I32(f64 x)
{
    W_TRUNC_CHECK(x, -1.0, 4294967296.0);
    return (u32)x;
}
static inline u64
TRUNC_S_F32_I64(f32 x)
{
    W_TRUNC_CHECK(x, -9223373136366403584.0f, 9223372036854775808.0f);
    return (u64)(s64)x;
}
static inline u64
TRUNC_S_F64_I64(f64 x)
{
    W_TRUNC_CHECK(x, -9223372036854777856.0, 9223372036854775808.0);
    return (u64)(s64)x;
}
/* Unsigned 64-bit: split at 2^63 so no compiler helper is needed. */
static inline u64
F32_TO_U64(f32 x)
{
    return x < 9223372036854775808.0f
               ? (u64)(s64)x
               : (u64)(s64)(x - 9223372036854775808.0f) ^ 0x8000000000000000ull;
}
static inline u64
F64_TO_U64(f64 x)
{
    return x < 9223372036854775808.0
               ? (u64)(s64)x
               : (u64)(s64)(x - 9223372036854775808.0) ^ 0x8000000000000000ull;
}
static inline u64
TRUNC_U_F32_I64(f32 x)
{
    W_TRUNC_CHECK(x, -1.0f, 18446744073709551616.0f);
    return F32_TO_U64(x);
}
static inline u64
TRUNC_U_F64_I64(f64 x)
{
    W_TRUNC_CHECK(x, -1.0, 18446744073709551616.0);
    return F64_TO_U64(x);
}

/* Saturating conversions: NaN is 0, out of range clamps. */
static inline u32
SAT_S_F32_I32(f32 x)
{
    if (x != x) {
        return 0;
    }
    if (x <= -2147483904.0f) {
        return 0x80000000u;
    }
    if (x >= 2147483648.0f) {
        return 0x7fffffffu;
    }
    return (u32)(s32)x;
}
static inline u32
SAT_U_F32_I32(f32 x)
{
    if (x != x || x <= -1.0f) {
        return 0;
    }
    if (x >= 4294967296.0f) {
        return 0xffffffffu;
    }
    return (u32)x;
}
static inline u32
SAT_S_F64_I32(f64 x)
{
    if (x != x) {
        return 0;
    }
    if (x <= -2147483649.0) {
        return 0x80000000u;
    }
    if (x >= 2147483648.0) {
        return 0x7fffffffu;
    }
    return (u32)(s32)x;
}
static inline u32
SAT_U_F64_I32(f64 x)
{
    if (x != x || x <= -1.0) {
        return 0;
    }
    if (x >= 4294967296.0) {
        return 0xffffffffu;
    }
    return (u32)x;
}
static inline u64
SAT_S_F32_I64(f32 x)
{
    if (x != x) {
        return 0;
    }
    if (x < -9223372036854775808.0f) {
        return 0x8000000000000000ull;
    }
    if (x >= 9223372036854775808.0f) {
        return 0x7fffffffffffffffull;
    }
    return (u64)(s64)x;
}
static inline u64
SAT_U_F32_I64(f32 x)
{
    if (x != x || x <= -1.0f) {
        return 0;
    }
    if (x >= 18446744073709551616.0f) {
        return 0xffffffffffffffffull;
    }
    return F32_TO_U64(x);
}
static inline u64
SAT_S_F64_I64(f64 x)
{
    if (x != x) {
        return 0;
    }
    if (x < -9223372036854775808.0) {
        return 0x8000000000000000ull;
    }
    if (x >= 9223372036854775808.0) {
        return 0x7fffffffffffffffull;
    }
    return (u64)(s64)x;
}
static inline u64
SAT_U_F64_I64(f64 x)
{
    if (x != x || x <= -1.0) {
        return 0;
    }
    if (x >= 18446744073709551616.0) {
        return 0xffffffffffffffffull;
    }
    return F64_TO_U64(x);
}

/* call_indirect: bounds, null and signature checks, then the function object. */
static inline wcrt_func *
CALLEE(wcrt_inst *inst, u32 table, u32 i, u32 type)
{
    wcrt_table *t = inst->tables[table];
    wcrt_func *f;
    if (UNLIKELY(i >= t->size)) {
        TRAP(UNDEFINED_ELEMENT);
    }
    f = (wcrt_func *)t->elems[i];
    if (UNLIKELY(f == 0)) {
        TRAP(UNINITIALIZED_ELEMENT);
    }
    if (UNLIKELY(f->type_id != inst->typeids[type])) {
        TRAP(INDIRECT_TYPE);
    }
    return f;
}
static inline void *
TABLE_GET(wcrt_inst *inst, u32 table, u32 i)
{
    wcrt_table *t = inst->tables[table];
    if (UNLIKELY(i >= t->size)) {
        TRAP(TABLE_OOB);
    }
    return t->elems[i];
}
static inline void
TABLE_SET(wcrt_inst *inst, u32 table, u32 i, void *v)
{
    wcrt_table *t = inst->tables[table];
    if (UNLIKELY(i >= t->size)) {
        TRAP(TABLE_OOB);
    }
    t->elems[i] = v;
}

#endif /* !WCRT_RUNTIME */
#endif /* WCRT_H */
