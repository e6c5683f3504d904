/*
 * test_wadm_plan.c - wadm_plan_compute() as a pure function: a table of
 * (manifests, observed lattice) -> (commands, status).
 *
 * Each case writes its commands as wadm_cmd_describe() lines, in order, so a
 * case reads as the plan itself.
 */
#include "wadm/plan.h"
#include "harness.h"

#include <stdarg.h>

/* ---- building inputs ---- */

static wadm_manifest *
manifest(const char *yaml)
{
    wadm_manifest *m = NULL;
    wc_error err = WC_ERROR_INIT;

    if (wadm_manifest_parse(yaml, strlen(yaml), NULL, &m, &err) != 0) {
        fprintf(stderr, "bad test manifest: %s\n", err.msg);
        abort();
    }
    return m;
}

/* A host: id, "k=v,k=v" labels, then components and providers. */
typedef struct thost {
    wadm_host h;
    wc_lt_strmap labels;
    char *keys[4], *vals[4];
    wadm_running comps[8], provs[8];
} thost;

static void
host(thost *t, const char *id, const char *labels)
{
    char *copy = strdup(labels), *save = NULL;

    memset(t, 0, sizeof(*t));
    t->h.id = id;
    t->labels.keys = t->keys;
    t->labels.vals = t->vals;
    for (char *kv = strtok_r(copy, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');

        *eq = '\0';
        t->keys[t->labels.n] = strdup(kv);
        t->vals[t->labels.n++] = strdup(eq + 1);
    }
    free(copy);
    t->h.labels = &t->labels;
    t->h.components = t->comps;
    t->h.providers = t->provs;
}

static void
runs(thost *t, const char *id, const char *image, uint32_t count, const char *app,
     const char *spread)
{
    wadm_running r = {id, image, count, app, spread};

    t->comps[t->h.ncomponents++] = r;
}

static void
runs_provider(thost *t, const char *id, const char *image, const char *app)
{
    wadm_running r = {id, image, 1, app, NULL};

    t->provs[t->h.nproviders++] = r;
}

static void
host_free(thost *t)
{
    for (size_t i = 0; i < t->labels.n; i++) {
        free(t->keys[i]);
        free(t->vals[i]);
    }
}

/* Run the planner and compare its commands with the expected lines (NULL-ended). */
static int
check_plan(const wadm_app *apps, size_t napps, const wadm_state *st, const char *status,
           const char *message_part, ...)
{
    wadm_plan p;
    va_list ap;
    size_t i = 0;
    int ok = 1;
    const char *want;

    wadm_plan_compute(apps, napps, st, &p);
    va_start(ap, message_part);
    while ((want = va_arg(ap, const char *)) != NULL) {
        char got[600];

        if (i >= p.cmds.n) {
            fprintf(stderr, "  missing command %zu: %s\n", i, want);
            ok = 0;
            i++;
            continue;
        }
        wadm_cmd_describe(&p.cmds.v[i], got, sizeof(got));
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "  command %zu: got  \"%s\"\n              want \"%s\"\n", i, got,
                    want);
            ok = 0;
        }
        i++;
    }
    va_end(ap);
    for (; i < p.cmds.n; i++) {
        char got[600];

        fprintf(stderr, "  extra command %zu: %s\n", i,
                wadm_cmd_describe(&p.cmds.v[i], got, sizeof(got)));
        ok = 0;
    }
    if (strcmp(wadm_status_name(p.statuses.v[0].type), status) != 0) {
        fprintf(stderr, "  status %s, want %s (%s)\n", wadm_status_name(p.statuses.v[0].type),
                status, p.statuses.v[0].message);
        ok = 0;
    }
    if (message_part != NULL && strstr(p.statuses.v[0].message, message_part) == NULL) {
        fprintf(stderr, "  status message \"%s\" lacks \"%s\"\n", p.statuses.v[0].message,
                message_part);
        ok = 0;
    }
    wadm_plan_release(&p);
    return ok;
}

