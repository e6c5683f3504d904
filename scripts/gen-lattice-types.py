#!/usr/bin/env python3
"""Generate the lattice protocol's C types and reference docs from its schema.

The control interface's commands and replies and the events' data are
defined once, in schema/lattice.schema.json (JSON Schema, draft 2020-12,
with a few x- annotations). From it this script writes:

  --c DIR     DIR/lattice_types.h and DIR/lattice_types.c: a C struct per
              $defs entry, with jansson decode and encode functions
  --docs FILE the protocol reference (docs/lattice-protocol.md)

The subset of JSON Schema understood (anything else is an error, so the
schema cannot say more than the code does):
  type: string | boolean | integer (format uint32, uint64, int32) |
        array (items: string or $ref) |
        object with additionalProperties {type: string} (a string map) |
        ["object", "null"] for a nullable string map
  $ref: "#/$defs/Name" (an embedded struct)
  required, default, description
  x-aliases: [names]      also accepted when decoding
  x-omit-empty: true      a map or list left out of the JSON when empty
  x-subject, x-reply:     on a $def: the NATS subject it travels on, the reply
  x-event: name(s)        on a $def: the data of wasmbus.evt.{lattice}.{name}
"""
import argparse
import json
import re
import sys

PREFIX = "wc_lt_"


def snake(name):
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return s.lower()


def ctype_name(defname):
    return PREFIX + snake(defname)


def cident(field):
    f = field.replace("-", "_")
    return f + "_" if f in ("default", "static", "int", "char", "union") else f


class Field:
    def __init__(self, name, spec, required, defname):
        self.name = name
        self.c = cident(name)
        self.spec = spec
        self.required = required
        self.default = spec.get("default")
        self.aliases = spec.get("x-aliases", [])
        self.omit_empty = spec.get("x-omit-empty", False)
        self.desc = spec.get("description", "")
        t = spec.get("type")
        ref = spec.get("$ref")
        self.nullable = False
        if isinstance(t, list):
            if sorted(t) != ["null", "object"]:
                raise SystemExit(f"{defname}.{name}: only [object, null] may be a type list")
            self.nullable = True
            t = "object"
        if ref:
            self.kind = "ref"
            self.ref = ref.split("/")[-1]
        elif t == "string":
            self.kind = "string"
        elif t == "boolean":
            self.kind = "bool"
        elif t == "integer":
            fmt = spec.get("format")
            if fmt not in ("uint32", "uint64", "int32"):
                raise SystemExit(f"{defname}.{name}: integer needs format uint32|uint64|int32")
            self.kind = fmt
        elif t == "array":
            items = spec.get("items", {})
            if items.get("type") == "string":
                self.kind = "strlist"
            elif "$ref" in items:
                self.kind = "reflist"
                self.ref = items["$ref"].split("/")[-1]
            else:
                raise SystemExit(f"{defname}.{name}: arrays hold strings or $refs")
        elif t == "object":
            ap = spec.get("additionalProperties")
            if not isinstance(ap, dict) or ap.get("type") != "string":
                raise SystemExit(f"{defname}.{name}: objects must be string maps or $refs")
            self.kind = "strmap"
        else:
            raise SystemExit(f"{defname}.{name}: unsupported type {t!r}")
        # Fields whose absence must be told apart from a value.
        self.has_flag = (not required and self.default is None and
                         self.kind in ("bool", "uint32", "uint64", "int32", "ref")) or self.nullable

    def ctype(self):
        return {
            "string": "char *",
            "bool": "bool ",
            "uint32": "uint32_t ",
            "uint64": "uint64_t ",
            "int32": "int32_t ",
            "strlist": "wc_lt_strlist ",
            "strmap": "wc_lt_strmap ",
        }.get(self.kind) or (ctype_name(self.ref) + " " if self.kind == "ref"
                             else f"struct {{ size_t n; {ctype_name(self.ref)} *v; }} ")

    def doc_type(self):
        k = self.kind
        if k == "ref":
            return f"[{self.ref}](#{self.ref.lower()})"
        if k == "reflist":
            return f"[[{self.ref}](#{self.ref.lower()})]"
        return {"string": "string", "bool": "boolean", "uint32": "u32", "uint64": "u64",
                "int32": "i32", "strlist": "[string]",
                "strmap": "{string: string}" + (" or null" if self.nullable else "")}[k]


