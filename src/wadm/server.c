/*
 * server.c - wadm: the API (wadm.api.{lattice}.model.*), manifests in the
 * JetStream KV bucket wadm_manifests, and the reconcile loop of the leader.
 *
 * A record per application, key "{lattice}-{name}":
 *   {"manifests": {VERSION: MANIFEST, ...}, "versions": [VERSION, ...],
 *    "deployed_version": VERSION | null, "deleted": bool}
 * written with compare-and-set on its revision. A deleted application that
 * was deployed keeps its record (deleted: true) until the reconciler has
 * removed what it ran; then the record goes.
 *
 * Each round the leader observes the lattice (host.ping, host.get per host,
 * link.get, the managed configs in CONFIGDATA), plans (plan.c) and sends the
 * commands as control requests, one at a time, in the plan's order. Lattice
 * events wake it early. A command sent is not sent again for a while
 * (RESEND_NS): hosts act on them asynchronously, and the next rounds see the
 * result.
 */
#include "wadm/wadm.h"

#include "base/duration.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "lattice/lattice.h"
#include "wadm/plan.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESEND_NS      (10ull * 1000000000ull)
#define FAILURE_TTL_NS (30ull * 1000000000ull)
#define CTL_TIMEOUT_MS 5000
#define PING_MS        300

struct wadm {
    wadm_server_config cfg;
    char *lattice, *prefix;
    char id[40];
    wc_lattice *lat;
    kvStore *manifests, *leader, *configdata;
    natsSubscription *api_sub, *evt_sub;
    pthread_t thread;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cond;
    int stop, wake;
    int is_leader;
    uint64_t leader_rev;
    json_t *statuses; /* app -> Status, as last published */
    json_t *failures; /* app -> {"message", "at"}: scale failures seen in events */
    json_t *sent;     /* command text -> when sent (ns); reconciler thread only */
};

void
wadm_server_config_init(wadm_server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nats_url = "nats://127.0.0.1:4222";
    cfg->lattice = "default";
    cfg->api_prefix = "wadm.api";
    cfg->tick_ns = 1000000000ull;
    cfg->leader_ttl_ns = 5000000000ull;
}

const char *
wadm_id(const wadm *w)
{
    return w->id;
}

