/*
 * Tickets without a store: the transition table (every verb from every
 * status, allowed or not), and the SLA clock's arithmetic — arming on a
 * 24/7 clock and on a business calendar over a weekend, the pause while
 * waiting moving the unfired times by exactly the business time waited,
 * fired times staying put, what is due in which status, and whether a
 * deadline was met.
 */
#include "check.h"
#include "commands/ticket_ops.h"
#include "commands/ticket_sla.h"
#include "store/stats.h"
#include "util/bizcal.h"
#include "util/timefmt.h"
#include "util/tz.h"

#include <string.h>

#define SEC  ((int64_t)1000)
#define HOUR (3600 * SEC)

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return (kith_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60) *
           1000;
}

static void test_transitions(void)
{
    static const char *const statuses[] = {"new",      "open",   "waiting",
                                           "resolved", "closed", "rejected"};
    static const struct {
        const char *verb, *allowed[4], *to;
    } want[] = {
        {"accept", {"new"}, "open"},
        {"wait", {"open"}, "waiting"},
        {"resume", {"waiting"}, "open"},
        {"resolve", {"new", "open", "waiting"}, "resolved"},
        {"close", {"resolved"}, "closed"},
        {"reopen", {"resolved", "closed"}, "open"},
        {"reject", {"new", "open"}, "rejected"},
    };
    for (size_t v = 0; v < sizeof(want) / sizeof(want[0]); v++)
        for (size_t s = 0; s < 6; s++) {
            int allowed = 0;
            for (int k = 0; k < 4 && want[v].allowed[k]; k++)
                allowed |= strcmp(want[v].allowed[k], statuses[s]) == 0;
            const char *to = kith_ticket_transition(want[v].verb, statuses[s]);
            if (allowed)
                CHECK_STR(to, want[v].to);
            else if (to)
                CHECK_STR(to, "(refused)");
            else
                CHECK(1);
        }
    CHECK(kith_ticket_transition("close", NULL) == NULL);
    CHECK(kith_ticket_transition("fly", "new") == NULL);
    CHECK(kith_ticket_active("new") && kith_ticket_active("open") && kith_ticket_active("waiting"));
    CHECK(!kith_ticket_active("resolved") && !kith_ticket_active("closed") &&
          !kith_ticket_active("rejected"));
}

static kith_ticket_sla clock_of(int64_t created, int64_t respond, int64_t resolve)
{
    kith_ticket_sla s;
    kith_ticket_sla_clear(&s);
    strcpy(s.policy, "p");
    s.duration[KITH_SLA_RESPOND] = respond;
    s.duration[KITH_SLA_RESOLVE] = resolve;
    s.warn_at = 0.8;
    s.created_at = s.started_at = created;
    return s;
}

static void test_plain_clock(void)
{
    int64_t t0 = utc(2026, 3, 2, 10, 0);
    kith_ticket_sla s = clock_of(t0, 2 * SEC, 4 * SEC);
    kith_ticket_sla_arm(&s, NULL);
    CHECK_INT(s.due[KITH_SLA_RESPOND], t0 + 2000);
    CHECK_INT(s.warn[KITH_SLA_RESPOND], t0 + 1600);
    CHECK_INT(s.due[KITH_SLA_RESOLVE], t0 + 4000);
    CHECK_INT(s.warn[KITH_SLA_RESOLVE], t0 + 3200);
    CHECK_INT(kith_ticket_sla_next(&s, "new"), t0 + 1600);
    int which = -1, breach = -1;
    CHECK(!kith_ticket_sla_due(&s, "new", t0 + 1599, &which, &breach));
    CHECK(kith_ticket_sla_due(&s, "new", t0 + 1600, &which, &breach));
    CHECK_INT(which, KITH_SLA_RESPOND);
    CHECK_INT(breach, 0);
    /* Everything overdue at once fires in time order, warning first. */
    CHECK(kith_ticket_sla_due(&s, "new", t0 + 10000, &which, &breach));
    CHECK_INT(which * 2 + breach, KITH_SLA_RESPOND * 2 + 0);
    s.warned[KITH_SLA_RESPOND] = 1;
    CHECK(kith_ticket_sla_due(&s, "new", t0 + 10000, &which, &breach));
    CHECK_INT(which * 2 + breach, KITH_SLA_RESPOND * 2 + 1);
    s.breached[KITH_SLA_RESPOND] = 1;
    CHECK(kith_ticket_sla_due(&s, "new", t0 + 10000, &which, &breach));
    CHECK_INT(which * 2 + breach, KITH_SLA_RESOLVE * 2 + 0);
    /* Responded: the respond deadline no longer matters. */
    kith_ticket_sla r = clock_of(t0, 2 * SEC, 4 * SEC);
    kith_ticket_sla_arm(&r, NULL);
    r.responded_at = t0 + 500;
    CHECK_INT(kith_ticket_sla_next(&r, "open"), t0 + 3200);
    /* Nothing while waiting or once done. */
    CHECK_INT(kith_ticket_sla_next(&r, "waiting"), KITH_TIME_NONE);
    CHECK_INT(kith_ticket_sla_next(&r, "resolved"), KITH_TIME_NONE);
    CHECK_INT(kith_ticket_sla_next(&r, "rejected"), KITH_TIME_NONE);
    /* No policy: nothing at all. */
    kith_ticket_sla none;
    kith_ticket_sla_clear(&none);
    kith_ticket_sla_arm(&none, NULL);
    CHECK_INT(kith_ticket_sla_next(&none, "new"), KITH_TIME_NONE);
}