class Def:
    def __init__(self, name, spec):
        self.name = name
        self.c = ctype_name(name)
        self.spec = spec
        if spec.get("type") != "object":
            raise SystemExit(f"{name}: a $def must be an object")
        req = set(spec.get("required", []))
        props = spec.get("properties", {})
        for r in req:
            if r not in props:
                raise SystemExit(f"{name}: required {r} is not a property")
        self.fields = [Field(k, v, k in req, name) for k, v in props.items()]
        self.desc = spec.get("description", "")
        self.subject = spec.get("x-subject")
        self.reply = spec.get("x-reply")
        ev = spec.get("x-event", [])
        self.events = ev if isinstance(ev, list) else [ev]


def load(path):
    with open(path) as f:
        schema = json.load(f)
    defs = [Def(k, v) for k, v in schema["$defs"].items()]
    names = {d.name for d in defs}
    for d in defs:
        for f in d.fields:
            if f.kind in ("ref", "reflist") and f.ref not in names:
                raise SystemExit(f"{d.name}.{f.name}: unknown $ref {f.ref}")
    return schema, order(defs)


def order(defs):
    """Definitions before their users (C needs complete types)."""
    by = {d.name: d for d in defs}
    out, seen = [], set()

    def visit(d):
        if d.name in seen:
            return
        seen.add(d.name)
        for f in d.fields:
            if f.kind in ("ref", "reflist"):
                visit(by[f.ref])
        out.append(d)
    for d in defs:
        visit(d)
    return out


def c_string(s):
    return json.dumps(s)


HEADER_TOP = """/*
 * lattice_types.h - GENERATED by scripts/gen-lattice-types.py from
 * schema/lattice.schema.json. Do not edit: change the schema.
 *
 * One struct per message of the wasmCloud 1.x lattice protocol, with:
 *   int  T_decode(const json_t *j, T *out, wc_arena *a, wc_error *err)
 *        fills out from JSON (strings and arrays in the arena); WC_EINVAL
 *        with the field's path on a missing or mistyped field;
 *   json_t *T_encode(const T *v)
 *        a new JSON object (the caller owns the reference); absent optional
 *        fields (NULL strings, has_x false) are left out.
 * Unknown JSON fields are ignored, as the reference's serde types do.
 */
#ifndef WC_LATTICE_TYPES_H
#define WC_LATTICE_TYPES_H

#include "base/arena.h"
#include "base/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wc_lt_strlist {
    size_t n;
    char **v;
} wc_lt_strlist;

/* A JSON object of string values, in document order. */
typedef struct wc_lt_strmap {
    size_t n;
    char **keys;
    char **vals;
} wc_lt_strmap;

"""


def gen_header(defs):
    out = [HEADER_TOP]
    for d in defs:
        if d.desc:
            out.append(f"/* {d.name}: {d.desc} */\n")
        out.append(f"typedef struct {d.c} {{\n")
        for f in d.fields:
            out.append(f"    {f.ctype()}{f.c};\n")
            if f.has_flag:
                out.append(f"    bool has_{f.c};\n")
        if not d.fields:
            out.append("    char unused_;\n")
        out.append(f"}} {d.c};\n\n")
        out.append(f"int {d.c}_decode(const json_t *j, {d.c} *out, wc_arena *a, wc_error *err);\n")
        out.append(f"json_t *{d.c}_encode(const {d.c} *v);\n\n")
    out.append("#endif\n")
    return "".join(out)


