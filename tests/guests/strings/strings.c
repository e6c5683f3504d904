/*
 * strings.c - a component for string encoding tests. The same code is
 * embedded three times with jco (utf8, utf16, compact-utf16): echo returns
 * its argument's representation unchanged, units returns the raw
 * (possibly tagged) code-unit count the host passed.
 */
#include <stdint.h>
#include <stdlib.h>

__attribute__((export_name("cabi_realloc"))) void *
cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size)
{
    (void)old_size;
    (void)align;
    return realloc(old, new_size ? new_size : 1);
}

static uint32_t ret[2];

__attribute__((export_name("echo"))) uint32_t *
echo(uint8_t *ptr, uint32_t len)
{
    ret[0] = (uint32_t)(uintptr_t)ptr;
    ret[1] = len;
    return ret;
}

__attribute__((export_name("cabi_post_echo"))) void
post_echo(uint32_t *r)
{
    free((void *)(uintptr_t)r[0]);
}

__attribute__((export_name("units"))) uint32_t
units(uint8_t *ptr, uint32_t len)
{
    free(ptr);
    return len;
}
