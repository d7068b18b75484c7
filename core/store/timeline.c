/*
 * The timeline (timeline.h): per-kind queries merged.
 *
 * Each query selects (at, id, summary, record) with the record built by
 * SQLite's json_object from the row, so a kind is one statement here and
 * nothing else.  A later family joins by adding its kind to the list and
 * one statement below, on an index of (customer_id, <its time>, id): deals
 * by their created_at, campaign touches by the time the customer was
 * treated.  The kind's number goes on the end of the list (the cursor
 * holds it), and kinds stay under 16.
 */
#include "store/timeline.h"

#include "store/row.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

const char *const kith_timeline_kinds[] = {
    "interaction", "order", "task", "ticket", "visit", "survey", "loyalty", "stage", NULL,
};

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%fZ', " col " / 1000.0, 'unixepoch')"
/* Rows after the cursor in (at, id) descending order: ?3 at, ?4 id. */
#define WINDOW(at) " AND " at " >= ?5 AND (" at " < ?3 OR (" at " = ?3 AND t.id < ?4))"
#define ORDER(at)  " ORDER BY " at " DESC, t.id DESC LIMIT ?2"

static const char *const sql[] = {
    "SELECT t.at, t.id, t.type || ': ' || t.summary, json_object('type', t.type, 'summary', "
    "t.summary, 'by', t.by) FROM interactions t WHERE t.customer_id = ?1" WINDOW("t.at")
        ORDER("t.at"),
    "SELECT t.at, t.id, printf('%s %.2f', t.currency, t.amount_cents / 100.0), "
    "json_object('amount', t.amount_cents / 100.0, 'currency', t.currency, 'items', "
    "json(t.items), 'external_id', t.external_id) FROM orders t WHERE t.customer_id = ?1" WINDOW(
        "t.at") ORDER("t.at"),
    "SELECT t.created_at, t.id, t.note, json_object('note', t.note, 'status', t.status, 'owner', "
    "t.owner, 'due', " ISO("t.due_at") ") FROM tasks t WHERE t.customer_id = ?1" WINDOW(
        "t.created_at") ORDER("t.created_at"),
    "SELECT t.created_at, t.id, t.kind || ': ' || t.subject, json_object('kind', t.kind, "
    "'subject', t.subject, 'status', t.status, 'priority', t.priority, 'owner', t.owner) "
    "FROM tickets t WHERE t.customer_id = ?1" WINDOW("t.created_at") ORDER("t.created_at"),
    "SELECT t.planned_at, t.id, t.purpose, json_object('purpose', t.purpose, 'status', t.status, "
    "'owner', t.owner, 'outcome', t.outcome) FROM visits t WHERE t.customer_id = ?1" WINDOW(
        "t.planned_at") ORDER("t.planned_at"),
    "SELECT t.at, t.id, 'answered ' || s.name, json_object('survey', s.name, 'answers', "
    "json(t.answers), 'comment', t.comment) FROM survey_responses t JOIN surveys s ON s.id = "
    "t.survey_id WHERE t.customer_id = ?1" WINDOW("t.at") ORDER("t.at"),
    "SELECT t.at, t.id, t.kind || ' ' || t.points || ' points: ' || t.reason, json_object('kind', "
    "t.kind, 'points', t.points, 'reason', t.reason) FROM loyalty_ledger t WHERE t.customer_id "
    "= ?1" WINDOW("t.at") ORDER("t.at"),
    "SELECT t.at, t.id, coalesce(t.from_stage || ' -> ', '') || t.to_stage || coalesce(' (' || "
    "t.reason || ')', ''), json_object('from', t.from_stage, 'to', t.to_stage, 'reason', "
    "t.reason, 'by', t.by) FROM stage_history t WHERE t.customer_id = ?1" WINDOW("t.at")
        ORDER("t.at"),
};

typedef struct entry {
    int64_t at, id;
    int kind;
    char *summary, *record;
} entry;

static int later(const entry *a, const entry *b)
{
    if (a->at != b->at) return a->at > b->at;
    if (a->kind != b->kind) return a->kind > b->kind;
    return a->id > b->id;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t ? strdup(t) : strdup("");
}

/* Reads up to n rows of kind k after the cursor into e; returns the
 * count or a negative code. */