/* A ULID: 48 bits of milliseconds and 80 random bits in Crockford base32. */
static void
ulid(char out[27])
{
    static const char enc[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    struct timespec ts;
    uint8_t b[16];
    uint64_t ms;
    unsigned __int128 v = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    for (int i = 0; i < 6; i++) {
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    }
    randombytes_buf(b + 6, 10);
    for (int i = 0; i < 16; i++) {
        v = v << 8 | b[i];
    }
    for (int i = 25; i >= 0; i--) {
        out[i] = enc[(unsigned)(v & 31)];
        v >>= 5;
    }
    out[26] = '\0';
}

static void
wake(wadm *w)
{
    pthread_mutex_lock(&w->mu);
    w->wake = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

/* ---- records ---- */

static void
record_key(wadm *w, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s-%s", w->lattice, name);
}

/* The record of name (a new reference) and its revision; *rec NULL if none. */
static int
rec_load(wadm *w, const char *name, json_t **rec, uint64_t *rev, wc_error *err)
{
    char key[512];
    kvEntry *e = NULL;
    natsStatus s;

    record_key(w, name, key, sizeof(key));
    *rec = NULL;
    *rev = 0;
    s = kvStore_Get(&e, w->manifests, key);
    if (s == NATS_NOT_FOUND) {
        return 0;
    }
    if (s != NATS_OK) {
        return wc_lattice_error(err, s, "reading wadm_manifests");
    }
    *rev = kvEntry_Revision(e);
    *rec = json_loadb(kvEntry_ValueString(e), (size_t)kvEntry_ValueLen(e), 0, NULL);
    kvEntry_Destroy(e);
    if (!json_is_object(*rec)) {
        json_decref(*rec);
        *rec = NULL;
        return wc_error_set(err, WC_EINVAL, "wadm_manifests %s is not a JSON object", key);
    }
    return 0;
}

/* Store rec if the entry is still at rev (0: absent). 1: written meanwhile. */
static int
rec_store(wadm *w, const char *name, const json_t *rec, uint64_t rev, wc_error *err)
{
    char key[512], *text = json_dumps(rec, JSON_COMPACT);
    natsStatus s;

    record_key(w, name, key, sizeof(key));
    s = rev != 0 ? kvStore_Update(NULL, w->manifests, key, text, (int)strlen(text), rev)
                 : kvStore_Create(NULL, w->manifests, key, text, (int)strlen(text));
    free(text);
    if (s == NATS_OK) {
        return 0;
    }
    wc_lattice_error(err, s, "writing wadm_manifests");
    return 1;
}

static json_t *
rec_new(void)
{
    return json_pack("{s:{}, s:[], s:n, s:b}", "manifests", "versions", "deployed_version",
                     "deleted", 0);
}

static const char *
rec_deployed(const json_t *rec)
{
    return json_string_value(json_object_get(rec, "deployed_version"));
}

static const char *
rec_latest(const json_t *rec)
{
    json_t *v = json_object_get(rec, "versions");

    return json_array_size(v) > 0 ? json_string_value(json_array_get(v, json_array_size(v) - 1))
                                  : NULL;
}

static int
rec_deleted(const json_t *rec)
{
    return json_is_true(json_object_get(rec, "deleted"));
}

typedef WC_VEC(char *) name_list;

/* Names of every application record of this lattice. */
static void
rec_names(wadm *w, name_list *out)
{
    kvKeysList keys = {0};
    size_t plen = strlen(w->lattice);

    if (kvStore_Keys(&keys, w->manifests, NULL) != NATS_OK) {
        return;
    }
    for (int i = 0; i < keys.Count; i++) {
        if (strncmp(keys.Keys[i], w->lattice, plen) == 0 && keys.Keys[i][plen] == '-') {
            wc_vec_push(out, wc_xstrdup(keys.Keys[i] + plen + 1));
        }
    }
    kvKeysList_Destroy(&keys);
}

/* ---- statuses ---- */

static json_t *
status_json(const char *type, const char *message)
{
    return json_pack("{s:{s:s, s:s}, s:[], s:s, s:[]}", "status", "type", type, "message",
                     message != NULL ? message : "", "scalers", "version", "", "components");
}

/* The status of an app now: computed by the leader's last round, or derived. */
static json_t *
app_status(wadm *w, const char *name, const json_t *rec)
{
    json_t *s;

    if (rec_deployed(rec) == NULL) {
        return status_json("undeployed", "");
    }
    pthread_mutex_lock(&w->mu);
    s = json_object_get(w->statuses, name);
    s = s != NULL ? json_deep_copy(s) : NULL;
    pthread_mutex_unlock(&w->mu);
    return s != NULL ? s : status_json("reconciling", "");
}

/* ---- the API ---- */

typedef struct api_req {
    wadm *w;
    natsMsg *msg;
    const char *op, *name;
    wc_error err;
} api_req;

static void
respond(api_req *r, json_t *j)
{
    wc_lattice_reply_json(r->w->lat, r->msg, j);
}

static void
respond_error(api_req *r, const char *message)
{
    size_t n = wc_utf8_valid_len(message, strlen(message));

    respond(r, json_pack("{s:s, s:s%}", "result", "error", "message", message, n));
}

static json_t *
body_json(api_req *r)
{
    int len = natsMsg_GetDataLength(r->msg);

    return len > 0 ? json_loadb(natsMsg_GetData(r->msg), (size_t)len, 0, NULL) : NULL;
}

static void
model_put(api_req *r)
{
    wadm *w = r->w;
    wadm_manifest *m = NULL;
    char version[64], msg[600];
    json_t *rec = NULL;
    int created = 0;

    if (wadm_manifest_parse(natsMsg_GetData(r->msg), (size_t)natsMsg_GetDataLength(r->msg), NULL,
                            &m, &r->err) != 0) {
        respond_error(r, r->err.msg);
        return;
    }
    if (m->version != NULL) {
        snprintf(version, sizeof(version), "%s", m->version);
    } else {
        json_t *md = json_object_get(m->json, "metadata"), *ann;

        ulid(version);
        ann = json_object_get(md, "annotations");
        if (!json_is_object(ann)) {
            ann = json_object();
            json_object_set_new(md, "annotations", ann);
        }
        json_object_set_new(ann, "version", json_string(version));
    }
    for (int attempt = 0; attempt < 20; attempt++) {
        uint64_t rev;
        int rc;

        json_decref(rec);
        wc_error_clear(&r->err);
        if (rec_load(w, m->name, &rec, &rev, &r->err) != 0) {
            respond_error(r, r->err.msg);
            goto out;
        }
        if (rec == NULL || rec_deleted(rec)) {
            json_decref(rec);
            rec = rec_new();
        }
        if (json_object_get(json_object_get(rec, "manifests"), version) != NULL) {
            snprintf(msg, sizeof(msg), "Manifest version %s already exists", version);
            respond_error(r, msg);
            goto out;
        }
        created = json_array_size(json_object_get(rec, "versions")) == 0;
        json_object_set(json_object_get(rec, "manifests"), version, m->json);
        json_array_append_new(json_object_get(rec, "versions"), json_string(version));
        rc = rec_store(w, m->name, rec, rev, &r->err);
        if (rc == 0) {
            break;
        }
        if (attempt == 19) {
            respond_error(r, r->err.msg);
            goto out;
        }
    }
    snprintf(msg, sizeof(msg), "Successfully put manifest %s %s", m->name, version);
    respond(r, json_pack("{s:s, s:I, s:s, s:s, s:s}", "result", created ? "created" : "newversion",
                         "total_versions",
                         (json_int_t)json_array_size(json_object_get(rec, "versions")),
                         "current_version", version, "message", msg, "name", m->name));
out:
    json_decref(rec);
    wadm_manifest_free(m);
}

static json_t *
summary(wadm *w, const char *name, const json_t *rec)
{
    const char *latest = rec_latest(rec);
    json_t *man = json_object_get(json_object_get(rec, "manifests"), latest ? latest : "");
    json_t *desc = json_object_get(json_object_get(json_object_get(man, "metadata"), "annotations"),
                                   "description");
    json_t *st = app_status(w, name, rec);
    json_t *s = json_pack("{s:s, s:s?, s:O?, s:O, s:O, s:O}", "name", name, "version", latest,
                          "description", json_is_string(desc) ? desc : NULL, "deployed_version",
                          json_object_get(rec, "deployed_version"), "detailed_status", st, "status",
                          json_object_get(json_object_get(st, "status"), "type"));

    json_object_set(s, "status_message", json_object_get(json_object_get(st, "status"), "message"));
    json_decref(st);
    return s;
}

static void
model_list(api_req *r, int bare)
{
    name_list names = {0};
    json_t *models = json_array();

    rec_names(r->w, &names);
    for (size_t i = 0; i < names.n; i++) {
        json_t *rec;
        uint64_t rev;

        if (rec_load(r->w, names.v[i], &rec, &rev, NULL) == 0 && rec != NULL && !rec_deleted(rec)) {
            json_array_append_new(models, summary(r->w, names.v[i], rec));
        }
        json_decref(rec);
        free(names.v[i]);
    }
    wc_vec_free(&names);
    if (bare) {
        respond(r, models);
    } else {
        respond(r,
                json_pack("{s:s, s:s, s:o}", "result", "success", "message", "", "models", models));
    }
}

/* Load name's record for a request, answering notfound itself. */
static json_t *
need_record(api_req *r, uint64_t *rev)
{
    json_t *rec;
    char msg[400];

    if (r->name == NULL || *r->name == '\0') {
        respond_error(r, "the subject must end with the model name");
        return NULL;
    }
    if (rec_load(r->w, r->name, &rec, rev, &r->err) != 0) {
        respond_error(r, r->err.msg);
        return NULL;
    }
    if (rec == NULL || rec_deleted(rec)) {
        json_decref(rec);
        snprintf(msg, sizeof(msg), "Model %s not found", r->name);
        respond(
            r, json_pack("{s:s, s:s, s:s}", "result", "notfound", "message", msg, "name", r->name));
        return NULL;
    }
    return rec;
}

/* The version a request names: "version" in the body, else the latest. */
static const char *
pick_version(const json_t *rec, const json_t *body)
{
    const char *v = json_string_value(json_object_get(body, "version"));

    return v == NULL || *v == '\0' || strcmp(v, "latest") == 0 ? rec_latest(rec) : v;
}

static void
model_get(api_req *r)
{
    uint64_t rev;
    json_t *rec = need_record(r, &rev), *body, *man;
    const char *v;

    if (rec == NULL) {
        return;
    }
    body = body_json(r);
    v = pick_version(rec, body);
    man = json_object_get(json_object_get(rec, "manifests"), v != NULL ? v : "");
    if (man == NULL) {
        respond(r, json_pack("{s:s, s:s}", "result", "notfound", "message",
                             "no such version of the model"));
    } else {
        respond(r,
                json_pack("{s:s, s:s, s:O}", "result", "success", "message", "", "manifest", man));
    }
    json_decref(body);
    json_decref(rec);
}

static void
model_versions(api_req *r)
{
    uint64_t rev;
    json_t *rec = need_record(r, &rev), *out, *v;
    size_t i;

    if (rec == NULL) {
        return;
    }
    out = json_array();
    json_array_foreach(json_object_get(rec, "versions"), i, v)
    {
        const char *d = rec_deployed(rec);

        json_array_append_new(out, json_pack("{s:O, s:b}", "version", v, "deployed",
                                             d != NULL && strcmp(d, json_string_value(v)) == 0));
    }
    respond(r, json_pack("{s:s, s:s, s:o}", "result", "success", "message", "", "versions", out));
    json_decref(rec);
}

/* Change a record with fn, compare-and-set, retrying; answers errors itself. */
static int
edit_record(api_req *r, int (*fn)(api_req *r, json_t *rec, json_t *body, void *out), json_t *body,
            void *out)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        uint64_t rev;
        json_t *rec = need_record(r, &rev);
        int rc;

        if (rec == NULL) {
            return -1;
        }
        rc = fn(r, rec, body, out);
        if (rc != 0) {
            json_decref(rec);
            return -1;
        }
        wc_error_clear(&r->err);
        rc = rec_store(r->w, r->name, rec, rev, &r->err);
        json_decref(rec);
        if (rc == 0) {
            return 0;
        }
    }
    respond_error(r, r->err.msg);
    return -1;
}

