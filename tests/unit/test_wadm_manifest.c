/*
 * test_wadm_manifest.c - OAM manifests: the shapes wadm accepts, the derived
 * names, file:// resolution, and a table of malformed manifests whose errors
 * must name the path and the line. Every malformed manifest that is still
 * well-formed YAML also goes through wadm_manifest_from_json (converted to
 * JSON here) and must fail there with the same message, minus the line.
 */
#include "wadm/manifest.h"

#include "base/strbuf.h"
#include "harness.h"

#include <unistd.h>
#include <yaml.h>

static wadm_manifest *
parse_ok(const char *text, const char *base_dir)
{
    wc_error err = WC_ERROR_INIT;
    wadm_manifest *m = NULL;

    if (wadm_manifest_parse(text, strlen(text), base_dir, &m, &err) != 0) {
        FAILF("parse failed: %s\n--- manifest ---\n%s", err.msg, text);
    }
    CHECK(m != NULL);
    return m;
}

/* m->json at a path like "spec.components.1.traits.0.properties" (numbers index arrays). */
static json_t *
jpath(json_t *j, const char *path)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *t = strtok_r(buf, ".", &save); t != NULL && j != NULL;
         t = strtok_r(NULL, ".", &save)) {
        j = json_is_array(j) ? json_array_get(j, strtoul(t, NULL, 10)) : json_object_get(j, t);
    }
    return j;
}

static const char *
jstr(json_t *j, const char *path)
{
    return json_string_value(jpath(j, path));
}

/* Load the manifest again from its JSON: same structure, same JSON. */
static wadm_manifest *
reload(const wadm_manifest *m)
{
    wc_error err = WC_ERROR_INIT;
    wadm_manifest *m2 = NULL;

    if (wadm_manifest_from_json(m->json, &m2, &err) != 0) {
        char *s = json_dumps(m->json, JSON_INDENT(2));

        FAILF("from_json failed: %s\n%s", err.msg, s);
    }
    CHECK(json_equal(m->json, m2->json));
    return m2;
}

#define EXAMPLE                                                                                    \
    "apiVersion: core.oam.dev/v1beta1\n"                                                           \
    "kind: Application\n"                                                                          \
    "metadata:\n"                                                                                  \
    "  name: rust-hello-world\n"                                                                   \
    "  annotations:\n"                                                                             \
    "    version: v0.0.1\n"                                                                        \
    "    description: \"HTTP hello world demo in Rust\"\n"                                         \
    "spec:\n"                                                                                      \
    "  components:\n"                                                                              \
    "    - name: http-component\n"                                                                 \
    "      type: component\n"                                                                      \
    "      properties:\n"                                                                          \
    "        image: ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0\n"                    \
    "        config:\n"                                                                            \
    "          - name: app-config\n"                                                               \
    "            properties:\n"                                                                    \
    "              greeting: hi\n"                                                                 \
    "              port: 8080\n"                                                                   \
    "          - name: external-config\n"                                                          \
    "      traits:\n"                                                                              \
    "        - type: spreadscaler\n"                                                               \
    "          properties:\n"                                                                      \
    "            instances: 1\n"                                                                   \
    "    - name: httpserver\n"                                                                     \
    "      type: capability\n"                                                                     \
    "      properties:\n"                                                                          \
    "        image: ghcr.io/wasmcloud/http-server:0.23.2\n"                                        \
    "      traits:\n"                                                                              \
    "        - type: daemonscaler\n"                                                               \
    "          properties:\n"                                                                      \
    "            replicas: 1\n"                                                                    \
    "        - type: link\n"                                                                       \
    "          properties:\n"                                                                      \
    "            target:\n"                                                                        \
    "              name: http-component\n"                                                         \
    "            namespace: wasi\n"                                                                \
    "            package: http\n"                                                                  \
    "            interfaces: [incoming-handler]\n"                                                 \
    "            source:\n"                                                                        \
    "              config:\n"                                                                      \
    "                - name: default-http\n"                                                       \
    "                  properties:\n"                                                              \
    "                    address: 0.0.0.0:8000\n"

