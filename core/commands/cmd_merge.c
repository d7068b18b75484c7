/*
 * customer.merge {into, from: [ids], prefer?} (admin): the losers' whole
 * history moves to the survivor in one request (store/merge.h), so the
 * survivor ends as one customer who did all of it: stats combined, points
 * added up and the tier recomputed, segments and churn re-evaluated when
 * the request settles, tags unioned, attrs merged (the survivor's win
 * unless prefer says "from"), the other fields kept or, where the survivor
 * has none, taken from a loser; each loser's external_id becomes an
 * identity {source: "external_id", key}.  crm.before("customer.merged")
 * sees the survivor and the losers and may veto.  One customer.merged
 * {customer, merged} event.  A merged id answers -32004 with
 * data.merged_into afterwards (cmd_customer.c).
 */
#include "commands/commands.h"
#include "commands/customer_ops.h"
#include "commands/loyalty_ops.h"
#include "store/customer.h"
#include "store/identity.h"
#include "store/merge.h"
#include "util/error.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

#define MAX_FROM 10

/* The fields a survivor keeps, or takes from a loser when it has none. */
static const char *const fields[] = {"name",  "email", "phone",      "company",
                                     "owner", "stage", "company_id", NULL};

static int read_args(kith_ctx *ctx, const cJSON *params, int64_t *into, int64_t *from, int *n)
{
    int rc = kith_cmd_id_arg(ctx, params, "into", into);
    if (rc) return rc;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(params, "from"), *v;
    *n = 0;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > MAX_FROM)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "from", "from must be 1 to %d customer ids",
                             MAX_FROM);
    cJSON_ArrayForEach(v, list)
    {
        int64_t id = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
        if (id < 1 || (double)id != v->valuedouble)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "from", "from must hold customer ids");
        if (id == *into)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "from",
                                 "a customer cannot be merged into "
                                 "itself");
        for (int i = 0; i < *n; i++)
            if (from[i] == id)
                return kith_ctx_fail(ctx, KITH_EPARAMS, "from", "customer %lld is named twice",
                                     (long long)id);
        from[(*n)++] = id;
    }
    const cJSON *prefer = cJSON_GetObjectItemCaseSensitive(params, "prefer"), *p;
    cJSON_ArrayForEach(p, prefer)
    {
        if (!cJSON_IsString(p) ||
            (strcmp(p->valuestring, "into") && strcmp(p->valuestring, "from")))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "prefer",
                                 "prefer maps a field to \"into\" or \"from\"");
    }
    return 0;
}

static int load(kith_ctx *ctx, int64_t id, const char *param, cJSON **out)
{
    int rc = kith_store_customer_get(ctx->store, id, out);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, param, "customer %lld not found", (long long)id);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer") : 0;
}

static int prefers_from(const cJSON *params, const char *field)
{
    const cJSON *p =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(params, "prefer"), field);
    return cJSON_IsString(p) && strcmp(p->valuestring, "from") == 0;
}

static int present(const cJSON *v)
{
    return v && !cJSON_IsNull(v);
}

/* The survivor's new fields: the union of tags, attrs merged, and each
 * field the survivor lacks (or that `prefer` gives to the losers) from the
 * first loser that has it. */
