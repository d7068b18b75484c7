/*
 * See campaign.h: the campaign record.  Its columns are listed once
 * (CAMPAIGN_COLUMNS), beside the function that turns a row into its wire
 * shape.  The members are campaign_member.c.
 */
#include "store/campaign.h"
#include "store/row.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define CAMPAIGN_COLUMNS                                                                           \
    "id, name, kind, channel, status, segment, control_pct, seed, attribution_window_ms, "         \
    "launched_at, ends_at, finished_at, budget_cents, cost_cents, owner, description, attrs, "     \
    "created_by, created_at, updated_at"

/* A window as the user would type it: "30d", "12h", "90m" or "45s". */
static void window_text(int64_t ms, char out[32])
{
    static const struct {
        int64_t unit;
        char suffix;
    } units[] = {{86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ms % units[i].unit == 0) {
            snprintf(out, 32, "%" PRId64 "%c", ms / units[i].unit, units[i].suffix);
            return;
        }
    snprintf(out, 32, "%" PRId64 "ms", ms);
}

static int add_money_or_null(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return cJSON_AddNullToObject(o, key) ? 0 : KITH_ENOMEM;
    return kith_json_add_money(o, key, sqlite3_column_int64(st, col));
}

static cJSON *campaign_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *c = cJSON_CreateObject();
    if (!c) return NULL;
    char window[32];
    window_text(sqlite3_column_int64(st, 8), window);
    int rc = kith_json_add_int(c, "id", sqlite3_column_int64(st, 0));
    rc |= kith_row_add_str(c, "name", st, 1);
    rc |= kith_row_add_str(c, "kind", st, 2);
    rc |= kith_row_add_str(c, "channel", st, 3);
    rc |= kith_row_add_str(c, "status", st, 4);
    rc |= kith_row_add_str(c, "segment", st, 5);
    rc |= cJSON_AddNumberToObject(c, "control_pct", sqlite3_column_double(st, 6)) ? 0 : KITH_ENOMEM;
    rc |= kith_json_add_int(c, "seed", sqlite3_column_int64(st, 7));
    rc |= kith_json_add_str(c, "attribution_window", window);
    rc |= kith_json_add_int(c, "attribution_window_ms", sqlite3_column_int64(st, 8));
    rc |= kith_row_add_time(c, "launched_at", st, 9);
    rc |= kith_row_add_time(c, "ends_at", st, 10);
    rc |= kith_row_add_time(c, "finished_at", st, 11);
    rc |= add_money_or_null(c, "budget", st, 12);
    rc |= add_money_or_null(c, "cost", st, 13);
    rc |= kith_row_add_str(c, "owner", st, 14);
    rc |= kith_row_add_str(c, "description", st, 15);
    rc |= kith_row_add_json(c, "attrs", st, 16, "{}");
    rc |= kith_row_add_str(c, "created_by", st, 17);
    rc |= kith_row_add_time(c, "created_at", st, 18);
    rc |= kith_row_add_time(c, "updated_at", st, 19);
    if (rc) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

static void bind_time_or_null(sqlite3_stmt *st, int idx, int64_t t)
{
    if (t == KITH_TIME_NONE)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, t);
}

static void bind_cents_or_null(sqlite3_stmt *st, int idx, int64_t cents)
{
    if (cents < 0)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, cents);
}

int kith_store_campaign_insert(kith_store *s, const kith_campaign_new *c, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO campaigns(name, kind, channel, segment, control_pct, seed, "
           "attribution_window_ms, ends_at, budget_cents, cost_cents, owner, description, attrs, "
           "created_by, created_at, updated_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)");
    if (!st) return KITH_EIO;
    int rc = kith_row_bind_str(st, 1, c->name);
    rc |= kith_row_bind_str(st, 2, c->kind);
    rc |= kith_row_bind_str(st, 3, c->channel);
    rc |= kith_row_bind_str(st, 4, c->segment);
    sqlite3_bind_double(st, 5, c->control_pct);
    sqlite3_bind_int64(st, 6, c->seed);
    sqlite3_bind_int64(st, 7, c->window_ms);
    bind_time_or_null(st, 8, c->ends_at);
    bind_cents_or_null(st, 9, c->budget_cents);
    bind_cents_or_null(st, 10, c->cost_cents);
    rc |= kith_row_bind_str(st, 11, c->owner);
    rc |= kith_row_bind_str(st, 12, c->description);
    rc |= kith_row_bind_json(st, 13, c->attrs, "{}");
    rc |= kith_row_bind_str(st, 14, c->by);
    sqlite3_bind_int64(st, 15, c->now);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return KITH_ENOMEM;
    }
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert campaign");
    *id = sqlite3_last_insert_rowid(kith_store_db(s));
    return 0;
}

