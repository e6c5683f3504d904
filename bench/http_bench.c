/*
 * http_bench.c - the HTTP benchmarks' driver (bench/http-*.sh).
 *
 *   wc-http-bench native [--addr A] [--workers N]
 *       A native hello-world server on the same HTTP library wash serve uses
 *       (src/http): the same response, head and chunked body through a pipe,
 *       as the C hello component, without WebAssembly. Runs until SIGINT.
 *   wc-http-bench instantiate [--iters N] [--tier T] COMPONENT
 *       What each request pays before the guest runs: a fresh WASI context
 *       and instance of the component, then freeing both. Prints JSON.
 */
#include "base/log.h"
#include "base/strbuf.h"
#include "http/server.h"
#include "wasi/wasi.h"
#include "wc/component.h"
#include "wc/engine.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
hello(void *data, wc_http_req *req)
{
    static const wc_http_header ct = {"content-type", 12, "text/plain", 10};
    wc_pipe *body = wc_pipe_new(64 * 1024);

    (void)data;
    /* The body is in the pipe before the head goes: the loop then sends
     * both at once, the quickest way through the server. */
    wc_pipe_write_all(body, "Hello from C\n", 13);
    wc_pipe_close_write(body, 0);
    wc_http_respond(req, 200, &ct, 1, body, -1);
}

static int
cmd_native(const char *addr, int workers)
{
    wc_http_server_config cfg;
    wc_http_server *s;
    wc_error err = WC_ERROR_INIT;
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    wc_http_server_config_init(&cfg);
    cfg.addr = addr;
    if (workers > 0) {
        cfg.workers = workers;
    }
    if (wc_http_server_start(&cfg, hello, NULL, &s, &err) != 0) {
        fprintf(stderr, "native: %s\n", err.msg);
        return 1;
    }
    printf("Serving native hello on http://%s\n", wc_http_server_addr(s));
    fflush(stdout);
    sigwait(&set, &sig);
    wc_http_server_stop(s, 1000000000ull);
    return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static int
cmd_instantiate(const char *path, int iters, wc_tier tier)
{
    wc_engine_config cfg;
    wc_engine *e = NULL;
    wc_component *c = NULL;
    wc_linker *l = wc_linker_new();
    wc_wasi *w = wc_wasi_link(l);
    wc_error err = WC_ERROR_INIT;
    wc_strbuf bytes = WC_STRBUF_INIT;
    uint64_t *t = calloc((size_t)iters, sizeof(uint64_t));
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        wc_strbuf_add(&bytes, buf, n);
    }
    fclose(f);
    wc_engine_config_init(&cfg);
    cfg.tier = tier;
    if (wc_engine_new(&cfg, &e, &err) != 0 ||
        wc_component_new(e, bytes.buf, bytes.len, &c, &err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        return 1;
    }
    for (int i = -iters / 10; i < iters; i++) { /* the first tenth warms up */
        wc_wasi_ctx ctx;
        wc_cinstance *ci;
        uint64_t t0 = now_ns();

        wc_wasi_ctx_init(&ctx);
        if (wc_cinstance_new(c, l, &ctx, 0, &ci, &err) != 0) {
            fprintf(stderr, "%s: %s\n", path, err.msg);
            return 1;
        }
        wc_cinstance_free(ci);
        wc_wasi_ctx_release(&ctx);
        if (i >= 0) {
            t[i] = now_ns() - t0;
        }
    }
    qsort(t, (size_t)iters, sizeof(uint64_t), cmp_u64);
    printf("{\"iters\":%d,\"median_us\":%.2f,\"p99_us\":%.2f}\n", iters, t[iters / 2] / 1e3,
           t[iters * 99 / 100] / 1e3);
    free(t);
    wc_strbuf_release(&bytes);
    wc_component_unref(c);
    wc_wasi_free(w);
    wc_linker_free(l);
    wc_engine_free(e);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *addr = "127.0.0.1:0";
    int workers = 0, iters = 2000;
    wc_tier tier = WC_TIER_OPTIMIZED;
    int i = 2;

    if (argc < 2) {
        goto usage;
    }
    for (; i < argc && strncmp(argv[i], "--", 2) == 0 && i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--addr") == 0) {
            addr = argv[i + 1];
        } else if (strcmp(argv[i], "--workers") == 0) {
            workers = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--iters") == 0) {
            iters = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--tier") == 0) {
            tier = strcmp(argv[i + 1], "baseline") == 0 ? WC_TIER_BASELINE : WC_TIER_OPTIMIZED;
        } else {
            goto usage;
        }
    }
    if (strcmp(argv[1], "native") == 0 && i == argc) {
        return cmd_native(addr, workers);
    }
    if (strcmp(argv[1], "instantiate") == 0 && i == argc - 1 && iters > 0) {
        return cmd_instantiate(argv[i], iters, tier);
    }
usage:
    fprintf(stderr, "usage: wc-http-bench native [--addr A] [--workers N]\n"
                    "       wc-http-bench instantiate [--iters N] [--tier T] COMPONENT\n");
    return 2;
}
