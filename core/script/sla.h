/*
 * SLA policies from the rules (crm.sla{...}, api_sla.c), as the ticket code
 * sees them: pick the policy for a ticket, find one by name, list them.
 *
 *   crm.sla {
 *     warn_at = 0.8,                                  -- optional, default 0.8
 *     calendar = { tz = "Asia/Shanghai", days = "MON-FRI", hours = "09:00-18:00",
 *                  holidays = { "2026-10-01" } },     -- optional, default 24/7
 *     { name = "vip", respond = "1h", resolve = "1d", warn_at = 0.5,
 *       calendar = {...},                             -- optional override
 *       match = function(t, c) return c.tags ... end },
 *     { name = "default", respond = "1d", resolve = "5d" },   -- no match: any
 *   }
 *
 * The first policy whose match returns true (or that has none) wins.  A
 * policy may leave out respond or resolve (that deadline does not apply),
 * not both.  Without crm.sla no ticket has an SLA.
 */
#ifndef KITH_SCRIPT_SLA_H
#define KITH_SCRIPT_SLA_H

#include "request/request.h"
#include "util/bizcal.h"

#include <cJSON.h>
#include <stdint.h>

struct kith_script;

/* One policy, copied out of the running rules. */
typedef struct kith_sla_policy {
    char name[64];
    int64_t respond_ms, resolve_ms; /* 0: no such deadline */
    double warn_at;                 /* 0 < warn_at < 1 */
    int has_calendar;               /* 0: 24/7 */
    kith_bizcal calendar;
} kith_sla_policy;

/* Runs the running rules' policies against `ticket` and `customer` (both
 * borrowed wire shapes) in order; the first that matches is copied to *out
 * and *found set to 1 (0 when none matches or there are no policies).
 * Returns 0, or a failure recorded in ctx (a match function's error). */
int kith_script_sla_pick(kith_ctx *ctx, const cJSON *ticket, const cJSON *customer,
                         kith_sla_policy *out, int *found);
/* Copies the running rules' policy `name` to *out.  Returns 1 when found,
 * 0 when not (the rules changed since the ticket got it). */
int kith_script_sla_find(const struct kith_script *sc, const char *name, kith_sla_policy *out);
/* The loaded policies for sla.list: [{name, respond, resolve, warn_at,
 * calendar, file, line}] (owned), or NULL when out of memory. */
cJSON *kith_script_sla_list(const struct kith_script *sc);

#endif