SOURCE_TOP = """/*
 * lattice_types.c - GENERATED by scripts/gen-lattice-types.py from
 * schema/lattice.schema.json. Do not edit: change the schema.
 */
#include "lattice_types.h"

#include <stdio.h>
#include <string.h>

static int
bad(wc_error *err, const char *path, const char *field, const char *what)
{
    return wc_error_set(err, WC_EINVAL, "%s%s%s: expected %s", path, path[0] ? "." : "", field,
                        what);
}

static const json_t *
get(const json_t *o, const char *name, const char *const *aliases)
{
    const json_t *v = json_object_get(o, name);

    for (; v == NULL && aliases != NULL && *aliases != NULL; aliases++) {
        v = json_object_get(o, *aliases);
    }
    return v;
}

static int
dec_string(const json_t *v, char **out, wc_arena *a, const char *path, const char *f,
           wc_error *err)
{
    if (!json_is_string(v)) {
        return bad(err, path, f, "a string");
    }
    *out = wc_arena_strdup(a, json_string_value(v));
    return 0;
}

static int
dec_int(const json_t *v, int64_t lo, uint64_t hi, uint64_t *out, const char *what,
        const char *path, const char *f, wc_error *err)
{
    json_int_t x;

    if (!json_is_integer(v)) {
        return bad(err, path, f, what);
    }
    x = json_integer_value(v);
    if (x < lo || (x > 0 && (uint64_t)x > hi)) {
        return bad(err, path, f, what);
    }
    *out = (uint64_t)x;
    return 0;
}

static int
dec_strlist(const json_t *v, wc_lt_strlist *out, wc_arena *a, const char *path, const char *f,
            wc_error *err)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v)) {
        return bad(err, path, f, "an array of strings");
    }
    out->n = json_array_size(v);
    out->v = wc_arena_calloc(a, out->n + 1, sizeof(char *));
    json_array_foreach (v, i, e) {
        if (!json_is_string(e)) {
            return bad(err, path, f, "an array of strings");
        }
        out->v[i] = wc_arena_strdup(a, json_string_value(e));
    }
    return 0;
}

static int
dec_strmap(const json_t *v, wc_lt_strmap *out, wc_arena *a, const char *path, const char *f,
           wc_error *err)
{
    const char *k;
    const json_t *e;
    size_t i = 0;

    if (!json_is_object(v)) {
        return bad(err, path, f, "an object of strings");
    }
    out->n = json_object_size(v);
    out->keys = wc_arena_calloc(a, out->n + 1, sizeof(char *));
    out->vals = wc_arena_calloc(a, out->n + 1, sizeof(char *));
    json_object_foreach ((json_t *)v, k, e) {
        if (!json_is_string(e)) {
            return bad(err, path, f, "an object of strings");
        }
        out->keys[i] = wc_arena_strdup(a, k);
        out->vals[i++] = wc_arena_strdup(a, json_string_value(e));
    }
    return 0;
}

static json_t *
enc_strlist(const wc_lt_strlist *l)
{
    json_t *a = json_array();

    for (size_t i = 0; i < l->n; i++) {
        json_array_append_new(a, json_string(l->v[i] ? l->v[i] : ""));
    }
    return a;
}

static json_t *
enc_strmap(const wc_lt_strmap *m)
{
    json_t *o = json_object();

    for (size_t i = 0; i < m->n; i++) {
        json_object_set_new(o, m->keys[i], json_string(m->vals[i] ? m->vals[i] : ""));
    }
    return o;
}

static char *
subpath(wc_arena *a, const char *path, const char *field, long index)
{
    size_t n = strlen(path) + strlen(field) + 32;
    char *p = wc_arena_alloc(a, n);

    if (index < 0) {
        snprintf(p, n, "%s%s%s", path, path[0] ? "." : "", field);
    } else {
        snprintf(p, n, "%s%s%s[%ld]", path, path[0] ? "." : "", field, index);
    }
    return p;
}

"""

INT_LIMITS = {
    "uint32": ("0", "UINT32_MAX", "a non-negative integer below 2^32"),
    "uint64": ("0", "UINT64_MAX", "a non-negative integer"),
    "int32": ("INT32_MIN", "INT32_MAX", "an integer of 32 bits"),
}


def gen_source(defs):
    out = [SOURCE_TOP]
    # Forward declarations of the path-taking decoders.
    for d in defs:
        out.append(f"static int {d.c}_decode_at(const json_t *j, {d.c} *out, wc_arena *a, "
                   f"const char *path, wc_error *err);\n")
    out.append("\n")
    for d in defs:
        out.append(gen_decode(d))
        out.append(gen_encode(d))
    return "".join(out)


def gen_decode(d):
    o = []
    o.append(f"static int\n{d.c}_decode_at(const json_t *j, {d.c} *out, wc_arena *a, "
             f"const char *path, wc_error *err)\n{{\n")
    o.append("    const json_t *v;\n    int rc = 0;\n\n")
    o.append("    memset(out, 0, sizeof(*out));\n")
    o.append("    if (!json_is_object(j)) {\n")
    o.append(f"        return wc_error_set(err, WC_EINVAL, \"%s: expected an object "
             f"({d.name})\", path[0] ? path : \"message\");\n    }}\n")
    for f in d.fields:
        aliases = "NULL"
        if f.aliases:
            o.append(f"    {{\n        static const char *const al[] = {{"
                     + ", ".join(c_string(x) for x in f.aliases) + ", NULL};\n\n")
            aliases = "al"
            indent = "        "
        else:
            indent = "    "
        o.append(f"{indent}v = get(j, {c_string(f.name)}, {aliases});\n")
        if f.aliases:
            o.append("    }\n")
        fn = c_string(f.name)
        # Absent (or null, for nullable and optional fields).
        o.append(f"    if (v == NULL || (json_is_null(v) && {0 if f.required and not f.nullable else 1})) {{\n")
        if f.required:
            o.append(f"        if (v == NULL) {{\n            return wc_error_set(err, WC_EINVAL, "
                     f"\"%s%s{f.name}: missing (required)\", path, path[0] ? \".\" : \"\");\n        }}\n")
        elif f.default is not None:
            o.append(default_assign(f, "        "))
        o.append("    } else {\n")
        o.append(decode_value(f, "        "))
        if f.has_flag:
            o.append(f"        out->has_{f.c} = true;\n")
        o.append("    }\n")
        # Defaults for strings that are absent and have none: leave NULL.
    o.append("    (void)a;\n    (void)v;\n    return rc;\n}\n\n")
    o.append(f"int\n{d.c}_decode(const json_t *j, {d.c} *out, wc_arena *a, wc_error *err)\n{{\n"
             f"    return {d.c}_decode_at(j, out, a, \"\", err);\n}}\n\n")
    return "".join(o)