static void
check_example(const wadm_manifest *m)
{
    const wadm_component *web, *srv;
    const wadm_link *l;

    CHECK_EQ_STR(m->name, "rust-hello-world");
    CHECK_EQ_STR(m->version, "v0.0.1");
    CHECK_EQ_STR(m->description, "HTTP hello world demo in Rust");
    CHECK_EQ_INT(m->shared, 0);
    CHECK_EQ_INT(m->ncomponents, 2);
    web = wadm_manifest_find(m, "http-component");
    srv = wadm_manifest_find(m, "httpserver");
    CHECK(web == &m->components[0] && srv == &m->components[1]);
    CHECK(wadm_manifest_find(m, "nope") == NULL);

    CHECK_EQ_INT(web->kind, WADM_COMPONENT);
    CHECK_EQ_STR(web->id, "rust_hello_world-http_component");
    CHECK_EQ_STR(web->image, "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0");
    CHECK(web->shared_app == NULL);
    CHECK_EQ_INT(web->config.n, 2);
    CHECK_EQ_STR(web->config.v[0].name, "app-config");
    CHECK_EQ_INT(web->config.v[0].managed, 1);
    CHECK_EQ_STR(web->config.v[0].store_name, "rust_hello_world-app_config");
    CHECK_EQ_INT(web->config.v[0].properties.n, 2);
    CHECK_EQ_STR(web->config.v[0].properties.v[0].key, "greeting");
    CHECK_EQ_STR(web->config.v[0].properties.v[0].value, "hi");
    CHECK_EQ_STR(web->config.v[0].properties.v[1].key, "port");
    CHECK_EQ_STR(web->config.v[0].properties.v[1].value, "8080");
    CHECK_EQ_STR(web->config.v[1].store_name, "external-config");
    CHECK_EQ_INT(web->config.v[1].managed, 0);
    CHECK_EQ_INT(web->has_scaler, 1);
    CHECK_EQ_INT(web->scaler.kind, WADM_SPREAD);
    CHECK_EQ_INT(web->scaler.instances, 1);
    CHECK_EQ_INT(web->scaler.nspreads, 0);
    CHECK_EQ_INT(web->nlinks, 0);

    CHECK_EQ_INT(srv->kind, WADM_CAPABILITY);
    CHECK_EQ_STR(srv->id, "rust_hello_world-httpserver");
    CHECK_EQ_INT(srv->config.n, 0);
    CHECK_EQ_INT(srv->has_scaler, 1);
    CHECK_EQ_INT(srv->scaler.kind, WADM_DAEMON);
    CHECK_EQ_INT(srv->scaler.instances, 1);
    CHECK_EQ_INT(srv->nlinks, 1);
    l = &srv->links[0];
    CHECK_EQ_STR(l->target, "http-component");
    CHECK_EQ_STR(l->namespace_, "wasi");
    CHECK_EQ_STR(l->package, "http");
    CHECK_EQ_STR(l->name, "default");
    CHECK_EQ_INT(l->ninterfaces, 1);
    CHECK_EQ_STR(l->interfaces[0], "incoming-handler");
    CHECK_EQ_INT(l->target_config.n, 0);
    CHECK_EQ_INT(l->source_config.n, 1);
    CHECK_EQ_STR(l->source_config.v[0].store_name, "rust_hello_world-default_http");
    CHECK_EQ_STR(l->source_config.v[0].properties.v[0].key, "address");
    CHECK_EQ_STR(l->source_config.v[0].properties.v[0].value, "0.0.0.0:8000");

    /* The JSON is what wadm would store: aliases resolved, strings stay strings. */
    CHECK_EQ_STR(jstr(m->json, "apiVersion"), "core.oam.dev/v1beta1");
    CHECK_EQ_STR(jstr(m->json, "metadata.annotations.version"), "v0.0.1");
    CHECK_EQ_STR(jstr(m->json, "spec.components.0.properties.config.0.properties.port"), "8080");
    CHECK(jpath(m->json, "spec.components.0.properties.id") == NULL);
    CHECK_EQ_INT(
        json_integer_value(jpath(m->json, "spec.components.1.traits.0.properties.instances")), 1);
    CHECK(jpath(m->json, "spec.components.1.traits.0.properties.replicas") == NULL);
    CHECK_EQ_STR(jstr(m->json, "spec.components.1.traits.1.properties.target.name"),
                 "http-component");
    CHECK_EQ_STR(jstr(m->json, "spec.components.1.traits.1.properties.source.config.0.name"),
                 "default-http");
    CHECK(jpath(m->json, "spec.components.1.traits.1.properties.name") == NULL);
    CHECK(jpath(m->json, "spec.policies") == NULL);
}

TEST(example_manifest_parses)
{
    wadm_manifest *m = parse_ok(EXAMPLE, NULL), *m2, *m3;
    wc_error err = WC_ERROR_INIT;
    char *text;

    check_example(m);
    CHECK_EQ_INT(m->components[0].line, 10);
    CHECK_EQ_INT(m->components[1].line, 24);
    m2 = reload(m);
    check_example(m2);

    /* The same manifest as JSON text (pretty and compact) through the YAML reader. */
    for (int pretty = 0; pretty < 2; pretty++) {
        text = json_dumps(m->json, pretty ? JSON_INDENT(2) : JSON_COMPACT);
        m3 = NULL;
        if (wadm_manifest_parse(text, strlen(text), NULL, &m3, &err) != 0) {
            FAILF("JSON text: %s\n%s", err.msg, text);
        }
        CHECK(json_equal(m->json, m3->json));
        CHECK_EQ_STR(m3->components[1].links[0].source_config.v[0].store_name,
                     "rust_hello_world-default_http");
        free(text);
        wadm_manifest_free(m3);
    }
    wadm_manifest_free(m2);
    wadm_manifest_free(m);
    wadm_manifest_free(NULL);
}

#define HEAD                                                                                       \
    "apiVersion: core.oam.dev/v1beta1\n"                                                           \
    "kind: Application\n"                                                                          \
    "metadata:\n"                                                                                  \
    "  name: app\n"                                                                                \
    "spec:\n"                                                                                      \
    "  components:\n"                                                                              \
    "    - name: web\n"                                                                            \
    "      type: actor\n"                                                                          \
    "      properties:\n"                                                                          \
    "        image: ghcr.io/x/web:1\n"

#define OTHER_KV                                                                                   \
    "    - name: kv\n"                                                                             \
    "      type: capability\n"                                                                     \
    "      properties:\n"                                                                          \
    "        image: ghcr.io/x/kv:1\n"

TEST(spreads_with_weights)
{
    wadm_manifest *m = parse_ok(HEAD "      traits:\n"
                                     "        - type: spreadscaler\n"
                                     "          properties:\n"
                                     "            instances: 10\n"
                                     "            spread:\n"
                                     "              - name: east\n"
                                     "                requirements:\n"
                                     "                  zone: us-east\n"
                                     "                  tier: gold\n"
                                     "                weight: 75\n"
                                     "              - name: west\n"
                                     "                requirements: {zone: us-west}\n"
                                     "              - requirements: {}\n"
                                     "                weight: 0\n",
                                NULL),
                  *m2;
    const wadm_scaler *s = &m->components[0].scaler;

    CHECK_EQ_INT(m->components[0].kind, WADM_COMPONENT); /* "actor" is an alias */
    CHECK_EQ_STR(jstr(m->json, "spec.components.0.type"), "component");
    CHECK_EQ_INT(s->kind, WADM_SPREAD);
    CHECK_EQ_INT(s->instances, 10);
    CHECK_EQ_INT(s->nspreads, 3);
    CHECK_EQ_STR(s->spreads[0].name, "east");
    CHECK_EQ_INT(s->spreads[0].weight, 75);
    CHECK_EQ_INT(s->spreads[0].requirements.n, 2);
    CHECK_EQ_STR(s->spreads[0].requirements.v[0].key, "zone");
    CHECK_EQ_STR(s->spreads[0].requirements.v[0].value, "us-east");
    CHECK_EQ_STR(s->spreads[0].requirements.v[1].key, "tier");
    CHECK_EQ_STR(s->spreads[1].name, "west");
    CHECK_EQ_INT(s->spreads[1].weight, 100);
    CHECK_EQ_STR(s->spreads[1].requirements.v[0].value, "us-west");
    CHECK_EQ_STR(s->spreads[2].name, "default");
    CHECK_EQ_INT(s->spreads[2].weight, 0);
    CHECK_EQ_INT(s->spreads[2].requirements.n, 0);
    CHECK(jpath(m->json, "spec.components.0.traits.0.properties.spread.1.weight") == NULL);
    m2 = reload(m);
    CHECK_EQ_INT(m2->components[0].scaler.spreads[1].weight, 100);
    CHECK_EQ_INT(m2->components[0].scaler.spreads[2].weight, 0);
    wadm_manifest_free(m2);
    wadm_manifest_free(m);
}

