/*
 * run.c - `wash run COMPONENT [ARGS...]`: run a wasi:cli/run command component.
 */
#include "cli/cli.h"

#include "base/duration.h"
#include "base/strbuf.h"
#include "wasi/wasi.h"
#include "wc/component.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_IFACE "wasi:cli/run@0.2.0"

int
cmd_run(int argc, char **argv)
{
    const char *tier = "auto";
    uint64_t timeout = 0, max_memory = 0;
    wc_strlist envs = {NULL, 0}, dirs = {NULL, 0};
    int npos, rc, status = 1;
    const wc_option opts[] = {
        {"env", 'e', WC_OPT_LIST, &envs},          {"dir", 0, WC_OPT_LIST, &dirs},
        {"timeout", 0, WC_OPT_DURATION, &timeout}, {"max-memory", 0, WC_OPT_UINT, &max_memory},
        {"tier", 0, WC_OPT_STRING, &tier},         {NULL, 0, 0, NULL},
    };
    wc_engine_config cfg;
    wc_engine *engine = NULL;
    wc_component *comp = NULL;
    wc_linker *linker = NULL;
    wc_wasi *wasi = NULL;
    wc_wasi_ctx ctx;
    wc_cinstance *inst = NULL;
    wc_cfunc *run;
    wc_strbuf bytes = WC_STRBUF_INIT;
    wc_error err = WC_ERROR_INIT;
    wc_arena arena = WC_ARENA_INIT;
    wc_cval result;
    const char *path;

    memset(&ctx, 0, sizeof(ctx));
    rc = wc_parse_options_head(wc_find_command("run"), opts, argc, argv, &npos);
    if (rc != 0) {
        status = rc > 0 ? 0 : 2;
        goto out;
    }
    if (npos == 0) {
        wc_cli_error("run", "no component given (usage: wash run COMPONENT [ARGS...])");
        status = 2;
        goto out;
    }
    path = argv[1];
    wc_engine_config_init(&cfg);
    cfg.tier = strcmp(tier, "baseline") == 0    ? WC_TIER_BASELINE
               : strcmp(tier, "optimized") == 0 ? WC_TIER_OPTIMIZED
                                                : WC_TIER_AUTO;
    if (max_memory != 0) {
        cfg.max_memory_bytes = max_memory;
    }
    if (wc_cli_read_file(path, &bytes, &err) != 0 || wc_engine_new(&cfg, &engine, &err) != 0 ||
        wc_component_new(engine, bytes.buf, bytes.len, &comp, &err) != 0) {
        wc_cli_error("run", "%s", err.msg);
        goto out;
    }
    if (!wc_component_exports(comp, RUN_IFACE)) {
        wc_cli_error("run",
                     "%s is not a command component: it does not export wasi:cli/run (for an "
                     "HTTP component use 'wash serve')",
                     path);
        goto out;
    }
    linker = wc_linker_new();
    wasi = wc_wasi_link(linker);
    wc_wasi_ctx_init(&ctx);
    wc_stream_unref(ctx.stdin_s);
    ctx.stdin_s = wc_stream_fd(0, 0, 0);
    for (int i = 1; i <= npos; i++) {
        wc_wasi_ctx_add_arg(&ctx, argv[i]);
    }
    for (size_t i = 0; i < envs.n; i++) {
        if (strchr(envs.v[i], '=') == NULL) {
            wc_cli_error("run", "--env %s: expected KEY=VALUE", envs.v[i]);
            status = 2;
            goto out_ctx;
        }
        wc_wasi_ctx_add_env(&ctx, envs.v[i]);
    }
    for (size_t i = 0; i < dirs.n; i++) {
        const char *d = dirs.v[i], *sep = strstr(d, "::");
        char host[4096];

        snprintf(host, sizeof(host), "%.*s", sep ? (int)(sep - d) : (int)strlen(d), d);
        if (wc_wasi_ctx_preopen(&ctx, host, sep ? sep + 2 : d, &err) != 0) {
            wc_cli_error("run", "--dir %s: %s", d, err.msg);
            goto out_ctx;
        }
    }
    if (wc_cinstance_new(comp, linker, &ctx, timeout, &inst, &err) != 0 ||
        wc_cinstance_func(inst, RUN_IFACE, "run", &run, &err) != 0) {
        wc_cli_error("run", "%s", err.msg);
        goto out_ctx;
    }
    memset(&result, 0, sizeof(result));
    rc = wc_cfunc_call(inst, run, NULL, 0, &result, &arena, &err);
    fflush(stdout);
    if (ctx.exited) {
        status = ctx.exit_code;
    } else if (rc != 0) {
        wc_cli_error("run", "%s", err.msg);
        status = 1;
    } else {
        status = result.u.var.disc == 0 ? 0 : 1;
    }
out_ctx:
    wc_cinstance_free(inst);
    wc_wasi_ctx_release(&ctx);
out:
    wc_arena_release(&arena);
    wc_wasi_free(wasi);
    wc_linker_free(linker);
    wc_component_unref(comp);
    wc_engine_free(engine);
    wc_strbuf_release(&bytes);
    free(envs.v);
    free(dirs.v);
    return status;
}
