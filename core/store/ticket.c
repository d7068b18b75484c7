/*
 * See ticket.h.  The record's columns are listed once (fields[]), and the
 * SELECT, INSERT and UPDATE statements and the row <-> wire conversions are
 * all driven by that list, so a field cannot be read one way and written
 * another.
 */
#include "store/ticket.h"
#include "store/row.h"
#include "store/stats.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

enum { F_STR, F_INT, F_TIME, F_JSON };

/* The record's columns after id, in table order. */
static const struct {
    const char *name;
    int type;
} fields[] = {
    {"customer_id", F_INT},
    {"kind", F_STR},
    {"subject", F_STR},
    {"description", F_STR},
    {"channel", F_STR},
    {"category", F_STR},
    {"priority", F_STR},
    {"touchpoint", F_STR},
    {"order_id", F_INT},
    {"owner", F_STR},
    {"team", F_STR},
    {"status", F_STR},
    {"resolution", F_STR},
    {"root_cause", F_STR},
    {"compensation", F_JSON},
    {"customer_notified_at", F_TIME},
    {"notified_via", F_STR},
    {"satisfaction", F_INT},
    {"customer_comment", F_STR},
    {"reject_reason", F_STR},
    {"duplicate_of", F_INT},
    {"parent_id", F_INT},
    {"interaction_id", F_INT},
    {"reopened", F_INT},
    {"accepted_at", F_TIME},
    {"resolved_at", F_TIME},
    {"closed_at", F_TIME},
    {"created_by", F_STR},
    {"attrs", F_JSON},
    {"created_at", F_TIME},
    {"updated_at", F_TIME},
};
#define NFIELDS ((int)(sizeof(fields) / sizeof(fields[0])))

/* The clock's columns after the record's, in table order. */
#define SLA_COLUMNS                                                                                \
    "sla_policy, sla_respond_ms, sla_resolve_ms, sla_warn_at, sla_started_at, sla_paused_ms, "     \
    "sla_paused_at, sla_respond_by, sla_resolve_by, sla_respond_warn_at, sla_resolve_warn_at, "    \
    "sla_responded_at, sla_respond_warned, sla_respond_breached, sla_resolve_warned, "             \
    "sla_resolve_breached, sla_next_at"
#define NSLA 17

static const char *const deadline_names[KITH_SLA_NDEADLINES] = {"respond", "resolve"};

void kith_ticket_sla_clear(kith_ticket_sla *sla)
{
    memset(sla, 0, sizeof(*sla));
    sla->created_at = sla->started_at = sla->paused_at = KITH_TIME_NONE;
    sla->responded_at = sla->next_at = KITH_TIME_NONE;
    for (int d = 0; d < KITH_SLA_NDEADLINES; d++)
        sla->due[d] = sla->warn[d] = KITH_TIME_NONE;
}

/* "id, customer_id, ..., updated_at, sla_policy, ..., sla_next_at" */
static int select_list(kith_buf *b)
{
    int rc = kith_buf_appends(b, "id");
    for (int i = 0; i < NFIELDS; i++) {
        rc |= kith_buf_appends(b, ", ");
        rc |= kith_buf_appends(b, fields[i].name);
    }
    rc |= kith_buf_appends(b, ", " SLA_COLUMNS);
    return rc;
}

static int64_t col_time(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? KITH_TIME_NONE
                                                       : sqlite3_column_int64(st, col);
}

