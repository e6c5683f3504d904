/*
 * duration.h - durations in human form, everywhere a person types or reads one.
 *
 * Parse accepts a sequence of <number><unit> with optional fractions and
 * optional spaces: "250ms", "1h2m3s", "1.5s", "2m 30s". Units: ns, us (or µs),
 * ms, s, m, h, d, plus long forms (sec, secs, min, mins, hour, hours, day,
 * days). A bare "0" is zero. Format prints the shortest exact form:
 * "250ms", "1.5s", "1h2m3s", "1h".
 */
#ifndef WC_BASE_DURATION_H
#define WC_BASE_DURATION_H

#include "base/error.h"

#include <stddef.h>
#include <stdint.h>

#define WC_NSEC_PER_USEC 1000ULL
#define WC_NSEC_PER_MSEC 1000000ULL
#define WC_NSEC_PER_SEC  1000000000ULL

/** Parse s into nanoseconds. Returns 0 or WC_EINVAL (err names the bad part). */
int wc_duration_parse(const char *s, uint64_t *out_ns, wc_error *err);
/** Format ns into buf (at least 32 bytes); returns buf. */
char *wc_duration_format(uint64_t ns, char *buf, size_t size);

/** Monotonic clock in nanoseconds. */
uint64_t wc_now_ns(void);

#endif
