/*
 * campaign.create / get / update / list, and the campaign's states:
 * campaign.launch, campaign.complete, campaign.cancel and campaign.move
 * {id, to}, all checked against one transition table (moves[] below).
 *
 * campaign.launch freezes the audience: the segment's members at that
 * instant, each drawn into the treated or the control group by the seeded
 * hash of campaign_ops.h note 1, are written as pending members in the
 * launch's own request (about 0.3 s for 100,000 members on the reference
 * machine; README "Campaigns and uplift").  Consent, the before hooks and
 * the touches (campaign.member_added) follow in slices of
 * KITH_CAMPAIGN_SLICE members, each its own committed request, from the
 * due source (campaign_members.c), so a large audience never holds the
 * loop for long and a crash resumes where the last slice committed.
 */
#include "commands/campaign_ops.h"
#include "commands/commands.h"
#include "script/script.h"
#include "store/campaign.h"
#include "store/rollup.h"
#include "store/rules.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define DEFAULT_CONTROL_PCT 0.1
#define DEFAULT_WINDOW_MS   (30 * KITH_DAY_MS)
#define MAX_SEED            9007199254740991LL /* 2^53 - 1: exact in JSON */

static const char *const kinds[] = {"email",    "sms",     "wechat",      "event",
                                    "social",   "ads",     "direct_mail", "promotion",
                                    "win_back", "nurture", NULL};
static const char *const channels[] = {"email", "sms", "phone", "wechat", "mail", NULL};
static const char *const statuses[] = {"draft", "active", "completed", "cancelled", NULL};

/* The campaign state machine: every allowed move, once. */
static const struct {
    const char *from, *to, *verb, *event;
} moves[] = {
    {"draft", "active", "launch", "campaign.launched"},
    {"draft", "cancelled", "cancel", "campaign.cancelled"},
    {"active", "completed", "complete", "campaign.completed"},
    {"active", "cancelled", "cancel", "campaign.cancelled"},
};
#define NMOVES ((int)(sizeof(moves) / sizeof(moves[0])))

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

int kith_campaign_in_control(int64_t seed, int64_t customer_id, double control_pct)
{
    uint64_t h = splitmix64((uint64_t)seed ^ (uint64_t)customer_id);
    return (double)(h >> 11) * 0x1p-53 < control_pct;
}

int kith_campaign_load(kith_ctx *ctx, const cJSON *params, int64_t *id, cJSON **rec)
{
    const char *name = kith_json_get_str(params, "name");
    int rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(params, "id"))
        rc = kith_cmd_id_arg(ctx, params, "id", id);
    else if (!name)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "id", "give the campaign's id or name");
    else if ((rc = kith_store_campaign_find(ctx->store, name, id)) == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "name", "campaign '%s' not found", name);
    else if (rc < 0)
        return kith_cmd_store_fail(ctx, rc, "campaign");
    if (rc) return rc;
    rc = kith_store_campaign_get(ctx->store, *id, rec);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "id", "campaign %lld not found", (long long)*id);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "campaign") : 0;
}

/* Reads an optional money param into cents (-1 when absent). */
static int money_arg(kith_ctx *ctx, const cJSON *params, const char *name, int64_t *cents)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || kith_money_from_double(v->valuedouble, cents) < 0 || *cents < 0)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name,
                             "%s must be a non-negative amount with at most 2 decimals", name);
    return 0;
}

/* The draw's parameters and the window, checked wherever they are set. */
static int check_design(kith_ctx *ctx, const cJSON *p, double *pct, int64_t *seed,
                        int64_t *window_ms)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "control_pct");
    if (cJSON_IsNumber(v)) {
        if (!(v->valuedouble >= 0 && v->valuedouble <= 0.5))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "control_pct",
                                 "control_pct must be between 0 and 0.5");
        *pct = v->valuedouble;
    }
    v = cJSON_GetObjectItemCaseSensitive(p, "seed");
    if (cJSON_IsNumber(v)) {
        if (!(v->valuedouble >= 0 && v->valuedouble <= (double)MAX_SEED) ||
            !kith_json_is_int(v->valuedouble))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "seed",
                                 "seed must be an integer between 0 and 2^53 - 1");
        *seed = (int64_t)v->valuedouble;
    }
    const char *w = kith_json_get_str(p, "attribution_window");
    if (w && (kith_time_parse_duration(w, window_ms) < 0 || *window_ms <= 0 ||
              *window_ms > 3650 * KITH_DAY_MS))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "attribution_window",
                             "attribution_window must be a duration like \"30d\" (at most 10 "
                             "years)");
    int rc = kith_cmd_check_enum(ctx, p, "kind", kinds, 0);
    if (!rc) rc = kith_cmd_check_enum(ctx, p, "channel", channels, 0);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "owner", 64, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "description", 4000, 0);
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(p, "attrs");
    if (!rc && attrs && !cJSON_IsNull(attrs) && !cJSON_IsObject(attrs))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "attrs", "attrs must be an object");
    return rc;
}

