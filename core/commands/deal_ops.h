/*
 * What deal.* (cmd_deal.c), the forecast (deal_forecast.c) and the rotting
 * due source share: checking a record, entering a stage, activity, loading
 * and saving with history and events.
 */
#ifndef KITH_COMMANDS_DEAL_OPS_H
#define KITH_COMMANDS_DEAL_OPS_H

#include "commands/commands.h"
#include "script/pipeline.h"

#include <cJSON.h>
#include <stdint.h>

int64_t kith_deal_id(const cJSON *deal);
/* Checks a record's client fields (types, ranges, enums).  Returns 0 or a
 * failure in ctx. */
int kith_deal_check(kith_ctx *ctx, const cJSON *rec);
/* Fails with -32602 naming the first of `stage`'s required fields that rec
 * lacks (null, empty, or an amount of 0).  Returns 0 or the failure. */
int kith_deal_require(kith_ctx *ctx, const cJSON *rec, const kith_stage_def *stage);
/* Puts rec in `stage` now (after kith_deal_require): stage_entered_at, and
 * with `take_probability` the stage's probability and its category. */
int kith_deal_enter_stage(kith_ctx *ctx, cJSON *rec, const kith_pipeline *p,
                          const kith_stage_def *stage, int take_probability);
/* forecast_category from probability: 0 omitted, < 0.5 pipeline, < 0.9
 * best_case, else commit. */
void kith_deal_set_category(cJSON *rec);
/* Activity now: updated_at, last_activity_at, and rot_at re-armed from p's
 * rot_after (p NULL or no rot_after: no rot_at). */
void kith_deal_touch(kith_ctx *ctx, cJSON *rec, const kith_pipeline *p);
/* *deal = the deal params.id names (owned).  Returns 0 or -32004. */
int kith_deal_load(kith_ctx *ctx, const cJSON *params, cJSON **deal);
/* Writes rec (id 0: a new deal), adds a history row when `status` is set
 * (to `stage`, or rec's stage), runs crm.before for deal.created and
 * deal.moved (the hooks may change or veto the deal), emits
 * `event` with {deal, customer[, from, to]}; *result = the stored deal.
 * Returns 0 or a failure in ctx. */
int kith_deal_save(kith_ctx *ctx, int64_t id, const cJSON *rec, const cJSON *old, const char *stage,
                   const char *status, const char *event, const char *note, const cJSON *customer,
                   cJSON **result);

/* deal.rotting's due source (deal_forecast.c; due.h). */
int kith_deal_next_rot(kith_store *s, int64_t *at);
int kith_deal_fire_rot(kith_ctx *ctx, int limit, int *fired);

#endif
