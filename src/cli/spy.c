/*
 * spy.c - `wash spy ID`: watch what happens to one component (or provider):
 * the lattice events that name it (scaled, failed, linked, unlinked,
 * started, stopped) and the wRPC invocations sent to it (subject
 * {lattice}.{id}.wrpc.>, as wasmCloud's wash spy: who called, which
 * function, how many parameter bytes). Calls a host makes in process (its
 * HTTP server or messaging provider calling a component on the same host)
 * do not cross NATS and are not seen.
 */
#include "cli/cli.h"

#include "lattice/lattice.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does the event's data name id in any of the fields that identify things? */
static int
about(const json_t *data, const char *id)
{
    static const char *const keys[] = {"component_id", "provider_id", "source_id", "target"};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = json_string_value(json_object_get(data, keys[i]));

        if (v != NULL && strcmp(v, id) == 0) {
            return 1;
        }
    }
    return 0;
}

/* An invocation: {lattice}.{id}.wrpc.0.0.1.{instance}.{function}, the caller in source-id. */
static void
print_invocation(natsMsg *m, const char *id, const char *lattice, const char *output)
{
    const char *subject = natsMsg_GetSubject(m), *from = NULL, *op;
    char now[32];
    size_t skip = strlen(lattice) + strlen(id) + strlen(".wrpc.0.0.1.") + 1;

    op = strlen(subject) > skip ? subject + skip : subject;
    if (natsMsgHeader_Get(m, "source-id", &from) != NATS_OK || from == NULL) {
        from = "(not given)";
    }
    wc_lattice_time(now);
    if (strcmp(output, "json") == 0) {
        json_t *j =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "time", now, "kind", "invocation", "from",
                      from, "to", id, "operation", op, "bytes", natsMsg_GetDataLength(m));
        char *text = json_dumps(j, JSON_COMPACT);

        printf("%s\n", text);
        free(text);
        json_decref(j);
    } else {
        printf("%s %-24s from %s to %s: %s (%d bytes of parameters)\n", now, "invocation", from, id,
               op, natsMsg_GetDataLength(m));
    }
    fflush(stdout);
}

int
cmd_spy(int argc, char **argv)
{
    const char *nats_url = "nats://127.0.0.1:4222", *output = "text";
    const char *lattice = getenv("WASMCLOUD_LATTICE") ? getenv("WASMCLOUD_LATTICE") : "default";
    uint64_t count = 0, timeout = 0;
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &nats_url}, {"lattice", 'x', WC_OPT_STRING, &lattice},
        {"output", 'o', WC_OPT_STRING, &output},   {"count", 0, WC_OPT_UINT, &count},
        {"timeout", 0, WC_OPT_DURATION, &timeout}, {NULL, 0, 0, NULL},
    };
    wc_lattice_config lc;
    wc_lattice *lat = NULL;
    natsSubscription *sub = NULL, *rpc = NULL;
    wc_error err = WC_ERROR_INIT;
    char subject[300];
    uint64_t seen = 0;
    int64_t deadline;
    int npos, rc;

    rc = wc_parse_options(wc_find_command("spy"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (npos != 1) {
        wc_cli_error("spy", "usage: wash spy ID [--count N] [--timeout DURATION]");
        return 2;
    }
    wc_lattice_config_init(&lc);
    lc.url = nats_url;
    lc.lattice = lattice;
    if (wc_lattice_connect(&lc, &lat, &err) != 0) {
        wc_cli_error("spy", "%s", err.msg);
        return 1;
    }
    snprintf(subject, sizeof(subject), "wasmbus.evt.%s.>", lattice);
    if (natsConnection_SubscribeSync(&sub, wc_lattice_conn(lat), subject) != NATS_OK) {
        wc_cli_error("spy", "cannot subscribe to %s", subject);
        wc_lattice_close(lat, 0);
        return 1;
    }
    snprintf(subject, sizeof(subject), "%s.%s.wrpc.>", lattice, argv[1]);
    if (natsConnection_SubscribeSync(&rpc, wc_lattice_conn(lat), subject) != NATS_OK) {
        wc_cli_error("spy", "cannot subscribe to %s", subject);
        natsSubscription_Destroy(sub);
        wc_lattice_close(lat, 0);
        return 1;
    }
    natsConnection_Flush(wc_lattice_conn(lat));
    fprintf(stderr,
            "Watching events about %s and invocations of it on lattice %s (Ctrl-C to stop)\n",
            argv[1], lattice);
    signal(SIGPIPE, SIG_IGN);
    deadline = timeout != 0 ? nats_Now() + (int64_t)(timeout / 1000000) : 0;
    while (count == 0 || seen < count) {
        natsMsg *m = NULL;
        json_t *ev, *data;
        int64_t wait = deadline != 0 ? deadline - nats_Now() : 1000;

        if (deadline != 0 && wait <= 0) {
            break;
        }
        if (natsSubscription_NextMsg(&m, rpc, 0) == NATS_OK ||
            natsSubscription_NextMsg(&m, rpc, wait < 100 ? wait : 100) == NATS_OK) {
            print_invocation(m, argv[1], lattice, output);
            natsMsg_Destroy(m);
            seen++;
            continue;
        }
        if (natsSubscription_NextMsg(&m, sub, 0) != NATS_OK) {
            continue;
        }
        ev = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
        natsMsg_Destroy(m);
        data = json_object_get(ev, "data");
        if (ev != NULL && about(data, argv[1])) {
            if (strcmp(output, "json") == 0) {
                char *text = json_dumps(ev, JSON_COMPACT);

                printf("%s\n", text);
                free(text);
            } else {
                char *text = json_dumps(data, JSON_COMPACT);
                const char *type = json_string_value(json_object_get(ev, "type"));

                printf("%s %-24s %s\n", json_string_value(json_object_get(ev, "time")),
                       type != NULL && strncmp(type, "com.wasmcloud.lattice.", 22) == 0
                           ? type + 22
                           : (type ? type : "?"),
                       text);
                free(text);
            }
            fflush(stdout);
            seen++;
        }
        json_decref(ev);
    }
    natsSubscription_Destroy(sub);
    natsSubscription_Destroy(rpc);
    wc_lattice_close(lat, 0);
    return 0;
}
