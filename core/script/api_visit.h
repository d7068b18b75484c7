/*
 * The visit cadence the rules declare, and how the visit commands read it.
 *
 *   crm.visits{ lead = "1d", grace = "4h",
 *               {class = "key", every = "30d", match = function(c, s) ... end},
 *               {class = "regular", every = "90d"} }
 *
 * `lead` is how long before planned_at visit.upcoming fires, `grace` how
 * long after planned_at an unreported visit becomes missed; both default to
 * one day when the rules say nothing.  The entries are tried in order for a
 * customer and the first whose match(customer, stats) is true gives the
 * customer's class and how often it should be visited; an entry without
 * match matches customers whose `class` field equals its class (for when
 * customers gain a class of their own).  The cadence lives in the
 * generation's Lua registry, so a reload replaces it whole.
 *
 * Also crm.visit.get(id) -> the visit or nil.
 */
#ifndef KITH_SCRIPT_API_VISIT_H
#define KITH_SCRIPT_API_VISIT_H

#include "script/script.h"

#include <stddef.h>
#include <stdint.h>

#define KITH_VISIT_DEFAULT_LEAD  86400000LL /* 1d */
#define KITH_VISIT_DEFAULT_GRACE 86400000LL /* 1d */
#define KITH_VISIT_CLASS_MAX     64

/* The running rules' lead and grace in ms (the defaults without rules or
 * without crm.visits).  `sc` may be NULL. */
void kith_script_visit_timing(const kith_script *sc, int64_t *lead, int64_t *grace);
/* 1 when the running cadence has an entry of class `cls`. */
int kith_script_visit_has_class(const kith_script *sc, const char *cls);
/* 1 when the running rules declare a cadence at all. */
int kith_script_visit_has_cadence(const kith_script *sc);
/* Finds customer `id`'s cadence entry (first match wins): returns 1 with
 * its class copied into cls (len bytes) and its interval in *every (ms),
 * 0 when no entry matches (or the customer is gone), or a negative code
 * with the failure (a rule's error) recorded in ctx. */
int kith_script_visit_cadence(kith_ctx *ctx, int64_t id, char *cls, size_t len, int64_t *every);

#endif
