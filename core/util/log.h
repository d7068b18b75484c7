/*
 * Logging to stderr with a level threshold.  Lines carry a UTC timestamp and
 * the level; control characters in a message are escaped, so one call is
 * always one line.  Callers never pass secrets (tokens) to these functions.
 */
#ifndef KITH_UTIL_LOG_H
#define KITH_UTIL_LOG_H

#include <stddef.h>

enum kith_log_level { KITH_LOG_DEBUG, KITH_LOG_INFO, KITH_LOG_WARN, KITH_LOG_ERROR };

/* Sets the threshold; messages below it are dropped. */
void kith_log_set_level(int level);
/* Parses "debug", "info", "warn" or "error"; returns 0 or KITH_ECONFIG. */
int kith_log_parse_level(const char *name, int *level);
void kith_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define kith_debug(...) kith_log(KITH_LOG_DEBUG, __VA_ARGS__)
#define kith_info(...)  kith_log(KITH_LOG_INFO, __VA_ARGS__)
#define kith_warn(...)  kith_log(KITH_LOG_WARN, __VA_ARGS__)
#define kith_error(...) kith_log(KITH_LOG_ERROR, __VA_ARGS__)

/* Writes `in` to `out` (NUL-terminated, cut to fit `outlen`) with every
 * control character escaped: \n, \r, \t, \xHH for the other C0 controls and
 * DEL, \u00HH for UTF-8 C1 controls.  kith_log applies it to every message,
 * so text from clients and rules can never forge a log line. */
void kith_log_escape(const char *in, char *out, size_t outlen);

/* Aborts with a message when `cond` is false: for broken invariants only. */
#define kith_assert(cond) ((cond) ? (void)0 : kith_assert_fail(#cond, __FILE__, __LINE__))
_Noreturn void kith_assert_fail(const char *expr, const char *file, int line);

#endif
