/*
 * See deal.h.
 */
#include "store/deal.h"
#include "store/row.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

enum kind { TEXT, INT, MONEY, REAL, TIME, JSON };

/* The record's members and their columns, in table order after id. */
static const struct column {
    const char *key, *col;
    int kind;
} columns[] = {
    {"customer_id", "customer_id", INT},
    {"pipeline", "pipeline", TEXT},
    {"name", "name", TEXT},
    {"amount", "amount_cents", MONEY},
    {"currency", "currency", TEXT},
    {"stage", "stage", TEXT},
    {"status", "status", TEXT},
    {"probability", "probability", REAL},
    {"forecast_category", "forecast_category", TEXT},
    {"expected_close", "expected_close", TIME},
    {"owner", "owner", TEXT},
    {"team", "team", TEXT},
    {"source", "source", TEXT},
    {"competitors", "competitors", JSON},
    {"next_step", "next_step", TEXT},
    {"lost_reason", "lost_reason", TEXT},
    {"lost_to", "lost_to", TEXT},
    {"won_order_id", "won_order_id", INT},
    {"stage_entered_at", "stage_entered_at", TIME},
    {"last_activity_at", "last_activity_at", TIME},
    {"rot_at", "rot_at", TIME},
    {"closed_at", "closed_at", TIME},
    {"attrs", "attrs", JSON},
    {"created_at", "created_at", TIME},
    {"updated_at", "updated_at", TIME},
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

#define SELECT_COLS                                                                                \
    "id, customer_id, pipeline, name, amount_cents, currency, stage, status, probability, "        \
    "forecast_category, expected_close, owner, team, source, competitors, next_step, "             \
    "lost_reason, "                                                                                \
    "lost_to, won_order_id, stage_entered_at, last_activity_at, rot_at, closed_at, attrs, "        \
    "created_at, updated_at, rotted_at"

static void bind_member(sqlite3_stmt *st, int idx, const cJSON *v, int kind)
{
    int64_t n;
    if (!v || cJSON_IsNull(v)) {
        sqlite3_bind_null(st, idx);
        return;
    }
    switch (kind) {
    case TEXT: kith_row_bind_str(st, idx, cJSON_GetStringValue(v)); break;
    case INT: sqlite3_bind_int64(st, idx, (int64_t)cJSON_GetNumberValue(v)); break;
    case MONEY:
        if (kith_money_from_double(cJSON_GetNumberValue(v), &n) < 0) n = 0;
        sqlite3_bind_int64(st, idx, n);
        break;
    case REAL: sqlite3_bind_double(st, idx, cJSON_GetNumberValue(v)); break;
    case TIME:
        if (cJSON_IsString(v) && kith_time_parse_iso(v->valuestring, &n) == 0)
            sqlite3_bind_int64(st, idx, n);
        else
            sqlite3_bind_null(st, idx);
        break;
    default: kith_row_bind_json(st, idx, v, "null"); break;
    }
}

static void bind_record(sqlite3_stmt *st, const cJSON *rec)
{
    for (size_t i = 0; i < NCOLS; i++)
        bind_member(st, (int)i + 1, cJSON_GetObjectItemCaseSensitive(rec, columns[i].key),
                    columns[i].kind);
}

static cJSON *from_row(sqlite3_stmt *st, void *arg)
{
    (void)arg;
    cJSON *d = cJSON_CreateObject();
    if (!d) return NULL;
    kith_json_add_int(d, "id", sqlite3_column_int64(st, 0));
    for (size_t i = 0; i < NCOLS; i++) {
        int col = (int)i + 1;
        const struct column *c = &columns[i];
        if (strcmp(c->key, "rot_at") == 0) continue; /* internal: shown as `rotting` */
        if (sqlite3_column_type(st, col) == SQLITE_NULL) {
            cJSON_AddNullToObject(d, c->key);
            continue;
        }
        switch (c->kind) {
        case TEXT: kith_row_add_str(d, c->key, st, col); break;
        case INT: kith_json_add_int(d, c->key, sqlite3_column_int64(st, col)); break;
        case MONEY: kith_json_add_money(d, c->key, sqlite3_column_int64(st, col)); break;
        case REAL: cJSON_AddNumberToObject(d, c->key, sqlite3_column_double(st, col)); break;
        case TIME: kith_row_add_time(d, c->key, st, col); break;
        default: kith_row_add_json(d, c->key, st, col, "null"); break;
        }
    }
    cJSON_AddBoolToObject(d, "rotting", sqlite3_column_type(st, (int)NCOLS + 1) != SQLITE_NULL);
    return d;
}

int kith_store_deal_insert(kith_store *s, const cJSON *rec, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO deals(customer_id, pipeline, name, amount_cents, currency, stage, status, "
           "probability, forecast_category, expected_close, owner, team, source, competitors, "
           "next_step, lost_reason, lost_to, won_order_id, stage_entered_at, last_activity_at, "
           "rot_at, closed_at, attrs, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    bind_record(st, rec);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "insert deal");
    *id = sqlite3_last_insert_rowid(kith_store_db(s));
    return 0;
}

int kith_store_deal_update(kith_store *s, int64_t id, const cJSON *rec)
{
    /* A moved rot_at is new activity: the fired mark goes with the old one. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE deals SET customer_id = ?1, pipeline = ?2, name = ?3, amount_cents = ?4, "
           "currency = ?5, stage = ?6, status = ?7, probability = ?8, forecast_category = ?9, "
           "expected_close = ?10, owner = ?11, team = ?12, source = ?13, competitors = ?14, "
           "next_step = ?15, lost_reason = ?16, lost_to = ?17, won_order_id = ?18, "
           "stage_entered_at = ?19, last_activity_at = ?20, "
           "rotted_at = CASE WHEN rot_at IS ?21 THEN rotted_at ELSE NULL END, rot_at = ?21, "
           "closed_at = ?22, attrs = ?23, created_at = ?24, updated_at = ?25 WHERE id = ?26");
    if (!st) return KITH_EIO;
    bind_record(st, rec);
    sqlite3_bind_int64(st, (int)NCOLS + 1, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "update deal");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_deal_get(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT " SELECT_COLS " FROM deals WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return kith_row_one(s, st, from_row, NULL, "get deal", out);
}

int kith_store_deal_list(kith_store *s, const kith_deal_filter *f, int limit,
                         const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT " SELECT_COLS " FROM deals WHERE id > ?1 "
           "AND (?2 = 0 OR customer_id = ?2) AND (?3 IS NULL OR owner = ?3) "
           "AND (?4 IS NULL OR team = ?4) AND (?5 IS NULL OR pipeline = ?5) "
           "AND (?6 IS NULL OR stage = ?6) AND (?7 IS NULL OR status = ?7) "
           "AND (?8 = 0 OR expected_close >= ?8) AND (?9 = 0 OR expected_close < ?9) "
           "ORDER BY id LIMIT ?10");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, after ? after->id : 0);
    sqlite3_bind_int64(st, 2, f->customer_id);
    kith_row_bind_str(st, 3, f->owner);
    kith_row_bind_str(st, 4, f->team);
    kith_row_bind_str(st, 5, f->pipeline);
    kith_row_bind_str(st, 6, f->stage);
    kith_row_bind_str(st, 7, f->status);
    sqlite3_bind_int64(st, 8, f->closing_after);
    sqlite3_bind_int64(st, 9, f->closing_before);
    sqlite3_bind_int(st, 10, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, from_row, NULL, items, more, next);
}

int kith_store_deal_period(kith_store *s, int64_t from, int64_t to, kith_deal_fn fn, void *ud)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT " SELECT_COLS " FROM deals WHERE (status = 'open' AND expected_close >= ?1 "
           "AND expected_close < ?2) UNION ALL SELECT " SELECT_COLS " FROM deals "
           "WHERE closed_at >= ?1 AND closed_at < ?2 ORDER BY 1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *d = from_row(st, NULL);
        if (d) fn(ud, d);
        cJSON_Delete(d);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "read deals");
}

int kith_store_deal_history_add(kith_store *s, int64_t deal_id, int64_t at, const char *from,
                                const char *to, const char *status, const char *by,
                                const char *note)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO deal_history(deal_id, at, from_stage, to_stage, status, by, note) "
           "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, deal_id);
    sqlite3_bind_int64(st, 2, at);
    kith_row_bind_str(st, 3, from);
    kith_row_bind_str(st, 4, to);
    kith_row_bind_str(st, 5, status);
    kith_row_bind_str(st, 6, by);
    kith_row_bind_str(st, 7, note);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "record deal history");
}

static cJSON *history_row(sqlite3_stmt *st, void *arg)
{
    (void)arg;
    cJSON *h = cJSON_CreateObject();
    kith_row_add_time(h, "at", st, 0);
    kith_row_add_str(h, "from", st, 1);
    kith_row_add_str(h, "to", st, 2);
    kith_row_add_str(h, "status", st, 3);
    kith_row_add_str(h, "by", st, 4);
    kith_row_add_str(h, "note", st, 5);
    return h;
}

int kith_store_deal_history(kith_store *s, int64_t deal_id, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT at, from_stage, to_stage, status, by, note FROM "
                                          "deal_history WHERE deal_id = ? ORDER BY id");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, deal_id);
    cJSON *a = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cJSON_AddItemToArray(a, history_row(st, NULL));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(a);
        return kith_store_error(s, "read deal history");
    }
    *out = a;
    return 0;
}

int kith_store_deal_next_rot(kith_store *s, int64_t *at)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT min(rot_at) FROM deals WHERE status = 'open' "
                                          "AND rotted_at IS NULL AND rot_at IS NOT NULL");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    int none = rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL;
    if (!none) *at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) return kith_store_error(s, "next rotting deal");
    return none ? KITH_ENOTFOUND : 0;
}

int kith_store_deal_due_rot(kith_store *s, int64_t now, int limit, int64_t *ids, int *n)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT id FROM deals WHERE status = 'open' AND rotted_at IS NULL "
                           "AND rot_at IS NOT NULL AND rot_at <= ? ORDER BY rot_at, id LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    return kith_row_ids(s, st, limit, ids, n, "due deals");
}

int kith_store_deal_mark_rotted(kith_store *s, int64_t id, int64_t now)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "UPDATE deals SET rotted_at = ?2 WHERE id = ?1 AND status = 'open' "
                           "AND rotted_at IS NULL AND rot_at <= ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "mark deal rotted");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}
