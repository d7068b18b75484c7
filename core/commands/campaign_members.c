/*
 * A campaign's members after launch: the due source that settles the
 * frozen audience in slices (consent, the before hooks, the touches),
 * campaign.members, campaign.track for gateways, and the attribution of
 * orders (order.create calls kith_campaign_attribute in its request).
 *
 * Attribution lives in the order's transaction, not in campaign.results:
 * campaign.converted must fire when the order comes in (a rule thanks the
 * customer, a dashboard counts live), and the cost on the order path is
 * one range probe of campaign_members_customer (store/campaign.h note 3),
 * which finds nothing for a customer in no open campaign.  Results are
 * then one aggregate over the members, however many orders there were.
 */
#include "commands/campaign_ops.h"
#include "commands/commands.h"
#include "script/script.h"
#include "store/campaign.h"
#include "store/consent.h"
#include "store/customer.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

/* Open campaigns one order is attributed to, at most. */
#define MAX_OPEN_CAMPAIGNS 64

int kith_campaign_next_members(kith_store *s, int64_t *at)
{
    return kith_store_campaign_pending_next(s, at);
}

/* Emits `type` {member, customer} about one member. */
static int emit_member(kith_ctx *ctx, const char *type, int64_t campaign_id, int64_t customer_id,
                       const cJSON *customer)
{
    cJSON *member = NULL, *loaded = NULL;
    int rc = kith_store_campaign_member_get(ctx->store, campaign_id, customer_id, &member);
    if (!rc && !customer) rc = kith_store_customer_get(ctx->store, customer_id, &loaded);
    if (rc < 0)
        rc = kith_cmd_store_fail(ctx, rc, "campaign member");
    else
        rc = kith_cmd_emit_record(ctx, type, customer_id, "member", member,
                                  customer ? customer : loaded);
    cJSON_Delete(member);
    cJSON_Delete(loaded);
    return rc;
}

/* Runs the before hooks of campaign.member_added on one member in a
 * request of its own, so a veto rolls back only what the hooks wrote.
 * *vetoed says whether a rule refused the member (an error or a budget
 * overrun in a hook counts as a refusal: the launch must not stall on a
 * broken rule).  Returns 0 or a failure in ctx. */
static int run_hooks(kith_ctx *ctx, const cJSON *campaign, cJSON **member, const cJSON *customer,
                     int *vetoed)
{
    *vetoed = 0;
    if (!ctx->env->script) return 0;
    cJSON *context = cJSON_CreateObject();
    if (!context) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    cJSON_AddItemReferenceToObject(context, "customer", (cJSON *)customer);
    cJSON_AddItemReferenceToObject(context, "campaign", (cJSON *)campaign);
    int rc = kith_request_begin(ctx);
    if (!rc)
        rc = kith_request_end(
            ctx, kith_cmd_before(ctx, "campaign.member_added", "member", member, context));
    cJSON_Delete(context);
    if (rc == KITH_ESCRIPT || rc == KITH_ESCRIPTLIMIT) {
        kith_debug(
            "campaign %s: customer %lld vetoed: %s", kith_json_get_str(campaign, "name"),
            (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(customer, "id")),
            ctx->err->message);
        kith_ctx_release(ctx);
        *vetoed = 1;
        return 0;
    }
    return rc;
}

