/*
 * ctl.c - the control interface: wasmbus.ctl.v1.{lattice}.* requests.
 *
 * Every request is decoded with the generated types (a malformed body is
 * answered {"success":false,"message":...} naming the field, and changes
 * nothing). Reads are answered at once; changes to components and providers
 * are acknowledged and queued for the work thread, which reports the result
 * in events, as the reference host does. Links, config and labels change
 * here, through the KV buckets.
 */
#include "host/internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct request {
    wc_host *h;
    natsMsg *msg;
    const char *op[3]; /* the subject after the prefix: kind, verb, rest */
    json_t *body;      /* NULL for an empty body */
    wc_arena arena;
    wc_error err;
} request;

static void
reply(request *r, int success, const char *message, json_t *response)
{
    const char *m = message != NULL ? message : "";
    json_t *j =
        json_pack("{s:b, s:s%}", "success", success, "message", m, wc_utf8_valid_len(m, strlen(m)));

    if (j == NULL) {
        j = json_pack("{s:b, s:s}", "success", success, "message", "(unprintable message)");
    }
    if (response != NULL) {
        json_object_set_new(j, "response", response);
    }
    wc_lattice_reply_json(r->h->lat, r->msg, j);
}

static void reply_error(request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reply_error(request *r, const char *fmt, ...)
{
    char buf[WC_ERROR_MSG_MAX + 128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    reply(r, 0, buf, NULL);
}

/* Decode the body with a generated decoder; an empty body is {} when allowed. */
#define DECODE(r, type, out, empty_ok)                                                             \
    decode_body((r), (empty_ok), (int (*)(const json_t *, void *, wc_arena *, wc_error *))type,    \
                (out))

static int
decode_body(request *r, int empty_ok, int (*fn)(const json_t *, void *, wc_arena *, wc_error *),
            void *out)
{
    json_t *j = r->body;
    int rc;

    if (j == NULL) {
        if (!empty_ok) {
            reply_error(r, "the request needs a JSON body");
            return -1;
        }
        j = json_object();
        rc = fn(j, out, &r->arena, &r->err);
        json_decref(j);
    } else {
        rc = fn(j, out, &r->arena, &r->err);
    }
    if (rc != 0) {
        reply_error(r, "invalid request: %s", r->err.msg);
        return -1;
    }
    return 0;
}

static int
nonempty(request *r, const char *field, const char *v)
{
    if (v == NULL || *v == '\0') {
        reply_error(r, "invalid request: %s must not be empty", field);
        return 0;
    }
    return 1;
}

/* A name usable as one subject token and KV key. */
static int
valid_token(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '/' || *s == '=' ||
              *s == '.')) {
            return 0;
        }
    }
    return 1;
}

/* ---- host ---- */

static void
host_ping(request *r)
{
    wc_host *h = r->h;
    wc_lt_host out = {0};
    char up[64];
    json_t *j;

    pthread_rwlock_rdlock(&h->lock);
    out.id = h->id;
    out.friendly_name = h->friendly;
    out.labels = host_labels(h, &r->arena);
    out.lattice = h->lattice;
    out.version = WC_VERSION;
    out.uptime_seconds = host_uptime_s(h);
    snprintf(up, sizeof(up), "%llus", (unsigned long long)out.uptime_seconds);
    out.uptime_human = up;
    out.ctl_host = (char *)wc_lattice_url(h->lat);
    out.rpc_host = (char *)wc_lattice_url(h->lat);
    out.js_domain = (char *)h->cfg.js_domain;
    j = wc_lt_host_encode(&out);
    pthread_rwlock_unlock(&h->lock);
    reply(r, 1, "", j);
}

static void
host_get(request *r)
{
    json_t *inv;

    pthread_rwlock_rdlock(&r->h->lock);
    inv = host_inventory(r->h);
    pthread_rwlock_unlock(&r->h->lock);
    reply(r, 1, "", inv);
}