static void read_sla(sqlite3_stmt *st, int col, kith_ticket_sla *sla)
{
    kith_ticket_sla_clear(sla);
    const char *policy = (const char *)sqlite3_column_text(st, col);
    if (policy) snprintf(sla->policy, sizeof(sla->policy), "%s", policy);
    sla->duration[KITH_SLA_RESPOND] = sqlite3_column_int64(st, col + 1);
    sla->duration[KITH_SLA_RESOLVE] = sqlite3_column_int64(st, col + 2);
    sla->warn_at = sqlite3_column_double(st, col + 3);
    sla->started_at = col_time(st, col + 4);
    sla->paused_ms = sqlite3_column_int64(st, col + 5);
    sla->paused_at = col_time(st, col + 6);
    sla->due[KITH_SLA_RESPOND] = col_time(st, col + 7);
    sla->due[KITH_SLA_RESOLVE] = col_time(st, col + 8);
    sla->warn[KITH_SLA_RESPOND] = col_time(st, col + 9);
    sla->warn[KITH_SLA_RESOLVE] = col_time(st, col + 10);
    sla->responded_at = col_time(st, col + 11);
    sla->warned[KITH_SLA_RESPOND] = sqlite3_column_int(st, col + 12);
    sla->breached[KITH_SLA_RESPOND] = sqlite3_column_int(st, col + 13);
    sla->warned[KITH_SLA_RESOLVE] = sqlite3_column_int(st, col + 14);
    sla->breached[KITH_SLA_RESOLVE] = sqlite3_column_int(st, col + 15);
    sla->next_at = col_time(st, col + 16);
}

static int add_time_or_null(cJSON *o, const char *key, int64_t t)
{
    if (t == KITH_TIME_NONE) return cJSON_AddNullToObject(o, key) ? 0 : KITH_ENOMEM;
    return kith_json_add_time(o, key, t);
}

/* The clock's wire shape, or null when the ticket has no SLA. */
static cJSON *sla_json(const kith_ticket_sla *sla)
{
    if (!sla->policy[0]) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int rc = kith_json_add_str(o, "policy", sla->policy);
    rc |= add_time_or_null(o, "respond_by", sla->due[KITH_SLA_RESPOND]);
    rc |= add_time_or_null(o, "resolve_by", sla->due[KITH_SLA_RESOLVE]);
    rc |= add_time_or_null(o, "responded_at", sla->responded_at);
    rc |= kith_json_add_int(o, "paused_ms", sla->paused_ms);
    rc |= add_time_or_null(o, "waiting_since", sla->paused_at);
    cJSON *breached = cJSON_AddArrayToObject(o, "breached");
    cJSON *warned = cJSON_AddArrayToObject(o, "warned");
    if (!breached || !warned) rc = KITH_ENOMEM;
    for (int d = 0; !rc && d < KITH_SLA_NDEADLINES; d++) {
        if (sla->breached[d]) cJSON_AddItemToArray(breached, cJSON_CreateString(deadline_names[d]));
        if (sla->warned[d]) cJSON_AddItemToArray(warned, cJSON_CreateString(deadline_names[d]));
    }
    rc |= add_time_or_null(o, "next_at", sla->next_at);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *from_row(sqlite3_stmt *st, void *sla_out)
{
    cJSON *t = cJSON_CreateObject();
    if (!t) return NULL;
    int rc = kith_json_add_int(t, "id", sqlite3_column_int64(st, 0));
    for (int i = 0; i < NFIELDS && !rc; i++) {
        int col = i + 1;
        const char *name = fields[i].name;
        if (sqlite3_column_type(st, col) == SQLITE_NULL && fields[i].type != F_JSON) {
            rc = cJSON_AddNullToObject(t, name) ? 0 : KITH_ENOMEM;
            continue;
        }
        switch (fields[i].type) {
        case F_STR: rc = kith_row_add_str(t, name, st, col); break;
        case F_INT: rc = kith_json_add_int(t, name, sqlite3_column_int64(st, col)); break;
        case F_TIME: rc = kith_row_add_time(t, name, st, col); break;
        default:
            rc = sqlite3_column_type(st, col) == SQLITE_NULL
                     ? (cJSON_AddNullToObject(t, name) ? 0 : KITH_ENOMEM)
                     : kith_row_add_json(t, name, st, col, "null");
        }
    }
    kith_ticket_sla local, *sla = sla_out ? sla_out : &local;
    read_sla(st, NFIELDS + 1, sla);
    for (int i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, "created_at") == 0) sla->created_at = col_time(st, i + 1);
    cJSON *sj = rc ? NULL : sla_json(sla);
    if (!sj) {
        cJSON_Delete(t);
        return NULL;
    }
    cJSON_AddItemToObject(t, "sla", sj);
    return t;
}

