/*
 * app.c - `wash app`: applications through the wadm API.
 *
 *   wash app validate FILE.yaml          check a manifest here, say what is wrong
 *   wash app deploy FILE.yaml            put it (name and version from the file) and deploy
 *   wash app list | status NAME | get NAME | versions NAME
 *   wash app undeploy NAME | delete NAME [--version V]
 *
 * A manifest is parsed here first, so errors name the path and line before
 * anything is sent, and relative file:// images resolve against the
 * manifest's own directory (the server cannot know it). What is sent is the
 * manifest as JSON, with the images made absolute.
 */
#include "cli/cli.h"

#include "base/strbuf.h"
#include "lattice/lattice.h"
#include "wadm/manifest.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct app_opts {
    const char *nats_url, *lattice, *output, *version;
    uint64_t timeout;
} app_opts;

static int
load_manifest(const char *path, wadm_manifest **out, wc_error *err)
{
    wc_strbuf text = WC_STRBUF_INIT;
    char real[PATH_MAX], *dir;
    int rc;

    if ((rc = wc_cli_read_file(path, &text, err)) != 0) {
        return rc;
    }
    if (realpath(path, real) == NULL) {
        snprintf(real, sizeof(real), "%s", path);
    }
    dir = dirname(real);
    rc = wadm_manifest_parse(text.buf, text.len, dir, out, err);
    if (rc != 0) {
        wc_error_prefix(err, "%s: ", path);
    }
    wc_strbuf_release(&text);
    return rc;
}

static int
call(wc_lattice *lat, const app_opts *o, const char *op, const json_t *body, json_t **reply,
     wc_error *err)
{
    char subject[512];
    int rc;

    snprintf(subject, sizeof(subject), "wadm.api.%s.model.%s", o->lattice, op);
    rc = wc_lattice_request_json(lat, subject, body, (int64_t)(o->timeout / 1000000), reply, err);
    if (rc == WC_ENOENT) {
        wc_error_clear(err);
        return wc_error_set(err, WC_ENOENT,
                            "no wadm answers on lattice %s (start one: wash wadm --nats-url %s)",
                            o->lattice, o->nats_url);
    }
    return rc;
}

static const char *
str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));

    return s != NULL ? s : "";
}

/* A reply whose result is one of ok (space-separated); else report it. */
static int
result_ok(const json_t *r, const char *ok, wc_error *err)
{
    const char *res = str(r, "result");
    char want[128];

    snprintf(want, sizeof(want), " %s ", ok);
    if (*res != '\0') {
        char probe[64];

        snprintf(probe, sizeof(probe), " %s ", res);
        if (strstr(want, probe) != NULL) {
            return 0;
        }
    }
    return wc_error_set(err, WC_EINVAL, "%s", *str(r, "message") ? str(r, "message") : res);
}

static void
print_json(const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2));

    printf("%s\n", text);
    free(text);
}

