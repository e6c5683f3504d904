/*
 * test_engine.c - the engine's API and limits: deadlines, stack exhaustion,
 * memory limits, bad modules, SIMD refusal, tiers and the code cache.
 * Modules come from tests/data/<name>.wat, assembled by wat2wasm at build time.
 */
#include "base/strbuf.h"
#include "harness.h"
#include "wc/engine.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char *cache_dir;

static wc_strbuf
read_data(const char *name)
{
    wc_strbuf sb = WC_STRBUF_INIT;
    char path[4096];
    char buf[4096];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", WC_TEST_DATA_DIR, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        FAILF("cannot open %s", path);
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        wc_strbuf_add(&sb, buf, n);
    }
    fclose(f);
    return sb;
}

static wc_engine *
engine(wc_tier tier, uint64_t max_memory)
{
    wc_engine_config cfg;
    wc_engine *e;
    wc_error err = WC_ERROR_INIT;

    wc_engine_config_init(&cfg);
    cfg.tier = tier;
    if (max_memory) {
        cfg.max_memory_bytes = max_memory;
    }
    cfg.cache_dir = cache_dir;
    if (wc_engine_new(&cfg, &e, &err) != 0) {
        FAILF("engine: %s", err.msg);
    }
    return e;
}

static wc_module *
module(wc_engine *e, const char *name)
{
    wc_strbuf b = read_data(name);
    wc_module *m;
    wc_error err = WC_ERROR_INIT;

    if (wc_module_new(e, b.buf, b.len, &m, &err) != 0) {
        FAILF("module %s: %s", name, err.msg);
    }
    wc_strbuf_release(&b);
    return m;
}

static int
host_sleep(void *data, const wc_val *args, wc_val *results, wc_error *err)
{
    struct timespec ts = {args[0].i32 / 1000, (long)(args[0].i32 % 1000) * 1000000};

    (void)data;
    (void)results;
    (void)err;
    nanosleep(&ts, NULL);
    return 0;
}

static wc_instance *
limits_instance(wc_store *s, wc_module *m)
{
    static const uint8_t i32[] = {WC_I32};
    wc_functype t = {1, 0, i32, NULL};
    wc_extern imp = {.kind = WC_EXTERN_FUNC};
    wc_instance *inst;
    wc_error err = WC_ERROR_INIT;

    imp.u.func = wc_func_new_host(s, &t, host_sleep, NULL);
    if (wc_instance_new(s, m, &imp, 1, &inst, &err) != 0) {
        FAILF("instantiate: %s", err.msg);
    }
    return inst;
}

static int
call(wc_store *s, wc_instance *inst, const char *name, const wc_val *args, size_t nargs,
     wc_val *results, size_t nresults, wc_error *err)
{
    wc_extern ext;

    if (wc_instance_export(inst, name, &ext) != 0 || ext.kind != WC_EXTERN_FUNC) {
        FAILF("no function export %s", name);
    }
    return wc_func_call(s, ext.u.func, args, nargs, results, nresults, err);
}

static uint32_t
call_i32(wc_store *s, wc_instance *inst, const char *name, uint32_t a, uint32_t b, size_t nargs)
{
    wc_val args[2] = {{.i32 = a}, {.i32 = b}}, r;
    wc_error err = WC_ERROR_INIT;

    if (call(s, inst, name, args, nargs, &r, 1, &err) != 0) {
        FAILF("%s: %s", name, err.msg);
    }
    return r.i32;
}

/* ThreadSanitizer delivers signals only at its own interception points, so a
 * guest spinning without calls never sees the deadline signal under TSan. */
#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN()                                                                          \
    do {                                                                                           \
        printf("skipped under ThreadSanitizer (signals are deferred)\n");                          \
        return;                                                                                    \
    } while (0)
#else
#define SKIP_UNDER_TSAN()                                                                          \
    do {                                                                                           \
    } while (0)
#endif

