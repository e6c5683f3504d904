/*
 * misc.c - wasi:clocks and wasi:random.
 */
#include "wasi/internal.h"

#include "base/duration.h"

#include <sodium.h>
#include <time.h>

HOSTFN(monotonic_now)
{
    (void)call;
    (void)data;
    (void)args;
    (void)err;
    result->u.u64 = wc_now_ns();
    return 0;
}

HOSTFN(monotonic_resolution)
{
    struct timespec ts;

    (void)call;
    (void)data;
    (void)args;
    (void)err;
    clock_getres(CLOCK_MONOTONIC, &ts);
    result->u.u64 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return 0;
}

HOSTFN(subscribe_instant)
{
    (void)err;
    cv_set_own(call, result, WASI(data)->pollable, wc_pollable_deadline(args[0].u.u64));
    return 0;
}

HOSTFN(subscribe_duration)
{
    (void)err;
    cv_set_own(call, result, WASI(data)->pollable,
               wc_pollable_deadline(wc_now_ns() + args[0].u.u64));
    return 0;
}

HOSTFN(wall_now)
{
    struct timespec ts;
    wc_cval *f = cv_alloc(call, 2);

    (void)data;
    (void)args;
    (void)err;
    clock_gettime(CLOCK_REALTIME, &ts);
    f[0].u.u64 = (uint64_t)ts.tv_sec;
    f[1].u.u32 = (uint32_t)ts.tv_nsec;
    result->u.fields = f;
    return 0;
}

HOSTFN(wall_resolution)
{
    struct timespec ts;
    wc_cval *f = cv_alloc(call, 2);

    (void)data;
    (void)args;
    (void)err;
    clock_getres(CLOCK_REALTIME, &ts);
    f[0].u.u64 = (uint64_t)ts.tv_sec;
    f[1].u.u32 = (uint32_t)ts.tv_nsec;
    result->u.fields = f;
    return 0;
}

static int
random_bytes(wc_ccall *call, uint64_t len, wc_cval *result, wc_error *err)
{
    uint8_t *b;

    if (len > (64u << 20)) {
        return wc_error_set(err, WC_ETRAP,
                            "get-random-bytes of %llu bytes is over the 64 MiB limit",
                            (unsigned long long)len);
    }
    b = wc_arena_alloc(call->arena, len ? len : 1);
    randombytes_buf(b, len);
    result->u.list.bytes = b;
    result->u.list.n = len;
    return 0;
}

HOSTFN(get_random_bytes)
{
    (void)data;
    return random_bytes(call, args[0].u.u64, result, err);
}

HOSTFN(get_random_u64)
{
    (void)call;
    (void)data;
    (void)args;
    (void)err;
    randombytes_buf(&result->u.u64, sizeof(result->u.u64));
    return 0;
}

HOSTFN(insecure_seed)
{
    wc_cval *f = cv_alloc(call, 2);

    (void)data;
    (void)args;
    (void)err;
    randombytes_buf(&f[0].u.u64, 8);
    randombytes_buf(&f[1].u.u64, 8);
    result->u.fields = f;
    return 0;
}

void
wc__wasi_link_misc(wc_wasi *w)
{
    struct {
        const char *iface, *name;
        wc_chost_fn fn;
    } fns[] = {
        {"wasi:clocks/monotonic-clock", "now", monotonic_now},
        {"wasi:clocks/monotonic-clock", "resolution", monotonic_resolution},
        {"wasi:clocks/monotonic-clock", "subscribe-instant", subscribe_instant},
        {"wasi:clocks/monotonic-clock", "subscribe-duration", subscribe_duration},
        {"wasi:clocks/wall-clock", "now", wall_now},
        {"wasi:clocks/wall-clock", "resolution", wall_resolution},
        {"wasi:random/random", "get-random-bytes", get_random_bytes},
        {"wasi:random/random", "get-random-u64", get_random_u64},
        {"wasi:random/insecure", "get-insecure-random-bytes", get_random_bytes},
        {"wasi:random/insecure", "get-insecure-random-u64", get_random_u64},
        {"wasi:random/insecure-seed", "insecure-seed", insecure_seed},
    };

    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        wc_linker_func(w->linker, fns[i].iface, WASI_VERSION, fns[i].name, fns[i].fn, w);
    }
}
