/*
 * cparse.h - a parsed component: its definitions in order, with static types.
 *
 * The parser reads the component binary format (version 0x0d, layer 1) and
 * keeps every definition in file order, because index spaces grow in that
 * order and instantiation (cinst.c) replays them. Everything knowable
 * without running anything is resolved here: types become ctype nodes,
 * outer aliases become direct references, core modules are sliced out of
 * the binary (compiled later), and every index is checked against its space.
 */
#ifndef WC_COMPONENT_CPARSE_H
#define WC_COMPONENT_CPARSE_H

#include "base/arena.h"
#include "base/error.h"
#include "component/ctype.h"

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

enum cdef_kind {
    D_CORE_MODULE,       /* a = module index in ccomp.modules */
    D_CORE_INSTANTIATE,  /* a = core module index; args: name -> core instance */
    D_CORE_EXPORTS,      /* args: name -> (core sort, index) */
    D_CORE_TYPE,         /* a core type (no runtime effect) */
    D_COMPONENT,         /* a = nested component index in ccomp.components */
    D_INSTANTIATE,       /* a = component index; args: name -> (sort, index) */
    D_INSTANCE_EXPORTS,  /* args: name -> (sort, index) */
    D_ALIAS_EXPORT,      /* sort, a = instance index, name */
    D_ALIAS_CORE_EXPORT, /* csort, a = core instance index, name */
    D_ALIAS_OUTER,       /* sort; resolved statically: type, module or component */
    D_TYPE,              /* type */
    D_CANON_LIFT,        /* a = core func, type = func type, opts */
    D_CANON_LOWER,       /* a = func, opts */
    D_RESOURCE_NEW,      /* type = resource */
    D_RESOURCE_DROP,     /* type = resource (any) */
    D_RESOURCE_REP,      /* type = resource */
    D_IMPORT,            /* name, sort, type */
    D_EXPORT             /* name, sort, a = index, type (declared, may be NULL) */
};

enum { ENC_UTF8 = 0, ENC_UTF16 = 1, ENC_LATIN1_UTF16 = 2 };

typedef struct copts {
    uint8_t encoding;
    uint32_t memory;      /* core memory index, or UINT32_MAX */
    uint32_t realloc;     /* core func index, or UINT32_MAX */
    uint32_t post_return; /* core func index, or UINT32_MAX */
} copts;

typedef struct carg {
    const char *name;
    uint8_t sort;  /* SORT_* (component level) */
    uint8_t csort; /* core sort, when sort == SORT_CORE or in core definitions */
    uint32_t index;
} carg;

typedef struct ccomp ccomp;

typedef struct cdef {
    uint8_t kind;
    uint8_t sort, csort;
    uint32_t a;
    const char *name;
    const ctype *type;
    uint32_t nargs;
    const carg *args;
    copts opts;
    /* D_ALIAS_OUTER: the resolved target. */
    uint32_t outer_module;   /* index in the outer component's modules (with outer_comp) */
    const ccomp *outer_comp; /* for modules: whose module list; for components: the target */
    /* canon lower, resource.new/drop/rep: the core function type, interned
     * by wc_component_new (wc_functype_intern) */
    uint32_t sig_id;
    /* Where instantiation found what this def names last time, so the next
     * instantiation checks one place instead of searching (cinst.c): for a
     * core instantiation a malloc'd array (one hint per import), for an
     * alias a position + 1. A cache beside the definition, not part of it. */
    _Atomic(void *) hints;
    _Atomic uint32_t hint;
} cdef;

/* A core module, sliced out of the binary. */
typedef struct cmodule {
    const uint8_t *bytes;
    size_t len;
} cmodule;

struct ccomp {
    wc_arena *arena; /* shared by the whole tree */
    const ccomp *parent;
    uint32_t ndefs;
    cdef *defs;
    uint32_t nmodules;
    cmodule *modules;
    struct wc_module **compiled; /* filled by wc_component_new, parallel to modules */
    uint32_t ncomponents;
    ccomp **components;
    /* Static information about index spaces, for reporting and checks. */
    uint32_t nimports, nexports;
    uint32_t ntypes;
    const ctype **types; /* the type index space */
};

/**
 * Parse a component binary. bytes must outlive the result (module slices
 * point into it). On error returns WC_EINVAL (malformed or invalid) or
 * WC_ENOTSUP (a feature this host does not run: async, values, ...), with a
 * message that names the section and offset.
 */
int wc_cparse(const uint8_t *bytes, size_t len, wc_arena *arena, ccomp **out, wc_error *err);

/** Is this binary a component (as opposed to a core module)? */
int wc_is_component(const uint8_t *bytes, size_t len);

#endif
