/*
 * cinst.c - loading, linking and instantiating components; calls both ways.
 *
 * Instantiation replays the parsed definitions in order, building the
 * runtime index spaces: core modules are instantiated with imports wired to
 * other core instances' exports (function objects, so a call between the
 * modules of a component is a direct call through a pointer); `canon lower`
 * becomes a host function with the flattened core signature that lifts its
 * arguments, calls the callee and lowers the result; `canon lift` becomes a
 * wc_cfunc the host (or another component) can call with wc_cvals. Nested
 * components are instantiated recursively with the items passed to them.
 */
#include "component/internal.h"

#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- components ---- */

static void plans_free(struct link_plan *p);

/* The core type of what a canon lower or resource builtin def makes, interned. */
static int
intern_def_sig(cdef *d, wc_error *err)
{
    static const uint8_t i32[] = {WC_I32};
    uint8_t params[WC_MAX_FLAT_PARAMS + 2], results[2];
    wc_functype ft = {1, 1, i32, i32};

    switch (d->kind) {
    case D_CANON_LOWER:
        wc__cabi_flatten_func(d->type, 1, params, &ft.nparams, results, &ft.nresults);
        ft.params = params;
        ft.results = results;
        break;
    case D_RESOURCE_DROP: ft.nresults = 0; break;
    case D_RESOURCE_NEW:
    case D_RESOURCE_REP: break;
    default: return 0;
    }
    return wc_functype_intern(&ft, &d->sig_id, err);
}

static int
compile_tree(wc_component *c, ccomp *cc, wc_error *err)
{
    for (uint32_t i = 0; i < cc->ndefs; i++) {
        int rc = intern_def_sig(&cc->defs[i], err);

        if (rc != 0) {
            return rc;
        }
    }
    cc->compiled = wc_arena_calloc(&c->arena, cc->nmodules + 1, sizeof(wc_module *));
    for (uint32_t i = 0; i < cc->nmodules; i++) {
        int rc = wc_module_new(c->engine, cc->modules[i].bytes, cc->modules[i].len,
                               &cc->compiled[i], err);

        if (rc != 0) {
            wc_error_prefix(err, "core module %u of the component: ", i);
            return rc;
        }
        c->modules = wc_xrealloc(c->modules, (c->nmodules + 1) * sizeof(*c->modules));
        c->modules[c->nmodules++] = cc->compiled[i];
    }
    for (uint32_t i = 0; i < cc->ncomponents; i++) {
        int rc = compile_tree(c, cc->components[i], err);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static void
hints_free(ccomp *cc)
{
    for (uint32_t i = 0; i < cc->ndefs; i++) {
        free(atomic_load(&cc->defs[i].hints));
    }
    for (uint32_t i = 0; i < cc->ncomponents; i++) {
        hints_free(cc->components[i]);
    }
}

int
wc_component_new(wc_engine *engine, const void *bytes, size_t len, wc_component **out,
                 wc_error *err)
{
    wc_component *c = wc_xcalloc(1, sizeof(*c));
    int rc;

    atomic_init(&c->refs, 1);
    c->engine = engine;
    pthread_mutex_init(&c->plan_mu, NULL);
    wc_arena_init(&c->arena, 64 * 1024);
    c->bytes = wc_xmemdup(bytes, len);
    c->len = len;
    if ((rc = wc_cparse(c->bytes, len, &c->arena, &c->root, err)) != 0 ||
        (rc = compile_tree(c, c->root, err)) != 0) {
        wc_component_unref(c);
        return rc;
    }
    *out = c;
    return 0;
}

wc_component *
wc_component_ref(wc_component *c)
{
    atomic_fetch_add(&c->refs, 1);
    return c;
}

void
wc_component_unref(wc_component *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1) {
        return;
    }
    for (uint32_t i = 0; i < c->nmodules; i++) {
        wc_module_unref(c->modules[i]);
    }
    free(c->modules);
    if (c->root != NULL) {
        hints_free(c->root);
    }
    plans_free(atomic_load(&c->plan));
    pthread_mutex_destroy(&c->plan_mu);
    wc_arena_release(&c->arena);
    free(c->bytes);
    free(c);
}

int
wc_component_wait_optimized(wc_component *c, wc_error *err)
{
    int rc = 0;

    for (uint32_t i = 0; i < c->nmodules; i++) {
        int r = wc_module_wait_optimized(c->modules[i], err);

        if (r != 0 && rc == 0) {
            rc = r;
        }
    }
    return rc;
}

/* ---- interface names and versions ---- */

/* Split "ns:pkg/iface@1.2.3" into its base length and version numbers. */
static size_t
split_version(const char *name, int *major, int *minor, int *patch)
{
    const char *at = strchr(name, '@');

    int *parts[3] = {major, minor, patch};
    const char *p;

    *major = *minor = *patch = -1;
    if (at == NULL) {
        return strlen(name);
    }
    /* "1.2.3" (anything after the patch number, like "-rc1", is ignored) */
    p = at + 1;
    for (int i = 0; i < 3 && *p >= '0' && *p <= '9'; i++) {
        int v = 0;

        while (*p >= '0' && *p <= '9' && v < 100000000) {
            v = v * 10 + (*p++ - '0');
        }
        *parts[i] = v;
        if (*p != '.') {
            break;
        }
        p++;
    }
    return (size_t)(at - name);
}

/* Can an implementation of version (a) serve an import of version (b)? */
static int
version_compatible(int amaj, int amin, int bmaj, int bmin)
{
    if (amaj < 0 || bmaj < 0) {
        return amaj == bmaj;
    }
    if (amaj != bmaj) {
        return 0;
    }
    return amaj != 0 || amin == bmin;
}

/* Does exported name `have` satisfy the requested `want` (both possibly versioned)? */
int
wc__name_matches(const char *have, const char *want)
{
    int hm, hn, hp, wm, wn, wp;
    size_t hl = split_version(have, &hm, &hn, &hp), wl = split_version(want, &wm, &wn, &wp);

    if (hl != wl || memcmp(have, want, hl) != 0) {
        return 0;
    }
    if (wm < 0 || hm < 0) {
        return 1; /* an unversioned request or export matches any version */
    }
    return version_compatible(hm, hn, wm, wn);
}

/* ---- the linker ---- */

typedef struct lfunc {
    const char *name;
    wc_chost_fn fn;
    void *data;
} lfunc;

typedef struct liface {
    char *name; /* base, without version */
    int major, minor, patch;
    WC_VEC(lfunc) funcs;
    WC_VEC(wc_rtype *) resources;
} liface;

struct wc_linker {
    WC_VEC(liface *) ifaces;
    wc_arena arena;
    uint64_t id;  /* unique in the process, never reused */
    unsigned gen; /* changes with every addition: invalidates link plans */
};

static atomic_uint_fast64_t linker_ids = 1;

wc_linker *
wc_linker_new(void)
{
    wc_linker *l = wc_xcalloc(1, sizeof(*l));

    wc_arena_init(&l->arena, 16 * 1024);
    l->id = atomic_fetch_add(&linker_ids, 1);
    return l;
}

void
wc_linker_free(wc_linker *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->ifaces.n; i++) {
        wc_vec_free(&l->ifaces.v[i]->funcs);
        wc_vec_free(&l->ifaces.v[i]->resources);
        free(l->ifaces.v[i]->name);
        free(l->ifaces.v[i]);
    }
    wc_vec_free(&l->ifaces);
    wc_arena_release(&l->arena);
    free(l);
}