int
cmd_app(int argc, char **argv)
{
    app_opts o = {"nats://127.0.0.1:4222", "default", "table", NULL, 5000000000ull};
    const wc_option opts[] = {
        {"nats-url", 0, WC_OPT_STRING, &o.nats_url}, {"lattice", 'x', WC_OPT_STRING, &o.lattice},
        {"output", 'o', WC_OPT_STRING, &o.output},   {"version", 0, WC_OPT_STRING, &o.version},
        {"timeout", 0, WC_OPT_DURATION, &o.timeout}, {NULL, 0, 0, NULL},
    };
    wc_lattice_config lc;
    wc_lattice *lat = NULL;
    wc_error err = WC_ERROR_INIT;
    wadm_manifest *m = NULL;
    json_t *reply = NULL, *body = NULL;
    const char *sub, *arg;
    char op[300];
    int npos, rc, status = 1, json_out;

    if (getenv("WASMCLOUD_LATTICE") != NULL) {
        o.lattice = getenv("WASMCLOUD_LATTICE");
    }
    rc = wc_parse_options(wc_find_command("app"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    json_out = strcmp(o.output, "json") == 0;
    if (npos < 1) {
        wc_cli_error("app", "expected a subcommand (see 'wash app --help')");
        return 2;
    }
    sub = argv[1];
    arg = npos >= 2 ? argv[2] : NULL;
    if (strcmp(sub, "list") != 0 && arg == NULL) {
        wc_cli_error("app", "%s: expected %s", sub,
                     strcmp(sub, "validate") == 0 || strcmp(sub, "deploy") == 0 ? "a manifest file"
                                                                                : "an app name");
        return 2;
    }
    if (strcmp(sub, "validate") == 0) {
        if (load_manifest(arg, &m, &err) != 0) {
            wc_cli_error("app", "%s", err.msg);
            return 1;
        }
        printf("%s: valid (%s %s, %zu components)\n", arg, m->name,
               m->version != NULL ? m->version : "(no version: wadm assigns one)", m->ncomponents);
        wadm_manifest_free(m);
        return 0;
    }
    if (strcmp(sub, "deploy") == 0 && load_manifest(arg, &m, &err) != 0) {
        wc_cli_error("app", "%s", err.msg);
        return 1;
    }
    wc_lattice_config_init(&lc);
    lc.url = o.nats_url;
    lc.lattice = o.lattice;
    if (wc_lattice_connect(&lc, &lat, &err) != 0) {
        wc_cli_error("app", "%s", err.msg);
        goto out;
    }
    if (strcmp(sub, "deploy") == 0) {
        const char *version;

        if (call(lat, &o, "put", m->json, &reply, &err) != 0 ||
            result_ok(reply, "created newversion", &err) != 0) {
            /* An identical version already stored is fine: deploy it. */
            if (strstr(err.msg, "already exists") == NULL) {
                goto fail;
            }
            wc_error_clear(&err);
        }
        version = json_string_value(json_object_get(reply, "current_version"));
        body = json_pack("{s:s?}", "version", version != NULL ? version : m->version);
        json_decref(reply);
        reply = NULL;
        snprintf(op, sizeof(op), "deploy.%s", m->name);
        if (call(lat, &o, op, body, &reply, &err) != 0 ||
            result_ok(reply, "acknowledged", &err) != 0) {
            goto fail;
        }
        if (json_out) {
            print_json(reply);
        } else {
            printf("Deployed %s %s (wash app status %s to follow it)\n", m->name,
                   str(reply, "version"), m->name);
        }
        status = 0;
    } else if (strcmp(sub, "list") == 0) {
        size_t i;
        json_t *v;

        if (call(lat, &o, "list", NULL, &reply, &err) != 0) {
            goto fail;
        }
        if (json_out) {
            print_json(reply);
        } else {
            printf("%-24s %-28s %-28s %s\n", "NAME", "LATEST", "DEPLOYED", "STATUS");
            json_array_foreach(reply, i, v)
            {
                printf("%-24s %-28s %-28s %s\n", str(v, "name"), str(v, "version"),
                       json_is_string(json_object_get(v, "deployed_version"))
                           ? str(v, "deployed_version")
                           : "-",
                       str(v, "status"));
            }
        }
        status = 0;
    } else if (strcmp(sub, "status") == 0 || strcmp(sub, "get") == 0 ||
               strcmp(sub, "versions") == 0) {
        snprintf(op, sizeof(op), "%s.%s", sub, arg);
        body = o.version != NULL ? json_pack("{s:s}", "version", o.version) : NULL;
        if (call(lat, &o, op, body, &reply, &err) != 0 ||
            result_ok(reply, "ok success", &err) != 0) {
            goto fail;
        }
        if (json_out || strcmp(sub, "get") == 0) {
            print_json(strcmp(sub, "get") == 0 ? json_object_get(reply, "manifest") : reply);
        } else if (strcmp(sub, "status") == 0) {
            json_t *st = json_object_get(json_object_get(reply, "status"), "status");

            printf("%s: %s%s%s\n", arg, str(st, "type"), *str(st, "message") ? ": " : "",
                   str(st, "message"));
        } else {
            size_t i;
            json_t *v;

            printf("%-28s %s\n", "VERSION", "DEPLOYED");
            json_array_foreach(json_object_get(reply, "versions"), i, v)
            {
                printf("%-28s %s\n", str(v, "version"),
                       json_is_true(json_object_get(v, "deployed")) ? "yes" : "");
            }
        }
        status = 0;
    } else if (strcmp(sub, "undeploy") == 0 || strcmp(sub, "delete") == 0) {
        int del = strcmp(sub, "delete") == 0;

        snprintf(op, sizeof(op), "%s.%s", del ? "del" : "undeploy", arg);
        body = o.version != NULL && del ? json_pack("{s:s}", "version", o.version) : json_object();
        if (call(lat, &o, op, body, &reply, &err) != 0 ||
            result_ok(reply, del ? "deleted noop" : "acknowledged", &err) != 0) {
            goto fail;
        }
        if (json_out) {
            print_json(reply);
        } else {
            printf("%s %s\n", del ? "Deleted" : "Undeployed", arg);
        }
        status = 0;
    } else {
        wc_cli_error("app", "unknown subcommand '%s' (see 'wash app --help')", sub);
        status = 2;
    }
    goto out;
fail:
    wc_cli_error("app", "%s %s: %s", sub, arg != NULL ? arg : "", err.msg);
out:
    json_decref(reply);
    json_decref(body);
    wadm_manifest_free(m);
    wc_lattice_close(lat, 0);
    return status;
}