static int read_kind(kith_store *s, const kith_timeline_query *q, int k, int n,
                     const kith_cursor *after, entry *e)
{
    sqlite3_stmt *st = kith_store_stmt(s, sql[k]);
    if (!st) return KITH_EIO;
    int64_t cat = q->to, cid = 0; /* before `to`: nothing at `to` itself */
    if (after && after->key <= q->to) {
        int ck = (int)(after->id & 15);
        cat = after->key;
        /* Same time: a smaller kind comes after the cursor whole, a larger
         * one not at all, the same kind below the cursor's id. */
        cid = k < ck ? INT64_MAX : k > ck ? 0 : after->id >> 4;
    }
    sqlite3_bind_int64(st, 1, q->customer_id);
    sqlite3_bind_int(st, 2, n);
    sqlite3_bind_int64(st, 3, cat);
    sqlite3_bind_int64(st, 4, cid);
    sqlite3_bind_int64(st, 5, q->from);
    int got = 0, rc = SQLITE_DONE;
    while (got < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        e[got] = (entry){.at = sqlite3_column_int64(st, 0),
                         .id = sqlite3_column_int64(st, 1),
                         .kind = k,
                         .summary = dup_col(st, 2),
                         .record = dup_col(st, 3)};
        if (!e[got++].summary || !e[got - 1].record) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    int err = 0;
    if (rc == SQLITE_NOMEM)
        err = KITH_ENOMEM;
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = kith_store_error(s, "timeline");
    sqlite3_reset(st);
    if (!err) return got;
    for (int i = 0; i < got; i++) {
        free(e[i].summary);
        free(e[i].record);
    }
    return err;
}

static cJSON *entry_json(const entry *e)
{
    cJSON *o = cJSON_CreateObject();
    char at[KITH_TIME_BUFSZ];
    kith_time_format(e->at, at);
    if (!o || !cJSON_AddStringToObject(o, "kind", kith_timeline_kinds[e->kind]) ||
        !cJSON_AddStringToObject(o, "at", at) || !cJSON_AddNumberToObject(o, "id", (double)e->id) ||
        !cJSON_AddStringToObject(o, "summary", e->summary)) {
        cJSON_Delete(o);
        return NULL;
    }
    cJSON *r = cJSON_Parse(e->record);
    cJSON_AddItemToObject(o, "record", r ? r : cJSON_CreateObject());
    return o;
}

int kith_store_timeline(kith_store *s, const kith_timeline_query *q, int limit,
                        const kith_cursor *after, cJSON *items, int *more, kith_cursor *next)
{
    int nk = 0;
    while (kith_timeline_kinds[nk])
        nk++;
    /* Per kind, limit + 1 rows at most: enough to fill the page and to
     * know whether another follows (note 1). */
    entry *rows = calloc((size_t)nk * (size_t)(limit + 1), sizeof(*rows));
    int count[16] = {0}, pos[16] = {0}, rc = rows ? 0 : KITH_ENOMEM;
    for (int k = 0; !rc && k < nk; k++) {
        if (!(q->kinds & (1u << k))) continue;
        int got = read_kind(s, q, k, limit + 1, after, rows + (size_t)k * (size_t)(limit + 1));
        if (got < 0)
            rc = got;
        else
            count[k] = got;
    }
    *more = 0;
    for (int taken = 0; !rc;) {
        int best = -1;
        for (int k = 0; k < nk; k++)
            if (pos[k] < count[k] &&
                (best < 0 || later(&rows[(size_t)k * (size_t)(limit + 1) + (size_t)pos[k]],
                                   &rows[(size_t)best * (size_t)(limit + 1) + (size_t)pos[best]])))
                best = k;
        if (best < 0) break;
        if (taken == limit) {
            *more = 1;
            break;
        }
        const entry *e = &rows[(size_t)best * (size_t)(limit + 1) + (size_t)pos[best]++];
        cJSON *o = entry_json(e);
        if (!o) {
            rc = KITH_ENOMEM;
            break;
        }
        cJSON_AddItemToArray(items, o);
        next->key = e->at;
        next->id = e->id * 16 + e->kind;
        taken++;
    }
    for (int k = 0; rows && k < nk; k++)
        for (int i = 0; i < count[k]; i++) {
            free(rows[(size_t)k * (size_t)(limit + 1) + (size_t)i].summary);
            free(rows[(size_t)k * (size_t)(limit + 1) + (size_t)i].record);
        }
    free(rows);
    return rc;
}