static liface *
linker_iface(wc_linker *l, const char *iface, const char *version)
{
    int maj = -1, min = -1, pat = -1;
    liface *li;

    if (version != NULL) {
        sscanf(version, "%d.%d.%d", &maj, &min, &pat);
    }
    for (size_t i = 0; i < l->ifaces.n; i++) {
        li = l->ifaces.v[i];
        if (strcmp(li->name, iface) == 0 && li->major == maj && li->minor == min &&
            li->patch == pat) {
            return li;
        }
    }
    l->gen++;
    li = wc_xcalloc(1, sizeof(*li));
    li->name = wc_xstrdup(iface);
    li->major = maj;
    li->minor = min;
    li->patch = pat;
    wc_vec_push(&l->ifaces, li);
    return li;
}

wc_rtype *
wc_linker_resource(wc_linker *l, const char *iface, const char *version, const char *name,
                   void (*drop)(void *host, void *obj))
{
    liface *li = linker_iface(l, iface, version);
    wc_rtype *rt = wc_arena_calloc(&l->arena, 1, sizeof(*rt));

    rt->name = wc_arena_strdup(&l->arena, name);
    rt->drop = drop;
    wc_vec_push(&li->resources, rt);
    l->gen++;
    return rt;
}

void
wc_linker_func(wc_linker *l, const char *iface, const char *version, const char *name,
               wc_chost_fn fn, void *data)
{
    liface *li = linker_iface(l, iface, version);
    lfunc f = {wc_arena_strdup(&l->arena, name), fn, data};

    wc_vec_push(&li->funcs, f);
    l->gen++;
}

/* The best linked interface for an import name, or NULL. */
static liface *
linker_find(wc_linker *l, const char *import)
{
    int maj, min, pat;
    size_t base = split_version(import, &maj, &min, &pat);
    liface *best = NULL;

    for (size_t i = 0; i < l->ifaces.n; i++) {
        liface *li = l->ifaces.v[i];

        if (strlen(li->name) != base || memcmp(li->name, import, base) != 0 ||
            !version_compatible(li->major, li->minor, maj, min)) {
            continue;
        }
        if (best == NULL || li->patch > best->patch) {
            best = li;
        }
    }
    return best;
}

static lfunc *
iface_func(liface *li, const char *name)
{
    for (size_t i = 0; i < li->funcs.n; i++) {
        if (strcmp(li->funcs.v[i].name, name) == 0) {
            return &li->funcs.v[i];
        }
    }
    return NULL;
}

static wc_rtype *
iface_resource(liface *li, const char *name)
{
    for (size_t i = 0; i < li->resources.n; i++) {
        if (strcmp(li->resources.v[i]->name, name) == 0) {
            return li->resources.v[i];
        }
    }
    return NULL;
}

/* ---- link plans ---- */

/*
 * What a linker provides for each top-level import of a component, looked
 * up once per (component, linker) rather than by name on every
 * instantiation.
 */
typedef struct link_entry {
    liface *li;   /* NULL: the linker has no such interface */
    void **items; /* per declaration of the instance type: lfunc * or wc_rtype * (or NULL) */
} link_entry;

typedef struct link_plan {
    uint64_t linker_id;
    unsigned gen;
    uint32_t n;
    link_entry *imports; /* by index of the def in the root component */
    struct link_plan *older;
} link_plan;

static link_plan *
plan_build(const wc_component *c, wc_linker *l)
{
    const ccomp *root = c->root;
    link_plan *p = wc_xcalloc(1, sizeof(*p));

    p->linker_id = l->id;
    p->gen = l->gen;
    p->n = root->ndefs;
    p->imports = wc_xcalloc(root->ndefs + 1, sizeof(link_entry));
    for (uint32_t i = 0; i < root->ndefs; i++) {
        const cdef *d = &root->defs[i];
        link_entry *le = &p->imports[i];

        if (d->kind != D_IMPORT || d->sort != SORT_INSTANCE ||
            (le->li = linker_find(l, d->name)) == NULL) {
            continue;
        }
        le->items = wc_xcalloc(d->type->n + 1, sizeof(void *));
        for (uint32_t k = 0; k < d->type->n; k++) {
            const cdecl *decl = &d->type->decls[k];

            if (decl->sort == SORT_FUNC) {
                le->items[k] = iface_func(le->li, decl->name);
            } else if (decl->sort == SORT_TYPE && decl->type->kind == CT_ABSTRACT) {
                le->items[k] = iface_resource(le->li, decl->name);
            }
        }
    }
    return p;
}

static void
plans_free(struct link_plan *p)
{
    while (p != NULL) {
        link_plan *older = p->older;

        for (uint32_t i = 0; i < p->n; i++) {
            free(p->imports[i].items);
        }
        free(p->imports);
        free(p);
        p = older;
    }
}

static const link_plan *
plan_get(wc_component *c, wc_linker *l)
{
    link_plan *p = atomic_load_explicit(&c->plan, memory_order_acquire);

    if (p != NULL && p->linker_id == l->id && p->gen == l->gen) {
        return p;
    }
    pthread_mutex_lock(&c->plan_mu);
    for (p = atomic_load(&c->plan); p != NULL; p = p->older) {
        if (p->linker_id == l->id && p->gen == l->gen) {
            break;
        }
    }
    if (p == NULL) {
        p = plan_build(c, l);
        p->older = atomic_load(&c->plan);
        atomic_store_explicit(&c->plan, p, memory_order_release);
    }
    pthread_mutex_unlock(&c->plan_mu);
    return p;
}

