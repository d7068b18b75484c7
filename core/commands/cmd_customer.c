/*
 * customer.create / get / update / delete / list.
 *
 * A customer record is built and checked here as a cJSON object in its wire
 * shape, then handed to the store whole; the store keeps the row, the tag
 * index and the stats row consistent.  Updates compute `changes`
 * (field -> {old, new}) for the event; an update that changes nothing writes
 * nothing and emits nothing.
 */
#include "commands/commands.h"
#include "commands/customer_ops.h"
#include "store/company.h"
#include "store/customer.h"
#include "store/identity.h"
#include "store/merge.h"
#include "store/loyalty.h"
#include "store/reccache.h"
#include "store/rules.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonw.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_TAGS        100
#define MAX_ATTRS_BYTES 65536

/* Writable fields in the order the wire shape lists them. */
static const char *const writable[] = {"name",        "email",      "phone",          "company",
                                       "external_id", "tags",       "owner",          "stage",
                                       "attrs",       "company_id", "class_override", NULL};

static int check_email(kith_ctx *ctx, const char *email)
{
    const char *at = email ? strchr(email, '@') : NULL;
    if (email && (!at || at == email || !at[1] || strchr(at + 1, '@') || strpbrk(email, " \t\r\n")))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "email", "email must look like name@domain");
    return 0;
}

/* A stage or class name: 1-32 lowercase letters, digits or _. */
static int check_name(kith_ctx *ctx, const char *param, const char *v)
{
    if (!v) return 0;
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)v[i]) && v[i] != '_' && !isdigit((unsigned char)v[i])) n = 0;
    if (n == 0 || n > 32)
        return kith_ctx_fail(ctx, KITH_EPARAMS, param,
                             "%s must be 1-32 lowercase letters, digits or _", param);
    return 0;
}

static int check_stage(kith_ctx *ctx, const char *stage)
{
    return check_name(ctx, "stage", stage);
}

static int check_tags(kith_ctx *ctx, const cJSON *tags)
{
    if (!cJSON_IsArray(tags)) return 0;
    if (cJSON_GetArraySize(tags) > MAX_TAGS)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "tags", "at most %d tags", MAX_TAGS);
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        size_t n = strlen(t->valuestring);
        if (n == 0 || n > 64)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "tags", "each tag must be 1-64 bytes");
    }
    return 0;
}

static int check_attrs(kith_ctx *ctx, const cJSON *attrs)
{
    if (!cJSON_IsObject(attrs)) return 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs)
    {
        if (!a->string[0] || strlen(a->string) > 128 || strchr(a->string, '"'))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "attrs",
                                 "attribute names must be 1-128 bytes without quotes");
    }
    char *text = cJSON_PrintUnformatted(attrs);
    size_t n = text ? strlen(text) : 0;
    cJSON_free(text);
    if (n > MAX_ATTRS_BYTES)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "attrs", "attrs must be at most %d bytes of JSON",
                             MAX_ATTRS_BYTES);
    return 0;
}

/* Validates the writable fields present in `p` (create or update).  The
 * e-mail's shape is checked on the record about to be written (`final`),
 * not on the params: a cleaning rule (scripts/cleaning.lua) may still trim
 * " Ann@example.com " or fold a full-width "＠". */
/* company_id, when given and not null, names an existing company. */
static int check_company(kith_ctx *ctx, const cJSON *p)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "company_id");
    if (!v || cJSON_IsNull(v)) return 0;
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, p, "company_id", &id);
    if (rc) return rc;
    cJSON *company = NULL;
    rc = kith_store_company_get(ctx->store, id, &company);
    cJSON_Delete(company);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "company_id", "company %lld not found", (long long)id);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "company") : 0;
}

static int check_fields(kith_ctx *ctx, const cJSON *p, int final)
{
    int rc = kith_cmd_check_text(ctx, p, "name", 200, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "email", 254, 1);
    if (!rc && final) rc = check_email(ctx, kith_json_get_str(p, "email"));
    if (!rc) rc = kith_cmd_check_text(ctx, p, "phone", 64, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "company", 200, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "external_id", 128, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "owner", 64, 1);
    if (!rc) rc = check_stage(ctx, kith_json_get_str(p, "stage"));
    if (!rc) rc = check_tags(ctx, cJSON_GetObjectItemCaseSensitive(p, "tags"));
    if (!rc) rc = check_attrs(ctx, cJSON_GetObjectItemCaseSensitive(p, "attrs"));
    if (!rc) rc = check_company(ctx, p);
    if (!rc) rc = check_name(ctx, "class_override", kith_json_get_str(p, "class_override"));
    return rc;
}