/* Settles one pending member (campaign_ops.h notes 2 and 3). */
static int settle_one(kith_ctx *ctx, const cJSON *campaign, int64_t campaign_id,
                      int64_t customer_id)
{
    cJSON *member = NULL, *customer = NULL;
    int rc = kith_store_campaign_member_get(ctx->store, campaign_id, customer_id, &member);
    if (!rc) rc = kith_store_customer_get(ctx->store, customer_id, &customer);
    int allowed = 1, vetoed = 0;
    const char *why;
    int64_t said;
    if (!rc)
        rc = kith_store_consent_allowed(ctx->store, customer_id, "marketing",
                                        kith_json_get_str(campaign, "channel"), &allowed, &why,
                                        &said);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "campaign member");
    if (!rc && allowed) rc = run_hooks(ctx, campaign, &member, customer, &vetoed);
    const char *reason = !allowed ? "no_consent" : vetoed ? "vetoed" : NULL;
    if (!rc) {
        rc = kith_store_campaign_member_settle(ctx->store, campaign_id, customer_id,
                                               reason ? "excluded" : "targeted", reason);
        if (rc == KITH_ENOTFOUND)
            rc = 0; /* settled meanwhile (a hook's own call) */
        else if (rc < 0)
            rc = kith_cmd_store_fail(ctx, rc, "campaign member");
        else if (!reason) {
            /* The draw decided the group; the hooks could not change it. */
            cJSON *fresh = NULL;
            if ((rc = kith_store_campaign_member_get(ctx->store, campaign_id, customer_id,
                                                     &fresh)) < 0)
                rc = kith_cmd_store_fail(ctx, rc, "campaign member");
            else if (strcmp(kith_json_get_str(fresh, "group"), "treated") == 0)
                rc = kith_cmd_emit_record(ctx, "campaign.member_added", customer_id, "member",
                                          fresh, customer);
            cJSON_Delete(fresh);
        }
    }
    cJSON_Delete(member);
    cJSON_Delete(customer);
    return rc;
}

int kith_campaign_fire_members(kith_ctx *ctx, int limit, int *fired)
{
    int64_t ids[KITH_CAMPAIGN_SLICE], campaign_id = 0;
    int max = limit - 1 < KITH_CAMPAIGN_SLICE ? limit - 1 : KITH_CAMPAIGN_SLICE, n = 0;
    *fired = 0;
    if (max < 1) max = 1;
    int rc = kith_store_campaign_pending(ctx->store, max, &campaign_id, ids, &n);
    if (rc == KITH_ENOTFOUND) return 0;
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "pending members");
    cJSON *campaign = NULL;
    if ((rc = kith_store_campaign_get(ctx->store, campaign_id, &campaign)) < 0)
        return kith_cmd_store_fail(ctx, rc, "campaign");
    for (int i = 0; !rc && i < n; i++)
        rc = settle_one(ctx, campaign, campaign_id, ids[i]);
    cJSON_Delete(campaign);
    if (!rc) *fired = n;
    return rc;
}

static const char *const groups[] = {"treated", "control", NULL};
static const char *const member_statuses[] = {"pending",   "targeted", "sent", "responded",
                                              "converted", "excluded", NULL};
static const char *const track_events[] = {"sent", "responded", "converted", NULL};

static int campaign_members(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    cJSON *rec = NULL;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_check_enum(ctx, params, "group", groups, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, params, "status", member_statuses, 0);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (!rc) rc = kith_campaign_load(ctx, params, &id, &rec);
    cJSON_Delete(rec);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    rc = kith_store_campaign_members(ctx->store, id, kith_json_get_str(params, "group"),
                                     kith_json_get_str(params, "status"), limit, after, items,
                                     &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "campaign members");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

/* A running campaign: active, or completed with its window still counting. */
static int check_running(kith_ctx *ctx, int64_t id, const cJSON *rec)
{
    const char *status = kith_json_get_str(rec, "status");
    if (strcmp(status, "active") == 0 || strcmp(status, "completed") == 0) return 0;
    return kith_cmd_conflict(ctx, "not_running", status,
                             "campaign %lld is %s; it takes no responses or orders", (long long)id,
                             status);
}

static int campaign_track(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id, cid, at = ctx->now, cents = 0, order_id = 0;
    cJSON *rec = NULL;
    const char *event = kith_json_get_str(params, "event");
    int rc = kith_cmd_check_enum(ctx, params, "event", track_events, 1);
    if (!rc) rc = kith_cmd_id_arg(ctx, params, "customer_id", &cid);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "at", &at);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(params, "value");
    if (!rc && value &&
        (!cJSON_IsNumber(value) || kith_money_from_double(value->valuedouble, &cents) < 0 ||
         cents < 0))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "value",
                           "value must be a non-negative amount with at most 2 decimals");
    if (!rc && cJSON_GetObjectItemCaseSensitive(params, "order_id"))
        rc = kith_cmd_id_arg(ctx, params, "order_id", &order_id);
    if (!rc) rc = kith_campaign_load(ctx, params, &id, &rec);
    if (!rc) rc = check_running(ctx, id, rec);
    cJSON_Delete(rec);
    if (rc) return rc;
    int first = 0;
    if (strcmp(event, "converted") == 0)
        rc = kith_store_campaign_convert(ctx->store, id, cid, order_id, cents, at, &first);
    else
        rc = kith_store_campaign_member_mark(ctx->store, id, cid, event, at);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "customer_id",
                             "customer %lld is not a settled member of campaign %lld",
                             (long long)cid, (long long)id);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "campaign member");
    if (strcmp(event, "responded") == 0)
        rc = emit_member(ctx, "campaign.responded", id, cid, NULL);
    else if (first)
        rc = emit_member(ctx, "campaign.converted", id, cid, NULL);
    if (rc) return rc;
    rc = kith_store_campaign_member_get(ctx->store, id, cid, result);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "campaign member") : 0;
}

