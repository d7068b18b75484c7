/*
 * Survey responses: see survey.h (note 5).  Inserted once, never changed.
 */
#include "store/row.h"
#include "store/survey.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>

#define RESPONSE_COLUMNS                                                                           \
    "r.id, s.name, r.customer_id, r.invitation_id, r.answers, r.comment, r.channel, r.by, r.at, "  \
    "r.context, r.scores, r.attrs, r.created_at"
#define RESPONSE_FROM " FROM survey_responses r JOIN surveys s ON s.id = r.survey_id"

static int add_id_or_null(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return cJSON_AddNullToObject(o, key) ? 0 : KITH_ENOMEM;
    return kith_json_add_int(o, key, sqlite3_column_int64(st, col));
}

static cJSON *from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_json_add_int(o, "id", sqlite3_column_int64(st, 0));
    rc |= kith_row_add_str(o, "survey", st, 1);
    rc |= add_id_or_null(o, "customer_id", st, 2);
    rc |= add_id_or_null(o, "invitation_id", st, 3);
    rc |= kith_row_add_json(o, "answers", st, 4, "{}");
    rc |= kith_row_add_str(o, "comment", st, 5);
    rc |= kith_row_add_str(o, "channel", st, 6);
    rc |= kith_row_add_str(o, "by", st, 7);
    rc |= kith_row_add_time(o, "at", st, 8);
    rc |= kith_row_add_json(o, "context", st, 9, "{}");
    rc |= kith_row_add_json(o, "scores", st, 10, "{}");
    rc |= kith_row_add_json(o, "attrs", st, 11, "{}");
    rc |= kith_row_add_time(o, "created_at", st, 12);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int get(kith_store *s, int64_t id, cJSON **out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " RESPONSE_COLUMNS RESPONSE_FROM " WHERE r.id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return kith_row_one(s, st, from_row, NULL, "get response", out);
}

int kith_store_response_insert(kith_store *s, const kith_response_new *n, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO survey_responses(survey_id, customer_id, invitation_id, answers, comment, "
           "channel, by, at, context, scores, attrs, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, n->survey_id);
    if (n->customer_id)
        sqlite3_bind_int64(st, 2, n->customer_id);
    else
        sqlite3_bind_null(st, 2);
    if (n->invitation_id)
        sqlite3_bind_int64(st, 3, n->invitation_id);
    else
        sqlite3_bind_null(st, 3);
    kith_row_bind_json(st, 4, n->answers, "{}");
    kith_row_bind_str(st, 5, n->comment);
    kith_row_bind_str(st, 6, n->channel);
    kith_row_bind_str(st, 7, n->by);
    sqlite3_bind_int64(st, 8, n->at);
    kith_row_bind_json(st, 9, n->context, "{}");
    kith_row_bind_json(st, 10, n->scores, "{}");
    kith_row_bind_json(st, 11, n->attrs, "{}");
    sqlite3_bind_int64(st, 12, n->now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "insert response");
    return get(s, sqlite3_last_insert_rowid(kith_store_db(s)), out);
}

int kith_store_response_exists(kith_store *s, int64_t survey_id, int64_t customer_id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT 1 FROM survey_responses WHERE survey_id = ? AND customer_id = ? LIMIT 1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, survey_id);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : kith_store_error(s, "response exists");
    sqlite3_reset(st);
    return out;
}

int kith_store_response_list(kith_store *s, const kith_response_filter *f, int limit,
                             const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " RESPONSE_COLUMNS RESPONSE_FROM
                           " WHERE (?1 = 0 OR r.survey_id = ?1) AND (?2 = 0 OR r.customer_id = ?2) "
                           "AND r.at >= ?3 AND r.at < ?4 AND (?5 = 0 OR r.id < ?5) "
                           "ORDER BY r.id DESC LIMIT ?6");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, f->survey_id);
    sqlite3_bind_int64(st, 2, f->customer_id);
    sqlite3_bind_int64(st, 3, f->from);
    sqlite3_bind_int64(st, 4, f->to);
    sqlite3_bind_int64(st, 5, after ? after->id : 0);
    sqlite3_bind_int(st, 6, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, from_row, NULL, items, more, next);
}
