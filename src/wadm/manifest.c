/*
 * manifest.c - OAM application manifests, read and checked as wadm 0.21 does.
 *
 * Two steps. First the text (YAML, or JSON read as YAML by libyaml) or a
 * jansson value becomes a small node tree: mappings, sequences and scalars,
 * each with its line and, for scalars, whether it was written plain (so
 * `instances: "4"` is a string and `instances: 4` an integer, as serde_yaml
 * sees them). Aliases, several documents, more than MANIFEST_MAX_DEPTH levels or
 * MANIFEST_MAX_NODES nodes are refused while loading, so nothing later recurses
 * deeper than that or walks more than that.
 *
 * Then one walk over the tree checks every key against the shape of wadm's
 * serde types (unknown keys are errors), fills the C structs in the
 * manifest's arena, and builds the manifest's JSON in the form wadm
 * serializes it (legacy link forms rewritten, "replicas" as "instances",
 * "actor" as "component"), so JSON stored by model.put loads again through
 * wadm_manifest_from_json with the same checks. The walk keeps the path it is
 * at ("spec.components[1].traits[0].properties") for error messages, and it
 * stops at the first error.
 */
#include "wadm/manifest.h"

#include "base/strbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define MANIFEST_MAX_BYTES (1024 * 1024) /* bytes of manifest text */
#define MANIFEST_MAX_DEPTH 64            /* nested mappings and sequences */
#define MANIFEST_MAX_NODES 100000        /* a large real manifest has a few thousand */
#define SHOW_MAX           64            /* bytes of a user string quoted in a message */

#define SECRET_POLICY_TYPE "policy.secret.wasmcloud.dev/v1alpha1"
#define SHARED_ANNOTATION  "experimental.wasmcloud.dev/shared"

/* ---- the node tree ---- */

typedef enum node_kind { N_SCALAR, N_MAP, N_SEQ } node_kind;

typedef struct node {
    node_kind kind;
    int line;  /* 1-based; 0 when loaded from JSON */
    int plain; /* scalar written without quotes (may be a number, bool or null) */
    const char *s;
    size_t len;
    struct node *first, *last, *next; /* children; a map's alternate key, value */
    size_t nkids;                     /* children (a map has 2 per entry) */
} node;

typedef struct loader {
    wc_arena *a;
    node *stack[MANIFEST_MAX_DEPTH];
    int depth;
    node *root;
    size_t count;
    int lines;
    wc_error *err;
} loader;

