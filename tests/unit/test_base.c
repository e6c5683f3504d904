/*
 * test_base.c - strbuf, arena, map, vec, durations, errors.
 */
#include "base/arena.h"
#include "base/duration.h"
#include "base/error.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "harness.h"

TEST(strbuf_grows_and_formats)
{
    wc_strbuf sb = WC_STRBUF_INIT;

    CHECK_EQ_STR(sb.buf, "");
    for (int i = 0; i < 1000; i++) {
        wc_strbuf_addf(&sb, "%d,", i);
    }
    CHECK(sb.len > 3000);
    CHECK(strncmp(sb.buf, "0,1,2,", 6) == 0);
    CHECK_EQ_INT(sb.buf[sb.len], 0);
    wc_strbuf_setlen(&sb, 2);
    CHECK_EQ_STR(sb.buf, "0,");
    wc_strbuf_addch(&sb, 'x');
    wc_strbuf_add(&sb, "\0y", 2);
    CHECK_EQ_INT(sb.len, 5);
    wc_strbuf_release(&sb);
    CHECK_EQ_STR(sb.buf, "");
}

TEST(strbuf_detach_empty)
{
    wc_strbuf sb = WC_STRBUF_INIT;
    size_t len = 99;
    char *s = wc_strbuf_detach(&sb, &len);

    CHECK_EQ_INT(len, 0);
    CHECK_EQ_STR(s, "");
    free(s);
}

TEST(arena_alignment_and_large_blocks)
{
    wc_arena a = WC_ARENA_INIT;
    char *big;

    wc_arena_init(&a, 1024);
    for (int i = 0; i < 100; i++) {
        void *p = wc_arena_alloc(&a, (size_t)i + 1);

        CHECK(((uintptr_t)p & 15) == 0);
        memset(p, 0xab, (size_t)i + 1);
    }
    big = wc_arena_alloc(&a, 100000);
    memset(big, 1, 100000);
    CHECK_EQ_STR(wc_arena_strdup(&a, "hello"), "hello");
    wc_arena_reset(&a);
    CHECK_EQ_INT(a.used, 0);
    CHECK(wc_arena_calloc(&a, 10, 10) != NULL);
    wc_arena_release(&a);
}

TEST(map_put_get_del)
{
    wc_map m = WC_MAP_INIT;
    char key[32];
    size_t pos = 0, seen = 0;
    const char *k;
    void *v;

    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        CHECK(wc_map_put(&m, key, (void *)(intptr_t)(i + 1)) == NULL);
    }
    CHECK_EQ_INT(m.n, 5000);
    CHECK_EQ_INT((intptr_t)wc_map_get(&m, "key-4242"), 4243);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "key-%d", i);
        CHECK_EQ_INT((intptr_t)wc_map_del(&m, key), i + 1);
    }
    CHECK(wc_map_get(&m, "key-0") == NULL);
    CHECK_EQ_INT((intptr_t)wc_map_get(&m, "key-1"), 2);
    CHECK(wc_map_put(&m, "key-1", (void *)7) == (void *)2);
    while (wc_map_next(&m, &pos, &k, &v)) {
        seen++;
    }
    CHECK_EQ_INT(seen, 2500);
    wc_map_release(&m);
}

TEST(vec_push)
{
    WC_VEC(int) v = {0};

    for (int i = 0; i < 100; i++) {
        wc_vec_push(&v, i * i);
    }
    CHECK_EQ_INT(v.n, 100);
    CHECK_EQ_INT(v.v[99], 9801);
    wc_vec_free(&v);
    CHECK(v.v == NULL);
}

static uint64_t
parse_ok(const char *s)
{
    wc_error err = WC_ERROR_INIT;
    uint64_t ns = 0;

    if (wc_duration_parse(s, &ns, &err) != 0) {
        FAILF("parse \"%s\": %s", s, err.msg);
    }
    return ns;
}