/* Binds the record's fields from `rec` at ?1.. and the clock after them. */
static int bind_all(sqlite3_stmt *st, const cJSON *rec, const kith_ticket_sla *sla, int64_t now)
{
    int i;
    for (i = 0; i < NFIELDS; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, fields[i].name);
        int idx = i + 1;
        if (strcmp(fields[i].name, "updated_at") == 0) {
            sqlite3_bind_int64(st, idx, now);
            continue;
        }
        if (!v || cJSON_IsNull(v)) {
            if (strcmp(fields[i].name, "attrs") == 0)
                sqlite3_bind_text(st, idx, "{}", -1, SQLITE_STATIC);
            else if (strcmp(fields[i].name, "reopened") == 0)
                sqlite3_bind_int(st, idx, 0);
            else
                sqlite3_bind_null(st, idx);
            continue;
        }
        int64_t ms;
        switch (fields[i].type) {
        case F_STR: kith_row_bind_str(st, idx, cJSON_GetStringValue(v)); break;
        case F_INT: sqlite3_bind_int64(st, idx, (int64_t)cJSON_GetNumberValue(v)); break;
        case F_TIME:
            if (!cJSON_IsString(v) || kith_time_parse_iso(v->valuestring, &ms) < 0)
                return KITH_EPARAMS;
            sqlite3_bind_int64(st, idx, ms);
            break;
        default:
            if (kith_row_bind_json(st, idx, v, "null") != SQLITE_OK) return KITH_ENOMEM;
        }
    }
    int c = NFIELDS + 1;
#define BIND_TIME(t)                                                                               \
    ((t) == KITH_TIME_NONE ? sqlite3_bind_null(st, c++) : sqlite3_bind_int64(st, c++, (t)))
    if (sla->policy[0])
        sqlite3_bind_text(st, c++, sla->policy, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, c++);
    sqlite3_bind_int64(st, c++, sla->duration[KITH_SLA_RESPOND]);
    sqlite3_bind_int64(st, c++, sla->duration[KITH_SLA_RESOLVE]);
    sqlite3_bind_double(st, c++, sla->warn_at);
    BIND_TIME(sla->started_at);
    sqlite3_bind_int64(st, c++, sla->paused_ms);
    BIND_TIME(sla->paused_at);
    BIND_TIME(sla->due[KITH_SLA_RESPOND]);
    BIND_TIME(sla->due[KITH_SLA_RESOLVE]);
    BIND_TIME(sla->warn[KITH_SLA_RESPOND]);
    BIND_TIME(sla->warn[KITH_SLA_RESOLVE]);
    BIND_TIME(sla->responded_at);
    sqlite3_bind_int(st, c++, sla->warned[KITH_SLA_RESPOND]);
    sqlite3_bind_int(st, c++, sla->breached[KITH_SLA_RESPOND]);
    sqlite3_bind_int(st, c++, sla->warned[KITH_SLA_RESOLVE]);
    sqlite3_bind_int(st, c++, sla->breached[KITH_SLA_RESOLVE]);
    BIND_TIME(sla->next_at);
#undef BIND_TIME
    return 0;
}

int kith_store_ticket_get(kith_store *s, int64_t id, cJSON **out, kith_ticket_sla *sla)
{
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "SELECT ");
    rc |= select_list(&sql);
    rc |= kith_buf_appends(&sql, " FROM tickets WHERE id = ?");
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (rc) return KITH_ENOMEM;
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return KITH_ENOTFOUND;
    }
    if (rc != SQLITE_ROW) return kith_store_error(s, "get ticket");
    cJSON *t = from_row(st, sla);
    sqlite3_reset(st);
    if (!t) return KITH_ENOMEM;
    if (out)
        *out = t;
    else
        cJSON_Delete(t);
    return 0;
}