/* ---- resource type bindings ---- */

static void
env_bind(wc_cinst *inst, const ctype *node, wc_rtype *rt)
{
    for (size_t i = 0; i < inst->env_keys.n; i++) {
        if (inst->env_keys.v[i] == node) {
            inst->env_vals.v[i] = rt;
            return;
        }
    }
    wc_vec_push(&inst->env_keys, node);
    wc_vec_push(&inst->env_vals, rt);
}

wc_rtype *
wc__cinst_rtype(wc_cinst *inst, const ctype *node)
{
    for (; inst != NULL; inst = inst->parent) {
        for (size_t i = inst->env_keys.n; i-- > 0;) {
            if (inst->env_keys.v[i] == node) {
                return inst->env_vals.v[i];
            }
        }
    }
    return NULL;
}

/* ---- handles ---- */

#define MAX_HANDLES ((1u << 28) - 1)

int
wc__handle_add(wc_cinst *inst, wc_rtype *rt, uint32_t rep, int own, uint32_t scope, uint32_t *out,
               wc_error *err)
{
    uint32_t idx;
    chandle h = {rt, rep, (uint8_t)own, 0, scope};

    if (inst->handles.n == 0) {
        chandle zero = {0};

        wc_vec_push(&inst->handles, zero); /* index 0 is never handed out */
    }
    if (inst->free_handles.n > 0) {
        idx = inst->free_handles.v[--inst->free_handles.n];
        inst->handles.v[idx] = h;
    } else {
        if (inst->handles.n >= MAX_HANDLES) {
            return wc_error_set(err, WC_ETRAP, "trap: handle table full");
        }
        idx = (uint32_t)inst->handles.n;
        wc_vec_push(&inst->handles, h);
    }
    *out = idx;
    return 0;
}

chandle *
wc__handle_get(wc_cinst *inst, uint32_t idx)
{
    if (idx == 0 || idx >= inst->handles.n || inst->handles.v[idx].rt == NULL) {
        return NULL;
    }
    return &inst->handles.v[idx];
}

void
wc__handle_remove(wc_cinst *inst, uint32_t idx)
{
    memset(&inst->handles.v[idx], 0, sizeof(chandle));
    wc_vec_push(&inst->free_handles, idx);
}

/* ---- host objects ---- */

uint32_t
wc_cinstance_res_new(wc_cinstance *ci, wc_rtype *t, void *obj)
{
    struct hostobj o = {t, obj};
    uint32_t i;

    if (ci->free_objs.n > 0) {
        i = ci->free_objs.v[--ci->free_objs.n];
        ci->objs.v[i] = o;
    } else {
        i = (uint32_t)ci->objs.n;
        wc_vec_push(&ci->objs, o);
    }
    return i + 1;
}

void *
wc_cinstance_res_get(wc_cinstance *ci, wc_rtype *t, uint32_t rep)
{
    if (rep == 0 || rep > ci->objs.n || ci->objs.v[rep - 1].t != t) {
        return NULL;
    }
    return ci->objs.v[rep - 1].obj;
}

void *
wc_cinstance_res_take(wc_cinstance *ci, wc_rtype *t, uint32_t rep)
{
    void *obj = wc_cinstance_res_get(ci, t, rep);

    if (obj != NULL) {
        ci->objs.v[rep - 1].t = NULL;
        ci->objs.v[rep - 1].obj = NULL;
        wc_vec_push(&ci->free_objs, rep - 1);
    }
    return obj;
}

int
wc__resource_destroy(wc_cinstance *ci, wc_rtype *rt, uint32_t rep, wc_error *err)
{
    if (rt->impl == NULL) {
        void *obj = wc_cinstance_res_take(ci, rt, rep);

        if (obj != NULL && rt->drop != NULL) {
            rt->drop(ci->host, obj);
        }
        return 0;
    }
    if (rt->dtor != NULL) {
        wc_val arg = {.i32 = rep};

        return wc_func_call(ci->store, rt->dtor, &arg, 1, NULL, 0, err);
    }
    return 0;
}

/* ---- calls: guest to callee (canon lower) ---- */

typedef struct lowered {
    wc_cfunc *callee;
    wc_cinst *caller;
    wc_memory *memory;
    wc_func *realloc;
    uint8_t encoding;
} lowered;

static int call_lifted(wc_cinstance *ci, wc_cfunc *f, const wc_cval *args, wc_cval *result,
                       wc_arena *arena, wc_error *err);

static void
poison(wc_cinstance *ci)
{
    ci->poisoned = 1;
}

static int
lower_cb(void *data, const wc_val *args, wc_val *results, wc_error *err)
{
    lowered *L = data;
    const ctype *ft = L->callee->type;
    wc_cinstance *ci = L->caller->root;
    wc_arena arena;
    cabi_cx cx;
    wc_cval *vals, result;
    uint32_t np = 0, nflat_params = 0, nout, retptr;
    int rc, has_retptr;

    if (!L->caller->may_leave) {
        return wc_error_set(err, WC_ETRAP,
                            "trap: cannot call an import from here (realloc or "
                            "post-return)");
    }
    wc_arena_init(&arena, 4096);
    memset(&cx, 0, sizeof(cx));
    cx.inst = L->caller;
    cx.store = ci->store;
    cx.memory = L->memory;
    cx.realloc = L->realloc;
    cx.encoding = L->encoding;
    cx.arena = &arena;
    cx.err = err;
    cx.scope = ++ci->call_seq;
    for (uint32_t i = 0; i < ft->n; i++) {
        np += ft->elems[i]->nflat;
    }
    nflat_params = np > WC_MAX_FLAT_PARAMS ? 1 : np;
    has_retptr = ft->res != NULL && ft->res->nflat > WC_MAX_FLAT_RESULTS;
    vals = wc_arena_calloc(&arena, ft->n + 1, sizeof(wc_cval));
    memset(&result, 0, sizeof(result));
    rc = wc__cabi_lift(&cx, ft->elems, ft->n, (const wc_val *)args, nflat_params,
                       WC_MAX_FLAT_PARAMS, vals);
    if (rc == 0) {
        if (L->callee->host != NULL) {
            wc_ccall call = {ci, ci->host, &arena};

            rc = L->callee->host(&call, L->callee->host_data, vals, &result, err);
            if (rc != 0 && (err == NULL || err->code == 0)) {
                rc = wc_error_set(err, WC_ETRAP, "host function failed");
            }
        } else {
            rc = call_lifted(ci, L->callee, vals, &result, &arena, err);
        }
    }
    if (rc == 0 && ft->res != NULL) {
        retptr = has_retptr ? args[nflat_params].i32 : 0;
        rc = wc__cabi_lower(&cx, &ft->res, 1, &result, (wc_val *)results, &nout,
                            WC_MAX_FLAT_RESULTS, has_retptr ? &retptr : NULL);
    }
    wc__cabi_end_lends(&cx);
    wc_arena_release(&arena);
    return rc;
}