TEST(legacy_link_forms)
{
    wadm_manifest *m = parse_ok(HEAD "      traits:\n"
                                     "        - type: link\n"
                                     "          properties:\n"
                                     "            target: kv\n"
                                     "            namespace: wasi\n"
                                     "            package: keyvalue\n"
                                     "            interfaces: [atomics, store]\n"
                                     "            name: cache\n"
                                     "            target_config:\n"
                                     "              - name: redis-url\n"
                                     "                properties: {url: \"redis://127.0.0.1\"}\n"
                                     "            source_config:\n"
                                     "              - name: shared-cfg\n"
                                     "    - name: kv\n"
                                     "      type: capability\n"
                                     "      properties:\n"
                                     "        image: ghcr.io/wasmcloud/keyvalue-redis:0.28.1\n"
                                     "        id: my-redis\n",
                                NULL),
                  *m2;
    const wadm_link *l = &m->components[0].links[0];

    CHECK_EQ_INT(m->components[0].nlinks, 1);
    CHECK_EQ_INT(m->components[0].has_scaler, 0);
    CHECK_EQ_STR(l->target, "kv");
    CHECK_EQ_STR(l->name, "cache");
    CHECK_EQ_INT(l->ninterfaces, 2);
    CHECK_EQ_STR(l->interfaces[1], "store");
    CHECK_EQ_INT(l->target_config.n, 1);
    CHECK_EQ_STR(l->target_config.v[0].store_name, "app-redis_url");
    CHECK_EQ_STR(l->target_config.v[0].properties.v[0].value, "redis://127.0.0.1");
    CHECK_EQ_INT(l->source_config.n, 1);
    CHECK_EQ_STR(l->source_config.v[0].store_name, "shared-cfg");
    CHECK_EQ_STR(m->components[1].id, "my-redis");
    /* Stored in the current form, as wadm writes it back. */
    CHECK_EQ_STR(jstr(m->json, "spec.components.0.traits.0.properties.target.name"), "kv");
    CHECK_EQ_STR(jstr(m->json, "spec.components.0.traits.0.properties.target.config.0.name"),
                 "redis-url");
    CHECK_EQ_STR(jstr(m->json, "spec.components.0.traits.0.properties.source.config.0.name"),
                 "shared-cfg");
    CHECK(jpath(m->json, "spec.components.0.traits.0.properties.target_config") == NULL);
    CHECK(jpath(m->json, "spec.components.0.traits.0.properties.source_config") == NULL);
    CHECK_EQ_STR(jstr(m->json, "spec.components.1.properties.id"), "my-redis");
    m2 = reload(m);
    CHECK_EQ_STR(m2->components[0].links[0].target_config.v[0].store_name, "app-redis_url");
    CHECK_EQ_STR(m2->components[0].links[0].source_config.v[0].store_name, "shared-cfg");
    wadm_manifest_free(m2);
    wadm_manifest_free(m);
}

TEST(shared_app_references)
{
    wadm_manifest *shared = parse_ok("apiVersion: core.oam.dev/v1beta1\n"
                                     "kind: Application\n"
                                     "metadata:\n"
                                     "  name: shared-http\n"
                                     "  annotations:\n"
                                     "    experimental.wasmcloud.dev/shared: 'true'\n"
                                     "spec:\n"
                                     "  components:\n"
                                     "    - name: httpserver\n"
                                     "      type: capability\n"
                                     "      properties:\n"
                                     "        image: ghcr.io/wasmcloud/http-server:0.23.2\n"
                                     "      traits:\n"
                                     "        - type: spreadscaler\n"
                                     "          properties: {instances: 1}\n",
                                     NULL);
    wadm_manifest *user =
        parse_ok("apiVersion: core.oam.dev/v1beta1\n"
                 "kind: Application\n"
                 "metadata:\n"
                 "  name: user\n"
                 "spec:\n"
                 "  components:\n"
                 "    - name: web\n"
                 "      type: component\n"
                 "      properties:\n"
                 "        image: file:///srv/web.wasm\n"
                 "      traits:\n"
                 "        - type: spreadscaler\n"
                 "          properties: {instances: 2}\n"
                 "    - name: http\n"
                 "      type: capability\n"
                 "      properties:\n"
                 "        application: {name: shared-http, component: httpserver}\n"
                 "      traits:\n"
                 "        - type: link\n"
                 "          properties:\n"
                 "            target: {name: web}\n"
                 "            namespace: wasi\n"
                 "            package: http\n"
                 "            interfaces: [incoming-handler]\n",
                 NULL);
    wadm_manifest *u2;
    const wadm_component *c = wadm_manifest_find(user, "http");

    CHECK_EQ_INT(shared->shared, 1);
    CHECK_EQ_INT(user->shared, 0);
    CHECK(c != NULL);
    CHECK(c->image == NULL);
    CHECK_EQ_STR(c->shared_app, "shared-http");
    CHECK_EQ_STR(c->shared_component, "httpserver");
    CHECK_EQ_INT(c->has_scaler, 0);
    CHECK_EQ_INT(c->nlinks, 1);
    CHECK_EQ_STR(c->links[0].target, "web");
    CHECK_EQ_STR(jstr(user->json, "spec.components.1.properties.application.component"),
                 "httpserver");
    CHECK(jpath(user->json, "spec.components.1.properties.image") == NULL);
    u2 = reload(user);
    CHECK_EQ_STR(u2->components[1].shared_app, "shared-http");
    wadm_manifest_free(u2);
    wadm_manifest_free(user);
    wadm_manifest_free(shared);
}