int kith_store_ticket_insert(kith_store *s, const cJSON *rec, const kith_ticket_sla *sla,
                             int64_t *id)
{
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "INSERT INTO tickets(");
    for (int i = 0; i < NFIELDS; i++) {
        rc |= kith_buf_appends(&sql, fields[i].name);
        rc |= kith_buf_appends(&sql, ", ");
    }
    rc |= kith_buf_appends(&sql, SLA_COLUMNS ") VALUES (?");
    for (int i = 1; i < NFIELDS + NSLA; i++)
        rc |= kith_buf_appends(&sql, ", ?");
    rc |= kith_buf_appends(&sql, ")");
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (rc) return KITH_ENOMEM;
    if (!st) return KITH_EIO;
    int64_t created_at = 0;
    kith_time_parse_iso(kith_json_get_str(rec, "created_at"), &created_at);
    if ((rc = bind_all(st, rec, sla, created_at)) < 0) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc;
    }
    rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "insert ticket");
    *id = sqlite3_last_insert_rowid(kith_store_db(s));
    return 0;
}

int kith_store_ticket_save(kith_store *s, int64_t id, const char *expect_status, const cJSON *rec,
                           const kith_ticket_sla *sla, int64_t now)
{
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "UPDATE tickets SET ");
    for (int i = 0; i < NFIELDS; i++) {
        rc |= kith_buf_appends(&sql, i ? ", " : "");
        rc |= kith_buf_appends(&sql, fields[i].name);
        rc |= kith_buf_appends(&sql, " = ?");
    }
    static const char *const sla_cols[NSLA] = {
        "sla_policy",         "sla_respond_ms",       "sla_resolve_ms",      "sla_warn_at",
        "sla_started_at",     "sla_paused_ms",        "sla_paused_at",       "sla_respond_by",
        "sla_resolve_by",     "sla_respond_warn_at",  "sla_resolve_warn_at", "sla_responded_at",
        "sla_respond_warned", "sla_respond_breached", "sla_resolve_warned",  "sla_resolve_breached",
        "sla_next_at"};
    for (int i = 0; i < NSLA; i++) {
        rc |= kith_buf_appends(&sql, ", ");
        rc |= kith_buf_appends(&sql, sla_cols[i]);
        rc |= kith_buf_appends(&sql, " = ?");
    }
    char tail[64];
    snprintf(tail, sizeof(tail), " WHERE id = ?%d AND status = ?%d", NFIELDS + NSLA + 1,
             NFIELDS + NSLA + 2);
    rc |= kith_buf_appends(&sql, tail);
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (rc) return KITH_ENOMEM;
    if (!st) return KITH_EIO;
    if ((rc = bind_all(st, rec, sla, now)) < 0) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc;
    }
    sqlite3_bind_int64(st, NFIELDS + NSLA + 1, id);
    sqlite3_bind_text(st, NFIELDS + NSLA + 2, expect_status, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "save ticket");
    if (sqlite3_changes(kith_store_db(s)) > 0) return 0;
    rc = kith_store_ticket_get(s, id, NULL, NULL);
    return rc ? rc : KITH_ECONFLICT;
}