/* ---- calls: into a lifted function ---- */

static int
call_lifted(wc_cinstance *ci, wc_cfunc *f, const wc_cval *args, wc_cval *result, wc_arena *arena,
            wc_error *err)
{
    const ctype *ft = f->type;
    wc_val flat[WC_MAX_FLAT_PARAMS + 1], rflat[2];
    const wc_functype *core = wc_func_type(f->core);
    uint32_t nflat = 0;
    cabi_cx cx;
    int rc;

    memset(&cx, 0, sizeof(cx));
    cx.inst = f->owner;
    cx.store = ci->store;
    cx.memory = f->memory;
    cx.realloc = f->realloc;
    cx.encoding = f->encoding;
    cx.arena = arena;
    cx.copy = 1;
    cx.err = err;
    cx.scope = ++ci->call_seq;
    memset(flat, 0, sizeof(flat));
    memset(rflat, 0, sizeof(rflat));
    if ((rc = wc__cabi_lower(&cx, ft->elems, ft->n, args, flat, &nflat, WC_MAX_FLAT_PARAMS,
                             NULL)) != 0) {
        return rc;
    }
    if ((rc = wc_func_call(ci->store, f->core, (const wc_val *)flat, core->nparams, (wc_val *)rflat,
                           core->nresults, err)) != 0) {
        return rc;
    }
    if (ft->res != NULL) {
        rc = wc__cabi_lift(&cx, &ft->res, 1, rflat, core->nresults, WC_MAX_FLAT_RESULTS, result);
    }
    /* Borrows handed to the callee must all be dropped by now. */
    for (size_t i = 1; rc == 0 && i < f->owner->handles.n; i++) {
        chandle *h = &f->owner->handles.v[i];

        if (h->rt != NULL && !h->own && h->scope == cx.scope) {
            rc = wc_error_set(err, WC_ETRAP,
                              "trap: a borrowed handle was not dropped before the "
                              "call returned");
        }
    }
    if (f->post_return != NULL) {
        uint8_t saved = f->owner->may_leave;
        int prc;

        f->owner->may_leave = 0;
        prc = wc_func_call(ci->store, f->post_return, (const wc_val *)rflat, core->nresults, NULL,
                           0, err);
        f->owner->may_leave = saved;
        if (rc == 0) {
            rc = prc;
        }
    }
    return rc;
}

int
wc_cfunc_call(wc_cinstance *ci, wc_cfunc *f, const wc_cval *args, size_t nargs, wc_cval *result,
              wc_arena *arena, wc_error *err)
{
    int rc;

    if (ci->poisoned) {
        return wc_error_set(err, WC_ETRAP, "component instance is unusable after an earlier trap");
    }
    if (nargs != f->type->n) {
        return wc_error_set(err, WC_EINVAL, "the function takes %u arguments, %zu given",
                            f->type->n, nargs);
    }
    if (ci->in_call) {
        poison(ci);
        return wc_error_set(err, WC_ETRAP, "trap: cannot enter a component instance reentrantly");
    }
    if (f->host != NULL) {
        wc_ccall call = {ci, ci->host, arena};

        return f->host(&call, f->host_data, args, result, err);
    }
    ci->in_call = 1;
    rc = call_lifted(ci, f, args, result, arena, err);
    ci->in_call = 0;
    if (rc == WC_ETRAP) {
        poison(ci);
    }
    return rc;
}

const wc_ctype *
wc_cfunc_type(const wc_cfunc *f)
{
    return f->type;
}

/* ---- canon resource builtins ---- */

typedef struct resop {
    wc_cinst *inst;
    const ctype *node;
} resop;

static int
resource_new_cb(void *data, const wc_val *args, wc_val *results, wc_error *err)
{
    resop *r = data;
    uint32_t idx;
    int rc;

    if (!r->inst->may_leave) {
        return wc_error_set(err, WC_ETRAP, "trap: resource.new not allowed here");
    }
    rc = wc__handle_add(r->inst, wc__cinst_rtype(r->inst, r->node), args[0].i32, 1, 0, &idx, err);
    results[0].i32 = idx;
    return rc;
}

static int
resource_rep_cb(void *data, const wc_val *args, wc_val *results, wc_error *err)
{
    resop *r = data;
    chandle *h = wc__handle_get(r->inst, args[0].i32);

    if (h == NULL || h->rt != wc__cinst_rtype(r->inst, r->node)) {
        return wc_error_set(err, WC_ETRAP, "trap: resource.rep of an invalid handle");
    }
    results[0].i32 = h->rep;
    return 0;
}

static int
resource_drop_cb(void *data, const wc_val *args, wc_val *results, wc_error *err)
{
    resop *r = data;
    uint32_t idx = args[0].i32;
    chandle *h = wc__handle_get(r->inst, idx);
    chandle copy;

    (void)results;
    if (!r->inst->may_leave) {
        return wc_error_set(err, WC_ETRAP, "trap: resource.drop not allowed here");
    }
    if (h == NULL || h->rt != wc__cinst_rtype(r->inst, r->node)) {
        return wc_error_set(err, WC_ETRAP, "trap: resource.drop of an invalid handle");
    }
    if (h->lends != 0) {
        return wc_error_set(err, WC_ETRAP, "trap: cannot drop a handle that is lent out");
    }
    copy = *h;
    wc__handle_remove(r->inst, idx);
    if (!copy.own) {
        return 0;
    }
    return wc__resource_destroy(r->inst->root, copy.rt, copy.rep, err);
}