int kith_store_campaign_get(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return kith_row_one(s, st, campaign_row, NULL, "get campaign", out);
}

int kith_store_campaign_find(kith_store *s, const char *name, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT id FROM campaigns WHERE name = ?");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, name);
    int n = 0;
    int rc = kith_row_ids(s, st, 1, id, &n, "find campaign");
    return rc < 0 ? rc : n ? 0 : KITH_ENOTFOUND;
}

/* The money member `key` of `rec` in cents, or -1 when absent or null. */
static int64_t rec_cents(const cJSON *rec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    int64_t cents;
    if (!cJSON_IsNumber(v) || kith_money_from_double(v->valuedouble, &cents) < 0) return -1;
    return cents;
}

int kith_store_campaign_update(kith_store *s, int64_t id, const cJSON *rec, int64_t now)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE campaigns SET kind = ?1, channel = ?2, segment = ?3, control_pct = ?4, "
           "seed = ?5, attribution_window_ms = ?6, ends_at = ?7, budget_cents = ?8, "
           "cost_cents = ?9, owner = ?10, description = ?11, attrs = ?12, updated_at = ?13 "
           "WHERE id = ?14");
    if (!st) return KITH_EIO;
    int64_t ends_at = KITH_TIME_NONE;
    const char *ends = kith_json_get_str(rec, "ends_at");
    if (ends && kith_time_parse_iso(ends, &ends_at) < 0) ends_at = KITH_TIME_NONE;
    int rc = kith_row_bind_str(st, 1, kith_json_get_str(rec, "kind"));
    rc |= kith_row_bind_str(st, 2, kith_json_get_str(rec, "channel"));
    rc |= kith_row_bind_str(st, 3, kith_json_get_str(rec, "segment"));
    sqlite3_bind_double(st, 4,
                        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "control_pct")));
    sqlite3_bind_int64(
        st, 5, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "seed")));
    sqlite3_bind_int64(st, 6,
                       (int64_t)cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(rec, "attribution_window_ms")));
    bind_time_or_null(st, 7, ends_at);
    bind_cents_or_null(st, 8, rec_cents(rec, "budget"));
    bind_cents_or_null(st, 9, rec_cents(rec, "cost"));
    rc |= kith_row_bind_str(st, 10, kith_json_get_str(rec, "owner"));
    rc |= kith_row_bind_str(st, 11, kith_json_get_str(rec, "description"));
    rc |= kith_row_bind_json(st, 12, cJSON_GetObjectItemCaseSensitive(rec, "attrs"), "{}");
    sqlite3_bind_int64(st, 13, now);
    sqlite3_bind_int64(st, 14, id);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        return KITH_ENOMEM;
    }
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "update campaign");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_campaign_move(kith_store *s, int64_t id, const char *from, const char *to,
                             int64_t now)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE campaigns SET status = ?3, updated_at = ?4, "
           "launched_at = CASE WHEN ?3 = 'active' THEN ?4 ELSE launched_at END, "
           "finished_at = CASE WHEN ?3 IN ('completed', 'cancelled') THEN ?4 ELSE finished_at END "
           "WHERE id = ?1 AND status = ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    kith_row_bind_str(st, 2, from);
    kith_row_bind_str(st, 3, to);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "move campaign");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_campaign_list(kith_store *s, const char *status, int limit, const kith_cursor *after,
                             cJSON *items, int *more, kith_cursor *next)
{
    sqlite3_stmt *st =
        status ? kith_store_stmt(s, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id < ?1 "
                                    "AND status = ?3 ORDER BY id DESC LIMIT ?2")
               : kith_store_stmt(s, "SELECT " CAMPAIGN_COLUMNS " FROM campaigns WHERE id < ?1 "
                                    "ORDER BY id DESC LIMIT ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after ? after->id : INT64_MAX);
    sqlite3_bind_int(st, 2, limit + 1);
    if (status) kith_row_bind_str(st, 3, status);
    return kith_row_page(s, st, limit, 0, 0, campaign_row, NULL, items, more, next);
}
