/*
 * Invitations: survey.send, survey.invitations, survey.decline, and the two
 * due sources (an invitation's send time and its expiry).
 *
 * survey.send writes one invitation per customer in the caller's request, so
 * a segment of thousands is one transaction: either every invitation and
 * its stats change is kept, or none.  A customer is suppressed (written as
 * a `suppressed` invitation with the reason, and listed in the reply) when
 *   already_invited  an invitation of this survey is still pending or sent;
 *   quiet_period     the customer's last invitation to any survey
 *                    (stats.last_invited_at) is within the survey's
 *                    quiet_days of this one's send time;
 *   no_consent       the customer withdrew consent to surveys on the
 *                    invitation's channel (or on any; store/consent.h);
 * and listed only (no row can name them) when `not_found`.  An invitation
 * due now is sent at once; a later one waits for the due source, which
 * sends it (survey.invited, with the token) exactly once.
 */
#include "commands/commands.h"
#include "commands/survey_ops.h"
#include "script/script.h"
#include "store/consent.h"
#include "store/customer.h"
#include "store/rollup.h"
#include "store/rules.h"
#include "store/stats.h"
#include "store/survey.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define DEFAULT_EXPIRY_MS (14 * KITH_DAY_MS)
#define MAX_IDS           10000
#define MAX_CHANNEL       64
#define TOKEN_BYTES       16

/* A fresh invitation token: 128 random bits as 32 hex digits. */
static int new_token(char out[2 * TOKEN_BYTES + 1])
{
    unsigned char raw[TOKEN_BYTES];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) return KITH_EIO;
    for (int i = 0; i < TOKEN_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Reads a KITH_T_DUE param: an ISO time, or a duration from ctx->now. */
static int due_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *at)
{
    const char *s = kith_json_get_str(params, name);
    int64_t d;
    if (!s || kith_time_parse_iso(s, at) == 0) return 0;
    if (kith_time_parse_duration(s, &d) == 0) {
        *at = ctx->now + d;
        return 0;
    }
    return kith_ctx_fail(ctx, KITH_EPARAMS, name,
                         "%s must be an ISO 8601 time or a duration like \"7d\"", name);
}

/* Emits `type` {invitation, customer} about invitation `id`. */
static int emit_invitation(kith_ctx *ctx, const char *type, int64_t id, int with_token)
{
    cJSON *inv = NULL, *customer = NULL;
    int rc = kith_store_invitation_get(ctx->store, id, with_token, &inv);
    int64_t cid =
        rc ? 0
           : (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(inv, "customer_id"));
    if (!rc) rc = kith_store_customer_get(ctx->store, cid, &customer);
    if (rc < 0)
        rc = kith_cmd_store_fail(ctx, rc, "invitation");
    else
        rc = kith_cmd_emit_record(ctx, type, cid, "invitation", inv, customer);
    cJSON_Delete(inv);
    cJSON_Delete(customer);
    return rc;
}

/* Counts a sent invitation in the survey's rollups (survey_ops.h). */
static int record_sent(kith_ctx *ctx, const char *survey, const char *channel, int64_t at)
{
    char metric[160];
    kith_survey_metric(metric, sizeof(metric), survey, "sent");
    kith_rollup_obs o = {.metric = metric, .at = at, .n = 1};
    kith_rollup_dim dims[] = {{"channel", channel}};
    int rc = kith_rollup_record(ctx->store, &o, dims, 1);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "survey rollups") : 0;
}

/* The customers to invite: exactly one of customer_id, customer_ids and
 * segment, as an array of ids in *ids (owned). */
static int recipients(kith_ctx *ctx, const cJSON *params, cJSON **ids)
{
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(params, "customer_id");
    const cJSON *many = cJSON_GetObjectItemCaseSensitive(params, "customer_ids");
    const char *segment = kith_json_get_str(params, "segment");
    int given = !!one + !!many + !!segment, rc = 0;
    if (given != 1)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "customer_id",
                             "give exactly one of customer_id, customer_ids or segment");
    *ids = cJSON_CreateArray();
    if (!*ids) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (one) {
        int64_t id;
        if (!(rc = kith_cmd_id_arg(ctx, params, "customer_id", &id)))
            cJSON_AddItemToArray(*ids, cJSON_CreateNumber((double)id));
    } else if (many) {
        const cJSON *v;
        if (cJSON_GetArraySize(many) > MAX_IDS)
            rc = kith_ctx_fail(ctx, KITH_EPARAMS, "customer_ids", "at most %d customer_ids",
                               MAX_IDS);
        cJSON_ArrayForEach(v, many)
        {
            if (rc) break;
            if (!cJSON_IsNumber(v) || v->valuedouble < 1 || !kith_json_is_int(v->valuedouble))
                rc = kith_ctx_fail(ctx, KITH_EPARAMS, "customer_ids",
                                   "customer_ids must be positive integer ids");
            else
                cJSON_AddItemToArray(*ids, cJSON_CreateNumber(v->valuedouble));
        }
    } else if (!kith_store_segment_exists(ctx->store, segment)) {
        rc = kith_ctx_fail(ctx, KITH_ENOTFOUND, "segment", "segment '%s' not found", segment);
    } else if ((rc = kith_store_survey_segment_members(ctx->store, segment, *ids)) < 0) {
        rc = kith_cmd_store_fail(ctx, rc, "segment members");
    }
    if (rc) {
        cJSON_Delete(*ids);
        *ids = NULL;
    }
    return rc;
}

