/*
 * options.c - the small option parser every wash command uses.
 */
#include "cli/cli.h"

#include "base/duration.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wc_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "wash %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const wc_option *
find_opt(const wc_option *opts, const char *name, size_t len, char shortname)
{
    for (; opts->name != NULL; opts++) {
        if (shortname != 0 ? opts->shortname == shortname
                           : strlen(opts->name) == len && memcmp(opts->name, name, len) == 0) {
            return opts;
        }
    }
    return NULL;
}

static int
set_value(const wc_command *cmd, const wc_option *o, const char *value)
{
    wc_error err = WC_ERROR_INIT;
    char *end;

    switch (o->kind) {
    case WC_OPT_BOOL: *(int *)o->out = 1; return 0;
    case WC_OPT_STRING: *(const char **)o->out = value; return 0;
    case WC_OPT_UINT:
        *(uint64_t *)o->out = strtoull(value, &end, 10);
        if (*value == '\0' || *end != '\0' || *value == '-') {
            wc_cli_error(cmd->name, "--%s: expected a number, got \"%s\"", o->name, value);
            return -1;
        }
        return 0;
    case WC_OPT_LIST: {
        wc_strlist *l = o->out;

        l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
        l->v[l->n++] = value;
        return 0;
    }
    case WC_OPT_DURATION:
        if (wc_duration_parse(value, (uint64_t *)o->out, &err) != 0) {
            wc_cli_error(cmd->name, "--%s: %s", o->name, err.msg);
            return -1;
        }
        return 0;
    }
    return -1;
}

static int
parse(const wc_command *cmd, const wc_option *opts, int argc, char **argv, int *npos, int head)
{
    int pos = 1, i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *value = NULL, *eq;
        const wc_option *o;

        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++) {
                argv[pos++] = argv[i];
            }
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("%s", cmd->usage);
            return 1;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (head) {
                /* Everything from here on is positional. */
                for (; i < argc; i++) {
                    argv[pos++] = argv[i];
                }
                break;
            }
            argv[pos++] = argv[i];
            continue;
        }
        if (a[1] == '-') {
            eq = strchr(a + 2, '=');
            o = find_opt(opts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), 0);
            if (eq != NULL) {
                value = eq + 1;
            }
        } else {
            o = a[2] == '\0' ? find_opt(opts, NULL, 0, a[1]) : NULL;
        }
        if (o == NULL) {
            wc_cli_error(cmd->name, "unknown option '%s' (see 'wash %s --help')", a, cmd->name);
            return -1;
        }
        if (o->kind == WC_OPT_BOOL) {
            if (value != NULL) {
                wc_cli_error(cmd->name, "--%s takes no value", o->name);
                return -1;
            }
        } else if (value == NULL) {
            if (i + 1 >= argc) {
                wc_cli_error(cmd->name, "--%s needs a value", o->name);
                return -1;
            }
            value = argv[++i];
        }
        if (set_value(cmd, o, value) != 0) {
            return -1;
        }
    }
    *npos = pos - 1;
    return 0;
}

int
wc_parse_options(const wc_command *cmd, const wc_option *opts, int argc, char **argv, int *npos)
{
    return parse(cmd, opts, argc, argv, npos, 0);
}

int
wc_parse_options_head(const wc_command *cmd, const wc_option *opts, int argc, char **argv,
                      int *npos)
{
    return parse(cmd, opts, argc, argv, npos, 1);
}