static int load_fail(loader *l, int code, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
load_fail(loader *l, int code, int line, const char *fmt, ...)
{
    char msg[WC_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (l->lines && line > 0) {
        return wc_error_set(l->err, code, "%s (line %d)", msg, line);
    }
    return wc_error_set(l->err, code, "%s", msg);
}

/* A new node, appended to the open collection (or made the root). */
static int
add_node(loader *l, node_kind kind, int line, node **out)
{
    node *n;

    if (++l->count > MANIFEST_MAX_NODES) {
        return load_fail(l, WC_ELIMIT, line, "manifest has more than %d nodes", MANIFEST_MAX_NODES);
    }
    n = wc_arena_calloc(l->a, 1, sizeof(*n));
    n->kind = kind;
    n->line = line;
    if (l->depth == 0) {
        l->root = n;
    } else {
        node *parent = l->stack[l->depth - 1];

        if (parent->last != NULL) {
            parent->last->next = n;
        } else {
            parent->first = n;
        }
        parent->last = n;
        parent->nkids++;
    }
    *out = n;
    return 0;
}

static int
open_node(loader *l, node_kind kind, int line, node **out)
{
    int rc;

    if (l->depth == MANIFEST_MAX_DEPTH) {
        return load_fail(l, WC_ELIMIT, line, "manifest nests deeper than %d levels",
                         MANIFEST_MAX_DEPTH);
    }
    rc = add_node(l, kind, line, out);
    if (rc == 0) {
        l->stack[l->depth++] = *out;
    }
    return rc;
}

static int
close_node(loader *l, int line)
{
    node *n;

    if (l->depth == 0) {
        return load_fail(l, WC_EINVAL, line, "invalid YAML: unbalanced collection");
    }
    n = l->stack[--l->depth];
    if (n->kind == N_MAP && n->nkids % 2 != 0) {
        return load_fail(l, WC_EINVAL, line, "invalid YAML: mapping key without a value");
    }
    return 0;
}

static node *
add_scalar(loader *l, int line, int plain, const char *s, size_t len, int *rc)
{
    node *n = NULL;

    *rc = add_node(l, N_SCALAR, line, &n);
    if (*rc != 0) {
        return NULL;
    }
    n->plain = plain;
    n->s = wc_arena_strndup(l->a, s, len);
    n->len = len;
    return n;
}

static int
yaml_error(loader *l, const yaml_parser_t *p, const char *text, size_t len)
{
    int line;

    if (p->error == YAML_MEMORY_ERROR) {
        WC_BUG("libyaml: out of memory");
    }
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors (bad UTF-8, control characters) carry an offset, not a mark. */
        size_t end = p->problem_offset < len ? p->problem_offset : len;

        line = 1;
        for (size_t i = 0; i < end; i++) {
            line += text[i] == '\n';
        }
        if (p->problem != NULL && strstr(p->problem, "UTF-8") != NULL) {
            return load_fail(l, WC_EINVAL, line, "invalid YAML: not UTF-8 text (%s)", p->problem);
        }
        if (p->problem_value != -1) {
            return load_fail(l, WC_EINVAL, line, "invalid YAML: %s (byte 0x%02X)",
                             p->problem ? p->problem : "unreadable input",
                             (unsigned)p->problem_value & 0xff);
        }
        return load_fail(l, WC_EINVAL, line, "invalid YAML: %s",
                         p->problem ? p->problem : "unreadable input");
    }
    line = (int)(p->problem_mark.line < INT_MAX ? p->problem_mark.line + 1 : INT_MAX);
    if (p->context != NULL) {
        return load_fail(l, WC_EINVAL, line, "invalid YAML: %s %s", p->problem, p->context);
    }
    return load_fail(l, WC_EINVAL, line, "invalid YAML: %s",
                     p->problem ? p->problem : "syntax error");
}

static int
load_yaml(loader *l, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int rc = 0, ndocs = 0, done = 0;

    if (!yaml_parser_initialize(&p)) {
        WC_BUG("libyaml: cannot initialize a parser");
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    while (!done && rc == 0) {
        int line;

        if (!yaml_parser_parse(&p, &ev)) {
            rc = yaml_error(l, &p, text, len);
            break;
        }
        line = (int)(ev.start_mark.line < INT_MAX ? ev.start_mark.line + 1 : INT_MAX);
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = 1; break;
        case YAML_DOCUMENT_START_EVENT:
            if (ndocs++ > 0) {
                rc = load_fail(l, WC_EINVAL, line,
                               "manifest has more than one YAML document; put one "
                               "application per request");
            }
            break;
        case YAML_ALIAS_EVENT:
            rc = load_fail(l, WC_EINVAL, line, "YAML aliases are not supported");
            break;
        case YAML_SCALAR_EVENT: {
            const char *tag = (const char *)ev.data.scalar.tag;
            int plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

            if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0) {
                plain = 0; /* !!str 12 is the string "12" */
            }
            add_scalar(l, line, plain, (const char *)ev.data.scalar.value, ev.data.scalar.length,
                       &rc);
            break;
        }
        case YAML_SEQUENCE_START_EVENT: {
            node *n;

            rc = open_node(l, N_SEQ, line, &n);
            break;
        }
        case YAML_MAPPING_START_EVENT: {
            node *n;

            rc = open_node(l, N_MAP, line, &n);
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: rc = close_node(l, line); break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (rc == 0 && l->depth != 0) {
        rc = wc_error_set(l->err, WC_EINVAL, "invalid YAML: unclosed collection");
    }
    if (rc == 0 && l->root == NULL) {
        rc = wc_error_set(l->err, WC_EINVAL, "manifest is empty");
    }
    return rc;
}

static int
load_json(loader *l, const json_t *j)
{
    char num[64];
    int rc = 0;

    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        node *n;
        const char *key;
        json_t *v;

        rc = open_node(l, N_MAP, 0, &n);
        /* json_object_foreach wants a mutable object; iterating does not change it. */
        json_object_foreach((json_t *)j, key, v)
        {
            if (rc == 0) {
                add_scalar(l, 0, 0, key, strlen(key), &rc);
            }
            if (rc == 0) {
                rc = load_json(l, v);
            }
        }
        return rc != 0 ? rc : close_node(l, 0);
    }
    case JSON_ARRAY: {
        node *n;

        rc = open_node(l, N_SEQ, 0, &n);
        for (size_t i = 0; rc == 0 && i < json_array_size(j); i++) {
            rc = load_json(l, json_array_get(j, i));
        }
        return rc != 0 ? rc : close_node(l, 0);
    }
    case JSON_STRING:
        add_scalar(l, 0, 0, json_string_value(j), json_string_length(j), &rc);
        return rc;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        break;
    case JSON_REAL: snprintf(num, sizeof(num), "%.17g", json_real_value(j)); break;
    case JSON_TRUE: snprintf(num, sizeof(num), "true"); break;
    case JSON_FALSE: snprintf(num, sizeof(num), "false"); break;
    case JSON_NULL: snprintf(num, sizeof(num), "null"); break;
    }
    add_scalar(l, 0, 1, num, strlen(num), &rc);
    return rc;
}

/* ---- the walk ---- */

typedef struct policy {
    const char *name, *type;
    int has_backend;
} policy;

typedef struct ctx {
    wc_arena *a;   /* the manifest's */
    wc_arena *tmp; /* dies with the tree */
    wc_strbuf path;
    wc_error *err;
    int lines;
    const char *base_dir;
    wadm_manifest *m;
    WC_VEC(policy) policies;
    wc_map names;     /* component name -> index + 1 (first occurrence) */
    wc_map ids;       /* component id -> index + 1 */
    wc_map link_cfgs; /* link config names, unique across the manifest */
    wc_map links;     /* one component's links: "name ns:pkg/iface" */
    size_t comp;      /* the component being read */
} ctx;

static int fail(ctx *c, const node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(ctx *c, const node *n, const char *fmt, ...)
{
    char msg[WC_ERROR_MSG_MAX];
    const char *path = c->path.len ? c->path.buf : "manifest";
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (strlen(path) > 200) {
        /* Keep the end of a long path: it says where, the start is repetition. */
        path = path + strlen(path) - 197;
        while ((*(const unsigned char *)path & 0xc0) == 0x80) {
            path++;
        }
        if (c->lines && n != NULL && n->line > 0) {
            return wc_error_set(c->err, WC_EINVAL, "...%s: %s (line %d)", path, msg, n->line);
        }
        return wc_error_set(c->err, WC_EINVAL, "...%s: %s", path, msg);
    }
    if (c->lines && n != NULL && n->line > 0) {
        return wc_error_set(c->err, WC_EINVAL, "%s: %s (line %d)", path, msg, n->line);
    }
    return wc_error_set(c->err, WC_EINVAL, "%s: %s", path, msg);
}

/* A user string fit for a message: at most SHOW_MAX bytes, no control characters. */
static const char *
show(ctx *c, const char *s, size_t len)
{
    size_t n = len > SHOW_MAX ? wc_utf8_valid_len(s, SHOW_MAX) : len;
    char *out = wc_arena_alloc(c->tmp, n + 4);

    for (size_t i = 0; i < n; i++) {
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    }
    strcpy(out + n, n < len ? "..." : "");
    return out;
}

static int
is_ident(const char *s, size_t len)
{
    if (len == 0) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-')) {
            return 0;
        }
    }
    return 1;
}

/* Path steps return the old length; pop() goes back to it. */
static size_t
push_key(ctx *c, const char *key, size_t len)
{
    size_t mark = c->path.len;

    if (is_ident(key, len)) {
        if (mark > 0) {
            wc_strbuf_addch(&c->path, '.');
        }
        wc_strbuf_add(&c->path, key, len);
    } else {
        wc_strbuf_addf(&c->path, "[\"%s\"]", show(c, key, len));
    }
    return mark;
}

static size_t
push(ctx *c, const char *key)
{
    return push_key(c, key, strlen(key));
}

static size_t
push_idx(ctx *c, size_t i)
{
    size_t mark = c->path.len;

    wc_strbuf_addf(&c->path, "[%zu]", i);
    return mark;
}

static void
pop(ctx *c, size_t mark)
{
    wc_strbuf_setlen(&c->path, mark);
}

