/*
 * company.create / get / update / delete / list: the accounts B2B contacts
 * belong to (customers link by company_id).  company.get adds `stats`,
 * rolled up from the contacts when read (store/company.h), and the first
 * contacts.  Writes run crm.before hooks (company.created / updated) and
 * emit company.created / updated / deleted with `by`; an update's event
 * carries `changes`.
 */
#include "commands/commands.h"
#include "script/script.h"
#include "store/company.h"
#include "store/customer.h"
#include "util/error.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

#define MAX_ATTRS_BYTES 65536
#define SHOWN_CONTACTS  20

static const char *const fields[] = {"name", "domain", "industry", "size", "owner", "attrs", NULL};

static int check_fields(kith_ctx *ctx, const cJSON *p, int creating)
{
    int rc = kith_cmd_check_text(ctx, p, "name", 200, 1);
    if (!rc && creating && !kith_json_get_str(p, "name"))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "name", "a company needs a name");
    if (!rc) rc = kith_cmd_check_text(ctx, p, "domain", 253, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "industry", 64, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "size", 32, 1);
    if (!rc) rc = kith_cmd_check_text(ctx, p, "owner", 64, 1);
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(p, "attrs");
    if (!rc && attrs && !cJSON_IsNull(attrs)) {
        char *text = cJSON_IsObject(attrs) ? cJSON_PrintUnformatted(attrs) : NULL;
        if (!text || strlen(text) > MAX_ATTRS_BYTES)
            rc = kith_ctx_fail(ctx, KITH_EPARAMS, "attrs",
                               "attrs must be an object of at most %d bytes of JSON",
                               MAX_ATTRS_BYTES);
        cJSON_free(text);
    }
    return rc;
}

/* Checks the record as before hooks left it: the types, then the values. */
static int check_record(kith_ctx *ctx, const cJSON *rec)
{
    for (int i = 0; fields[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, fields[i]);
        int ok = strcmp(fields[i], "attrs") == 0  ? !v || cJSON_IsNull(v) || cJSON_IsObject(v)
                 : strcmp(fields[i], "name") == 0 ? cJSON_IsString(v)
                                                  : !v || cJSON_IsNull(v) || cJSON_IsString(v);
        if (!ok)
            return kith_ctx_fail(ctx, KITH_ESCRIPT, fields[i],
                                 "a rule left the company's %s invalid", fields[i]);
    }
    return check_fields(ctx, rec, 1);
}

static int load(kith_ctx *ctx, int64_t id, cJSON **out)
{
    int rc = kith_store_company_get(ctx->store, id, out);
    if (rc == KITH_ENOTFOUND)
        return kith_ctx_fail(ctx, rc, "id", "company %lld not found", (long long)id);
    return rc < 0 ? kith_cmd_store_fail(ctx, rc, "company") : 0;
}

