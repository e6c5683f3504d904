/*
 * plan.c - desired applications against the observed lattice (see plan.h).
 *
 * Placement, as wadm 1.x does it:
 *  - spreadscaler, component: instances are split across the spreads by
 *    weight (floor, then the remainder one by one, heaviest spread first);
 *    a spread's share is the max_instances of the component on one host
 *    matching its requirements: the host already running it for that
 *    spread if any, else the least loaded eligible host;
 *  - spreadscaler, provider: instances is the number of hosts running it,
 *    split across spreads the same way;
 *  - daemonscaler: `instances` on every host matching a spread (a provider
 *    runs once per host).
 * A component whose image changed is updated in place (component.update:
 * the host swaps it without dropping requests), not restarted.
 *
 * Link partners go together: a host that this round gives the other end of
 * one of the component's links ranks first. Built-in providers call
 * components in their own process (there is no wRPC between hosts yet), so
 * an HTTP server must share a host with the component it serves.
 */
#include "wadm/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Commands are gathered by phase, then sent in phase order. */

typedef struct placed {
    const char *id, *host;
} placed;
enum { PH_CONFIG, PH_START, PH_LINK, PH_REMOVE, PH_COUNT };

typedef struct planner {
    const wadm_app *apps;
    size_t napps;
    const wadm_state *st;
    wadm_plan *out;
    WC_VEC(wadm_cmd) phase[PH_COUNT];
    /* Where this round put each id: placement keeps link partners together. */
    WC_VEC(placed) placed;
} planner;

typedef struct app_ctx {
    planner *p;
    const wadm_app *app;
    int ncmds;
    wadm_status_type status;
    const char *message;
} app_ctx;

static void
emit(app_ctx *a, int phase, wadm_cmd c)
{
    c.app = a->app->name;
    wc_vec_push(&a->p->phase[phase], c);
    a->ncmds++;
}

static void
fail(app_ctx *a, const char *fmt, const char *x, const char *y)
{
    char buf[512];

    if (a->status == WADM_ST_FAILED) {
        return; /* the first reason is the one to read */
    }
    snprintf(buf, sizeof(buf), fmt, x, y);
    a->status = WADM_ST_FAILED;
    a->message = wc_arena_strdup(&a->p->out->arena, buf);
}

/* ---- lookups ---- */

static const char *
label(const wadm_host *h, const char *key)
{
    for (size_t i = 0; h->labels != NULL && i < h->labels->n; i++) {
        if (strcmp(h->labels->keys[i], key) == 0) {
            return h->labels->vals[i];
        }
    }
    return NULL;
}

static int
host_matches(const wadm_host *h, const wadm_map *req)
{
    for (size_t i = 0; i < req->n; i++) {
        const char *v = label(h, req->v[i].key);

        if (v == NULL || strcmp(v, req->v[i].value) != 0) {
            return 0;
        }
    }
    return 1;
}

static const wadm_running *
running_on(const wadm_host *h, const char *id, int provider)
{
    const wadm_running *v = provider ? h->providers : h->components;
    size_t n = provider ? h->nproviders : h->ncomponents;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].id, id) == 0) {
            return &v[i];
        }
    }
    return NULL;
}

static const wadm_app *
find_app(planner *p, const char *name)
{
    for (size_t i = 0; i < p->napps; i++) {
        if (strcmp(p->apps[i].name, name) == 0) {
            return &p->apps[i];
        }
    }
    return NULL;
}

/* The lattice id of component `name` of m (following a shared reference), or NULL. */
static const char *
resolve_id(planner *p, const wadm_manifest *m, const char *name)
{
    const wadm_component *c = wadm_manifest_find(m, name);
    const wadm_app *other;
    const wadm_component *oc;

    if (c == NULL) {
        return NULL;
    }
    if (c->shared_app == NULL) {
        return c->id;
    }
    other = find_app(p, c->shared_app);
    if (other == NULL || other->deployed == NULL || !other->deployed->shared) {
        return NULL;
    }
    oc = wadm_manifest_find(other->deployed, c->shared_component);
    return oc != NULL && oc->shared_app == NULL ? oc->id : NULL;
}

/* ---- spreads ---- */

static wadm_spread default_spread = {"default", {NULL, 0}, 100};

static size_t
nspreads(const wadm_scaler *s)
{
    return s->nspreads > 0 ? s->nspreads : 1;
}