static int segment_arg(kith_ctx *ctx, const char *segment)
{
    if (!kith_store_segment_exists(ctx->store, segment))
        return kith_ctx_fail(ctx, KITH_ENOTFOUND, "segment", "segment '%s' not found", segment);
    return 0;
}

static int random_seed(int64_t *seed)
{
    uint64_t raw;
    if (getrandom(&raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) return KITH_EIO;
    *seed = (int64_t)(raw & (uint64_t)MAX_SEED);
    return 0;
}

static int campaign_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    char by[KITH_ACTOR_MAX];
    kith_campaign_new c = {
        .name = kith_json_get_str(params, "name"),
        .segment = kith_json_get_str(params, "segment"),
        .kind = kith_json_get_str(params, "kind"),
        .channel = kith_json_get_str(params, "channel"),
        .owner = kith_json_get_str(params, "owner"),
        .description = kith_json_get_str(params, "description"),
        .attrs = cJSON_GetObjectItemCaseSensitive(params, "attrs"),
        .by = kith_script_actor(ctx, by, sizeof(by)),
        .control_pct = DEFAULT_CONTROL_PCT,
        .seed = -1,
        .window_ms = DEFAULT_WINDOW_MS,
        .ends_at = KITH_TIME_NONE,
        .budget_cents = -1,
        .cost_cents = -1,
        .now = ctx->now,
    };
    int rc = kith_cmd_check_text(ctx, params, "name", 200, 1);
    if (!rc) rc = check_design(ctx, params, &c.control_pct, &c.seed, &c.window_ms);
    if (!rc) rc = money_arg(ctx, params, "budget", &c.budget_cents);
    if (!rc) rc = money_arg(ctx, params, "cost", &c.cost_cents);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "ends_at", &c.ends_at);
    if (!rc) rc = segment_arg(ctx, c.segment);
    if (rc) return rc;
    if (!c.kind) c.kind = "email";
    if (!c.channel)
        c.channel = strcmp(c.kind, "sms") == 0 || strcmp(c.kind, "wechat") == 0 ? c.kind : "email";
    if (c.seed < 0 && random_seed(&c.seed) < 0)
        return kith_ctx_fail(ctx, KITH_EIO, NULL, "no random bytes for a seed");
    int64_t id;
    rc = kith_store_campaign_insert(ctx->store, &c, &id);
    if (rc == KITH_ECONFLICT)
        return kith_cmd_conflict(ctx, "name_taken", NULL, "a campaign named '%s' exists", c.name);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "campaign");
    cJSON *rec = NULL;
    if ((rc = kith_store_campaign_get(ctx->store, id, &rec)) < 0)
        return kith_cmd_store_fail(ctx, rc, "campaign");
    if ((rc = kith_cmd_emit_record(ctx, "campaign.created", 0, "campaign", rec, NULL))) {
        cJSON_Delete(rec);
        return rc;
    }
    *result = rec;
    return 0;
}

/* Adds `audience` to a campaign record from the member counts `t`:
 * {members, drawn: {treated, control}, treated, control, excluded,
 * pending}, where treated and control count settled members only. */
static int add_audience(kith_ctx *ctx, const kith_campaign_tally *t, cJSON *rec)
{
    cJSON *a = cJSON_AddObjectToObject(rec, "audience");
    cJSON *drawn = a ? cJSON_AddObjectToObject(a, "drawn") : NULL;
    if (!drawn ||
        kith_json_add_int(a, "members",
                          t->treated.members + t->control.members + t->excluded + t->pending) ||
        kith_json_add_int(drawn, "treated", t->drawn_treated) ||
        kith_json_add_int(drawn, "control", t->drawn_control) ||
        kith_json_add_int(a, "treated", t->treated.members) ||
        kith_json_add_int(a, "control", t->control.members) ||
        kith_json_add_int(a, "excluded", t->excluded) ||
        kith_json_add_int(a, "pending", t->pending))
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    return 0;
}

