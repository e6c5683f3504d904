/*
 * cmd.c - a wasi:cli command for tests: prints its arguments and an
 * environment variable, counts stdin, writes to stderr, and exits with the
 * status given as its first argument ("exit=N").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    char buf[4096];
    size_t n, total = 0;
    int status = 0;
    const char *who = getenv("WHO");

    for (int i = 0; i < argc; i++) {
        printf("arg[%d]=%s\n", i, argv[i]);
        if (strncmp(argv[i], "exit=", 5) == 0) {
            status = atoi(argv[i] + 5);
        }
    }
    printf("WHO=%s\n", who ? who : "(unset)");
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        total += n;
    }
    printf("stdin=%zu bytes\n", total);
    fprintf(stderr, "to stderr\n");
    fflush(stdout);
    return status;
}
