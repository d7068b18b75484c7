/*
 * Unit test for the list views' times (core/cli/when.c): spans in one or
 * two units, rounding to the minute, "now", "in ..." and the view's word
 * for a past time, and what a cell shows for a time it cannot read.
 *
 * when.c lives in the `kith` executable, not kithcore; it needs render.c
 * for local times, so the test compiles both in, as test_render.c does.
 */
#include "../../core/cli/render.c"
#include "../../core/cli/when.c"
#include "check.h"

#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS  (24 * HOUR_MS)

static const char *span(long long mins, char *buf, size_t size)
{
    kith_cli_when_span(mins, buf, size);
    return buf;
}

/* Where a time `delta_ms` from now stands, with "overdue" for the past. */
static const char *relative(int64_t delta_ms, char *buf, size_t size)
{
    const int64_t now = 1767225600000LL; /* 2026-01-01T00:00:00Z */
    char iso[KITH_TIME_BUFSZ];
    kith_time_format(now + delta_ms, iso);
    CHECK_INT(kith_cli_when_relative(iso, now, "overdue", buf, size), 0);
    return buf;
}

int main(void)
{
    char buf[64];
    CHECK_STR(span(0, buf, sizeof(buf)), "0m");
    CHECK_STR(span(45, buf, sizeof(buf)), "45m");
    CHECK_STR(span(60, buf, sizeof(buf)), "1h");
    CHECK_STR(span(65, buf, sizeof(buf)), "1h 5m");
    CHECK_STR(span(24 * 60, buf, sizeof(buf)), "1d");
    CHECK_STR(span(3 * 24 * 60 + 4 * 60 + 59, buf, sizeof(buf)), "3d 4h");
    CHECK_STR(span(12 * 24 * 60 + 5 * 60, buf, sizeof(buf)), "12d");

    CHECK_STR(relative(29 * 1000, buf, sizeof(buf)), "now");
    CHECK_STR(relative(-29 * 1000, buf, sizeof(buf)), "now");
    CHECK_STR(relative(2 * HOUR_MS + 30 * 1000, buf, sizeof(buf)), "in 2h 1m");
    CHECK_STR(relative(-(3 * DAY_MS + 4 * HOUR_MS), buf, sizeof(buf)), "3d 4h overdue");

    /* An unreadable time is an empty cell, not an error shown in the table. */
    strcpy(buf, "stale");
    CHECK_INT(kith_cli_when_relative("soon", 0, "ago", buf, sizeof(buf)), KITH_EPARAMS);
    CHECK_STR(buf, "");
    CHECK_INT(kith_cli_when_relative(NULL, 0, "ago", buf, sizeof(buf)), KITH_EPARAMS);
    CHECK_STR(buf, "");

    kith_cli_when_local("soon", buf, sizeof(buf));
    CHECK_STR(buf, "soon");
    kith_cli_when_local(NULL, buf, sizeof(buf));
    CHECK_STR(buf, "");
    return check_done();
}