static int
is_null(const node *n)
{
    if (n->kind != N_SCALAR || !n->plain) {
        return 0;
    }
    return n->len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
           strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

static int
key_is(const node *k, const char *key)
{
    return k->kind == N_SCALAR && k->len == strlen(key) && memcmp(k->s, key, k->len) == 0;
}

/* The value of key in map n, or NULL. */
static const node *
map_get(const node *n, const char *key)
{
    if (n == NULL || n->kind != N_MAP) {
        return NULL;
    }
    for (const node *k = n->first; k != NULL; k = k->next->next) {
        if (key_is(k, key)) {
            return k->next;
        }
    }
    return NULL;
}

typedef struct field {
    const char *key;
    int required;
    const node *val; /* OUT: NULL when absent (or null and optional) */
} field;

/*
 * Check that n is a mapping whose keys are all in f, none twice, with every
 * required one present; fill each f[i].val.
 */
static int
fields(ctx *c, const node *n, field *f, size_t nf)
{
    uint64_t seen = 0;

    if (nf > 64) {
        WC_BUG("too many fields");
    }
    for (size_t i = 0; i < nf; i++) {
        f[i].val = NULL;
    }
    if (n == NULL || n->kind != N_MAP) {
        return fail(c, n, "expected a mapping");
    }
    for (const node *k = n->first; k != NULL; k = k->next->next) {
        size_t i = 0;

        if (k->kind != N_SCALAR) {
            return fail(c, k, "mapping keys must be strings");
        }
        while (i < nf && !key_is(k, f[i].key)) {
            i++;
        }
        if (i == nf) {
            wc_strbuf keys = WC_STRBUF_INIT;
            int rc;

            for (size_t j = 0; j < nf; j++) {
                wc_strbuf_addf(&keys, "%s%s", j ? ", " : "", f[j].key);
            }
            rc = fail(c, k, "unknown key \"%s\"; expected one of %s", show(c, k->s, k->len),
                      keys.buf);
            wc_strbuf_release(&keys);
            return rc;
        }
        if (seen & (1ull << i)) {
            return fail(c, k, "duplicate key \"%s\"", f[i].key);
        }
        seen |= 1ull << i;
        f[i].val = !f[i].required && is_null(k->next) ? NULL : k->next;
    }
    for (size_t i = 0; i < nf; i++) {
        if (f[i].required && !(seen & (1ull << i))) {
            return fail(c, n, "missing required key \"%s\"", f[i].key);
        }
    }
    return 0;
}

/* The scalar n as a string (path already at n). */
static int
str_at(ctx *c, const node *n, int nonempty, char **out)
{
    if (n == NULL || n->kind != N_SCALAR || is_null(n)) {
        return fail(c, n, "expected a string");
    }
    if (memchr(n->s, 0, n->len) != NULL) {
        return fail(c, n, "must not contain NUL characters");
    }
    if (wc_utf8_valid_len(n->s, n->len) != n->len) {
        return fail(c, n, "must be valid UTF-8");
    }
    if (nonempty && n->len == 0) {
        return fail(c, n, "must not be empty");
    }
    *out = wc_arena_strndup(c->a, n->s, n->len);
    return 0;
}

/* The string at key of a mapping; also set in j (if not NULL) under the same key. */
static int
str_field(ctx *c, const char *key, const node *n, int nonempty, char **out, json_t *j)
{
    size_t mark = push(c, key);
    int rc = str_at(c, n, nonempty, out);

    pop(c, mark);
    if (rc == 0 && j != NULL) {
        json_object_set_new(j, key, json_string(*out));
    }
    return rc;
}

static int
u32_field(ctx *c, const char *key, const node *n, uint32_t *out, json_t *j)
{
    size_t mark = push(c, key), i = 0;
    uint64_t v = 0;
    int neg = 0, big = 0, rc = 0;

    if (n->kind != N_SCALAR || !n->plain || n->len == 0) {
        rc = fail(c, n, "expected an integer");
        goto out;
    }
    if (n->s[0] == '+' || n->s[0] == '-') {
        neg = n->s[0] == '-';
        i++;
    }
    if (i == n->len) {
        rc = fail(c, n, "expected an integer");
        goto out;
    }
    for (; i < n->len; i++) {
        if (n->s[i] < '0' || n->s[i] > '9') {
            rc = fail(c, n, "expected an integer");
            goto out;
        }
        v = v * 10 + (uint64_t)(n->s[i] - '0');
        if (v > UINT32_MAX) {
            big = 1;
            v = UINT32_MAX + 1ull;
        }
    }
    if (big || (neg && v != 0)) {
        rc = fail(c, n, "expected an integer from 0 to %u", UINT32_MAX);
        goto out;
    }
    *out = (uint32_t)v;
    if (j != NULL) {
        json_object_set_new(j, key, json_integer((json_int_t)v));
    }
out:
    pop(c, mark);
    return rc;
}

/* Kubernetes-style label keys, as wadm checks them: [dns-subdomain/]name. */
static int
label_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > 63) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');

        if (!alnum && ((i == 0 || i == len - 1) || (ch != '-' && ch != '_' && ch != '.'))) {
            return 0;
        }
    }
    return 1;
}

static int
dns_subdomain_ok(const char *s, size_t len)
{
    size_t start = 0;

    if (len == 0 || len > 253) {
        return 0;
    }
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            size_t n = i - start;
            const char *p = s + start;

            if (n == 0 || n > 63 ||
                !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z'))) {
                return 0;
            }
            for (size_t k = 0; k < n; k++) {
                unsigned char ch = (unsigned char)p[k];
                int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9');

                if (!alnum && (k == n - 1 || ch != '-')) {
                    return 0;
                }
            }
            start = i + 1;
        }
    }
    return 1;
}

static int
label_key_ok(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);

    if (slash == NULL) {
        return label_name_ok(s, len);
    }
    return dns_subdomain_ok(s, (size_t)(slash - s)) &&
           label_name_ok(slash + 1, len - (size_t)(slash - s) - 1);
}

/* A mapping of strings (labels, config properties, spread requirements). */
static int
strmap_field(ctx *c, const char *key, const node *n, int label_keys, wadm_map *out, json_t *j)
{
    size_t mark = push(c, key), i = 0;
    wc_map seen = WC_MAP_INIT;
    json_t *jm = json_object();
    int rc = 0;

    if (j != NULL) {
        json_object_set(j, key, jm);
    }
    out->n = 0;
    out->v = NULL;
    if (n->kind != N_MAP) {
        rc = fail(c, n, "expected a mapping of strings");
        goto out;
    }
    out->v = wc_arena_calloc(c->a, n->nkids / 2 + 1, sizeof(*out->v));
    for (const node *k = n->first; k != NULL; k = k->next->next, i++) {
        size_t kmark;
        char *name = NULL;

        if (k->kind != N_SCALAR) {
            rc = fail(c, k, "mapping keys must be strings");
            goto out;
        }
        if ((rc = str_at(c, k, 0, &name)) != 0) {
            goto out;
        }
        if (wc_map_has(&seen, name)) {
            rc = fail(c, k, "duplicate key \"%s\"", show(c, k->s, k->len));
            goto out;
        }
        wc_map_put(&seen, name, NULL);
        if (label_keys && !label_key_ok(k->s, k->len)) {
            rc = fail(c, k,
                      "\"%s\" is not a valid key: expected [prefix/]name, the prefix a DNS "
                      "subdomain, the name 1-63 letters, digits, '-', '_' or '.', starting and "
                      "ending with a letter or digit",
                      show(c, k->s, k->len));
            goto out;
        }
        kmark = push_key(c, k->s, k->len);
        rc = str_at(c, k->next, 0, &out->v[i].value);
        pop(c, kmark);
        if (rc != 0) {
            goto out;
        }
        out->v[i].key = name;
        json_object_set_new(jm, name, json_string(out->v[i].value));
    }
    out->n = i;
out:
    json_decref(jm);
    wc_map_release(&seen);
    pop(c, mark);
    return rc;
}

static int
seq_at(ctx *c, const node *n, const char *what)
{
    if (n->kind != N_SEQ) {
        return fail(c, n, "expected a list of %s", what);
    }
    return 0;
}

