/*
 * See visit_ops.h: the visit state machine, planning, saving a change with
 * its stats, rollup and event, the interaction link check and the two due
 * sources.  The commands (cmd_visit*.c) only read params and call these.
 */
#include "commands/visit_ops.h"
#include "commands/commands.h"
#include "script/api_visit.h"
#include "script/script.h"
#include "store/customer.h"
#include "store/rollup.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <stdlib.h>
#include <string.h>

/* The whole state machine (visit_ops.h notes). */
static const struct {
    const char *verb;
    const char *from[4];
    const char *to;
} transitions[] = {
    {"update", {"planned"}, "planned"},
    {"reschedule", {"planned", "missed"}, "planned"},
    {"cancel", {"planned", "missed"}, "cancelled"},
    {"checkin", {"planned"}, "in_progress"},
    {"report", {"planned", "in_progress", "missed"}, "done"},
    {"miss", {"planned"}, "missed"},
};

int kith_visit_transition(kith_ctx *ctx, const cJSON *visit, const char *verb, const char **to)
{
    const char *status = kith_json_get_str(visit, "status");
    int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(visit, "id"));
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
        if (strcmp(transitions[i].verb, verb) != 0) continue;
        for (int k = 0; k < 4 && transitions[i].from[k]; k++)
            if (status && strcmp(status, transitions[i].from[k]) == 0) {
                *to = transitions[i].to;
                return 0;
            }
    }
    return kith_cmd_invalid_transition(ctx, "visit", id, status ? status : "unknown", verb);
}

/* ---- checking a plan ---- */

static int check_str(kith_ctx *ctx, const cJSON *rec, const char *name, size_t max, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);
    if (!v || cJSON_IsNull(v)) {
        if (!required) return 0;
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s is required", name);
    }
    if (!cJSON_IsString(v))
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be a string", name);
    size_t n = strlen(v->valuestring);
    if (n == 0 || strspn(v->valuestring, " \t\r\n") == n)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must not be empty", name);
    if (n > max)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s is longer than %zu bytes", name, max);
    return 0;
}

/* An optional array of at most `maxn` non-empty strings of `max` bytes. */
static int check_strings(kith_ctx *ctx, const cJSON *rec, const char *name, int maxn, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name), *e;
    if (!v || cJSON_IsNull(v)) return 0;
    int ok = cJSON_IsArray(v) && cJSON_GetArraySize(v) <= maxn;
    cJSON_ArrayForEach(e, v) ok =
        ok && cJSON_IsString(e) && e->valuestring[0] && strlen(e->valuestring) <= max;
    return ok ? 0
              : kith_ctx_fail(ctx, KITH_EPARAMS, name,
                              "%s must be a list of at most %d non-empty strings of %zu bytes",
                              name, maxn, max);
}

/* A purpose is a rollup group: a short lowercase name like "sales". */
static int check_purpose(kith_ctx *ctx, const cJSON *rec)
{
    const char *v = kith_json_get_str(rec, "purpose");
    size_t n = v ? strlen(v) : 0;
    int ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_' ||
             v[i] == '-';
    return ok ? 0
              : kith_ctx_fail(ctx, KITH_EPARAMS, "purpose",
                              "purpose must be a lowercase name of 1-64 letters, digits, _ or - "
                              "(relationship, sales, service, collection, ...)");
}

static int check_int(kith_ctx *ctx, const cJSON *rec, const char *name, double lo, double hi)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || !kith_json_is_int(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return kith_ctx_fail(ctx, KITH_EPARAMS, name, "%s must be a whole number from %.0f to %.0f",
                             name, lo, hi);
    return 0;
}

