/*
 * cli.c - wasi:cli: environment, exit, standard streams, terminals.
 */
#include "wasi/internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CLI(iface) "wasi:cli/" iface

HOSTFN(get_environment)
{
    wc_wasi_ctx *ctx = WASI_CTX(call);
    wc_cval *pairs = cv_alloc(call, ctx->nenv);

    (void)data;
    (void)err;
    for (size_t i = 0; i < ctx->nenv; i++) {
        const char *kv = ctx->env[i], *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
        wc_cval *f = cv_alloc(call, 2);

        cv_set_string(call, &f[0], kv, klen);
        cv_set_string(call, &f[1], eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0);
        pairs[i].u.fields = f;
    }
    result->u.list.elems = pairs;
    result->u.list.n = ctx->nenv;
    return 0;
}

HOSTFN(get_arguments)
{
    wc_wasi_ctx *ctx = WASI_CTX(call);
    wc_cval *list = cv_alloc(call, ctx->nargs);

    (void)data;
    (void)err;
    for (size_t i = 0; i < ctx->nargs; i++) {
        cv_set_string(call, &list[i], ctx->args[i], strlen(ctx->args[i]));
    }
    result->u.list.elems = list;
    result->u.list.n = ctx->nargs;
    return 0;
}

HOSTFN(initial_cwd)
{
    (void)call;
    (void)data;
    (void)args;
    (void)err;
    result->u.var.disc = 0; /* none: the guest has no working directory */
    return 0;
}

HOSTFN(exit_)
{
    wc_wasi_ctx *ctx = WASI_CTX(call);

    (void)data;
    (void)result;
    ctx->exited = 1;
    ctx->exit_code = args[0].u.var.disc == 0 ? 0 : 1;
    return wc_error_set(err, WC_ETRAP, "guest exited with status %d", ctx->exit_code);
}

HOSTFN(exit_with_code)
{
    wc_wasi_ctx *ctx = WASI_CTX(call);

    (void)data;
    (void)result;
    ctx->exited = 1;
    ctx->exit_code = (uint8_t)args[0].u.u32;
    return wc_error_set(err, WC_ETRAP, "guest exited with status %d", ctx->exit_code);
}

static int
std_stream(wc_ccall *call, wc_rtype *t, wc_stream *s, wc_cval *result)
{
    s->refs++;
    cv_set_own(call, result, t, s);
    return 0;
}

HOSTFN(get_stdin)
{
    (void)args;
    (void)err;
    return std_stream(call, WASI(data)->input_stream, WASI_CTX(call)->stdin_s, result);
}

HOSTFN(get_stdout)
{
    (void)args;
    (void)err;
    return std_stream(call, WASI(data)->output_stream, WASI_CTX(call)->stdout_s, result);
}

HOSTFN(get_stderr)
{
    (void)args;
    (void)err;
    return std_stream(call, WASI(data)->output_stream, WASI_CTX(call)->stderr_s, result);
}

/* The guest is never attached to a terminal: its streams are pipes or buffers. */
HOSTFN(no_terminal)
{
    (void)call;
    (void)data;
    (void)args;
    (void)err;
    result->u.var.disc = 0;
    return 0;
}

static void
drop_nothing(void *host, void *obj)
{
    (void)host;
    (void)obj;
}

void
wc__wasi_link_cli(wc_wasi *w)
{
    wc_linker *l = w->linker;
    struct {
        const char *iface, *name;
        wc_chost_fn fn;
    } fns[] = {
        {CLI("environment"), "get-environment", get_environment},
        {CLI("environment"), "get-arguments", get_arguments},
        {CLI("environment"), "initial-cwd", initial_cwd},
        {CLI("exit"), "exit", exit_},
        {CLI("exit"), "exit-with-code", exit_with_code},
        {CLI("stdin"), "get-stdin", get_stdin},
        {CLI("stdout"), "get-stdout", get_stdout},
        {CLI("stderr"), "get-stderr", get_stderr},
        {CLI("terminal-stdin"), "get-terminal-stdin", no_terminal},
        {CLI("terminal-stdout"), "get-terminal-stdout", no_terminal},
        {CLI("terminal-stderr"), "get-terminal-stderr", no_terminal},
    };

    w->terminal_input =
        wc_linker_resource(l, CLI("terminal-input"), WASI_VERSION, "terminal-input", drop_nothing);
    w->terminal_output = wc_linker_resource(l, CLI("terminal-output"), WASI_VERSION,
                                            "terminal-output", drop_nothing);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        wc_linker_func(l, fns[i].iface, WASI_VERSION, fns[i].name, fns[i].fn, w);
    }
}