/* The wasmCloud example shape: an HTTP component, the http-server provider, a link. */
static const char *HELLO_V1 = "apiVersion: core.oam.dev/v1beta1\n"
                              "kind: Application\n"
                              "metadata:\n"
                              "  name: hello\n"
                              "  annotations:\n"
                              "    version: v1\n"
                              "spec:\n"
                              "  components:\n"
                              "    - name: web\n"
                              "      type: component\n"
                              "      properties:\n"
                              "        image: file:///apps/web-v1.wasm\n"
                              "      traits:\n"
                              "        - type: spreadscaler\n"
                              "          properties:\n"
                              "            instances: 4\n"
                              "    - name: httpserver\n"
                              "      type: capability\n"
                              "      properties:\n"
                              "        image: ghcr.io/wasmcloud/http-server:0.27.0\n"
                              "      traits:\n"
                              "        - type: daemonscaler\n"
                              "          properties:\n"
                              "            instances: 1\n"
                              "        - type: link\n"
                              "          properties:\n"
                              "            target: web\n"
                              "            namespace: wasi\n"
                              "            package: http\n"
                              "            interfaces: [incoming-handler]\n"
                              "            source:\n"
                              "              config:\n"
                              "                - name: listen\n"
                              "                  properties:\n"
                              "                    address: 0.0.0.0:8080\n";

#define WEB  "hello-web"
#define HTTP "hello-httpserver"
#define V1   "file:///apps/web-v1.wasm"
#define PROV "ghcr.io/wasmcloud/http-server:0.27.0"

static char *
replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    char *out = malloc(strlen(s) + strlen(to) + 1);

    memcpy(out, s, (size_t)(at - s));
    strcpy(out + (at - s), to);
    strcat(out, at + strlen(from));
    return out;
}

static wc_lt_link http_link = {HTTP,
                               WEB,
                               "default",
                               "wasi",
                               "http",
                               {1, (char *[]){"incoming-handler"}},
                               {1, (char *[]){"hello-listen"}},
                               {0, NULL}};

/* HELLO_V1 as it runs when deployed: web on NA, the provider on NA and NB,
 * its link and its managed config. */
typedef struct tlattice {
    thost a, b;
    wadm_host hosts[2];
    wadm_state st;
    json_t *configs;
} tlattice;

static void
steady(tlattice *l)
{
    host(&l->a, "NA", "zone=east");
    host(&l->b, "NB", "zone=west");
    runs(&l->a, WEB, V1, 4, "hello", "default");
    runs_provider(&l->a, HTTP, PROV, "hello");
    runs_provider(&l->b, HTTP, PROV, "hello");
    l->configs = json_pack("{s:{s:s}}", "hello-listen", "address", "0.0.0.0:8080");
}

/* The observed state, as the hosts are now (call after changing what they run). */
static wadm_state *
observe(tlattice *l)
{
    l->hosts[0] = l->a.h;
    l->hosts[1] = l->b.h;
    memset(&l->st, 0, sizeof(l->st));
    l->st.hosts = l->hosts;
    l->st.nhosts = 2;
    l->st.links = &http_link;
    l->st.nlinks = 1;
    l->st.configs = l->configs;
    return &l->st;
}

static void
lattice_free(tlattice *l)
{
    json_decref(l->configs);
    host_free(&l->a);
    host_free(&l->b);
}

TEST(fresh_deploy_puts_config_then_runs_then_links)
{
    wadm_manifest *m = manifest(HELLO_V1);
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"hello", m, vs, 1};
    thost a, b;
    wadm_host hosts[2];
    wadm_state st = {0};

    host(&a, "NA", "zone=east");
    host(&b, "NB", "zone=west");
    hosts[0] = a.h;
    hosts[1] = b.h;
    st.hosts = hosts;
    st.nhosts = 2;
    CHECK(check_plan(&app, 1, &st, "reconciling", NULL, "put config hello-listen",
                     "scale " WEB " on NA to 4", "start provider " HTTP " on NA",
                     "start provider " HTTP " on NB",
                     "put link " HTTP " -> " WEB " wasi:http (default)", NULL));
    host_free(&a);
    host_free(&b);
    wadm_manifest_free(m);
}

TEST(steady_state_needs_nothing)
{
    wadm_manifest *m = manifest(HELLO_V1);
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"hello", m, vs, 1};
    tlattice l;

    steady(&l);
    CHECK(check_plan(&app, 1, observe(&l), "deployed", NULL, NULL));
    lattice_free(&l);
    wadm_manifest_free(m);
}

