/*
 * Goals (goal.set/list/delete): a target for a metric per period, for the
 * whole business or one owner.  The store keeps the definitions; what a goal
 * has reached is computed from the rollups when read (commands/cmd_goal.c).
 */
#ifndef KITH_STORE_GOAL_H
#define KITH_STORE_GOAL_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

/* Creates or replaces goal `g` ({name, metric, target, direction, period,
 * start, owner}).  Returns 0 or a KITH_E* code. */
int kith_store_goal_put(kith_store *s, const cJSON *g, int64_t now);
/* Deletes goal `name`.  Returns 0 or KITH_ENOTFOUND. */
int kith_store_goal_delete(kith_store *s, const char *name);
/* *out = the goals, by name; only `owner`'s and `period`'s when given.
 * Each carries `announced` ({status, period} last announced, or null). */
int kith_store_goal_list(kith_store *s, const char *owner, const char *period, cJSON **out);
/* Records that goal `name` announced `status` for the period starting at
 * `period` (ms).  Returns 0 or a KITH_E* code. */
int kith_store_goal_announced(kith_store *s, const char *name, const char *status, int64_t period);

#endif
