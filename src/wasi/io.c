/*
 * io.c - wasi:io/error, wasi:io/poll and wasi:io/streams.
 */
#include "wasi/internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>

#define IO(iface) "wasi:io/" iface

int
wc__bad_handle(wc_error *err, const char *what)
{
    return wc_error_set(err, WC_ETRAP, "invalid %s handle", what);
}

/* ---- wasi:io/error ---- */

static void
drop_error(void *host, void *obj)
{
    wasi_error *e = obj;

    (void)host;
    free(e->msg);
    free(e);
}

HOSTFN(error_to_debug_string)
{
    wasi_error *e = arg_obj(call, &args[0], WASI(data)->error);

    if (e == NULL) {
        return wc__bad_handle(err, "error");
    }
    cv_set_string(call, result, e->msg, strlen(e->msg));
    return 0;
}

void
wc__stream_error_failed(wc_ccall *call, wc_wasi *w, wc_cval *out, int code, const char *msg)
{
    wasi_error *e = wc_xcalloc(1, sizeof(*e));
    wc_cval *se = cv_alloc(call, 1);

    e->msg = wc_xstrdup(msg);
    /* An operating-system error (a negative errno) also has a
     * wasi:filesystem error-code, for filesystem-error-code. */
    if (code < 0 && code > -4096) {
        e->fs_code = (int)wc__fs_errno_code(-code) + 1;
    }
    se->u.var.disc = 0; /* last-operation-failed(own<error>) */
    se->u.var.val = cv_own(call, w->error, e);
    cv_err(out, se);
}

void
wc__stream_error_closed(wc_cval *out)
{
    static wc_cval closed = {.u.var = {1, NULL}};

    cv_err(out, &closed);
}

/* ---- wasi:io/poll ---- */

static void
drop_pollable(void *host, void *obj)
{
    (void)host;
    wc__pollable_free(obj);
}

HOSTFN(pollable_ready)
{
    wc_pollable *p = arg_obj(call, &args[0], WASI(data)->pollable);
    int fd;
    short ev;
    uint64_t dl;

    if (p == NULL) {
        return wc__bad_handle(err, "pollable");
    }
    result->u.b = wc__pollable_ready(p, &fd, &ev, &dl);
    return 0;
}

HOSTFN(pollable_block)
{
    wc_pollable *p = arg_obj(call, &args[0], WASI(data)->pollable);

    (void)result;
    if (p == NULL) {
        return wc__bad_handle(err, "pollable");
    }
    return wc__poll_wait(&p, 1, err);
}

HOSTFN(poll)
{
    const wc_cval *list = &args[0];
    size_t n = list->u.list.n, nready = 0;
    wc_pollable **ps;
    wc_cval *ready;
    int rc;

    if (n == 0) {
        return wc_error_set(err, WC_ETRAP, "poll called with an empty list");
    }
    ps = wc_xcalloc(n, sizeof(*ps));
    for (size_t i = 0; i < n; i++) {
        ps[i] = arg_obj(call, &list->u.list.elems[i], WASI(data)->pollable);
        if (ps[i] == NULL) {
            free(ps);
            return wc__bad_handle(err, "pollable");
        }
    }
    if ((rc = wc__poll_wait(ps, n, err)) != 0) {
        free(ps);
        return rc;
    }
    ready = cv_alloc(call, n);
    for (size_t i = 0; i < n; i++) {
        int fd;
        short ev;
        uint64_t dl;

        if (wc__pollable_ready(ps[i], &fd, &ev, &dl)) {
            ready[nready++].u.u32 = (uint32_t)i;
        }
    }
    free(ps);
    result->u.list.elems = ready;
    result->u.list.n = nready;
    return 0;
}

/* ---- wasi:io/streams ---- */

static void
drop_stream(void *host, void *obj)
{
    (void)host;
    wc_stream_unref(obj);
}

static int
stream_status(wc_ccall *call, wc_wasi *w, wc_cval *result, int st, wc_error *e, wc_error *err,
              wc_cval *payload)
{
    if (st < 0) {
        if (st == WC_ETRAP) {
            return wc_error_set(err, WC_ETRAP, "%s", e->msg);
        }
        wc__stream_error_failed(call, w, result, st, e->msg);
    } else if (st == WC_STREAM_CLOSED) {
        wc__stream_error_closed(result);
    } else {
        cv_ok(result, payload);
    }
    return 0;
}

