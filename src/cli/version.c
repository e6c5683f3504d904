/*
 * version.c - `wash version`.
 */
#include "cli/cli.h"

#include <stdio.h>

int
cmd_version(int argc, char **argv)
{
    static const wc_option opts[] = {{NULL, 0, 0, NULL}};
    int npos;
    int rc = wc_parse_options(wc_find_command("version"), opts, argc, argv, &npos);

    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    printf("wash %s (wasmCloud in C; wasmCloud 1.x compatible)\n", WC_VERSION);
    printf("engine: WebAssembly 2.0 via C, baseline tier tcc, optimized tier cc -O2\n");
    return 0;
}
