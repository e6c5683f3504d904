/*
 * messaging.c - the built-in messaging provider (wasmcloud:messaging over NATS).
 *
 * Handler side: a link from the provider to a component on
 * wasmcloud:messaging/handler with source config `subscriptions` (a comma
 * list of subjects; "subject|queue" joins a queue group) subscribes here,
 * and each message calls the component's handle-message in a fresh instance.
 * Consumer side (publish, request) is in iface.c. Both use the host's own
 * NATS connection: the lattice's server (wasmCloud's provider can connect
 * elsewhere with cluster_uris; this one does not).
 *
 * nats.c delivers a subscription's messages one at a time on its own
 * thread, so a subscription runs one invocation at a time.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HANDLER_IFACE "wasmcloud:messaging/handler@0.2.0"

typedef struct msub {
    wc_host *h;
    char *subject, *queue, *component;
    natsSubscription *sub;
} msub;

typedef struct msg_state {
    WC_VEC(msub *) subs;
} msg_state;

static void
deliver(wc_host *h, const char *component, natsMsg *msg)
{
    hcomp *c = comp_get(h, component);
    invocation inv;
    wc_wasi_ctx ctx;
    wc_cinstance *ci = NULL;
    wc_cfunc *fn;
    wc_cval arg, fields[3], reply, result;
    wc_arena arena;
    wc_error err = WC_ERROR_INIT;
    const char *rs = natsMsg_GetReply(msg);

    if (c == NULL) {
        WC_WARN("messaging", "message on %s: component %s is not running on this host",
                natsMsg_GetSubject(msg), component);
        return;
    }
    memset(&inv, 0, sizeof(inv));
    inv.h = h;
    if (comp_acquire(c, &inv, &err) != 0) {
        WC_WARN("messaging", "message on %s dropped: %s", natsMsg_GetSubject(msg), err.msg);
        comp_unref(c);
        return;
    }
    wc_arena_init(&arena, 1024);
    wc_wasi_ctx_init(&ctx);
    comp_setup_ctx(&ctx, &inv);
    memset(fields, 0, sizeof(fields));
    fields[0].u.str.ptr = natsMsg_GetSubject(msg);
    fields[0].u.str.len = strlen(natsMsg_GetSubject(msg));
    fields[1].u.list.bytes = (const uint8_t *)natsMsg_GetData(msg);
    fields[1].u.list.n = (size_t)natsMsg_GetDataLength(msg);
    if (rs != NULL && *rs != '\0') {
        memset(&reply, 0, sizeof(reply));
        reply.u.str.ptr = rs;
        reply.u.str.len = strlen(rs);
        fields[2].u.var.disc = 1;
        fields[2].u.var.val = &reply;
    }
    memset(&arg, 0, sizeof(arg));
    arg.u.fields = fields;
    if (wc_cinstance_new(inv.img->comp, inv.img->linker, &ctx, inv.deadline_ns, &ci, &err) != 0 ||
        wc_cinstance_func(ci, HANDLER_IFACE, "handle-message", &fn, &err) != 0 ||
        wc_cfunc_call(ci, fn, &arg, 1, &result, &arena, &err) != 0) {
        WC_WARN("messaging", "component %s failed on a message from %s: %s", component,
                natsMsg_GetSubject(msg), err.msg);
    } else if (result.u.var.disc == 1 && result.u.var.val != NULL) {
        WC_WARN("messaging", "component %s returned an error for a message on %s: %.*s", component,
                natsMsg_GetSubject(msg), (int)result.u.var.val->u.str.len,
                result.u.var.val->u.str.ptr);
    }
    wc_cinstance_free(ci);
    wc_wasi_ctx_release(&ctx);
    wc_arena_release(&arena);
    comp_release(&inv);
    comp_unref(c);
}

static void
on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    msub *s = closure;

    deliver(s->h, s->component, msg);
    natsMsg_Destroy(msg);
}

static void
msub_free(msub *s)
{
    if (s->sub != NULL) {
        /* Messages already delivered are handled first; s is their closure,
         * so it may go only once the drain is complete. If it is not done in
         * time (a long handler), leave s and the subscription be (a small
         * leak) rather than free what a callback still uses. */
        natsStatus st = natsSubscription_Drain(s->sub);

        if (st == NATS_OK) {
            st = natsSubscription_WaitForDrainCompletion(s->sub, 30000);
        }
        if (st != NATS_OK) {
            WC_WARN("messaging", "subscription %s for %s did not drain in 30s; leaving it",
                    s->subject, s->component);
            return;
        }
        natsSubscription_Destroy(s->sub);
    }
    free(s->subject);
    free(s->queue);
    free(s->component);
    free(s);
}

