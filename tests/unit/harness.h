/*
 * harness.h - a small test harness: one process per test (CTest runs
 * `test_x NAME`), assertions that print both values and the location.
 *
 *     TEST(strbuf_add) { ... CHECK_EQ_INT(sb.len, 3); }
 *     TEST_MAIN(TEST_ENTRY(strbuf_add), ...)
 */
#ifndef WC_TEST_HARNESS_H
#define WC_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct test_entry {
    const char *name;
    void (*fn)(void);
} test_entry;

#define TEST(name)       static void test_##name(void)
#define TEST_ENTRY(name) {#name, test_##name}

#define FAILF(...)                                                                                 \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        exit(1);                                                                                   \
    } while (0)

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            FAILF("check failed: %s", #c);                                                         \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            FAILF("%s == %s: %lld != %lld", #a, #b, a_, b_);                                       \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                     \
            FAILF("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");   \
        }                                                                                          \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (h_ == NULL || strstr(h_, n_) == NULL) {                                                \
            FAILF("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);                       \
        }                                                                                          \
    } while (0)

#define TEST_MAIN(...)                                                                             \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const test_entry tests[] = {__VA_ARGS__};                                           \
        size_t n = sizeof(tests) / sizeof(tests[0]);                                               \
        if (argc < 2) {                                                                            \
            for (size_t i = 0; i < n; i++) {                                                       \
                printf("%s\n", tests[i].name);                                                     \
            }                                                                                      \
            return 0;                                                                              \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            if (strcmp(tests[i].name, argv[1]) == 0) {                                             \
                tests[i].fn();                                                                     \
                printf("ok %s\n", argv[1]);                                                        \
                return 0;                                                                          \
            }                                                                                      \
        }                                                                                          \
        fprintf(stderr, "no test named %s\n", argv[1]);                                            \
        return 2;                                                                                  \
    }

#endif