TEST(spread_weights_split_instances)
{
    wadm_manifest *m = manifest("apiVersion: core.oam.dev/v1beta1\n"
                                "kind: Application\n"
                                "metadata: {name: w, annotations: {version: v1}}\n"
                                "spec:\n"
                                "  components:\n"
                                "    - name: c\n"
                                "      type: component\n"
                                "      properties: {image: file:///c.wasm}\n"
                                "      traits:\n"
                                "        - type: spreadscaler\n"
                                "          properties:\n"
                                "            instances: 10\n"
                                "            spread:\n"
                                "              - {name: west, requirements: {zone: west}, "
                                "weight: 25}\n"
                                "              - {name: east, requirements: {zone: east}, "
                                "weight: 75}\n"
                                "              - {name: north, requirements: {zone: north}, "
                                "weight: 0}\n");
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"w", m, vs, 1};
    thost a, b, c;
    wadm_host hosts[3];
    wadm_state st = {0};

    host(&a, "NA", "zone=east");
    host(&b, "NB", "zone=west");
    host(&c, "NC", "zone=east");
    runs(&c, "other", "file:///o.wasm", 1, NULL, NULL); /* busier: not chosen */
    hosts[0] = a.h;
    hosts[1] = b.h;
    hosts[2] = c.h;
    st.hosts = hosts;
    st.nhosts = 3;
    /* floor: west 2, east 7; the remainder 1 goes to the heaviest (east). */
    CHECK(check_plan(&app, 1, &st, "reconciling", NULL, "scale w-c on NA to 8",
                     "scale w-c on NB to 2", NULL));
    host_free(&a);
    host_free(&b);
    host_free(&c);
    wadm_manifest_free(m);
}

TEST(host_loss_moves_the_component)
{
    wadm_manifest *m = manifest(HELLO_V1);
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"hello", m, vs, 1};
    tlattice l;

    steady(&l);
    observe(&l);
    l.st.hosts = &l.hosts[1]; /* NA is gone */
    l.st.nhosts = 1;
    CHECK(check_plan(&app, 1, &l.st, "reconciling", NULL, "scale " WEB " on NB to 4", NULL));
    lattice_free(&l);
    wadm_manifest_free(m);
}

TEST(version_upgrade_updates_in_place)
{
    char *v2_text = replace(HELLO_V1, "web-v1.wasm", "web-v2.wasm");
    char *v2_text2 = replace(v2_text, "version: v1", "version: v2");
    wadm_manifest *v1 = manifest(HELLO_V1), *v2 = manifest(v2_text2);
    const wadm_manifest *vs[] = {v1, v2};
    wadm_app app = {"hello", v2, vs, 2};
    tlattice l;

    steady(&l);
    CHECK(check_plan(&app, 1, observe(&l), "reconciling", NULL,
                     "update " WEB " on NA to file:///apps/web-v2.wasm", NULL));
    free(v2_text);
    free(v2_text2);
    lattice_free(&l);
    wadm_manifest_free(v1);
    wadm_manifest_free(v2);
}

TEST(partial_failure_places_what_it_can)
{
    wadm_manifest *m = manifest("apiVersion: core.oam.dev/v1beta1\n"
                                "kind: Application\n"
                                "metadata: {name: p, annotations: {version: v1}}\n"
                                "spec:\n"
                                "  components:\n"
                                "    - name: ok\n"
                                "      type: component\n"
                                "      properties: {image: file:///ok.wasm}\n"
                                "      traits:\n"
                                "        - {type: spreadscaler, properties: {instances: 1}}\n"
                                "    - name: gpu\n"
                                "      type: component\n"
                                "      properties: {image: file:///gpu.wasm}\n"
                                "      traits:\n"
                                "        - type: spreadscaler\n"
                                "          properties:\n"
                                "            instances: 1\n"
                                "            spread: [{name: gpus, requirements: {gpu: 'yes'}}]\n");
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"p", m, vs, 1};
    thost a;
    wadm_host hosts[1];
    wadm_state st = {0};

    host(&a, "NA", "zone=east");
    hosts[0] = a.h;
    st.hosts = hosts;
    st.nhosts = 1;
    CHECK(check_plan(&app, 1, &st, "failed", "spread gpus of gpu", "scale p-ok on NA to 1", NULL));
    host_free(&a);
    wadm_manifest_free(m);
}