def default_assign(f, ind):
    dv = f.default
    if f.kind == "string":
        return f"{ind}out->{f.c} = wc_arena_strdup(a, {c_string(dv)});\n"
    if f.kind == "bool":
        return f"{ind}out->{f.c} = {'true' if dv else 'false'};\n"
    if f.kind in ("uint32", "uint64", "int32"):
        return f"{ind}out->{f.c} = {int(dv)};\n"
    if f.kind in ("strlist", "strmap", "reflist"):
        if dv not in ([], {}):
            raise SystemExit(f"{f.name}: only empty defaults for lists and maps")
        return ""
    raise SystemExit(f"{f.name}: no default for {f.kind}")


def decode_value(f, ind):
    fn = c_string(f.name)
    k = f.kind
    if k == "string":
        return f"{ind}if ((rc = dec_string(v, &out->{f.c}, a, path, {fn}, err)) != 0) {{\n{ind}    return rc;\n{ind}}}\n"
    if k == "bool":
        return (f"{ind}if (!json_is_boolean(v)) {{\n{ind}    return bad(err, path, {fn}, \"true or false\");\n{ind}}}\n"
                f"{ind}out->{f.c} = json_is_true(v);\n")
    if k in INT_LIMITS:
        lo, hi, what = INT_LIMITS[k]
        ctype = {"uint32": "uint32_t", "uint64": "uint64_t", "int32": "int32_t"}[k]
        return (f"{ind}{{\n{ind}    uint64_t x = 0;\n\n"
                f"{ind}    if ((rc = dec_int(v, {lo}, {hi}, &x, {c_string(what)}, path, {fn}, err)) != 0) {{\n"
                f"{ind}        return rc;\n{ind}    }}\n{ind}    out->{f.c} = ({ctype})x;\n{ind}}}\n")
    if k == "strlist":
        return f"{ind}if ((rc = dec_strlist(v, &out->{f.c}, a, path, {fn}, err)) != 0) {{\n{ind}    return rc;\n{ind}}}\n"
    if k == "strmap":
        return f"{ind}if ((rc = dec_strmap(v, &out->{f.c}, a, path, {fn}, err)) != 0) {{\n{ind}    return rc;\n{ind}}}\n"
    if k == "ref":
        return (f"{ind}if ((rc = {ctype_name(f.ref)}_decode_at(v, &out->{f.c}, a, subpath(a, path, {fn}, -1), err)) != 0) {{\n"
                f"{ind}    return rc;\n{ind}}}\n")
    if k == "reflist":
        t = ctype_name(f.ref)
        return (f"{ind}if (!json_is_array(v)) {{\n{ind}    return bad(err, path, {fn}, \"an array\");\n{ind}}}\n"
                f"{ind}out->{f.c}.n = json_array_size(v);\n"
                f"{ind}out->{f.c}.v = wc_arena_calloc(a, out->{f.c}.n + 1, sizeof({t}));\n"
                f"{ind}for (size_t i = 0; i < out->{f.c}.n; i++) {{\n"
                f"{ind}    if ((rc = {t}_decode_at(json_array_get(v, i), &out->{f.c}.v[i], a, subpath(a, path, {fn}, (long)i), err)) != 0) {{\n"
                f"{ind}        return rc;\n{ind}    }}\n{ind}}}\n")
    raise SystemExit(k)