static void test_pause(void)
{
    int64_t t0 = utc(2026, 3, 2, 10, 0);
    kith_ticket_sla s = clock_of(t0, HOUR, 10 * HOUR);
    kith_ticket_sla_arm(&s, NULL);
    s.responded_at = t0 + 60 * SEC;
    kith_ticket_sla_pause(&s, t0 + HOUR);
    kith_ticket_sla_pause(&s, t0 + 2 * HOUR); /* a second pause keeps the first start */
    kith_ticket_sla_resume(&s, NULL, t0 + 4 * HOUR);
    CHECK_INT(s.paused_ms, 3 * HOUR);
    CHECK_INT(s.paused_at, KITH_TIME_NONE);
    CHECK_INT(s.due[KITH_SLA_RESOLVE], t0 + 13 * HOUR);
    CHECK_INT(s.warn[KITH_SLA_RESOLVE], t0 + 11 * HOUR);
    /* The respond deadline never pauses. */
    CHECK_INT(s.due[KITH_SLA_RESPOND], t0 + HOUR);
    /* A fired warning stays where it fired; the deadline still moves. */
    s.warned[KITH_SLA_RESOLVE] = 1;
    kith_ticket_sla_pause(&s, t0 + 5 * HOUR);
    kith_ticket_sla_resume(&s, NULL, t0 + 6 * HOUR);
    CHECK_INT(s.warn[KITH_SLA_RESOLVE], t0 + 11 * HOUR);
    CHECK_INT(s.due[KITH_SLA_RESOLVE], t0 + 14 * HOUR);
    CHECK(kith_ticket_sla_met(&s, KITH_SLA_RESOLVE, t0 + 14 * HOUR));
    CHECK(!kith_ticket_sla_met(&s, KITH_SLA_RESOLVE, t0 + 14 * HOUR + 1));
    s.breached[KITH_SLA_RESOLVE] = 1;
    CHECK(!kith_ticket_sla_met(&s, KITH_SLA_RESOLVE, t0));
    /* Resuming without a pause changes nothing. */
    kith_ticket_sla before = s;
    kith_ticket_sla_resume(&s, NULL, t0 + 20 * HOUR);
    CHECK(memcmp(&before, &s, sizeof(s)) == 0);
}

/* Business hours: Mon-Fri 09:00-18:00 in Shanghai (UTC+8).  A ticket
 * opened Friday 17:00 local with 2 h to resolve is due Monday 10:00; a wait
 * from Friday 17:30 to Monday 09:30 holds 30 + 30 minutes of business time,
 * so the deadline moves to Monday 11:00. */
static void test_business_calendar(void)
{
    kith_bizcal cal;
    char err[128];
    CHECK_INT(kith_bizcal_parse(&cal, "Asia/Shanghai", "MON-FRI", "09:00-18:00", NULL, 0, err,
                                sizeof(err)),
              0);
    int64_t fri17 = utc(2026, 1, 9, 9, 0); /* 17:00 in Shanghai, a Friday */
    kith_ticket_sla s = clock_of(fri17, 0, 2 * HOUR);
    kith_ticket_sla_arm(&s, &cal);
    CHECK_INT(s.due[KITH_SLA_RESPOND], KITH_TIME_NONE);
    CHECK_INT(s.due[KITH_SLA_RESOLVE], utc(2026, 1, 12, 2, 0));   /* Mon 10:00 local */
    CHECK_INT(s.warn[KITH_SLA_RESOLVE], utc(2026, 1, 12, 1, 36)); /* 96 min in */
    kith_ticket_sla_pause(&s, utc(2026, 1, 9, 9, 30));
    kith_ticket_sla_resume(&s, &cal, utc(2026, 1, 12, 1, 30));
    CHECK_INT(s.paused_ms, HOUR);
    CHECK_INT(s.due[KITH_SLA_RESOLVE], utc(2026, 1, 12, 3, 0)); /* Mon 11:00 local */
    CHECK_INT(kith_ticket_sla_next(&s, "open"), utc(2026, 1, 12, 2, 36));
}

int main(void)
{
    test_transitions();
    test_plain_clock();
    test_pause();
    test_business_calendar();
    kith_tz_cache_clear();
    return check_done();
}