TEST(undeploy_removes_exactly_what_the_app_owns)
{
    wadm_manifest *m = manifest(HELLO_V1);
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"hello", NULL, vs, 1};
    tlattice l;
    wc_lt_link links[2];

    steady(&l);
    runs(&l.b, "mine", "file:///mine.wasm", 1, NULL, NULL);       /* started by hand */
    runs(&l.b, "theirs", "file:///t.wasm", 1, "other-app", NULL); /* another app's */
    observe(&l);
    links[0] = http_link;
    links[1] = http_link;
    links[1].source_id = "mine";
    l.st.links = links;
    l.st.nlinks = 2;
    CHECK(check_plan(&app, 1, &l.st, "undeployed", NULL, "delete link " HTTP " wasi:http (default)",
                     "scale " WEB " on NA to 0", "stop provider " HTTP " on NA",
                     "stop provider " HTTP " on NB", "delete config hello-listen", NULL));
    lattice_free(&l);
    wadm_manifest_free(m);
}

TEST(no_hosts_means_waiting)
{
    wadm_manifest *m = manifest(HELLO_V1);
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"hello", m, vs, 1};
    wadm_state st = {0};

    CHECK(check_plan(&app, 1, &st, "waiting", "no hosts", NULL));
    wadm_manifest_free(m);
}

TEST(link_to_a_new_target_deletes_the_old_first)
{
    char *moved = replace(HELLO_V1, "target: web", "target: api");
    char *text = replace(moved, "  components:\n",
                         "  components:\n"
                         "    - name: api\n"
                         "      type: component\n"
                         "      properties: {image: file:///api.wasm}\n");
    wadm_manifest *m = manifest(text);
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"hello", m, vs, 1};
    tlattice l;

    steady(&l);
    CHECK(check_plan(&app, 1, observe(&l), "reconciling", NULL,
                     "delete link " HTTP " wasi:http (default)",
                     "put link " HTTP " -> hello-api wasi:http (default)", NULL));
    free(moved);
    free(text);
    lattice_free(&l);
    wadm_manifest_free(m);
}

TEST(daemonscaler_runs_on_every_matching_host)
{
    wadm_manifest *m =
        manifest("apiVersion: core.oam.dev/v1beta1\n"
                 "kind: Application\n"
                 "metadata: {name: d, annotations: {version: v1}}\n"
                 "spec:\n"
                 "  components:\n"
                 "    - name: edge\n"
                 "      type: component\n"
                 "      properties: {image: file:///edge.wasm}\n"
                 "      traits:\n"
                 "        - type: daemonscaler\n"
                 "          properties:\n"
                 "            instances: 3\n"
                 "            spread: [{name: edges, requirements: {role: edge}}]\n");
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"d", m, vs, 1};
    thost a, b, c;
    wadm_host hosts[3];
    wadm_state st = {0};

    host(&a, "NA", "role=edge");
    host(&b, "NB", "role=core");
    host(&c, "NC", "role=edge,zone=x");
    runs(&c, "d-edge", "file:///edge.wasm", 3, "d", "edges");
    hosts[0] = a.h;
    hosts[1] = b.h;
    hosts[2] = c.h;
    st.hosts = hosts;
    st.nhosts = 3;
    CHECK(check_plan(&app, 1, &st, "reconciling", NULL, "scale d-edge on NA to 3", NULL));
    host_free(&a);
    host_free(&b);
    host_free(&c);
    wadm_manifest_free(m);
}

TEST(component_dropped_in_a_new_version_is_stopped)
{
    char *v2 = replace(HELLO_V1, "version: v1", "version: v2");
    char *v2b = replace(v2, "            instances: 4\n",
                        "            instances: 4\n"
                        "    - name: extra\n"
                        "      type: component\n"
                        "      properties: {image: "
                        "file:///x.wasm}\n");
    wadm_manifest *with = manifest(v2b), *without = manifest(HELLO_V1);
    const wadm_manifest *vs[] = {with, without};
    wadm_app app = {"hello", without, vs, 2};
    tlattice l;

    steady(&l);
    runs(&l.b, "hello-extra", "file:///x.wasm", 1, "hello", "default");
    CHECK(check_plan(&app, 1, observe(&l), "reconciling", NULL, "scale hello-extra on NB to 0",
                     NULL));
    free(v2);
    free(v2b);
    lattice_free(&l);
    wadm_manifest_free(with);
    wadm_manifest_free(without);
}