static int
same(const msub *s, const char *subject, const char *queue, const char *component)
{
    return strcmp(s->subject, subject) == 0 && strcmp(s->component, component) == 0 &&
           ((s->queue == NULL && queue == NULL) ||
            (s->queue != NULL && queue != NULL && strcmp(s->queue, queue) == 0));
}

void
msg_provider_sync(wc_host *h, hprov *p)
{
    msg_state *st = p->state;
    WC_VEC(msub *) want = {0};
    const wc_lt_component_specification *spec;
    int failed = 0;

    if (st == NULL) {
        st = p->state = wc_xcalloc(1, sizeof(*st));
    }
    pthread_rwlock_rdlock(&h->lock);
    spec = state_spec(h, p->id);
    for (size_t i = 0; spec != NULL && i < spec->links.n; i++) {
        const wc_lt_link *l = &spec->links.v[i];
        json_t *cfg, *v;
        char *list, *save = NULL;

        if (strcmp(l->wit_namespace, "wasmcloud") != 0 ||
            strcmp(l->wit_package, "messaging") != 0 || !strlist_has(&l->interfaces, "handler") ||
            !state_configs_known(h, &l->source_config)) {
            continue;
        }
        cfg = state_config_merge(h, &l->source_config);
        v = json_object_get(cfg, "subscriptions");
        list = wc_xstrdup(json_is_string(v) ? json_string_value(v) : "");
        for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
            char *bar;
            msub *s;

            while (*t == ' ') {
                t++;
            }
            if (*t == '\0') {
                continue;
            }
            s = wc_xcalloc(1, sizeof(*s));
            s->h = h;
            if ((bar = strchr(t, '|')) != NULL) {
                *bar = '\0';
                s->queue = wc_xstrdup(bar + 1);
            }
            s->subject = wc_xstrdup(t);
            s->component = wc_xstrdup(l->target);
            if (!wc_lattice_valid_subject(s->subject, 1) ||
                (s->queue != NULL && !wc_lattice_valid_queue(s->queue))) {
                WC_WARN("messaging",
                        "provider %s: ignoring subscription \"%s\" for %s: not a "
                        "valid subject or queue",
                        p->id, t, l->target);
                s->sub = NULL;
                msub_free(s);
                failed = 1;
                continue;
            }
            wc_vec_push(&want, s);
        }
        free(list);
        json_decref(cfg);
    }
    pthread_rwlock_unlock(&h->lock);

    /* Keep subscriptions still wanted; drop the rest; make the new ones. */
    for (size_t i = 0; i < st->subs.n;) {
        msub *s = st->subs.v[i];
        int keep = 0;

        for (size_t j = 0; j < want.n && !keep; j++) {
            if (want.v[j] != NULL &&
                same(s, want.v[j]->subject, want.v[j]->queue, want.v[j]->component)) {
                keep = 1;
                msub_free(want.v[j]);
                want.v[j] = NULL;
            }
        }
        if (keep) {
            i++;
            continue;
        }
        WC_INFO("messaging", "provider %s: unsubscribing %s (component %s)", p->id, s->subject,
                s->component);
        msub_free(s);
        st->subs.v[i] = st->subs.v[--st->subs.n];
    }
    for (size_t j = 0; j < want.n; j++) {
        msub *s = want.v[j];
        natsStatus rc;

        if (s == NULL) {
            continue;
        }
        rc = s->queue != NULL ? natsConnection_QueueSubscribe(&s->sub, wc_lattice_conn(h->lat),
                                                              s->subject, s->queue, on_message, s)
                              : natsConnection_Subscribe(&s->sub, wc_lattice_conn(h->lat),
                                                         s->subject, on_message, s);
        if (rc != NATS_OK) {
            WC_ERR("messaging", "provider %s: cannot subscribe to %s: %s", p->id, s->subject,
                   natsStatus_GetText(rc));
            s->sub = NULL;
            msub_free(s);
            failed = 1;
            continue;
        }
        WC_INFO("messaging", "provider %s: %s -> component %s", p->id, s->subject, s->component);
        wc_vec_push(&st->subs, s);
    }
    wc_vec_free(&want);
    natsConnection_Flush(wc_lattice_conn(h->lat));
    atomic_store(&p->health, failed ? -1 : 1);
}

void
msg_provider_stop(wc_host *h, hprov *p)
{
    msg_state *st = p->state;

    (void)h;
    if (st == NULL) {
        return;
    }
    for (size_t i = 0; i < st->subs.n; i++) {
        msub_free(st->subs.v[i]);
    }
    wc_vec_free(&st->subs);
    free(st);
    p->state = NULL;
}
