/*
 * The business metrics goals are set on and the scorecard shows, each read
 * from a rollup (or the cohort cells) over whole UTC days: one definition
 * per metric, so a goal's actual and the report's figure cannot disagree.
 */
#ifndef KITH_COMMANDS_KPI_H
#define KITH_COMMANDS_KPI_H

#include "commands/commands.h"

#include <stdint.h>

/* NULL-terminated names, for the param check and the docs. */
extern const char *const kith_kpi_names[];
/* 1 when `metric` can be counted per owner. */
int kith_kpi_by_owner(const char *metric);
/* The value of `metric` over [from, to) (for `owner`'s customers or work
 * when not NULL).  Returns 0 or a failure in ctx. */
int kith_kpi_actual(kith_ctx *ctx, const char *metric, const char *owner, int64_t from, int64_t to,
                    double *out);

/* The calendar period ("month", "quarter", "year"; UTC) holding `at`:
 * [*from, *to) (cmd_goal.c). */
void kith_goal_period(const char *period, int64_t at, int64_t *from, int64_t *to);

/* Announces goals whose status moved (cmd_goal.c), inside a request.
 * Returns 0 or a failure in ctx. */
int kith_goal_watch(kith_ctx *ctx);

#endif
