/*
 * See log.h.  One fprintf per line so concurrent writers (tests spawning
 * several servers into one file) do not interleave within a line.
 */
#include "util/log.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int threshold = KITH_LOG_INFO;
static const char *names[] = {"debug", "info", "warn", "error"};

void kith_log_set_level(int level)
{
    threshold = level;
}

int kith_log_parse_level(const char *name, int *level)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *level = i;
            return 0;
        }
    return KITH_ECONFIG;
}

void kith_log(int level, const char *fmt, ...)
{
    if (level < threshold) return;
    char when[KITH_TIME_BUFSZ], msg[1024];
    kith_time_format(kith_time_now_ms(), when);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %-5s %s\n", when, names[level], msg);
}

void kith_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "kith: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
