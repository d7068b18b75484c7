/*
 * Visit operations shared by the visit.* commands (cmd_visit*.c), the due
 * sources (due.c) and interaction.log's link check.  Each runs inside the
 * caller's request in the handler shape; on failure it returns a negative
 * KITH_E* code with ctx->err describing it and the caller rolls back.
 *
 * DESIGN NOTES: the state machine (kith_visit_transition holds it whole)
 *
 *   planned --checkin--> in_progress --report--> completed
 *   planned --report--> completed            (no check-in)
 *   planned --reschedule--> planned          (planned_at moves, re-armed)
 *   planned --cancel--> cancelled
 *   planned --(miss_at passes, the due source)--> missed
 *   missed --report--> completed             (a late report)
 *   missed --reschedule--> planned, missed --cancel--> cancelled
 *   planned --update--> planned              (plan fields only)
 *
 * Everything else is -32009 invalid_transition with data.status, checked
 * before anything changes.  Every write emits visit.<past tense> {visit,
 * customer} (with `changes` for updates and reschedules), keeps the
 * customer's next_visit_at (and at completion visits_completed and
 * last_visit_at) and records its rollup: visit.planned, visit.completed
 * (x = 1 when ended by miss_at, i.e. on time), visit.cancelled and
 * visit.missed, each by owner and purpose.
 */
#ifndef KITH_COMMANDS_VISIT_OPS_H
#define KITH_COMMANDS_VISIT_OPS_H

#include "request/request.h"
#include "store/visit.h"

#include <cJSON.h>
#include <stdint.h>

/* Checks that `verb` (plan, update, reschedule, cancel, checkin, report,
 * miss) may happen to `visit` now; sets *to to the status it leads to.
 * Returns 0 or -32009 invalid_transition recorded in ctx. */
int kith_visit_transition(kith_ctx *ctx, const cJSON *visit, const char *verb, const char **to);

/* Checks the plan fields of a visit record (wire shape; planned_at an ISO
 * string).  `at_param` names planned_at's param in errors ("at").  Returns
 * 0 or -32602 recorded in ctx, data.param naming the field. */
int kith_visit_check_plan(kith_ctx *ctx, const cJSON *rec, const char *at_param);

/* Plans a visit from `*rec` (wire shape, owned by the caller, which keeps
 * ownership; the before hooks of visit.planned may replace it): checks it,
 * runs the hooks and checks again, inserts it armed with the rules' lead
 * and grace, keeps the stats, records the rollup and emits visit.planned.
 * Returns 0 with the visit in *visit (owned), or a failure in ctx. */
int kith_visit_plan(kith_ctx *ctx, cJSON **rec, const char *created_by, cJSON **visit);

/* Loads visit `id` and its customer (both owned).  Returns 0 or a failure
 * (-32004) in ctx. */
int kith_visit_load(kith_ctx *ctx, int64_t id, cJSON **visit, cJSON **customer);

/* Writes `rec` over visit `old` (both borrowed) if its status is still
 * old's; re-arms when `arm` is not NULL; keeps the customer's stats
 * (`completed_at` != KITH_TIME_NONE: a completion at that time); emits
 * `channel` {visit, customer[, changes]} and returns the visit as it stands
 * after the after hooks in *out (owned).  Returns 0 or a failure in ctx. */
int kith_visit_save(kith_ctx *ctx, const cJSON *old, const cJSON *rec, const cJSON *customer,
                    const kith_visit_arm *arm, const char *channel, int with_changes,
                    int64_t completed_at, cJSON **out);

/* Records one observation of `metric` about `visit` at `at`, by owner and
 * purpose; x when has_x.  Returns 0 or a failure in ctx. */
int kith_visit_rollup(kith_ctx *ctx, const char *metric, const cJSON *visit, int64_t at, int has_x,
                      double x);

/* The arm of a visit planned at `planned_at` under the running rules. */
kith_visit_arm kith_visit_arm_for(kith_ctx *ctx, int64_t planned_at);

/* interaction.log's check of a `visit_id` member of `interaction`: the
 * visit exists (-32004) and is customer `customer_id`'s (-32602).  Returns
 * 0 when there is no link or it holds. */
int kith_visit_check_link(kith_ctx *ctx, const cJSON *interaction, int64_t customer_id);

/* The two due sources (commands/due.h): visit.upcoming at planned_at -
 * lead, visit.missed at planned_at + grace while still planned. */
int kith_visit_next_reminder(kith_store *s, int64_t *at);
int kith_visit_fire_reminders(kith_ctx *ctx, int limit, int *fired);
int kith_visit_next_miss(kith_store *s, int64_t *at);
int kith_visit_fire_misses(kith_ctx *ctx, int limit, int *fired);

/* Handlers that live beside cmd_visit.c: visit.report
 * (cmd_visit_report.c) and visit.due (cmd_visit_due.c). */
int kith_visit_report_cmd(kith_ctx *ctx, const cJSON *params, cJSON **result);
int kith_visit_due_cmd(kith_ctx *ctx, const cJSON *params, cJSON **result);

#endif
