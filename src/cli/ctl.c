/*
 * ctl.c - wash commands over the lattice control interface:
 *
 *   wash get hosts | inventory [HOST] | links
 *   wash start component REF ID [--max N] [--host-id H] [--config NAME...]
 *   wash start provider REF ID [--host-id H] [--config NAME...]
 *   wash scale component ID --max N [--host-id H]
 *   wash stop component ID | provider ID [--host-id H]
 *   wash link put SOURCE TARGET NAMESPACE PACKAGE --interface I... | del SOURCE NS PKG | get
 *   wash config put NAME KEY=VALUE... | get NAME | del NAME
 *   wash label HOST KEY=VALUE | wash label HOST KEY --delete
 *
 * Without --host-id, start asks the lattice (an auction) and takes the first
 * host that bids; scale and stop find the host running the id.
 */
#include "cli/cli.h"

#include "lattice/lattice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctl_opts {
    const char *nats_url, *lattice, *output, *host_id, *link_name;
    uint64_t max, timeout;
    int del;
    wc_strlist config, interfaces, source_config, target_config;
} ctl_opts;

static const char *
str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));

    return s != NULL ? s : "";
}

static void
print_json(const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2));

    printf("%s\n", text);
    free(text);
}

/* A control request; the reply's response (new reference, may be NULL), or an error. */
static int
ctl(wc_lattice *lat, const ctl_opts *o, const char *suffix, json_t *body, json_t **response,
    wc_error *err)
{
    char subject[600];
    json_t *reply = NULL;
    int rc;

    snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.%s", o->lattice, suffix);
    rc = wc_lattice_request_json(lat, subject, body, (int64_t)(o->timeout / 1000000), &reply, err);
    json_decref(body);
    if (rc == WC_ENOENT) {
        wc_error_clear(err);
        return wc_error_set(err, WC_ENOENT,
                            "no host answers on lattice %s (is one running? wash up starts one)",
                            o->lattice);
    }
    if (rc != 0) {
        return rc;
    }
    if (!json_is_true(json_object_get(reply, "success"))) {
        rc = wc_error_set(err, WC_EINVAL, "%s", str(reply, "message"));
        json_decref(reply);
        return rc;
    }
    if (response != NULL) {
        *response = json_incref(json_object_get(reply, "response"));
    }
    json_decref(reply);
    return 0;
}

static void
collect(void *data, json_t *reply)
{
    json_t *resp = json_object_get(reply, "response");

    if (resp != NULL) {
        json_array_append(data, resp);
    }
}

static json_t *
hosts(wc_lattice *lat, const ctl_opts *o)
{
    char subject[300];
    json_t *all = json_array();

    snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.host.ping", o->lattice);
    wc_lattice_gather(lat, subject, NULL, 500, collect, all, NULL);
    return all;
}

/* The host running id (component or provider) and its image, found through the inventories. */
static int
find_host(wc_lattice *lat, const ctl_opts *o, const char *id, int provider, char *out, size_t size,
          char *image, size_t isize, wc_error *err)
{
    json_t *hs = hosts(lat, o), *h;
    size_t i;

    json_array_foreach(hs, i, h)
    {
        char suffix[300];
        json_t *inv = NULL, *x;
        size_t k;

        snprintf(suffix, sizeof(suffix), "host.get.%s", str(h, "id"));
        if (ctl(lat, o, suffix, NULL, &inv, NULL) != 0) {
            continue;
        }
        json_array_foreach(json_object_get(inv, provider ? "providers" : "components"), k, x)
        {
            if (strcmp(str(x, "id"), id) == 0) {
                snprintf(out, size, "%s", str(h, "id"));
                if (image != NULL) {
                    snprintf(image, isize, "%s", str(x, "image_ref"));
                }
                json_decref(inv);
                json_decref(hs);
                return 0;
            }
        }
        json_decref(inv);
    }
    json_decref(hs);
    return wc_error_set(err, WC_ENOENT, "no host runs %s %s (see: wash get inventory)",
                        provider ? "provider" : "component", id);
}

int
wc_cli_locate(wc_lattice *lat, const char *lattice, const char *id, int provider, char *host,
              size_t hsize, char *image, size_t isize, wc_error *err)
{
    ctl_opts o;

    memset(&o, 0, sizeof(o));
    o.lattice = lattice;
    o.timeout = 2000000000ull;
    return find_host(lat, &o, id, provider, host, hsize, image, isize, err);
}