typedef struct send_plan {
    const char *survey;
    int64_t survey_id, send_at, expires_at, quiet_ms;
    const char *channel, *by;
    const cJSON *context;
    cJSON *invitations, *suppressed; /* the reply's lists */
    int invited;
} send_plan;

static int note_suppressed(kith_ctx *ctx, send_plan *p, int64_t cid, const char *reason)
{
    cJSON *s = cJSON_CreateObject();
    if (!s || kith_json_add_int(s, "customer_id", cid) || kith_json_add_str(s, "reason", reason)) {
        cJSON_Delete(s);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    cJSON_AddItemToArray(p->suppressed, s);
    return 0;
}

/* Invites one customer (or suppresses the invitation, with its reason). */
static int invite_one(kith_ctx *ctx, send_plan *p, int64_t cid)
{
    kith_customer_stats st;
    int64_t open_id, id;
    int rc = kith_store_stats_get(ctx->store, cid, &st);
    if (rc == KITH_ENOTFOUND) return note_suppressed(ctx, p, cid, "not_found");
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customer stats");
    const char *reason = NULL;
    rc = kith_store_invitation_open(ctx->store, p->survey_id, cid, &open_id);
    if (rc == 0)
        reason = "already_invited";
    else if (rc != KITH_ENOTFOUND)
        return kith_cmd_store_fail(ctx, rc, "invitations");
    else if (p->quiet_ms > 0 && st.last_invited_at != KITH_TIME_NONE &&
             llabs(p->send_at - st.last_invited_at) < p->quiet_ms)
        reason = "quiet_period";
    if (!reason) { /* the customer said no to surveys on this channel */
        int allowed = 1;
        const char *why;
        int64_t said;
        rc = kith_store_consent_allowed(ctx->store, cid, "survey", p->channel ? p->channel : "any",
                                        &allowed, &why, &said);
        if (rc < 0) return kith_cmd_store_fail(ctx, rc, "consent");
        if (!allowed) reason = "no_consent";
    }
    char token[2 * TOKEN_BYTES + 1];
    if (!reason && new_token(token) < 0)
        return kith_ctx_fail(ctx, KITH_EIO, NULL, "no random bytes for a token");
    int now = p->send_at <= ctx->now;
    kith_invitation_new n = {.survey_id = p->survey_id,
                             .customer_id = cid,
                             .channel = p->channel,
                             .status = reason ? "suppressed"
                                       : now  ? "sent"
                                              : "pending",
                             .token = reason ? NULL : token,
                             .suppressed_reason = reason,
                             .context = p->context,
                             .send_at = p->send_at,
                             .expires_at = p->expires_at,
                             .created_by = p->by,
                             .now = ctx->now};
    if ((rc = kith_store_invitation_insert(ctx->store, &n, &id)) < 0)
        return kith_cmd_store_fail(ctx, rc, "invitation");
    if (reason) return note_suppressed(ctx, p, cid, reason);
    if (st.last_invited_at == KITH_TIME_NONE || p->send_at > st.last_invited_at) {
        st.last_invited_at = p->send_at;
        if ((rc = kith_store_stats_put(ctx->store, cid, &st)) < 0)
            return kith_cmd_store_fail(ctx, rc, "customer stats");
    }
    cJSON *item = cJSON_CreateObject();
    if (!item || kith_json_add_int(item, "id", id) || kith_json_add_int(item, "customer_id", cid) ||
        kith_json_add_str(item, "token", token) || kith_json_add_str(item, "status", n.status) ||
        kith_json_add_time(item, "send_at", p->send_at)) {
        cJSON_Delete(item);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    cJSON_AddItemToArray(p->invitations, item);
    p->invited++;
    if (!now) return 0;
    rc = record_sent(ctx, p->survey, p->channel, ctx->now);
    return rc ? rc : emit_invitation(ctx, "survey.invited", id, 1);
}

int kith_survey_cmd_send(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t send_at = ctx->now, expires_in = DEFAULT_EXPIRY_MS;
    const char *expiry = kith_json_get_str(params, "expires_in");
    int rc = due_arg(ctx, params, "send_at", &send_at);
    if (!rc && expiry && (kith_time_parse_duration(expiry, &expires_in) < 0 || expires_in <= 0))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "expires_in",
                           "expires_in must be a duration like \"14d\"");
    if (!rc) rc = kith_cmd_check_text(ctx, params, "channel", MAX_CHANNEL, 1);
    if (rc) return rc;
    cJSON *sv = NULL, *ids = NULL;
    if ((rc = kith_survey_load(ctx, kith_json_get_str(params, "survey"), &sv))) return rc;
    const char *status = kith_json_get_str(sv, "status");
    if (strcmp(status, "active") != 0)
        rc = kith_cmd_conflict(ctx, "survey_closed", status,
                               "survey %s is %s; only an active survey sends invitations",
                               kith_json_get_str(sv, "name"), status);
    if (!rc) rc = recipients(ctx, params, &ids);
    char by[KITH_ACTOR_MAX];
    send_plan p = {
        .survey = kith_json_get_str(sv, "name"),
        .survey_id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sv, "id")),
        .send_at = send_at,
        .expires_at = send_at + expires_in,
        .quiet_ms =
            (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sv, "quiet_days")) *
            KITH_DAY_MS,
        .channel = kith_json_get_str(params, "channel"),
        .by = kith_script_actor(ctx, by, sizeof(by)),
        .context = cJSON_GetObjectItemCaseSensitive(params, "context"),
        .invitations = cJSON_CreateArray(),
        .suppressed = cJSON_CreateArray(),
    };
    if (!rc && (!p.invitations || !p.suppressed))
        rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    const cJSON *v;
    cJSON_ArrayForEach(v, ids)
    {
        if (rc) break;
        rc = invite_one(ctx, &p, (int64_t)v->valuedouble);
    }
    cJSON *out = rc ? NULL : cJSON_CreateObject();
    if (!rc && !out) rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if (!rc) {
        kith_json_add_int(out, "invited", p.invited);
        cJSON_AddItemToObject(out, "invitations", p.invitations);
        cJSON_AddItemToObject(out, "suppressed", p.suppressed);
        *result = out;
    } else {
        cJSON_Delete(p.invitations);
        cJSON_Delete(p.suppressed);
    }
    cJSON_Delete(ids);
    cJSON_Delete(sv);
    return rc;
}