int kith_visit_check_plan(kith_ctx *ctx, const cJSON *rec, const char *at_param)
{
    int64_t at;
    const char *planned = kith_json_get_str(rec, "planned_at");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
    int rc = check_str(ctx, rec, "owner", 64, 1);
    if (!rc) rc = check_purpose(ctx, rec);
    if (!rc && (!planned || kith_time_parse_iso(planned, &at) < 0))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, at_param, "%s must be a time", at_param);
    if (!rc) rc = check_strings(ctx, rec, "goals", 20, 500);
    if (!rc) rc = check_strings(ctx, rec, "participants", 20, 64);
    if (!rc) rc = check_str(ctx, rec, "agenda", 10000, 0);
    if (!rc) rc = check_str(ctx, rec, "contact", 200, 0);
    if (!rc) rc = check_str(ctx, rec, "location", 500, 0);
    if (!rc) rc = check_int(ctx, rec, "duration_min", 1, 7 * 24 * 60);
    if (!rc) rc = check_int(ctx, rec, "ticket_id", 1, 9007199254740992.0);
    if (!rc && attrs && !cJSON_IsNull(attrs) && !cJSON_IsObject(attrs))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "attrs", "attrs must be an object");
    return rc;
}

/* ---- stats, rollups, events ---- */

static int64_t visit_int(const cJSON *v, const char *key)
{
    return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, key));
}

/* Recomputes next_visit_at of customer `cid` and, when completed_at is a
 * time, counts a completed visit then. */
static int keep_stats(kith_ctx *ctx, int64_t cid, int64_t completed_at)
{
    kith_customer_stats st;
    int64_t next;
    int rc = kith_store_stats_get(ctx->store, cid, &st);
    if (rc == KITH_ENOTFOUND)
        kith_stats_init(&st);
    else if (rc < 0)
        return kith_cmd_store_fail(ctx, rc, "customer stats");
    rc = kith_store_visit_next_planned(ctx->store, cid, &next);
    if (rc < 0 && rc != KITH_ENOTFOUND) return kith_cmd_store_fail(ctx, rc, "visits");
    st.next_visit_at = rc == 0 ? next : KITH_TIME_NONE;
    if (completed_at != KITH_TIME_NONE) {
        st.visits_completed++;
        if (st.last_visit_at == KITH_TIME_NONE || completed_at > st.last_visit_at)
            st.last_visit_at = completed_at;
    }
    rc = kith_store_stats_put(ctx->store, cid, &st);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer stats") : 0;
}

int kith_visit_rollup(kith_ctx *ctx, const char *metric, const cJSON *visit, int64_t at, int has_x,
                      double x)
{
    kith_rollup_obs o = {.metric = metric, .at = at, .n = 1, .has_x = has_x, .x = x};
    kith_rollup_dim dims[] = {{"owner", kith_json_get_str(visit, "owner")},
                              {"purpose", kith_json_get_str(visit, "purpose")}};
    int rc = kith_rollup_record(ctx->store, &o, dims, 2);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "visit rollup") : 0;
}

kith_visit_arm kith_visit_arm_for(kith_ctx *ctx, int64_t planned_at)
{
    int64_t lead, grace;
    kith_script_visit_timing(ctx->env->script, &lead, &grace);
    kith_visit_arm arm = {planned_at - lead, planned_at + grace, ctx->now};
    return arm;
}

/* The fields whose change an update or reschedule reports. */
static const char *const tracked[] = {"owner",        "participants", "contact",  "purpose",
                                      "agenda",       "goals",        "location", "planned_at",
                                      "duration_min", "ticket_id",    "attrs",    NULL};