static int
do_deploy(api_req *r, json_t *rec, json_t *body, void *out)
{
    const char *v = pick_version(rec, body);
    json_t *man = json_object_get(json_object_get(rec, "manifests"), v != NULL ? v : "");
    wadm_manifest *m = NULL;
    char msg[600];

    if (man == NULL) {
        snprintf(msg, sizeof(msg), "Model %s has no version %s", r->name, v != NULL ? v : "");
        respond(
            r, json_pack("{s:s, s:s, s:s}", "result", "notfound", "message", msg, "name", r->name));
        return -1;
    }
    if (wadm_manifest_from_json(man, &m, &r->err) != 0) {
        respond_error(r, r->err.msg);
        return -1;
    }
    /* Shared components it uses must be deployed by their own application. */
    for (size_t i = 0; i < m->ncomponents; i++) {
        const char *app = m->components[i].shared_app;
        json_t *other = NULL;
        uint64_t rev;

        if (app == NULL) {
            continue;
        }
        rec_load(r->w, app, &other, &rev, NULL);
        if (other == NULL || rec_deployed(other) == NULL) {
            snprintf(msg, sizeof(msg),
                     "cannot deploy %s: component %s uses shared application %s, which is not "
                     "deployed",
                     r->name, m->components[i].name, app);
            json_decref(other);
            wadm_manifest_free(m);
            respond_error(r, msg);
            return -1;
        }
        json_decref(other);
    }
    wadm_manifest_free(m);
    json_object_set_new(rec, "deployed_version", json_string(v));
    snprintf(out, 128, "%s", v);
    return 0;
}

static int
do_undeploy(api_req *r, json_t *rec, json_t *body, void *out)
{
    json_object_set_new(rec, "deployed_version", json_null());
    return 0;
}