/* ---- instantiation ---- */

typedef struct builder {
    wc_cinstance *ci;
    const link_plan *plan;
    wc_error *err;
} builder;

static wc_cinst *
new_cinst(wc_cinstance *ci, wc_cinst *parent, const ccomp *comp)
{
    wc_cinst *inst = wc_xcalloc(1, sizeof(*inst));

    inst->root = ci;
    inst->parent = parent;
    inst->comp = comp;
    inst->may_leave = 1;
    wc_vec_push(&ci->all, inst);
    return inst;
}

static void
free_cinst(wc_cinst *inst)
{
    for (size_t i = 0; i < inst->core_instances.n; i++) {
        free(inst->core_instances.v[i]->names);
        free(inst->core_instances.v[i]->externs);
        free(inst->core_instances.v[i]);
    }
    wc_vec_free(&inst->env_keys);
    wc_vec_free(&inst->env_vals);
    wc_vec_free(&inst->core_funcs);
    wc_vec_free(&inst->core_tables);
    wc_vec_free(&inst->core_memories);
    wc_vec_free(&inst->core_globals);
    wc_vec_free(&inst->core_modules);
    wc_vec_free(&inst->core_instances);
    wc_vec_free(&inst->funcs);
    wc_vec_free(&inst->types);
    wc_vec_free(&inst->instances);
    wc_vec_free(&inst->components);
    wc_vec_free(&inst->handles);
    wc_vec_free(&inst->free_handles);
    wc_vec_free(&inst->exports);
    free(inst);
}

/* Find export name of a core instance; *hint (position + 1, 0 if unknown) is
 * checked first and updated. */
static int
core_export(ccoreinst *ci, const char *name, uint32_t *hint, wc_extern *out)
{
    uint32_t h = *hint;

    if (ci->inst != NULL) {
        return wc_instance_export_hinted(ci->inst, name, hint, out);
    }
    if (h == 0 || h > ci->n || strcmp(ci->names[h - 1], name) != 0) {
        for (h = 1; h <= ci->n && strcmp(ci->names[h - 1], name) != 0; h++) {
        }
        if (h > ci->n) {
            return WC_ENOENT;
        }
        *hint = h;
    }
    *out = ci->externs[h - 1];
    return 0;
}

/* The hints of a core instantiation: per import, (argument + 1) << 32 | export hint. */
typedef struct core_hints {
    uint32_t n;
    _Atomic uint64_t h[];
} core_hints;

static core_hints *
hints_for(const cdef *d, uint32_t n)
{
    _Atomic(void *) *slot = &((cdef *)d)->hints; /* a cache: see cdef */
    core_hints *h = atomic_load_explicit(slot, memory_order_acquire);

    if (h == NULL) {
        void *expected = NULL;
        core_hints *mine = wc_xcalloc(1, sizeof(*mine) + (n + 1) * sizeof(mine->h[0]));

        mine->n = n;
        if (atomic_compare_exchange_strong(slot, &expected, mine)) {
            h = mine;
        } else {
            free(mine);
            h = expected;
        }
    }
    return h->n == n ? h : NULL;
}

static void
push_core(wc_cinst *inst, uint8_t csort, const wc_extern *e)
{
    switch (csort) {
    case CSORT_FUNC: wc_vec_push(&inst->core_funcs, e->u.func); break;
    case CSORT_TABLE: wc_vec_push(&inst->core_tables, e->u.table); break;
    case CSORT_MEMORY: wc_vec_push(&inst->core_memories, e->u.memory); break;
    case CSORT_GLOBAL: wc_vec_push(&inst->core_globals, e->u.global); break;
    }
}

static const char *const csort_names[] = {"func", "table", "memory", "global"};

static int
core_instantiate(builder *b, wc_cinst *inst, const cdef *d)
{
    wc_module *m = inst->core_modules.v[d->a];
    uint32_t n = wc_module_import_count(m);
    wc_extern *imports = wc_xcalloc(n + 1, sizeof(*imports));
    ccoreinst *ci = wc_xcalloc(1, sizeof(*ci));
    int rc = 0;

    core_hints *hints = hints_for(d, n);

    for (uint32_t i = 0; i < n && rc == 0; i++) {
        uint64_t hv = hints != NULL ? atomic_load_explicit(&hints->h[i], memory_order_relaxed) : 0;
        uint32_t k = (uint32_t)(hv >> 32), x = (uint32_t)hv;
        wc_importdesc id;
        ccoreinst *src = NULL;

        wc_module_import(m, i, &id);
        if (k == 0 || k > d->nargs || strcmp(d->args[k - 1].name, id.module) != 0) {
            for (k = 1; k <= d->nargs && strcmp(d->args[k - 1].name, id.module) != 0; k++) {
            }
        }
        if (k <= d->nargs) {
            src = inst->core_instances.v[d->args[k - 1].index];
        }
        if (src == NULL) {
            rc = wc_error_set(b->err, WC_ELINK,
                              "component wiring: nothing supplies core import \"%s\" \"%s\"",
                              id.module, id.name);
        } else if (core_export(src, id.name, &x, &imports[i]) != 0) {
            rc = wc_error_set(b->err, WC_ELINK,
                              "component wiring: core import \"%s\" \"%s\" (%s) is not exported "
                              "by the instance passed as \"%s\"",
                              id.module, id.name, csort_names[id.kind & 3], id.module);
        } else if (hints != NULL) {
            atomic_store_explicit(&hints->h[i], (uint64_t)k << 32 | x, memory_order_relaxed);
        }
    }
    if (rc == 0) {
        rc = wc_instance_new(b->ci->store, m, imports, n, &ci->inst, b->err);
    }
    free(imports);
    if (rc != 0) {
        free(ci);
        return rc;
    }
    wc_vec_push(&inst->core_instances, ci);
    return 0;
}

