/*
 * customer.timeline: what happened to a customer, newest first, across the
 * families (store/timeline.h has the query plan).
 */
#include "commands/commands.h"
#include "store/timeline.h"
#include "util/error.h"
#include "util/json.h"

#include <stdint.h>
#include <string.h>

/* The kinds param as a bit set; every kind when absent. */
static int kinds_arg(kith_ctx *ctx, const cJSON *params, unsigned *bits)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "kinds");
    *bits = 0;
    if (!v || cJSON_IsNull(v)) {
        for (int k = 0; kith_timeline_kinds[k]; k++)
            *bits |= 1u << k;
        return 0;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, v)
    {
        int k = 0;
        while (kith_timeline_kinds[k] && strcmp(kith_timeline_kinds[k], s->valuestring) != 0)
            k++;
        if (!kith_timeline_kinds[k])
            return kith_ctx_fail(ctx, KITH_EPARAMS, "kinds",
                                 "unknown kind %s (interaction, order, task, ticket, visit, "
                                 "survey, loyalty, stage)",
                                 s->valuestring);
        *bits |= 1u << k;
    }
    return 0;
}

static int customer_timeline(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_timeline_query q = {.from = INT64_MIN, .to = INT64_MAX};
    int limit;
    kith_cursor cur, next = {0, 0};
    const kith_cursor *after;
    int rc = kith_cmd_id_arg(ctx, params, "customer_id", &q.customer_id);
    if (!rc) rc = kinds_arg(ctx, params, &q.kinds);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "from", &q.from);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "to", &q.to);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cur, &after);
    if (!rc) rc = kith_cmd_customer_exists(ctx, q.customer_id);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    int more = 0;
    rc = kith_store_timeline(ctx->store, &q, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "timeline");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return *result ? 0 : kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
}

static const kith_param timeline_params[] = {
    {"customer_id", KITH_T_INT, 1, "the customer"},
    {"kinds", KITH_T_STRINGS, 0,
     "only these kinds: interaction, order, task, ticket, visit, survey, loyalty, stage"},
    {"from", KITH_T_TIME, 0, "entries at or after this time"},
    {"to", KITH_T_TIME, 0, "entries before this time"},
    KITH_LIST_PARAMS,
    {NULL},
};

const kith_command kith_cmd_timeline[] = {
    {"customer.timeline", customer_timeline, timeline_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Everything that happened to a customer, newest first, across the families",
     "{items: [{kind, at, id, summary, record}], next_cursor}"},
    {NULL},
};
