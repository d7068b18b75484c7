/*
 * customer.import / order.import: up to 1,000 records per call, each
 * matched against what is already stored and then written through the very
 * path customer.create / update and order.create take (customer_ops.h), so
 * an import runs the same checks, hooks, stats and events; each record's
 * event carries import: true.
 *
 * Each record is a request of its own nested inside the call (request.h
 * note 2): a record that fails rolls back alone, its hook writes with it.
 * By default the failure is reported with the record's index and the rest
 * are written; with atomic the first failure fails the call, and with
 * dry_run every record is checked and the call then rolls back, so nothing
 * is written and nothing is published.  One summary event follows the
 * records: customer.imported or order.imported.
 */
#include "commands/commands.h"
#include "commands/customer_ops.h"
#include "store/activity.h"
#include "store/customer.h"
#include "store/identity.h"
#include "util/error.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

#define MAX_RECORDS 1000

enum { ON_MATCH_UPDATE, ON_MATCH_SKIP, ON_MATCH_ERROR };
enum { MATCH_EXTERNAL_ID = 1, MATCH_IDENTITY = 2, MATCH_EMAIL = 4, MATCH_PHONE = 8 };

typedef struct import_opts {
    int match;    /* MATCH_* bits */
    int on_match; /* ON_MATCH_* */
    int atomic, dry_run;
    const char *source;
} import_opts;

typedef struct import_tally {
    int64_t created, updated, skipped;
    cJSON *ids, *errors;
} import_tally;

static const char *const on_match_names[] = {"update", "skip", "error", NULL};
static const char *const match_names[] = {"external_id", "identity", "email", "phone", NULL};

/* The fields a customer record may carry besides the writable ones. */
static const char *const customer_extra[] = {"identities", NULL};
static const char *const customer_fields[] = {"name", "email", "phone", "company", "external_id",
                                              "tags", "owner", "stage", "attrs",   NULL};
static const char *const order_fields[] = {"customer_id",    "customer_external_id",
                                           "customer_email", "customer_identity",
                                           "amount",         "currency",
                                           "items",          "at",
                                           "external_id",    NULL};

static int in_list(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0) return i;
    return -1;
}

static int read_opts(kith_ctx *ctx, const cJSON *params, int orders, import_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->on_match = orders ? ON_MATCH_SKIP : ON_MATCH_UPDATE;
    o->match = MATCH_EXTERNAL_ID | MATCH_IDENTITY | MATCH_EMAIL | MATCH_PHONE;
    int rc = kith_cmd_check_enum(ctx, params, "on_match", on_match_names, 0);
    if (rc) return rc;
    const char *om = kith_json_get_str(params, "on_match");
    if (om) o->on_match = in_list(on_match_names, om);
    if (orders && o->on_match == ON_MATCH_UPDATE)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "on_match",
                             "orders are never changed by an import: on_match must be skip or "
                             "error");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(params, "match_on");
    if (m && !orders) {
        o->match = 0;
        const cJSON *k;
        cJSON_ArrayForEach(k, m)
        {
            int i = in_list(match_names, k->valuestring);
            if (i < 0)
                return kith_ctx_fail(ctx, KITH_EPARAMS, "match_on",
                                     "match_on items must be external_id, identity, email or "
                                     "phone");
            o->match |= 1 << i;
        }
    }
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(params, "records");
    if (cJSON_GetArraySize(recs) > MAX_RECORDS)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "records", "at most %d records per call",
                             MAX_RECORDS);
    if ((rc = kith_cmd_check_text(ctx, params, "source", 64, 1))) return rc;
    o->source = kith_json_get_str(params, "source");
    o->atomic = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "atomic"));
    o->dry_run = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "dry_run"));
    return 0;
}

/* Refuses members a record of this kind does not have, so a misspelt
 * column is an error rather than a silently dropped value. */
static int check_members(kith_ctx *ctx, const cJSON *rec, const char *const *a,
                         const char *const *b)
{
    if (!cJSON_IsObject(rec))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "records", "each record must be an object");
    const cJSON *f;
    cJSON_ArrayForEach(f, rec)
    {
        if (in_list(a, f->string) >= 0 || (b && in_list(b, f->string) >= 0)) continue;
        return kith_ctx_fail(ctx, KITH_EPARAMS, f->string, "unknown field %s", f->string);
    }
    return 0;
}