static void
host_stop(request *r)
{
    wc_lt_stop_host_command cmd;

    if (DECODE(r, wc_lt_stop_host_command_decode, &cmd, 1) != 0) {
        return;
    }
    if (cmd.host_id != NULL && *cmd.host_id != '\0' && strcmp(cmd.host_id, r->h->id) != 0) {
        reply_error(r, "host_id %s does not match this host (%s)", cmd.host_id, r->h->id);
        return;
    }
    r->h->stop_timeout_ns = cmd.has_timeout ? cmd.timeout * 1000000ull : 0;
    reply(r, 1, "successfully handled stop host", NULL);
    natsConnection_Flush(wc_lattice_conn(r->h->lat));
    wc_host_request_stop(r->h);
}

/* ---- components and providers ---- */

static void
owned_free(void *arg)
{
    owned_cmd *o = arg;

    wc_arena_release(&o->arena);
    free(o);
}

/* Move the request's arena (holding the decoded command) into a job. */
static owned_cmd *
own(request *r, void *cmd)
{
    owned_cmd *o = wc_xcalloc(1, sizeof(*o));

    o->arena = r->arena;
    wc_arena_init(&r->arena, 256);
    o->cmd = cmd;
    return o;
}

static int
host_matches(request *r, const char *host_id)
{
    if (host_id != NULL && *host_id != '\0' && strcmp(host_id, r->h->id) != 0) {
        reply_error(r, "host_id %s does not match this host (%s)", host_id, r->h->id);
        return 0;
    }
    return 1;
}

static void
component_scale(request *r)
{
    wc_lt_scale_component_command *cmd = wc_arena_calloc(&r->arena, 1, sizeof(*cmd));
    hcomp *c;

    if (DECODE(r, wc_lt_scale_component_command_decode, cmd, 0) != 0 ||
        !nonempty(r, "component_id", cmd->component_id) || !host_matches(r, cmd->host_id)) {
        return;
    }
    c = comp_get(r->h, cmd->component_id);
    if (c == NULL && cmd->count > 0 && !nonempty(r, "component_ref", cmd->component_ref)) {
        return;
    }
    if (c != NULL && cmd->component_ref != NULL && *cmd->component_ref != '\0' &&
        !cmd->allow_update) {
        pthread_mutex_lock(&c->mu);
        if (strcmp(c->img->ref, cmd->component_ref) != 0) {
            char msg[1024];

            snprintf(msg, sizeof(msg),
                     "component %s is running %s; scaling it but keeping that image (set "
                     "allow_update to change it)",
                     cmd->component_id, c->img->ref);
            pthread_mutex_unlock(&c->mu);
            comp_unref(c);
            host_enqueue(r->h, comp_scale, own(r, cmd), owned_free);
            reply(r, 1, msg, NULL);
            return;
        }
        pthread_mutex_unlock(&c->mu);
    }
    if (c != NULL) {
        comp_unref(c);
    }
    host_enqueue(r->h, comp_scale, own(r, cmd), owned_free);
    reply(r, 1, "", NULL);
}

static void
component_update(request *r)
{
    wc_lt_update_component_command *cmd = wc_arena_calloc(&r->arena, 1, sizeof(*cmd));
    hcomp *c;

    if (DECODE(r, wc_lt_update_component_command_decode, cmd, 0) != 0 ||
        !nonempty(r, "component_id", cmd->component_id) ||
        !nonempty(r, "new_component_ref", cmd->new_component_ref) ||
        !host_matches(r, cmd->host_id)) {
        return;
    }
    if ((c = comp_get(r->h, cmd->component_id)) == NULL) {
        reply_error(r, "component %s is not running on this host", cmd->component_id);
        return;
    }
    comp_unref(c);
    host_enqueue(r->h, comp_update, own(r, cmd), owned_free);
    reply(r, 1, "", NULL);
}