TEST(duration_parse)
{
    CHECK_EQ_INT(parse_ok("250ms"), 250 * WC_NSEC_PER_MSEC);
    CHECK_EQ_INT(parse_ok("1h2m3s"), (3600 + 120 + 3) * WC_NSEC_PER_SEC);
    CHECK_EQ_INT(parse_ok("1.5s"), 1500 * WC_NSEC_PER_MSEC);
    CHECK_EQ_INT(parse_ok("2m 30s"), 150 * WC_NSEC_PER_SEC);
    CHECK_EQ_INT(parse_ok("10us"), 10000);
    CHECK_EQ_INT(parse_ok("0"), 0);
    CHECK_EQ_INT(parse_ok("1d"), 86400 * WC_NSEC_PER_SEC);
    CHECK_EQ_INT(parse_ok("3 minutes"), 180 * WC_NSEC_PER_SEC);
    CHECK_EQ_INT(parse_ok("0.001ms"), 1000);
}

TEST(duration_parse_errors_name_the_problem)
{
    wc_error err = WC_ERROR_INIT;
    uint64_t ns;

    CHECK_EQ_INT(wc_duration_parse("10", &ns, &err), WC_EINVAL);
    CHECK_CONTAINS(err.msg, "missing unit");
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_duration_parse("5 fortnights", &ns, &err), WC_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown unit \"fortnights\"");
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_duration_parse("", &ns, &err), WC_EINVAL);
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_duration_parse("ms", &ns, &err), WC_EINVAL);
    CHECK_CONTAINS(err.msg, "expected a number");
    wc_error_clear(&err);
    CHECK_EQ_INT(wc_duration_parse("99999999999999999999h", &ns, &err), WC_EINVAL);
    CHECK_CONTAINS(err.msg, "too large");
}

TEST(duration_format)
{
    char buf[32];

    CHECK_EQ_STR(wc_duration_format(250 * WC_NSEC_PER_MSEC, buf, sizeof(buf)), "250ms");
    CHECK_EQ_STR(wc_duration_format(1500 * WC_NSEC_PER_MSEC, buf, sizeof(buf)), "1.5s");
    CHECK_EQ_STR(wc_duration_format(3723 * WC_NSEC_PER_SEC, buf, sizeof(buf)), "1h2m3s");
    CHECK_EQ_STR(wc_duration_format(3600 * WC_NSEC_PER_SEC, buf, sizeof(buf)), "1h");
    CHECK_EQ_STR(wc_duration_format(0, buf, sizeof(buf)), "0s");
    CHECK_EQ_STR(wc_duration_format(1500, buf, sizeof(buf)), "1.5us");
    CHECK_EQ_STR(wc_duration_format(12, buf, sizeof(buf)), "12ns");
    /* Round trip. */
    CHECK_EQ_INT(parse_ok(wc_duration_format(3723500 * WC_NSEC_PER_MSEC, buf, sizeof(buf))),
                 3723500 * WC_NSEC_PER_MSEC);
}

TEST(error_first_cause_wins)
{
    wc_error err = WC_ERROR_INIT;

    CHECK_EQ_INT(wc_error_set(&err, WC_EINVAL, "bad %s", "thing"), WC_EINVAL);
    wc_error_set(&err, WC_EIO, "later");
    CHECK_EQ_INT(err.code, WC_EINVAL);
    wc_error_prefix(&err, "loading %s: ", "x.wasm");
    CHECK_EQ_STR(err.msg, "loading x.wasm: bad thing");
    CHECK_EQ_STR(wc_strerror(WC_ELIMIT), "limit exceeded");
    CHECK_EQ_INT(wc_error_set(NULL, WC_EIO, "ignored"), WC_EIO);
}

TEST_MAIN(TEST_ENTRY(strbuf_grows_and_formats), TEST_ENTRY(strbuf_detach_empty),
          TEST_ENTRY(arena_alignment_and_large_blocks), TEST_ENTRY(map_put_get_del),
          TEST_ENTRY(vec_push), TEST_ENTRY(duration_parse),
          TEST_ENTRY(duration_parse_errors_name_the_problem), TEST_ENTRY(duration_format),
          TEST_ENTRY(error_first_cause_wins))