static int
do_read(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err,
        int blocking, int skip)
{
    wc_wasi *w = WASI(data);
    wc_stream *s = arg_obj(call, &args[0], w->input_stream);
    uint64_t len = args[1].u.u64;
    wc_error e = WC_ERROR_INIT;
    size_t got = 0;
    uint8_t *buf;
    wc_cval *payload;
    int st;

    if (s == NULL) {
        return wc__bad_handle(err, "input-stream");
    }
    if (len > (1u << 20)) {
        len = 1u << 20; /* a read may return less than asked */
    }
    buf = wc_arena_alloc(call->arena, len + 1);
    st = s->ops->read(s, buf, len, &got, blocking, &e);
    if (st == WC_STREAM_CLOSED && got > 0) {
        st = WC_STREAM_OK;
    }
    if (skip) {
        payload = cv_u64(call, got);
    } else {
        payload = cv_alloc(call, 1);
        payload->u.list.bytes = buf;
        payload->u.list.n = got;
    }
    return stream_status(call, w, result, st, &e, err, payload);
}

HOSTFN(istream_read)
{
    return do_read(call, data, args, result, err, 0, 0);
}

HOSTFN(istream_blocking_read)
{
    return do_read(call, data, args, result, err, 1, 0);
}

HOSTFN(istream_skip)
{
    return do_read(call, data, args, result, err, 0, 1);
}

HOSTFN(istream_blocking_skip)
{
    return do_read(call, data, args, result, err, 1, 1);
}

static int
subscribe(wc_ccall *call, wc_wasi *w, wc_stream *s, wc_cval *result)
{
    wc_pollable *p = wc_pollable_stream(s);

    result->u.handle.type = w->pollable;
    result->u.handle.rep = wc_cinstance_res_new(call->inst, w->pollable, p);
    return 0;
}

HOSTFN(istream_subscribe)
{
    wc_stream *s = arg_obj(call, &args[0], WASI(data)->input_stream);

    if (s == NULL) {
        return wc__bad_handle(err, "input-stream");
    }
    return subscribe(call, WASI(data), s, result);
}

HOSTFN(ostream_subscribe)
{
    wc_stream *s = arg_obj(call, &args[0], WASI(data)->output_stream);

    if (s == NULL) {
        return wc__bad_handle(err, "output-stream");
    }
    return subscribe(call, WASI(data), s, result);
}

HOSTFN(ostream_check_write)
{
    wc_wasi *w = WASI(data);
    wc_stream *s = arg_obj(call, &args[0], w->output_stream);
    wc_error e = WC_ERROR_INIT;
    uint64_t room = 0;
    int st;

    if (s == NULL) {
        return wc__bad_handle(err, "output-stream");
    }
    st = s->ops->check_write(s, &room, &e);
    return stream_status(call, w, result, st, &e, err, cv_u64(call, room));
}

static int
do_write(wc_ccall *call, void *data, const wc_cval *bytes, size_t zeroes, const wc_cval *self,
         wc_cval *result, wc_error *err, int flush)
{
    wc_wasi *w = WASI(data);
    wc_stream *s = arg_obj(call, self, w->output_stream);
    wc_error e = WC_ERROR_INIT;
    int st;

    if (s == NULL) {
        return wc__bad_handle(err, "output-stream");
    }
    if (bytes != NULL) {
        st = s->ops->write(s, bytes->u.list.bytes, bytes->u.list.n, &e);
    } else {
        uint8_t *z = wc_arena_calloc(call->arena, zeroes ? zeroes : 1, 1);

        st = s->ops->write(s, z, zeroes, &e);
    }
    if (st == WC_STREAM_OK && flush) {
        st = s->ops->flush(s, 1, &e);
    }
    return stream_status(call, w, result, st, &e, err, NULL);
}

HOSTFN(ostream_write)
{
    return do_write(call, data, &args[1], 0, &args[0], result, err, 0);
}

HOSTFN(ostream_blocking_write_and_flush)
{
    return do_write(call, data, &args[1], 0, &args[0], result, err, 1);
}

HOSTFN(ostream_write_zeroes)
{
    if (args[1].u.u64 > (1u << 24)) {
        return wc_error_set(err, WC_ETRAP, "write-zeroes of more than check-write allowed");
    }
    return do_write(call, data, NULL, args[1].u.u64, &args[0], result, err, 0);
}

HOSTFN(ostream_blocking_write_zeroes_and_flush)
{
    if (args[1].u.u64 > (1u << 24)) {
        return wc_error_set(err, WC_ETRAP, "write-zeroes of more than check-write allowed");
    }
    return do_write(call, data, NULL, args[1].u.u64, &args[0], result, err, 1);
}

