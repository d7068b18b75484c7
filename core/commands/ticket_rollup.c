/*
 * The observations ticket writes record for ticket.metrics (FAMILY.md,
 * "Ticket rollups"; store/rollup.h).  Every metric counts in the total and
 * in the groups kind, priority, category, channel, team, owner and
 * touchpoint, with the ticket's values at the moment of the observation.
 * Durations are wall-clock seconds.  cmd_ticket_metrics.c reads them.
 */
#include "commands/ticket_ops.h"
#include "commands/ticket_sla.h"
#include "store/rollup.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <string.h>

static const char *const dim_names[] = {"kind", "priority", "category",  "channel",
                                        "team", "owner",    "touchpoint"};
#define NDIMS 7

struct obs_ctx {
    kith_ctx *ctx;
    kith_rollup_dim dims[NDIMS];
    int64_t at;
};

static int record(struct obs_ctx *o, const char *metric, int64_t n, int has_x, double x, int hist)
{
    kith_rollup_obs obs = {
        .metric = metric, .at = o->at, .n = n, .has_x = has_x, .x = x, .hist = hist};
    int rc = kith_rollup_record(o->ctx->store, &obs, o->dims, NDIMS);
    return rc < 0 ? kith_ctx_fail(o->ctx, rc, NULL, "cannot record %s", metric) : 0;
}

static int64_t time_of(const cJSON *rec, const char *key)
{
    int64_t t = KITH_TIME_NONE;
    const char *s = kith_json_get_str(rec, key);
    if (s) kith_time_parse_iso(s, &t);
    return t;
}

/* The first response (ticket.responded, ticket.respond_sla), once per
 * ticket: the verb set responded_at where it was unset. */
static int responded(struct obs_ctx *o, const kith_ticket_sla *old_sla, int64_t created)
{
    if (old_sla->responded_at != KITH_TIME_NONE) return 0;
    int rc = record(o, "ticket.responded", 1, 1, (double)(o->at - created) / 1000.0, 1);
    if (!rc && old_sla->policy[0] && old_sla->duration[KITH_SLA_RESPOND] > 0)
        rc = record(o, "ticket.respond_sla", 1, 1,
                    kith_ticket_sla_met(old_sla, KITH_SLA_RESPOND, o->at), 0);
    return rc;
}

int kith_ticket_rollups(kith_ctx *ctx, const char *verb, const cJSON *old,
                        const kith_ticket_sla *old_sla, const kith_ticket_sla *sla,
                        const cJSON *rec)
{
    struct obs_ctx o = {.ctx = ctx, .at = ctx->now};
    for (int i = 0; i < NDIMS; i++) {
        o.dims[i].dim = dim_names[i];
        o.dims[i].key = kith_json_get_str(rec, dim_names[i]);
    }
    int64_t created = time_of(rec, "created_at");
    if (strcmp(verb, "create") == 0) {
        o.at = created;
        int rc = record(&o, "ticket.opened", 1, 0, 0, 0);
        return rc ? rc : record(&o, "ticket.backlog", 1, 0, 0, 0);
    }
    if (strcmp(verb, "accept") == 0) return responded(&o, old_sla, created);
    if (strcmp(verb, "resolve") == 0) {
        int rc = 0;
        if (strcmp(kith_json_get_str(old, "status"), "new") == 0)
            rc = responded(&o, old_sla, created);
        if (!rc) rc = record(&o, "ticket.resolved", 1, 1, (double)(o.at - created) / 1000.0, 1);
        /* The deadline as the clock stands once resolved: a resolve from
         * waiting ended the pause first, so the waited time is not held
         * against it. */
        if (!rc && sla->policy[0] && sla->duration[KITH_SLA_RESOLVE] > 0)
            rc = record(&o, "ticket.resolve_sla", 1, 1,
                        kith_ticket_sla_met(sla, KITH_SLA_RESOLVE, o.at), 0);
        if (!rc && time_of(old, "resolved_at") == KITH_TIME_NONE)
            rc = record(&o, "ticket.fcr", 1, 1,
                        strcmp(kith_json_get_str(old, "status"), "new") == 0 ? 1 : 0, 0);
        if (!rc) rc = record(&o, "ticket.backlog", -1, 0, 0, 0);
        return rc;
    }
    if (strcmp(verb, "reject") == 0) {
        int rc = record(&o, "ticket.rejected", 1, 0, 0, 0);
        return rc ? rc : record(&o, "ticket.backlog", -1, 0, 0, 0);
    }
    if (strcmp(verb, "reopen") == 0) {
        int rc = record(&o, "ticket.reopened", 1, 0, 0, 0);
        return rc ? rc : record(&o, "ticket.backlog", 1, 0, 0, 0);
    }
    if (strcmp(verb, "close") == 0) {
        int rc = record(&o, "ticket.closed", 1, 0, 0, 0);
        const cJSON *sat = cJSON_GetObjectItemCaseSensitive(rec, "satisfaction");
        if (!rc && cJSON_IsNumber(sat)) rc = record(&o, "ticket.csat", 1, 1, sat->valuedouble, 0);
        return rc;
    }
    return 0;
}
