/*
 * sockets.c - wasi:sockets@0.2, with network access denied.
 *
 * Components built by common toolchains import wasi:sockets even when they
 * never open a socket, so every interface is defined and linking succeeds;
 * but a component gets no network through it (wasmCloud components reach
 * the network through wasi:http and providers, under the host's control).
 * instance-network hands out a network handle; creating a TCP or UDP socket
 * and resolving a name fail with access-denied. Since no socket, datagram
 * stream or resolve stream can then exist, their methods are defined for
 * completeness with the answers a denied socket would give: access-denied
 * for anything that would touch the network or configure a socket,
 * invalid-state for anything that needs a bound or connected one, and
 * pollables that are ready at once so a waiting guest sees the answer.
 */
#include "wasi/internal.h"

#include "base/xalloc.h"

#include <stdlib.h>

#define SOCK(iface) "wasi:sockets/" iface

/* network error-code cases used here. */
enum { NET_ACCESS_DENIED = 1, NET_INVALID_STATE = 9 };

/* The network resource: a capability that, here, grants nothing. */
typedef struct wasi_network {
    int denied;
} wasi_network;

static void
drop_object(void *host, void *obj)
{
    free(obj);
}

HOSTFN(instance_network)
{
    wasi_network *n = wc_xcalloc(1, sizeof(*n));

    n->denied = 1;
    cv_set_own(call, result, WASI(data)->network, n);
    return 0;
}

/* result<_, error-code> (or any result) failing with code. */
static int
fail(wc_ccall *call, wc_cval *result, uint32_t code)
{
    cv_err(result, cv_enum(call, code));
    return 0;
}

HOSTFN(access_denied)
{
    return fail(call, result, NET_ACCESS_DENIED);
}

HOSTFN(invalid_state)
{
    return fail(call, result, NET_INVALID_STATE);
}

HOSTFN(resolve_addresses)
{
    if (arg_obj(call, &args[0], WASI(data)->network) == NULL) {
        return wc__bad_handle(err, "network");
    }
    return fail(call, result, NET_ACCESS_DENIED);
}

/* start-bind and start-connect take a network: it must be a live one, and grants nothing. */
HOSTFN(denied_with_network)
{
    if (arg_obj(call, &args[1], WASI(data)->network) == NULL) {
        return wc__bad_handle(err, "network");
    }
    return fail(call, result, NET_ACCESS_DENIED);
}

HOSTFN(not_listening)
{
    result->u.b = 0;
    return 0;
}

/* address-family of a socket that was never created: the first case, ipv4. */
HOSTFN(family_ipv4)
{
    result->u.var.disc = 0;
    return 0;
}

HOSTFN(subscribe_ready)
{
    cv_set_own(call, result, WASI(data)->pollable, wc_pollable_ready());
    return 0;
}

void
wc__wasi_link_sockets(wc_wasi *w)
{
    wc_linker *l = w->linker;
    struct {
        const char *iface, *name;
        wc_chost_fn fn;
    } fns[] = {
        {SOCK("instance-network"), "instance-network", instance_network},
        {SOCK("ip-name-lookup"), "resolve-addresses", resolve_addresses},
        {SOCK("ip-name-lookup"), "[method]resolve-address-stream.resolve-next-address",
         invalid_state},
        {SOCK("ip-name-lookup"), "[method]resolve-address-stream.subscribe", subscribe_ready},
        {SOCK("tcp-create-socket"), "create-tcp-socket", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.start-bind", denied_with_network},
        {SOCK("tcp"), "[method]tcp-socket.finish-bind", invalid_state},
        {SOCK("tcp"), "[method]tcp-socket.start-connect", denied_with_network},
        {SOCK("tcp"), "[method]tcp-socket.finish-connect", invalid_state},
        {SOCK("tcp"), "[method]tcp-socket.start-listen", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.finish-listen", invalid_state},
        {SOCK("tcp"), "[method]tcp-socket.accept", invalid_state},
        {SOCK("tcp"), "[method]tcp-socket.local-address", invalid_state},
        {SOCK("tcp"), "[method]tcp-socket.remote-address", invalid_state},
        {SOCK("tcp"), "[method]tcp-socket.is-listening", not_listening},
        {SOCK("tcp"), "[method]tcp-socket.address-family", family_ipv4},
        {SOCK("tcp"), "[method]tcp-socket.set-listen-backlog-size", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.keep-alive-enabled", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.set-keep-alive-enabled", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.keep-alive-idle-time", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.set-keep-alive-idle-time", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.keep-alive-interval", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.set-keep-alive-interval", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.keep-alive-count", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.set-keep-alive-count", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.hop-limit", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.set-hop-limit", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.receive-buffer-size", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.set-receive-buffer-size", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.send-buffer-size", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.set-send-buffer-size", access_denied},
        {SOCK("tcp"), "[method]tcp-socket.subscribe", subscribe_ready},
        {SOCK("tcp"), "[method]tcp-socket.shutdown", invalid_state},
        {SOCK("udp-create-socket"), "create-udp-socket", access_denied},
        {SOCK("udp"), "[method]udp-socket.start-bind", denied_with_network},
        {SOCK("udp"), "[method]udp-socket.finish-bind", invalid_state},
        {SOCK("udp"), "[method]udp-socket.stream", access_denied},
        {SOCK("udp"), "[method]udp-socket.local-address", invalid_state},
        {SOCK("udp"), "[method]udp-socket.remote-address", invalid_state},
        {SOCK("udp"), "[method]udp-socket.address-family", family_ipv4},
        {SOCK("udp"), "[method]udp-socket.unicast-hop-limit", access_denied},
        {SOCK("udp"), "[method]udp-socket.set-unicast-hop-limit", access_denied},
        {SOCK("udp"), "[method]udp-socket.receive-buffer-size", access_denied},
        {SOCK("udp"), "[method]udp-socket.set-receive-buffer-size", access_denied},
        {SOCK("udp"), "[method]udp-socket.send-buffer-size", access_denied},
        {SOCK("udp"), "[method]udp-socket.set-send-buffer-size", access_denied},
        {SOCK("udp"), "[method]udp-socket.subscribe", subscribe_ready},
        {SOCK("udp"), "[method]incoming-datagram-stream.receive", invalid_state},
        {SOCK("udp"), "[method]incoming-datagram-stream.subscribe", subscribe_ready},
        {SOCK("udp"), "[method]outgoing-datagram-stream.check-send", invalid_state},
        {SOCK("udp"), "[method]outgoing-datagram-stream.send", invalid_state},
        {SOCK("udp"), "[method]outgoing-datagram-stream.subscribe", subscribe_ready},
    };

    w->network = wc_linker_resource(l, SOCK("network"), WASI_VERSION, "network", drop_object);
    w->resolve_stream = wc_linker_resource(l, SOCK("ip-name-lookup"), WASI_VERSION,
                                           "resolve-address-stream", drop_object);
    w->tcp_socket = wc_linker_resource(l, SOCK("tcp"), WASI_VERSION, "tcp-socket", drop_object);
    w->udp_socket = wc_linker_resource(l, SOCK("udp"), WASI_VERSION, "udp-socket", drop_object);
    w->incoming_dgram =
        wc_linker_resource(l, SOCK("udp"), WASI_VERSION, "incoming-datagram-stream", drop_object);
    w->outgoing_dgram =
        wc_linker_resource(l, SOCK("udp"), WASI_VERSION, "outgoing-datagram-stream", drop_object);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        wc_linker_func(l, fns[i].iface, WASI_VERSION, fns[i].name, fns[i].fn, w);
    }
}