static void
model_deploy(api_req *r, int deploy)
{
    json_t *body = body_json(r);
    char version[128] = "";
    char subject[512];

    if (edit_record(r, deploy ? do_deploy : do_undeploy, body, version) == 0) {
        snprintf(subject, sizeof(subject), "wadm.evt.%s.%s", r->w->lattice,
                 deploy ? "manifest_published" : "manifest_unpublished");
        wc_lattice_publish_json(
            r->w->lat, subject,
            json_pack("{s:s, s:s, s:s, s:{s:s}}", "specversion", "1.0", "source", "wadm", "type",
                      deploy ? "com.wadm.manifest_published" : "com.wadm.manifest_unpublished",
                      "data", "name", r->name));
        respond(r, json_pack("{s:s, s:s, s:s, s:s?}", "result", "acknowledged", "message", "",
                             "name", r->name, "version", deploy ? version : NULL));
        wake(r->w);
    }
    json_decref(body);
}

typedef struct del_result {
    int undeploy;
    int deleted;
} del_result;

static int
do_delete(api_req *r, json_t *rec, json_t *body, void *outp)
{
    del_result *out = outp;
    const char *v = json_string_value(json_object_get(body, "version"));
    const char *d = rec_deployed(rec);
    json_t *versions = json_object_get(rec, "versions");

    out->undeploy = 0;
    out->deleted = 0;
    if (v != NULL && *v != '\0') {
        size_t i;
        json_t *x;

        if (json_object_del(json_object_get(rec, "manifests"), v) != 0) {
            return 0; /* noop */
        }
        json_array_foreach(versions, i, x)
        {
            if (strcmp(json_string_value(x), v) == 0) {
                json_array_remove(versions, i);
                break;
            }
        }
        out->deleted = 1;
        if (d != NULL && strcmp(d, v) == 0) {
            json_object_set_new(rec, "deployed_version", json_null());
            out->undeploy = 1;
        }
        if (json_array_size(versions) > 0) {
            return 0;
        }
    }
    /* Every version: gone once what it runs is cleaned up. */
    out->deleted = 1;
    out->undeploy |= d != NULL;
    json_object_set_new(rec, "deployed_version", json_null());
    json_object_set_new(rec, "deleted", json_true());
    return 0;
}

static void
model_delete(api_req *r)
{
    json_t *body = body_json(r);
    del_result res = {0, 0};

    if (edit_record(r, do_delete, body, &res) == 0) {
        respond(r, json_pack("{s:s, s:s, s:b}", "result", res.deleted ? "deleted" : "noop",
                             "message", res.deleted ? "Model deleted" : "No such version",
                             "undeploy", res.undeploy));
        wake(r->w);
    }
    json_decref(body);
}

static void
model_status(api_req *r)
{
    uint64_t rev;
    json_t *rec = need_record(r, &rev);

    if (rec == NULL) {
        return;
    }
    respond(r, json_pack("{s:s, s:s, s:o}", "result", "ok", "message", "", "status",
                         app_status(r->w, r->name, rec)));
    json_decref(rec);
}

static void
on_api(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    wadm *w = closure;
    api_req r = {w, msg, NULL, NULL, WC_ERROR_INIT};
    const char *subj = natsMsg_GetSubject(msg);
    size_t plen = strlen(w->prefix) + 1 + strlen(w->lattice) + 1;
    char rest[512], *dot;

    snprintf(rest, sizeof(rest), "%s", strlen(subj) > plen ? subj + plen : "");
    /* "model.VERB[.NAME]" */
    if (strncmp(rest, "model.", 6) != 0) {
        respond_error(&r, "unsupported subject");
        goto out;
    }
    r.op = rest + 6;
    if ((dot = strchr(rest + 6, '.')) != NULL) {
        *dot = '\0';
        r.name = dot + 1;
    }
    if (strcmp(r.op, "put") == 0) {
        model_put(&r);
    } else if (strcmp(r.op, "get") == 0 && r.name == NULL) {
        model_list(&r, 0);
    } else if (strcmp(r.op, "list") == 0) {
        model_list(&r, 1);
    } else if (strcmp(r.op, "get") == 0) {
        model_get(&r);
    } else if (strcmp(r.op, "versions") == 0) {
        model_versions(&r);
    } else if (strcmp(r.op, "del") == 0) {
        model_delete(&r);
    } else if (strcmp(r.op, "deploy") == 0) {
        model_deploy(&r, 1);
    } else if (strcmp(r.op, "undeploy") == 0) {
        model_deploy(&r, 0);
    } else if (strcmp(r.op, "status") == 0) {
        model_status(&r);
    } else {
        respond_error(&r, "unsupported subject");
    }
out:
    natsMsg_Destroy(msg);
}

/* Events: wake the reconciler; remember scale failures of our apps. */
static void
on_event(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    wadm *w = closure;
    json_t *ev = json_loadb(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type"));

    if (type != NULL && strstr(type, "component_scale_failed") != NULL) {
        json_t *data = json_object_get(ev, "data");
        const char *app =
            json_string_value(json_object_get(json_object_get(data, "annotations"), WADM_ANN_APP));
        const char *error = json_string_value(json_object_get(data, "error"));

        if (app != NULL) {
            pthread_mutex_lock(&w->mu);
            json_object_set_new(w->failures, app,
                                json_pack("{s:s, s:I}", "message", error ? error : "", "at",
                                          (json_int_t)wc_now_ns()));
            pthread_mutex_unlock(&w->mu);
        }
    }
    if (type == NULL || strstr(type, "host_heartbeat") == NULL) {
        wake(w); /* a heartbeat changes nothing a round would not see anyway */
    }
    json_decref(ev);
    natsMsg_Destroy(msg);
}

/* ---- observing the lattice ---- */

typedef struct observed {
    wc_arena arena;
    WC_VEC(wadm_host) hosts;
    WC_VEC(wc_lt_link) links;
    json_t *configs;
    WC_VEC(char *) host_ids;
} observed;

static void
gather_host(void *data, json_t *reply)
{
    observed *o = data;
    const char *id = json_string_value(json_object_get(json_object_get(reply, "response"), "id"));

    if (id != NULL) {
        wc_vec_push(&o->host_ids, wc_arena_strdup(&o->arena, id));
    }
}

static const char *
annotation(const wc_lt_strmap *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->keys[i], key) == 0) {
            return m->vals[i];
        }
    }
    return NULL;
}