static void
deadline_stops_loop(wc_tier tier)
{
    SKIP_UNDER_TSAN();
    wc_engine *e = engine(tier, 0);
    wc_module *m = module(e, "limits.wasm");
    wc_store *s = wc_store_new(e);
    wc_instance *inst = limits_instance(s, m);
    wc_error err = WC_ERROR_INIT;
    uint64_t t0 = (uint64_t)time(NULL);

    wc_store_set_deadline(s, 100 * 1000 * 1000);
    CHECK_EQ_INT(call(s, inst, "spin", NULL, 0, NULL, 0, &err), WC_ETRAP);
    CHECK_CONTAINS(err.msg, "deadline exceeded");
    CHECK((uint64_t)time(NULL) - t0 < 10);
    /* The trapped store is discarded; the engine and a fresh store carry on. */
    CHECK(wc_store_poisoned(s));
    wc_error_clear(&err);
    CHECK_EQ_INT(call(s, inst, "add", NULL, 0, NULL, 0, &err), WC_EINVAL);
    wc_store_free(s);
    s = wc_store_new(e);
    inst = limits_instance(s, m);
    CHECK_EQ_INT(call_i32(s, inst, "add", 2, 3, 2), 5);
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
}

TEST(deadline_stops_infinite_loop_baseline)
{
    deadline_stops_loop(WC_TIER_BASELINE);
}

TEST(deadline_stops_infinite_loop_optimized)
{
    deadline_stops_loop(WC_TIER_OPTIMIZED);
}

TEST(deadline_taken_after_host_call_returns)
{
    SKIP_UNDER_TSAN();
    wc_engine *e = engine(WC_TIER_BASELINE, 0);
    wc_module *m = module(e, "limits.wasm");
    wc_store *s = wc_store_new(e);
    wc_instance *inst = limits_instance(s, m);
    wc_val arg = {.i32 = 300};
    wc_error err = WC_ERROR_INIT;

    /* The deadline passes while the host function sleeps; it traps on return. */
    wc_store_set_deadline(s, 50 * 1000 * 1000);
    CHECK_EQ_INT(call(s, inst, "sleep_then_spin", &arg, 1, NULL, 0, &err), WC_ETRAP);
    CHECK_CONTAINS(err.msg, "deadline exceeded");
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
}

static void
recursion_traps(wc_tier tier)
{
    wc_engine *e = engine(tier, 0);
    wc_module *m = module(e, "limits.wasm");
    wc_store *s = wc_store_new(e);
    wc_instance *inst = limits_instance(s, m);
    wc_val arg = {.i32 = 0}, r;
    wc_error err = WC_ERROR_INIT;

    for (int i = 0; i < 3; i++) {
        wc_error_clear(&err);
        CHECK_EQ_INT(call(s, inst, "recurse", &arg, 1, &r, 1, &err), WC_ETRAP);
        CHECK_CONTAINS(err.msg, "call stack exhausted");
    }
    /* Ordinary traps leave the instance usable (Wasm semantics). */
    CHECK_EQ_INT(call_i32(s, inst, "add", 40, 2, 2), 42);
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
}

TEST(unbounded_recursion_traps_baseline)
{
    recursion_traps(WC_TIER_BASELINE);
}

TEST(unbounded_recursion_traps_optimized)
{
    recursion_traps(WC_TIER_OPTIMIZED);
}