/* Finds the identity {source, key} in `v`; returns 0, KITH_ENOTFOUND, or a
 * failure in ctx when it is malformed. */
static int identity_lookup(kith_ctx *ctx, const cJSON *v, const char *param, int64_t *id)
{
    const char *src = kith_json_get_str(v, "source"), *key = kith_json_get_str(v, "key");
    if (!src || !key || !*src || !*key)
        return kith_ctx_fail(ctx, KITH_EPARAMS, param, "%s must be {source, key}", param);
    return kith_store_identity_find(ctx->store, src, key, id);
}

/* The stored customer a customer record matches by the match_on keys, in
 * their order of precedence: 0 with *id, KITH_ENOTFOUND, or a failure. */
static int match_customer(kith_ctx *ctx, const cJSON *rec, int match, int64_t *id)
{
    const char *ext = kith_json_get_str(rec, "external_id");
    int rc = KITH_ENOTFOUND;
    if ((match & MATCH_EXTERNAL_ID) && ext)
        rc = kith_store_customer_lookup(ctx->store, "external_id", ext, id);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(rec, "identities"), *i;
    if (rc == KITH_ENOTFOUND && (match & MATCH_IDENTITY))
        cJSON_ArrayForEach(i, ids) if (rc == KITH_ENOTFOUND) rc =
            identity_lookup(ctx, i, "identities", id);
    const char *email = kith_json_get_str(rec, "email"), *phone = kith_json_get_str(rec, "phone");
    if (rc == KITH_ENOTFOUND && (match & MATCH_EMAIL) && email)
        rc = kith_store_customer_lookup(ctx->store, "email", email, id);
    if (rc == KITH_ENOTFOUND && (match & MATCH_PHONE) && phone)
        rc = kith_store_customer_lookup(ctx->store, "phone", phone, id);
    if (rc < 0 && rc != KITH_ENOTFOUND && !ctx->err->code) kith_cmd_store_fail(ctx, rc, "customer");
    return rc;
}

/* Links the record's identities to customer `id`. */
static int add_identities(kith_ctx *ctx, const cJSON *rec, int64_t id)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(rec, "identities"), *i;
    if (ids && !cJSON_IsArray(ids))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "identities",
                             "identities must be an array of {source, key}");
    cJSON_ArrayForEach(i, ids)
    {
        const char *src = kith_json_get_str(i, "source"), *key = kith_json_get_str(i, "key");
        if (!src || !key || !*src || !*key || strlen(src) > 64 || strlen(key) > 256)
            return kith_ctx_fail(ctx, KITH_EPARAMS, "identities",
                                 "each identity must be {source (1-64 bytes), key (1-256 bytes)}");
        int rc = kith_store_identity_add(ctx->store, id, src, key, ctx->now);
        if (rc == KITH_ECONFLICT)
            return kith_cmd_conflict(ctx, "identity_taken", NULL,
                                     "identity %s:%s belongs to another customer", src, key);
        if (rc < 0) return kith_cmd_store_fail(ctx, rc, "identity");
    }
    return 0;
}

/* One customer record; *what: 'c'reated, 'u'pdated or 's'kipped. */
static int import_customer(kith_ctx *ctx, const cJSON *rec, const import_opts *o, int64_t *id,
                           char *what)
{
    int rc = check_members(ctx, rec, customer_fields, customer_extra);
    if (rc) return rc;
    rc = match_customer(ctx, rec, o->match, id);
    if (rc < 0 && rc != KITH_ENOTFOUND) return rc;
    cJSON *fields = cJSON_Duplicate(rec, 1), *out = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(fields, "identities");
    if (rc == KITH_ENOTFOUND) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fields, "name")))
            rc = kith_ctx_fail(ctx, KITH_EPARAMS, "name", "a new customer needs a name");
        else
            rc = kith_customer_create_rec(ctx, fields, KITH_WRITE_IMPORT, &out);
        *what = 'c';
        if (!rc) *id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(out, "id"));
    } else if (o->on_match == ON_MATCH_SKIP) {
        *what = 's';
    } else if (o->on_match == ON_MATCH_ERROR) {
        rc = kith_cmd_conflict(ctx, "exists", NULL, "the record matches customer %lld",
                               (long long)*id);
    } else {
        int changed = 0;
        rc = kith_customer_update_rec(ctx, *id, fields, KITH_WRITE_IMPORT, &out, &changed);
        *what = changed ? 'u' : 's';
    }
    cJSON_Delete(fields);
    cJSON_Delete(out);
    if (!rc && *what != 's') rc = add_identities(ctx, rec, *id);
    return rc;
}