/* The first host to bid in an auction for id. */
static int
auction(wc_lattice *lat, const ctl_opts *o, const char *kind, const char *ref, const char *id,
        char *out, size_t size, wc_error *err)
{
    char subject[300];
    json_t *acks = json_array(), *body;

    snprintf(subject, sizeof(subject), "wasmbus.ctl.v1.%s.%s.auction", o->lattice, kind);
    body =
        strcmp(kind, "component") == 0
            ? json_pack("{s:s, s:s, s:{}}", "component_ref", ref, "component_id", id, "constraints")
            : json_pack("{s:s, s:s, s:{}}", "provider_ref", ref, "provider_id", id, "constraints");
    wc_lattice_gather(lat, subject, body, 1000, collect, acks, NULL);
    json_decref(body);
    if (json_array_size(acks) == 0) {
        json_decref(acks);
        return wc_error_set(err, WC_ENOENT,
                            "no host bid for %s %s (it may run already: wash get inventory)", kind,
                            id);
    }
    snprintf(out, size, "%s", str(json_array_get(acks, 0), "host_id"));
    json_decref(acks);
    return 0;
}

static json_t *
strlist_json(const wc_strlist *l)
{
    json_t *a = json_array();

    for (size_t i = 0; i < l->n; i++) {
        json_array_append_new(a, json_string(l->v[i]));
    }
    return a;
}

static int
get_cmd(wc_lattice *lat, const ctl_opts *o, int npos, char **argv, wc_error *err)
{
    const char *what = argv[1];
    int json_out = strcmp(o->output, "json") == 0;
    json_t *r = NULL, *x;
    size_t i;

    if (strcmp(what, "hosts") == 0) {
        r = hosts(lat, o);
        if (json_out) {
            print_json(r);
        } else {
            printf("%-57s %-24s %-10s %s\n", "HOST", "NAME", "UPTIME", "LABELS");
            json_array_foreach(r, i, x)
            {
                const char *k;
                json_t *v;

                printf("%-57s %-24s %-10s", str(x, "id"), str(x, "friendly_name"),
                       str(x, "uptime_human"));
                json_object_foreach(json_object_get(x, "labels"), k, v)
                {
                    if (strncmp(k, "hostcore.", 9) != 0) {
                        printf(" %s=%s", k, json_string_value(v));
                    }
                }
                printf("\n");
            }
        }
    } else if (strcmp(what, "inventory") == 0) {
        json_t *hs = npos >= 2 ? json_pack("[{s:s}]", "id", argv[2]) : hosts(lat, o), *h;
        json_t *all = json_array();

        json_array_foreach(hs, i, h)
        {
            char suffix[300];
            json_t *inv;

            snprintf(suffix, sizeof(suffix), "host.get.%s", str(h, "id"));
            if (ctl(lat, o, suffix, NULL, &inv, err) != 0) {
                json_decref(hs);
                json_decref(all);
                return err->code;
            }
            json_array_append_new(all, inv);
        }
        json_decref(hs);
        if (json_out) {
            print_json(all);
        } else {
            json_array_foreach(all, i, h)
            {
                size_t k;

                printf("Host %s (%s)\n", str(h, "host_id"), str(h, "friendly_name"));
                printf("  %-28s %-9s %s\n", "COMPONENT", "MAX", "IMAGE");
                json_array_foreach(json_object_get(h, "components"), k, x)
                {
                    printf("  %-28s %-9lld %s\n", str(x, "id"),
                           (long long)json_integer_value(json_object_get(x, "max_instances")),
                           str(x, "image_ref"));
                }
                printf("  %-28s %-9s %s\n", "PROVIDER", "", "IMAGE");
                json_array_foreach(json_object_get(h, "providers"), k, x)
                {
                    printf("  %-28s %-9s %s\n", str(x, "id"), "", str(x, "image_ref"));
                }
            }
        }
        json_decref(all);
    } else if (strcmp(what, "links") == 0) {
        if (ctl(lat, o, "link.get", NULL, &r, err) != 0) {
            return err->code;
        }
        if (json_out) {
            print_json(r);
        } else {
            printf("%-24s %-24s %-22s %-10s %s\n", "SOURCE", "TARGET", "WIT", "NAME", "INTERFACES");
            json_array_foreach(r, i, x)
            {
                char wit[200];
                size_t k;
                json_t *f;

                snprintf(wit, sizeof(wit), "%s:%s", str(x, "wit_namespace"), str(x, "wit_package"));
                printf("%-24s %-24s %-22s %-10s", str(x, "source_id"), str(x, "target"), wit,
                       str(x, "name"));
                json_array_foreach(json_object_get(x, "interfaces"), k, f)
                {
                    printf("%s%s", k ? "," : " ", json_string_value(f));
                }
                printf("\n");
            }
        }
    } else {
        return wc_error_set(err, WC_EINVAL, "get what? hosts, inventory or links");
    }
    json_decref(r);
    return 0;
}