TEST(memory_grow_past_limit_fails)
{
    /* A 1 MiB limit: 16 pages. The module starts with 1 and declares no maximum. */
    wc_engine *e = engine(WC_TIER_BASELINE, 1 << 20);
    wc_module *m = module(e, "limits.wasm");
    wc_store *s = wc_store_new(e);
    wc_instance *inst = limits_instance(s, m);
    wc_val arg = {.i32 = 65535 * 65536u}, r;
    wc_error err = WC_ERROR_INIT;

    CHECK_EQ_INT(call_i32(s, inst, "grow", 15, 0, 1), 1);
    CHECK_EQ_INT(call_i32(s, inst, "size", 0, 0, 0), 16);
    CHECK_EQ_INT(call_i32(s, inst, "grow", 1, 0, 1), (uint32_t)-1);
    CHECK_EQ_INT(call_i32(s, inst, "grow", 0x10000, 0, 1), (uint32_t)-1);
    CHECK_EQ_INT(call_i32(s, inst, "size", 0, 0, 0), 16);
    /* The last byte is addressable, the next one traps. */
    CHECK_EQ_INT(call_i32(s, inst, "load", 16 * 65536 - 4, 0, 1), 0);
    arg.i32 = 16 * 65536 - 3;
    CHECK_EQ_INT(call(s, inst, "load", &arg, 1, &r, 1, &err), WC_ETRAP);
    CHECK_CONTAINS(err.msg, "out of bounds memory access");
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
}

/* Instances of one module reuse memories; each must start as new, whether
 * the memory was restored page by page or dropped with madvise. */
static void
check_recycled(const char *name)
{
    wc_engine *e = engine(WC_TIER_BASELINE, 0);
    wc_module *m = module(e, name);
    wc_error err = WC_ERROR_INIT;

    for (int round = 0; round < 40; round++) {
        wc_store *s = wc_store_new(e);
        wc_instance *inst;

        if (wc_instance_new(s, m, NULL, 0, &inst, &err) != 0) {
            FAILF("instantiate %s: %s", name, err.msg);
        }
        CHECK_EQ_INT(call_i32(s, inst, "pristine", 0, 0, 0), 1);
        if (call(s, inst, "scribble", NULL, 0, NULL, 0, &err) != 0) {
            FAILF("scribble: %s", err.msg);
        }
        CHECK_EQ_INT(call_i32(s, inst, "pristine", 0, 0, 0), 0);
        wc_store_free(s);
    }
    wc_module_unref(m);
    wc_engine_free(e);
}

TEST(memory_recycled_from_image_looks_new)
{
    check_recycled("recycle_image.wasm");
}

TEST(memory_recycled_with_copied_data_looks_new)
{
    check_recycled("recycle_copy.wasm");
}

TEST(module_larger_than_limit_is_refused)
{
    static const uint8_t big[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 4, 1, 0, 0x80, 0x02};
    wc_engine *e = engine(WC_TIER_BASELINE, 1 << 20);
    wc_store *s = wc_store_new(e);
    wc_module *m;
    wc_instance *inst;
    wc_error err = WC_ERROR_INIT;

    /* (memory 256): 16 MiB initial, over the 1 MiB limit. */
    CHECK_EQ_INT(wc_module_new(e, big, sizeof(big), &m, &err), 0);
    CHECK_EQ_INT(wc_instance_new(s, m, NULL, 0, &inst, &err), WC_ELIMIT);
    CHECK_CONTAINS(err.msg, "limit");
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
}

TEST(corrupt_and_truncated_modules_are_rejected)
{
    wc_engine *e = engine(WC_TIER_BASELINE, 0);
    wc_strbuf b = read_data("fib.wasm");
    wc_module *m;
    wc_error err = WC_ERROR_INIT;

    /* Every proper prefix is refused with a message, and nothing crashes. */
    for (size_t len = 0; len < b.len; len++) {
        wc_error_clear(&err);
        if (wc_module_validate(e, b.buf, len, &err) == 0) {
            /* A prefix ending exactly at a section boundary is a valid module. */
            continue;
        }
        CHECK(err.msg[0] != '\0');
    }
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_module_validate(e, b.buf, 7, &err), WC_EINVAL);
    CHECK_CONTAINS(err.msg, "unexpected end");
    /* Flip each byte of the code: refused or accepted, but never a crash. */
    for (size_t i = 8; i < b.len; i++) {
        char saved = b.buf[i];

        b.buf[i] = (char)(saved ^ 0x5a);
        wc_error_clear(&err);
        if (wc_module_new(e, b.buf, b.len, &m, &err) == 0) {
            wc_module_unref(m);
        } else {
            CHECK(err.msg[0] != '\0');
        }
        b.buf[i] = saved;
    }
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_module_new(e, "\0asm\x0d\0\x01\0", 8, &m, &err), WC_EINVAL);
    CHECK_CONTAINS(err.msg, "component");
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_module_new(e, "hello world", 11, &m, &err), WC_EINVAL);
    CHECK_CONTAINS(err.msg, "magic header");
    wc_strbuf_release(&b);
    wc_engine_free(e);
}