/* Checks the types of a whole record, as a before hook may have left it,
 * then its values. */
static int check_record(kith_ctx *ctx, const cJSON *rec)
{
    for (int i = 0; writable[i]; i++) {
        const char *f = writable[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, f);
        int ok = !v || cJSON_IsNull(v) || cJSON_IsString(v);
        if (strcmp(f, "tags") == 0) {
            ok = !v || cJSON_IsNull(v) || cJSON_IsArray(v);
            for (const cJSON *t = ok && v ? v->child : NULL; t; t = t->next)
                if (!cJSON_IsString(t)) ok = 0;
        } else if (strcmp(f, "attrs") == 0) {
            ok = !v || cJSON_IsNull(v) || cJSON_IsObject(v);
        } else if (strcmp(f, "name") == 0) {
            ok = cJSON_IsString(v);
        } else if (strcmp(f, "company_id") == 0) {
            ok = !v || cJSON_IsNull(v) || cJSON_IsNumber(v);
        }
        if (!ok)
            return kith_ctx_fail(ctx, KITH_ESCRIPT, f, "a rule left the customer's %s invalid", f);
    }
    return check_fields(ctx, rec, 1);
}

/* Tags are a set: duplicates are dropped, first occurrence kept. */
static cJSON *dedup_tags(const cJSON *tags)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        int seen = 0;
        const cJSON *u;
        cJSON_ArrayForEach(u, out) if (strcmp(u->valuestring, t->valuestring) == 0) seen = 1;
        if (!seen) cJSON_AddItemToArray(out, cJSON_CreateString(t->valuestring));
    }
    return out;
}

/* The tier a customer shows: the stored one, or for a customer never
 * stored with a tier, the entry tier of the running rules (min 0). */
static const char *shown_tier(kith_ctx *ctx, const char *stored, int64_t lifetime)
{
    return stored[0] ? stored : kith_loyalty_tier_for(ctx->env->tiers, ctx->env->ntiers, lifetime);
}

/* The customer with its stats, as customer.get returns it, read from the
 * store and put in the record cache on the way. */
static int load_full(kith_ctx *ctx, int64_t id, cJSON **out)
{
    cJSON *c = NULL;
    int64_t lifetime = 0, valid_until = 0;
    char stored[64];
    int rc =
        kith_store_customer_get_full(ctx->store, id, ctx->now, &c, &lifetime, stored, &valid_until);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customer");
    /* Kept without the tier and the closing brace (reccache.h note 4). */
    kith_buf text;
    kith_buf_init(&text);
    if (kith_json_write(&text, c) == 0 && kith_buf_size(&text) > 2)
        kith_reccache_put(kith_store_records(ctx->store), id, ctx->now, valid_until, lifetime,
                          stored, kith_buf_head(&text), kith_buf_size(&text) - 1);
    kith_buf_release(&text);
    kith_json_add_str(c, "tier", shown_tier(ctx, stored, lifetime));
    *out = c;
    return 0;
}

/* customer.get's reply from the record cache, or NULL on a miss. */
static cJSON *from_cache(kith_ctx *ctx, int64_t id)
{
    kith_record_hit hit;
    if (!kith_reccache_get(kith_store_records(ctx->store), id, ctx->now, &hit)) return NULL;
    const char *tier = shown_tier(ctx, hit.tier, hit.lifetime);
    cJSON name = {.type = cJSON_String, .valuestring = (char *)tier};
    kith_buf text;
    kith_buf_init(&text);
    cJSON *raw = NULL;
    if (kith_buf_append(&text, hit.json, hit.len) == 0 &&
        kith_buf_appends(&text, ",\"tier\":") == 0 &&
        kith_json_write(&text, tier ? &name : NULL) == 0 && kith_buf_append(&text, "}", 2) == 0)
        raw = cJSON_CreateRaw(kith_buf_head(&text));
    kith_buf_release(&text);
    return raw;
}