/* A list of config references (component, provider or link side). */
static int
configs_field(ctx *c, const char *key, const node *n, int for_link, wadm_configs *out, json_t *j)
{
    size_t mark = push(c, key), i = 0;
    json_t *ja = json_array();
    int rc;

    out->n = 0;
    out->v = NULL;
    if ((rc = seq_at(c, n, "configs")) != 0) {
        goto out;
    }
    if (n->nkids > 0) {
        json_object_set(j, key, ja);
    }
    out->v = wc_arena_calloc(c->a, n->nkids + 1, sizeof(*out->v));
    for (const node *e = n->first; e != NULL; e = e->next, i++) {
        size_t imark = push_idx(c, i);
        field f[] = {{"name", 1, NULL}, {"properties", 0, NULL}};
        wadm_config *cfg = &out->v[i];
        json_t *jc = json_object();

        json_array_append_new(ja, jc);
        rc = fields(c, e, f, 2);
        if (rc == 0) {
            rc = str_field(c, "name", f[0].val, 1, &cfg->name, jc);
        }
        if (rc == 0 && for_link) {
            if (wc_map_has(&c->link_cfgs, cfg->name)) {
                size_t nmark = push(c, "name");

                rc = fail(c, f[0].val,
                          "link config \"%s\" is already used by another link (wadm requires "
                          "link config names to be unique in a manifest)",
                          show(c, cfg->name, strlen(cfg->name)));
                pop(c, nmark);
            }
            wc_map_put(&c->link_cfgs, cfg->name, NULL);
        }
        if (rc == 0 && f[1].val != NULL) {
            cfg->managed = 1;
            rc = strmap_field(c, "properties", f[1].val, 0, &cfg->properties, jc);
        }
        pop(c, imark);
        if (rc != 0) {
            goto out;
        }
        cfg->store_name = cfg->managed ? wadm_derived_name(c->a, c->m->name, cfg->name) : cfg->name;
    }
    out->n = i;
out:
    json_decref(ja);
    pop(c, mark);
    return rc;
}

/* Secret references: checked against the policies and kept only in the JSON. */
static int
secrets_field(ctx *c, const char *key, const node *n, json_t *j)
{
    size_t mark = push(c, key), i = 0;
    json_t *ja = json_array();
    int rc;

    if ((rc = seq_at(c, n, "secrets")) != 0) {
        goto out;
    }
    if (n->nkids > 0) {
        json_object_set(j, key, ja);
    }
    for (const node *e = n->first; e != NULL && rc == 0; e = e->next, i++) {
        size_t imark = push_idx(c, i), pmark;
        field f[] = {{"name", 1, NULL}, {"properties", 1, NULL}};
        field p[] = {
            {"policy", 1, NULL}, {"key", 1, NULL}, {"field", 0, NULL}, {"version", 0, NULL}};
        json_t *js = json_object(), *jp = json_object();
        char *name, *pol, *skey, *opt;

        json_array_append_new(ja, js);
        rc = fields(c, e, f, 2);
        if (rc == 0) {
            rc = str_field(c, "name", f[0].val, 1, &name, js);
        }
        json_object_set_new(js, "properties", jp);
        pmark = push(c, "properties");
        if (rc == 0) {
            rc = fields(c, f[1].val, p, 4);
        }
        if (rc == 0) {
            rc = str_field(c, "policy", p[0].val, 1, &pol, jp);
        }
        if (rc == 0) {
            rc = str_field(c, "key", p[1].val, 1, &skey, jp);
        }
        for (int k = 2; k < 4 && rc == 0; k++) {
            if (p[k].val != NULL) {
                rc = str_field(c, p[k].key, p[k].val, 0, &opt, jp);
            }
        }
        if (rc == 0) {
            const policy *found = NULL;
            size_t qmark = push(c, "policy");

            for (size_t k = 0; k < c->policies.n; k++) {
                if (strcmp(c->policies.v[k].name, pol) == 0) {
                    found = &c->policies.v[k]; /* wadm's lookup: the last one wins */
                }
            }
            if (found == NULL) {
                rc = fail(c, p[0].val, "no policy named \"%s\" in spec.policies",
                          show(c, pol, strlen(pol)));
            } else if (strcmp(found->type, SECRET_POLICY_TYPE) != 0) {
                rc = fail(c, p[0].val, "policy \"%s\" has type \"%s\", not " SECRET_POLICY_TYPE,
                          show(c, pol, strlen(pol)), show(c, found->type, strlen(found->type)));
            } else if (!found->has_backend) {
                rc = fail(c, p[0].val, "policy \"%s\" has no \"backend\" property",
                          show(c, pol, strlen(pol)));
            }
            pop(c, qmark);
        }
        pop(c, pmark);
        pop(c, imark);
    }
out:
    json_decref(ja);
    pop(c, mark);
    return rc;
}

/* A source or target block: {config, secrets} (target also has name). */
static int
config_block(ctx *c, const char *key, const node *n, int is_target, char **target,
             const node **target_node, wadm_configs *cfg, json_t *j)
{
    size_t mark = push(c, key);
    field f[] = {{"config", 0, NULL}, {"secrets", 0, NULL}, {"name", 1, NULL}};
    json_t *jb = json_object();
    int rc;

    json_object_set_new(j, key, jb);
    rc = fields(c, n, f, is_target ? 3 : 2);
    if (rc == 0 && is_target) {
        *target_node = f[2].val;
        rc = str_field(c, "name", f[2].val, 1, target, jb);
    }
    if (rc == 0 && f[0].val != NULL) {
        rc = configs_field(c, "config", f[0].val, 1, cfg, jb);
    }
    if (rc == 0 && f[1].val != NULL) {
        rc = secrets_field(c, "secrets", f[1].val, jb);
    }
    pop(c, mark);
    return rc;
}