TEST(policies_and_secrets_are_kept_in_json)
{
    wadm_manifest *m = parse_ok(HEAD "        secrets:\n"
                                     "          - name: api-key\n"
                                     "            properties:\n"
                                     "              policy: nats-kv\n"
                                     "              key: my-secret\n"
                                     "              field: token\n"
                                     "      traits:\n"
                                     "        - type: link\n"
                                     "          properties:\n"
                                     "            target:\n"
                                     "              name: kv\n"
                                     "              secrets:\n"
                                     "                - name: redis-password\n"
                                     "                  properties: {policy: nats-kv, key: pw}\n"
                                     "            namespace: wasi\n"
                                     "            package: keyvalue\n"
                                     "            interfaces: [store]\n"
                                     "            source: {secrets: []}\n" OTHER_KV "  policies:\n"
                                     "    - name: nats-kv\n"
                                     "      type: policy.secret.wasmcloud.dev/v1alpha1\n"
                                     "      properties:\n"
                                     "        backend: nats-kv\n",
                                NULL),
                  *m2;

    CHECK_EQ_STR(jstr(m->json, "spec.policies.0.properties.backend"), "nats-kv");
    CHECK_EQ_STR(jstr(m->json, "spec.components.0.properties.secrets.0.properties.field"), "token");
    CHECK(jpath(m->json, "spec.components.0.properties.secrets.0.properties.version") == NULL);
    CHECK_EQ_STR(
        jstr(m->json, "spec.components.0.traits.0.properties.target.secrets.0.properties.key"),
        "pw");
    CHECK_EQ_INT(m->components[0].links[0].target_config.n, 0);
    m2 = reload(m);
    wadm_manifest_free(m2);
    wadm_manifest_free(m);
}

TEST(relative_file_images_resolve)
{
    static const struct {
        const char *base, *image, *want;
    } cases[] = {
        {"/work/app", "file://./x.wasm", "file:///work/app/x.wasm"},
        {"/work/app", "file://x.wasm", "file:///work/app/x.wasm"},
        {"/work/app", "file://../x.wasm", "file:///work/x.wasm"},
        {"/work/app/", "file://./build/../out/./c.wasm", "file:///work/app/out/c.wasm"},
        {"/work//app", "file://sub//x.wasm", "file:///work/app/sub/x.wasm"},
        {"/work", "file://../../../x.wasm", "file:///x.wasm"},
        {"/work/app", "file:///abs/./x.wasm", "file:///abs/./x.wasm"},
        {"/work/app", "ghcr.io/org/comp:0.1.0", "ghcr.io/org/comp:0.1.0"},
        {"/work/app", "localhost:5000/comp:1", "localhost:5000/comp:1"},
        {NULL, "file://./x.wasm", "file://./x.wasm"},
    };
    char cwd[4096], want[4200];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wc_strbuf sb = WC_STRBUF_INIT;
        wadm_manifest *m, *m2;

        wc_strbuf_addf(&sb,
                       HEAD "      traits: []\n"
                            "    - name: other\n"
                            "      type: component\n"
                            "      properties:\n"
                            "        image: \"%s\"\n",
                       cases[i].image);
        m = parse_ok(sb.buf, cases[i].base);
        if (strcmp(m->components[1].image, cases[i].want) != 0) {
            FAILF("case %zu: %s in %s: got %s, want %s", i, cases[i].image,
                  cases[i].base ? cases[i].base : "(null)", m->components[1].image, cases[i].want);
        }
        CHECK_EQ_STR(jstr(m->json, "spec.components.1.properties.image"), cases[i].want);
        m2 = reload(m);
        CHECK_EQ_STR(m2->components[1].image, cases[i].want);
        wadm_manifest_free(m2);
        wadm_manifest_free(m);
        wc_strbuf_release(&sb);
    }

    /* A relative base_dir is taken from the working directory. */
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    snprintf(want, sizeof(want), "file://%s/apps/x.wasm", strcmp(cwd, "/") == 0 ? "" : cwd);
    {
        wadm_manifest *m = parse_ok(HEAD "    - name: other\n"
                                         "      type: component\n"
                                         "      properties:\n"
                                         "        image: file://./x.wasm\n",
                                    "apps");

        CHECK_EQ_STR(m->components[1].image, want);
        CHECK_EQ_STR(m->components[0].image, "ghcr.io/x/web:1");
        wadm_manifest_free(m);
    }
}

TEST(derived_names)
{
    wc_arena a = WC_ARENA_INIT;

    CHECK_EQ_STR(wadm_derived_name(&a, "rust-hello", "http_component"),
                 "rust_hello-http_component");
    CHECK_EQ_STR(wadm_derived_name(&a, "My-App", "Comp.One/2"), "my_app-comp_one_2");
    CHECK_EQ_STR(wadm_derived_name(&a, "app", "caf\xc3\xa9 \xe2\x82\xac!"), "app-caf____");
    CHECK_EQ_STR(wadm_derived_name(&a, "", ""), "-");
    wc_arena_release(&a);
}

/* ---- malformed manifests ---- */