static int
core_bag(builder *b, wc_cinst *inst, const cdef *d)
{
    ccoreinst *ci = wc_xcalloc(1, sizeof(*ci));

    (void)b;
    ci->n = d->nargs;
    ci->names = wc_xcalloc(d->nargs + 1, sizeof(char *));
    ci->externs = wc_xcalloc(d->nargs + 1, sizeof(wc_extern));
    for (uint32_t i = 0; i < d->nargs; i++) {
        const carg *a = &d->args[i];
        wc_extern *e = &ci->externs[i];

        ci->names[i] = a->name;
        switch (a->csort) {
        case CSORT_FUNC:
            e->kind = WC_EXTERN_FUNC;
            e->u.func = inst->core_funcs.v[a->index];
            break;
        case CSORT_TABLE:
            e->kind = WC_EXTERN_TABLE;
            e->u.table = inst->core_tables.v[a->index];
            break;
        case CSORT_MEMORY:
            e->kind = WC_EXTERN_MEMORY;
            e->u.memory = inst->core_memories.v[a->index];
            break;
        case CSORT_GLOBAL:
            e->kind = WC_EXTERN_GLOBAL;
            e->u.global = inst->core_globals.v[a->index];
            break;
        }
    }
    wc_vec_push(&inst->core_instances, ci);
    return 0;
}

/* The item at (sort, index) of inst's spaces. */
static citem
item_at(wc_cinst *inst, uint8_t sort, uint8_t csort, uint32_t idx)
{
    citem it;

    memset(&it, 0, sizeof(it));
    it.sort = sort;
    it.csort = csort;
    switch (sort) {
    case SORT_FUNC: it.u.func = inst->funcs.v[idx]; break;
    case SORT_TYPE: it = inst->types.v[idx]; break;
    case SORT_INSTANCE: it.u.inst = inst->instances.v[idx]; break;
    case SORT_COMPONENT: it.u.comp = inst->components.v[idx]; break;
    case SORT_CORE: it.u.module = inst->core_modules.v[idx]; break;
    }
    it.sort = sort;
    return it;
}

/* Add an item to the space of its sort (imports, aliases, exports all do this). */
static void
push_item(wc_cinst *inst, const citem *it, const ctype *static_type)
{
    switch (it->sort) {
    case SORT_FUNC: wc_vec_push(&inst->funcs, it->u.func); break;
    case SORT_TYPE: {
        citem t = *it;

        if (static_type != NULL) {
            t.u.type.t = static_type;
        }
        if (t.u.type.rt == NULL && t.u.type.t != NULL) {
            t.u.type.rt = wc__cinst_rtype(inst, t.u.type.t);
        }
        if (t.u.type.rt != NULL && static_type != NULL) {
            env_bind(inst, static_type, t.u.type.rt);
        }
        wc_vec_push(&inst->types, t);
        break;
    }
    case SORT_INSTANCE: wc_vec_push(&inst->instances, it->u.inst); break;
    case SORT_COMPONENT: wc_vec_push(&inst->components, it->u.comp); break;
    case SORT_CORE: wc_vec_push(&inst->core_modules, it->u.module); break;
    }
}

static wc_cinstval *
new_instval(builder *b, uint32_t n)
{
    wc_cinstval *iv = wc_arena_calloc(&b->ci->arena, 1, sizeof(*iv));

    iv->n = n;
    iv->items = wc_arena_calloc(&b->ci->arena, n + 1, sizeof(citem));
    return iv;
}

/* An imported instance served by the linker. */
static int
link_instance(builder *b, wc_cinst *inst, const cdef *d, wc_cinstval **out)
{
    const ctype *it = d->type;
    const link_entry *le = &b->plan->imports[d - inst->comp->defs];
    liface *li = le->li;
    wc_cinstval *iv;

    iv = new_instval(b, it->n);
    for (uint32_t i = 0; i < it->n; i++) {
        const cdecl *decl = &it->decls[i];
        citem *item = &iv->items[i];

        item->sort = decl->sort;
        item->name = decl->name;
        if (li == NULL && (decl->sort == SORT_FUNC ||
                           (decl->sort == SORT_TYPE && decl->type->kind == CT_ABSTRACT &&
                            wc__cinst_rtype(inst, decl->type) == NULL))) {
            /* Only an interface of plain types needs nothing from the host. */
            return wc_error_set(b->err, WC_ELINK,
                                "the component imports %s, which this host does not provide",
                                d->name);
        }
        if (decl->sort == SORT_FUNC) {
            lfunc *lf = le->items[i];
            wc_cfunc *f;

            if (lf == NULL) {
                return wc_error_set(b->err, WC_ELINK,
                                    "the component imports %s function \"%s\", which this host "
                                    "does not provide",
                                    d->name, decl->name);
            }
            f = wc_arena_calloc(&b->ci->arena, 1, sizeof(*f));
            f->type = decl->type;
            f->owner = inst;
            f->host = lf->fn;
            f->host_data = lf->data;
            item->u.func = f;
        } else if (decl->sort == SORT_TYPE) {
            item->u.type.t = decl->type;
            if (decl->type->kind == CT_ABSTRACT) {
                wc_rtype *rt = wc__cinst_rtype(inst, decl->type);

                if (rt == NULL && li != NULL) {
                    rt = le->items[i];
                }
                if (rt == NULL) {
                    return wc_error_set(b->err, WC_ELINK,
                                        "the component imports %s resource \"%s\", which this "
                                        "host does not provide",
                                        d->name, decl->name);
                }
                env_bind(inst, decl->type, rt);
                item->u.type.rt = rt;
            } else {
                item->u.type.rt = wc__cinst_rtype(inst, decl->type);
            }
        } else {
            return wc_error_set(b->err, WC_ENOTSUP,
                                "the component imports %s with a nested %s, which this host does "
                                "not support",
                                d->name, decl->sort == SORT_INSTANCE ? "instance" : "item");
        }
    }
    *out = iv;
    return 0;
}

static int instantiate(builder *b, wc_cinst *inst, const citem *args, const carg *argdefs,
                       uint32_t nargs);

static int
check_lift_type(builder *b, const cdef *d, wc_func *core)
{
    uint8_t params[WC_MAX_FLAT_PARAMS + 2], results[2];
    uint32_t np, nr;
    const wc_functype *t = wc_func_type(core);

    wc__cabi_flatten_func(d->type, 0, params, &np, results, &nr);
    if (t->nparams != np || t->nresults != nr || memcmp(t->params, params, np) != 0 ||
        memcmp(t->results, results, nr) != 0) {
        return wc_error_set(b->err, WC_EINVAL,
                            "canon lift: the core function's type does not match the lifted "
                            "function type");
    }
    return 0;
}