static int
link_trait(ctx *c, const node *n, wadm_link *l, json_t *j)
{
    field f[] = {{"target", 1, NULL},        {"namespace", 1, NULL},    {"package", 1, NULL},
                 {"interfaces", 1, NULL},    {"name", 0, NULL},         {"source", 0, NULL},
                 {"source_config", 0, NULL}, {"target_config", 0, NULL}};
    const node *target_node = NULL, *ifaces;
    int rc;

    if ((rc = fields(c, n, f, 8)) != 0) {
        return rc;
    }
    if ((rc = str_field(c, "namespace", f[1].val, 1, &l->namespace_, j)) != 0 ||
        (rc = str_field(c, "package", f[2].val, 1, &l->package, j)) != 0) {
        return rc;
    }
    ifaces = f[3].val;
    {
        size_t mark = push(c, "interfaces"), i = 0;
        json_t *ja = json_array();

        json_object_set_new(j, "interfaces", ja);
        rc = seq_at(c, ifaces, "interface names");
        if (rc == 0 && ifaces->nkids == 0) {
            rc = fail(c, ifaces, "expected at least one interface");
        }
        if (rc == 0) {
            l->interfaces = wc_arena_calloc(c->a, ifaces->nkids, sizeof(char *));
        }
        for (const node *e = rc == 0 ? ifaces->first : NULL; e != NULL && rc == 0;
             e = e->next, i++) {
            size_t imark = push_idx(c, i);

            rc = str_at(c, e, 1, &l->interfaces[i]);
            pop(c, imark);
            if (rc == 0) {
                json_array_append_new(ja, json_string(l->interfaces[i]));
            }
        }
        l->ninterfaces = i;
        pop(c, mark);
        if (rc != 0) {
            return rc;
        }
    }

    /* source: {config, secrets}, or the legacy source_config list */
    if (f[5].val != NULL && f[6].val != NULL) {
        size_t mark = push(c, "source_config");

        rc = fail(c, f[6].val, "use either \"source\" or the legacy \"source_config\", not both");
        pop(c, mark);
        return rc;
    }
    if (f[5].val != NULL) {
        rc = config_block(c, "source", f[5].val, 0, NULL, NULL, &l->source_config, j);
    } else if (f[6].val != NULL) {
        json_t *jb = json_object();

        json_object_set_new(j, "source", jb);
        rc = configs_field(c, "source_config", f[6].val, 1, &l->source_config, jb);
        /* wadm writes the legacy list as source.config */
        if (rc == 0 && json_object_get(jb, "source_config") != NULL) {
            json_object_set(jb, "config", json_object_get(jb, "source_config"));
            json_object_del(jb, "source_config");
        }
    }
    if (rc != 0) {
        return rc;
    }

    /* target: {name, config, secrets}, or a name with the legacy target_config list */
    if (f[0].val->kind == N_SCALAR && !is_null(f[0].val)) {
        json_t *jb = json_object();

        json_object_set_new(j, "target", jb);
        target_node = f[0].val;
        if ((rc = str_field(c, "target", f[0].val, 1, &l->target, NULL)) != 0) {
            return rc;
        }
        json_object_set_new(jb, "name", json_string(l->target));
        if (f[7].val != NULL) {
            rc = configs_field(c, "target_config", f[7].val, 1, &l->target_config, jb);
            if (rc == 0 && json_object_get(jb, "target_config") != NULL) {
                json_object_set(jb, "config", json_object_get(jb, "target_config"));
                json_object_del(jb, "target_config");
            }
        }
    } else {
        if (f[7].val != NULL) {
            size_t mark = push(c, "target_config");

            rc = fail(c, f[7].val,
                      "the legacy \"target_config\" goes with a target name; with a target "
                      "mapping use target.config");
            pop(c, mark);
            return rc;
        }
        if (f[0].val->kind != N_MAP) {
            size_t mark = push(c, "target");

            rc = fail(c, f[0].val, "expected a component name or a mapping with \"name\"");
            pop(c, mark);
            return rc;
        }
        rc = config_block(c, "target", f[0].val, 1, &l->target, &target_node, &l->target_config, j);
    }
    if (rc != 0) {
        return rc;
    }

    if (f[4].val != NULL) {
        rc = str_field(c, "name", f[4].val, 1, &l->name, j);
    } else {
        l->name = wc_arena_strdup(c->a, "default");
    }
    if (rc != 0) {
        return rc;
    }

    /* The target must be a component of this manifest. */
    if (!wc_map_has(&c->names, l->target)) {
        size_t mark = push(c, "target");

        if (f[0].val->kind == N_MAP) {
            push(c, "name");
        }
        rc = fail(c, target_node, "no component named \"%s\" in this manifest",
                  show(c, l->target, strlen(l->target)));
        pop(c, mark);
        return rc;
    }

    /* wadm refuses two links from one component with the same name and interface. */
    for (size_t i = 0; i < l->ninterfaces; i++) {
        wc_strbuf id = WC_STRBUF_INIT;

        wc_strbuf_addf(&id, "%s\x1f%s\x1f%s\x1f%s", l->name, l->namespace_, l->package,
                       l->interfaces[i]);
        if (wc_map_has(&c->links, id.buf)) {
            size_t mark = push(c, "interfaces"), imark = push_idx(c, i);
            const node *e = ifaces->first;

            for (size_t k = 0; k < i; k++) {
                e = e->next;
            }
            rc = fail(c, e, "duplicate link: this component already has a link \"%s\" for %s:%s/%s",
                      show(c, l->name, strlen(l->name)),
                      show(c, l->namespace_, strlen(l->namespace_)),
                      show(c, l->package, strlen(l->package)),
                      show(c, l->interfaces[i], strlen(l->interfaces[i])));
            pop(c, imark);
            pop(c, mark);
        }
        wc_map_put(&c->links, id.buf, NULL);
        wc_strbuf_release(&id);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int
scaler_trait(ctx *c, const node *n, wadm_scaler *s, json_t *j)
{
    field f[] = {{"instances", 0, NULL}, {"replicas", 0, NULL}, {"spread", 0, NULL}};
    uint64_t total = 0;
    int rc;

    if ((rc = fields(c, n, f, 3)) != 0) {
        return rc;
    }
    if (f[0].val != NULL && f[1].val != NULL) {
        size_t mark = push(c, "replicas");

        rc = fail(c, f[1].val, "\"replicas\" is an alias of \"instances\"; give only one");
        pop(c, mark);
        return rc;
    }
    if (f[0].val == NULL && f[1].val == NULL) {
        return fail(c, n, "missing required key \"instances\"");
    }
    if (f[0].val != NULL) {
        rc = u32_field(c, "instances", f[0].val, &s->instances, j);
    } else {
        rc = u32_field(c, "replicas", f[1].val, &s->instances, NULL);
        json_object_set_new(j, "instances", json_integer(s->instances));
    }
    if (rc != 0 || f[2].val == NULL) {
        return rc;
    }

    {
        const node *sn = f[2].val;
        size_t mark = push(c, "spread"), i = 0;
        json_t *ja = json_array();

        if ((rc = seq_at(c, sn, "spreads")) != 0) {
            json_decref(ja);
            pop(c, mark);
            return rc;
        }
        if (sn->nkids > 0) {
            json_object_set(j, "spread", ja);
        }
        json_decref(ja); /* j holds it, or nothing is added to it */
        s->spreads = wc_arena_calloc(c->a, sn->nkids + 1, sizeof(*s->spreads));
        for (const node *e = sn->first; e != NULL && rc == 0; e = e->next, i++) {
            size_t imark = push_idx(c, i);
            field sf[] = {{"name", 0, NULL}, {"requirements", 0, NULL}, {"weight", 0, NULL}};
            wadm_spread *sp = &s->spreads[i];
            json_t *js = json_object();

            json_array_append_new(ja, js);
            sp->weight = 100;
            rc = fields(c, e, sf, 3);
            if (rc == 0 && sf[0].val != NULL) {
                rc = str_field(c, "name", sf[0].val, 1, &sp->name, js);
            } else if (rc == 0) {
                sp->name = wc_arena_strdup(c->a, "default");
                json_object_set_new(js, "name", json_string(sp->name));
            }
            if (rc == 0 && sf[1].val != NULL) {
                rc = strmap_field(c, "requirements", sf[1].val, 0, &sp->requirements, js);
            } else if (rc == 0) {
                json_object_set_new(js, "requirements", json_object());
            }
            if (rc == 0 && sf[2].val != NULL) {
                rc = u32_field(c, "weight", sf[2].val, &sp->weight, js);
            }
            total += sp->weight;
            pop(c, imark);
        }
        s->nspreads = i;
        if (rc == 0 && i > 0 && total == 0) {
            rc = fail(c, sn, "spread weights add up to 0; give at least one a weight above 0");
        }
        pop(c, mark);
    }
    return rc;
}

/* Resolve a relative file:// image against base_dir ("file://./x.wasm"). */
static char *
resolve_image(ctx *c, const char *img)
{
    const char *rest = strncmp(img, "file://", 7) == 0 ? img + 7 : img;
    char cwd[4096];
    wc_strbuf full = WC_STRBUF_INIT, out = WC_STRBUF_INIT;
    WC_VEC(size_t) seg = {0}; /* start of each output segment, for ".." */
    char *res;
    size_t i = 0;

    if (c->base_dir == NULL || rest == img || rest[0] == '/' || rest[0] == '\0' ||
        strncmp(rest, "localhost/", 10) == 0) {
        return wc_arena_strdup(c->a, img);
    }
    if (c->base_dir[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
        wc_strbuf_addf(&full, "%s/", cwd);
    }
    wc_strbuf_addf(&full, "%s/%s", c->base_dir, rest);
    while (i < full.len) {
        size_t start = i, n;

        while (i < full.len && full.buf[i] != '/') {
            i++;
        }
        n = i - start;
        i++;
        if (n == 0 || (n == 1 && full.buf[start] == '.')) {
            continue;
        }
        if (n == 2 && full.buf[start] == '.' && full.buf[start + 1] == '.') {
            if (seg.n > 0) {
                wc_strbuf_setlen(&out, seg.v[--seg.n]);
            }
            continue;
        }
        wc_vec_push(&seg, out.len);
        wc_strbuf_addch(&out, '/');
        wc_strbuf_add(&out, full.buf + start, n);
    }
    res = wc_arena_alloc(c->a, out.len + 8 + 1);
    snprintf(res, out.len + 9, "file://%s", out.len ? out.buf : "/");
    wc_strbuf_release(&full);
    wc_strbuf_release(&out);
    wc_vec_free(&seg);
    return res;
}

static int
component(ctx *c, const node *n, wadm_component *comp, json_t *j)
{
    field f[] = {
        {"name", 1, NULL}, {"type", 1, NULL}, {"properties", 1, NULL}, {"traits", 0, NULL}};
    field p[] = {{"image", 0, NULL},
                 {"application", 0, NULL},
                 {"id", 0, NULL},
                 {"config", 0, NULL},
                 {"secrets", 0, NULL}};
    json_t *jp;
    char *type;
    size_t mark;
    int rc;

    comp->line = n->line;
    if ((rc = fields(c, n, f, 4)) != 0 ||
        (rc = str_field(c, "name", f[0].val, 1, &comp->name, j)) != 0) {
        return rc;
    }
    if ((uintptr_t)wc_map_get(&c->names, comp->name) != c->comp + 1) {
        mark = push(c, "name");
        rc = fail(c, f[0].val, "duplicate component name \"%s\"",
                  show(c, comp->name, strlen(comp->name)));
        pop(c, mark);
        return rc;
    }
    if ((rc = str_field(c, "type", f[1].val, 0, &type, NULL)) != 0) {
        return rc;
    }
    if (strcmp(type, "component") == 0 || strcmp(type, "actor") == 0) {
        comp->kind = WADM_COMPONENT;
    } else if (strcmp(type, "capability") == 0) {
        comp->kind = WADM_CAPABILITY;
    } else {
        mark = push(c, "type");
        rc = fail(c, f[1].val,
                  "unknown component type \"%s\"; expected component, actor or capability",
                  show(c, type, strlen(type)));
        pop(c, mark);
        return rc;
    }
    json_object_set_new(j, "type",
                        json_string(comp->kind == WADM_COMPONENT ? "component" : "capability"));
    jp = json_object();
    json_object_set_new(j, "properties", jp);

    /* properties */
    mark = push(c, "properties");
    rc = fields(c, f[2].val, p, 5);
    if (rc == 0 && p[0].val != NULL && p[1].val != NULL) {
        rc = fail(c, f[2].val, "has both \"image\" and \"application\"; give one");
    } else if (rc == 0 && p[0].val == NULL && p[1].val == NULL) {
        rc = fail(c, f[2].val,
                  "missing required key \"image\" (or \"application\" for a shared component)");
    }
    if (rc == 0 && p[0].val != NULL) {
        char *img;

        rc = str_field(c, "image", p[0].val, 1, &img, NULL);
        if (rc == 0) {
            comp->image = resolve_image(c, img);
            json_object_set_new(jp, "image", json_string(comp->image));
        }
    }
    if (rc == 0 && p[1].val != NULL) {
        size_t amark = push(c, "application");
        field a[] = {{"name", 1, NULL}, {"component", 1, NULL}};
        json_t *ja = json_object();

        json_object_set_new(jp, "application", ja);
        rc = fields(c, p[1].val, a, 2);
        if (rc == 0) {
            rc = str_field(c, "name", a[0].val, 1, &comp->shared_app, ja);
        }
        if (rc == 0) {
            rc = str_field(c, "component", a[1].val, 1, &comp->shared_component, ja);
        }
        pop(c, amark);
        if (rc == 0 && p[3].val != NULL && p[3].val->kind == N_SEQ && p[3].val->nkids > 0) {
            size_t cmark = push(c, "config");

            rc = fail(c, p[3].val, "a shared component (properties.application) cannot add config");
            pop(c, cmark);
        }
        if (rc == 0 && p[4].val != NULL && p[4].val->kind == N_SEQ && p[4].val->nkids > 0) {
            size_t smark = push(c, "secrets");

            rc =
                fail(c, p[4].val, "a shared component (properties.application) cannot add secrets");
            pop(c, smark);
        }
    }
    if (rc == 0 && p[2].val != NULL) {
        rc = str_field(c, "id", p[2].val, 1, &comp->id, jp);
    } else if (rc == 0) {
        comp->id = wadm_derived_name(c->a, c->m->name, comp->name);
    }
    if (rc == 0 && p[3].val != NULL) {
        rc = configs_field(c, "config", p[3].val, 0, &comp->config, jp);
    }
    if (rc == 0 && p[4].val != NULL) {
        rc = secrets_field(c, "secrets", p[4].val, jp);
    }
    if (rc == 0 && comp->shared_app == NULL) {
        uintptr_t other = (uintptr_t)wc_map_get(&c->ids, comp->id);

        if (other != 0) {
            const char *oname = c->m->components[other - 1].name;
            size_t imark = push(c, "id");

            rc = fail(c, p[2].val != NULL ? p[2].val : f[2].val,
                      "component id \"%s\"%s is also the id of component \"%s\"",
                      show(c, comp->id, strlen(comp->id)),
                      p[2].val != NULL ? "" : " (derived from the app and component names)",
                      show(c, oname, strlen(oname)));
            pop(c, imark);
        }
        wc_map_put(&c->ids, comp->id, (void *)(c->comp + 1));
    }
    pop(c, mark);
    if (rc != 0 || f[3].val == NULL) {
        return rc;
    }

    /* traits */
    {
        const node *tn = f[3].val;
        size_t tmark = push(c, "traits"), i = 0, nlinks = 0;
        json_t *ja = json_array();

        json_object_set_new(j, "traits", ja);
        wc_map_release(&c->links);
        if ((rc = seq_at(c, tn, "traits")) == 0) {
            comp->links = wc_arena_calloc(c->a, tn->nkids + 1, sizeof(*comp->links));
        }
        for (const node *e = rc == 0 ? tn->first : NULL; e != NULL && rc == 0; e = e->next, i++) {
            size_t imark = push_idx(c, i), pmark;
            field t[] = {{"type", 1, NULL}, {"properties", 1, NULL}};
            json_t *jt = json_object(), *jtp = json_object();
            char *ttype = NULL;

            json_array_append_new(ja, jt);
            rc = fields(c, e, t, 2);
            if (rc == 0) {
                rc = str_field(c, "type", t[0].val, 0, &ttype, jt);
            }
            json_object_set_new(jt, "properties", jtp);
            pmark = push(c, "properties");
            if (rc == 0 && strcmp(ttype, "link") == 0) {
                rc = link_trait(c, t[1].val, &comp->links[nlinks], jtp);
                nlinks++;
            } else if (rc == 0 &&
                       (strcmp(ttype, "spreadscaler") == 0 || strcmp(ttype, "daemonscaler") == 0)) {
                pop(c, pmark);
                if (comp->has_scaler) {
                    rc = fail(c, e,
                              "a component may have only one scaler trait (spreadscaler or "
                              "daemonscaler)");
                } else if (comp->shared_app != NULL) {
                    rc = fail(c, e,
                              "a shared component (properties.application) cannot have a scaler "
                              "trait; the app that owns it scales it");
                }
                pmark = push(c, "properties");
                comp->has_scaler = 1;
                comp->scaler.kind = ttype[0] == 's' ? WADM_SPREAD : WADM_DAEMON;
                if (rc == 0) {
                    rc = scaler_trait(c, t[1].val, &comp->scaler, jtp);
                }
            } else if (rc == 0) {
                pop(c, pmark);
                pmark = push(c, "type");
                rc = fail(c, t[0].val,
                          "unknown trait type \"%s\"; expected spreadscaler, daemonscaler or link",
                          show(c, ttype, strlen(ttype)));
            }
            pop(c, pmark);
            pop(c, imark);
        }
        comp->nlinks = nlinks;
        pop(c, tmark);
    }
    return rc;
}

static int
policies(ctx *c, const node *n, json_t *j)
{
    size_t mark = push(c, "policies"), i = 0;
    json_t *ja = json_array();
    int rc;

    if ((rc = seq_at(c, n, "policies")) == 0 && n->nkids > 0) {
        json_object_set(j, "policies", ja);
    }
    for (const node *e = rc == 0 ? n->first : NULL; e != NULL && rc == 0; e = e->next, i++) {
        size_t imark = push_idx(c, i);
        field f[] = {{"name", 1, NULL}, {"type", 1, NULL}, {"properties", 1, NULL}};
        json_t *jp = json_object();
        policy pol = {0};
        wadm_map props = {0};
        char *name, *type;

        json_array_append_new(ja, jp);
        rc = fields(c, e, f, 3);
        if (rc == 0) {
            rc = str_field(c, "name", f[0].val, 1, &name, jp);
        }
        if (rc == 0) {
            rc = strmap_field(c, "properties", f[2].val, 0, &props, jp);
        }
        if (rc == 0) {
            rc = str_field(c, "type", f[1].val, 1, &type, jp);
        }
        if (rc == 0) {
            pol.name = name;
            pol.type = type;
            for (size_t k = 0; k < props.n; k++) {
                pol.has_backend |= strcmp(props.v[k].key, "backend") == 0;
            }
            wc_vec_push(&c->policies, pol);
        }
        pop(c, imark);
    }
    json_decref(ja);
    pop(c, mark);
    return rc;
}

static int
metadata(ctx *c, const node *n, json_t *j)
{
    field f[] = {{"name", 1, NULL}, {"annotations", 0, NULL}, {"labels", 0, NULL}};
    wadm_manifest *m = c->m;
    size_t mark = push(c, "metadata");
    int rc;

    if ((rc = fields(c, n, f, 3)) != 0 ||
        (rc = str_field(c, "name", f[0].val, 0, &m->name, NULL)) != 0) {
        goto out;
    }
    /* wadm trims the name; then only [A-Za-z0-9_-] */
    {
        char *s = m->name;
        size_t len = strlen(s);

        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
                           s[len - 1] == '\r')) {
            s[--len] = '\0';
        }
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            s++;
            len--;
        }
        m->name = s;
        if (!is_ident(s, len)) {
            size_t nmark = push(c, "name");

            if (len == 0) {
                rc = fail(c, f[0].val, "must not be empty");
            } else {
                rc = fail(c, f[0].val,
                          "\"%s\" is not a valid application name: use only letters, digits, "
                          "'-' and '_'",
                          show(c, s, len));
            }
            pop(c, nmark);
            goto out;
        }
        json_object_set_new(j, "name", json_string(m->name));
    }
    if (f[1].val != NULL) {
        const node *vn;

        if ((rc = strmap_field(c, "annotations", f[1].val, 1, &m->annotations, j)) != 0) {
            goto out;
        }
        if (m->annotations.n == 0) {
            json_object_del(j, "annotations");
        }
        for (size_t i = 0; i < m->annotations.n; i++) {
            const char *k = m->annotations.v[i].key, *v = m->annotations.v[i].value;

            if (strcmp(k, "version") == 0) {
                m->version = (char *)v;
            } else if (strcmp(k, "description") == 0) {
                m->description = (char *)v;
            } else if (strcmp(k, SHARED_ANNOTATION) == 0) {
                m->shared = strcmp(v, "true") == 0;
            }
        }
        vn = map_get(f[1].val, "version");
        if (m->version != NULL && (strcmp(m->version, "latest") == 0 || m->version[0] == '\0')) {
            size_t amark = push(c, "annotations"), vmark = push(c, "version");

            rc = fail(c, vn, "%s",
                      m->version[0] ? "\"latest\" is reserved and cannot be a manifest version"
                                    : "must not be empty");
            pop(c, vmark);
            pop(c, amark);
            goto out;
        }
    }
    if (f[2].val != NULL) {
        if ((rc = strmap_field(c, "labels", f[2].val, 1, &m->labels, j)) != 0) {
            goto out;
        }
        if (m->labels.n == 0) {
            json_object_del(j, "labels");
        }
    }
out:
    pop(c, mark);
    return rc;
}

