/*
 * See schedule.h.
 */
#include "store/schedule.h"
#include "store/row.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEDULE_COLUMNS                                                                           \
    "name, kind, spec, tz, job, args, paused, anchor, next_run, last_run, last_status, "           \
    "last_error, runs, state, created_at, created_by"

void kith_schedule_row_release(kith_schedule_row *r)
{
    free(r->args);
    free(r->state);
    r->args = r->state = NULL;
}

static void bind_time(sqlite3_stmt *st, int idx, int64_t at)
{
    if (at == KITH_TIME_NONE)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, at);
}

static int done(kith_store *s, sqlite3_stmt *st, const char *what, int must_change)
{
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, what);
    sqlite3_reset(st);
    return must_change && sqlite3_changes(kith_store_db(s)) == 0 ? KITH_ENOTFOUND : 0;
}

int kith_store_schedule_insert(kith_store *s, const kith_schedule_row *r, int64_t now,
                               const char *created_by)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO schedules(name, kind, spec, tz, job, args, paused, anchor, next_run, "
           "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, r->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->spec, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->tz, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, r->job, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, r->args ? r->args : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, r->anchor);
    bind_time(st, 8, r->next_run);
    sqlite3_bind_int64(st, 9, now);
    sqlite3_bind_text(st, 10, created_by, -1, SQLITE_TRANSIENT);
    return done(s, st, "insert schedule", 0);
}

static cJSON *from_row(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    kith_row_add_str(o, "name", st, 0);
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    kith_row_add_str(o, kind, st, 2);
    kith_row_add_str(o, "tz", st, 3);
    kith_row_add_str(o, "job", st, 4);
    kith_row_add_json(o, "args", st, 5, "{}");
    const char *status = sqlite3_column_int(st, 6)                    ? "paused"
                         : sqlite3_column_type(st, 13) != SQLITE_NULL ? "running"
                         : sqlite3_column_type(st, 8) == SQLITE_NULL  ? "done"
                                                                      : "active";
    cJSON_AddStringToObject(o, "status", status);
    kith_row_add_time(o, "next_run", st, 8);
    kith_row_add_time(o, "last_run", st, 9);
    kith_row_add_str(o, "last_status", st, 10);
    kith_row_add_str(o, "last_error", st, 11);
    kith_json_add_int(o, "runs", sqlite3_column_int64(st, 12));
    kith_row_add_time(o, "created_at", st, 14);
    kith_row_add_str(o, "created_by", st, 15);
    return o;
}

int kith_store_schedule_get(kith_store *s, const char *name, cJSON **out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "get schedule");
    *out = from_row(st);
    sqlite3_reset(st);
    return 0;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t ? strdup(t) : NULL;
}

static void fill_row(sqlite3_stmt *st, kith_schedule_row *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(r->kind, sizeof(r->kind), "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(r->spec, sizeof(r->spec), "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(r->tz, sizeof(r->tz), "%s", (const char *)sqlite3_column_text(st, 3));
    snprintf(r->job, sizeof(r->job), "%s", (const char *)sqlite3_column_text(st, 4));
    r->args = dup_col(st, 5);
    r->paused = sqlite3_column_int(st, 6);
    r->anchor = sqlite3_column_int64(st, 7);
    r->next_run =
        sqlite3_column_type(st, 8) == SQLITE_NULL ? KITH_TIME_NONE : sqlite3_column_int64(st, 8);
    r->state = dup_col(st, 13);
}

int kith_store_schedule_row(kith_store *s, const char *name, kith_schedule_row *r)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "schedule row");
    fill_row(st, r);
    sqlite3_reset(st);
    return 0;
}

int kith_store_schedule_list(kith_store *s, cJSON *out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules ORDER BY name");
    if (!st) return KITH_EIO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cJSON_AddItemToArray(out, from_row(st));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "list schedules");
}

int kith_store_schedule_pause(kith_store *s, const char *name, int paused)
{
    sqlite3_stmt *st = kith_store_stmt(s, "UPDATE schedules SET paused = ? WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int(st, 1, paused);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    return done(s, st, "pause schedule", 1);
}

int kith_store_schedule_delete(kith_store *s, const char *name)
{
    sqlite3_stmt *st = kith_store_stmt(s, "DELETE FROM schedules WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    return done(s, st, "delete schedule", 1);
}

int kith_store_schedule_set_next(kith_store *s, const char *name, int64_t next_run)
{
    sqlite3_stmt *st = kith_store_stmt(s, "UPDATE schedules SET next_run = ? WHERE name = ?");
    if (!st) return KITH_EIO;
    bind_time(st, 1, next_run);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    return done(s, st, "schedule next run", 1);
}

int kith_store_schedule_set_state(kith_store *s, const char *name, const char *state)
{
    sqlite3_stmt *st = kith_store_stmt(s, "UPDATE schedules SET state = ? WHERE name = ?");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, state);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    return done(s, st, "schedule state", 1);
}

int kith_store_schedule_finish(kith_store *s, const char *name, int64_t ran_at, const char *status,
                               const char *error, int64_t next_run)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE schedules SET last_run = ?, last_status = ?, last_error = ?, runs = runs + 1, "
           "state = NULL, next_run = ? WHERE name = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, ran_at);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
    kith_row_bind_str(st, 3, error);
    bind_time(st, 4, next_run);
    sqlite3_bind_text(st, 5, name, -1, SQLITE_TRANSIENT);
    return done(s, st, "finish schedule", 1);
}

int kith_store_schedule_due(kith_store *s, int64_t now, char names[][128], int max, int *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT name FROM schedules WHERE paused = 0 AND next_run <= ? ORDER BY next_run, name "
           "LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, max);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        snprintf(names[(*n)++], 128, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : kith_store_error(s, "due schedules");
}

int kith_store_schedule_next(kith_store *s, int64_t *at)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT min(next_run) FROM schedules WHERE paused = 0 AND next_run IS NOT NULL");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found) *at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) return kith_store_error(s, "next schedule");
    return found ? 0 : KITH_ENOTFOUND;
}

int kith_store_schedule_each(kith_store *s, void (*fn)(void *ud, kith_schedule_row *r), void *ud)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules WHERE paused = 0 "
                           "ORDER BY name");
    if (!st) return KITH_EIO;
    /* Rows are copied out first: fn may write to the table. */
    kith_schedule_row rows[256];
    int n = 0, rc;
    while (n < 256 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        fill_row(st, &rows[n++]);
    sqlite3_reset(st);
    for (int i = 0; i < n; i++) {
        fn(ud, &rows[i]);
        kith_schedule_row_release(&rows[i]);
    }
    return 0;
}
