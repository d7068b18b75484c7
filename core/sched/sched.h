/*
 * The scheduler: one uv_timer armed for the nearest moment something is due
 * — a due source's record (commands/due.h: a task's reminder, an SLA
 * deadline, ...) or a schedule's next run — so a million waiting records
 * cost nothing until then (each source's partial index and schedules_next
 * give the minimum).  Due sources fire themselves (work/); this module runs
 * schedules: computing next runs (cron in a time zone,
 * every, at), running their jobs in slices, recording the outcome.
 *
 * DESIGN NOTES
 *   1. A run is recorded (last_run, next_run, schedule.ran) in the same
 *      transaction as its last slice, so a crash repeats at most the slice
 *      in progress and never loses or repeats a finished run.
 *   2. A job that returns {more = true, state = ...} is called again on a
 *      later pass with ctx.state; each slice is its own transaction, so a
 *      job over many customers never blocks the loop for long.
 *   3. A job that fails: its slice's writes roll back, the run is recorded
 *      with last_status "error" and last_error, and the next run is planned
 *      as usual.
 *   4. Runs missed while the server was down: with policy "once" the
 *      schedule runs once at start (its next_run is in the past); with
 *      "skip" its next_run moves to the first time after now.
 */
#ifndef KITH_SCHED_SCHED_H
#define KITH_SCHED_SCHED_H

#include "request/request.h"
#include "store/store.h"

#include <stdint.h>
#include <uv.h>

typedef struct kith_sched {
    uv_timer_t timer;
    uv_loop_t *loop;
    int64_t armed_for; /* wall-clock ms the timer is set for; 0 when idle */
    void (*fire)(void *ud);
    void *ud;
} kith_sched;

/* Initialises the timer on `loop`; fire(ud) is called when something is
 * due. */
void kith_sched_init(kith_sched *s, uv_loop_t *loop, void (*fire)(void *ud), void *ud);
/* The earliest moment anything is due: a due source's record or a
 * schedule's next run.  0 with *at, or KITH_ENOTFOUND. */
int kith_sched_next_due(kith_store *store, int64_t *at);
/* Re-arms the timer for the earliest due moment in `store`, as seen at
 * wall-clock `now`.  Cheap: an index lookup per source. */
void kith_sched_arm(kith_sched *s, kith_store *store, int64_t now);
/* Closes the timer handle. */
void kith_sched_close(kith_sched *s);

/* Computes the first run of a schedule strictly after `after`: kind "cron"
 * (spec a five-field expression, in zone tz), "every" (spec a duration,
 * counted from anchor) or "at" (spec an ISO time; none once it passed).
 * Returns 0 with *next (KITH_TIME_NONE when there is none), or KITH_EPARAMS
 * with a reason in err. */
int kith_sched_next_run(const char *kind, const char *spec, const char *tz, int64_t anchor,
                        int64_t after, int64_t *next, char *err, size_t errlen);
/* Runs a slice of every due schedule, each in its own requests; returns 1
 * when some schedule has more slices to run.  The caller commits. */
int kith_sched_run_due(kith_ctx *ctx);
/* Applies the missed-run policy at start (note 4): skip = 1 moves past-due
 * schedules to their next time after now. */
void kith_sched_start(kith_ctx *ctx, int skip);

#endif
