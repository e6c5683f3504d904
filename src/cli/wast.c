/*
 * wast.c - `wash wast`: run WebAssembly specification scripts.
 *
 * wast2json (Debian's wabt) turns a script into JSON commands plus binary
 * modules; we run those commands against our engine: instantiate modules
 * with imports from registered instances and the standard "spectest" host
 * module, invoke exports, and compare results (NaN patterns included).
 * Assertions about the text format (malformed .wat) test a text parser we
 * do not have; they are counted as skipped, never as passed.
 */
#include "cli/cli.h"

#include "base/duration.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"
#include "wc/engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Something that provides imports: an instance, or the spectest host module. */
typedef struct provider {
    wc_instance *inst; /* NULL for spectest */
    wc_map externs;    /* spectest: name -> wc_extern * */
} provider;

typedef struct wast {
    wc_engine *engine;
    wc_store *store;
    const char *file;
    const char *dir;
    int verbose, quiet;
    wc_map registered; /* module name -> provider * */
    wc_map named;      /* "$M" -> wc_instance * */
    WC_VEC(provider *) providers;
    WC_VEC(wc_extern *) externs;
    wc_instance *current;
    int current_broken; /* the last module failed (not merely unsupported) */
    unsigned passed, failed, skipped;
} wast;

static void failf(wast *w, json_t *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
failf(wast *w, json_t *cmd, const char *fmt, ...)
{
    va_list ap;

    w->failed++;
    fprintf(stdout, "%s:%lld: %s: ", w->file,
            (long long)json_integer_value(json_object_get(cmd, "line")),
            json_string_value(json_object_get(cmd, "type")));
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

/* ---- the spectest module ---- */

static int
spectest_print(void *data, const wc_val *args, wc_val *results, wc_error *err)
{
    (void)data;
    (void)args;
    (void)results;
    (void)err;
    return 0;
}

static void
spectest_add(wast *w, provider *p, const char *name, wc_extern ext)
{
    wc_extern *e = wc_xmalloc(sizeof(*e));

    *e = ext;
    wc_vec_push(&w->externs, e);
    wc_map_put(&p->externs, name, e);
}

static void
spectest_func(wast *w, provider *p, const char *name, const char *params)
{
    wc_functype t = {(uint32_t)strlen(params), 0, (const uint8_t *)params, NULL};
    wc_extern e = {.kind = WC_EXTERN_FUNC};

    e.u.func = wc_func_new_host(w->store, &t, spectest_print, NULL);
    spectest_add(w, p, name, e);
}

static void
spectest_global(wast *w, provider *p, const char *name, wc_valkind k, wc_val v)
{
    wc_extern e = {.kind = WC_EXTERN_GLOBAL};

    wc_global_new(w->store, k, 0, v, &e.u.global);
    spectest_add(w, p, name, e);
}

static void
make_spectest(wast *w)
{
    static const uint8_t i32[] = {WC_I32, 0}, i64[] = {WC_I64, 0}, f32[] = {WC_F32, 0},
                         f64[] = {WC_F64, 0}, i32f32[] = {WC_I32, WC_F32, 0},
                         f64f64[] = {WC_F64, WC_F64, 0};
    provider *p = wc_xcalloc(1, sizeof(*p));
    wc_extern e;
    wc_val v;

    wc_vec_push(&w->providers, p);
    spectest_func(w, p, "print", "");
    spectest_func(w, p, "print_i32", (const char *)i32);
    spectest_func(w, p, "print_i64", (const char *)i64);
    spectest_func(w, p, "print_f32", (const char *)f32);
    spectest_func(w, p, "print_f64", (const char *)f64);
    spectest_func(w, p, "print_i32_f32", (const char *)i32f32);
    spectest_func(w, p, "print_f64_f64", (const char *)f64f64);
    v.i64 = 0;
    v.i32 = 666;
    spectest_global(w, p, "global_i32", WC_I32, v);
    v.i64 = 666;
    spectest_global(w, p, "global_i64", WC_I64, v);
    v.i64 = 0;
    v.f32 = 666.6f;
    spectest_global(w, p, "global_f32", WC_F32, v);
    v.f64 = 666.6;
    spectest_global(w, p, "global_f64", WC_F64, v);
    e.kind = WC_EXTERN_TABLE;
    wc_table_new(w->store, WC_FUNCREF, 10, 20, 1, NULL, &e.u.table, NULL);
    spectest_add(w, p, "table", e);
    e.kind = WC_EXTERN_MEMORY;
    wc_memory_new(w->store, 1, 2, 1, &e.u.memory, NULL);
    spectest_add(w, p, "memory", e);
    wc_map_put(&w->registered, "spectest", p);
}

/* ---- values ---- */

static int
parse_value(json_t *j, wc_val *out, uint8_t *kind)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *value = json_string_value(json_object_get(j, "value"));

    memset(out, 0, sizeof(*out));
    if (type == NULL) {
        return -1;
    }
    if (strcmp(type, "i32") == 0 || strcmp(type, "f32") == 0) {
        uint32_t bits = (uint32_t)strtoul(value ? value : "0", NULL, 10);

        *kind = type[0] == 'i' ? WC_I32 : WC_F32;
        out->i32 = bits;
    } else if (strcmp(type, "i64") == 0 || strcmp(type, "f64") == 0) {
        *kind = type[0] == 'i' ? WC_I64 : WC_F64;
        out->i64 = strtoull(value ? value : "0", NULL, 10);
    } else if (strcmp(type, "externref") == 0 || strcmp(type, "funcref") == 0) {
        *kind = type[0] == 'e' ? WC_EXTERNREF : WC_FUNCREF;
        if (value != NULL && strcmp(value, "null") != 0) {
            out->ref = (void *)(uintptr_t)(strtoull(value, NULL, 10) + 1);
        }
    } else {
        return -1; /* v128 */
    }
    return 0;
}

static void
format_value(wc_strbuf *sb, uint8_t kind, wc_val v)
{
    switch (kind) {
    case WC_I32: wc_strbuf_addf(sb, "i32:%u (0x%x)", v.i32, v.i32); break;
    case WC_I64: wc_strbuf_addf(sb, "i64:%llu", (unsigned long long)v.i64); break;
    case WC_F32: wc_strbuf_addf(sb, "f32:%g (0x%08x)", (double)v.f32, v.i32); break;
    case WC_F64: wc_strbuf_addf(sb, "f64:%g (0x%016llx)", v.f64, (unsigned long long)v.i64); break;
    default: wc_strbuf_addf(sb, "ref:%p", v.ref); break;
    }
}

/* Does result r match the expected JSON value? */
static int
value_matches(json_t *exp, uint8_t kind, wc_val r)
{
    const char *value = json_string_value(json_object_get(exp, "value"));
    wc_val e;
    uint8_t ekind;

    if (value != NULL && strncmp(value, "nan:", 4) == 0) {
        if (kind == WC_F32) {
            uint32_t b = r.i32;

            if ((b & 0x7f800000u) != 0x7f800000u || (b & 0x007fffffu) == 0) {
                return 0;
            }
            return strcmp(value, "nan:canonical") == 0 ? (b & 0x7fffffffu) == 0x7fc00000u
                                                       : (b & 0x00400000u) != 0;
        } else {
            uint64_t b = r.i64;

            if ((b & 0x7ff0000000000000ull) != 0x7ff0000000000000ull ||
                (b & 0x000fffffffffffffull) == 0) {
                return 0;
            }
            return strcmp(value, "nan:canonical") == 0
                       ? (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull
                       : (b & 0x0008000000000000ull) != 0;
        }
    }
    if (parse_value(exp, &e, &ekind) != 0 || ekind != kind) {
        return 0;
    }
    switch (kind) {
    case WC_I32:
    case WC_F32: return e.i32 == r.i32;
    case WC_I64:
    case WC_F64: return e.i64 == r.i64;
    default: return e.ref == r.ref;
    }
}

/* ---- modules ---- */

static int
read_file(const char *path, wc_strbuf *out)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;

    if (f == NULL) {
        return -errno;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        wc_strbuf_add(out, buf, n);
    }
    fclose(f);
    return 0;
}

static int
load_module(wast *w, json_t *cmd, wc_module **out, wc_error *err)
{
    const char *fn = json_string_value(json_object_get(cmd, "filename"));
    wc_strbuf path = WC_STRBUF_INIT, bytes = WC_STRBUF_INIT;
    int rc;

    wc_strbuf_addf(&path, "%s/%s", w->dir, fn ? fn : "?");
    if ((rc = read_file(path.buf, &bytes)) != 0) {
        rc = wc_error_set(err, rc, "cannot read %s: %s", path.buf, strerror(-rc));
    } else {
        rc = wc_module_new(w->engine, bytes.buf, bytes.len, out, err);
    }
    wc_strbuf_release(&path);
    wc_strbuf_release(&bytes);
    return rc;
}

static int
instantiate(wast *w, wc_module *m, wc_instance **out, wc_error *err)
{
    uint32_t n = wc_module_import_count(m);
    wc_extern *imports = wc_xcalloc(n + 1, sizeof(*imports));
    int rc = 0;

    for (uint32_t i = 0; i < n && rc == 0; i++) {
        wc_importdesc d;
        provider *p;

        wc_module_import(m, i, &d);
        p = wc_map_get(&w->registered, d.module);
        if (p == NULL) {
            rc = wc_error_set(err, WC_ELINK, "unknown import: no module \"%s\"", d.module);
        } else if (p->inst != NULL) {
            if (wc_instance_export_n(p->inst, d.name, d.name_len, &imports[i]) != 0) {
                rc = wc_error_set(err, WC_ELINK, "unknown import: %s::%s", d.module, d.name);
            }
        } else {
            wc_extern *e = wc_map_get(&p->externs, d.name);

            if (e == NULL) {
                rc = wc_error_set(err, WC_ELINK, "unknown import: %s::%s", d.module, d.name);
            } else {
                imports[i] = *e;
            }
        }
    }
    if (rc == 0) {
        rc = wc_instance_new(w->store, m, imports, n, out, err);
    }
    free(imports);
    return rc;
}

/* ---- actions ---- */

static wc_instance *
action_instance(wast *w, json_t *action)
{
    const char *name = json_string_value(json_object_get(action, "module"));

    return name ? wc_map_get(&w->named, name) : w->current;
}

/* Run an action; results go to res (up to 64). Returns 0 or an error. */
static int
run_action(wast *w, json_t *action, wc_val *res, uint8_t *kinds, size_t *nres, wc_error *err)
{
    const char *type = json_string_value(json_object_get(action, "type"));
    json_t *jfield = json_object_get(action, "field");
    const char *field = json_string_value(jfield);
    wc_instance *inst = action_instance(w, action);
    wc_extern ext;

    *nres = 0;
    if (inst == NULL) {
        return wc_error_set(err, WC_ENOENT, "no module instance for this action");
    }
    if (field == NULL || wc_instance_export_n(inst, field, json_string_length(jfield), &ext) != 0) {
        return wc_error_set(err, WC_ENOENT, "no export \"%s\"", field ? field : "?");
    }
    if (strcmp(type, "get") == 0) {
        if (ext.kind != WC_EXTERN_GLOBAL) {
            return wc_error_set(err, WC_EINVAL, "export \"%s\" is not a global", field);
        }
        res[0] = wc_global_get(ext.u.global);
        kinds[0] = (uint8_t)wc_global_type(ext.u.global);
        *nres = 1;
        return 0;
    }
    if (ext.kind != WC_EXTERN_FUNC) {
        return wc_error_set(err, WC_EINVAL, "export \"%s\" is not a function", field);
    }
    {
        json_t *args = json_object_get(action, "args");
        size_t nargs = json_array_size(args);
        const wc_functype *t = wc_func_type(ext.u.func);
        wc_val argv[64];
        uint8_t k;

        if (nargs > 64 || t->nresults > 64) {
            return wc_error_set(err, WC_ELIMIT, "too many values for the test runner");
        }
        for (size_t i = 0; i < nargs; i++) {
            if (parse_value(json_array_get(args, i), &argv[i], &k) != 0) {
                return wc_error_set(err, WC_ENOTSUP, "unsupported argument type");
            }
        }
        memcpy(kinds, t->results, t->nresults);
        *nres = t->nresults;
        return wc_func_call(w->store, ext.u.func, argv, nargs, res, t->nresults, err);
    }
}

static void
describe_action(wc_strbuf *sb, json_t *action)
{
    json_t *args = json_object_get(action, "args");

    wc_strbuf_addf(sb, "%s \"%s\"(", json_string_value(json_object_get(action, "type")),
                   json_string_value(json_object_get(action, "field")));
    for (size_t i = 0; i < json_array_size(args); i++) {
        json_t *a = json_array_get(args, i);

        wc_strbuf_addf(sb, "%s%s:%s", i ? ", " : "", json_string_value(json_object_get(a, "type")),
                       json_string_value(json_object_get(a, "value")));
    }
    wc_strbuf_addch(sb, ')');
}

/* The reference interpreter adds an index ("uninitialized element 2"); we do not. */
static int
trap_text_matches(const char *msg, const char *text)
{
    size_t n;

    if (text == NULL) {
        return 1;
    }
    n = strlen(text);
    while (n > 0 && (text[n - 1] == ' ' || (text[n - 1] >= '0' && text[n - 1] <= '9'))) {
        n--;
    }
    for (const char *p = msg; *p != '\0'; p++) {
        if (strncmp(p, text, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
uses_v128(json_t *cmd)
{
    const char *s = json_dumps(cmd, JSON_COMPACT);
    int r = s != NULL && strstr(s, "\"v128\"") != NULL;

    free((void *)s);
    return r;
}

/* ---- commands ---- */

static void
cmd_module(wast *w, json_t *cmd)
{
    const char *name = json_string_value(json_object_get(cmd, "name"));
    wc_error err = WC_ERROR_INIT;
    wc_module *m = NULL;
    wc_instance *inst = NULL;

    w->current = NULL;
    w->current_broken = 0;
    if (load_module(w, cmd, &m, &err) != 0 || instantiate(w, m, &inst, &err) != 0) {
        w->current_broken = err.code != WC_ENOTSUP;
        if (err.code == WC_ENOTSUP) {
            w->skipped++;
            if (!w->quiet) {
                printf("%s:%lld: module skipped: %s\n", w->file,
                       (long long)json_integer_value(json_object_get(cmd, "line")), err.msg);
            }
        } else {
            failf(w, cmd, "%s", err.msg);
        }
        wc_module_unref(m);
        return;
    }
    wc_module_unref(m);
    w->current = inst;
    if (name != NULL) {
        wc_map_put(&w->named, name, inst);
    }
    w->passed++;
}

static void
cmd_register(wast *w, json_t *cmd)
{
    const char *name = json_string_value(json_object_get(cmd, "name"));
    const char *as = json_string_value(json_object_get(cmd, "as"));
    wc_instance *inst = name ? wc_map_get(&w->named, name) : w->current;
    provider *p;

    if (inst == NULL || as == NULL) {
        failf(w, cmd, "nothing to register");
        return;
    }
    p = wc_xcalloc(1, sizeof(*p));
    p->inst = inst;
    wc_vec_push(&w->providers, p);
    wc_map_put(&w->registered, as, p);
}

static void
cmd_assert_return(wast *w, json_t *cmd, int is_action)
{
    json_t *action = json_object_get(cmd, "action");
    json_t *expected = json_object_get(cmd, "expected");
    wc_error err = WC_ERROR_INIT;
    wc_val res[64];
    uint8_t kinds[64];
    size_t nres;
    wc_strbuf sb = WC_STRBUF_INIT;

    if (run_action(w, action, res, kinds, &nres, &err) != 0) {
        describe_action(&sb, action);
        failf(w, cmd, "%s: %s", sb.buf, err.msg);
        goto out;
    }
    if (is_action) {
        w->passed++;
        goto out;
    }
    if (json_array_size(expected) != nres) {
        describe_action(&sb, action);
        failf(w, cmd, "%s: expected %zu results, got %zu", sb.buf, json_array_size(expected), nres);
        goto out;
    }
    for (size_t i = 0; i < nres; i++) {
        json_t *e = json_array_get(expected, i);

        if (!value_matches(e, kinds[i], res[i])) {
            describe_action(&sb, action);
            wc_strbuf_addf(&sb, ": result %zu: expected %s:%s, got ", i,
                           json_string_value(json_object_get(e, "type")),
                           json_string_value(json_object_get(e, "value")));
            format_value(&sb, kinds[i], res[i]);
            failf(w, cmd, "%s", sb.buf);
            goto out;
        }
    }
    w->passed++;
out:
    wc_strbuf_release(&sb);
}

static void
cmd_assert_trap(wast *w, json_t *cmd)
{
    json_t *action = json_object_get(cmd, "action");
    const char *text = json_string_value(json_object_get(cmd, "text"));
    wc_error err = WC_ERROR_INIT;
    wc_val res[64];
    uint8_t kinds[64];
    size_t nres;
    wc_strbuf sb = WC_STRBUF_INIT;
    int rc = run_action(w, action, res, kinds, &nres, &err);

    describe_action(&sb, action);
    if (rc == 0) {
        failf(w, cmd, "%s: expected a trap (%s), but it returned", sb.buf, text);
    } else if (rc != WC_ETRAP) {
        failf(w, cmd, "%s: expected a trap (%s), got an error: %s", sb.buf, text, err.msg);
    } else if (!trap_text_matches(err.msg, text)) {
        failf(w, cmd, "%s: expected trap \"%s\", got \"%s\"", sb.buf, text, err.msg);
    } else {
        w->passed++;
    }
    wc_strbuf_release(&sb);
}

/* assert_invalid / assert_malformed: the binary must be refused. */
static void
cmd_assert_refused(wast *w, json_t *cmd)
{
    const char *mt = json_string_value(json_object_get(cmd, "module_type"));
    wc_error err = WC_ERROR_INIT;
    wc_module *m = NULL;

    if (mt != NULL && strcmp(mt, "text") == 0) {
        w->skipped++;
        return;
    }
    if (load_module(w, cmd, &m, &err) == 0) {
        failf(w, cmd, "module was accepted, expected \"%s\"",
              json_string_value(json_object_get(cmd, "text")));
        wc_module_unref(m);
        return;
    }
    if (w->verbose) {
        printf("%s:%lld: refused as expected (%s): %s\n", w->file,
               (long long)json_integer_value(json_object_get(cmd, "line")),
               json_string_value(json_object_get(cmd, "text")), err.msg);
    }
    w->passed++;
}

/* assert_unlinkable / assert_uninstantiable: loads, then instantiation fails. */
static void
cmd_assert_instantiate_fails(wast *w, json_t *cmd, int want)
{
    const char *text = json_string_value(json_object_get(cmd, "text"));
    wc_error err = WC_ERROR_INIT;
    wc_module *m = NULL;
    wc_instance *inst;
    int rc;

    if ((rc = load_module(w, cmd, &m, &err)) != 0) {
        failf(w, cmd, "module failed to load: %s", err.msg);
        return;
    }
    rc = instantiate(w, m, &inst, &err);
    wc_module_unref(m);
    if (rc == 0) {
        failf(w, cmd, "instantiation succeeded, expected \"%s\"", text);
    } else if (rc != want) {
        failf(w, cmd, "expected \"%s\", got: %s", text, err.msg);
    } else if (want == WC_ETRAP && !trap_text_matches(err.msg, text)) {
        failf(w, cmd, "expected trap \"%s\", got \"%s\"", text, err.msg);
    } else {
        w->passed++;
    }
}

static void
run_command(wast *w, json_t *cmd)
{
    const char *type = json_string_value(json_object_get(cmd, "type"));

    if (w->verbose) {
        printf("%s:%lld: %s\n", w->file,
               (long long)json_integer_value(json_object_get(cmd, "line")), type);
        fflush(stdout);
    }
    if (strcmp(type, "module") == 0) {
        cmd_module(w, cmd);
    } else if (strcmp(type, "register") == 0) {
        cmd_register(w, cmd);
    } else if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0) {
        cmd_assert_refused(w, cmd);
    } else if (strcmp(type, "assert_unlinkable") == 0) {
        cmd_assert_instantiate_fails(w, cmd, WC_ELINK);
    } else if (strcmp(type, "assert_uninstantiable") == 0) {
        cmd_assert_instantiate_fails(w, cmd, WC_ETRAP);
    } else if (uses_v128(cmd)) {
        w->skipped++; /* a SIMD value: the module providing it was refused */
    } else if (action_instance(w, json_object_get(cmd, "action")) == NULL &&
               json_object_get(cmd, "action") != NULL) {
        if (w->current_broken) {
            failf(w, cmd, "its module failed to load");
        } else {
            w->skipped++; /* its module uses an unsupported feature */
        }
    } else if (strcmp(type, "assert_return") == 0) {
        cmd_assert_return(w, cmd, 0);
    } else if (strcmp(type, "action") == 0) {
        cmd_assert_return(w, cmd, 1);
    } else if (strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0) {
        cmd_assert_trap(w, cmd);
    } else {
        failf(w, cmd, "unknown command type");
    }
}

/* ---- driver ---- */

static int
run_wast2json(const char *file, const char *json, wc_strbuf *errors)
{
    char *argv[] = {"wast2json", (char *)file, "-o", (char *)json, NULL};
    posix_spawn_file_actions_t fa;
    char errpath[4096];
    pid_t pid;
    int status, rc;

    snprintf(errpath, sizeof(errpath), "%s.err", json);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    rc = posix_spawnp(&pid, "wast2json", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        wc_strbuf_addf(errors, "cannot run wast2json (install Debian's wabt): %s", strerror(rc));
        return -1;
    }
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        read_file(errpath, errors);
        return -1;
    }
    return 0;
}

static void
remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        wc_strbuf p = WC_STRBUF_INIT;

        if (de->d_name[0] == '.') {
            continue;
        }
        wc_strbuf_addf(&p, "%s/%s", dir, de->d_name);
        unlink(p.buf);
        wc_strbuf_release(&p);
    }
    closedir(d);
    rmdir(dir);
}

static void
run_file(wast *w, const char *file)
{
    char tmpl[4096];
    const char *tmp = getenv("TMPDIR");
    wc_strbuf json = WC_STRBUF_INIT, errors = WC_STRBUF_INIT;
    json_error_t jerr;
    json_t *root = NULL, *cmds;
    unsigned p0 = w->passed, f0 = w->failed, s0 = w->skipped;

    w->file = file;
    snprintf(tmpl, sizeof(tmpl), "%s/wash-wast-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(tmpl) == NULL) {
        printf("%s: cannot create a temporary directory: %s\n", file, strerror(errno));
        w->failed++;
        return;
    }
    w->dir = tmpl;
    wc_strbuf_addf(&json, "%s/script.json", tmpl);
    if (run_wast2json(file, json.buf, &errors) != 0) {
        printf("%s: wast2json failed: %s\n", file, errors.buf);
        w->failed++;
        goto out;
    }
    root = json_load_file(json.buf, JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        printf("%s: cannot read wast2json output: %s\n", file, jerr.text);
        w->failed++;
        goto out;
    }
    w->store = wc_store_new(w->engine);
    make_spectest(w);
    cmds = json_object_get(root, "commands");
    for (size_t i = 0; i < json_array_size(cmds); i++) {
        run_command(w, json_array_get(cmds, i));
    }
    if (!w->quiet) {
        printf("%s: %u passed, %u failed, %u skipped\n", file, w->passed - p0, w->failed - f0,
               w->skipped - s0);
    }
out:
    fflush(stdout);
    wc_store_free(w->store);
    w->store = NULL;
    w->current = NULL;
    for (size_t i = 0; i < w->providers.n; i++) {
        wc_map_release(&w->providers.v[i]->externs);
        free(w->providers.v[i]);
    }
    wc_vec_free(&w->providers);
    for (size_t i = 0; i < w->externs.n; i++) {
        free(w->externs.v[i]);
    }
    wc_vec_free(&w->externs);
    wc_map_release(&w->registered);
    wc_map_release(&w->named);
    json_decref(root);
    remove_dir(tmpl);
    wc_strbuf_release(&json);
    wc_strbuf_release(&errors);
}

int
cmd_wast(int argc, char **argv)
{
    const char *tier = "baseline";
    int quiet = 0, verbose = 0, npos, rc;
    const wc_option opts[] = {
        {"tier", 0, WC_OPT_STRING, &tier},
        {"quiet", 'q', WC_OPT_BOOL, &quiet},
        {"verbose", 'v', WC_OPT_BOOL, &verbose},
        {NULL, 0, 0, NULL},
    };
    wc_engine_config cfg;
    wc_error err = WC_ERROR_INIT;
    wast w;

    rc = wc_parse_options(wc_find_command("wast"), opts, argc, argv, &npos);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (npos == 0) {
        wc_cli_error("wast", "no .wast files given (usage: wash wast FILE.wast...)");
        return 2;
    }
    wc_engine_config_init(&cfg);
    if (strcmp(tier, "baseline") == 0) {
        cfg.tier = WC_TIER_BASELINE;
    } else if (strcmp(tier, "optimized") == 0) {
        cfg.tier = WC_TIER_OPTIMIZED;
    } else {
        wc_cli_error("wast", "--tier must be baseline or optimized, not \"%s\"", tier);
        return 2;
    }
    memset(&w, 0, sizeof(w));
    w.quiet = quiet;
    w.verbose = verbose;
    if (wc_engine_new(&cfg, &w.engine, &err) != 0) {
        wc_cli_error("wast", "%s", err.msg);
        return 1;
    }
    for (int i = 1; i <= npos; i++) {
        run_file(&w, argv[i]);
    }
    wc_engine_free(w.engine);
    if (w.skipped != 0) {
        printf("%u skipped (text-format assertions, unsupported SIMD)\n", w.skipped);
    }
    printf("%u passed, %u failed\n", w.passed, w.failed);
    return w.failed == 0 ? 0 : 1;
}
