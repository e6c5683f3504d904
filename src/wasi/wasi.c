/*
 * wasi.c - the WASI context of an instance, and registering every interface.
 */
#include "wasi/internal.h"

#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

void
wc_wasi_ctx_init(wc_wasi_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->stdin_s = wc_stream_memory_in("", 0);
    ctx->stdout_s = wc_stream_fd(1, 1, 0);
    ctx->stderr_s = wc_stream_fd(2, 1, 0);
}

void
wc_wasi_ctx_release(wc_wasi_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nargs; i++) {
        free(ctx->args[i]);
    }
    free(ctx->args);
    for (size_t i = 0; i < ctx->nenv; i++) {
        free(ctx->env[i]);
    }
    free(ctx->env);
    for (size_t i = 0; i < ctx->npreopens; i++) {
        free(ctx->preopens[i].host);
        free(ctx->preopens[i].guest);
        if (ctx->preopens[i].dirfd >= 0) {
            close(ctx->preopens[i].dirfd);
        }
    }
    free(ctx->preopens);
    wc_stream_unref(ctx->stdin_s);
    wc_stream_unref(ctx->stdout_s);
    wc_stream_unref(ctx->stderr_s);
    memset(ctx, 0, sizeof(*ctx));
}

int
wc_wasi_ctx_add_arg(wc_wasi_ctx *ctx, const char *arg)
{
    ctx->args = wc_xrealloc(ctx->args, (ctx->nargs + 1) * sizeof(char *));
    ctx->args[ctx->nargs++] = wc_xstrdup(arg);
    return 0;
}

int
wc_wasi_ctx_add_env(wc_wasi_ctx *ctx, const char *kv)
{
    ctx->env = wc_xrealloc(ctx->env, (ctx->nenv + 1) * sizeof(char *));
    ctx->env[ctx->nenv++] = wc_xstrdup(kv);
    return 0;
}

int
wc_wasi_ctx_preopen(wc_wasi_ctx *ctx, const char *host, const char *guest, wc_error *err)
{
    int fd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        return wc_error_set(err, -errno, "cannot grant directory %s: %s", host, strerror(errno));
    }
    ctx->preopens = wc_xrealloc(ctx->preopens, (ctx->npreopens + 1) * sizeof(*ctx->preopens));
    ctx->preopens[ctx->npreopens].host = wc_xstrdup(host);
    ctx->preopens[ctx->npreopens].guest = wc_xstrdup(guest);
    ctx->preopens[ctx->npreopens].dirfd = fd;
    ctx->npreopens++;
    return 0;
}

wc_wasi *
wc_wasi_link(wc_linker *l)
{
    wc_wasi *w = wc_xcalloc(1, sizeof(*w));

    w->linker = l;
    wc__wasi_link_io(w);
    wc__wasi_link_cli(w);
    wc__wasi_link_misc(w);
    wc__wasi_link_filesystem(w);
    wc__wasi_link_sockets(w);
    wc__wasi_link_http(w);
    return w;
}

void
wc_wasi_free(wc_wasi *w)
{
    free(w);
}
