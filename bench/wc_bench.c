/*
 * wc_bench.c - measurements behind the bench/ scripts (not installed).
 *
 *   wc-bench compile --tier baseline|optimized FILE.wasm
 *       translate and compile once, no cache; prints seconds and peak memory
 *   wc-bench instantiate [--no-image] [--iters N] FILE.wasm
 *       fresh store + instance + free, N times; prints median and p99 in us
 *   wc-bench run --tier T FILE.wasm N [REPS]
 *       call export run(N) REPS times; prints the median seconds and result
 *
 * Imports are satisfied with stand-ins (functions that trap if called,
 * fresh memories, tables and zero globals), which is enough to compile,
 * instantiate, and run self-contained exports.
 */
#include "base/duration.h"
#include "base/strbuf.h"
#include "engine/internal.h"
#include "wc/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static wc_strbuf
slurp(const char *path)
{
    wc_strbuf sb = WC_STRBUF_INIT;
    char buf[65536];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        wc_strbuf_add(&sb, buf, n);
    }
    fclose(f);
    return sb;
}

static int
stand_in(void *data, const wc_val *args, wc_val *results, wc_error *err)
{
    (void)args;
    (void)results;
    return wc_error_set(err, WC_ENOTSUP, "import %s is a benchmark stand-in", (char *)data);
}

static wc_extern *
stand_in_imports(wc_store *s, wc_module *m)
{
    uint32_t n = wc_module_import_count(m);
    wc_extern *imp = calloc(n + 1, sizeof(*imp));

    for (uint32_t i = 0; i < n; i++) {
        wc_importdesc d;
        wc_val zero = {.i64 = 0};

        wc_module_import(m, i, &d);
        imp[i].kind = d.kind;
        switch (d.kind) {
        case WC_EXTERN_FUNC:
            imp[i].u.func = wc_func_new_host(s, &d.functype, stand_in, (void *)d.name);
            break;
        case WC_EXTERN_MEMORY:
            wc_memory_new(s, d.min, d.max, d.has_max, &imp[i].u.memory, NULL);
            break;
        case WC_EXTERN_TABLE:
            wc_table_new(s, d.table_elem, (uint32_t)d.min, (uint32_t)d.max, d.has_max, NULL,
                         &imp[i].u.table, NULL);
            break;
        case WC_EXTERN_GLOBAL:
            wc_global_new(s, d.global_type, d.global_mutable, zero, &imp[i].u.global);
            break;
        }
    }
    return imp;
}

static double
secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static long
peak_kb(int who)
{
    struct rusage ru;

    getrusage(who, &ru);
    return ru.ru_maxrss;
}

