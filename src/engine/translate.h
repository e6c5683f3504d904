/*
 * translate.h - WebAssembly function bodies to C, validating as we go.
 *
 * One pass over each function body both type-checks it (the validation
 * algorithm of the specification's appendix) and writes the equivalent C,
 * following the conventions in wcrt.h. The output is split into chunks so
 * the optimized tier can compile pieces in parallel with bounded memory;
 * the baseline tier simply concatenates them.
 */
#ifndef WC_ENGINE_TRANSLATE_H
#define WC_ENGINE_TRANSLATE_H

#include "base/strbuf.h"
#include "engine/module.h"

/* Bump when generated code or wcrt.h changes shape: it keys the code cache. */
#define WC_TRANSLATOR_VERSION 2

typedef struct wc_csource {
    wc_strbuf head;    /* prelude, types and prototypes: every chunk needs it */
    wc_strbuf *chunks; /* function bodies, and last the descriptor */
    size_t nchunks;
} wc_csource;

/**
 * Validate all function bodies of m and, if out is not NULL, write C for the
 * module with symbols prefixed by prefix (a C identifier fragment). The
 * module descriptor symbol is "<prefix>module". chunk_bytes bounds the size of
 * a chunk (0: one chunk). Returns 0, WC_EINVAL (invalid code, err names the
 * function and offset) or WC_ENOTSUP. Release out with wc_csource_release().
 */
int wc_translate(const wc_modinfo *m, const char *prefix, size_t chunk_bytes, wc_csource *out,
                 wc_error *err);
void wc_csource_release(wc_csource *src);

/** The embedded text of wcrt.h. */
extern const char wc_prelude_text[];

/**
 * Write C for the generic-call trampoline and the host adapter of a
 * signature (see runtime.c): "<name>_call" and "<name>_host".
 */
void wc_translate_signature(wc_strbuf *sb, const char *name, const wc_ftype *t);

#endif
