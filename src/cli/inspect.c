/*
 * inspect.c - `wash inspect FILE`: a component's imports and exports as
 * WIT-like text (or a core module's, for a .wasm that is not a component).
 */
#include "cli/cli.h"

#include "base/arena.h"
#include "base/strbuf.h"
#include "component/cparse.h"
#include "wc/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
wc_cli_read_file(const char *path, wc_strbuf *out, wc_error *err)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;

    if (f == NULL) {
        return wc_error_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        wc_strbuf_add(out, buf, n);
    }
    if (ferror(f)) {
        fclose(f);
        return wc_error_set(err, WC_EIO, "cannot read %s", path);
    }
    fclose(f);
    return 0;
}

static void
print_decl(wc_strbuf *sb, const cdecl *d, const char *indent)
{
    wc_strbuf_addf(sb, "%s", indent);
    switch (d->sort) {
    case SORT_TYPE:
        if (d->type != NULL && d->type->kind == CT_ABSTRACT) {
            wc_strbuf_addf(sb, "resource %s;\n", d->name);
        } else {
            wc_strbuf_addf(sb, "type %s = ", d->name);
            wc_ctype_print(sb, d->type);
            wc_strbuf_adds(sb, ";\n");
        }
        break;
    case SORT_FUNC:
        wc_strbuf_addf(sb, "%s: ", d->name);
        wc_ctype_print(sb, d->type);
        wc_strbuf_adds(sb, ";\n");
        break;
    case SORT_INSTANCE: wc_strbuf_addf(sb, "%s: instance;\n", d->name); break;
    case SORT_COMPONENT: wc_strbuf_addf(sb, "%s: component;\n", d->name); break;
    default: wc_strbuf_addf(sb, "%s: module;\n", d->name); break;
    }
}

static void
print_item(wc_strbuf *sb, const char *kw, const char *name, uint8_t sort, const ctype *t)
{
    if (sort == SORT_INSTANCE && t != NULL && t->kind == CT_INSTANCE) {
        wc_strbuf_addf(sb, "  %s %s {\n", kw, name);
        for (uint32_t i = 0; i < t->n; i++) {
            print_decl(sb, &t->decls[i], "    ");
        }
        wc_strbuf_adds(sb, "  }\n");
    } else {
        cdecl d = {name, 0, sort, t};

        wc_strbuf_addf(sb, "  %s ", kw);
        print_decl(sb, &d, "");
    }
}

static int
inspect_component(const char *path, const wc_strbuf *bytes)
{
    wc_arena arena = WC_ARENA_INIT;
    wc_error err = WC_ERROR_INIT;
    wc_strbuf sb = WC_STRBUF_INIT;
    ccomp *c;

    if (wc_cparse((const uint8_t *)bytes->buf, bytes->len, &arena, &c, &err) != 0) {
        wc_cli_error("inspect", "%s: %s", path, err.msg);
        wc_arena_release(&arena);
        return 1;
    }
    wc_strbuf_addf(&sb, "component %s (%zu bytes, %u core modules, %u nested components)\n", path,
                   bytes->len, c->nmodules, c->ncomponents);
    wc_strbuf_adds(&sb, "world {\n");
    for (uint32_t i = 0; i < c->ndefs; i++) {
        if (c->defs[i].kind == D_IMPORT) {
            print_item(&sb, "import", c->defs[i].name, c->defs[i].sort, c->defs[i].type);
        }
    }
    for (uint32_t i = 0; i < c->ndefs; i++) {
        if (c->defs[i].kind == D_EXPORT) {
            print_item(&sb, "export", c->defs[i].name, c->defs[i].sort, c->defs[i].type);
        }
    }
    wc_strbuf_adds(&sb, "}\n");
    fwrite(sb.buf, 1, sb.len, stdout);
    wc_strbuf_release(&sb);
    wc_arena_release(&arena);
    return 0;
}

static const char *
kind_name(wc_externkind k)
{
    static const char *names[] = {"func", "table", "memory", "global"};

    return names[k & 3];
}

static int
inspect_module(const char *path, const wc_strbuf *bytes)
{
    wc_engine_config cfg;
    wc_engine *e;
    wc_module *m;
    wc_error err = WC_ERROR_INIT;
    int rc = 1;

    wc_engine_config_init(&cfg);
    cfg.tier = WC_TIER_BASELINE;
    if (wc_engine_new(&cfg, &e, &err) != 0) {
        wc_cli_error("inspect", "%s", err.msg);
        return 1;
    }
    if (wc_module_new(e, bytes->buf, bytes->len, &m, &err) != 0) {
        wc_cli_error("inspect", "%s: %s", path, err.msg);
        goto out;
    }
    printf("core module %s (%zu bytes)\n", path, bytes->len);
    for (uint32_t i = 0; i < wc_module_import_count(m); i++) {
        wc_importdesc d;

        wc_module_import(m, i, &d);
        printf("  import %s::%s: %s\n", d.module, d.name, kind_name(d.kind));
    }
    for (uint32_t i = 0; i < wc_module_export_count(m); i++) {
        wc_exportdesc d;

        wc_module_export(m, i, &d);
        printf("  export %s: %s\n", d.name, kind_name(d.kind));
    }
    wc_module_unref(m);
    rc = 0;
out:
    wc_engine_free(e);
    return rc;
}

int
cmd_inspect(int argc, char **argv)
{
    static const wc_option opts[] = {{NULL, 0, 0, NULL}};
    wc_strbuf bytes = WC_STRBUF_INIT;
    wc_error err = WC_ERROR_INIT;
    int npos, rc = wc_parse_options(wc_find_command("inspect"), opts, argc, argv, &npos);

    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (npos != 1) {
        wc_cli_error("inspect", "expected one file (usage: wash inspect COMPONENT.wasm)");
        return 2;
    }
    if (wc_cli_read_file(argv[1], &bytes, &err) != 0) {
        wc_cli_error("inspect", "%s", err.msg);
        return 1;
    }
    rc = wc_is_component((const uint8_t *)bytes.buf, bytes.len) ? inspect_component(argv[1], &bytes)
                                                                : inspect_module(argv[1], &bytes);
    wc_strbuf_release(&bytes);
    return rc;
}