static int company_create(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int rc = check_fields(ctx, params, 1);
    if (rc) return rc;
    cJSON *rec = cJSON_CreateObject();
    for (int i = 0; fields[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, fields[i]);
        if (v && !cJSON_IsNull(v)) cJSON_AddItemToObject(rec, fields[i], cJSON_Duplicate(v, 1));
    }
    rc = kith_cmd_before(ctx, "company.created", "company", &rec, NULL);
    if (!rc) rc = check_record(ctx, rec);
    cJSON *company = NULL;
    char by[KITH_ACTOR_MAX];
    if (!rc &&
        (rc = kith_store_company_insert(ctx->store, rec, kith_script_actor(ctx, by, sizeof(by)),
                                        ctx->now, &company)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "company");
    cJSON_Delete(rec);
    if (!rc) rc = kith_cmd_emit_record(ctx, "company.created", 0, "company", company, NULL);
    if (rc) {
        cJSON_Delete(company);
        return rc;
    }
    *result = company;
    return 0;
}

/* field -> {old, new} for every field that differs. */
static cJSON *diff(const cJSON *old, const cJSON *new)
{
    cJSON *changes = cJSON_CreateObject();
    for (int i = 0; fields[i]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, fields[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(new, fields[i]);
        if ((!a || cJSON_IsNull(a)) && (!b || cJSON_IsNull(b))) continue;
        if (cJSON_Compare(a, b, 1)) continue;
        cJSON *ch = cJSON_AddObjectToObject(changes, fields[i]);
        cJSON_AddItemToObject(ch, "old", a ? cJSON_Duplicate(a, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(ch, "new", b ? cJSON_Duplicate(b, 1) : cJSON_CreateNull());
    }
    return changes;
}

/* Fields replace, attrs merge (a key set to null is removed). */
static void apply_update(cJSON *rec, const cJSON *params)
{
    for (int i = 0; fields[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, fields[i]);
        if (!v) continue;
        if (strcmp(fields[i], "attrs") != 0) {
            cJSON_DeleteItemFromObjectCaseSensitive(rec, fields[i]);
            cJSON_AddItemToObject(rec, fields[i], cJSON_Duplicate(v, 1));
            continue;
        }
        cJSON *attrs = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
        const cJSON *a;
        cJSON_ArrayForEach(a, v)
        {
            cJSON_DeleteItemFromObjectCaseSensitive(attrs, a->string);
            if (!cJSON_IsNull(a)) cJSON_AddItemToObject(attrs, a->string, cJSON_Duplicate(a, 1));
        }
    }
}

static int company_update(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = check_fields(ctx, params, 0);
    if (!rc && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(params, "name")))
        rc = kith_ctx_fail(ctx, KITH_EPARAMS, "name", "name cannot be cleared");
    cJSON *old = NULL;
    if (!rc) rc = load(ctx, id, &old);
    if (rc) return rc;
    cJSON *rec = cJSON_Duplicate(old, 1), *changes = NULL, *company = NULL;
    apply_update(rec, params);
    cJSON *context = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(context, "old", old);
    rc = kith_cmd_before(ctx, "company.updated", "company", &rec, context);
    cJSON_Delete(context);
    if (!rc) rc = check_record(ctx, rec);
    if (!rc) changes = diff(old, rec);
    if (!rc && changes->child &&
        (rc = kith_store_company_update(ctx->store, id, rec, ctx->now)) < 0)
        rc = kith_cmd_store_fail(ctx, rc, "company");
    if (!rc) rc = load(ctx, id, &company);
    if (!rc && changes->child) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(data, "company", company);
        cJSON_AddItemReferenceToObject(data, "changes", changes);
        rc = kith_cmd_emit(ctx, "company.updated", 0, data);
        cJSON_Delete(data);
    }
    cJSON_Delete(old);
    cJSON_Delete(rec);
    cJSON_Delete(changes);
    if (rc) {
        cJSON_Delete(company);
        return rc;
    }
    *result = company;
    return 0;
}

static int company_delete(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id, detached = 0;
    cJSON *company = NULL;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = load(ctx, id, &company);
    if (rc) return rc;
    int detach = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "detach"));
    rc = kith_store_company_delete(ctx->store, id, detach, &detached);
    if (rc == KITH_ECONFLICT)
        rc = kith_cmd_conflict(ctx, "has_contacts", NULL,
                               "company %lld still has contacts; delete with detach: true to "
                               "unlink them",
                               (long long)id);
    else if (rc < 0)
        rc = kith_cmd_store_fail(ctx, rc, "company");
    if (!rc) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(data, "company", company);
        kith_json_add_int(data, "detached", detached);
        rc = kith_cmd_emit(ctx, "company.deleted", 0, data);
        cJSON_Delete(data);
    }
    cJSON_Delete(company);
    if (rc) return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "deleted", 1);
    kith_json_add_int(o, "id", id);
    kith_json_add_int(o, "detached", detached);
    *result = o;
    return 0;
}