static const wadm_spread *
spread_at(const wadm_scaler *s, size_t i)
{
    return s->nspreads > 0 ? &s->spreads[i] : &default_spread;
}

/* instances split by weight: floor shares, then the remainder heaviest first. */
static void
spread_counts(const wadm_scaler *s, uint32_t *counts)
{
    size_t n = nspreads(s), *order;
    uint64_t total = 0, given = 0;

    for (size_t i = 0; i < n; i++) {
        total += spread_at(s, i)->weight;
        counts[i] = 0;
    }
    if (total == 0) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        counts[i] = (uint32_t)((uint64_t)s->instances * spread_at(s, i)->weight / total);
        given += counts[i];
    }
    /* The remainder (less than n) one each, by weight, heaviest first, stable. */
    order = calloc(n, sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        size_t j = i;

        while (j > 0 && spread_at(s, order[j - 1])->weight < spread_at(s, i)->weight) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (size_t i = 0; given < s->instances; i = (i + 1) % n) {
        if (spread_at(s, order[i])->weight > 0) {
            counts[order[i]]++;
            given++;
        }
    }
    free(order);
}

/* Is a link partner of c (in its manifest) placed on host this round? */
static int
partner_here(app_ctx *a, const wadm_component *c, const char *host)
{
    const wadm_manifest *m = a->app->deployed;

    for (size_t i = 0; i < m->ncomponents; i++) {
        const wadm_component *o = &m->components[i];

        for (size_t k = 0; k < o->nlinks; k++) {
            const char *partner = NULL;

            if (o == c) {
                partner = resolve_id(a->p, m, o->links[k].target);
            } else if (strcmp(o->links[k].target, c->name) == 0) {
                partner = resolve_id(a->p, m, o->name);
            }
            for (size_t p = 0; partner != NULL && p < a->p->placed.n; p++) {
                if (strcmp(a->p->placed.v[p].id, partner) == 0 &&
                    strcmp(a->p->placed.v[p].host, host) == 0) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

static size_t
load(const wadm_host *h, int provider)
{
    return provider ? h->nproviders : h->ncomponents;
}

/* ---- configs ---- */

static int
config_equal(const json_t *have, const wadm_map *want)
{
    if (!json_is_object(have) || json_object_size(have) != want->n) {
        return 0;
    }
    for (size_t i = 0; i < want->n; i++) {
        const json_t *v = json_object_get(have, want->v[i].key);

        if (!json_is_string(v) || strcmp(json_string_value(v), want->v[i].value) != 0) {
            return 0;
        }
    }
    return 1;
}

static void
want_config(app_ctx *a, const wadm_config *c, wadm_map *seen_names, size_t *nseen)
{
    const json_t *have =
        a->p->st->configs != NULL ? json_object_get(a->p->st->configs, c->store_name) : NULL;
    wadm_cmd cmd = {0};

    if (!c->managed) {
        return;
    }
    for (size_t i = 0; i < *nseen; i++) {
        if (strcmp(seen_names->v[i].key, c->store_name) == 0) {
            return;
        }
    }
    seen_names->v[(*nseen)++].key = c->store_name;
    if (config_equal(have, &c->properties)) {
        return;
    }
    cmd.kind = WADM_PUT_CONFIG;
    cmd.config_name = c->store_name;
    cmd.config_values = &c->properties;
    emit(a, PH_CONFIG, cmd);
}

static wc_lt_strlist
config_names(planner *p, const wadm_configs *cs)
{
    wc_lt_strlist l = {0};

    l.v = wc_arena_calloc(&p->out->arena, cs->n + 1, sizeof(char *));
    for (size_t i = 0; i < cs->n; i++) {
        l.v[l.n++] = cs->v[i].store_name;
    }
    return l;
}

/* Every managed config the manifest uses, in order. */
static void
each_config(const wadm_manifest *m, void (*fn)(void *ctx, const wadm_config *c), void *ctx)
{
    for (size_t i = 0; i < m->ncomponents; i++) {
        const wadm_component *c = &m->components[i];

        for (size_t k = 0; k < c->config.n; k++) {
            fn(ctx, &c->config.v[k]);
        }
        for (size_t l = 0; l < c->nlinks; l++) {
            for (size_t k = 0; k < c->links[l].source_config.n; k++) {
                fn(ctx, &c->links[l].source_config.v[k]);
            }
            for (size_t k = 0; k < c->links[l].target_config.n; k++) {
                fn(ctx, &c->links[l].target_config.v[k]);
            }
        }
    }
}

typedef struct config_walk {
    app_ctx *a;
    wadm_map names;
    size_t n, cap;
    const wadm_manifest *deployed;
} config_walk;

static void
walk_want(void *ctx, const wadm_config *c)
{
    config_walk *w = ctx;

    if (w->n + 1 > w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->names.v = realloc(w->names.v, w->cap * sizeof(wadm_kv));
    }
    want_config(w->a, c, &w->names, &w->n);
}

static int manifest_manages_config(const wadm_manifest *m, const char *name);

static void
walk_stale(void *ctx, const wadm_config *c)
{
    config_walk *w = ctx;
    wadm_cmd cmd = {0};

    if (!c->managed ||
        (w->deployed != NULL && manifest_manages_config(w->deployed, c->store_name))) {
        return;
    }
    if (w->a->p->st->configs == NULL ||
        json_object_get(w->a->p->st->configs, c->store_name) == NULL) {
        return;
    }
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->names.v[i].key, c->store_name) == 0) {
            return; /* already deleted */
        }
    }
    if (w->n + 1 > w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->names.v = realloc(w->names.v, w->cap * sizeof(wadm_kv));
    }
    w->names.v[w->n++].key = c->store_name;
    cmd.kind = WADM_DELETE_CONFIG;
    cmd.config_name = c->store_name;
    emit(w->a, PH_REMOVE, cmd);
}

typedef struct find_config {
    const char *name;
    int found;
} find_config;

static void
walk_find(void *ctx, const wadm_config *c)
{
    find_config *f = ctx;

    if (c->managed && strcmp(c->store_name, f->name) == 0) {
        f->found = 1;
    }
}

static int
manifest_manages_config(const wadm_manifest *m, const char *name)
{
    find_config f = {name, 0};

    each_config(m, walk_find, &f);
    return f.found;
}

/* ---- components and providers ---- */

typedef struct placement {
    uint32_t count;     /* 0: not here */
    const char *spread; /* the spread that put it here */
} placement;

static void
place(app_ctx *a, const wadm_component *c, placement *where)
{
    const wadm_state *st = a->p->st;
    int provider = c->kind == WADM_CAPABILITY;
    const wadm_scaler *s = &c->scaler;
    size_t n = nspreads(s);
    uint32_t *counts = calloc(n, sizeof(uint32_t));

    if (s->kind == WADM_DAEMON) {
        for (size_t i = 0; i < n; i++) {
            int any = 0;

            for (size_t h = 0; h < st->nhosts; h++) {
                if (host_matches(&st->hosts[h], &spread_at(s, i)->requirements)) {
                    any = 1;
                    if (where[h].count == 0 && s->instances > 0) {
                        where[h].count = provider ? 1 : s->instances;
                        where[h].spread = spread_at(s, i)->name;
                    }
                }
            }
            if (!any && s->instances > 0) {
                fail(a, "no host matches the requirements of spread %s of %s",
                     spread_at(s, i)->name, c->name);
            }
        }
        free(counts);
        return;
    }
    spread_counts(s, counts);
    for (size_t i = 0; i < n; i++) {
        const wadm_spread *sp = spread_at(s, i);
        uint32_t want_hosts = provider ? counts[i] : (counts[i] > 0 ? 1 : 0);

        for (uint32_t k = 0; k < want_hosts; k++) {
            size_t best = st->nhosts;
            int best_rank = 0;

            for (size_t h = 0; h < st->nhosts; h++) {
                const wadm_running *r;
                int rank;

                if (where[h].count != 0 || !host_matches(&st->hosts[h], &sp->requirements)) {
                    continue;
                }
                r = running_on(&st->hosts[h], c->id, provider);
                /* With a link partner first, then where it runs (for this
                 * spread best), then the least loaded. */
                rank = (partner_here(a, c, st->hosts[h].id) ? 4 : 0) +
                       (r != NULL && r->spread != NULL && strcmp(r->spread, sp->name) == 0 ? 3
                        : r != NULL                                                        ? 2
                                                                                           : 1);
                if (best == st->nhosts || rank > best_rank ||
                    (rank == best_rank &&
                     load(&st->hosts[h], provider) < load(&st->hosts[best], provider))) {
                    best = h;
                    best_rank = rank;
                }
            }
            if (best == st->nhosts) {
                fail(a, "no host matches the requirements of spread %s of %s", sp->name, c->name);
                break;
            }
            where[best].count = provider ? 1 : counts[i];
            where[best].spread = sp->name;
        }
    }
    free(counts);
}

static void
reconcile_component(app_ctx *a, const wadm_component *c)
{
    const wadm_state *st = a->p->st;
    int provider = c->kind == WADM_CAPABILITY;
    placement *where;

    if (c->shared_app != NULL || !c->has_scaler || c->image == NULL) {
        return; /* run by its own app, or only a link endpoint */
    }
    where = calloc(st->nhosts ? st->nhosts : 1, sizeof(*where));
    place(a, c, where);
    for (size_t h = 0; h < st->nhosts; h++) {
        if (where[h].count > 0) {
            placed pl = {c->id, st->hosts[h].id};

            wc_vec_push(&a->p->placed, pl);
        }
    }
    for (size_t h = 0; h < st->nhosts; h++) {
        const wadm_host *host = &st->hosts[h];
        const wadm_running *r = running_on(host, c->id, provider);
        wadm_cmd cmd = {0};

        cmd.host_id = host->id;
        cmd.id = c->id;
        cmd.image = c->image;
        cmd.scaler = provider ? "provider" : "component";
        cmd.spread = where[h].spread;
        cmd.config = config_names(a->p, &c->config);
        if (where[h].count == 0) {
            /* Not wanted here: stop it if it is ours. */
            if (r != NULL && r->app != NULL && strcmp(r->app, a->app->name) == 0) {
                cmd.kind = provider ? WADM_STOP_PROVIDER : WADM_SCALE_COMPONENT;
                cmd.count = 0;
                emit(a, PH_REMOVE, cmd);
            }
            continue;
        }
        if (r == NULL) {
            cmd.kind = provider ? WADM_START_PROVIDER : WADM_SCALE_COMPONENT;
            cmd.count = where[h].count;
            emit(a, PH_START, cmd);
            continue;
        }
        if (provider) {
            if (strcmp(r->image, c->image) != 0) {
                /* A provider cannot be updated in place: stop now, start next round. */
                cmd.kind = WADM_STOP_PROVIDER;
                emit(a, PH_START, cmd);
            }
            continue;
        }
        if (strcmp(r->image, c->image) != 0) {
            cmd.kind = WADM_UPDATE_COMPONENT;
            emit(a, PH_START, cmd);
        }
        if (r->count != where[h].count || r->app == NULL || strcmp(r->app, a->app->name) != 0) {
            cmd.kind = WADM_SCALE_COMPONENT;
            cmd.count = where[h].count;
            emit(a, PH_START, cmd);
        }
    }
    free(where);
}

/* ---- links ---- */

static int
strlist_eq_set(const wc_lt_strlist *a, char **b, size_t nb)
{
    if (a->n != nb) {
        return 0;
    }
    for (size_t i = 0; i < nb; i++) {
        int found = 0;

        for (size_t k = 0; k < a->n && !found; k++) {
            found = strcmp(a->v[k], b[i]) == 0;
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

static int
strlist_eq(const wc_lt_strlist *a, const wc_lt_strlist *b)
{
    if (a->n != b->n) {
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->v[i], b->v[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static const wc_lt_link *
observed_link(const wadm_state *st, const char *source, const char *ns, const char *pkg,
              const char *name)
{
    for (size_t i = 0; i < st->nlinks; i++) {
        const wc_lt_link *l = &st->links[i];

        if (strcmp(l->source_id, source) == 0 && strcmp(l->wit_namespace, ns) == 0 &&
            strcmp(l->wit_package, pkg) == 0 && strcmp(l->name, name) == 0) {
            return l;
        }
    }
    return NULL;
}

static void
reconcile_links(app_ctx *a, const wadm_manifest *m)
{
    planner *p = a->p;

    for (size_t i = 0; i < m->ncomponents; i++) {
        const wadm_component *c = &m->components[i];
        const char *source = resolve_id(p, m, c->name);

        for (size_t k = 0; k < c->nlinks; k++) {
            const wadm_link *l = &c->links[k];
            const char *target = resolve_id(p, m, l->target);
            const wc_lt_link *have;
            wadm_cmd cmd = {0};

            if (source == NULL || target == NULL) {
                fail(a, "link from %s to %s: a shared application it names is not deployed",
                     c->name, l->target);
                continue;
            }
            cmd.link.source_id = (char *)source;
            cmd.link.target = (char *)target;
            cmd.link.name = l->name;
            cmd.link.wit_namespace = l->namespace_;
            cmd.link.wit_package = l->package;
            cmd.link.interfaces.v = l->interfaces;
            cmd.link.interfaces.n = l->ninterfaces;
            cmd.link.source_config = config_names(p, &l->source_config);
            cmd.link.target_config = config_names(p, &l->target_config);
            have = observed_link(p->st, source, l->namespace_, l->package, l->name);
            if (have != NULL && strcmp(have->target, target) == 0 &&
                strlist_eq_set(&have->interfaces, l->interfaces, l->ninterfaces) &&
                strlist_eq(&have->source_config, &cmd.link.source_config) &&
                strlist_eq(&have->target_config, &cmd.link.target_config)) {
                continue;
            }
            if (have != NULL && strcmp(have->target, target) != 0) {
                /* A new target under the same name: the host wants the old one gone first. */
                wadm_cmd del = cmd;

                del.kind = WADM_DELETE_LINK;
                emit(a, PH_LINK, del);
            }
            cmd.kind = WADM_PUT_LINK;
            emit(a, PH_LINK, cmd);
        }
    }
}

/* Does some version of the app define a link with this key? And the deployed one? */
static int
defines_link(planner *p, const wadm_manifest *m, const wc_lt_link *o)
{
    for (size_t i = 0; i < m->ncomponents; i++) {
        const wadm_component *c = &m->components[i];
        const char *source = resolve_id(p, m, c->name);

        if (source == NULL || strcmp(source, o->source_id) != 0) {
            continue;
        }
        for (size_t k = 0; k < c->nlinks; k++) {
            const wadm_link *l = &c->links[k];

            if (strcmp(l->namespace_, o->wit_namespace) == 0 &&
                strcmp(l->package, o->wit_package) == 0 && strcmp(l->name, o->name) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

static void
remove_stale(app_ctx *a)
{
    planner *p = a->p;
    const wadm_app *app = a->app;
    const wadm_state *st = p->st;
    config_walk w = {a, {NULL, 0}, 0, 0, app->deployed};

    /* Links some version defined that the deployed one does not. */
    for (size_t i = 0; i < st->nlinks; i++) {
        const wc_lt_link *o = &st->links[i];
        int ours = 0;

        for (size_t v = 0; v < app->nversions && !ours; v++) {
            ours = defines_link(p, app->versions[v], o);
        }
        if (ours && (app->deployed == NULL || !defines_link(p, app->deployed, o))) {
            wadm_cmd cmd = {0};

            cmd.kind = WADM_DELETE_LINK;
            cmd.link = *o;
            emit(a, PH_REMOVE, cmd);
        }
    }
    /* Components and providers marked as ours that the deployed version lacks. */
    for (size_t h = 0; h < st->nhosts; h++) {
        const wadm_host *host = &st->hosts[h];

        for (int provider = 0; provider < 2; provider++) {
            const wadm_running *v = provider ? host->providers : host->components;
            size_t n = provider ? host->nproviders : host->ncomponents;

            for (size_t i = 0; i < n; i++) {
                int wanted = 0;
                wadm_cmd cmd = {0};

                if (v[i].app == NULL || strcmp(v[i].app, app->name) != 0) {
                    continue;
                }
                for (size_t k = 0; app->deployed != NULL && k < app->deployed->ncomponents; k++) {
                    const wadm_component *c = &app->deployed->components[k];

                    wanted |= c->shared_app == NULL && c->has_scaler &&
                              strcmp(c->id, v[i].id) == 0 &&
                              (c->kind == WADM_CAPABILITY) == provider;
                }
                if (wanted) {
                    continue; /* reconcile_component decides per host */
                }
                cmd.host_id = host->id;
                cmd.id = v[i].id;
                cmd.image = v[i].image;
                cmd.kind = provider ? WADM_STOP_PROVIDER : WADM_SCALE_COMPONENT;
                cmd.count = 0;
                emit(a, PH_REMOVE, cmd);
            }
        }
    }
    /* Managed configs of other versions. */
    for (size_t v = 0; v < app->nversions; v++) {
        each_config(app->versions[v], walk_stale, &w);
    }
    free(w.names.v);
}

/* ---- the whole plan ---- */

void
wadm_plan_compute(const wadm_app *apps, size_t napps, const wadm_state *st, wadm_plan *out)
{
    planner p = {apps, napps, st, out, {{0}}, {0}};

    memset(out, 0, sizeof(*out));
    wc_arena_init(&out->arena, 4096);
    for (size_t i = 0; i < napps; i++) {
        const wadm_app *app = &apps[i];
        app_ctx a = {&p, app, 0, WADM_ST_DEPLOYED, ""};
        wadm_app_status s;

        if (app->deployed != NULL && st->nhosts == 0) {
            a.status = WADM_ST_WAITING;
            a.message = "Waiting for status: Lattice contains no hosts, deployment not started.";
        } else if (app->deployed != NULL) {
            const wadm_manifest *m = app->deployed;
            config_walk w = {&a, {NULL, 0}, 0, 0, m};

            for (size_t k = 0; k < m->ncomponents; k++) {
                const wadm_component *c = &m->components[k];

                if (c->shared_app != NULL && resolve_id(&p, m, c->name) == NULL) {
                    fail(&a, "component %s: shared application %s is not deployed", c->name,
                         c->shared_app);
                }
            }
            each_config(m, walk_want, &w);
            free(w.names.v);
            for (size_t k = 0; k < m->ncomponents; k++) {
                reconcile_component(&a, &m->components[k]);
            }
            reconcile_links(&a, m);
        }
        remove_stale(&a);
        s.app = app->name;
        if (app->deployed == NULL) {
            s.type = WADM_ST_UNDEPLOYED;
            s.message = "";
        } else if (a.status == WADM_ST_DEPLOYED && a.ncmds > 0) {
            s.type = WADM_ST_RECONCILING;
            s.message = "";
        } else {
            s.type = a.status;
            s.message = a.message;
        }
        wc_vec_push(&out->statuses, s);
    }
    for (int ph = 0; ph < PH_COUNT; ph++) {
        for (size_t i = 0; i < p.phase[ph].n; i++) {
            wc_vec_push(&out->cmds, p.phase[ph].v[i]);
        }
        wc_vec_free(&p.phase[ph]);
    }
    wc_vec_free(&p.placed);
}

void
wadm_plan_release(wadm_plan *p)
{
    wc_vec_free(&p->cmds);
    wc_vec_free(&p->statuses);
    wc_arena_release(&p->arena);
}

const char *
wadm_status_name(wadm_status_type t)
{
    switch (t) {
    case WADM_ST_DEPLOYED: return "deployed";
    case WADM_ST_RECONCILING: return "reconciling";
    case WADM_ST_WAITING: return "waiting";
    case WADM_ST_FAILED: return "failed";
    case WADM_ST_UNDEPLOYED: return "undeployed";
    }
    return "?";
}

const char *
wadm_cmd_describe(const wadm_cmd *c, char *buf, size_t size)
{
    switch (c->kind) {
    case WADM_PUT_CONFIG: snprintf(buf, size, "put config %s", c->config_name); break;
    case WADM_DELETE_CONFIG: snprintf(buf, size, "delete config %s", c->config_name); break;
    case WADM_START_PROVIDER:
        snprintf(buf, size, "start provider %s on %s", c->id, c->host_id);
        break;
    case WADM_STOP_PROVIDER:
        snprintf(buf, size, "stop provider %s on %s", c->id, c->host_id);
        break;
    case WADM_SCALE_COMPONENT:
        snprintf(buf, size, "scale %s on %s to %u", c->id, c->host_id, c->count);
        break;
    case WADM_UPDATE_COMPONENT:
        snprintf(buf, size, "update %s on %s to %s", c->id, c->host_id, c->image);
        break;
    case WADM_PUT_LINK:
        snprintf(buf, size, "put link %s -> %s %s:%s (%s)", c->link.source_id, c->link.target,
                 c->link.wit_namespace, c->link.wit_package, c->link.name);
        break;
    case WADM_DELETE_LINK:
        snprintf(buf, size, "delete link %s %s:%s (%s)", c->link.source_id, c->link.wit_namespace,
                 c->link.wit_package, c->link.name);
        break;
    }
    return buf;
}