/* After hooks run inside kith_cmd_emit and may write to the record they are
 * about (the referral plugin gives a new customer its code), so the reply is
 * read again once they have run: it shows what the request left, as a later
 * customer.get would.  The event keeps the record as it was written.
 * Replaces *c (owned) unless a hook deleted the customer.  Returns 0 or a
 * failure in ctx. */
static int reread_after_hooks(kith_ctx *ctx, int64_t id, cJSON **c)
{
    if (!ctx->env->script) return 0; /* no rules: nothing ran */
    cJSON *now = NULL;
    int rc = kith_store_customer_get(ctx->store, id, &now);
    if (rc == KITH_ENOTFOUND) return 0;
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customer");
    cJSON_Delete(*c);
    *c = now;
    return 0;
}

/* The event's data (and a before hook's context) for a write: borrowed
 * members, plus import: true when an import wrote it (customer_ops.h). */
static cJSON *write_data(int flags)
{
    cJSON *data = cJSON_CreateObject();
    if (data && (flags & KITH_WRITE_IMPORT)) cJSON_AddBoolToObject(data, "import", 1);
    return data;
}

int kith_customer_create_rec(kith_ctx *ctx, const cJSON *params, int flags, cJSON **result)
{
    int rc = check_fields(ctx, params, 0);
    if (rc) return rc;
    cJSON *rec = cJSON_CreateObject();
    for (int i = 0; writable[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, writable[i]);
        if (!v || cJSON_IsNull(v)) continue;
        cJSON *copy = strcmp(writable[i], "tags") == 0 ? dedup_tags(v) : cJSON_Duplicate(v, 1);
        cJSON_AddItemToObject(rec, writable[i], copy);
    }
    cJSON *context = flags ? write_data(flags) : NULL;
    rc = kith_cmd_before(ctx, "customer.created", "customer", &rec, context);
    cJSON_Delete(context);
    if (!rc) rc = check_record(ctx, rec);
    if (!rc && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(rec, "tags")))
        cJSON_ReplaceItemInObjectCaseSensitive(
            rec, "tags", dedup_tags(cJSON_GetObjectItemCaseSensitive(rec, "tags")));
    int64_t id = 0;
    if (!rc) rc = kith_store_customer_insert(ctx->store, rec, ctx->now, &id);
    cJSON_Delete(rec);
    if (rc < 0 && ctx->err->code) return rc;
    if (rc == KITH_ECONFLICT)
        return kith_ctx_fail(ctx, rc, "external_id", "external_id %s is already taken",
                             kith_json_get_str(params, "external_id"));
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customer");
    cJSON *c = NULL;
    if ((rc = kith_store_customer_get(ctx->store, id, &c)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    cJSON *data = write_data(flags);
    cJSON_AddItemReferenceToObject(data, "customer", c);
    rc = kith_cmd_emit(ctx, "customer.created", id, data);
    cJSON_Delete(data);
    if (!rc && !(flags & KITH_WRITE_IMPORT)) rc = reread_after_hooks(ctx, id, &c);
    if (rc < 0) {
        cJSON_Delete(c);
        return rc;
    }
    *result = c;
    return 0;
}

/* Resolves the customer a call names by id, external_id, email or an
 * identity (source and key). */
static int resolve(kith_ctx *ctx, const cJSON *params, int64_t *id)
{
    const char *ext = kith_json_get_str(params, "external_id");
    const char *email = kith_json_get_str(params, "email");
    const char *source = kith_json_get_str(params, "source");
    const char *key = kith_json_get_str(params, "key");
    int given = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(params, "id")) + !!ext + !!email +
                (source || key);
    if (given != 1)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "id",
                             "give exactly one of id, external_id, email or source and key");
    if (source || key) {
        if (!source || !key)
            return kith_ctx_fail(ctx, KITH_EPARAMS, source ? "key" : "source",
                                 "an identity needs both source and key");
        int rc = kith_store_identity_find(ctx->store, source, key, id);
        if (rc == KITH_ENOTFOUND)
            return kith_ctx_fail(ctx, rc, "key", "no customer has %s key %s", source, key);
        return rc < 0 ? kith_cmd_store_fail(ctx, rc, "customer") : 0;
    }
    if (!ext && !email) return kith_cmd_id_arg(ctx, params, "id", id);
    int rc = kith_store_customer_lookup(ctx->store, ext ? "external_id" : "email",
                                        ext ? ext : email, id);
    /* A merged customer's external_id lives on as the survivor's identity. */
    if (rc == KITH_ENOTFOUND && ext)
        rc = kith_store_identity_find(ctx->store, "external_id", ext, id);
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customer");
    return 0;
}