/* The same, counted from the members (one aggregate over them). */
static int add_counted_audience(kith_ctx *ctx, int64_t id, cJSON *rec)
{
    kith_campaign_tally t;
    int rc = kith_store_campaign_tally(ctx->store, id, &t);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "campaign members") : add_audience(ctx, &t, rec);
}

static int campaign_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    cJSON *rec = NULL;
    int rc = kith_campaign_load(ctx, params, &id, &rec);
    if (!rc) rc = add_counted_audience(ctx, id, rec);
    if (rc) {
        cJSON_Delete(rec);
        return rc;
    }
    *result = rec;
    return 0;
}

/* What campaign.update may change, and which of it only in a draft (the
 * design of an experiment is fixed once it runs). */
static const struct {
    const char *name;
    int draft_only;
} updatable[] = {
    {"kind", 1},   {"channel", 1}, {"segment", 1}, {"control_pct", 1}, {"seed", 1},  {"ends_at", 0},
    {"budget", 0}, {"cost", 0},    {"owner", 0},   {"description", 0}, {"attrs", 0},
};
#define NUPDATABLE ((int)(sizeof(updatable) / sizeof(updatable[0])))

/* Merges `attrs` into rec's attrs: a key set to null is removed. */
static int merge_attrs(kith_ctx *ctx, cJSON *rec, const cJSON *attrs)
{
    cJSON *into = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
    if (!cJSON_IsObject(into)) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "attrs");
        if (!(into = cJSON_AddObjectToObject(rec, "attrs")))
            return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, attrs)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(into, v->string);
        if (cJSON_IsNull(v)) continue;
        cJSON *copy = cJSON_Duplicate(v, 1);
        if (!copy) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
        cJSON_AddItemToObject(into, v->string, copy);
    }
    return 0;
}

static int campaign_update(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id, cents = -1, ends_at = KITH_TIME_NONE, window = 0, seed = 0;
    double pct = 0;
    cJSON *rec = NULL;
    int rc = kith_campaign_load(ctx, params, &id, &rec);
    if (rc) return rc;
    const char *status = kith_json_get_str(rec, "status");
    int draft = strcmp(status, "draft") == 0;
    rc = check_design(ctx, params, &pct, &seed, &window);
    if (!rc) rc = money_arg(ctx, params, "budget", &cents);
    if (!rc) rc = money_arg(ctx, params, "cost", &cents);
    if (!rc) rc = kith_cmd_time_arg(ctx, params, "ends_at", &ends_at);
    if (!rc && kith_json_get_str(params, "segment"))
        rc = segment_arg(ctx, kith_json_get_str(params, "segment"));
    if (!rc && !draft && cJSON_GetObjectItemCaseSensitive(params, "attribution_window"))
        rc = kith_cmd_invalid_transition(ctx, "campaign", id, status, "change its design");
    for (int i = 0; !rc && i < NUPDATABLE; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, updatable[i].name);
        if (!v) continue;
        if (updatable[i].draft_only && !draft) {
            rc = kith_cmd_invalid_transition(ctx, "campaign", id, status, "change its design");
            break;
        }
        if (strcmp(updatable[i].name, "attrs") == 0) {
            rc = merge_attrs(ctx, rec, v);
            continue;
        }
        cJSON *copy = cJSON_Duplicate(v, 1);
        if (!copy || !cJSON_ReplaceItemInObjectCaseSensitive(rec, updatable[i].name, copy)) {
            cJSON_Delete(copy);
            rc = kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
        }
    }
    if (!rc && window) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "attribution_window_ms");
        rc = kith_json_add_int(rec, "attribution_window_ms", window);
    }
    if (!rc && (rc = kith_store_campaign_update(ctx->store, id, rec, ctx->now)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "campaign");
    cJSON_Delete(rec);
    rec = NULL;
    if (!rc && (rc = kith_store_campaign_get(ctx->store, id, &rec)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "campaign");
    if (!rc) rc = kith_cmd_emit_record(ctx, "campaign.updated", 0, "campaign", rec, NULL);
    if (rc) {
        cJSON_Delete(rec);
        return rc;
    }
    *result = rec;
    return 0;
}

static int campaign_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_check_enum(ctx, params, "status", statuses, 0);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if (!items) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    rc = kith_store_campaign_list(ctx->store, kith_json_get_str(params, "status"), limit, after,
                                  items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "campaigns");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

/* Freezes the audience of campaign `id` (launched now): every member of
 * its segment at this instant, drawn into a group, pending.  *t gets the
 * counts (a launch's reply shows them without counting the rows again). */
static int freeze_audience(kith_ctx *ctx, int64_t id, const cJSON *rec, kith_campaign_tally *t)
{
    int64_t *ids = NULL,
            seed = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "seed"));
    size_t n = 0;
    double pct = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "control_pct"));
    int64_t until = ctx->now + (int64_t)cJSON_GetNumberValue(
                                   cJSON_GetObjectItemCaseSensitive(rec, "attribution_window_ms"));
    int rc =
        kith_store_campaign_segment_ids(ctx->store, kith_json_get_str(rec, "segment"), &ids, &n);
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int control = kith_campaign_in_control(seed, ids[i], pct);
        ++*(control ? &t->drawn_control : &t->drawn_treated);
        rc = kith_store_campaign_member_add(ctx->store, id, ids[i], control ? "control" : "treated",
                                            ctx->now, until);
    }
    t->pending = (int64_t)n;
    free(ids);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "campaign audience") : 0;
}