static void
observe(wadm *w, const wadm_app *apps, size_t napps, observed *o)
{
    char subject[512];
    json_t *j;

    wc_arena_init(&o->arena, 8192);
    snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.host.ping", w->lattice);
    wc_lattice_gather(w->lat, subject, NULL, PING_MS, gather_host, o, NULL);
    for (size_t i = 0; i < o->host_ids.n; i++) {
        wc_lt_host_inventory *inv = wc_arena_calloc(&o->arena, 1, sizeof(*inv));
        wadm_host h = {0};
        wadm_running *rs;

        snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.host.get.%s", w->lattice,
                 o->host_ids.v[i]);
        if (wc_lattice_request_json(w->lat, subject, NULL, CTL_TIMEOUT_MS, &j, NULL) != 0) {
            continue; /* gone since it answered the ping */
        }
        if (wc_lt_host_inventory_decode(json_object_get(j, "response"), inv, &o->arena, NULL) !=
            0) {
            json_decref(j);
            continue;
        }
        json_decref(j);
        h.id = o->host_ids.v[i];
        h.labels = &inv->labels;
        rs = wc_arena_calloc(&o->arena, inv->components.n + 1, sizeof(*rs));
        for (size_t k = 0; k < inv->components.n; k++) {
            const wc_lt_component_description *c = &inv->components.v[k];

            rs[k].id = c->id;
            rs[k].image = c->image_ref;
            rs[k].count = c->max_instances;
            rs[k].app = annotation(&c->annotations, WADM_ANN_APP);
            rs[k].spread = annotation(&c->annotations, WADM_ANN_SPREAD);
        }
        h.components = rs;
        h.ncomponents = inv->components.n;
        rs = wc_arena_calloc(&o->arena, inv->providers.n + 1, sizeof(*rs));
        for (size_t k = 0; k < inv->providers.n; k++) {
            const wc_lt_provider_description *p = &inv->providers.v[k];

            rs[k].id = p->id;
            rs[k].image = p->image_ref != NULL ? p->image_ref : "";
            rs[k].count = 1;
            rs[k].app = annotation(&p->annotations, WADM_ANN_APP);
            rs[k].spread = annotation(&p->annotations, WADM_ANN_SPREAD);
        }
        h.providers = rs;
        h.nproviders = inv->providers.n;
        wc_vec_push(&o->hosts, h);
    }
    snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.link.get", w->lattice);
    if (o->hosts.n > 0 &&
        wc_lattice_request_json(w->lat, subject, NULL, CTL_TIMEOUT_MS, &j, NULL) == 0) {
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(j, "response"), i, v)
        {
            wc_lt_link l;

            if (wc_lt_link_decode(v, &l, &o->arena, NULL) == 0) {
                wc_vec_push(&o->links, l);
            }
        }
        json_decref(j);
    }
    /* The configs the apps manage, as stored. */
    o->configs = json_object();
    for (size_t a = 0; a < napps; a++) {
        for (size_t v = 0; v < apps[a].nversions; v++) {
            const wadm_manifest *m = apps[a].versions[v];

            for (size_t c = 0; c < m->ncomponents; c++) {
                const wadm_component *comp = &m->components[c];

                for (int side = 0; side < 3; side++) {
                    for (size_t l = 0; l < (side == 0 ? 1 : comp->nlinks); l++) {
                        const wadm_configs *cs = side == 0   ? &comp->config
                                                 : side == 1 ? &comp->links[l].source_config
                                                             : &comp->links[l].target_config;

                        for (size_t k = 0; k < cs->n; k++) {
                            kvEntry *e = NULL;

                            if (!cs->v[k].managed ||
                                json_object_get(o->configs, cs->v[k].store_name) != NULL ||
                                kvStore_Get(&e, w->configdata, cs->v[k].store_name) != NATS_OK) {
                                continue;
                            }
                            j = json_loadb(kvEntry_ValueString(e), (size_t)kvEntry_ValueLen(e), 0,
                                           NULL);
                            if (j != NULL) {
                                json_object_set_new(o->configs, cs->v[k].store_name, j);
                            }
                            kvEntry_Destroy(e);
                        }
                    }
                }
            }
        }
    }
}

static void
observed_release(observed *o)
{
    wc_vec_free(&o->hosts);
    wc_vec_free(&o->links);
    wc_vec_free(&o->host_ids);
    json_decref(o->configs);
    wc_arena_release(&o->arena);
}

/* ---- sending commands ---- */