static int company_get(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    int64_t id;
    cJSON *company = NULL, *stats = NULL;
    int rc = kith_cmd_id_arg(ctx, params, "id", &id);
    if (!rc) rc = load(ctx, id, &company);
    if (rc) return rc;
    if ((rc = kith_store_company_stats(ctx->store, id, &stats)) < 0) {
        cJSON_Delete(company);
        return kith_cmd_store_fail(ctx, rc, "company");
    }
    cJSON_AddItemToObject(company, "stats", stats);
    kith_customer_filter f = {.company_id = id};
    cJSON *contacts = cJSON_CreateArray();
    int more = 0;
    kith_cursor next;
    rc = kith_store_customer_list(ctx->store, &f, SHOWN_CONTACTS, NULL, contacts, &more, &next);
    if (rc < 0) {
        cJSON_Delete(contacts);
        cJSON_Delete(company);
        return kith_cmd_store_fail(ctx, rc, "contacts");
    }
    cJSON_AddItemToObject(company, "contacts", contacts);
    *result = company;
    return 0;
}

static int company_list(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    kith_company_filter f = {
        .industry = kith_json_get_str(params, "industry"),
        .owner = kith_json_get_str(params, "owner"),
        .size = kith_json_get_str(params, "size"),
        .q = kith_json_get_str(params, "q"),
    };
    kith_cursor cursor, next = {0, 0};
    const kith_cursor *after;
    int limit, more;
    int rc = kith_cmd_page_args(ctx, params, &limit, &cursor, &after);
    if (rc) return rc;
    cJSON *items = cJSON_CreateArray();
    if ((rc = kith_store_company_list(ctx->store, &f, limit, after, items, &more, &next)) < 0) {
        cJSON_Delete(items);
        return kith_cmd_store_fail(ctx, rc, "companies");
    }
    *result = kith_cmd_page_result(items, more, &next);
    return 0;
}

#define COMPANY_FIELDS(req)                                                                        \
    {"name", KITH_T_STRING, req, "the company's name"},                                            \
        {"domain", KITH_T_STRING, 0, "its web or e-mail domain"},                                  \
        {"industry", KITH_T_STRING, 0, "industry, as you classify them"},                          \
        {"size", KITH_T_STRING, 0, "size band, e.g. 1-10, 11-50, 51-200, 201+"},                   \
        {"owner", KITH_T_STRING, 0, "the account owner"},                                          \
    {                                                                                              \
        "attrs", KITH_T_OBJECT, 0, "custom attributes (update merges; null removes a key)"         \
    }

static const kith_param create_params[] = {COMPANY_FIELDS(1), {NULL}};
static const kith_param update_params[] = {
    {"id", KITH_T_INT, 1, "company id"}, COMPANY_FIELDS(0), {NULL}};
static const kith_param get_params[] = {{"id", KITH_T_INT, 1, "company id"}, {NULL}};
static const kith_param delete_params[] = {
    {"id", KITH_T_INT, 1, "company id"},
    {"detach", KITH_T_BOOL, 0, "unlink its contacts first (else refused while it has any)"},
    {NULL},
};
static const kith_param list_params[] = {
    {"industry", KITH_T_STRING, 0, "only this industry"},
    {"owner", KITH_T_STRING, 0, "only this owner's"},
    {"size", KITH_T_STRING, 0, "only this size band"},
    {"q", KITH_T_STRING, 0, "text in the name or domain"},
    KITH_LIST_PARAMS,
    {NULL},
};

const kith_command kith_cmd_company[] = {
    {"company.create", company_create, create_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Create a company (account)", "the company"},
    {"company.get", company_get, get_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "A company with its figures rolled up from its contacts, and its first contacts",
     "the company with stats and contacts"},
    {"company.update", company_update, update_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Change a company's fields; attrs merge", "the company"},
    {"company.delete", company_delete, delete_params, KITH_CMD_WRITE, KITH_ROLE_AGENT,
     "Delete a company; its contacts stay, unlinked (with detach)", "{deleted, id, detached}"},
    {"company.list", company_list, list_params, KITH_CMD_READ, KITH_ROLE_VIEWER,
     "Companies in id order, by industry, owner, size or text", "{items: [company], next_cursor}"},
    {NULL},
};