static int
do_def(builder *b, wc_cinst *inst, const cdef *d, const citem *args, const carg *argdefs,
       uint32_t nargs)
{
    int rc = 0;

    switch (d->kind) {
    case D_CORE_MODULE: wc_vec_push(&inst->core_modules, inst->comp->compiled[d->a]); break;
    case D_CORE_INSTANTIATE: rc = core_instantiate(b, inst, d); break;
    case D_CORE_EXPORTS: rc = core_bag(b, inst, d); break;
    case D_CORE_TYPE: break;
    case D_COMPONENT: wc_vec_push(&inst->components, inst->comp->components[d->a]); break;
    case D_INSTANTIATE: {
        const ccomp *c = inst->components.v[d->a];
        wc_cinst *child = new_cinst(b->ci, inst, c);
        citem *cargs = wc_xcalloc(d->nargs + 1, sizeof(citem));
        wc_cinstval *iv;

        for (uint32_t i = 0; i < d->nargs; i++) {
            cargs[i] = item_at(inst, d->args[i].sort, d->args[i].csort, d->args[i].index);
            cargs[i].name = d->args[i].name;
        }
        rc = instantiate(b, child, cargs, d->args, d->nargs);
        free(cargs);
        if (rc != 0) {
            return rc;
        }
        iv = new_instval(b, (uint32_t)child->exports.n);
        memcpy(iv->items, child->exports.v, child->exports.n * sizeof(citem));
        wc_vec_push(&inst->instances, iv);
        break;
    }
    case D_INSTANCE_EXPORTS: {
        wc_cinstval *iv = new_instval(b, d->nargs);

        for (uint32_t i = 0; i < d->nargs; i++) {
            iv->items[i] = item_at(inst, d->args[i].sort, d->args[i].csort, d->args[i].index);
            iv->items[i].name = d->args[i].name;
        }
        wc_vec_push(&inst->instances, iv);
        break;
    }
    case D_ALIAS_EXPORT: {
        wc_cinstval *iv = inst->instances.v[d->a];
        const citem *found = NULL;
        _Atomic uint32_t *hint = &((cdef *)d)->hint; /* a cache: see cdef */
        uint32_t h = atomic_load_explicit(hint, memory_order_relaxed);

        if (h != 0 && h <= iv->n && iv->items[h - 1].name != NULL &&
            strcmp(iv->items[h - 1].name, d->name) == 0) {
            found = &iv->items[h - 1];
        }
        for (uint32_t i = 0; i < iv->n && found == NULL; i++) {
            if (iv->items[i].name != NULL && strcmp(iv->items[i].name, d->name) == 0) {
                found = &iv->items[i];
                atomic_store_explicit(hint, i + 1, memory_order_relaxed);
            }
        }
        if (found == NULL) {
            return wc_error_set(b->err, WC_ELINK, "instance %u has no export \"%s\"", d->a,
                                d->name);
        }
        push_item(inst, found, d->sort == SORT_TYPE ? d->type : NULL);
        break;
    }
    case D_ALIAS_CORE_EXPORT: {
        _Atomic uint32_t *hint = &((cdef *)d)->hint; /* a cache: see cdef */
        uint32_t h = atomic_load_explicit(hint, memory_order_relaxed);
        wc_extern e;

        if (core_export(inst->core_instances.v[d->a], d->name, &h, &e) == 0) {
            atomic_store_explicit(hint, h, memory_order_relaxed);
        } else {
            return wc_error_set(b->err, WC_ELINK, "core instance %u has no export \"%s\"", d->a,
                                d->name);
        }
        push_core(inst, d->csort, &e);
        break;
    }
    case D_ALIAS_OUTER: {
        citem it;

        memset(&it, 0, sizeof(it));
        it.sort = d->sort;
        if (d->sort == SORT_TYPE) {
            it.u.type.t = d->type;
            push_item(inst, &it, d->type);
        } else if (d->sort == SORT_COMPONENT) {
            it.u.comp = d->outer_comp;
            push_item(inst, &it, NULL);
        } else if (d->csort == CSORT_MODULE) {
            wc_vec_push(&inst->core_modules, d->outer_comp->compiled[d->outer_module]);
        }
        break;
    }
    case D_TYPE: {
        citem it;

        memset(&it, 0, sizeof(it));
        it.sort = SORT_TYPE;
        it.u.type.t = d->type;
        if (d->type->kind == CT_RESOURCE) {
            wc_rtype *rt = wc_arena_calloc(&b->ci->arena, 1, sizeof(*rt));

            rt->name = d->type->names ? d->type->names[0] : "resource";
            rt->impl = inst;
            rt->dtor = d->type->dtor != UINT32_MAX ? inst->core_funcs.v[d->type->dtor] : NULL;
            env_bind(inst, d->type, rt);
            it.u.type.rt = rt;
        }
        wc_vec_push(&inst->types, it);
        break;
    }
    case D_CANON_LIFT: {
        wc_cfunc *f = wc_arena_calloc(&b->ci->arena, 1, sizeof(*f));

        f->type = d->type;
        f->owner = inst;
        f->core = inst->core_funcs.v[d->a];
        f->memory = d->opts.memory != UINT32_MAX ? inst->core_memories.v[d->opts.memory] : NULL;
        f->realloc = d->opts.realloc != UINT32_MAX ? inst->core_funcs.v[d->opts.realloc] : NULL;
        f->post_return =
            d->opts.post_return != UINT32_MAX ? inst->core_funcs.v[d->opts.post_return] : NULL;
        f->encoding = d->opts.encoding;
        if ((rc = check_lift_type(b, d, f->core)) != 0) {
            return rc;
        }
        wc_vec_push(&inst->funcs, f);
        break;
    }
    case D_CANON_LOWER: {
        lowered *L = wc_arena_calloc(&b->ci->arena, 1, sizeof(*L));

        L->callee = inst->funcs.v[d->a];
        L->caller = inst;
        L->memory = d->opts.memory != UINT32_MAX ? inst->core_memories.v[d->opts.memory] : NULL;
        L->realloc = d->opts.realloc != UINT32_MAX ? inst->core_funcs.v[d->opts.realloc] : NULL;
        L->encoding = d->opts.encoding;
        wc_vec_push(&inst->core_funcs,
                    wc_func_new_host_interned(b->ci->store, d->sig_id, lower_cb, L));
        break;
    }
    case D_RESOURCE_NEW:
    case D_RESOURCE_DROP:
    case D_RESOURCE_REP: {
        resop *r = wc_arena_calloc(&b->ci->arena, 1, sizeof(*r));
        wc_host_cb cb = d->kind == D_RESOURCE_NEW    ? resource_new_cb
                        : d->kind == D_RESOURCE_DROP ? resource_drop_cb
                                                     : resource_rep_cb;

        r->inst = inst;
        r->node = d->type;
        wc_vec_push(&inst->core_funcs, wc_func_new_host_interned(b->ci->store, d->sig_id, cb, r));
        break;
    }
    case D_IMPORT: {
        citem it;

        memset(&it, 0, sizeof(it));
        if (inst->parent == NULL) {
            wc_cinstval *iv = NULL;

            if (d->sort != SORT_INSTANCE) {
                return wc_error_set(b->err, WC_ELINK,
                                    "the component imports \"%s\" as a %s; this host provides "
                                    "only interface instances",
                                    d->name, d->sort == SORT_FUNC ? "function" : "non-instance");
            }
            if ((rc = link_instance(b, inst, d, &iv)) != 0) {
                return rc;
            }
            it.sort = SORT_INSTANCE;
            it.u.inst = iv;
            push_item(inst, &it, NULL);
            break;
        }
        for (uint32_t i = 0; i < nargs; i++) {
            if (strcmp(argdefs[i].name, d->name) == 0) {
                it = args[i];
                break;
            }
        }
        if (it.sort != d->sort || (it.sort == SORT_FUNC && it.u.func == NULL)) {
            return wc_error_set(b->err, WC_ELINK, "nested component import \"%s\" was not supplied",
                                d->name);
        }
        if (d->sort == SORT_TYPE && d->type != NULL && d->type->kind == CT_ABSTRACT) {
            if (it.u.type.rt == NULL) {
                return wc_error_set(b->err, WC_ELINK,
                                    "nested component import \"%s\" needs a resource type",
                                    d->name);
            }
            env_bind(inst, d->type, it.u.type.rt);
        }
        push_item(inst, &it, d->sort == SORT_TYPE ? d->type : NULL);
        break;
    }
    case D_EXPORT: {
        citem it = item_at(inst, d->sort, d->csort, d->a);

        it.name = d->name;
        if (d->sort == SORT_TYPE && it.u.type.rt == NULL && it.u.type.t != NULL) {
            it.u.type.rt = wc__cinst_rtype(inst, it.u.type.t);
        }
        wc_vec_push(&inst->exports, it);
        push_item(inst, &it, d->sort == SORT_TYPE ? d->type : NULL);
        break;
    }
    }
    return rc;
}

