/*
 * versions.c - imports wasi:http/types@0.2.0 and wasi:clocks/monotonic-clock@0.2.3,
 * the mix real C components have (wit-bindgen's WASI 0.2.0 bindings beside
 * the 0.2.3 preview1 adapter). The host's 0.2.x implementations serve both.
 */
#include <stdint.h>
#include <stdlib.h>

__attribute__((import_module("wasi:http/types@0.2.0"), import_name("[constructor]fields"))) int32_t
fields_new(void);
__attribute__((import_module("wasi:http/types@0.2.0"), import_name("[resource-drop]fields"))) void
fields_drop(int32_t h);
__attribute__((import_module("wasi:clocks/monotonic-clock@0.2.3"), import_name("now"))) uint64_t
monotonic_now(void);

__attribute__((export_name("cabi_realloc"))) void *
cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size)
{
    (void)old_size;
    (void)align;
    return realloc(old, new_size ? new_size : 1);
}

/* True when both imports answered: a fields handle is never 0, nor the clock. */
__attribute__((export_name("both"))) uint32_t
both(void)
{
    int32_t f = fields_new();

    fields_drop(f);
    return f != 0 && monotonic_now() != 0;
}
