/*
 * Helpers shared by the command families: paging, ids, times, store errors
 * and events.  See commands.h.
 */
#include "commands/commands.h"
#include "commands/history.h"
#include "script/script.h"
#include "store/customer.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One table a line, so that each family's line merges on its own. */
/* clang-format off */
const kith_command *const kith_command_tables[] = {
    kith_cmd_system,
    kith_cmd_customer,
    kith_cmd_interaction,
    kith_cmd_order,
    kith_cmd_loyalty,
    kith_cmd_task,
    kith_cmd_segment,
    kith_cmd_script,
    kith_cmd_pubsub,
    kith_cmd_schedule,
    kith_cmd_token,
    kith_cmd_backup,
    kith_cmd_value,
    kith_cmd_forecast,
    kith_cmd_deal,
    kith_cmd_report,
    kith_cmd_goal,
    kith_cmd_survey,
    kith_cmd_ticket,
    kith_cmd_ticket_flow,
    kith_cmd_visit,
    kith_cmd_ticket_metrics, /* reads the ticket rollups */
    kith_cmd_import,
    kith_cmd_identity,
    kith_cmd_company,
    kith_cmd_merge,
    kith_cmd_consent,
    kith_cmd_history,
    kith_cmd_timeline,
    kith_cmd_duplicate,
    kith_cmd_campaign,
    kith_cmd_campaign_members,
    kith_cmd_campaign_results,
    NULL,
};
/* clang-format on */

int kith_cmd_page_args(kith_ctx *ctx, const cJSON *params, int *limit, kith_cursor *cursor,
                       const kith_cursor **after)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(params, "limit");
    *limit = KITH_LIST_DEFAULT;
    if (cJSON_IsNumber(l)) {
        if (l->valuedouble < 1 || l->valuedouble > KITH_LIST_MAX)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "limit", "limit must be between 1 and %d",
                                 KITH_LIST_MAX);
        *limit = (int)l->valuedouble;
    }
    *after = NULL;
    const char *c = kith_json_get_str(params, "cursor");
    if (c) {
        if (kith_cursor_decode(c, cursor) < 0)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "cursor",
                                 "cursor is not one this server handed out");
        *after = cursor;
    }
    return 0;
}

cJSON *kith_cmd_page_result(cJSON *items, int more, const kith_cursor *next)
{
    cJSON *out = cJSON_CreateObject();
    if (!out) {
        cJSON_Delete(items);
        return NULL;
    }
    cJSON_AddItemToObject(out, "items", items);
    if (more && next) {
        char text[KITH_CURSOR_BUFSZ];
        kith_cursor_encode(next, text);
        cJSON_AddStringToObject(out, "next_cursor", text);
    } else {
        cJSON_AddNullToObject(out, "next_cursor");
    }
    return out;
}

int kith_cmd_id_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *id)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be a positive integer id", name);
    *id = (int64_t)v->valuedouble;
    return 0;
}

int kith_cmd_time_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *at)
{
    const char *s = kith_json_get_str(params, name);
    if (s && kith_time_parse_iso(s, at) < 0)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be an ISO 8601 time", name);
    return 0;
}

int kith_cmd_store_fail(kith_ctx *ctx, int rc, const char *what)
{
    switch (rc) {
    case KITH_ENOTFOUND: return kith_ctx_fail(ctx, rc, NULL, "%s not found", what);
    case KITH_ECONFLICT:
        return kith_ctx_fail(ctx, rc, NULL, "%s conflicts with an existing one", what);
    default: return kith_ctx_fail(ctx, rc, NULL, "%s: %s", what, kith_strerror(rc));
    }
}

int kith_cmd_emit(kith_ctx *ctx, const char *type, int64_t customer_id, const cJSON *data)
{
    /* The audit row and any stage change first, in the same transaction,
     * so what the event's hooks then do is recorded after it. */
    int rc = kith_history_note(ctx, type, customer_id, data);
    return rc ? rc : kith_script_emit(ctx, type, customer_id, data);
}

int kith_cmd_check_text(kith_ctx *ctx, const cJSON *params, const char *name, size_t max,
                        int nonempty)
{
    const char *s = kith_json_get_str(params, name);
    if (!s) return 0;
    size_t n = strlen(s);
    if (n > max)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s is longer than %zu bytes", name, max);
    if (nonempty && strspn(s, " \t\r\n") == n)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must not be empty", name);
    return 0;
}

int kith_cmd_check_enum(kith_ctx *ctx, const cJSON *params, const char *name,
                        const char *const *allowed, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
    if ((!v || cJSON_IsNull(v)) && !required) return 0;
    for (int i = 0; cJSON_IsString(v) && allowed[i]; i++)
        if (strcmp(v->valuestring, allowed[i]) == 0) return 0;
    /* The message lists the choices, so the list is written only once. */
    char list[256];
    size_t n = 0;
    list[0] = '\0';
    for (int i = 0; allowed[i] && n < sizeof(list); i++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", allowed[i]);
    return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be one of %s", name, list);
}

int kith_cmd_before(kith_ctx *ctx, const char *type, const char *kind, cJSON **rec,
                    const cJSON *context)
{
    if (!ctx->env->script) return 0;
    cJSON *ev = context ? cJSON_Duplicate(context, 1) : cJSON_CreateObject();
    if (!ev) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    cJSON_DeleteItemFromObjectCaseSensitive(ev, kind);
    cJSON_AddItemToObject(ev, kind, *rec);
    int rc = kith_script_before(ctx, type, kind, ev);
    *rec = cJSON_DetachItemFromObjectCaseSensitive(ev, kind);
    cJSON_Delete(ev);
    if (!*rec) *rec = cJSON_CreateObject();
    return rc;
}

int kith_cmd_emit_record(kith_ctx *ctx, const char *type, int64_t customer_id, const char *kind,
                         const cJSON *record, const cJSON *customer)
{
    cJSON *data = cJSON_CreateObject();
    if (!data) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    cJSON_AddItemReferenceToObject(data, kind, (cJSON *)record);
    if (customer) cJSON_AddItemReferenceToObject(data, "customer", (cJSON *)customer);
    int rc = kith_cmd_emit(ctx, type, customer_id, data);
    cJSON_Delete(data);
    return rc;
}

int kith_cmd_customer_exists(kith_ctx *ctx, int64_t id)
{
    cJSON *c = NULL;
    int rc = kith_store_customer_get(ctx->store, id, &c);
    cJSON_Delete(c);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer") : 0;
}

/* Replaces ctx's error data with {reason, [status]}; the error keeps its
 * code and message even when there is no memory for the data. */
static void conflict_data(kith_ctx *ctx, const char *reason, const char *status)
{
    cJSON *data = cJSON_CreateObject();
    if (data && (kith_json_add_str(data, "reason", reason) ||
                 (status && kith_json_add_str(data, "status", status)))) {
        cJSON_Delete(data);
        data = NULL;
    }
    cJSON_Delete(ctx->err->data);
    ctx->err->data = data;
}

int kith_cmd_conflict(kith_ctx *ctx, const char *reason, const char *status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[sizeof(ctx->err->message)];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kith_ctx_fail(ctx, KITH_ECONFLICT, NULL, "%s: %s", reason, msg);
    conflict_data(ctx, reason, status);
    return KITH_ECONFLICT;
}

int kith_cmd_invalid_transition(kith_ctx *ctx, const char *kind, int64_t id, const char *status,
                                const char *verb)
{
    return kith_cmd_conflict(ctx, "invalid_transition", status, "%s %lld is %s; it cannot %s", kind,
                             (long long)id, status, verb);
}