TEST(simd_module_is_refused_clearly)
{
    wc_engine *e = engine(WC_TIER_BASELINE, 0);
    wc_strbuf b = read_data("simd.wasm");
    wc_module *m;
    wc_error err = WC_ERROR_INIT;

    CHECK_EQ_INT(wc_module_new(e, b.buf, b.len, &m, &err), WC_ENOTSUP);
    CHECK_CONTAINS(err.msg, "SIMD");
    CHECK_CONTAINS(err.msg, "not supported");
    wc_strbuf_release(&b);
    wc_engine_free(e);
}

static void
fib_works(wc_engine *e, wc_module *m)
{
    wc_store *s = wc_store_new(e);
    wc_instance *inst;
    wc_extern mem;
    wc_val arg = {.i64 = 0x100000007ull}, r[2];
    wc_error err = WC_ERROR_INIT;

    if (wc_instance_new(s, m, NULL, 0, &inst, &err) != 0) {
        FAILF("instantiate: %s", err.msg);
    }
    CHECK_EQ_INT(call_i32(s, inst, "fib", 20, 0, 1), 6765);
    CHECK_EQ_INT(call_i32(s, inst, "indirect", 0, 10, 2), 55);
    CHECK_EQ_INT(call_i32(s, inst, "indirect", 1, 5, 2), 5);
    CHECK_EQ_INT(call_i32(s, inst, "indirect", 1, 5, 2), 10);
    CHECK_EQ_INT(call(s, inst, "pair", &arg, 1, r, 2, &err), 0);
    CHECK_EQ_INT(r[0].i64, 0x100000007ull);
    CHECK_EQ_INT(r[1].i32, 7);
    CHECK_EQ_INT(wc_instance_export(inst, "memory", &mem), 0);
    CHECK(memcmp(wc_memory_data(mem.u.memory) + 16, "hello, wasm", 11) == 0);
    CHECK_EQ_INT(wc_memory_size(mem.u.memory), 65536);
    wc_error_clear(&err);
    CHECK_EQ_INT(call_i32(s, inst, "indirect", 1, 1, 2), 11);
    CHECK_EQ_INT(call(s, inst, "indirect", (wc_val[]){{.i32 = 5}, {.i32 = 0}}, 2, r, 1, &err),
                 WC_ETRAP);
    CHECK_CONTAINS(err.msg, "undefined element");
    wc_store_free(s);
}

TEST(optimized_tier_replaces_baseline_and_is_cached)
{
    wc_engine *e = engine(WC_TIER_AUTO, 0);
    wc_strbuf b = read_data("fib.wasm");
    wc_module *m;
    wc_error err = WC_ERROR_INIT;
    char marker[64];

    /* A unique variant of the module, so the cache starts cold. */
    snprintf(marker, sizeof(marker), "%ld-%d", (long)time(NULL), (int)getpid());
    wc_strbuf_addch(&b, 0);                          /* custom section id */
    wc_strbuf_addch(&b, (char)(1 + strlen(marker))); /* size */
    wc_strbuf_addch(&b, (char)strlen(marker));       /* name length */
    wc_strbuf_adds(&b, marker);
    CHECK_EQ_INT(wc_module_new(e, b.buf, b.len, &m, &err), 0);
    CHECK(!wc_module_cache_hit(m));
    fib_works(e, m); /* baseline or optimized, whichever is current */
    CHECK_EQ_INT(wc_module_wait_optimized(m, &err), 0);
    CHECK_EQ_INT(wc_module_tier(m), WC_TIER_OPTIMIZED);
    fib_works(e, m);
    wc_module_unref(m);
    wc_engine_free(e);

    /* A new engine finds the optimized code on disk and skips compiling. */
    e = engine(WC_TIER_AUTO, 0);
    CHECK_EQ_INT(wc_module_new(e, b.buf, b.len, &m, &err), 0);
    CHECK(wc_module_cache_hit(m));
    CHECK_EQ_INT(wc_module_tier(m), WC_TIER_OPTIMIZED);
    fib_works(e, m);
    wc_module_unref(m);
    wc_engine_free(e);
    wc_strbuf_release(&b);
}