static json_t *
annotations(const wadm_cmd *c)
{
    json_t *a = json_pack("{s:s, s:s}", WADM_ANN_MANAGED, "wadm", WADM_ANN_APP, c->app);

    if (c->scaler != NULL) {
        json_object_set_new(a, WADM_ANN_SCALER, json_string(c->scaler));
    }
    if (c->spread != NULL) {
        json_object_set_new(a, WADM_ANN_SPREAD, json_string(c->spread));
    }
    return a;
}

static json_t *
strlist_json(const wc_lt_strlist *l)
{
    json_t *a = json_array();

    for (size_t i = 0; i < l->n; i++) {
        json_array_append_new(a, json_string(l->v[i]));
    }
    return a;
}

/* Send one command; 0, or an error in err. */
static int
send_cmd(wadm *w, const wadm_cmd *c, wc_error *err)
{
    char subject[600];
    json_t *body = NULL, *reply = NULL;
    const char *P = "wasmbus.ctl.v1";
    int rc;

    switch (c->kind) {
    case WADM_PUT_CONFIG:
        snprintf(subject, sizeof(subject), "%s.%s.config.put.%s", P, w->lattice, c->config_name);
        body = json_object();
        for (size_t i = 0; i < c->config_values->n; i++) {
            json_object_set_new(body, c->config_values->v[i].key,
                                json_string(c->config_values->v[i].value));
        }
        break;
    case WADM_DELETE_CONFIG:
        snprintf(subject, sizeof(subject), "%s.%s.config.del.%s", P, w->lattice, c->config_name);
        break;
    case WADM_START_PROVIDER:
        snprintf(subject, sizeof(subject), "%s.%s.provider.start.%s", P, w->lattice, c->host_id);
        body = json_pack("{s:s, s:s, s:s, s:o, s:o}", "provider_id", c->id, "provider_ref",
                         c->image, "host_id", c->host_id, "config", strlist_json(&c->config),
                         "annotations", annotations(c));
        break;
    case WADM_STOP_PROVIDER:
        snprintf(subject, sizeof(subject), "%s.%s.provider.stop.%s", P, w->lattice, c->host_id);
        body = json_pack("{s:s, s:s}", "provider_id", c->id, "host_id", c->host_id);
        break;
    case WADM_SCALE_COMPONENT:
        snprintf(subject, sizeof(subject), "%s.%s.component.scale.%s", P, w->lattice, c->host_id);
        body = json_pack("{s:s, s:s, s:i, s:o, s:s, s:o, s:b}", "component_ref",
                         c->image ? c->image : "", "component_id", c->id, "count", (int)c->count,
                         "annotations", annotations(c), "host_id", c->host_id, "config",
                         strlist_json(&c->config), "allow_update", 0);
        break;
    case WADM_UPDATE_COMPONENT:
        snprintf(subject, sizeof(subject), "%s.%s.component.update.%s", P, w->lattice, c->host_id);
        body = json_pack("{s:s, s:s, s:s, s:o}", "component_id", c->id, "new_component_ref",
                         c->image, "host_id", c->host_id, "annotations", annotations(c));
        break;
    case WADM_PUT_LINK:
        snprintf(subject, sizeof(subject), "%s.%s.link.put", P, w->lattice);
        body = wc_lt_link_encode(&c->link);
        break;
    case WADM_DELETE_LINK:
        snprintf(subject, sizeof(subject), "%s.%s.link.del", P, w->lattice);
        body = json_pack("{s:s, s:s, s:s, s:s}", "source_id", c->link.source_id, "wit_namespace",
                         c->link.wit_namespace, "wit_package", c->link.wit_package, "name",
                         c->link.name);
        break;
    }
    rc = wc_lattice_request_json(w->lat, subject, body, CTL_TIMEOUT_MS, &reply, err);
    json_decref(body);
    if (rc == 0 && !json_is_true(json_object_get(reply, "success"))) {
        rc = wc_error_set(err, WC_EINVAL, "%s",
                          json_string_value(json_object_get(reply, "message"))
                              ? json_string_value(json_object_get(reply, "message"))
                              : "refused");
    }
    json_decref(reply);
    return rc;
}

/* ---- the reconcile round ---- */

static void
publish_status(wadm *w, const char *app, json_t *status)
{
    char subject[512];
    json_t *old;

    pthread_mutex_lock(&w->mu);
    old = json_object_get(w->statuses, app);
    if (old != NULL && json_equal(old, status)) {
        pthread_mutex_unlock(&w->mu);
        json_decref(status);
        return;
    }
    json_object_set(w->statuses, app, status);
    pthread_mutex_unlock(&w->mu);
    snprintf(subject, sizeof(subject), "wadm.status.%s.%s", w->lattice, app);
    wc_lattice_publish_json(w->lat, subject, status);
}

typedef struct loaded_app {
    char *name;
    json_t *rec;
    WC_VEC(wadm_manifest *) versions;
    wadm_manifest *deployed;
} loaded_app;