int kith_store_ticket_list(kith_store *s, const kith_ticket_filter *f, int limit,
                           const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    /* Fixed fragments only, every value bound; each shape is cached. */
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "SELECT ");
    rc |= select_list(&sql);
    rc |= kith_buf_appends(&sql, " FROM tickets WHERE 1");
    if (f->customer_id) rc |= kith_buf_appends(&sql, " AND customer_id = ?1");
    if (f->status && strcmp(f->status, "active") == 0)
        rc |= kith_buf_appends(&sql, " AND status IN ('new', 'open', 'waiting')");
    else if (f->status)
        rc |= kith_buf_appends(&sql, " AND status = ?2");
    if (f->kind) rc |= kith_buf_appends(&sql, " AND kind = ?3");
    if (f->owner) rc |= kith_buf_appends(&sql, " AND owner = ?4");
    if (f->team) rc |= kith_buf_appends(&sql, " AND team = ?5");
    if (f->category) rc |= kith_buf_appends(&sql, " AND category = ?6");
    if (f->priority) rc |= kith_buf_appends(&sql, " AND priority = ?7");
    if (f->breached == 1)
        rc |= kith_buf_appends(&sql, " AND (sla_respond_breached OR sla_resolve_breached)");
    if (f->breached == 0)
        rc |= kith_buf_appends(&sql, " AND NOT (sla_respond_breached OR sla_resolve_breached)");
    if (f->opened_after != KITH_TIME_NONE) rc |= kith_buf_appends(&sql, " AND created_at >= ?8");
    if (f->opened_before != KITH_TIME_NONE) rc |= kith_buf_appends(&sql, " AND created_at < ?9");
    if (after) rc |= kith_buf_appends(&sql, " AND id < ?10");
    rc |= kith_buf_appends(&sql, " ORDER BY id DESC LIMIT ?11");
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (rc) return KITH_ENOMEM;
    if (!st) return KITH_EIO;
    if (f->customer_id) sqlite3_bind_int64(st, 1, f->customer_id);
    if (f->status && strcmp(f->status, "active") != 0)
        sqlite3_bind_text(st, 2, f->status, -1, SQLITE_TRANSIENT);
    kith_row_bind_str(st, 3, f->kind);
    kith_row_bind_str(st, 4, f->owner);
    kith_row_bind_str(st, 5, f->team);
    kith_row_bind_str(st, 6, f->category);
    kith_row_bind_str(st, 7, f->priority);
    if (f->opened_after != KITH_TIME_NONE) sqlite3_bind_int64(st, 8, f->opened_after);
    if (f->opened_before != KITH_TIME_NONE) sqlite3_bind_int64(st, 9, f->opened_before);
    if (after) sqlite3_bind_int64(st, 10, after->id);
    sqlite3_bind_int(st, 11, limit + 1);
    return kith_row_page(s, st, limit, 0, 0, from_row, NULL, items, more, next);
}

int kith_store_ticket_sla_next(kith_store *s, int64_t *at)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT sla_next_at FROM tickets INDEXED BY tickets_sla_next "
                           "WHERE sla_next_at IS NOT NULL ORDER BY sla_next_at, id LIMIT 1");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return KITH_ENOTFOUND;
    }
    if (rc != SQLITE_ROW) return kith_store_error(s, "next ticket SLA");
    *at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int kith_store_ticket_sla_due(kith_store *s, int64_t now, int max, int64_t *ids, int *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT id FROM tickets INDEXED BY tickets_sla_next "
           "WHERE sla_next_at IS NOT NULL AND sla_next_at <= ? ORDER BY sla_next_at, id LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, max);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "due ticket SLAs");
    sqlite3_reset(st);
    return rc;
}

int kith_store_ticket_sla_mark(kith_store *s, int64_t id, int which, int breach, int64_t next_at,
                               int64_t now)
{
    /* One statement per flag, so the column name is never spliced at run
     * time from anything but this table. */
    static const char *const sql[KITH_SLA_NDEADLINES][2] = {
        {"UPDATE tickets SET sla_respond_warned = 1, sla_next_at = ?, updated_at = ? "
         "WHERE id = ? AND sla_respond_warned = 0",
         "UPDATE tickets SET sla_respond_breached = 1, sla_next_at = ?, updated_at = ? "
         "WHERE id = ? AND sla_respond_breached = 0"},
        {"UPDATE tickets SET sla_resolve_warned = 1, sla_next_at = ?, updated_at = ? "
         "WHERE id = ? AND sla_resolve_warned = 0",
         "UPDATE tickets SET sla_resolve_breached = 1, sla_next_at = ?, updated_at = ? "
         "WHERE id = ? AND sla_resolve_breached = 0"},
    };
    sqlite3_stmt *st = kith_store_stmt(s, sql[which][breach ? 1 : 0]);
    if (!st) return KITH_EIO;
    if (next_at == KITH_TIME_NONE)
        sqlite3_bind_null(st, 1);
    else
        sqlite3_bind_int64(st, 1, next_at);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "mark ticket SLA");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