/* Moves campaign `id` to `to` through the transition table; a launch also
 * freezes the audience, a cancel drops the members not yet settled.
 * Returns 0 with the campaign as it now is in *result, or a failure. */
static int move_to(kith_ctx *ctx, int64_t id, cJSON *rec, const char *to, cJSON **result)
{
    char status[16];
    snprintf(status, sizeof(status), "%s", kith_json_get_str(rec, "status"));
    int m = 0;
    while (m < NMOVES && !(strcmp(moves[m].from, status) == 0 && strcmp(moves[m].to, to) == 0))
        m++;
    if (m == NMOVES) {
        int v = 0; /* name the verb the caller meant, for the message */
        while (v < NMOVES && strcmp(moves[v].to, to) != 0)
            v++;
        return kith_cmd_invalid_transition(ctx, "campaign", id, status,
                                           v < NMOVES ? moves[v].verb : to);
    }
    int launch = strcmp(to, "active") == 0, rc = 0;
    if (launch) rc = segment_arg(ctx, kith_json_get_str(rec, "segment"));
    if (!rc && (rc = kith_store_campaign_move(ctx->store, id, status, to, ctx->now)) < 0)
        rc = rc == KITH_ENOTFOUND
                 ? kith_cmd_invalid_transition(ctx, "campaign", id, status, moves[m].verb)
                 : kith_cmd_store_fail(ctx, rc, "campaign");
    kith_campaign_tally frozen;
    if (!rc && launch) rc = freeze_audience(ctx, id, rec, &frozen);
    int64_t dropped = 0;
    if (!rc && strcmp(to, "cancelled") == 0 &&
        (rc = kith_store_campaign_drop_pending(ctx->store, id, "cancelled", &dropped)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "campaign members");
    cJSON *now = NULL;
    if (!rc && (rc = kith_store_campaign_get(ctx->store, id, &now)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "campaign");
    if (!rc) rc = launch ? add_audience(ctx, &frozen, now) : add_counted_audience(ctx, id, now);
    if (!rc) rc = kith_cmd_emit_record(ctx, moves[m].event, 0, "campaign", now, NULL);
    if (rc) {
        cJSON_Delete(now);
        return rc;
    }
    *result = now;
    return 0;
}

static int campaign_move(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *verb = ctx->cmd ? ctx->cmd->name + strlen("campaign.") : "move";
    const char *to = strcmp(verb, "launch") == 0     ? "active"
                     : strcmp(verb, "complete") == 0 ? "completed"
                     : strcmp(verb, "cancel") == 0   ? "cancelled"
                                                     : kith_json_get_str(params, "to");
    int64_t id;
    cJSON *rec = NULL;
    int rc = kith_cmd_check_enum(ctx, params, "to", statuses, 0);
    if (!rc && !to) rc = kith_ctx_fail(ctx, KITH_EPARAMS, "to", "to is required");
    if (!rc) rc = kith_campaign_load(ctx, params, &id, &rec);
    if (!rc) rc = move_to(ctx, id, rec, to, result);
    cJSON_Delete(rec);
    return rc;
}

#define ID_PARAMS                                                                                  \
    {"id", KITH_T_INT, 0, "campaign id"},                                                          \
    {                                                                                              \
        "name", KITH_T_STRING, 0, "or the campaign's name"                                         \
    }

static const kith_param create_params[] = {
    {"name", KITH_T_STRING, 1, "unique name"},
    {"segment", KITH_T_STRING, 1, "the audience: this segment's members at launch"},
    {"control_pct", KITH_T_NUMBER, 0, "share held out as control, 0..0.5 (default 0.1)"},
    {"seed", KITH_T_INT, 0, "seed of the control split, 0..2^53-1 (default random)"},
    {"kind", KITH_T_STRING, 0, "email, sms, wechat, event, social, ads, direct_mail, ... "},
    {"channel", KITH_T_STRING, 0, "email, sms, phone, wechat or mail: whose consent counts"},
    {"attribution_window", KITH_T_STRING, 0, "orders this long after launch count (\"30d\")"},
    {"ends_at", KITH_T_TIME, 0, "planned end"},
    {"budget", KITH_T_NUMBER, 0, "budget in major units"},
    {"cost", KITH_T_NUMBER, 0, "cost so far, for roi"},
    {"owner", KITH_T_STRING, 0, "who runs it"},
    {"description", KITH_T_STRING, 0, "free text"},
    {"attrs", KITH_T_OBJECT, 0, "your fields"},
    {NULL},
};
static const kith_param id_params[] = {ID_PARAMS, {NULL}};
static const kith_param update_params[] = {
    ID_PARAMS,
    {"kind", KITH_T_STRING, 0, "draft only"},
    {"channel", KITH_T_STRING, 0, "draft only"},
    {"segment", KITH_T_STRING, 0, "draft only"},
    {"control_pct", KITH_T_NUMBER, 0, "draft only"},
    {"seed", KITH_T_INT, 0, "draft only"},
    {"attribution_window", KITH_T_STRING, 0, "draft only"},
    {"ends_at", KITH_T_TIME, 0, "planned end"},
    {"budget", KITH_T_NUMBER, 0, "budget"},
    {"cost", KITH_T_NUMBER, 0, "cost so far"},
    {"owner", KITH_T_STRING, 0, "who runs it"},
    {"description", KITH_T_STRING, 0, "free text"},
    {"attrs", KITH_T_OBJECT, 0, "merged into the campaign's attrs; a null removes a key"},
    {NULL},
};
static const kith_param list_params[] = {
    {"status", KITH_T_STRING, 0, "draft, active, completed or cancelled"},
    KITH_LIST_PARAMS,
    {NULL},
};
static const kith_param move_params[] = {
    ID_PARAMS,
    {"to", KITH_T_STRING, 1, "active (a launch), completed or cancelled"},
    {NULL},
};

const kith_command kith_cmd_campaign[] = {
    {"campaign.create", campaign_create, create_params, KITH_CMD_WRITE | KITH_CMD_ADMIN,
     KITH_ROLE_ADMIN, "Define a campaign with a randomised control group (a draft)",
     "the campaign, status draft"},
    {"campaign.get", campaign_get, id_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A campaign with its audience counts", "the campaign with audience"},
    {"campaign.update", campaign_update, update_params, KITH_CMD_WRITE | KITH_CMD_ADMIN,
     KITH_ROLE_ADMIN, "Change a campaign (its design only while a draft)", "the campaign"},
    {"campaign.list", campaign_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Campaigns, newest first", "{items: [campaign], next_cursor}"},
    {"campaign.launch", campaign_move, id_params, KITH_CMD_WRITE | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Freeze the audience, draw the control group and start the touches",
     "the campaign, status active, with audience"},
    {"campaign.complete", campaign_move, id_params, KITH_CMD_WRITE | KITH_CMD_ADMIN,
     KITH_ROLE_ADMIN, "End an active campaign (orders in the window still count)",
     "the campaign, status completed"},
    {"campaign.cancel", campaign_move, id_params, KITH_CMD_WRITE | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Cancel a campaign; members not yet touched are excluded", "the campaign, status cancelled"},
    {"campaign.move", campaign_move, move_params, KITH_CMD_WRITE | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Move a campaign to a status through the transition table", "the campaign"},
    {NULL},
};