/* Do the host's labels satisfy every constraint? */
static int
labels_satisfy(wc_host *h, const wc_lt_strmap *constraints)
{
    for (size_t i = 0; i < constraints->n; i++) {
        json_t *v = json_object_get(h->labels, constraints->keys[i]);

        if (v == NULL || strcmp(json_string_value(v), constraints->vals[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Bid when the labels satisfy every constraint and the id does not run here. */
static int
should_bid(wc_host *h, const wc_lt_strmap *constraints, const wc_map *running, const char *id)
{
    int bid;

    pthread_rwlock_rdlock(&h->lock);
    bid = labels_satisfy(h, constraints) && !wc_map_has(running, id);
    pthread_rwlock_unlock(&h->lock);
    return bid;
}

static void
component_auction(request *r)
{
    wc_lt_component_auction_request req;
    wc_lt_component_auction_ack ack = {0};

    /* A host that cannot or should not bid stays silent, even on a bad request. */
    if (r->body == NULL ||
        wc_lt_component_auction_request_decode(r->body, &req, &r->arena, &r->err) != 0) {
        return;
    }
    if (!should_bid(r->h, &req.constraints, &r->h->comps, req.component_id)) {
        return;
    }
    ack.component_ref = req.component_ref;
    ack.component_id = req.component_id;
    ack.host_id = r->h->id;
    ack.constraints = req.constraints;
    reply(r, 1, "", wc_lt_component_auction_ack_encode(&ack));
}

static void
provider_auction(request *r)
{
    wc_lt_provider_auction_request req;
    wc_lt_provider_auction_ack ack = {0};

    if (r->body == NULL ||
        wc_lt_provider_auction_request_decode(r->body, &req, &r->arena, &r->err) != 0) {
        return;
    }
    if (!should_bid(r->h, &req.constraints, &r->h->provs, req.provider_id)) {
        return;
    }
    ack.host_id = r->h->id;
    ack.provider_ref = req.provider_ref;
    ack.provider_id = req.provider_id;
    ack.constraints = req.constraints;
    reply(r, 1, "", wc_lt_provider_auction_ack_encode(&ack));
}

static void
provider_start(request *r)
{
    wc_lt_start_provider_command *cmd = wc_arena_calloc(&r->arena, 1, sizeof(*cmd));
    int running;

    if (DECODE(r, wc_lt_start_provider_command_decode, cmd, 0) != 0 ||
        !nonempty(r, "provider_id", cmd->provider_id) ||
        !nonempty(r, "provider_ref", cmd->provider_ref) || !host_matches(r, cmd->host_id)) {
        return;
    }
    pthread_rwlock_rdlock(&r->h->lock);
    running = wc_map_has(&r->h->provs, cmd->provider_id);
    pthread_rwlock_unlock(&r->h->lock);
    if (running) {
        reply_error(r, "provider with id %s is already running on this host", cmd->provider_id);
        return;
    }
    host_enqueue(r->h, prov_start, own(r, cmd), owned_free);
    reply(r, 1, "successfully started provider", NULL);
}

static void
provider_stop(request *r)
{
    wc_lt_stop_provider_command *cmd = wc_arena_calloc(&r->arena, 1, sizeof(*cmd));
    int running;

    if (DECODE(r, wc_lt_stop_provider_command_decode, cmd, 0) != 0 ||
        !nonempty(r, "provider_id", cmd->provider_id) || !host_matches(r, cmd->host_id)) {
        return;
    }
    pthread_rwlock_rdlock(&r->h->lock);
    running = wc_map_has(&r->h->provs, cmd->provider_id);
    pthread_rwlock_unlock(&r->h->lock);
    if (!running) {
        reply_error(r, "provider with that ID is not running");
        return;
    }
    host_enqueue(r->h, prov_stop, own(r, cmd), owned_free);
    reply(r, 1, "", NULL);
}

/* ---- links ---- */

static json_t *
link_event_data(const wc_lt_link *l, const char *error)
{
    json_t *j = wc_lt_link_encode(l);

    if (error != NULL) {
        json_object_set_new(j, "error",
                            json_stringn(error, wc_utf8_valid_len(error, strlen(error))));
    }
    return j;
}

static int
interfaces_overlap(const wc_lt_strlist *a, const wc_lt_strlist *b)
{
    for (size_t i = 0; i < a->n; i++) {
        if (strlist_has(b, a->v[i])) {
            return 1;
        }
    }
    return 0;
}

static int
same_link_key(const wc_lt_link *a, const char *source, const char *ns, const char *pkg,
              const char *name)
{
    return strcmp(a->source_id, source) == 0 && strcmp(a->wit_namespace, ns) == 0 &&
           strcmp(a->wit_package, pkg) == 0 && strcmp(a->name, name) == 0;
}

static void
link_put(request *r)
{
    wc_host *h = r->h;
    wc_lt_link l;
    WC_VEC(wc_lt_link) links = {0};
    char problem[1024] = "";

    if (DECODE(r, wc_lt_link_decode, &l, 0) != 0 || !nonempty(r, "source_id", l.source_id) ||
        !nonempty(r, "target", l.target) || !nonempty(r, "wit_namespace", l.wit_namespace) ||
        !nonempty(r, "wit_package", l.wit_package) || !nonempty(r, "name", l.name)) {
        return;
    }
    if (l.interfaces.n == 0) {
        reply_error(r, "invalid request: interfaces must name at least one interface");
        return;
    }
    /* Every named config must exist. The mirror may lag a config.put made a
     * moment ago (through any host), so a name it lacks is looked up in KV. */
    for (int side = 0; side < 2 && *problem == '\0'; side++) {
        const wc_lt_strlist *names = side == 0 ? &l.source_config : &l.target_config;

        for (size_t i = 0; i < names->n; i++) {
            int known;

            if (strncmp(names->v[i], "SECRET_", 7) == 0) {
                continue;
            }
            pthread_rwlock_rdlock(&h->lock);
            known = wc_map_has(&h->configs, names->v[i]);
            pthread_rwlock_unlock(&h->lock);
            if (!known) {
                kvEntry *e = NULL;

                known = kvStore_Get(&e, h->cdata, names->v[i]) == NATS_OK;
                kvEntry_Destroy(e);
            }
            if (!known) {
                snprintf(problem, sizeof(problem),
                         "Failed to validate configuration and secrets. %s config \"%s\" does "
                         "not exist (put it first with config.put)",
                         side == 0 ? "source" : "target", names->v[i]);
                break;
            }
        }
    }
    /* Read, change, write only if nobody wrote meanwhile; else again. */
    for (int attempt = 0; *problem == '\0'; attempt++) {
        wc_lt_component_specification spec;
        uint64_t rev;
        int rc;

        links.n = 0;
        wc_error_clear(&r->err);
        if (state_read_spec(h, l.source_id, &spec, &rev, &r->arena, &r->err) != 0) {
            snprintf(problem, sizeof(problem), "%s", r->err.msg);
            break;
        }
        for (size_t i = 0; i < spec.links.n && *problem == '\0'; i++) {
            const wc_lt_link *o = &spec.links.v[i];

            if (same_link_key(o, l.source_id, l.wit_namespace, l.wit_package, l.name)) {
                if (strcmp(o->target, l.target) != 0 &&
                    interfaces_overlap(&o->interfaces, &l.interfaces)) {
                    snprintf(problem, sizeof(problem),
                             "link already exists with different target, consider deleting "
                             "the existing link or using a different link name (%s -> %s on "
                             "%s:%s, name %s)",
                             o->source_id, o->target, o->wit_namespace, o->wit_package, o->name);
                }
                if (strcmp(o->target, l.target) == 0) {
                    continue; /* replaced in place */
                }
            }
            wc_vec_push(&links, *o);
        }
        if (*problem != '\0') {
            break;
        }
        wc_vec_push(&links, l);
        rc = state_write_links(h, l.source_id, spec.url, links.v, links.n, rev, &r->err);
        if (rc == 0) {
            break;
        }
        if (attempt == 20) {
            snprintf(problem, sizeof(problem), "%s", r->err.msg);
        }
    }
    wc_vec_free(&links);
    if (*problem != '\0') {
        host_event(h, "linkdef_set_failed", link_event_data(&l, problem));
        reply_error(r, "%s", problem);
        return;
    }
    host_event(h, "linkdef_set", link_event_data(&l, NULL));
    reply(r, 1, "", NULL);
}

static void
link_del(request *r)
{
    wc_host *h = r->h;
    wc_lt_delete_interface_link_definition_request d;
    wc_lt_link_deleted ev = {0};
    WC_VEC(wc_lt_link) keep = {0};
    int found = 0;

    if (DECODE(r, wc_lt_delete_interface_link_definition_request_decode, &d, 0) != 0 ||
        !nonempty(r, "source_id", d.source_id) || !nonempty(r, "wit_namespace", d.wit_namespace) ||
        !nonempty(r, "wit_package", d.wit_package)) {
        return;
    }
    ev.source_id = d.source_id;
    ev.name = d.name;
    ev.wit_namespace = d.wit_namespace;
    ev.wit_package = d.wit_package;
    for (int attempt = 0;; attempt++) {
        wc_lt_component_specification spec;
        uint64_t rev;

        keep.n = 0;
        found = 0;
        wc_error_clear(&r->err);
        if (state_read_spec(h, d.source_id, &spec, &rev, &r->arena, &r->err) != 0) {
            wc_vec_free(&keep);
            reply_error(r, "%s", r->err.msg);
            return;
        }
        for (size_t i = 0; i < spec.links.n; i++) {
            const wc_lt_link *o = &spec.links.v[i];

            if (same_link_key(o, d.source_id, d.wit_namespace, d.wit_package, d.name)) {
                found = 1;
                ev.target = o->target;
                ev.interfaces = o->interfaces;
            } else {
                wc_vec_push(&keep, *o);
            }
        }
        if (!found ||
            state_write_links(h, d.source_id, spec.url, keep.v, keep.n, rev, &r->err) == 0) {
            break;
        }
        if (attempt == 20) {
            wc_vec_free(&keep);
            reply_error(r, "%s", r->err.msg);
            return;
        }
    }
    wc_vec_free(&keep);
    host_event(h, "linkdef_deleted", wc_lt_link_deleted_encode(&ev));
    reply(r, 1, "", NULL);
}

static void
link_get(request *r)
{
    wc_host *h = r->h;
    json_t *all = json_array();
    size_t pos = 0;
    const char *key;
    void *v;

    pthread_rwlock_rdlock(&h->lock);
    while (wc_map_next(&h->specs, &pos, &key, &v)) {
        const spec_entry *s = v;

        for (size_t i = 0; i < s->spec.links.n; i++) {
            json_array_append_new(all, wc_lt_link_encode(&s->spec.links.v[i]));
        }
    }
    pthread_rwlock_unlock(&h->lock);
    reply(r, 1, "", all);
}

static void
claims_get(request *r)
{
    wc_host *h = r->h;
    json_t *all = json_array();
    size_t pos = 0;
    const char *key;
    void *v;

    pthread_rwlock_rdlock(&h->lock);
    while (wc_map_next(&h->claims, &pos, &key, &v)) {
        json_array_append(all, v);
    }
    pthread_rwlock_unlock(&h->lock);
    reply(r, 1, "", all);
}

/* ---- config ---- */

static void
config_op(request *r)
{
    wc_host *h = r->h;
    const char *name = r->op[2];
    natsStatus s;

    if (name == NULL || !valid_token(name)) {
        reply_error(r, "invalid config name \"%s\" (letters, digits, - _ / = . only)",
                    name != NULL ? name : "");
        return;
    }
    if (strcmp(r->op[1], "get") == 0) {
        kvEntry *e = NULL;

        s = kvStore_Get(&e, h->cdata, name);
        if (s == NATS_NOT_FOUND) {
            reply(r, 1, "Configuration not found", NULL);
        } else if (s != NATS_OK) {
            wc_lattice_error(&r->err, s, "reading CONFIGDATA");
            reply_error(r, "%s", r->err.msg);
        } else {
            json_t *j = json_loadb(kvEntry_ValueString(e), (size_t)kvEntry_ValueLen(e), 0, NULL);

            reply(r, 1, "", j != NULL ? j : json_object());
            kvEntry_Destroy(e);
        }
        return;
    }
    if (strcmp(r->op[1], "put") == 0) {
        const char *k;
        json_t *v;
        char *text;

        if (!json_is_object(r->body)) {
            reply_error(r, "invalid request: config.put needs a JSON object of strings");
            return;
        }
        json_object_foreach(r->body, k, v)
        {
            if (!json_is_string(v)) {
                reply_error(r, "invalid request: config value \"%s\" is not a string", k);
                return;
            }
        }
        text = json_dumps(r->body, JSON_COMPACT);
        s = kvStore_PutString(NULL, h->cdata, name, text);
        free(text);
        if (s != NATS_OK) {
            wc_lattice_error(&r->err, s, "writing CONFIGDATA");
            reply_error(r, "%s", r->err.msg);
            return;
        }
        host_event(h, "config_set", json_pack("{s:s}", "config_name", name));
        reply(r, 1, "", NULL);
        return;
    }
    if (strcmp(r->op[1], "del") == 0) {
        s = kvStore_Purge(h->cdata, name, NULL);
        if (s != NATS_OK) {
            wc_lattice_error(&r->err, s, "deleting from CONFIGDATA");
            reply_error(r, "%s", r->err.msg);
            return;
        }
        host_event(h, "config_deleted", json_pack("{s:s}", "config_name", name));
        reply(r, 1, "", NULL);
        return;
    }
    reply_error(r, "unsupported subject");
}

/* ---- labels and registries ---- */

static void
labels_changed(wc_host *h, wc_arena *a)
{
    wc_lt_labels_changed ev = {0};

    ev.host_id = h->id;
    pthread_rwlock_rdlock(&h->lock);
    ev.labels = host_labels(h, a);
    pthread_rwlock_unlock(&h->lock);
    host_event(h, "labels_changed", wc_lt_labels_changed_encode(&ev));
}

static void
label_put(request *r)
{
    wc_lt_host_label l;

    if (DECODE(r, wc_lt_host_label_decode, &l, 0) != 0 || !nonempty(r, "key", l.key)) {
        return;
    }
    if (strncasecmp(l.key, "hostcore.", 9) == 0) {
        reply_error(r, "label %s: hostcore.* labels belong to the host and cannot be changed",
                    l.key);
        return;
    }
    pthread_rwlock_wrlock(&r->h->lock);
    json_object_set_new(r->h->labels, l.key, json_string(l.value));
    pthread_rwlock_unlock(&r->h->lock);
    labels_changed(r->h, &r->arena);
    reply(r, 1, "", NULL);
}

static void
label_del(request *r)
{
    wc_lt_host_label_identifier l;
    int had;

    if (DECODE(r, wc_lt_host_label_identifier_decode, &l, 0) != 0 || !nonempty(r, "key", l.key)) {
        return;
    }
    if (strncasecmp(l.key, "hostcore.", 9) == 0) {
        reply_error(r, "label %s: hostcore.* labels belong to the host and cannot be changed",
                    l.key);
        return;
    }
    pthread_rwlock_wrlock(&r->h->lock);
    had = json_object_del(r->h->labels, l.key) == 0;
    pthread_rwlock_unlock(&r->h->lock);
    if (!had) {
        reply(r, 1, "label was not present (no such label)", NULL);
        return;
    }
    labels_changed(r->h, &r->arena);
    reply(r, 1, "", NULL);
}

static void
registry_put(request *r)
{
    const char *k;
    json_t *v;

    if (!json_is_object(r->body)) {
        reply_error(r, "invalid request: registry.put needs an object of registry credentials");
        return;
    }
    json_object_foreach(r->body, k, v)
    {
        wc_lt_registry_credential c;

        if (wc_lt_registry_credential_decode(v, &c, &r->arena, &r->err) != 0) {
            reply_error(r, "invalid request: %s: %s", k, r->err.msg);
            return;
        }
    }
    pthread_rwlock_wrlock(&r->h->lock);
    json_object_update(r->h->registries, r->body);
    pthread_rwlock_unlock(&r->h->lock);
    reply(r, 1, "", NULL);
}

/* ---- dispatch ---- */

typedef struct route {
    const char *kind, *verb;
    int addressed; /* the subject ends with this host's id */
    void (*fn)(request *r);
} route;

static const route routes[] = {
    {"host", "ping", 0, host_ping},
    {"host", "get", 1, host_get},
    {"host", "stop", 1, host_stop},
    {"component", "scale", 1, component_scale},
    {"component", "update", 1, component_update},
    {"component", "auction", 0, component_auction},
    {"provider", "start", 1, provider_start},
    {"provider", "stop", 1, provider_stop},
    {"provider", "auction", 0, provider_auction},
    {"link", "put", 0, link_put},
    {"link", "del", 0, link_del},
    {"link", "get", 0, link_get},
    {"claims", "get", 0, claims_get},
    {"config", "put", 0, config_op},
    {"config", "get", 0, config_op},
    {"config", "del", 0, config_op},
    {"label", "put", 1, label_put},
    {"label", "del", 1, label_del},
    {"registry", "put", 0, registry_put},
};

static void
on_ctl(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    wc_host *h = closure;
    request r;
    char subject[512], *tok[4] = {NULL, NULL, NULL, NULL}, *save = NULL;
    size_t plen = strlen(h->ctl_prefix) + 4 + strlen(h->lattice) + 1; /* "P.v1.L." */
    const char *subj = natsMsg_GetSubject(msg);
    int n = 0;

    memset(&r, 0, sizeof(r));
    r.h = h;
    r.msg = msg;
    wc_arena_init(&r.arena, 1024);
    snprintf(subject, sizeof(subject), "%s", strlen(subj) > plen ? subj + plen : "");
    for (char *t = strtok_r(subject, ".", &save); t != NULL && n < 3;
         t = strtok_r(NULL, n < 2 ? "." : "", &save)) {
        tok[n++] = t;
    }
    r.op[0] = tok[0];
    r.op[1] = tok[1];
    r.op[2] = tok[2];
    if (natsMsg_GetDataLength(msg) > 0) {
        json_error_t jerr;

        r.body = json_loadb(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), 0, &jerr);
        if (r.body == NULL) {
            reply_error(&r, "invalid request: not JSON: %s (line %d, column %d)", jerr.text,
                        jerr.line, jerr.column);
            goto out;
        }
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route *rt = &routes[i];

        if (tok[0] == NULL || tok[1] == NULL || strcmp(tok[0], rt->kind) != 0 ||
            strcmp(tok[1], rt->verb) != 0) {
            continue;
        }
        if (rt->addressed && (tok[2] == NULL || strcmp(tok[2], h->id) != 0)) {
            break; /* for another host (our subscriptions make this rare) */
        }
        rt->fn(&r);
        goto out;
    }
    reply_error(&r, "unsupported subject");
out:
    json_decref(r.body);
    wc_arena_release(&r.arena);
    natsMsg_Destroy(msg);
}

int
ctl_subscribe(wc_host *h, wc_error *err)
{
    static const struct {
        const char *pattern; /* %1$s prefix, %2$s host id */
        int queue;
    } subs[] = {
        {"%s.registry.put", 0},      {"%s.host.ping", 0},        {"%s.link.*", 1},
        {"%s.claims.get", 1},        {"%s.component.*.%s", 0},   {"%s.provider.*.%s", 0},
        {"%s.label.*.%s", 0},        {"%s.host.*.%s", 0},        {"%s.config.>", 1},
        {"%s.component.auction", 0}, {"%s.provider.auction", 0},
    };
    static const char *queues[] = {[2] = "link", [3] = "claims", [8] = "config"};
    char prefix[300], subject[512], queue[400];

    snprintf(prefix, sizeof(prefix), "%s.v1.%s", h->ctl_prefix, h->lattice);
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        natsSubscription *sub = NULL;
        natsStatus s;

        snprintf(subject, sizeof(subject), subs[i].pattern, prefix, h->id);
        if (subs[i].queue) {
            snprintf(queue, sizeof(queue), "%s.%s", prefix, queues[i]);
            s = natsConnection_QueueSubscribe(&sub, wc_lattice_conn(h->lat), subject, queue, on_ctl,
                                              h);
        } else {
            s = natsConnection_Subscribe(&sub, wc_lattice_conn(h->lat), subject, on_ctl, h);
        }
        if (s != NATS_OK) {
            return wc_lattice_error(err, s, subject);
        }
        /* Control traffic is small but bursty (a deploy scales many components). */
        natsSubscription_SetPendingLimits(sub, 65536, 64 * 1024 * 1024);
        wc_vec_push(&h->subs, sub);
    }
    return 0;
}