int
cmd_ctl(int argc, char **argv)
{
    ctl_opts o = {0};
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &o.nats_url},
        {"lattice", 'x', WC_OPT_STRING, &o.lattice},
        {"output", 'o', WC_OPT_STRING, &o.output},
        {"host-id", 0, WC_OPT_STRING, &o.host_id},
        {"max", 0, WC_OPT_UINT, &o.max},
        {"max-instances", 0, WC_OPT_UINT, &o.max},
        {"config", 0, WC_OPT_LIST, &o.config},
        {"interface", 0, WC_OPT_LIST, &o.interfaces},
        {"source-config", 0, WC_OPT_LIST, &o.source_config},
        {"target-config", 0, WC_OPT_LIST, &o.target_config},
        {"link-name", 0, WC_OPT_STRING, &o.link_name},
        {"delete", 0, WC_OPT_BOOL, &o.del},
        {"timeout", 0, WC_OPT_DURATION, &o.timeout},
        {NULL, 0, 0, NULL},
    };
    const char *cmd = argv[0];
    wc_lattice_config lc;
    wc_lattice *lat = NULL;
    wc_error err = WC_ERROR_INIT;
    char host[128], suffix[600];
    int npos, rc, status = 1;

    o.nats_url = "nats://127.0.0.1:4222";
    o.lattice = getenv("WASMCLOUD_LATTICE") != NULL ? getenv("WASMCLOUD_LATTICE") : "default";
    o.output = "table";
    o.link_name = "default";
    o.max = 1;
    o.timeout = 5000000000ull;
    rc = wc_parse_options(wc_find_command(cmd), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (npos < 1) {
        wc_cli_error(cmd, "expected arguments (see 'wash %s --help')", cmd);
        return 2;
    }
    wc_lattice_config_init(&lc);
    lc.url = o.nats_url;
    lc.lattice = o.lattice;
    if (wc_lattice_connect(&lc, &lat, &err) != 0) {
        goto fail;
    }
#define NEED(n, usage)                                                                             \
    if (npos < (n)) {                                                                              \
        wc_cli_error(cmd, "usage: wash %s %s", cmd, usage);                                        \
        status = 2;                                                                                \
        goto out;                                                                                  \
    }
    if (strcmp(cmd, "get") == 0) {
        if (get_cmd(lat, &o, npos, argv, &err) != 0) {
            goto fail;
        }
    } else if (strcmp(cmd, "start") == 0) {
        int provider = strcmp(argv[1], "provider") == 0;

        NEED(3, "component|provider REF ID [--max N] [--host-id H]");
        if (o.host_id != NULL) {
            snprintf(host, sizeof(host), "%s", o.host_id);
        } else {
            wc_progress_begin("Asking the hosts (auction)");
            rc = auction(lat, &o, provider ? "provider" : "component", argv[2], argv[3], host,
                         sizeof(host), &err);
            wc_progress_end();
            if (rc != 0) {
                goto fail;
            }
        }
        snprintf(suffix, sizeof(suffix), "%s.%s.%s", provider ? "provider" : "component",
                 provider ? "start" : "scale", host);
        if (ctl(lat, &o, suffix,
                provider ? json_pack("{s:s, s:s, s:s, s:o}", "provider_ref", argv[2], "provider_id",
                                     argv[3], "host_id", host, "config", strlist_json(&o.config))
                         : json_pack("{s:s, s:s, s:i, s:s, s:o}", "component_ref", argv[2],
                                     "component_id", argv[3], "count", (int)o.max, "host_id", host,
                                     "config", strlist_json(&o.config)),
                NULL, &err) != 0) {
            goto fail;
        }
        printf("%s %s starting on %s (the result comes as an event: wash get inventory)\n",
               provider ? "Provider" : "Component", argv[3], host);
    } else if (strcmp(cmd, "scale") == 0 || strcmp(cmd, "stop") == 0) {
        int provider = strcmp(argv[1], "provider") == 0, stop = strcmp(cmd, "stop") == 0;

        NEED(2, stop ? "component|provider ID [--host-id H]" : "component ID --max N");
        if (o.host_id != NULL) {
            snprintf(host, sizeof(host), "%s", o.host_id);
        } else if (find_host(lat, &o, argv[2], provider, host, sizeof(host), NULL, 0, &err) != 0) {
            goto fail;
        }
        if (provider) {
            snprintf(suffix, sizeof(suffix), "provider.stop.%s", host);
            rc = ctl(lat, &o, suffix,
                     json_pack("{s:s, s:s}", "provider_id", argv[2], "host_id", host), NULL, &err);
        } else {
            snprintf(suffix, sizeof(suffix), "component.scale.%s", host);
            rc = ctl(lat, &o, suffix,
                     json_pack("{s:s, s:s, s:i, s:s}", "component_id", argv[2], "component_ref", "",
                               "count", stop ? 0 : (int)o.max, "host_id", host),
                     NULL, &err);
        }
        if (rc != 0) {
            goto fail;
        }
        printf("%s %s on %s\n", stop ? "Stopping" : "Scaling", argv[2], host);
    } else if (strcmp(cmd, "link") == 0) {
        const char *verb = argv[1];

        if (strcmp(verb, "get") == 0) {
            char *args[] = {"get", "links"};

            if (get_cmd(lat, &o, 1, args, &err) != 0) {
                goto fail;
            }
        } else if (strcmp(verb, "put") == 0) {
            NEED(5, "put SOURCE TARGET NAMESPACE PACKAGE --interface I [--interface I...]");
            if (ctl(lat, &o, "link.put",
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "source_id", argv[2],
                              "target", argv[3], "wit_namespace", argv[4], "wit_package", argv[5],
                              "name", o.link_name, "interfaces", strlist_json(&o.interfaces),
                              "source_config", strlist_json(&o.source_config), "target_config",
                              strlist_json(&o.target_config)),
                    NULL, &err) != 0) {
                goto fail;
            }
            printf("Linked %s -> %s (%s:%s, name %s)\n", argv[2], argv[3], argv[4], argv[5],
                   o.link_name);
        } else if (strcmp(verb, "del") == 0) {
            NEED(4, "del SOURCE NAMESPACE PACKAGE [--link-name NAME]");
            if (ctl(lat, &o, "link.del",
                    json_pack("{s:s, s:s, s:s, s:s}", "source_id", argv[2], "wit_namespace",
                              argv[3], "wit_package", argv[4], "name", o.link_name),
                    NULL, &err) != 0) {
                goto fail;
            }
            printf("Deleted link %s %s:%s (%s)\n", argv[2], argv[3], argv[4], o.link_name);
        } else {
            wc_cli_error(cmd, "link put|del|get");
            status = 2;
            goto out;
        }
    } else if (strcmp(cmd, "config") == 0) {
        const char *verb = argv[1];
        json_t *r = NULL;

        NEED(2, "put NAME KEY=VALUE... | get NAME | del NAME");
        snprintf(suffix, sizeof(suffix), "config.%s.%s", verb, argv[2]);
        if (strcmp(verb, "put") == 0) {
            json_t *body = json_object();

            for (int i = 3; i <= npos; i++) {
                char *eq = strchr(argv[i], '=');

                if (eq == NULL) {
                    json_decref(body);
                    wc_cli_error(cmd, "%s: expected KEY=VALUE", argv[i]);
                    status = 2;
                    goto out;
                }
                *eq = '\0';
                json_object_set_new(body, argv[i], json_string(eq + 1));
            }
            if (ctl(lat, &o, suffix, body, NULL, &err) != 0) {
                goto fail;
            }
            printf("Config %s set\n", argv[2]);
        } else if (strcmp(verb, "get") == 0 || strcmp(verb, "del") == 0) {
            if (ctl(lat, &o, suffix, NULL, &r, &err) != 0) {
                goto fail;
            }
            if (strcmp(verb, "del") == 0) {
                printf("Config %s deleted\n", argv[2]);
            } else if (r == NULL) {
                wc_cli_error(cmd, "no config named %s", argv[2]);
                goto out;
            } else {
                print_json(r);
            }
            json_decref(r);
        } else {
            wc_cli_error(cmd, "config put|get|del");
            status = 2;
            goto out;
        }
    } else if (strcmp(cmd, "label") == 0) {
        char *eq;

        NEED(2, "HOST KEY=VALUE | HOST KEY --delete");
        eq = strchr(argv[2], '=');
        if (o.del) {
            snprintf(suffix, sizeof(suffix), "label.del.%s", argv[1]);
            rc = ctl(lat, &o, suffix, json_pack("{s:s}", "key", argv[2]), NULL, &err);
        } else if (eq == NULL) {
            wc_cli_error(cmd, "%s: expected KEY=VALUE (or KEY --delete)", argv[2]);
            status = 2;
            goto out;
        } else {
            *eq = '\0';
            snprintf(suffix, sizeof(suffix), "label.put.%s", argv[1]);
            rc = ctl(lat, &o, suffix, json_pack("{s:s, s:s}", "key", argv[2], "value", eq + 1),
                     NULL, &err);
        }
        if (rc != 0) {
            goto fail;
        }
        printf("Label %s %s on %s\n", argv[2], o.del ? "removed" : "set", argv[1]);
    }
#undef NEED
    status = 0;
    goto out;
fail:
    wc_cli_error(cmd, "%s", err.msg);
out:
    wc_lattice_close(lat, 0);
    free(o.config.v);
    free(o.interfaces.v);
    free(o.source_config.v);
    free(o.target_config.v);
    return status;
}