static wc_engine *
make_engine(wc_tier tier, const char *cache, int no_image)
{
    wc_engine_config cfg;
    wc_engine *e;
    wc_error err = WC_ERROR_INIT;

    wc_engine_config_init(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = cache;
    cfg.no_memory_image = no_image;
    cfg.max_memory_bytes = 4ull << 30;
    if (wc_engine_new(&cfg, &e, &err) != 0) {
        fprintf(stderr, "engine: %s\n", err.msg);
        exit(1);
    }
    return e;
}

static int
cmd_compile(wc_tier tier, const char *file)
{
    wc_strbuf b = slurp(file);
    wc_error err = WC_ERROR_INIT;
    wc_modinfo *info;
    wc_csource src;
    wc_code *code = NULL;
    uint64_t t0, t1, t2;
    size_t csize = 0;
    int rc;

    t0 = wc_now_ns();
    if (wc_modinfo_decode((const uint8_t *)b.buf, b.len, &info, &err) != 0 ||
        wc_translate(info, "w_", 4u << 20, &src, &err) != 0) {
        fprintf(stderr, "%s: %s\n", file, err.msg);
        return 1;
    }
    t1 = wc_now_ns();
    for (size_t i = 0; i < src.nchunks; i++) {
        csize += src.head.len + src.chunks[i].len;
    }
    rc = tier == WC_TIER_BASELINE ? wc__code_tcc(&src, "w_", &code, &err)
                                  : wc__code_cc(&src, "cc", "", "bench", "w_", NULL, &code, &err);
    t2 = wc_now_ns();
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", file, err.msg);
        return 1;
    }
    printf("{\"tier\":\"%s\",\"wasm_bytes\":%zu,\"c_bytes\":%zu,\"chunks\":%zu,"
           "\"translate_s\":%.3f,\"compile_s\":%.3f,\"total_s\":%.3f,"
           "\"peak_rss_mb\":%.1f,\"cc_peak_rss_mb\":%.1f}\n",
           tier == WC_TIER_BASELINE ? "baseline" : "optimized", b.len, csize, src.nchunks,
           secs(t1 - t0), secs(t2 - t1), secs(t2 - t0), peak_kb(RUSAGE_SELF) / 1024.0,
           peak_kb(RUSAGE_CHILDREN) / 1024.0);
    return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static int
cmd_instantiate(const char *file, int iters, int no_image)
{
    wc_engine *e = make_engine(WC_TIER_AUTO, NULL, no_image);
    wc_strbuf b = slurp(file);
    wc_error err = WC_ERROR_INIT;
    uint64_t *t = calloc((size_t)iters, sizeof(uint64_t));
    wc_module *m;

    if (wc_module_new(e, b.buf, b.len, &m, &err) != 0) {
        fprintf(stderr, "%s: %s\n", file, err.msg);
        return 1;
    }
    wc_module_wait_optimized(m, NULL);
    for (int i = -iters / 10 - 1; i < iters; i++) {
        uint64_t t0 = wc_now_ns();
        wc_store *s = wc_store_new(e);
        wc_extern *imp = stand_in_imports(s, m);
        wc_instance *inst;

        if (wc_instance_new(s, m, imp, wc_module_import_count(m), &inst, &err) != 0) {
            fprintf(stderr, "%s: %s\n", file, err.msg);
            return 1;
        }
        wc_store_free(s);
        free(imp);
        if (i >= 0) {
            t[i] = wc_now_ns() - t0;
        }
    }
    qsort(t, (size_t)iters, sizeof(*t), cmp_u64);
    printf("{\"image\":%s,\"iters\":%d,\"median_us\":%.2f,\"p99_us\":%.2f,\"min_us\":%.2f}\n",
           no_image ? "false" : "true", iters, t[iters / 2] / 1e3, t[iters * 99 / 100] / 1e3,
           t[0] / 1e3);
    wc_module_unref(m);
    wc_engine_free(e);
    return 0;
}

static int
cmd_run(wc_tier tier, const char *file, uint32_t n, int reps)
{
    wc_engine *e = make_engine(tier, NULL, 0);
    wc_strbuf b = slurp(file);
    wc_error err = WC_ERROR_INIT;
    uint64_t *t = calloc((size_t)reps, sizeof(uint64_t));
    wc_val arg = {.i32 = n}, r = {.i64 = 0};
    wc_store *s;
    wc_module *m;
    wc_instance *inst;
    wc_extern *imp, run;

    if (wc_module_new(e, b.buf, b.len, &m, &err) != 0) {
        fprintf(stderr, "%s: %s\n", file, err.msg);
        return 1;
    }
    s = wc_store_new(e);
    imp = stand_in_imports(s, m);
    if (wc_instance_new(s, m, imp, wc_module_import_count(m), &inst, &err) != 0 ||
        wc_instance_export(inst, "run", &run) != 0) {
        fprintf(stderr, "%s: cannot instantiate or no export run: %s\n", file, err.msg);
        return 1;
    }
    for (int i = 0; i < reps; i++) {
        uint64_t t0 = wc_now_ns();

        if (wc_func_call(s, run.u.func, &arg, 1, &r, 1, &err) != 0) {
            fprintf(stderr, "run: %s\n", err.msg);
            return 1;
        }
        t[i] = wc_now_ns() - t0;
    }
    qsort(t, (size_t)reps, sizeof(*t), cmp_u64);
    printf("{\"tier\":\"%s\",\"n\":%u,\"median_s\":%.4f,\"checksum\":%u}\n",
           tier == WC_TIER_BASELINE ? "baseline" : "optimized", n, secs(t[reps / 2]), r.i32);
    wc_store_free(s);
    wc_module_unref(m);
    wc_engine_free(e);
    return 0;
}

static wc_tier
parse_tier(const char *s)
{
    if (strcmp(s, "baseline") == 0) {
        return WC_TIER_BASELINE;
    }
    if (strcmp(s, "optimized") == 0) {
        return WC_TIER_OPTIMIZED;
    }
    fprintf(stderr, "--tier must be baseline or optimized\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "compile") == 0 && strcmp(argv[2], "--tier") == 0) {
        return cmd_compile(parse_tier(argv[3]), argv[4]);
    }
    if (argc >= 3 && strcmp(argv[1], "instantiate") == 0) {
        int iters = 1000, no_image = 0, i = 2;

        for (; i < argc - 1; i++) {
            if (strcmp(argv[i], "--no-image") == 0) {
                no_image = 1;
            } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc - 1) {
                iters = atoi(argv[++i]);
            }
        }
        return cmd_instantiate(argv[argc - 1], iters, no_image);
    }
    if (argc >= 6 && strcmp(argv[1], "run") == 0 && strcmp(argv[2], "--tier") == 0) {
        return cmd_run(parse_tier(argv[3]), argv[4], (uint32_t)strtoul(argv[5], NULL, 10),
                       argc > 6 ? atoi(argv[6]) : 5);
    }
    fprintf(stderr, "usage: wc-bench compile --tier T FILE | instantiate [--no-image] [--iters N] "
                    "FILE | run --tier T FILE N [REPS]\n");
    return 2;
}