/* YAML (libyaml document) to JSON the way a YAML-to-JSON converter would do it. */
static json_t *
yaml_node_to_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
    json_t *j;

    if (n == NULL || depth > 200) {
        return json_null();
    }
    switch (n->type) {
    case YAML_MAPPING_NODE:
        j = json_object();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);

            if (k != NULL && k->type == YAML_SCALAR_NODE) {
                json_object_setn_new(
                    j, (const char *)k->data.scalar.value, k->data.scalar.length,
                    yaml_node_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1));
            }
        }
        return j;
    case YAML_SEQUENCE_NODE:
        j = json_array();
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
            json_array_append_new(
                j, yaml_node_to_json(doc, yaml_document_get_node(doc, *i), depth + 1));
        }
        return j;
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)n->data.scalar.value;
        size_t len = n->data.scalar.length;
        char *end;

        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0) {
                return json_null();
            }
            if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
                return json_boolean(s[0] == 't');
            }
            if (strspn(s + (s[0] == '-'), "0123456789") == len - (s[0] == '-') &&
                len - (s[0] == '-') > 0 && len < 19) {
                return json_integer(strtoll(s, &end, 10));
            }
        }
        return json_stringn(s, len);
    }
    default: return json_null();
    }
}

static json_t *
yaml_to_json(const char *text)
{
    yaml_parser_t p;
    yaml_document_t doc;
    json_t *j = NULL;

    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    if (yaml_parser_load(&p, &doc)) {
        j = yaml_node_to_json(&doc, yaml_document_get_root_node(&doc), 0);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&p);
    return j;
}

typedef struct bad_case {
    const char *name, *text;
    int code;
    const char *msg;
    int json; /* also check through wadm_manifest_from_json */
} bad_case;

#define TRAIT(type)                                                                                \
    "      traits:\n"                                                                              \
    "        - type: " type "\n"                                                                   \
    "          properties:\n"