static cJSON *changes_of(const cJSON *old, const cJSON *now)
{
    cJSON *ch = cJSON_CreateObject();
    for (int i = 0; ch && tracked[i]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, tracked[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(now, tracked[i]);
        if (a && b && cJSON_Compare(a, b, 1)) continue;
        cJSON *pair = cJSON_CreateObject();
        cJSON_AddItemToObject(pair, "old", a ? cJSON_Duplicate(a, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(pair, "new", b ? cJSON_Duplicate(b, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(ch, tracked[i], pair);
    }
    return ch;
}

/* Emits `channel` about `visit` and reads it again after the after hooks,
 * which may have changed it (as task.create does).  Takes *v (owned) and
 * may replace it. */
static int emit_visit(kith_ctx *ctx, const char *channel, cJSON **v, const cJSON *customer,
                      cJSON *changes)
{
    int64_t id = visit_int(*v, "id"), cid = visit_int(*v, "customer_id");
    cJSON *data = cJSON_CreateObject();
    if (!data) {
        cJSON_Delete(changes);
        return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    }
    cJSON_AddItemReferenceToObject(data, "visit", *v);
    if (customer) cJSON_AddItemReferenceToObject(data, "customer", (cJSON *)customer);
    if (changes) cJSON_AddItemToObject(data, "changes", changes);
    int rc = kith_cmd_emit(ctx, channel, cid, data);
    cJSON_Delete(data);
    if (rc || !ctx->env->script) return rc;
    cJSON *again = NULL;
    if ((rc = kith_store_visit_get(ctx->store, id, &again)) == KITH_ENOTFOUND) return 0;
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "visit");
    cJSON_Delete(*v);
    *v = again;
    return 0;
}

int kith_visit_load(kith_ctx *ctx, int64_t id, cJSON **visit, cJSON **customer)
{
    *visit = *customer = NULL;
    int rc = kith_store_visit_get(ctx->store, id, visit);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "visit");
    rc = kith_store_customer_get(ctx->store, visit_int(*visit, "customer_id"), customer);
    if (rc < 0) {
        cJSON_Delete(*visit);
        *visit = NULL;
        return kith_cmd_store_fail(ctx, rc, "customer");
    }
    return 0;
}

int kith_visit_save(kith_ctx *ctx, const cJSON *old, const cJSON *rec, const cJSON *customer,
                    const kith_visit_arm *arm, const char *channel, int with_changes,
                    int64_t completed_at, cJSON **out)
{
    int64_t id = visit_int(old, "id"), cid = visit_int(old, "customer_id");
    const char *status = kith_json_get_str(old, "status");
    cJSON *v = NULL;
    int rc = kith_store_visit_put(ctx->store, id, status, rec, ctx->now, arm, &v);
    if (rc == KITH_ECONFLICT) {
        /* Moved on within this request (a rule's hook): refuse like any
         * other transition from where it now stands. */
        cJSON *now = NULL;
        kith_store_visit_get(ctx->store, id, &now);
        const char *cur = now ? kith_json_get_str(now, "status") : NULL;
        kith_cmd_invalid_transition(ctx, "visit", id, cur ? cur : "changed", "change");
        cJSON_Delete(now);
        return KITH_ECONFLICT;
    }
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "visit");
    rc = keep_stats(ctx, cid, completed_at);
    if (!rc) rc = emit_visit(ctx, channel, &v, customer, with_changes ? changes_of(old, v) : NULL);
    if (rc) {
        cJSON_Delete(v);
        return rc;
    }
    *out = v;
    return 0;
}

int kith_visit_plan(kith_ctx *ctx, cJSON **rec, const char *created_by, cJSON **visit)
{
    *visit = NULL;
    int64_t cid = visit_int(*rec, "customer_id"), planned_at;
    int rc = kith_visit_check_plan(ctx, *rec, "at");
    if (rc) return rc;
    cJSON *customer = NULL, *context = cJSON_CreateObject();
    if ((rc = kith_store_customer_get(ctx->store, cid, &customer)) < 0) {
        cJSON_Delete(context);
        return kith_cmd_store_fail(ctx, rc, "customer");
    }
    cJSON_AddItemReferenceToObject(context, "customer", customer);
    rc = kith_cmd_before(ctx, "visit.planned", "visit", rec, context);
    cJSON_Delete(context);
    /* Check again what the hooks may have changed; the customer is fixed. */
    if (!rc && visit_int(*rec, "customer_id") != cid)
        rc = kith_ctx_fail(ctx, KITH_ESCRIPT, "customer_id",
                           "a rule changed the visit's customer; plan a new visit instead");
    if (!rc) rc = kith_visit_check_plan(ctx, *rec, "at");
    cJSON *v = NULL;
    if (!rc) {
        kith_time_parse_iso(kith_json_get_str(*rec, "planned_at"), &planned_at);
        kith_visit_arm arm = kith_visit_arm_for(ctx, planned_at);
        rc = kith_store_visit_insert(ctx->store, *rec, created_by, ctx->now, &arm, &v);
        if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "visit");
    }
    if (!rc) rc = keep_stats(ctx, cid, KITH_TIME_NONE);
    if (!rc) rc = kith_visit_rollup(ctx, "visit.planned", v, ctx->now, 0, 0);
    if (!rc) rc = emit_visit(ctx, "visit.planned", &v, customer, NULL);
    cJSON_Delete(customer);
    if (rc) {
        cJSON_Delete(v);
        return rc;
    }
    *visit = v;
    return 0;
}

int kith_visit_check_link(kith_ctx *ctx, const cJSON *interaction, int64_t customer_id)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(interaction, "visit_id");
    if (!cJSON_IsNumber(id)) return 0;
    cJSON *v = NULL;
    int rc = kith_store_visit_get(ctx->store, (int64_t)id->valuedouble, &v);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, KITH_ENOTFOUND, "visit_id", "visit %lld not found",
                             (long long)id->valuedouble);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "visit");
    int other = visit_int(v, "customer_id") != customer_id;
    cJSON_Delete(v);
    if (other)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "visit_id",
                             "visit %lld is another customer's visit", (long long)id->valuedouble);
    return 0;
}