static void
reconcile(wadm *w)
{
    name_list names = {0};
    WC_VEC(loaded_app) loaded = {0};
    WC_VEC(wadm_app) apps = {0};
    observed o = {0};
    wadm_state st = {0};
    wadm_plan plan;
    uint64_t now = wc_now_ns();

    rec_names(w, &names);
    for (size_t i = 0; i < names.n; i++) {
        loaded_app la = {0};
        uint64_t rev;
        const char *d;
        size_t k;
        json_t *v;

        la.name = names.v[i];
        if (rec_load(w, la.name, &la.rec, &rev, NULL) != 0 || la.rec == NULL) {
            free(la.name);
            continue;
        }
        d = rec_deployed(la.rec);
        json_array_foreach(json_object_get(la.rec, "versions"), k, v)
        {
            wadm_manifest *m;
            json_t *man =
                json_object_get(json_object_get(la.rec, "manifests"), json_string_value(v));

            if (man != NULL && wadm_manifest_from_json(man, &m, NULL) == 0) {
                wc_vec_push(&la.versions, m);
                if (d != NULL && strcmp(d, json_string_value(v)) == 0) {
                    la.deployed = m;
                }
            }
        }
        wc_vec_push(&loaded, la);
    }
    wc_vec_free(&names);
    for (size_t i = 0; i < loaded.n; i++) {
        wadm_app a = {loaded.v[i].name, loaded.v[i].deployed,
                      (const wadm_manifest *const *)loaded.v[i].versions.v, loaded.v[i].versions.n};

        wc_vec_push(&apps, a);
    }
    observe(w, apps.v, apps.n, &o);
    st.hosts = o.hosts.v;
    st.nhosts = o.hosts.n;
    st.links = o.links.v;
    st.nlinks = o.links.n;
    st.configs = o.configs;
    wadm_plan_compute(apps.v, apps.n, &st, &plan);

    for (size_t i = 0; i < plan.cmds.n; i++) {
        const wadm_cmd *c = &plan.cmds.v[i];
        char what[600];
        json_t *when;
        wc_error err = WC_ERROR_INIT;

        wadm_cmd_describe(c, what, sizeof(what));
        when = json_object_get(w->sent, what);
        if (when != NULL && now - (uint64_t)json_integer_value(when) < RESEND_NS) {
            continue; /* sent a moment ago; the hosts are on it */
        }
        if (send_cmd(w, c, &err) != 0) {
            WC_WARN("wadm", "%s: %s: %s", c->app, what, err.msg);
            pthread_mutex_lock(&w->mu);
            json_object_set_new(w->failures, c->app,
                                json_pack("{s:s, s:I}", "message", err.msg, "at", (json_int_t)now));
            pthread_mutex_unlock(&w->mu);
        } else {
            WC_INFO("wadm", "%s: %s", c->app, what);
        }
        json_object_set_new(w->sent, what, json_integer((json_int_t)now));
    }
    /* Forget old sends. */
    {
        const char *k;
        json_t *v;
        void *tmp;

        json_object_foreach_safe(w->sent, tmp, k, v)
        {
            if (now - (uint64_t)json_integer_value(v) >= RESEND_NS) {
                json_object_del(w->sent, k);
            }
        }
    }
    for (size_t i = 0; i < plan.statuses.n; i++) {
        const wadm_app_status *s = &plan.statuses.v[i];
        const loaded_app *la = &loaded.v[i];
        const char *type = wadm_status_name(s->type), *message = s->message;
        json_t *f;
        char buf[700];

        pthread_mutex_lock(&w->mu);
        f = json_object_get(w->failures, s->app);
        if (f != NULL &&
            now - (uint64_t)json_integer_value(json_object_get(f, "at")) < FAILURE_TTL_NS) {
            if (s->type == WADM_ST_RECONCILING) {
                type = "failed";
                snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(f, "message")));
                message = buf;
            }
        } else if (f != NULL) {
            json_object_del(w->failures, s->app);
        }
        pthread_mutex_unlock(&w->mu);
        if (rec_deleted(la->rec)) {
            /* Cleaned up once no command is left for it: drop the record. */
            int pending = 0;

            for (size_t k = 0; k < plan.cmds.n; k++) {
                pending |= strcmp(plan.cmds.v[k].app, s->app) == 0;
            }
            if (!pending) {
                char key[512];

                record_key(w, s->app, key, sizeof(key));
                kvStore_Delete(w->manifests, key);
                pthread_mutex_lock(&w->mu);
                json_object_del(w->statuses, s->app);
                pthread_mutex_unlock(&w->mu);
            }
            continue;
        }
        publish_status(w, s->app, status_json(type, message));
    }
    wadm_plan_release(&plan);
    observed_release(&o);
    for (size_t i = 0; i < loaded.n; i++) {
        for (size_t k = 0; k < loaded.v[i].versions.n; k++) {
            wadm_manifest_free(loaded.v[i].versions.v[k]);
        }
        wc_vec_free(&loaded.v[i].versions);
        json_decref(loaded.v[i].rec);
        free(loaded.v[i].name);
    }
    wc_vec_free(&loaded);
    wc_vec_free(&apps);
}

/*
 * Take or keep the leadership; 1 if this server leads now. The key holds the
 * leader's id and when it last renewed (wall clock, ms). A server takes the
 * key when it is absent or older than the TTL, with compare-and-set, so
 * exactly one of several contenders wins.
 */
static int
lead(wadm *w)
{
    char value[128];
    kvEntry *e = NULL;
    natsStatus s;
    uint64_t now_ms = (uint64_t)nats_Now();

    snprintf(value, sizeof(value), "%s %llu", w->id, (unsigned long long)now_ms);
    if (w->is_leader) {
        s = kvStore_Update(&w->leader_rev, w->leader, w->lattice, value, (int)strlen(value),
                           w->leader_rev);
        if (s != NATS_OK) {
            WC_WARN("wadm", "lost the leadership of lattice %s", w->lattice);
            w->is_leader = 0;
        }
        return w->is_leader;
    }
    s = kvStore_Get(&e, w->leader, w->lattice);
    if (s == NATS_NOT_FOUND) {
        s = kvStore_Create(&w->leader_rev, w->leader, w->lattice, value, (int)strlen(value));
    } else if (s == NATS_OK) {
        char held[128] = "";
        unsigned long long at = 0;
        size_t len = (size_t)kvEntry_ValueLen(e);

        memcpy(held, kvEntry_Value(e), len < sizeof(held) - 1 ? len : sizeof(held) - 1);
        if (sscanf(held, "%*s %llu", &at) == 1 && now_ms - at < w->cfg.leader_ttl_ns / 1000000) {
            s = NATS_ERR; /* someone leads */
        } else {
            s = kvStore_Update(&w->leader_rev, w->leader, w->lattice, value, (int)strlen(value),
                               kvEntry_Revision(e));
        }
        kvEntry_Destroy(e);
    }
    if (s == NATS_OK) {
        WC_INFO("wadm", "%s leads lattice %s", w->id, w->lattice);
        w->is_leader = 1;
    }
    return w->is_leader;
}