int kith_campaign_order_arg(kith_ctx *ctx, const cJSON *params, int64_t *campaign_id)
{
    *campaign_id = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "campaign_id");
    if (!v || cJSON_IsNull(v)) return 0;
    int rc = kith_cmd_id_arg(ctx, params, "campaign_id", campaign_id);
    cJSON *rec = NULL;
    if (!rc && (rc = kith_store_campaign_get(ctx->store, *campaign_id, &rec)) == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "campaign_id", "campaign %lld not found",
                             (long long)*campaign_id);
    if (rc < 0 && !ctx->err->code) rc = kith_cmd_store_fail(ctx, rc, "campaign");
    if (!rc) rc = check_running(ctx, *campaign_id, rec);
    cJSON_Delete(rec);
    return rc;
}

int kith_campaign_attribute(kith_ctx *ctx, int64_t customer_id, const cJSON *order, int64_t cents,
                            int64_t at, int64_t campaign_id)
{
    int64_t ids[MAX_OPEN_CAMPAIGNS];
    int n = 1, rc = 0;
    ids[0] = campaign_id;
    if (!campaign_id && (rc = kith_store_campaign_open_for(ctx->store, customer_id, at,
                                                           MAX_OPEN_CAMPAIGNS, ids, &n)) < 0)
        return kith_cmd_store_fail(ctx, rc, "open campaigns");
    int64_t order_id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(order, "id"));
    for (int i = 0; !rc && i < n; i++) {
        int first = 0;
        rc = kith_store_campaign_convert(ctx->store, ids[i], customer_id, order_id, cents, at,
                                         &first);
        if (rc == KITH_ENOTFOUND) { /* named explicitly, but not (or no longer) a member */
            rc = 0;
            continue;
        }
        if (rc < 0)
            rc = kith_cmd_store_fail(ctx, rc, "campaign member");
        else if (first)
            rc = emit_member(ctx, "campaign.converted", ids[i], customer_id, NULL);
    }
    return rc;
}

static const kith_param members_params[] = {
    {"id", KITH_T_INT, 0, "campaign id"},
    {"name", KITH_T_STRING, 0, "or the campaign's name"},
    {"group", KITH_T_STRING, 0, "treated or control"},
    {"status", KITH_T_STRING, 0, "pending, targeted, sent, responded, converted or excluded"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param track_params[] = {
    {"id", KITH_T_INT, 0, "campaign id"},
    {"name", KITH_T_STRING, 0, "or the campaign's name"},
    {"customer_id", KITH_T_INT, 1, "the member"},
    {"event", KITH_T_STRING, 1, "sent, responded or converted"},
    {"at", KITH_T_TIME, 0, "when (default now)"},
    {"order_id", KITH_T_INT, 0, "the order a conversion came with"},
    {"value", KITH_T_NUMBER, 0, "a conversion's revenue, in major units"},
    {NULL},
};

const kith_command kith_cmd_campaign_members[] = {
    {"campaign.members", campaign_members, members_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A campaign's frozen audience by customer id, with group, status and reason",
     "{items: [member], next_cursor}"},
    {"campaign.track", campaign_track, track_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Record a member's sent, responded or converted (gateways, web hooks)", "the member"},
    {NULL},
};