TEST(link_partners_share_a_host)
{
    char *text = replace(HELLO_V1, "daemonscaler", "spreadscaler");
    wadm_manifest *m = manifest(text);
    const wadm_manifest *vs[] = {m};
    wadm_app app = {"hello", m, vs, 1};
    thost a, b;
    wadm_host hosts[2];
    wadm_state st = {0};

    host(&a, "NA", "zone=east");
    host(&b, "NB", "zone=west");
    runs_provider(&a, "busy", "ghcr.io/x/y:1", NULL); /* by load alone: NB */
    hosts[0] = a.h;
    hosts[1] = b.h;
    st.hosts = hosts;
    st.nhosts = 2;
    CHECK(check_plan(&app, 1, &st, "reconciling", NULL, "put config hello-listen",
                     "scale " WEB " on NA to 4", "start provider " HTTP " on NA",
                     "put link " HTTP " -> " WEB " wasi:http (default)", NULL));
    free(text);
    host_free(&a);
    host_free(&b);
    wadm_manifest_free(m);
}

TEST(shared_component_is_linked_not_run)
{
    wadm_manifest *shared =
        manifest("apiVersion: core.oam.dev/v1beta1\n"
                 "kind: Application\n"
                 "metadata:\n"
                 "  name: base\n"
                 "  annotations: {version: v1, "
                 "experimental.wasmcloud.dev/shared: 'true'}\n"
                 "spec:\n"
                 "  components:\n"
                 "    - name: db\n"
                 "      type: component\n"
                 "      properties: {image: file:///db.wasm}\n"
                 "      traits:\n"
                 "        - {type: spreadscaler, properties: {instances: 1}}\n");
    wadm_manifest *user = manifest("apiVersion: core.oam.dev/v1beta1\n"
                                   "kind: Application\n"
                                   "metadata: {name: shop, annotations: {version: v1}}\n"
                                   "spec:\n"
                                   "  components:\n"
                                   "    - name: db\n"
                                   "      type: component\n"
                                   "      properties: {application: {name: base, component: db}}\n"
                                   "    - name: api\n"
                                   "      type: component\n"
                                   "      properties: {image: file:///api.wasm}\n"
                                   "      traits:\n"
                                   "        - {type: spreadscaler, properties: {instances: 1}}\n"
                                   "        - type: link\n"
                                   "          properties: {target: db, namespace: test, package: "
                                   "db, interfaces: [query]}\n");
    const wadm_manifest *sv[] = {shared}, *uv[] = {user};
    wadm_app apps[2] = {{"shop", user, uv, 1}, {"base", shared, sv, 1}};
    thost a;
    wadm_host hosts[1];
    wadm_state st = {0};

    host(&a, "NA", "zone=east");
    runs(&a, "base-db", "file:///db.wasm", 1, "base", "default");
    hosts[0] = a.h;
    st.hosts = hosts;
    st.nhosts = 1;
    /* shop runs only api, and links it to base's db by base's id. */
    CHECK(check_plan(apps, 2, &st, "reconciling", NULL, "scale shop-api on NA to 1",
                     "put link shop-api -> base-db test:db (default)", NULL));
    /* With base undeployed, shop cannot be satisfied. */
    apps[1].deployed = NULL;
    CHECK(check_plan(apps, 1, &st, "failed", "shared application base", "scale shop-api on NA to 1",
                     NULL));
    host_free(&a);
    wadm_manifest_free(shared);
    wadm_manifest_free(user);
}

TEST_MAIN(TEST_ENTRY(shared_component_is_linked_not_run), TEST_ENTRY(link_partners_share_a_host),
          TEST_ENTRY(fresh_deploy_puts_config_then_runs_then_links),
          TEST_ENTRY(steady_state_needs_nothing), TEST_ENTRY(spread_weights_split_instances),
          TEST_ENTRY(host_loss_moves_the_component), TEST_ENTRY(version_upgrade_updates_in_place),
          TEST_ENTRY(partial_failure_places_what_it_can),
          TEST_ENTRY(undeploy_removes_exactly_what_the_app_owns),
          TEST_ENTRY(no_hosts_means_waiting),
          TEST_ENTRY(link_to_a_new_target_deletes_the_old_first),
          TEST_ENTRY(daemonscaler_runs_on_every_matching_host),
          TEST_ENTRY(component_dropped_in_a_new_version_is_stopped))