/* A customer that is gone because it was merged says where it went:
 * -32004 with data.merged_into (store/merge.h). */
static int say_merged(kith_ctx *ctx, int64_t id, int rc)
{
    int64_t into;
    if (rc != KITH_ENOTFOUND || kith_store_customer_alias(ctx->store, id, &into) != 0) return rc;
    kith_ctx_fail(ctx, KITH_ENOTFOUND, "id", "customer %lld was merged into customer %lld",
                  (long long)id, (long long)into);
    cJSON_Delete(ctx->err->data);
    ctx->err->data = cJSON_CreateObject();
    kith_json_add_int(ctx->err->data, "merged_into", into);
    return KITH_ENOTFOUND;
}

static int customer_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = resolve(ctx, params, &id);
    if (rc) return rc;
    if ((*result = from_cache(ctx, id))) return 0;
    return say_merged(ctx, id, load_full(ctx, id, result));
}

/* Applies the update params to `rec`: fields replace, attrs merge (a key set
 * to null is removed), a null field is cleared. */
static int apply_update(kith_ctx *ctx, cJSON *rec, const cJSON *params)
{
    for (int i = 0; writable[i]; i++) {
        const char *f = writable[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, f);
        if (!v) continue;
        if (strcmp(f, "attrs") == 0) {
            cJSON *attrs = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
            if (cJSON_IsNull(v)) continue;
            const cJSON *a;
            cJSON_ArrayForEach(a, v)
            {
                cJSON_DeleteItemFromObjectCaseSensitive(attrs, a->string);
                if (!cJSON_IsNull(a))
                    cJSON_AddItemToObject(attrs, a->string, cJSON_Duplicate(a, 1));
            }
            continue;
        }
        if (cJSON_IsNull(v) && (strcmp(f, "name") == 0 || strcmp(f, "stage") == 0))
            return kith_ctx_fail(ctx, KITH_EPARAMS, f, "%s cannot be cleared", f);
        cJSON *nv = cJSON_IsNull(v) && strcmp(f, "tags") == 0 ? cJSON_CreateArray()
                    : strcmp(f, "tags") == 0                  ? dedup_tags(v)
                                                              : cJSON_Duplicate(v, 1);
        /* A field shown only when set (company_id) may be absent. */
        if (!cJSON_ReplaceItemInObjectCaseSensitive(rec, f, nv)) cJSON_AddItemToObject(rec, f, nv);
    }
    return 0;
}