static int
spec(ctx *c, const node *n, json_t *j)
{
    field f[] = {{"components", 1, NULL}, {"policies", 0, NULL}};
    wadm_manifest *m = c->m;
    size_t mark = push(c, "spec"), cmark, i = 0;
    json_t *ja = json_array();
    const node *cn;
    int rc;

    json_object_set_new(j, "components", ja);
    if ((rc = fields(c, n, f, 2)) != 0) {
        goto out;
    }
    cn = f[0].val;
    cmark = push(c, "components");
    rc = seq_at(c, cn, "components");
    pop(c, cmark);
    /* Policies first: secrets refer to them. */
    if (rc == 0 && f[1].val != NULL) {
        rc = policies(c, f[1].val, j);
    }
    if (rc != 0) {
        goto out;
    }
    /* Names first: links refer to components listed after them. */
    for (const node *e = cn->first; e != NULL; e = e->next, i++) {
        const node *name = map_get(e, "name");

        if (name != NULL && name->kind == N_SCALAR && memchr(name->s, 0, name->len) == NULL &&
            !wc_map_has(&c->names, name->s)) {
            wc_map_put(&c->names, name->s, (void *)(i + 1));
        }
    }
    m->components = wc_arena_calloc(c->a, cn->nkids + 1, sizeof(*m->components));
    cmark = push(c, "components");
    i = 0;
    for (const node *e = cn->first; e != NULL && rc == 0; e = e->next, i++) {
        size_t imark = push_idx(c, i);
        json_t *jc = json_object();

        json_array_append_new(ja, jc);
        c->comp = i;
        m->ncomponents = i; /* components[0..i) are complete, for messages */
        rc = component(c, e, &m->components[i], jc);
        pop(c, imark);
    }
    m->ncomponents = i;
    pop(c, cmark);
out:
    pop(c, mark);
    return rc;
}