/* The customer an order record names: customer_id, customer_external_id,
 * customer_email or customer_identity (exactly one). */
static int order_customer(kith_ctx *ctx, const cJSON *rec, int64_t *cid)
{
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(rec, "customer_id");
    const char *ext = kith_json_get_str(rec, "customer_external_id");
    const char *email = kith_json_get_str(rec, "customer_email");
    const cJSON *ident = cJSON_GetObjectItemCaseSensitive(rec, "customer_identity");
    if (!!num + !!ext + !!email + !!ident != 1)
        return kith_ctx_fail(ctx, KITH_EPARAMS, "customer_id",
                             "give exactly one of customer_id, customer_external_id, "
                             "customer_email or customer_identity");
    if (num) return kith_cmd_id_arg(ctx, rec, "customer_id", cid);
    int rc = ident ? identity_lookup(ctx, ident, "customer_identity", cid)
                   : kith_store_customer_lookup(ctx->store, ext ? "external_id" : "email",
                                                ext ? ext : email, cid);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, KITH_ENOTFOUND, ext ? "customer_external_id" : "customer_email",
                             "no customer %s",
                             ext     ? ext
                             : email ? email
                                     : "has that identity");
    if (rc < 0 && !ctx->err->code) kith_cmd_store_fail(ctx, rc, "customer");
    return rc;
}

static int import_order(kith_ctx *ctx, const cJSON *rec, const import_opts *o, int64_t *id,
                        char *what)
{
    int64_t cid;
    int rc = check_members(ctx, rec, order_fields, NULL);
    if (!rc) rc = order_customer(ctx, rec, &cid);
    if (rc) return rc;
    const char *ext = kith_json_get_str(rec, "external_id");
    if (ext && kith_store_order_find(ctx->store, ext, id) == 0) {
        *what = 's';
        if (o->on_match == ON_MATCH_ERROR)
            return kith_cmd_conflict(ctx, "exists", NULL, "order %s exists", ext);
        return 0;
    }
    cJSON *fields = cJSON_CreateObject(), *out = NULL;
    kith_json_add_int(fields, "customer_id", cid);
    for (int i = 4; order_fields[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, order_fields[i]);
        if (v) cJSON_AddItemToObject(fields, order_fields[i], cJSON_Duplicate(v, 1));
    }
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(fields, "amount")))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "amount", "amount must be a number");
    if (!rc) rc = kith_order_create_rec(ctx, fields, KITH_WRITE_IMPORT, &out);
    if (!rc) *id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(out, "id"));
    *what = 'c';
    cJSON_Delete(fields);
    cJSON_Delete(out);
    return rc;
}

/* {index, code, kind, message, param} of the failure in ctx, which is then
 * cleared for the next record. */
static void take_error(kith_ctx *ctx, int index, cJSON *errors)
{
    cJSON *e = cJSON_CreateObject();
    kith_json_add_int(e, "index", index);
    kith_json_add_int(e, "code", kith_error_rpc_code(ctx->err->code));
    kith_json_add_str(e, "kind", kith_error_kind(ctx->err->code));
    kith_json_add_str(e, "message", ctx->err->message);
    if (ctx->err->param[0]) kith_json_add_str(e, "param", ctx->err->param);
    cJSON_AddItemToArray(errors, e);
    kith_ctx_release(ctx);
}

typedef int (*import_fn)(kith_ctx *, const cJSON *, const import_opts *, int64_t *, char *);