TEST(missing_and_mistyped_imports_fail_to_link)
{
    static const uint8_t i64[] = {WC_I64};
    wc_engine *e = engine(WC_TIER_BASELINE, 0);
    wc_module *m = module(e, "limits.wasm");
    wc_store *s = wc_store_new(e);
    wc_functype t = {1, 0, i64, NULL};
    wc_extern imp = {.kind = WC_EXTERN_FUNC};
    wc_instance *inst;
    wc_error err = WC_ERROR_INIT;

    CHECK_EQ_INT(wc_instance_new(s, m, NULL, 0, &inst, &err), WC_ELINK);
    wc_error_clear(&err);
    imp.u.func = wc_func_new_host(s, &t, host_sleep, NULL);
    CHECK_EQ_INT(wc_instance_new(s, m, &imp, 1, &inst, &err), WC_ELINK);
    CHECK_CONTAINS(err.msg, "host::sleep_ms");
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
}

TEST(traps_are_isolated_per_call)
{
    wc_engine *e = engine(WC_TIER_BASELINE, 0);
    wc_module *m = module(e, "limits.wasm");
    wc_store *s = wc_store_new(e);
    wc_instance *inst = limits_instance(s, m);
    wc_val args[2] = {{.i32 = 1}, {.i32 = 0}}, r;
    wc_error err = WC_ERROR_INIT;

    for (int i = 0; i < 1000; i++) {
        wc_error_clear(&err);
        CHECK_EQ_INT(call(s, inst, "div", args, 2, &r, 1, &err), WC_ETRAP);
        CHECK_CONTAINS(err.msg, "integer divide by zero");
        CHECK_EQ_INT(call_i32(s, inst, "div", 9, 3, 2), 3);
    }
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
}

static void
setup(void)
{
    char tmpl[] = "/tmp/wc-test-cache-XXXXXX";

    cache_dir = getenv("WC_TEST_CACHE_DIR");
    if (cache_dir == NULL) {
        cache_dir = strdup(mkdtemp(tmpl));
    }
}

#define E(name) TEST_ENTRY(name)
static const test_entry all[] = {
    E(deadline_stops_infinite_loop_baseline),
    E(deadline_stops_infinite_loop_optimized),
    E(deadline_taken_after_host_call_returns),
    E(unbounded_recursion_traps_baseline),
    E(unbounded_recursion_traps_optimized),
    E(memory_grow_past_limit_fails),
    E(memory_recycled_from_image_looks_new),
    E(memory_recycled_with_copied_data_looks_new),
    E(module_larger_than_limit_is_refused),
    E(corrupt_and_truncated_modules_are_rejected),
    E(simd_module_is_refused_clearly),
    E(optimized_tier_replaces_baseline_and_is_cached),
    E(missing_and_mistyped_imports_fail_to_link),
    E(traps_are_isolated_per_call),
};

int
main(int argc, char **argv)
{
    setup();
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (argc < 2) {
            printf("%s\n", all[i].name);
        } else if (strcmp(all[i].name, argv[1]) == 0) {
            all[i].fn();
            printf("ok %s\n", argv[1]);
            return 0;
        }
    }
    return argc < 2 ? 0 : 2;
}
