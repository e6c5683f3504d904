/*
 * log.h - leveled logging that never blocks a hot path for long.
 *
 * Lines are "2026-11-24T05:00:00.123Z INFO  engine: message". By default a
 * line is written to stderr as it is logged. After wc_log_start_async() lines
 * go into a bounded in-memory buffer drained by a writer thread; when the
 * buffer is full a line is dropped (never waited for) and the writer later
 * reports how many were dropped. The level comes from WC_LOG
 * (error|warn|info|debug|trace) or wc_log_set_level().
 */
#ifndef WC_BASE_LOG_H
#define WC_BASE_LOG_H

enum wc_log_level { WC_LOG_ERROR, WC_LOG_WARN, WC_LOG_INFO, WC_LOG_DEBUG, WC_LOG_TRACE };

void wc_log_set_level(enum wc_log_level level);
enum wc_log_level wc_log_get_level(void);
/** Parse "info" etc.; returns -1 for an unknown name. */
int wc_log_level_parse(const char *name);
/** Thread-safe. module is a short static tag such as "engine". */
void wc_log(enum wc_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Switch to the bounded buffer and writer thread (capacity in bytes). */
void wc_log_start_async(unsigned capacity);
/** Flush and stop the writer thread; back to direct writes. */
void wc_log_stop_async(void);
/** Lines dropped so far because the buffer was full. */
unsigned long wc_log_dropped(void);

#define wc_log_enabled(level) ((level) <= wc_log_get_level())
#define WC_ERR(mod, ...)      wc_log(WC_LOG_ERROR, mod, __VA_ARGS__)
#define WC_WARN(mod, ...)     wc_log(WC_LOG_WARN, mod, __VA_ARGS__)
#define WC_INFO(mod, ...)     wc_log(WC_LOG_INFO, mod, __VA_ARGS__)
#define WC_DEBUG(mod, ...)                                                                         \
    do {                                                                                           \
        if (wc_log_enabled(WC_LOG_DEBUG)) {                                                        \
            wc_log(WC_LOG_DEBUG, mod, __VA_ARGS__);                                                \
        }                                                                                          \
    } while (0)

#endif