static cJSON *merged_fields(const cJSON *params, const cJSON *survivor, const cJSON *losers)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *tags = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(survivor, "tags"), 1);
    if (!cJSON_IsArray(tags)) {
        cJSON_Delete(tags);
        tags = cJSON_CreateArray();
    }
    cJSON *attrs = cJSON_CreateObject();
    int from_wins = prefers_from(params, "attrs");
    const cJSON *l, *t, *a;
    /* Attrs: overlay the records in order of precedence, lowest first: the
     * losers (the first listed highest among them) then the survivor, or
     * with prefer {attrs: "from"} the survivor then the losers. */
    const cJSON *order[MAX_FROM + 1];
    int n = 0, nl = cJSON_GetArraySize(losers);
    if (from_wins) order[n++] = survivor;
    for (int i = nl - 1; i >= 0; i--)
        order[n++] = cJSON_GetArrayItem(losers, i);
    if (!from_wins) order[n++] = survivor;
    for (int i = 0; i < n; i++)
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(order[i], "attrs"))
        {
            cJSON_DeleteItemFromObjectCaseSensitive(attrs, a->string);
            cJSON_AddItemToObject(attrs, a->string, cJSON_Duplicate(a, 1));
        }
    for (l = losers ? losers->child : NULL; l; l = l->next)
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(l, "tags"))
        {
            int seen = 0;
            const cJSON *u;
            cJSON_ArrayForEach(u, tags) if (strcmp(u->valuestring, t->valuestring) == 0) seen = 1;
            if (!seen) cJSON_AddItemToArray(tags, cJSON_CreateString(t->valuestring));
        }
    cJSON_AddItemToObject(out, "tags", tags);
    cJSON_AddItemToObject(out, "attrs", attrs);
    for (int i = 0; fields[i]; i++) {
        const cJSON *mine = cJSON_GetObjectItemCaseSensitive(survivor, fields[i]);
        if (present(mine) && !prefers_from(params, fields[i])) continue;
        for (l = losers ? losers->child : NULL; l; l = l->next) {
            const cJSON *theirs = cJSON_GetObjectItemCaseSensitive(l, fields[i]);
            if (present(theirs)) {
                cJSON_AddItemToObject(out, fields[i], cJSON_Duplicate(theirs, 1));
                break;
            }
        }
    }
    return out;
}

static int customer_merge(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t into = 0, from[MAX_FROM];
    int n = 0, rc = read_args(ctx, params, &into, from, &n);
    cJSON *survivor = NULL, *losers = cJSON_CreateArray(), *loser;
    if (!rc) rc = load(ctx, into, "into", &survivor);
    for (int i = 0; i < n && !rc; i++) {
        rc = load(ctx, from[i], "from", &loser);
        if (!rc) cJSON_AddItemToArray(losers, loser);
    }
    cJSON *ids = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)from[i]));
    if (!rc) { /* the veto: the survivor and the losers, as they are */
        cJSON *context = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(context, "merged", ids);
        cJSON_AddItemReferenceToObject(context, "from", losers);
        cJSON *rec = cJSON_Duplicate(survivor, 1);
        rc = kith_cmd_before(ctx, "customer.merged", "customer", &rec, context);
        cJSON_Delete(rec);
        cJSON_Delete(context);
    }
    cJSON *update = rc ? NULL : merged_fields(params, survivor, losers);
    for (int i = 0; i < n && !rc; i++) {
        const char *ext = kith_json_get_str(cJSON_GetArrayItem(losers, i), "external_id");
        rc = kith_store_customer_merge(ctx->store, into, from[i], ctx->now);
        if (!rc && ext)
            rc = kith_store_identity_add(ctx->store, into, "external_id", ext, ctx->now);
        if (rc < 0 && !ctx->err->code) rc = kith_cmd_store_fail(ctx, rc, "merge");
    }
    cJSON *c = NULL;
    if (!rc) rc = kith_customer_update_rec(ctx, into, update, 0, &c, NULL);
    if (!rc) rc = kith_loyalty_update_tier(ctx, into, c);
    if (!rc) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(data, "customer", c);
        cJSON_AddItemReferenceToObject(data, "merged", ids);
        rc = kith_cmd_emit(ctx, "customer.merged", into, data);
        cJSON_Delete(data);
    }
    cJSON_Delete(update);
    cJSON_Delete(survivor);
    cJSON_Delete(losers);
    cJSON_Delete(ids);
    if (rc) {
        cJSON_Delete(c);
        return rc;
    }
    *result = c;
    return 0;
}

static const kith_param merge_params[] = {
    {"into", KITH_T_INT, 1, "the surviving customer"},
    {"from", KITH_T_ARRAY, 1, "the customers merged into it (1-10 ids); they are deleted"},
    {"prefer", KITH_T_OBJECT, 0,
     "{field: \"into\" | \"from\"}: whose value wins (default: the survivor's when it has one)"},
    {NULL},
};

const kith_command kith_cmd_merge[] = {
    {"customer.merge", customer_merge, merge_params, KITH_CMD_WRITE, KITH_ROLE_ADMIN,
     "Merge customers into one: their history moves to the survivor, figures recomputed",
     "the surviving customer"},
    {NULL},
};
