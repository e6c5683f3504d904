/*
 * cval.h - helpers for host functions: building result values in the call's
 * arena and reading handle arguments. Shared by the WASI layer and the host's
 * own interfaces (wasi:logging, wasi:config, wasmcloud:messaging...).
 */
#ifndef WC_COMPONENT_CVAL_H
#define WC_COMPONENT_CVAL_H

#include "wc/component.h"

#include <string.h>

static inline wc_cval *
cv_alloc(wc_ccall *call, size_t n)
{
    return wc_arena_calloc(call->arena, n ? n : 1, sizeof(wc_cval));
}

/* result<payload?, E?>: ok with an optional payload. */
static inline void
cv_ok(wc_cval *out, wc_cval *payload)
{
    out->kind = 0x6a;
    out->u.var.disc = 0;
    out->u.var.val = payload;
}

static inline void
cv_err(wc_cval *out, wc_cval *payload)
{
    out->kind = 0x6a;
    out->u.var.disc = 1;
    out->u.var.val = payload;
}

static inline wc_cval *
cv_u64(wc_ccall *call, uint64_t v)
{
    wc_cval *c = cv_alloc(call, 1);

    c->u.u64 = v;
    return c;
}

static inline wc_cval *
cv_u32(wc_ccall *call, uint32_t v)
{
    wc_cval *c = cv_alloc(call, 1);

    c->u.u32 = v;
    return c;
}

static inline wc_cval *
cv_enum(wc_ccall *call, uint32_t disc)
{
    wc_cval *c = cv_alloc(call, 1);

    c->u.var.disc = disc;
    return c;
}

static inline void
cv_set_string(wc_ccall *call, wc_cval *c, const char *s, size_t len)
{
    c->u.str.ptr = wc_arena_strndup(call->arena, s, len);
    c->u.str.len = len;
}

static inline wc_cval *
cv_string(wc_ccall *call, const char *s)
{
    wc_cval *c = cv_alloc(call, 1);

    cv_set_string(call, c, s, strlen(s));
    return c;
}

/* An owned handle to a new host object. */
static inline wc_cval *
cv_own(wc_ccall *call, wc_rtype *t, void *obj)
{
    wc_cval *c = cv_alloc(call, 1);

    c->u.handle.type = t;
    c->u.handle.rep = wc_cinstance_res_new(call->inst, t, obj);
    return c;
}

static inline void
cv_set_own(wc_ccall *call, wc_cval *c, wc_rtype *t, void *obj)
{
    c->u.handle.type = t;
    c->u.handle.rep = wc_cinstance_res_new(call->inst, t, obj);
}

/* The host object behind a handle argument (NULL if it is not one of type t). */
static inline void *
arg_obj(wc_ccall *call, const wc_cval *arg, wc_rtype *t)
{
    return arg->u.handle.type == t ? wc_cinstance_res_get(call->inst, t, arg->u.handle.rep) : NULL;
}

/* An owned handle argument: the object now belongs to the host function. */
static inline void *
arg_take(wc_ccall *call, const wc_cval *arg, wc_rtype *t)
{
    return arg->u.handle.type == t ? wc_cinstance_res_take(call->inst, t, arg->u.handle.rep) : NULL;
}

/* Declare a host function. */
#define HOSTFN(name)                                                                               \
    static int name(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err)

#endif
