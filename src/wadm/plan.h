/*
 * plan.h - the reconciler's pure core: desired applications + observed
 * lattice -> the commands that close the gap, and each application's status.
 *
 * wadm_plan() does no I/O and keeps no state: the same inputs give the same
 * commands, in the order they must be sent (configs, then providers and
 * components, then links; removals after additions), so it is tested as a
 * table of cases (tests/unit/test_wadm_plan.c).
 *
 * Ownership: wadm marks what it starts with annotations
 * (wasmcloud.dev/managed-by: wadm, wasmcloud.dev/appspec: APP, ...). Running
 * components and providers marked with an app are that app's: stopped when
 * the app no longer wants them. Anything unmarked is left alone. Links and
 * managed configs are an app's when any version of it defines them.
 */
#ifndef WC_WADM_PLAN_H
#define WC_WADM_PLAN_H

#include "base/arena.h"
#include "base/vec.h"
#include "lattice/lattice_types.h"
#include "wadm/manifest.h"

#define WADM_ANN_MANAGED "wasmcloud.dev/managed-by"
#define WADM_ANN_APP     "wasmcloud.dev/appspec"
#define WADM_ANN_SCALER  "wasmcloud.dev/scaler"
#define WADM_ANN_SPREAD  "wasmcloud.dev/spread_name"

/* Something running on a host: a component (count = max_instances) or a provider. */
typedef struct wadm_running {
    const char *id, *image;
    uint32_t count;
    const char *app;    /* the appspec annotation, or NULL */
    const char *spread; /* the spread_name annotation, or NULL */
} wadm_running;

typedef struct wadm_host {
    const char *id;
    const wc_lt_strmap *labels;
    const wadm_running *components;
    size_t ncomponents;
    const wadm_running *providers;
    size_t nproviders;
} wadm_host;

typedef struct wadm_state {
    const wadm_host *hosts;
    size_t nhosts;
    const wc_lt_link *links;
    size_t nlinks;
    /* Configs as stored (name -> object of strings); only names the apps
     * manage are looked up. NULL: none known. */
    const json_t *configs;
} wadm_state;

typedef struct wadm_app {
    const char *name;
    const wadm_manifest *deployed;        /* NULL: undeployed (clean up) */
    const wadm_manifest *const *versions; /* every stored version (for ownership) */
    size_t nversions;
} wadm_app;

typedef enum wadm_cmd_kind {
    WADM_PUT_CONFIG,
    WADM_START_PROVIDER,
    WADM_SCALE_COMPONENT,
    WADM_UPDATE_COMPONENT,
    WADM_PUT_LINK,
    WADM_DELETE_LINK,
    WADM_STOP_PROVIDER,
    WADM_DELETE_CONFIG
} wadm_cmd_kind;

typedef struct wadm_cmd {
    wadm_cmd_kind kind;
    const char *app;
    const char *host_id; /* scale, update, start, stop */
    const char *id;      /* component or provider id */
    const char *image;   /* scale, update, start */
    uint32_t count;      /* scale */
    const char *scaler;  /* annotation values */
    const char *spread;
    wc_lt_strlist config;    /* scale, start: config names */
    wc_lt_link link;         /* put/delete link */
    const char *config_name; /* put/delete config */
    const wadm_map *config_values;
} wadm_cmd;

typedef enum wadm_status_type {
    WADM_ST_DEPLOYED,
    WADM_ST_RECONCILING,
    WADM_ST_WAITING,
    WADM_ST_FAILED,
    WADM_ST_UNDEPLOYED
} wadm_status_type;

typedef struct wadm_app_status {
    const char *app;
    wadm_status_type type;
    const char *message; /* "" when there is nothing to say */
} wadm_app_status;

typedef struct wadm_plan {
    wc_arena arena;
    WC_VEC(wadm_cmd) cmds;
    WC_VEC(wadm_app_status) statuses; /* one per app, in input order */
} wadm_plan;

/** Plan for every app against the observed state. Release with wadm_plan_release. */
void wadm_plan_compute(const wadm_app *apps, size_t napps, const wadm_state *st, wadm_plan *out);
void wadm_plan_release(wadm_plan *p);

const char *wadm_status_name(wadm_status_type t);
/** One line describing a command, for logs and tests ("scale hello on NABC to 4"). */
const char *wadm_cmd_describe(const wadm_cmd *c, char *buf, size_t size);

#endif