static int
instantiate(builder *b, wc_cinst *inst, const citem *args, const carg *argdefs, uint32_t nargs)
{
    const ccomp *c = inst->comp;

    for (uint32_t i = 0; i < c->ndefs; i++) {
        int rc = do_def(b, inst, &c->defs[i], args, argdefs, nargs);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int
wc_cinstance_new(wc_component *c, wc_linker *l, void *host, uint64_t deadline_ns,
                 wc_cinstance **out, wc_error *err)
{
    wc_cinstance *ci = wc_xcalloc(1, sizeof(*ci));
    builder b = {ci, plan_get(c, l), err};
    int rc;

    ci->component = wc_component_ref(c);
    ci->store = wc_store_new(c->engine);
    ci->host = host;
    wc_arena_init(&ci->arena, 16 * 1024);
    if (deadline_ns != 0) {
        wc_store_set_deadline(ci->store, deadline_ns);
    }
    if (c->max_memory_bytes != 0) {
        wc_store_set_max_memory(ci->store, c->max_memory_bytes);
    }
    ci->top = new_cinst(ci, NULL, c->root);
    if ((rc = instantiate(&b, ci->top, NULL, NULL, 0)) != 0) {
        wc_cinstance_free(ci);
        return rc;
    }
    *out = ci;
    return 0;
}

void
wc_cinstance_free(wc_cinstance *ci)
{
    if (ci == NULL) {
        return;
    }
    /* Host objects the guest still owned go back to the host. */
    for (size_t i = 0; i < ci->objs.n; i++) {
        if (ci->objs.v[i].t != NULL && ci->objs.v[i].t->drop != NULL) {
            ci->objs.v[i].t->drop(ci->host, ci->objs.v[i].obj);
        }
    }
    wc_vec_free(&ci->objs);
    wc_vec_free(&ci->free_objs);
    for (size_t i = 0; i < ci->all.n; i++) {
        free_cinst(ci->all.v[i]);
    }
    wc_vec_free(&ci->all);
    wc_vec_free(&ci->rtypes);
    wc_store_free(ci->store);
    wc_arena_release(&ci->arena);
    wc_component_unref(ci->component);
    free(ci);
}

int
wc_cinstance_poisoned(const wc_cinstance *ci)
{
    return ci->poisoned || wc_store_poisoned(ci->store);
}

void *
wc_cinstance_host(const wc_cinstance *ci)
{
    return ci->host;
}

int
wc_cinstance_func(wc_cinstance *ci, const char *iface, const char *name, wc_cfunc **out,
                  wc_error *err)
{
    wc_cinst *top = ci->top;

    for (size_t i = 0; i < top->exports.n; i++) {
        citem *it = &top->exports.v[i];

        if (iface == NULL) {
            if (it->sort == SORT_FUNC && strcmp(it->name, name) == 0) {
                *out = it->u.func;
                return 0;
            }
            continue;
        }
        if (it->sort != SORT_INSTANCE || !wc__name_matches(it->name, iface)) {
            continue;
        }
        for (uint32_t k = 0; k < it->u.inst->n; k++) {
            citem *f = &it->u.inst->items[k];

            if (f->sort == SORT_FUNC && strcmp(f->name, name) == 0) {
                *out = f->u.func;
                return 0;
            }
        }
    }
    return wc_error_set(err, WC_ENOENT, "the component does not export %s%s%s", iface ? iface : "",
                        iface ? " function " : "function ", name);
}

void
wc_component_set_max_memory(wc_component *c, uint64_t bytes)
{
    c->max_memory_bytes = bytes;
}

int
wc_component_exports(const wc_component *c, const char *name)
{
    for (uint32_t i = 0; i < c->root->ndefs; i++) {
        const cdef *d = &c->root->defs[i];

        if (d->kind == D_EXPORT && wc__name_matches(d->name, name)) {
            return 1;
        }
    }
    return 0;
}