/* field -> {old, new} for every writable field that differs. */
static cJSON *diff(const cJSON *old, const cJSON *new)
{
    cJSON *changes = cJSON_CreateObject();
    for (int i = 0; writable[i]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, writable[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(new, writable[i]);
        /* Absent and null are the same value: a record that went through a
         * rule (Lua has no null) comes back without its null fields. */
        if ((!a || cJSON_IsNull(a)) && (!b || cJSON_IsNull(b))) continue;
        if (cJSON_Compare(a, b, 1)) continue;
        cJSON *ch = cJSON_AddObjectToObject(changes, writable[i]);
        cJSON_AddItemToObject(ch, "old", a ? cJSON_Duplicate(a, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(ch, "new", b ? cJSON_Duplicate(b, 1) : cJSON_CreateNull());
    }
    return changes;
}

int kith_customer_update_rec(kith_ctx *ctx, int64_t id, const cJSON *params, int flags,
                             cJSON **result, int *changed)
{
    int rc = check_fields(ctx, params, 0);
    if (rc) return rc;
    cJSON *old = NULL;
    if ((rc = kith_store_customer_get(ctx->store, id, &old)) < 0)
        return kith_cmd_store_fail(ctx, rc, "customer");
    cJSON *rec = cJSON_Duplicate(old, 1);
    cJSON *changes = NULL;
    rc = apply_update(ctx, rec, params);
    if (!rc) {
        cJSON *context = write_data(flags);
        cJSON_AddItemReferenceToObject(context, "old", old);
        cJSON *pre = diff(old, rec);
        cJSON_AddItemToObject(context, "changes", pre);
        rc = kith_cmd_before(ctx, "customer.updated", "customer", &rec, context);
        cJSON_Delete(context);
        if (!rc) rc = check_record(ctx, rec);
    }
    if (!rc && !check_attrs(ctx, cJSON_GetObjectItemCaseSensitive(rec, "attrs"))) {
        changes = diff(old, rec);
        if (changes->child) {
            rc = kith_store_customer_update(ctx->store, id, rec, changes, ctx->now);
            if (rc == KITH_ECONFLICT)
                rc = kith_ctx_fail(ctx, rc, "external_id", "external_id is already taken");
            else if (rc < 0)
                rc = kith_cmd_store_fail(ctx, rc, "customer");
        }
    } else if (!rc) {
        rc = KITH_EPARAMS;
    }
    cJSON *c = NULL;
    if (!rc && (rc = kith_store_customer_get(ctx->store, id, &c)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "customer");
    if (!rc && changes->child) {
        cJSON *data = write_data(flags);
        cJSON_AddItemReferenceToObject(data, "customer", c);
        cJSON_AddItemReferenceToObject(data, "changes", changes);
        rc = kith_cmd_emit(ctx, "customer.updated", id, data);
        cJSON_Delete(data);
        if (!rc && !(flags & KITH_WRITE_IMPORT)) rc = reread_after_hooks(ctx, id, &c);
    }
    if (!rc && changed) *changed = changes->child != NULL;
    cJSON_Delete(old);
    cJSON_Delete(rec);
    cJSON_Delete(changes);
    if (rc) {
        cJSON_Delete(c);
        return rc;
    }
    *result = c;
    return 0;
}

static int customer_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return kith_customer_create_rec(ctx, params, 0, result);
}

/* customer.update names its customer by id, or by external_id alone: then
 * it is an upsert, updating the customer with that external_id or creating
 * it when there is none (the event says which: customer.updated or
 * customer.created). */
static int customer_update(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    const char *ext = kith_json_get_str(params, "external_id");
    if (cJSON_GetObjectItemCaseSensitive(params, "id") || !ext) {
        int rc = kith_cmd_id_arg(ctx, params, "id", &id);
        return rc ? rc : kith_customer_update_rec(ctx, id, params, 0, result, NULL);
    }
    int rc = kith_store_customer_lookup(ctx->store, "external_id", ext, &id);
    if (rc == KITH_ENOTFOUND) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(params, "name")))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "name",
                                 "no customer has external_id %s; creating one needs a name", ext);
        return kith_customer_create_rec(ctx, params, 0, result);
    }
    if (rc < 0) return kith_cmd_store_fail(ctx, rc, "customer");
    return kith_customer_update_rec(ctx, id, params, 0, result, NULL);
}

static int customer_delete(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (rc) return rc;
    cJSON *c = NULL;
    if ((rc = load_full(ctx, id, &c)) < 0) return rc;
    rc = kith_cmd_before(ctx, "customer.deleted", "customer", &c, NULL);
    if (rc) {
        cJSON_Delete(c);
        return rc;
    }
    rc = kith_store_customer_delete(ctx->store, id);
    if (rc < 0) {
        cJSON_Delete(c);
        return kith_cmd_store_fail(ctx, rc, "customer");
    }
    cJSON *data = cJSON_CreateObject();
    cJSON_AddItemToObject(data, "customer", c);
    rc = kith_cmd_emit(ctx, "customer.deleted", id, data);
    cJSON_Delete(data);
    if (rc) return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "deleted", 1);
    kith_json_add_int(o, "id", id);
    *result = o;
    return 0;
}