def gen_encode(d):
    o = [f"json_t *\n{d.c}_encode(const {d.c} *v)\n{{\n    json_t *o = json_object();\n\n    (void)v;\n"]
    for f in d.fields:
        fn = c_string(f.name)
        k = f.kind
        cond = None
        if f.has_flag:
            cond = f"v->has_{f.c}"
        if k == "string":
            expr = f"json_string(v->{f.c})"
            if f.required or f.default is not None:
                expr = f"json_string(v->{f.c} ? v->{f.c} : {c_string(f.default if f.default is not None else '')})"
            else:
                cond = f"v->{f.c} != NULL"
        elif k == "bool":
            expr = f"json_boolean(v->{f.c})"
        elif k in INT_LIMITS:
            expr = f"json_integer((json_int_t)v->{f.c})"
        elif k == "strlist":
            expr = f"enc_strlist(&v->{f.c})"
            if f.omit_empty:
                cond = f"v->{f.c}.n > 0"
        elif k == "strmap":
            expr = f"enc_strmap(&v->{f.c})"
            if f.nullable:
                o.append(f"    if (!v->has_{f.c}) {{\n        json_object_set_new(o, {fn}, json_null());\n    }} else {{\n"
                         f"        json_object_set_new(o, {fn}, {expr});\n    }}\n")
                continue
            if f.omit_empty:
                cond = f"v->{f.c}.n > 0"
        elif k == "ref":
            expr = f"{ctype_name(f.ref)}_encode(&v->{f.c})"
        elif k == "reflist":
            o.append(f"    {{\n        json_t *arr = json_array();\n\n"
                     f"        for (size_t i = 0; i < v->{f.c}.n; i++) {{\n"
                     f"            json_array_append_new(arr, {ctype_name(f.ref)}_encode(&v->{f.c}.v[i]));\n"
                     f"        }}\n        json_object_set_new(o, {fn}, arr);\n    }}\n")
            continue
        if cond:
            o.append(f"    if ({cond}) {{\n        json_object_set_new(o, {fn}, {expr});\n    }}\n")
        else:
            o.append(f"    json_object_set_new(o, {fn}, {expr});\n")
    o.append("    return o;\n}\n\n")
    return "".join(o)


def gen_docs(schema, defs):
    out = []
    out.append("# The lattice protocol (generated)\n\n")
    out.append("GENERATED by `scripts/gen-lattice-types.py` from `schema/lattice.schema.json`;\n"
               "edit the schema, then `cmake --build build --target lattice-docs`. CTest checks\n"
               "that this page matches the schema (`lattice.docs_match_schema`).\n\n")
    out.append(schema.get("description", "") + "\n\n")
    rows = []
    for d in defs:
        if d.subject:
            reply = d.reply or "none"
            if reply in {x.name for x in defs}:
                reply = f"[{reply}](#{reply.lower()})"
            rows.append((d.subject, f"[{d.name}](#{d.name.lower()})", reply))
    for o in schema.get("x-other-subjects", []):
        rows.append((o["subject"], o["request"], o["reply"]))
    if rows:
        out.append("## Control subjects\n\n| subject | request | reply `response` |\n|---|---|---|\n")
        for subject, req, reply in sorted(rows):
            out.append(f"| `{subject}` | {req} | {reply} |\n")
        out.append("\n")
    evs = sorted((e, d) for d in defs for e in d.events)
    if evs:
        out.append("## Events\n\nCloudEvents 1.0 (structured JSON) on `wasmbus.evt.{lattice}.{name}`, "
                   "type `com.wasmcloud.lattice.{name}`, `source` the host's public key.\n\n"
                   "| event | data |\n|---|---|\n")
        for e, d in evs:
            out.append(f"| `{e}` | [{d.name}](#{d.name.lower()}) |\n")
        out.append("\n")
    out.append("## Types\n\n")
    for d in sorted(defs, key=lambda d: d.name):
        out.append(f"### {d.name}\n\n")
        if d.desc:
            out.append(d.desc + "\n\n")
        if not d.fields:
            out.append("(no fields)\n\n")
            continue
        out.append("| field | type | required | default | meaning |\n|---|---|---|---|---|\n")
        for f in d.fields:
            default = "" if f.default is None else f"`{json.dumps(f.default)}`"
            desc = f.desc
            if f.aliases:
                desc += (" " if desc else "") + "Also read as " + ", ".join(f"`{a}`" for a in f.aliases) + "."
            out.append(f"| `{f.name}` | {f.doc_type()} | {'yes' if f.required else ''} | {default} | {desc} |\n")
        out.append("\n")
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("schema")
    ap.add_argument("--c", metavar="DIR")
    ap.add_argument("--docs", metavar="FILE", help="- for standard output")
    args = ap.parse_args()
    schema, defs = load(args.schema)
    if args.c:
        with open(f"{args.c}/lattice_types.h", "w") as f:
            f.write(gen_header(defs))
        with open(f"{args.c}/lattice_types.c", "w") as f:
            f.write(gen_source(defs))
    if args.docs:
        text = gen_docs(schema, defs)
        if args.docs == "-":
            sys.stdout.write(text)
        else:
            with open(args.docs, "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