static int
do_flush(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err,
         int blocking)
{
    wc_wasi *w = WASI(data);
    wc_stream *s = arg_obj(call, &args[0], w->output_stream);
    wc_error e = WC_ERROR_INIT;

    if (s == NULL) {
        return wc__bad_handle(err, "output-stream");
    }
    return stream_status(call, w, result, s->ops->flush(s, blocking, &e), &e, err, NULL);
}

HOSTFN(ostream_flush)
{
    return do_flush(call, data, args, result, err, 0);
}

HOSTFN(ostream_blocking_flush)
{
    return do_flush(call, data, args, result, err, 1);
}

static int
do_splice(wc_ccall *call, void *data, const wc_cval *args, wc_cval *result, wc_error *err,
          int blocking)
{
    wc_wasi *w = WASI(data);
    wc_stream *out = arg_obj(call, &args[0], w->output_stream);
    wc_stream *in = arg_obj(call, &args[1], w->input_stream);
    uint64_t len = args[2].u.u64;
    wc_error e = WC_ERROR_INIT;
    size_t got = 0;
    uint8_t *buf;
    int st;

    if (out == NULL || in == NULL) {
        return wc__bad_handle(err, "stream");
    }
    if (len > (1u << 20)) {
        len = 1u << 20;
    }
    buf = wc_arena_alloc(call->arena, len + 1);
    st = in->ops->read(in, buf, len, &got, blocking, &e);
    if (st == WC_STREAM_CLOSED && got > 0) {
        st = WC_STREAM_OK;
    }
    if (st == WC_STREAM_OK && got > 0) {
        st = out->ops->write(out, buf, got, &e);
    }
    return stream_status(call, w, result, st, &e, err, cv_u64(call, got));
}

HOSTFN(ostream_splice)
{
    return do_splice(call, data, args, result, err, 0);
}

HOSTFN(ostream_blocking_splice)
{
    return do_splice(call, data, args, result, err, 1);
}

void
wc__wasi_link_io(wc_wasi *w)
{
    wc_linker *l = w->linker;
    struct {
        const char *iface, *name;
        wc_chost_fn fn;
    } fns[] = {
        {IO("error"), "[method]error.to-debug-string", error_to_debug_string},
        {IO("poll"), "[method]pollable.ready", pollable_ready},
        {IO("poll"), "[method]pollable.block", pollable_block},
        {IO("poll"), "poll", poll},
        {IO("streams"), "[method]input-stream.read", istream_read},
        {IO("streams"), "[method]input-stream.blocking-read", istream_blocking_read},
        {IO("streams"), "[method]input-stream.skip", istream_skip},
        {IO("streams"), "[method]input-stream.blocking-skip", istream_blocking_skip},
        {IO("streams"), "[method]input-stream.subscribe", istream_subscribe},
        {IO("streams"), "[method]output-stream.check-write", ostream_check_write},
        {IO("streams"), "[method]output-stream.write", ostream_write},
        {IO("streams"), "[method]output-stream.blocking-write-and-flush",
         ostream_blocking_write_and_flush},
        {IO("streams"), "[method]output-stream.flush", ostream_flush},
        {IO("streams"), "[method]output-stream.blocking-flush", ostream_blocking_flush},
        {IO("streams"), "[method]output-stream.subscribe", ostream_subscribe},
        {IO("streams"), "[method]output-stream.write-zeroes", ostream_write_zeroes},
        {IO("streams"), "[method]output-stream.blocking-write-zeroes-and-flush",
         ostream_blocking_write_zeroes_and_flush},
        {IO("streams"), "[method]output-stream.splice", ostream_splice},
        {IO("streams"), "[method]output-stream.blocking-splice", ostream_blocking_splice},
    };

    w->error = wc_linker_resource(l, IO("error"), WASI_VERSION, "error", drop_error);
    w->pollable = wc_linker_resource(l, IO("poll"), WASI_VERSION, "pollable", drop_pollable);
    w->input_stream =
        wc_linker_resource(l, IO("streams"), WASI_VERSION, "input-stream", drop_stream);
    w->output_stream =
        wc_linker_resource(l, IO("streams"), WASI_VERSION, "output-stream", drop_stream);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        wc_linker_func(l, fns[i].iface, WASI_VERSION, fns[i].name, fns[i].fn, w);
    }
}