static int read_filter(kith_ctx *ctx, const cJSON *filter, kith_customer_filter *f)
{
    memset(f, 0, sizeof(*f));
    const cJSON *v;
    cJSON_ArrayForEach(v, filter)
    {
        const char *k = v->string;
        if (strcmp(k, "attrs") == 0) {
            if (!cJSON_IsObject(v))
                return kith_ctx_fail(ctx, KITH_EPARAMS, "filter.attrs",
                                     "filter.attrs must be an object");
            const cJSON *a;
            cJSON_ArrayForEach(
                a, v) if (cJSON_IsObject(a) || cJSON_IsArray(a) ||
                          strchr(a->string,
                                 '"')) return kith_ctx_fail(ctx, KITH_EPARAMS, "filter.attrs",
                                                            "filter.attrs values must be strings, "
                                                            "numbers, booleans or null");
            f->attrs = v;
            continue;
        }
        if (strcmp(k, "company_id") == 0) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 1)
                return kith_ctx_fail(ctx, KITH_EPARAMS, "filter.company_id",
                                     "filter.company_id must be a company id");
            f->company_id = (int64_t)v->valuedouble;
            continue;
        }
        const char **slot = strcmp(k, "class") == 0     ? &f->class_name
                            : strcmp(k, "tag") == 0     ? &f->tag
                            : strcmp(k, "stage") == 0   ? &f->stage
                            : strcmp(k, "owner") == 0   ? &f->owner
                            : strcmp(k, "q") == 0       ? &f->q
                            : strcmp(k, "segment") == 0 ? &f->segment
                                                        : NULL;
        if (!slot) {
            char param[64];
            snprintf(param, sizeof(param), "filter.%s", k);
            return kith_ctx_fail(
                ctx, KITH_EPARAMS, param,
                "unknown filter %s (tag, stage, owner, segment, company_id, class, "
                "q, attrs)",
                k);
        }
        if (!cJSON_IsString(v)) {
            char param[64];
            snprintf(param, sizeof(param), "filter.%s", k);
            return kith_ctx_fail(ctx, KITH_EPARAMS, param, "%s must be a string", param);
        }
        *slot = v->valuestring;
    }
    return 0;
}

static int customer_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_customer_filter f;
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = read_filter(ctx, cJSON_GetObjectItemCaseSensitive(params, "filter"), &f);
    if (!rc) rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    rc = kith_store_customer_list(ctx->store, &f, limit, after, items, &more, &next);
    if (rc < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "customers");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

#define FIELD_PARAMS(req)                                                                          \
    {"name", KITH_T_STRING, req, "full name or display name"},                                     \
        {"email", KITH_T_STRING, 0, "e-mail address"},                                             \
        {"phone", KITH_T_STRING, 0, "phone number"},                                               \
        {"company", KITH_T_STRING, 0, "company name"},                                             \
        {"external_id", KITH_T_STRING, 0, "your system's id for the customer; unique"},            \
        {"tags", KITH_T_STRINGS, 0, "tags (a set)"},                                               \
        {"owner", KITH_T_STRING, 0, "the user who owns the relationship"},                         \
        {"stage", KITH_T_STRING, 0, "lifecycle stage (default prospect)"},                         \
        {"company_id", KITH_T_INT, 0, "the company (account) of this contact; null unlinks"},      \
        {"class_override", KITH_T_STRING, 0,                                                       \
         "a class that wins over crm.classify's; null clears"},                                    \
    {                                                                                              \
        "attrs", KITH_T_OBJECT, 0, "custom attributes (update merges; null removes a key)"         \
    }

static const kith_param create_params[] = {FIELD_PARAMS(1), {NULL}};
static const kith_param update_params[] = {
    {"id", KITH_T_INT, 0, "customer id (or give external_id alone: update or create by it)"},
    FIELD_PARAMS(0),
    {NULL}};
static const kith_param get_params[] = {
    {"id", KITH_T_INT, 0, "customer id"},
    {"external_id", KITH_T_STRING, 0, "or: the external id"},
    {"email", KITH_T_STRING, 0, "or: the e-mail address (the oldest match)"},
    {"source", KITH_T_STRING, 0, "or: an identity's source (with key)"},
    {"key", KITH_T_STRING, 0, "and its key"},
    {NULL},
};
static const kith_param delete_params[] = {{"id", KITH_T_INT, 1, "customer id"}, {NULL}};
static const kith_param list_params[] = {
    {"filter", KITH_T_OBJECT, 0,
     "{tag, stage, owner, segment, company_id, class, q (free text), attrs: {name: value}}"},
    KITH_LIST_PARAMS,
    {NULL},
};

const kith_command kith_cmd_customer[] = {
    {"customer.create", customer_create, create_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Create a customer", "the customer"},
    {"customer.get", customer_get, get_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Get a customer by id, external_id, email or identity, with its stats",
     "the customer with stats"},
    {"customer.update", customer_update, update_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Change a customer's fields; attrs merge", "the customer"},
    {"customer.delete", customer_delete, delete_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Delete a customer and its history", "{deleted: true, id}"},
    {"customer.list", customer_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "List customers in id order, filtered by tag, stage, owner, attributes or free text",
     "{items: [customer], next_cursor}"},
    {NULL},
};