static const bad_case bad_cases[] = {
    {"instances_not_an_integer", HEAD TRAIT("spreadscaler") "            instances: four\n",
     WC_EINVAL, "spec.components[0].traits[0].properties.instances: expected an integer (line 14)",
     1},
    {"instances_quoted", HEAD TRAIT("spreadscaler") "            instances: \"4\"\n", WC_EINVAL,
     "spec.components[0].traits[0].properties.instances: expected an integer (line 14)", 1},
    {"instances_negative", HEAD TRAIT("daemonscaler") "            instances: -1\n", WC_EINVAL,
     "spec.components[0].traits[0].properties.instances: expected an integer from 0 to 4294967295 "
     "(line 14)",
     1},
    {"instances_missing", HEAD TRAIT("spreadscaler") "            spread: []\n", WC_EINVAL,
     "spec.components[0].traits[0].properties: missing required key \"instances\" (line 14)", 1},
    {"instances_and_replicas",
     HEAD TRAIT("spreadscaler") "            instances: 1\n"
                                "            replicas: 2\n",
     WC_EINVAL,
     "spec.components[0].traits[0].properties.replicas: \"replicas\" is an alias of \"instances\"; "
     "give only one (line 15)",
     1},
    {"weight_not_an_integer",
     HEAD TRAIT("spreadscaler") "            instances: 1\n"
                                "            spread:\n"
                                "              - name: a\n"
                                "                weight: heavy\n",
     WC_EINVAL,
     "spec.components[0].traits[0].properties.spread[0].weight: expected an integer (line 17)", 1},
    {"weights_add_up_to_zero",
     HEAD TRAIT("spreadscaler") "            instances: 1\n"
                                "            spread:\n"
                                "              - {name: a, weight: 0}\n",
     WC_EINVAL,
     "spec.components[0].traits[0].properties.spread: spread weights add up to 0; give at least "
     "one a weight above 0 (line 16)",
     1},
    {"missing_api_version", "kind: Application\nmetadata:\n  name: app\nspec:\n  components: []\n",
     WC_EINVAL, "manifest: missing required key \"apiVersion\" (line 1)", 1},
    {"missing_metadata_name",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  annotations:\n"
     "    version: v1\n"
     "spec:\n"
     "  components: []\n",
     WC_EINVAL, "metadata: missing required key \"name\" (line 4)", 1},
    {"missing_component_type",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  name: app\n"
     "spec:\n"
     "  components:\n"
     "    - name: web\n"
     "      properties:\n"
     "        image: x\n",
     WC_EINVAL, "spec.components[0]: missing required key \"type\" (line 7)", 1},
    {"unknown_key", HEAD "        imag: typo\n", WC_EINVAL,
     "spec.components[0].properties: unknown key \"imag\"; expected one of image, application, id, "
     "config, secrets (line 11)",
     1},
    {"unknown_top_level_key", "apiVersion: v\nkind: k\nstatus: {}\n", WC_EINVAL,
     "manifest: unknown key \"status\"; expected one of apiVersion, kind, metadata, spec (line 3)",
     1},
    {"bad_name_chars",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  name: my.app\n"
     "spec:\n"
     "  components: []\n",
     WC_EINVAL,
     "metadata.name: \"my.app\" is not a valid application name: use only letters, digits, '-' "
     "and '_' (line 4)",
     1},
    {"version_latest",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  name: app\n"
     "  annotations:\n"
     "    description: d\n"
     "    version: latest\n"
     "spec:\n"
     "  components: []\n",
     WC_EINVAL,
     "metadata.annotations.version: \"latest\" is reserved and cannot be a manifest version "
     "(line 7)",
     1},
    {"bad_label_key",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  name: app\n"
     "  labels:\n"
     "    -bad: x\n"
     "spec:\n"
     "  components: []\n",
     WC_EINVAL,
     "metadata.labels: \"-bad\" is not a valid key: expected [prefix/]name, the prefix a DNS "
     "subdomain, the name 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter "
     "or digit (line 6)",
     1},
    {"annotation_not_a_string",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  name: app\n"
     "  annotations:\n"
     "    experimental.wasmcloud.dev/shared: [true]\n"
     "spec:\n"
     "  components: []\n",
     WC_EINVAL,
     "metadata.annotations[\"experimental.wasmcloud.dev/shared\"]: expected a string (line 6)", 1},
    {"both_image_and_application", HEAD "        application: {name: shared, component: c}\n",
     WC_EINVAL,
     "spec.components[0].properties: has both \"image\" and \"application\"; give one (line 10)",
     1},
    {"neither_image_nor_application",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  name: app\n"
     "spec:\n"
     "  components:\n"
     "    - name: web\n"
     "      type: component\n"
     "      properties:\n"
     "        id: web\n",
     WC_EINVAL,
     "spec.components[0].properties: missing required key \"image\" (or \"application\" for a "
     "shared component) (line 10)",
     1},
    {"shared_with_scaler",
     "apiVersion: core.oam.dev/v1beta1\n"
     "kind: Application\n"
     "metadata:\n"
     "  name: app\n"
     "spec:\n"
     "  components:\n"
     "    - name: web\n"
     "      type: component\n"
     "      properties:\n"
     "        application: {name: shared, component: c}\n" TRAIT("spreadscaler") "            "
                                                                                 "instances: 1\n",
     WC_EINVAL,
     "spec.components[0].traits[0]: a shared component (properties.application) cannot have a "
     "scaler trait; the app that owns it scales it (line 12)",
     1},
    {"two_scalers",
     HEAD TRAIT("spreadscaler") "            instances: 1\n"
                                "        - type: daemonscaler\n"
                                "          properties:\n"
                                "            instances: 1\n",
     WC_EINVAL,
     "spec.components[0].traits[1]: a component may have only one scaler trait (spreadscaler or "
     "daemonscaler) (line 15)",
     1},
    {"unknown_trait_type", HEAD TRAIT("config") "            name: x\n", WC_EINVAL,
     "spec.components[0].traits[0].type: unknown trait type \"config\"; expected spreadscaler, "
     "daemonscaler or link (line 12)",
     1},
    {"unknown_component_type",
     "apiVersion: v\nkind: k\nmetadata: {name: app}\nspec:\n  components:\n"
     "    - {name: p, type: provider, properties: {image: x}}\n",
     WC_EINVAL,
     "spec.components[0].type: unknown component type \"provider\"; expected component, actor or "
     "capability (line 6)",
     1},
    {"link_to_unknown_target",
     HEAD TRAIT("link") "            target: {name: nope}\n"
                        "            namespace: wasi\n"
                        "            package: keyvalue\n"
                        "            interfaces: [store]\n",
     WC_EINVAL,
     "spec.components[0].traits[0].properties.target.name: no component named \"nope\" in this "
     "manifest (line 14)",
     1},
    {"legacy_link_to_unknown_target",
     HEAD TRAIT("link") "            namespace: wasi\n"
                        "            package: keyvalue\n"
                        "            interfaces: [store]\n"
                        "            target: nope\n",
     WC_EINVAL,
     "spec.components[0].traits[0].properties.target: no component named \"nope\" in this manifest "
     "(line 17)",
     1},
    {"link_missing_interfaces",
     HEAD TRAIT("link") "            target: kv\n"
                        "            namespace: wasi\n"
                        "            package: keyvalue\n" OTHER_KV,
     WC_EINVAL,
     "spec.components[0].traits[0].properties: missing required key \"interfaces\" (line 14)", 1},
    {"link_interfaces_empty",
     HEAD TRAIT("link") "            target: kv\n"
                        "            namespace: wasi\n"
                        "            package: keyvalue\n"
                        "            interfaces: []\n" OTHER_KV,
     WC_EINVAL,
     "spec.components[0].traits[0].properties.interfaces: expected at least one interface (line "
     "17)",
     1},
    {"duplicate_link",
     HEAD TRAIT("link") "            {target: kv, namespace: wasi, package: keyvalue, "
                        "interfaces: [store]}\n"
                        "        - type: link\n"
                        "          properties:\n"
                        "            target: kv\n"
                        "            namespace: wasi\n"
                        "            package: keyvalue\n"
                        "            interfaces: [atomics, store]\n" OTHER_KV,
     WC_EINVAL,
     "spec.components[0].traits[1].properties.interfaces[1]: duplicate link: this component "
     "already has a link \"default\" for wasi:keyvalue/store (line 20)",
     1},
    {"duplicate_link_config_name",
     HEAD TRAIT("link") "            target: {name: kv, config: [{name: c}]}\n"
                        "            namespace: wasi\n"
                        "            package: keyvalue\n"
                        "            interfaces: [store]\n"
                        "            source: {config: [{name: c}]}\n" OTHER_KV,
     WC_EINVAL,
     "spec.components[0].traits[0].properties.target.config[0].name: link config \"c\" is already "
     "used by another link (wadm requires link config names to be unique in a manifest) (line 14)",
     1},
    {"duplicate_component_name",
     HEAD "    - name: web\n      type: component\n"
          "      properties: {image: y}\n",
     WC_EINVAL, "spec.components[1].name: duplicate component name \"web\" (line 11)", 1},
    {"duplicate_component_id",
     HEAD "    - name: other\n      type: component\n"
          "      properties: {image: y, id: app-web}\n",
     WC_EINVAL,
     "spec.components[1].properties.id: component id \"app-web\" is also the id of component "
     "\"web\" (line 13)",
     1},
    {"config_value_not_a_string",
     HEAD "        config:\n"
          "          - name: c\n"
          "            properties:\n"
          "              greeting: [hi]\n",
     WC_EINVAL,
     "spec.components[0].properties.config[0].properties.greeting: expected a string (line 14)", 1},
    {"config_without_name", HEAD "        config:\n          - properties: {a: b}\n", WC_EINVAL,
     "spec.components[0].properties.config[0]: missing required key \"name\" (line 12)", 1},
    {"secret_with_unknown_policy",
     HEAD "        secrets:\n"
          "          - name: api-key\n"
          "            properties:\n"
          "              policy: vault\n"
          "              key: k\n",
     WC_EINVAL,
     "spec.components[0].properties.secrets[0].properties.policy: no policy named \"vault\" in "
     "spec.policies (line 14)",
     1},
    {"secret_policy_wrong_type",
     HEAD "        secrets: [{name: s, properties: {policy: p, key: k}}]\n"
          "  policies:\n"
          "    - {name: p, type: policy.other/v1, properties: {backend: x}}\n",
     WC_EINVAL,
     "spec.components[0].properties.secrets[0].properties.policy: policy \"p\" has type "
     "\"policy.other/v1\", not policy.secret.wasmcloud.dev/v1alpha1 (line 11)",
     1},
    {"secret_policy_without_backend",
     HEAD "        secrets: [{name: s, properties: {policy: p, key: k}}]\n"
          "  policies:\n"
          "    - {name: p, type: policy.secret.wasmcloud.dev/v1alpha1, properties: {}}\n",
     WC_EINVAL,
     "spec.components[0].properties.secrets[0].properties.policy: policy \"p\" has no \"backend\" "
     "property (line 11)",
     1},
    {"secret_missing_key", HEAD "        secrets: [{name: s, properties: {policy: p}}]\n",
     WC_EINVAL,
     "spec.components[0].properties.secrets[0].properties: missing required key \"key\" (line 11)",
     1},
    {"components_not_a_list",
     "apiVersion: v\nkind: k\nmetadata: {name: app}\nspec:\n  components: web\n", WC_EINVAL,
     "spec.components: expected a list of components (line 5)", 1},
    {"spec_missing", "apiVersion: v\nkind: k\nmetadata: {name: app}\n", WC_EINVAL,
     "manifest: missing required key \"spec\" (line 1)", 1},
    {"top_level_list", "- a\n- b\n", WC_EINVAL, "manifest: expected a mapping (line 1)", 1},
    {"top_level_scalar", "hello\n", WC_EINVAL, "manifest: expected a mapping (line 1)", 1},
    {"null_name", "apiVersion: v\nkind: k\nmetadata:\n  name: ~\nspec:\n  components: []\n",
     WC_EINVAL, "metadata.name: expected a string (line 4)", 1},
    {"nul_in_string",
     "apiVersion: v\nkind: k\nmetadata:\n  name: \"a\\0b\"\nspec:\n  components: []\n", WC_EINVAL,
     "metadata.name: must not contain NUL characters (line 4)", 1},
    {"duplicate_key",
     "apiVersion: v\nkind: k\nmetadata:\n  name: a\n  name: b\nspec: {components: []}\n", WC_EINVAL,
     "metadata: duplicate key \"name\" (line 5)", 0},
    {"yaml_syntax_error",
     "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: [app\nspec: {}\n",
     WC_EINVAL,
     "invalid YAML: did not find expected ',' or ']' while parsing a flow sequence (line 5)", 0},
    {"yaml_bad_indentation",
     "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: app\n"
     "   labels: {}\n",
     WC_EINVAL, "invalid YAML: mapping values are not allowed in this context (line 5)", 0},
    {"empty_input", "", WC_EINVAL, "manifest is empty", 0},
    {"only_a_comment", "# nothing here\n\n", WC_EINVAL, "manifest is empty", 0},
    {"multi_document", HEAD "---\n" HEAD, WC_EINVAL,
     "manifest has more than one YAML document; put one application per request (line 11)", 0},
    {"alias", "apiVersion: &v core.oam.dev/v1beta1\nkind: *v\n", WC_EINVAL,
     "YAML aliases are not supported (line 2)", 0},
    {"non_utf8",
     "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: caf\xe9s-app\n",
     WC_EINVAL, "invalid YAML: not UTF-8 text (invalid trailing UTF-8 octet) (line 4)", 0},
    {"non_utf8_at_end", "apiVersion: core.oam.dev/v1beta1\nkind: Application\n\xe9", WC_EINVAL,
     "invalid YAML: not UTF-8 text (incomplete UTF-8 octet sequence) (line 3)", 0},
    {"utf16_bom",
     "\xff\xfe"
     "a\0:\0 \0b\0",
     WC_EINVAL, "invalid YAML: not UTF-8 text (invalid leading UTF-8 octet) (line 1)", 0},
    {"control_character", "apiVersion: v\x01\n", WC_EINVAL,
     "invalid YAML: control characters are not allowed (byte 0x01) (line 1)", 0},
};