int kith_survey_cmd_invitations(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_invitation_filter f = {.status = kith_json_get_str(params, "status")};
    const char *survey = kith_json_get_str(params, "survey");
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more, rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(params, "customer_id"))
        rc = kith_cmd_id_arg(ctx, params, "customer_id", &f.customer_id);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (!rc && survey) {
        cJSON *sv = NULL;
        if (!(rc = kith_survey_load(ctx, survey, &sv)))
            f.survey_id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sv, "id"));
        cJSON_Delete(sv);
    }
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    if ((rc = kith_store_invitation_list(ctx->store, &f, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "invitations");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

int kith_survey_cmd_decline(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *inv = NULL;
    int rc = kith_store_invitation_by_token(ctx->store, kith_json_get_str(params, "token"), &inv);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "token", "no invitation has this token");
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "invitation");
    int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(inv, "id"));
    char status[16];
    snprintf(status, sizeof(status), "%s", kith_json_get_str(inv, "status"));
    cJSON_Delete(inv);
    rc = strcmp(status, "pending") == 0 || strcmp(status, "sent") == 0
             ? kith_store_invitation_move(ctx->store, id, status, "declined", ctx->now)
             : KITH_ENOTFOUND;
    if (rc == KITH_ENOTFOUND)
        return kith_cmd_invalid_transition(ctx, "invitation", id, status, "be declined");
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "invitation");
    if ((rc = emit_invitation(ctx, "survey.declined", id, 0))) return rc;
    rc = kith_store_invitation_get(ctx->store, id, 0, result);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "invitation") : 0;
}

/* One due source's firing: pending -> sent (survey.invited) or sent ->
 * expired (survey.expired), each marked in this request with its event. */
static int fire(kith_ctx *ctx, int expiry, int limit, int *fired)
{
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)(limit > 0 ? limit : 1));
    int n = 0, rc;
    *fired = 0;
    if (!ids) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    rc = kith_store_invitation_due(ctx->store, expiry, ctx->now, limit, ids, &n);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "due invitations");
    for (int i = 0; !rc && i < n; i++) {
        rc = kith_store_invitation_move(ctx->store, ids[i], expiry ? "sent" : "pending",
                                        expiry ? "expired" : "sent", ctx->now);
        if (rc == KITH_ENOTFOUND) {
            rc = 0; /* answered, declined or fired since it was listed */
            continue;
        }
        if (rc < 0) {
            rc = kith_cmd_store_fail(ctx, rc, "invitation");
            break;
        }
        if (!expiry) {
            cJSON *inv = NULL;
            if ((rc = kith_store_invitation_get(ctx->store, ids[i], 0, &inv)) < 0) {
                rc = kith_cmd_store_fail(ctx, rc, "invitation");
                break;
            }
            rc = record_sent(ctx, kith_json_get_str(inv, "survey"),
                             kith_json_get_str(inv, "channel"), ctx->now);
            cJSON_Delete(inv);
        }
        if (!rc)
            rc =
                emit_invitation(ctx, expiry ? "survey.expired" : "survey.invited", ids[i], !expiry);
        if (!rc) ++*fired;
    }
    free(ids);
    return rc;
}

int kith_survey_fire_sends(kith_ctx *ctx, int limit, int *fired)
{
    return fire(ctx, 0, limit, fired);
}

int kith_survey_fire_expiries(kith_ctx *ctx, int limit, int *fired)
{
    return fire(ctx, 1, limit, fired);
}
