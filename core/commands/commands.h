/*
 * The command tables, one per method family, and the helpers their handlers
 * share.  The server registers each table with the dispatcher; handlers
 * follow the shape described in dispatch/command.h.
 */
#ifndef KITH_COMMANDS_COMMANDS_H
#define KITH_COMMANDS_COMMANDS_H

#include "dispatch/command.h"
#include "util/cursor.h"

extern const kith_command kith_cmd_system[];
extern const kith_command kith_cmd_customer[];
extern const kith_command kith_cmd_interaction[];
extern const kith_command kith_cmd_order[];
extern const kith_command kith_cmd_loyalty[];
extern const kith_command kith_cmd_task[];
extern const kith_command kith_cmd_segment[];
extern const kith_command kith_cmd_script[];
extern const kith_command kith_cmd_pubsub[];
extern const kith_command kith_cmd_schedule[];
extern const kith_command kith_cmd_token[];
extern const kith_command kith_cmd_backup[];
extern const kith_command kith_cmd_value[];
extern const kith_command kith_cmd_forecast[];
extern const kith_command kith_cmd_deal[];
extern const kith_command kith_cmd_report[];
extern const kith_command kith_cmd_goal[];
extern const kith_command kith_cmd_survey[];
extern const kith_command kith_cmd_ticket[];
extern const kith_command kith_cmd_ticket_flow[];
extern const kith_command kith_cmd_visit[];
extern const kith_command kith_cmd_ticket_metrics[];
extern const kith_command kith_cmd_import[];
extern const kith_command kith_cmd_identity[];
extern const kith_command kith_cmd_company[];
extern const kith_command kith_cmd_merge[];
extern const kith_command kith_cmd_consent[];
extern const kith_command kith_cmd_history[];
extern const kith_command kith_cmd_timeline[];
extern const kith_command kith_cmd_duplicate[];
extern const kith_command kith_cmd_campaign[];
extern const kith_command kith_cmd_campaign_members[];
extern const kith_command kith_cmd_campaign_results[];

/* Every table above, {NULL}-terminated: what a server registers. */
extern const kith_command *const kith_command_tables[];

#define KITH_LIST_DEFAULT 50
#define KITH_LIST_MAX     1000

/* The common params of every list method, for the command tables. */
#define KITH_LIST_PARAMS                                                                           \
    {"limit", KITH_T_INT, 0, "page size, 1..1000 (default 50)"},                                   \
    {                                                                                              \
        "cursor", KITH_T_STRING, 0, "next_cursor of the previous page"                             \
    }

/* Reads `limit` and `cursor` from params.  Sets *after to NULL for the first
 * page.  Returns 0 or a failure recorded in ctx. */
int kith_cmd_page_args(kith_ctx *ctx, const cJSON *params, int *limit, kith_cursor *cursor,
                       const kith_cursor **after);
/* Wraps a page into {"items": items, "next_cursor": ...}; takes ownership of
 * items.  Returns the list object (owned) or NULL when out of memory. */
cJSON *kith_cmd_page_result(cJSON *items, int more, const kith_cursor *next);
/* Reads a positive integer id param.  Returns 0 or a failure in ctx. */
int kith_cmd_id_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *id);
/* Reads an optional ISO 8601 time param; *at keeps its value when absent. */
int kith_cmd_time_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *at);
/* Translates a store error into a failure in ctx with a message naming
 * `what`; returns the code. */
int kith_cmd_store_fail(kith_ctx *ctx, int rc, const char *what);
/* Appends an event of `type` about `customer_id` with `data` (borrowed).
 * Returns 0 or a failure in ctx. */
int kith_cmd_emit(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data);
/* Runs the rules' before hooks of `type` on a record about to be written:
 * `*rec` (owned) goes into the event under `kind`, beside the borrowed
 * members of `context` (customer, old, changes; may be NULL), and comes back
 * as the hooks left it (the caller must check it again).  Returns 0 or a
 * failure in ctx (a veto is -32010); *rec stays owned by the caller. */
int kith_cmd_before(kith_ctx *ctx, const char *type, const char *kind, cJSON **rec,
                    const cJSON *context);
/* Emits `type` with data {kind: record, customer: customer} (both borrowed;
 * customer may be NULL).  Returns 0 or a failure in ctx. */
int kith_cmd_emit_record(kith_ctx *ctx, const char *type, int64_t customer_id, const char *kind,
                         const cJSON *record, const cJSON *customer);
/* Fails with -32004 unless customer `id` exists.  Returns 0 or the failure. */
int kith_cmd_customer_exists(kith_ctx *ctx, int64_t id);
/* Checks that an optional string param is at most `max` bytes and, when
 * `nonempty`, not blank.  Returns 0 or a failure in ctx. */
int kith_cmd_check_text(kith_ctx *ctx, const cJSON *params, const char *name, size_t max,
                        int nonempty);
/* Checks that member `name` of `params` (params, or a record as before
 * hooks left it) is one of `allowed`, a NULL-terminated list.  Absent or
 * null passes unless `required`; anything else fails with -32602, data.param
 * `name` and the message "<name> must be one of a, b, c" built from the
 * list.  Returns 0 or the failure. */
int kith_cmd_check_enum(kith_ctx *ctx, const cJSON *params, const char *name,
                        const char *const *allowed, int required);
/* Fails with -32009 and error data {reason, status} (status omitted when
 * NULL), the message "<reason>: <fmt...>".  Returns KITH_ECONFLICT. */
int kith_cmd_conflict(kith_ctx *ctx, const char *reason, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The one refusal of a state machine (CONTRACT.md section 6): -32009 with
 * data.reason "invalid_transition" and data.status the current status, e.g.
 * "ticket 7 is closed; it cannot wait".  Nothing was changed by the caller
 * before checking.  Returns KITH_ECONFLICT. */
int kith_cmd_invalid_transition(kith_ctx *ctx, const char *kind, int64_t id, const char *status,
                                const char *verb);

/* value.fit's daily refresh (cmd_value.c): when the model was fitted on
 * every order (no calibration_end) a day or more before `now`, the same fit
 * for `now` as a job to run off the loop (run on a worker, then finish on
 * the loop, whose result the caller frees); NULL when none is due or a fit
 * runs.  The RFM quintile cuts refresh with it. */
kith_offload *kith_value_refit_job(kith_store *s, const char *data_dir, int64_t now);

#endif