static int
manifest(ctx *c, const node *root, json_t *j)
{
    field f[] = {
        {"apiVersion", 1, NULL}, {"kind", 1, NULL}, {"metadata", 1, NULL}, {"spec", 1, NULL}};
    json_t *jm = json_object(), *js = json_object();
    char *s;
    int rc;

    if ((rc = fields(c, root, f, 4)) == 0 &&
        (rc = str_field(c, "apiVersion", f[0].val, 1, &s, j)) == 0 &&
        (rc = str_field(c, "kind", f[1].val, 1, &s, j)) == 0) {
        json_object_set(j, "metadata", jm);
        json_object_set(j, "spec", js);
        rc = metadata(c, f[2].val, jm);
        if (rc == 0) {
            rc = spec(c, f[3].val, js);
        }
    }
    json_decref(jm);
    json_decref(js);
    return rc;
}

static int
build(const node *root, const char *base_dir, int lines, wc_arena *tmp, wadm_manifest **out,
      wc_error *err)
{
    wadm_manifest *m = wc_xcalloc(1, sizeof(*m));
    ctx c = {0};
    int rc;

    wc_arena_init(&m->arena, 0);
    m->json = json_object();
    c.a = &m->arena;
    c.tmp = tmp;
    wc_strbuf_init(&c.path, 128);
    c.err = err;
    c.lines = lines;
    c.base_dir = base_dir;
    c.m = m;
    rc = manifest(&c, root, m->json);
    wc_strbuf_release(&c.path);
    wc_vec_free(&c.policies);
    wc_map_release(&c.names);
    wc_map_release(&c.ids);
    wc_map_release(&c.link_cfgs);
    wc_map_release(&c.links);
    if (rc != 0) {
        wadm_manifest_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int
wadm_manifest_parse(const char *text, size_t len, const char *base_dir, wadm_manifest **out,
                    wc_error *err)
{
    wc_arena tmp;
    loader l = {0};
    int rc;

    if (len > MANIFEST_MAX_BYTES) {
        return wc_error_set(err, WC_ELIMIT, "manifest is %zu bytes; the limit is %d (1 MiB)", len,
                            MANIFEST_MAX_BYTES);
    }
    wc_arena_init(&tmp, 0);
    l.a = &tmp;
    l.lines = 1;
    l.err = err;
    rc = load_yaml(&l, text != NULL ? text : "", text != NULL ? len : 0);
    if (rc == 0) {
        rc = build(l.root, base_dir, 1, &tmp, out, err);
    }
    wc_arena_release(&tmp);
    return rc;
}

int
wadm_manifest_from_json(const json_t *j, wadm_manifest **out, wc_error *err)
{
    wc_arena tmp;
    loader l = {0};
    int rc;

    if (j == NULL) {
        return wc_error_set(err, WC_EINVAL, "manifest is empty");
    }
    wc_arena_init(&tmp, 0);
    l.a = &tmp;
    l.err = err;
    rc = load_json(&l, j);
    if (rc == 0) {
        rc = build(l.root, NULL, 0, &tmp, out, err);
    }
    wc_arena_release(&tmp);
    return rc;
}

void
wadm_manifest_free(wadm_manifest *m)
{
    if (m == NULL) {
        return;
    }
    json_decref(m->json);
    wc_arena_release(&m->arena);
    free(m);
}

const wadm_component *
wadm_manifest_find(const wadm_manifest *m, const char *name)
{
    for (size_t i = 0; m != NULL && name != NULL && i < m->ncomponents; i++) {
        if (strcmp(m->components[i].name, name) == 0) {
            return &m->components[i];
        }
    }
    return NULL;
}

/* Lowercase ASCII letters and digits kept; any other character (not byte) becomes '_'. */
static void
sanitize(wc_strbuf *sb, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int in_char = 0; /* inside a multi-byte UTF-8 character */

    for (; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
            wc_strbuf_addch(sb, *p);
            in_char = 0;
        } else if (*p >= 'A' && *p <= 'Z') {
            wc_strbuf_addch(sb, *p - 'A' + 'a');
            in_char = 0;
        } else if ((*p & 0xc0) == 0x80 && in_char) {
            continue;
        } else {
            wc_strbuf_addch(sb, '_');
            in_char = *p >= 0xc0;
        }
    }
}

char *
wadm_derived_name(wc_arena *a, const char *app, const char *name)
{
    wc_strbuf sb = WC_STRBUF_INIT;
    char *out;

    sanitize(&sb, app != NULL ? app : "");
    wc_strbuf_addch(&sb, '-');
    sanitize(&sb, name != NULL ? name : "");
    out = wc_arena_strndup(a, sb.buf, sb.len);
    wc_strbuf_release(&sb);
    return out;
}