static const bad_case *
find_case(const char *name)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        if (strcmp(bad_cases[i].name, name) == 0) {
            return &bad_cases[i];
        }
    }
    FAILF("no case %s", name);
}

static void
check_bad(const bad_case *bc)
{
    wc_error err = WC_ERROR_INIT;
    wadm_manifest *m = (wadm_manifest *)0x1;
    size_t len = strlen(bc->text);
    int rc;

    if (strcmp(bc->name, "utf16_bom") == 0) {
        len = 10;
    }
    rc = wadm_manifest_parse(bc->text, len, "/base", &m, &err);
    if (rc != bc->code || strcmp(err.msg, bc->msg) != 0) {
        FAILF("case %s: rc %d, message\n  got:  %s\n  want: %s", bc->name, rc, err.msg, bc->msg);
    }
    CHECK(m == (wadm_manifest *)0x1); /* *out untouched */

    /* The same manifest as JSON: the same message without the line. */
    if (bc->json) {
        json_t *j = yaml_to_json(bc->text);
        char want[WC_ERROR_MSG_MAX];
        char *line;

        CHECK(j != NULL);
        snprintf(want, sizeof(want), "%s", bc->msg);
        line = strstr(want, " (line ");
        if (line != NULL) {
            *line = '\0';
        }
        wc_error_clear(&err);
        rc = wadm_manifest_from_json(j, &m, &err);
        if (rc != bc->code || strcmp(err.msg, want) != 0) {
            char *s = json_dumps(j, JSON_COMPACT);

            FAILF("case %s (from JSON %s): rc %d, message\n  got:  %s\n  want: %s", bc->name, s, rc,
                  err.msg, want);
        }
        CHECK(m == (wadm_manifest *)0x1);
        json_decref(j);
    }
}