static void *
loop_main(void *arg)
{
    wadm *w = arg;

    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts;
        uint64_t t;

        pthread_mutex_unlock(&w->mu);
        if (lead(w)) {
            reconcile(w);
        }
        pthread_mutex_lock(&w->mu);
        if (w->stop) {
            break;
        }
        if (!w->wake) {
            clock_gettime(CLOCK_REALTIME, &ts);
            t = (uint64_t)ts.tv_nsec + w->cfg.tick_ns;
            ts.tv_sec += (time_t)(t / 1000000000ull);
            ts.tv_nsec = (long)(t % 1000000000ull);
            pthread_cond_timedwait(&w->cond, &w->mu, &ts);
        }
        if (w->wake) {
            /* Let a burst of events settle before the next round. */
            w->wake = 0;
            pthread_mutex_unlock(&w->mu);
            nats_Sleep(100);
            pthread_mutex_lock(&w->mu);
            w->wake = 0;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- start and stop ---- */

int
wadm_start(const wadm_server_config *cfg, wadm **out, wc_error *err)
{
    wadm *w = wc_xcalloc(1, sizeof(*w));
    wc_lattice_config lc;
    char subject[512], bucket[300];
    natsStatus s;
    int rc;

    w->cfg = *cfg;
    w->lattice = wc_xstrdup(cfg->lattice);
    w->prefix = wc_xstrdup(cfg->api_prefix);
    w->statuses = json_object();
    w->failures = json_object();
    w->sent = json_object();
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    snprintf(w->id, sizeof(w->id), "wadm-");
    ulid(w->id + 5);
    wc_lattice_config_init(&lc);
    lc.url = cfg->nats_url;
    lc.lattice = cfg->lattice;
    lc.js_domain = cfg->js_domain;
    lc.name = w->id;
    if ((rc = wc_lattice_connect(&lc, &w->lat, err)) != 0 ||
        (rc = wc_lattice_bucket(w->lat, "wadm_manifests", &w->manifests, err)) != 0 ||
        (rc = wc_lattice_bucket(w->lat, "wadm_leader", &w->leader, err)) != 0) {
        goto fail;
    }
    snprintf(bucket, sizeof(bucket), "CONFIGDATA_%s", w->lattice);
    if ((rc = wc_lattice_bucket(w->lat, bucket, &w->configdata, err)) != 0) {
        goto fail;
    }
    snprintf(subject, sizeof(subject), "%s.%s.>", w->prefix, w->lattice);
    s = natsConnection_QueueSubscribe(&w->api_sub, wc_lattice_conn(w->lat), subject, "wadm_server",
                                      on_api, w);
    if (s == NATS_OK) {
        snprintf(subject, sizeof(subject), "wasmbus.evt.%s.>", w->lattice);
        s = natsConnection_Subscribe(&w->evt_sub, wc_lattice_conn(w->lat), subject, on_event, w);
    }
    if (s != NATS_OK) {
        rc = wc_lattice_error(err, s, "subscribing to the wadm API");
        goto fail;
    }
    natsConnection_Flush(wc_lattice_conn(w->lat));
    if (pthread_create(&w->thread, NULL, loop_main, w) != 0) {
        rc = wc_error_set(err, WC_ENOMEM, "cannot start the reconcile thread");
        goto fail;
    }
    WC_INFO("wadm", "%s serving %s.%s on %s", w->id, w->prefix, w->lattice, cfg->nats_url);
    *out = w;
    return 0;
fail:
    wadm_stop(w);
    return rc;
}

void
wadm_stop(wadm *w)
{
    if (w == NULL) {
        return;
    }
    if (w->api_sub != NULL) {
        natsSubscription_Drain(w->api_sub);
        natsSubscription_WaitForDrainCompletion(w->api_sub, 30000);
        natsSubscription_Destroy(w->api_sub);
    }
    if (w->evt_sub != NULL) {
        natsSubscription_Drain(w->evt_sub);
        natsSubscription_WaitForDrainCompletion(w->evt_sub, 30000);
        natsSubscription_Destroy(w->evt_sub);
    }
    if (w->thread != 0) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    if (w->is_leader) {
        /* Hand over at once rather than after the TTL. */
        kvStore_Delete(w->leader, w->lattice);
    }
    if (w->manifests != NULL) {
        kvStore_Destroy(w->manifests);
    }
    if (w->leader != NULL) {
        kvStore_Destroy(w->leader);
    }
    if (w->configdata != NULL) {
        kvStore_Destroy(w->configdata);
    }
    wc_lattice_close(w->lat, 2000000000ull);
    json_decref(w->statuses);
    json_decref(w->failures);
    json_decref(w->sent);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
    free(w->lattice);
    free(w->prefix);
    free(w);
}