#define NOTE_COLUMNS "id, ticket_id, kind, verb, from_status, to_status, body, internal, by, at"

static cJSON *note_from_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *n = cJSON_CreateObject();
    if (!n) return NULL;
    int rc = kith_json_add_int(n, "id", sqlite3_column_int64(st, 0));
    rc |= kith_json_add_int(n, "ticket_id", sqlite3_column_int64(st, 1));
    rc |= kith_row_add_str(n, "kind", st, 2);
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        rc |= kith_row_add_str(n, "verb", st, 3);
        rc |= kith_row_add_str(n, "from", st, 4);
        rc |= kith_row_add_str(n, "to", st, 5);
    }
    rc |= kith_row_add_str(n, "body", st, 6);
    if (!cJSON_AddBoolToObject(n, "internal", sqlite3_column_int(st, 7))) rc = KITH_ENOMEM;
    rc |= kith_row_add_str(n, "by", st, 8);
    rc |= kith_row_add_time(n, "at", st, 9);
    if (rc) {
        cJSON_Delete(n);
        return NULL;
    }
    return n;
}

int kith_store_ticket_note(kith_store *s, int64_t ticket_id, const char *kind, const char *verb,
                           const char *from, const char *to, const char *body, int internal,
                           const char *by, int64_t at, cJSON **out)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO ticket_comments(ticket_id, kind, verb, from_status, to_status, body, "
           "internal, by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, ticket_id);
    kith_row_bind_str(st, 2, kind);
    kith_row_bind_str(st, 3, verb);
    kith_row_bind_str(st, 4, from);
    kith_row_bind_str(st, 5, to);
    kith_row_bind_str(st, 6, body);
    sqlite3_bind_int(st, 7, internal ? 1 : 0);
    kith_row_bind_str(st, 8, by);
    sqlite3_bind_int64(st, 9, at);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "insert ticket comment");
    if (!out) return 0;
    int64_t id = sqlite3_last_insert_rowid(kith_store_db(s));
    st = kith_store_stmt(s, "SELECT " NOTE_COLUMNS " FROM ticket_comments WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) return kith_store_error(s, "get ticket comment");
    *out = note_from_row(st, NULL);
    sqlite3_reset(st);
    return *out ? 0 : KITH_ENOMEM;
}

int kith_store_ticket_history(kith_store *s, int64_t ticket_id, int limit, const kith_cursor *after,
                              cJSON *items, int *more, kith_cursor *next)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " NOTE_COLUMNS " FROM ticket_comments WHERE ticket_id = ?1 "
                           "AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, ticket_id);
    sqlite3_bind_int(st, 2, limit + 1);
    if (after)
        sqlite3_bind_int64(st, 3, after->id);
    else
        sqlite3_bind_null(st, 3);
    return kith_row_page(s, st, limit, 0, 0, note_from_row, NULL, items, more, next);
}

int kith_store_ticket_link_interaction(kith_store *s, int64_t interaction_id, int64_t customer_id,
                                       int64_t ticket_id)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE interactions SET ticket_id = ?1 WHERE id = ?2 AND customer_id = ?3 "
           "AND (ticket_id IS NULL OR ticket_id = ?1)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, ticket_id);
    sqlite3_bind_int64(st, 2, interaction_id);
    sqlite3_bind_int64(st, 3, customer_id);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "link interaction");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_ticket_customer(kith_store *s, int64_t id, int64_t *customer_id)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT customer_id FROM tickets WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *customer_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    return rc == SQLITE_DONE ? KITH_ENOTFOUND : kith_store_error(s, "ticket customer");
}
