/*
 * manifest.h - wasmCloud OAM application manifests (core.oam.dev/v1beta1).
 *
 * wadm_manifest_parse() reads YAML (or JSON, which libyaml reads as YAML)
 * into a validated wadm_manifest. Errors name the path in the manifest and
 * the line: "spec.components[1].traits[0].properties.instances: expected an
 * integer (line 17)". Unknown keys are refused, as wadm's serde types do.
 *
 * Everything lives in the manifest's arena; free it with wadm_manifest_free.
 * Derived names (component ids, managed config names) are computed here, so
 * the planner sees final names.
 */
#ifndef WC_WADM_MANIFEST_H
#define WC_WADM_MANIFEST_H

#include "base/arena.h"
#include "base/error.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wadm_kv {
    char *key, *value;
} wadm_kv;

/* A map of strings in document order. */
typedef struct wadm_map {
    wadm_kv *v;
    size_t n;
} wadm_map;

/* A config reference: named (must already exist) or managed (with properties). */
typedef struct wadm_config {
    char *name;       /* as written in the manifest */
    char *store_name; /* the CONFIGDATA name: "{app}-{name}" sanitized if managed, else name */
    int managed;      /* properties were given: wadm puts (and later deletes) it */
    wadm_map properties;
} wadm_config;

typedef struct wadm_configs {
    wadm_config *v;
    size_t n;
} wadm_configs;

typedef struct wadm_spread {
    char *name;            /* default "default" */
    wadm_map requirements; /* host labels that must all match */
    uint32_t weight;       /* default 100 */
} wadm_spread;

typedef enum wadm_scaler_kind { WADM_SPREAD, WADM_DAEMON } wadm_scaler_kind;

typedef struct wadm_scaler {
    wadm_scaler_kind kind;
    uint32_t instances; /* "instances" or its alias "replicas" */
    wadm_spread *spreads;
    size_t nspreads; /* 0: one default spread with no requirements */
} wadm_scaler;

typedef struct wadm_link {
    char *target;                      /* the target component's manifest name */
    char *namespace_, *package, *name; /* name defaults to "default" */
    char **interfaces;
    size_t ninterfaces;
    wadm_configs source_config, target_config;
} wadm_link;

typedef enum wadm_component_kind { WADM_COMPONENT, WADM_CAPABILITY } wadm_component_kind;

typedef struct wadm_component {
    char *name;
    wadm_component_kind kind;            /* "component" (alias "actor") or "capability" */
    char *image;                         /* NULL when shared (application set) */
    char *shared_app, *shared_component; /* properties.application */
    char *id;                            /* properties.id, or "{app}-{name}" sanitized */
    wadm_configs config;
    int has_scaler;
    wadm_scaler scaler;
    wadm_link *links;
    size_t nlinks;
    int line; /* where it starts, for messages */
} wadm_component;

typedef struct wadm_manifest {
    wc_arena arena;
    char *name;
    char *version;     /* NULL if the manifest has none (the store assigns one) */
    char *description; /* NULL if none */
    int shared;        /* experimental.wasmcloud.dev/shared: "true" */
    wadm_map annotations, labels;
    wadm_component *components;
    size_t ncomponents;
    json_t *json; /* the manifest as JSON (for model.get and storage) */
} wadm_manifest;

/**
 * Parse and validate text (YAML or JSON) of len bytes. base_dir, if not NULL,
 * is where relative file:// images resolve ("file://./app.wasm" and
 * "file://app.wasm" become file:///base/dir/app.wasm). On error returns
 * WC_EINVAL with the path and line in err, and *out is untouched; WC_ELIMIT
 * for text over 1 MiB, nesting deeper than 64 or more than 100000 nodes.
 * Several YAML documents and YAML aliases are refused.
 */
int wadm_manifest_parse(const char *text, size_t len, const char *base_dir, wadm_manifest **out,
                        wc_error *err);
/**
 * Validate and load a manifest stored as JSON (as model.put stored it): the
 * same checks, messages without "(line N)". j is borrowed.
 */
int wadm_manifest_from_json(const json_t *j, wadm_manifest **out, wc_error *err);
void wadm_manifest_free(wadm_manifest *m);

/** The component of m by manifest name, or NULL. */
const wadm_component *wadm_manifest_find(const wadm_manifest *m, const char *name);

/**
 * "{app}-{name}" lowercased, in each part every character other than an ASCII
 * letter or digit replaced by '_' (one '_' per UTF-8 character, as wadm does).
 */
char *wadm_derived_name(wc_arena *a, const char *app, const char *name);

#endif