TEST(malformed_manifests_name_path_and_line)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        check_bad(&bad_cases[i]);
    }
}

/* One case by name, for running a single one under valgrind. */
TEST(malformed_unknown_key)
{
    check_bad(find_case("unknown_key"));
}

TEST(limits_are_refused_clearly)
{
    wc_error err = WC_ERROR_INIT;
    wadm_manifest *m = NULL;
    wc_strbuf sb = WC_STRBUF_INIT;
    json_t *deep, *inner;

    /* Deeper than 64 levels, in flow and block style. */
    wc_strbuf_adds(&sb, "apiVersion: ");
    for (int i = 0; i < 70; i++) {
        wc_strbuf_addch(&sb, '[');
    }
    CHECK_EQ_INT(wadm_manifest_parse(sb.buf, sb.len, NULL, &m, &err), WC_ELIMIT);
    CHECK_EQ_STR(err.msg, "manifest nests deeper than 64 levels (line 1)");
    wc_strbuf_reset(&sb);
    wc_error_clear(&err);
    for (int i = 0; i < 100; i++) {
        wc_strbuf_addf(&sb, "%*sk:\n", i, "");
    }
    CHECK_EQ_INT(wadm_manifest_parse(sb.buf, sb.len, NULL, &m, &err), WC_ELIMIT);
    CHECK_EQ_STR(err.msg, "manifest nests deeper than 64 levels (line 65)");

    /* And as JSON. */
    deep = json_array();
    inner = deep;
    for (int i = 0; i < 100; i++) {
        json_t *next = json_array();

        json_array_append_new(inner, next);
        inner = next;
    }
    wc_error_clear(&err);
    CHECK_EQ_INT(wadm_manifest_from_json(deep, &m, &err), WC_ELIMIT);
    CHECK_EQ_STR(err.msg, "manifest nests deeper than 64 levels");
    json_decref(deep);

    /* Over 1 MiB. */
    wc_strbuf_reset(&sb);
    wc_strbuf_adds(&sb, "apiVersion: v\nkind: k\n# ");
    while (sb.len <= 1024 * 1024) {
        wc_strbuf_adds(&sb, "padding padding padding padding ");
    }
    wc_error_clear(&err);
    CHECK_EQ_INT(wadm_manifest_parse(sb.buf, sb.len, NULL, &m, &err), WC_ELIMIT);
    CHECK_CONTAINS(err.msg, "the limit is 1048576 (1 MiB)");

    /* Too many nodes, under 1 MiB. */
    wc_strbuf_reset(&sb);
    wc_strbuf_adds(&sb, "apiVersion: [");
    for (int i = 0; i < 200000; i++) {
        wc_strbuf_adds(&sb, "1,");
    }
    wc_strbuf_adds(&sb, "1]\n");
    wc_error_clear(&err);
    CHECK_EQ_INT(wadm_manifest_parse(sb.buf, sb.len, NULL, &m, &err), WC_ELIMIT);
    CHECK_EQ_STR(err.msg, "manifest has more than 100000 nodes (line 1)");
    CHECK(m == NULL);

    /* Other JSON values at the top. */
    wc_error_clear(&err);
    CHECK_EQ_INT(wadm_manifest_from_json(NULL, &m, &err), WC_EINVAL);
    deep = json_string("apiVersion");
    wc_error_clear(&err);
    CHECK_EQ_INT(wadm_manifest_from_json(deep, &m, &err), WC_EINVAL);
    CHECK_EQ_STR(err.msg, "manifest: expected a mapping");
    json_decref(deep);
    wc_strbuf_release(&sb);
}

/* Cut and corrupted versions of a real manifest: errors or successes, never a crash. */
TEST(truncations_and_mutations_never_crash)
{
    static const char subst[] = {'\0', ':', '-', '[', '{', '"', '\n', ' ', '&', '*', '\xff', 'x'};
    const char *base = EXAMPLE;
    size_t len = strlen(base);
    char *buf = malloc(len + 1);
    int ok = 0, bad = 0;

    for (size_t cut = 0; cut <= len; cut++) {
        wc_error err = WC_ERROR_INIT;
        wadm_manifest *m = NULL;

        if (wadm_manifest_parse(base, cut, "/b", &m, &err) == 0) {
            ok++;
            wadm_manifest_free(m);
        } else {
            CHECK(err.msg[0] != '\0');
            bad++;
        }
    }
    for (size_t i = 0; i < len; i++) {
        for (size_t k = 0; k < sizeof(subst); k++) {
            wc_error err = WC_ERROR_INIT;
            wadm_manifest *m = NULL;

            memcpy(buf, base, len);
            buf[i] = subst[k];
            if (wadm_manifest_parse(buf, len, "/b", &m, &err) == 0) {
                wadm_manifest *m2 = reload(m);

                wadm_manifest_free(m2);
                wadm_manifest_free(m);
                ok++;
            } else {
                CHECK(err.msg[0] != '\0');
                bad++;
            }
        }
    }
    CHECK(ok > 0 && bad > 0);
    free(buf);
}

TEST_MAIN(TEST_ENTRY(example_manifest_parses), TEST_ENTRY(spreads_with_weights),
          TEST_ENTRY(legacy_link_forms), TEST_ENTRY(shared_app_references),
          TEST_ENTRY(policies_and_secrets_are_kept_in_json),
          TEST_ENTRY(relative_file_images_resolve), TEST_ENTRY(derived_names),
          TEST_ENTRY(malformed_manifests_name_path_and_line), TEST_ENTRY(malformed_unknown_key),
          TEST_ENTRY(limits_are_refused_clearly), TEST_ENTRY(truncations_and_mutations_never_crash))
