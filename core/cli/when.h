/*
 * Times as the kith client's list views show them (tasks, tickets,
 * visits): relative to now, "in 2h", "3d 4h overdue", "45m ago", and as the
 * user's local time.
 *
 * Relative times count from this machine's clock and are rounded to the
 * minute; the view decides the word for a past time ("overdue" for a due
 * time, "ago" for one that happened).  Formatting an absolute time is
 * left to render.c (kith_cli_render_time).
 */
#ifndef KITH_CLI_WHEN_H
#define KITH_CLI_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* Writes a span of minutes in one or two units into out: "45m", "1h 5m",
 * "3d 4h", and from a week on days alone ("12d"). */
void kith_cli_when_span(long long mins, char *out, size_t size);

/* Writes where the ISO 8601 time `iso` stands relative to now_ms: "now"
 * within half a minute, "in SPAN" ahead, "SPAN <past>" behind (`past` is
 * the view's word: "overdue", "ago").  Returns 0, or KITH_EPARAMS with out
 * "" when `iso` is NULL or not a time. */
int kith_cli_when_relative(const char *iso, int64_t now_ms, const char *past, char *out,
                           size_t size);

/* Writes `iso` as the user's local time (kith_cli_render_time, minutes),
 * or `iso` itself when it is not a time, or "" when it is NULL: a cell
 * shows what the server sent rather than nothing. */
void kith_cli_when_local(const char *iso, char *out, size_t size);

#endif
