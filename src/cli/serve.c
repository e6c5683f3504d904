/*
 * serve.c - `wash serve COMPONENT`: serve a wasi:http/proxy component over
 * HTTP/1.1, with a fresh instance per request, until Ctrl-C.
 */
#include "cli/cli.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "wasi/http.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct serve_ctx {
    wc_wasi_http_target target;
    wc_strlist envs;
} serve_ctx;

static void
setup_request(wc_wasi_ctx *ctx, void *data)
{
    serve_ctx *s = data;

    for (size_t i = 0; i < s->envs.n; i++) {
        wc_wasi_ctx_add_env(ctx, s->envs.v[i]);
    }
}

/* A server holds a socket per connection and eventfds per busy request:
 * take the whole allowance the system gives (the soft limit is often 1024). */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void
handle(void *data, wc_http_req *req)
{
    serve_ctx *s = data;

    wc_wasi_http_serve(&s->target, req);
}

int
cmd_serve(int argc, char **argv)
{
    const char *addr = "127.0.0.1:8080", *tier = "auto";
    uint64_t timeout = 0, max_memory = 0, workers = 0;
    int npos, rc, status = 1, sig;
    serve_ctx sc;
    const wc_option opts[] = {
        {"addr", 0, WC_OPT_STRING, &addr},
        {"timeout", 0, WC_OPT_DURATION, &timeout},
        {"workers", 0, WC_OPT_UINT, &workers},
        {"max-memory", 0, WC_OPT_UINT, &max_memory},
        {"env", 'e', WC_OPT_LIST, &sc.envs},
        {"tier", 0, WC_OPT_STRING, &tier},
        {NULL, 0, 0, NULL},
    };
    wc_engine_config cfg;
    wc_engine *engine = NULL;
    wc_component *comp = NULL;
    wc_linker *linker = NULL;
    wc_wasi *wasi = NULL;
    wc_http_server_config hc;
    wc_http_server *server = NULL;
    wc_strbuf bytes = WC_STRBUF_INIT;
    wc_error err = WC_ERROR_INIT;
    sigset_t set;

    memset(&sc, 0, sizeof(sc));
    rc = wc_parse_options(wc_find_command("serve"), opts, argc, argv, &npos);
    if (rc != 0) {
        status = rc > 0 ? 0 : 2;
        goto out;
    }
    if (npos != 1) {
        wc_cli_error("serve", "expected one component (usage: wash serve COMPONENT)");
        status = 2;
        goto out;
    }
    for (size_t i = 0; i < sc.envs.n; i++) {
        if (strchr(sc.envs.v[i], '=') == NULL) {
            wc_cli_error("serve", "--env %s: expected KEY=VALUE", sc.envs.v[i]);
            status = 2;
            goto out;
        }
    }
    /* Signals go to this thread only (sigwait below), never to workers or the loop. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    wc_engine_config_init(&cfg);
    cfg.tier = strcmp(tier, "baseline") == 0    ? WC_TIER_BASELINE
               : strcmp(tier, "optimized") == 0 ? WC_TIER_OPTIMIZED
                                                : WC_TIER_AUTO;
    if (max_memory != 0) {
        cfg.max_memory_bytes = max_memory;
    }
    if (wc_cli_read_file(argv[1], &bytes, &err) != 0 || wc_engine_new(&cfg, &engine, &err) != 0 ||
        wc_component_new(engine, bytes.buf, bytes.len, &comp, &err) != 0) {
        wc_cli_error("serve", "%s", err.msg);
        goto out;
    }
    if (!wc_component_exports(comp, "wasi:http/incoming-handler@0.2.0")) {
        wc_cli_error("serve",
                     "%s does not export wasi:http/incoming-handler (is it a wasi:http/proxy "
                     "component? for a command use 'wash run')",
                     argv[1]);
        goto out;
    }
    linker = wc_linker_new();
    wasi = wc_wasi_link(linker);
    {
        /* Instantiate once now, so a missing import is reported at startup. */
        wc_wasi_ctx probe;
        wc_cinstance *inst;

        wc_wasi_ctx_init(&probe);
        rc = wc_cinstance_new(comp, linker, &probe, 0, &inst, &err);
        wc_cinstance_free(rc == 0 ? inst : NULL);
        wc_wasi_ctx_release(&probe);
        if (rc != 0) {
            wc_cli_error("serve", "%s: %s", argv[1], err.msg);
            goto out;
        }
    }
    sc.target.component = comp;
    sc.target.linker = linker;
    sc.target.wasi = wasi;
    sc.target.deadline_ns = timeout;
    sc.target.setup = setup_request;
    sc.target.setup_data = &sc;
    wc_http_server_config_init(&hc);
    hc.addr = addr;
    if (workers != 0) {
        hc.workers = (int)workers;
    }
    if (wc_http_server_start(&hc, handle, &sc, &server, &err) != 0) {
        wc_cli_error("serve", "%s", err.msg);
        goto out;
    }
    printf("Serving %s on http://%s (Ctrl-C to stop)\n", argv[1], wc_http_server_addr(server));
    fflush(stdout);
    sigwait(&set, &sig);
    WC_INFO("serve", "stopping (%s): finishing requests in flight",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    wc_http_server_stop(server, 10ull * 1000000000ull);
    status = 0;
out:
    wc_wasi_free(wasi);
    wc_linker_free(linker);
    wc_component_unref(comp);
    wc_engine_free(engine);
    wc_strbuf_release(&bytes);
    free(sc.envs.v);
    return status;
}
