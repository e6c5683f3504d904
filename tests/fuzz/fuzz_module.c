/*
 * fuzz_module.c - libFuzzer target for module loading: decode, validate and
 * translate arbitrary bytes. Nothing may crash, leak or read out of bounds;
 * a rejected module must come with a message.
 */
#include "engine/module.h"
#include "engine/translate.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wc_error err = WC_ERROR_INIT;
    wc_modinfo *m;
    wc_csource src;

    if (wc_modinfo_decode(data, size, &m, &err) != 0) {
        if (err.msg[0] == '\0') {
            abort();
        }
        return 0;
    }
    if (wc_translate(m, "w_", 1 << 16, &src, &err) == 0) {
        wc_csource_release(&src);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    wc_modinfo_free(m);
    return 0;
}