/* ---- due sources ---- */

int kith_visit_next_reminder(kith_store *s, int64_t *at)
{
    return kith_store_visit_next_due(s, KITH_VISIT_REMIND, at);
}

int kith_visit_next_miss(kith_store *s, int64_t *at)
{
    return kith_store_visit_next_due(s, KITH_VISIT_MISS, at);
}

/* Fires one visit's due time of `kind` (marked in this request, note 3 of
 * store/visit.h); *fired is 1 unless it was handled meanwhile. */
static int fire_one(kith_ctx *ctx, int kind, int64_t id, int *fired)
{
    *fired = 0;
    int rc = kith_store_visit_mark_fired(ctx->store, kind, id, ctx->now);
    if (rc == KITH_ENOTFOUND) return 0;
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "visit");
    cJSON *v = NULL, *customer = NULL;
    if ((rc = kith_visit_load(ctx, id, &v, &customer))) return rc;
    if (kind == KITH_VISIT_MISS) {
        rc = keep_stats(ctx, visit_int(v, "customer_id"), KITH_TIME_NONE);
        if (!rc) rc = kith_visit_rollup(ctx, "visit.missed", v, ctx->now, 0, 0);
    }
    if (!rc)
        rc = emit_visit(ctx, kind == KITH_VISIT_MISS ? "visit.missed" : "visit.upcoming", &v,
                        customer, NULL);
    *fired = rc == 0;
    cJSON_Delete(v);
    cJSON_Delete(customer);
    return rc;
}

static int fire_due(kith_ctx *ctx, int kind, int limit, int *fired)
{
    *fired = 0;
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)(limit > 0 ? limit : 1));
    int n = 0;
    if (!ids) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    int rc = kith_store_visit_due(ctx->store, kind, ctx->now, limit, ids, &n);
    if (rc < 0) rc = kith_cmd_store_fail(ctx, rc, "due visits");
    for (int i = 0; !rc && i < n; i++) {
        int one;
        rc = fire_one(ctx, kind, ids[i], &one);
        *fired += one;
    }
    free(ids);
    /* Fewer than limit means none is left (due.h): a visit skipped because
     * it moved on still counts as handled. */
    if (!rc && n == limit && *fired < limit) *fired = limit;
    return rc;
}

int kith_visit_fire_reminders(kith_ctx *ctx, int limit, int *fired)
{
    return fire_due(ctx, KITH_VISIT_REMIND, limit, fired);
}

int kith_visit_fire_misses(kith_ctx *ctx, int limit, int *fired)
{
    return fire_due(ctx, KITH_VISIT_MISS, limit, fired);
}
