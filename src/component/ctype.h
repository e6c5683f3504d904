/*
 * ctype.h - Component Model types as the component layer holds them.
 *
 * The parser (cparse.c) builds one ctype node per type definition, with
 * references resolved to node pointers at parse time (a type may only refer
 * to earlier ones), so a value type is a small DAG that the canonical ABI
 * (cabi.c) walks directly. Each value type carries its ABI facts, computed
 * once: size, alignment, and flattened core types.
 *
 * Resources: a `(resource ...)` definition is a CT_RESOURCE node; an
 * imported or exported `(sub resource)` is a CT_ABSTRACT node. Both are
 * *static* identities: which runtime resource type a node stands for is
 * decided per component instance (cinst.c keeps that binding).
 */
#ifndef WC_COMPONENT_CTYPE_H
#define WC_COMPONENT_CTYPE_H

#include "base/strbuf.h"

#include <stdint.h>

/* Value type kinds use their binary encodings. */
enum {
    CT_BOOL = 0x7f,
    CT_S8 = 0x7e,
    CT_U8 = 0x7d,
    CT_S16 = 0x7c,
    CT_U16 = 0x7b,
    CT_S32 = 0x7a,
    CT_U32 = 0x79,
    CT_S64 = 0x78,
    CT_U64 = 0x77,
    CT_F32 = 0x76,
    CT_F64 = 0x75,
    CT_CHAR = 0x74,
    CT_STRING = 0x73,
    CT_RECORD = 0x72,
    CT_VARIANT = 0x71,
    CT_LIST = 0x70,
    CT_TUPLE = 0x6f,
    CT_FLAGS = 0x6e,
    CT_ENUM = 0x6d,
    CT_OPTION = 0x6b,
    CT_RESULT = 0x6a,
    CT_OWN = 0x69,
    CT_BORROW = 0x68,
    /* Not value types: */
    CT_FUNC = 0x40,
    CT_COMPONENT = 0x41,
    CT_INSTANCE = 0x42,
    CT_RESOURCE = 0x3f, /* a resource defined by this component */
    CT_ABSTRACT = 0x01, /* an imported/exported (sub resource) */
    CT_MODULE = 0x50    /* a core module type (kept opaque) */
};

/* Sorts (component level), as in the binary format. */
enum {
    SORT_CORE = 0x00,
    SORT_FUNC = 0x01,
    SORT_VALUE = 0x02,
    SORT_TYPE = 0x03,
    SORT_COMPONENT = 0x04,
    SORT_INSTANCE = 0x05
};

/* Core sorts. */
enum {
    CSORT_FUNC = 0x00,
    CSORT_TABLE = 0x01,
    CSORT_MEMORY = 0x02,
    CSORT_GLOBAL = 0x03,
    CSORT_TYPE = 0x10,
    CSORT_MODULE = 0x11,
    CSORT_INSTANCE = 0x12
};

/* Core flat types (wasm value type bytes). */
enum { FT_I32 = 0x7f, FT_I64 = 0x7e, FT_F32 = 0x7d, FT_F64 = 0x7c };

#define WC_MAX_FLAT_PARAMS  16
#define WC_MAX_FLAT_RESULTS 1

typedef struct ctype ctype;

/* A declaration inside an instance or component type: an import or export. */
typedef struct cdecl {
    const char *name;
    uint8_t is_import;
    uint8_t sort;      /* SORT_*; SORT_CORE means a core module */
    const ctype *type; /* func/instance/component type, or the type a type-decl names */
} cdecl;

struct ctype {
    uint8_t kind;
    uint8_t contains_ptr; /* value types: has a string or list inside */
    uint8_t contains_borrow;
    uint32_t n;          /* fields, cases, labels, params, decls */
    const char **names;  /* field/case/label/param names */
    const ctype **elems; /* field types, case payloads (NULL = none), param types;
                            list/option: [0]; result: [0] ok, [1] err (NULL = none) */
    const ctype *res;    /* own/borrow: the resource; func: the result (NULL = none) */
    const cdecl *decls;  /* instance/component types */
    /* ABI of value types */
    uint32_t size, align;
    uint32_t nflat;      /* may exceed WC_MAX_FLAT_PARAMS */
    const uint8_t *flat; /* nflat core types */
    /* Resources defined here: the destructor's core func index, or UINT32_MAX. */
    uint32_t dtor;
    uint32_t id; /* creation order within its component, for messages */
};

/** Is t a value type (usable as a parameter or result)? */
int wc_ctype_is_value(const ctype *t);
/** The discriminant size in bytes of a variant-like type with n cases. */
uint32_t wc_ctype_disc_size(uint32_t ncases);
/** Byte offset of a variant's payload. */
uint32_t wc_ctype_payload_offset(const ctype *t);
/** Byte offset of field i of a record or tuple. */
uint32_t wc_ctype_field_offset(const ctype *t, uint32_t i);
/** Number of cases of a variant-like type (variant, enum, option, result). */
uint32_t wc_ctype_ncases(const ctype *t);
/** Payload type of case c of a variant-like type (NULL if none). */
const ctype *wc_ctype_case(const ctype *t, uint32_t c);

/** Append WIT-like text for t (value or function types). */
void wc_ctype_print(wc_strbuf *sb, const ctype *t);

#endif