static int run_import(kith_ctx *ctx, const cJSON *params, int orders, cJSON **result)
{
    import_opts o;
    int rc = read_opts(ctx, params, orders, &o);
    if (rc) return rc;
    import_fn one = orders ? import_order : import_customer;
    import_tally t = {0, 0, 0, cJSON_CreateArray(), cJSON_CreateArray()};
    int index = 0;
    /* A dry run writes inside a savepoint of its own and rolls it back at
     * the end, so later records still see earlier ones (a file that
     * creates a customer twice reports an update the second time). */
    if (o.dry_run && (rc = kith_request_begin(ctx))) goto out;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(params, "records"))
    {
        int64_t id = 0;
        char what = 's';
        rc = kith_request_begin(ctx);
        if (!rc) rc = kith_request_end(ctx, one(ctx, rec, &o, &id, &what));
        if (rc && o.atomic) {
            cJSON *data = cJSON_CreateObject();
            kith_json_add_int(data, "index", index);
            cJSON_Delete(ctx->err->data);
            ctx->err->data = data;
            break;
        }
        if (rc) {
            take_error(ctx, index, t.errors);
            cJSON_AddItemToArray(t.ids, cJSON_CreateNull());
            rc = 0;
        } else {
            cJSON_AddItemToArray(t.ids, cJSON_CreateNumber((double)id));
            *(what == 'c' ? &t.created : what == 'u' ? &t.updated : &t.skipped) += 1;
        }
        index++;
    }
    if (o.dry_run) {
        kith_call_error saved = *ctx->err;
        int end = kith_request_end(ctx, KITH_ECONFLICT); /* rolls back: nothing written */
        (void)end;
        *ctx->err = saved;
    }
    if (!rc && !o.dry_run && t.created + t.updated > 0) {
        cJSON *data = cJSON_CreateObject();
        if (o.source) kith_json_add_str(data, "source", o.source);
        kith_json_add_int(data, "created", t.created);
        kith_json_add_int(data, "updated", t.updated);
        kith_json_add_int(data, "skipped", t.skipped);
        kith_json_add_int(data, "errors", cJSON_GetArraySize(t.errors));
        rc = kith_cmd_emit(ctx, orders ? "order.imported" : "customer.imported", 0, data);
        cJSON_Delete(data);
    }
out:;
    cJSON *out = NULL;
    if (!rc) {
        out = cJSON_CreateObject();
        kith_json_add_int(out, "created", t.created);
        kith_json_add_int(out, "updated", t.updated);
        kith_json_add_int(out, "skipped", t.skipped);
        cJSON_AddItemToObject(out, "ids", t.ids);
        cJSON_AddItemToObject(out, "errors", t.errors);
        if (o.dry_run) cJSON_AddBoolToObject(out, "dry_run", 1);
        t.ids = t.errors = NULL;
    }
    cJSON_Delete(t.ids);
    cJSON_Delete(t.errors);
    *result = out;
    return rc;
}

static int customer_import(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return run_import(ctx, params, 0, result);
}

static int order_import(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    return run_import(ctx, params, 1, result);
}

#define IMPORT_PARAMS                                                                              \
    {"records", KITH_T_ARRAY, 1, "the records, at most 1000"},                                     \
        {"on_match", KITH_T_STRING, 0,                                                             \
         "update (customers' default), skip (orders' default) or error"},                          \
        {"dry_run", KITH_T_BOOL, 0, "check and match every record, write nothing"},                \
        {"atomic", KITH_T_BOOL, 0, "any failure fails the call (data.index); nothing is written"}, \
    {                                                                                              \
        "source", KITH_T_STRING, 0, "where the records come from, for the summary event"           \
    }

static const kith_param customer_params[] = {
    IMPORT_PARAMS,
    {"match_on", KITH_T_STRINGS, 0,
     "keys that find an existing customer, in order (default external_id, identity, email, "
     "phone)"},
    {NULL},
};
static const kith_param order_params[] = {IMPORT_PARAMS, {NULL}};

const kith_command kith_cmd_import[] = {
    {"customer.import", customer_import, customer_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Create or update up to 1000 customers, matched on external_id, identity, email or phone",
     "{created, updated, skipped, ids, errors: [{index, code, kind, message, param}]}"},
    {"order.import", order_import, order_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Record up to 1000 orders (history), each naming its customer; matched on external_id",
     "{created, updated, skipped, ids, errors: [{index, code, kind, message, param}]}"},
    {NULL},
};
