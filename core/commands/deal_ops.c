/*
 * See deal_ops.h.
 */
#include "commands/deal_ops.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/deal.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <string.h>

int64_t kith_deal_id(const cJSON *deal)
{
    return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(deal, "id"));
}

int kith_deal_check(kith_ctx *ctx, const cJSON *rec)
{
    static const char *const categories[] = {"pipeline", "best_case", "commit",
                                             "omitted",  "closed",    NULL};
    const cJSON *amount = cJSON_GetObjectItemCaseSensitive(rec, "amount");
    const cJSON *prob = cJSON_GetObjectItemCaseSensitive(rec, "probability");
    int64_t cents, t;
    int rc = kith_cmd_check_text(ctx, rec, "name", 200, 1);
    if (!rc && !kith_json_get_str(rec, "name"))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "name", "name is required");
    if (!rc && (!cJSON_IsNumber(amount) ||
                kith_money_from_double(amount->valuedouble, &cents) < 0 || cents < 0))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "amount",
                           "amount must be a number >= 0 with at most two decimals");
    if (!rc && prob && !cJSON_IsNull(prob) &&
        (!cJSON_IsNumber(prob) || prob->valuedouble < 0 || prob->valuedouble > 1))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "probability", "probability must be from 0 to 1");
    if (!rc) rc = kith_cmd_check_enum(ctx, rec, "forecast_category", categories, 0);
    const char *close = kith_json_get_str(rec, "expected_close");
    if (!rc && close && kith_time_parse_iso(close, &t) < 0)
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "expected_close", "expected_close must be a time");
    static const char *const texts[] = {"owner", "team", "source", "next_step", "currency"};
    for (size_t i = 0; !rc && i < sizeof(texts) / sizeof(texts[0]); i++)
        rc = kith_cmd_check_text(ctx, rec, texts[i], 500, 0);
    return rc;
}

static int missing(const cJSON *v)
{
    return !v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]) ||
           (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0);
}

int kith_deal_require(kith_ctx *ctx, const cJSON *rec, const kith_stage_def *stage)
{
    for (int i = 0; stage && i < stage->nrequire; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, stage->require[i]);
        int absent = missing(v) || (strcmp(stage->require[i], "amount") == 0 && cJSON_IsNumber(v) &&
                                    v->valuedouble <= 0);
        if (absent)
            return kith_ctx_fail(ctx, KITH_EPARAMS, stage->require[i],
                                 "stage %s requires %s on the deal", stage->name,
                                 stage->require[i]);
    }
    return 0;
}

void kith_deal_set_category(cJSON *rec)
{
    double p = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "probability"));
    const char *cat = isnan(p) || p < 0.5 ? "pipeline" : p < 0.9 ? "best_case" : "commit";
    if (p == 0) cat = "omitted";
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "forecast_category");
    cJSON_AddStringToObject(rec, "forecast_category", cat);
}

int kith_deal_enter_stage(kith_ctx *ctx, cJSON *rec, const kith_pipeline *p,
                          const kith_stage_def *stage, int take_probability)
{
    (void)p;
    int rc = kith_deal_require(ctx, rec, stage);
    if (rc) return rc;
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "stage");
    cJSON_AddStringToObject(rec, "stage", stage->name);
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "stage_entered_at");
    kith_json_add_time(rec, "stage_entered_at", ctx->now);
    if (take_probability) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "probability");
        cJSON_AddNumberToObject(rec, "probability", stage->probability);
    }
    if (take_probability || !cJSON_HasObjectItem(rec, "forecast_category") ||
        cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(rec, "forecast_category")))
        kith_deal_set_category(rec);
    return 0;
}

void kith_deal_touch(kith_ctx *ctx, cJSON *rec, const kith_pipeline *p)
{
    static const char *const keys[] = {"updated_at", "last_activity_at", "rot_at"};
    for (int i = 0; i < 3; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(rec, keys[i]);
    kith_json_add_time(rec, "updated_at", ctx->now);
    kith_json_add_time(rec, "last_activity_at", ctx->now);
    if (p && p->rot_after_ms) kith_json_add_time(rec, "rot_at", ctx->now + p->rot_after_ms);
}

int kith_deal_load(kith_ctx *ctx, const cJSON *params, cJSON **deal)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (rc) return rc;
    rc = kith_store_deal_get(ctx->store, id, deal);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "id", "deal %lld not found", (long long)id);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "deal") : 0;
}

int kith_deal_save(kith_ctx *ctx, int64_t id, const cJSON *rec_in, const cJSON *old,
                   const char *stage, const char *status, const char *event, const char *note,
                   const cJSON *customer_in, cJSON **result)
{
    int64_t cid =
        (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec_in, "customer_id"));
    const char *from = old ? kith_json_get_str(old, "stage") : NULL;
    cJSON *customer = customer_in ? cJSON_Duplicate(customer_in, 1) : NULL;
    if (!customer) kith_store_customer_get(ctx->store, cid, &customer);
    cJSON *rec = cJSON_Duplicate(rec_in, 1), *deal = NULL;
    int rc = 0;
    int moved = strcmp(event, "deal.moved") == 0;
    if (moved || strcmp(event, "deal.created") == 0) {
        /* The events a rule may change or veto (events.h): a hook sees the
         * deal as it would be written; a move also says where it comes
         * from, so exit criteria are rules. */
        cJSON *context = cJSON_CreateObject();
        if (customer) cJSON_AddItemReferenceToObject(context, "customer", customer);
        if (old) cJSON_AddItemReferenceToObject(context, "old", (cJSON *)old);
        if (moved) {
            cJSON_AddStringToObject(context, "from", from ? from : "");
            cJSON_AddStringToObject(context, "to", stage);
        }
        rc = kith_cmd_before(ctx, event, "deal", &rec, context);
        cJSON_Delete(context);
        if (!rc) rc = kith_deal_check(ctx, rec);
    }
    if (!rc) {
        rc = id ? kith_store_deal_update(ctx->store, id, rec)
                : kith_store_deal_insert(ctx->store, rec, &id);
        if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "deal");
    }
    if (!rc && status) {
        const char *to = stage ? stage : kith_json_get_str(rec, "stage");
        char who[160];
        rc = kith_store_deal_history_add(ctx->store, id, ctx->now, from, to, status,
                                         kith_script_actor(ctx, who, sizeof(who)), note);
        if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "deal history");
    }
    if (!rc && (rc = kith_store_deal_get(ctx->store, id, &deal)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "deal");
    if (!rc) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(data, "deal", deal);
        if (customer) cJSON_AddItemReferenceToObject(data, "customer", customer);
        if (moved) {
            cJSON_AddStringToObject(data, "from", from ? from : "");
            cJSON_AddStringToObject(data, "to", stage);
        }
        rc = kith_cmd_emit(ctx, event, cid, data);
        cJSON_Delete(data);
    }
    cJSON_Delete(rec);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(deal);
        return rc;
    }
    *result = deal;
    return 0;
}
