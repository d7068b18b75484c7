/*
 * Survey invitations: see survey.h (notes 2-4).  Every move is one
 * conditional UPDATE on the expected status, so a due invitation is sent or
 * expired at most once, and the due queries read only the partial indexes
 * survey_invitations_send / _expiry.
 */
#include "store/row.h"
#include "store/survey.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>
#include <string.h>

#define INVITATION_COLUMNS                                                                         \
    "i.id, s.name, i.customer_id, i.channel, i.status, i.context, i.suppressed_reason, "           \
    "i.send_at, i.sent_at, i.answered_at, i.declined_at, i.expired_at, i.expires_at, "             \
    "i.created_by, i.created_at, i.token"
#define INVITATION_FROM " FROM survey_invitations i JOIN surveys s ON s.id = i.survey_id"

/* arg: an int, nonzero to show the token (note 4). */
static cJSON *from_row(sqlite3_stmt *st, void *arg)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_json_add_int(o, "id", sqlite3_column_int64(st, 0));
    rc |= kith_row_add_str(o, "survey", st, 1);
    rc |= kith_json_add_int(o, "customer_id", sqlite3_column_int64(st, 2));
    rc |= kith_row_add_str(o, "channel", st, 3);
    rc |= kith_row_add_str(o, "status", st, 4);
    rc |= kith_row_add_json(o, "context", st, 5, "{}");
    rc |= kith_row_add_str(o, "suppressed_reason", st, 6);
    rc |= kith_row_add_time(o, "send_at", st, 7);
    rc |= kith_row_add_time(o, "sent_at", st, 8);
    rc |= kith_row_add_time(o, "answered_at", st, 9);
    rc |= kith_row_add_time(o, "declined_at", st, 10);
    rc |= kith_row_add_time(o, "expired_at", st, 11);
    rc |= kith_row_add_time(o, "expires_at", st, 12);
    rc |= kith_row_add_str(o, "created_by", st, 13);
    rc |= kith_row_add_time(o, "created_at", st, 14);
    if (arg && *(const int *)arg) rc |= kith_row_add_str(o, "token", st, 15);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int kith_store_invitation_insert(kith_store *s, const kith_invitation_new *n, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO survey_invitations(survey_id, customer_id, channel, status, token, "
           "context, suppressed_reason, send_at, sent_at, expires_at, created_by, created_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN ?4 = 'sent' THEN ?11 END, ?9, ?10, "
           "?11)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, n->survey_id);
    sqlite3_bind_int64(st, 2, n->customer_id);
    kith_row_bind_str(st, 3, n->channel);
    kith_row_bind_str(st, 4, n->status);
    kith_row_bind_str(st, 5, n->token);
    kith_row_bind_json(st, 6, n->context, "{}");
    kith_row_bind_str(st, 7, n->suppressed_reason);
    sqlite3_bind_int64(st, 8, n->send_at);
    sqlite3_bind_int64(st, 9, n->expires_at);
    kith_row_bind_str(st, 10, n->created_by);
    sqlite3_bind_int64(st, 11, n->now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "insert invitation");
    *id = sqlite3_last_insert_rowid(kith_store_db(s));
    return 0;
}

static int one(kith_store *s, sqlite3_stmt *st, int with_token, cJSON **out)
{
    return kith_row_one(s, st, from_row, &with_token, "get invitation", out);
}

int kith_store_invitation_get(kith_store *s, int64_t id, int with_token, cJSON **out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " INVITATION_COLUMNS INVITATION_FROM " WHERE i.id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    return one(s, st, with_token, out);
}

int kith_store_invitation_by_token(kith_store *s, const char *token, cJSON **out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " INVITATION_COLUMNS INVITATION_FROM " WHERE i.token = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
    return one(s, st, 0, out);
}

int kith_store_invitation_open(kith_store *s, int64_t survey_id, int64_t customer_id, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT id FROM survey_invitations WHERE survey_id = ? AND customer_id = ? "
           "AND status IN ('pending', 'sent') ORDER BY id DESC LIMIT 1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, survey_id);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    int out = rc == SQLITE_ROW    ? 0
              : rc == SQLITE_DONE ? KITH_ENOTFOUND
                                  : kith_store_error(s, "open invitation");
    sqlite3_reset(st);
    return out;
}

int kith_store_invitation_move(kith_store *s, int64_t id, const char *from, const char *to,
                               int64_t at)
{
    /* One statement per target, so the time column is fixed text. */
    const char *sql;
    if (strcmp(to, "sent") == 0)
        sql = "UPDATE survey_invitations SET status = 'sent', sent_at = ?1 "
              "WHERE id = ?2 AND status = ?3";
    else if (strcmp(to, "answered") == 0)
        sql = "UPDATE survey_invitations SET status = 'answered', answered_at = ?1 "
              "WHERE id = ?2 AND status = ?3";
    else if (strcmp(to, "declined") == 0)
        sql = "UPDATE survey_invitations SET status = 'declined', declined_at = ?1 "
              "WHERE id = ?2 AND status = ?3";
    else if (strcmp(to, "expired") == 0)
        sql = "UPDATE survey_invitations SET status = 'expired', expired_at = ?1 "
              "WHERE id = ?2 AND status = ?3";
    else
        return KITH_EPARAMS;
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, from, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "move invitation");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_invitation_list(kith_store *s, const kith_invitation_filter *f, int limit,
                               const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " INVITATION_COLUMNS INVITATION_FROM
                           " WHERE (?1 = 0 OR i.survey_id = ?1) AND (?2 = 0 OR i.customer_id = ?2) "
                           "AND (?3 IS NULL OR i.status = ?3) AND (?4 = 0 OR i.id < ?4) "
                           "ORDER BY i.id DESC LIMIT ?5");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, f->survey_id);
    sqlite3_bind_int64(st, 2, f->customer_id);
    kith_row_bind_str(st, 3, f->status);
    sqlite3_bind_int64(st, 4, after ? after->id : 0);
    sqlite3_bind_int(st, 5, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, from_row, NULL, items, more, next);
}

static int next_at(kith_store *s, const char *sql, int64_t *at)
{
    sqlite3_stmt *st = kith_store_stmt(s, sql);
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *at = sqlite3_column_int64(st, 0);
    int out = rc == SQLITE_ROW    ? 0
              : rc == SQLITE_DONE ? KITH_ENOTFOUND
                                  : kith_store_error(s, "next due invitation");
    sqlite3_reset(st);
    return out;
}

int kith_store_invitation_next_send(kith_store *s, int64_t *at)
{
    return next_at(s,
                   "SELECT send_at FROM survey_invitations INDEXED BY survey_invitations_send "
                   "WHERE status = 'pending' ORDER BY send_at, id LIMIT 1",
                   at);
}

int kith_store_invitation_next_expiry(kith_store *s, int64_t *at)
{
    return next_at(s,
                   "SELECT expires_at FROM survey_invitations INDEXED BY survey_invitations_expiry "
                   "WHERE status = 'sent' ORDER BY expires_at, id LIMIT 1",
                   at);
}

int kith_store_invitation_due(kith_store *s, int expiry, int64_t now, int limit, int64_t *ids,
                              int *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, expiry ? "SELECT id FROM survey_invitations INDEXED BY survey_invitations_expiry "
                    "WHERE status = 'sent' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?"
                  : "SELECT id FROM survey_invitations INDEXED BY survey_invitations_send "
                    "WHERE status = 'pending' AND send_at <= ? ORDER BY send_at, id LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    return kith_row_ids(s, st, limit, ids, n, "due invitations");
}
