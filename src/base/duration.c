/*
 * duration.c - parsing and printing "1h2m3s".
 */
#include "base/duration.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    uint64_t ns;
} units[] = {
    {"ns", 1},
    {"nsec", 1},
    {"us", WC_NSEC_PER_USEC},
    {"\xc2\xb5s", WC_NSEC_PER_USEC},
    {"usec", WC_NSEC_PER_USEC},
    {"ms", WC_NSEC_PER_MSEC},
    {"msec", WC_NSEC_PER_MSEC},
    {"s", WC_NSEC_PER_SEC},
    {"sec", WC_NSEC_PER_SEC},
    {"secs", WC_NSEC_PER_SEC},
    {"second", WC_NSEC_PER_SEC},
    {"seconds", WC_NSEC_PER_SEC},
    {"m", 60 * WC_NSEC_PER_SEC},
    {"min", 60 * WC_NSEC_PER_SEC},
    {"mins", 60 * WC_NSEC_PER_SEC},
    {"minute", 60 * WC_NSEC_PER_SEC},
    {"minutes", 60 * WC_NSEC_PER_SEC},
    {"h", 3600 * WC_NSEC_PER_SEC},
    {"hour", 3600 * WC_NSEC_PER_SEC},
    {"hours", 3600 * WC_NSEC_PER_SEC},
    {"d", 86400 * WC_NSEC_PER_SEC},
    {"day", 86400 * WC_NSEC_PER_SEC},
    {"days", 86400 * WC_NSEC_PER_SEC},
};

int
wc_duration_parse(const char *s, uint64_t *out_ns, wc_error *err)
{
    const char *p = s;
    uint64_t total = 0;
    int parts = 0;

    while (*p == ' ') {
        p++;
    }
    if (strcmp(p, "0") == 0) {
        *out_ns = 0;
        return 0;
    }
    while (*p != '\0') {
        uint64_t whole = 0, frac = 0, frac_div = 1, unit = 0;
        const char *start = p, *u;
        size_t ulen;
        int digits = 0;

        while (isdigit((unsigned char)*p)) {
            if (whole > UINT64_MAX / 10) {
                goto overflow;
            }
            whole = whole * 10 + (uint64_t)(*p++ - '0');
            digits++;
        }
        if (*p == '.') {
            p++;
            while (isdigit((unsigned char)*p)) {
                if (frac_div < 1000000000000000000ULL) {
                    frac = frac * 10 + (uint64_t)(*p - '0');
                    frac_div *= 10;
                }
                p++;
                digits++;
            }
        }
        if (digits == 0) {
            return wc_error_set(err, WC_EINVAL,
                                "invalid duration \"%s\": expected a number at \"%s\" "
                                "(examples: 250ms, 1.5s, 1h2m3s)",
                                s, start);
        }
        while (*p == ' ') {
            p++;
        }
        u = p;
        while (*p != '\0' && !isdigit((unsigned char)*p) && *p != ' ' && *p != '.') {
            p++;
        }
        ulen = (size_t)(p - u);
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            if (strlen(units[i].name) == ulen && memcmp(units[i].name, u, ulen) == 0) {
                unit = units[i].ns;
                break;
            }
        }
        if (unit == 0) {
            return wc_error_set(err, WC_EINVAL,
                                "invalid duration \"%s\": %s \"%.*s\" (use ns, us, ms, s, m, h, d)",
                                s, ulen ? "unknown unit" : "missing unit after",
                                ulen ? (int)ulen : (int)(p - start), ulen ? u : start);
        }
        if (whole > UINT64_MAX / unit) {
            goto overflow;
        }
        whole *= unit;
        if (total > UINT64_MAX - whole) {
            goto overflow;
        }
        total += whole;
        /* frac < frac_div <= 1e18 and unit <= 8.64e13, so the product needs 128 bits. */
        total += (uint64_t)((unsigned __int128)frac * unit / frac_div);
        parts++;
        while (*p == ' ') {
            p++;
        }
    }
    if (parts == 0) {
        return wc_error_set(err, WC_EINVAL, "invalid duration \"%s\": empty", s);
    }
    *out_ns = total;
    return 0;
overflow:
    return wc_error_set(err, WC_EINVAL, "invalid duration \"%s\": too large", s);
}

/* Append v / div as a decimal with up to `places` fraction digits, trailing zeros trimmed. */
static int
put_decimal(char *buf, size_t size, uint64_t v, uint64_t div, const char *unit)
{
    uint64_t whole = v / div, rem = v % div;
    char frac[24] = "";
    int n = 0;

    if (rem != 0) {
        uint64_t d = div;
        size_t i = 0;

        frac[i++] = '.';
        while (rem != 0 && i < sizeof(frac) - 1 && d > 1) {
            d /= 10;
            frac[i++] = (char)('0' + rem / d);
            rem %= d;
        }
        frac[i] = '\0';
    }
    n = snprintf(buf, size, "%llu%s%s", (unsigned long long)whole, frac, unit);
    return n;
}

char *
wc_duration_format(uint64_t ns, char *buf, size_t size)
{
    if (ns == 0) {
        snprintf(buf, size, "0s");
    } else if (ns < WC_NSEC_PER_USEC) {
        snprintf(buf, size, "%lluns", (unsigned long long)ns);
    } else if (ns < WC_NSEC_PER_MSEC) {
        put_decimal(buf, size, ns, WC_NSEC_PER_USEC, "us");
    } else if (ns < WC_NSEC_PER_SEC) {
        put_decimal(buf, size, ns, WC_NSEC_PER_MSEC, "ms");
    } else {
        uint64_t s = ns / WC_NSEC_PER_SEC, sub = ns % WC_NSEC_PER_SEC;
        uint64_t h = s / 3600, m = (s / 60) % 60, sec = s % 60;
        size_t off = 0;

        buf[0] = '\0';
        if (h != 0) {
            off += (size_t)snprintf(buf + off, size - off, "%lluh", (unsigned long long)h);
        }
        if (m != 0 && off < size) {
            off += (size_t)snprintf(buf + off, size - off, "%llum", (unsigned long long)m);
        }
        if ((sec != 0 || sub != 0) && off < size) {
            put_decimal(buf + off, size - off, sec * WC_NSEC_PER_SEC + sub, WC_NSEC_PER_SEC, "s");
        }
    }
    return buf;
}

uint64_t
wc_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * WC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}
