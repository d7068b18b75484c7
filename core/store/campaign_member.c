/*
 * See campaign.h: a campaign's members, from the frozen audience to their
 * conversions, and the aggregate campaign.results reads.  The columns are
 * listed once (MEMBER_COLUMNS), beside the function that turns a row into
 * its wire shape.
 */
#include "store/campaign.h"
#include "store/row.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER_COLUMNS                                                                             \
    "m.campaign_id, c.name, c.channel, m.customer_id, m.grp, m.status, m.reason, m.added_at, "     \
    "m.until_at, "                                                                                 \
    "m.sent_at, m.responded_at, m.converted_at, m.order_id, m.orders, m.revenue_cents"

static cJSON *member_row(sqlite3_stmt *st, void *unused)
{
    (void)unused;
    cJSON *m = cJSON_CreateObject();
    if (!m) return NULL;
    int rc = kith_json_add_int(m, "campaign_id", sqlite3_column_int64(st, 0));
    rc |= kith_row_add_str(m, "campaign", st, 1);
    rc |= kith_row_add_str(m, "channel", st, 2);
    rc |= kith_json_add_int(m, "customer_id", sqlite3_column_int64(st, 3));
    rc |= kith_row_add_str(m, "group", st, 4);
    rc |= kith_row_add_str(m, "status", st, 5);
    rc |= kith_row_add_str(m, "reason", st, 6);
    rc |= kith_row_add_time(m, "added_at", st, 7);
    rc |= kith_row_add_time(m, "until_at", st, 8);
    rc |= kith_row_add_time(m, "sent_at", st, 9);
    rc |= kith_row_add_time(m, "responded_at", st, 10);
    rc |= kith_row_add_time(m, "converted_at", st, 11);
    if (sqlite3_column_type(st, 12) == SQLITE_NULL)
        rc |= cJSON_AddNullToObject(m, "order_id") ? 0 : KITH_ENOMEM;
    else
        rc |= kith_json_add_int(m, "order_id", sqlite3_column_int64(st, 12));
    rc |= kith_json_add_int(m, "orders", sqlite3_column_int64(st, 13));
    rc |= kith_json_add_money(m, "revenue", sqlite3_column_int64(st, 14));
    if (rc) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

int kith_store_campaign_segment_ids(kith_store *s, const char *segment, int64_t **ids, size_t *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT customer_id FROM segment_members WHERE segment = ? ORDER BY customer_id");
    if (!st) return KITH_EIO;
    kith_row_bind_str(st, 1, segment);
    size_t cap = 256, len = 0;
    int64_t *out = malloc(cap * sizeof(*out));
    int rc;
    while (out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            int64_t *grown = realloc(out, 2 * cap * sizeof(*out));
            if (!grown) {
                free(out);
                out = NULL;
                break;
            }
            out = grown;
            cap *= 2;
        }
        out[len++] = sqlite3_column_int64(st, 0);
    }
    if (!out) {
        sqlite3_reset(st);
        return KITH_ENOMEM;
    }
    rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "segment members");
    sqlite3_reset(st);
    if (rc) {
        free(out);
        return rc;
    }
    *ids = out;
    *n = len;
    return 0;
}

int kith_store_campaign_member_add(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                   const char *grp, int64_t at, int64_t until)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "INSERT INTO campaign_members(campaign_id, customer_id, grp, added_at, "
                           "until_at) VALUES (?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, customer_id);
    kith_row_bind_str(st, 3, grp);
    sqlite3_bind_int64(st, 4, at);
    sqlite3_bind_int64(st, 5, until);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "add campaign member");
}

/* The campaign whose pending members come next, oldest launch first.
 * Active campaigns are few; EXISTS is one probe of the partial index.
 * INDEXED BY is needed: left to itself the planner takes the primary key
 * and walks every settled member of the campaign, and this runs each time
 * the scheduler re-arms (after every write pass) while a campaign is
 * active. */
static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int next_pending_campaign(kith_store *s, int64_t *id, int64_t *at)
{
    /* Asked after every writing pass (a due source): first the one-probe
     * answer for the usual case, no member pending anywhere, without the
     * query below's temporary B-trees. */
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT 1 FROM campaign_members INDEXED BY campaign_members_pending "
                           "WHERE status = 'pending' LIMIT 1");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "next pending member");
    st = kith_store_stmt(
        s, "SELECT c.id, c.launched_at FROM campaigns c WHERE c.status IN ('active', 'completed') "
           "AND EXISTS (SELECT 1 FROM campaign_members m INDEXED BY campaign_members_pending "
           "WHERE m.campaign_id = c.id "
           "AND m.status = 'pending') ORDER BY c.launched_at, c.id LIMIT 1");
    if (!st) return KITH_EIO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "next pending member");
    *id = sqlite3_column_int64(st, 0);
    *at = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return 0;
}

int kith_store_campaign_pending(kith_store *s, int max, int64_t *campaign_id, int64_t *customer_ids,
                                int *n)
{
    int64_t at;
    *n = 0;
    int rc = next_pending_campaign(s, campaign_id, &at);
    if (rc < 0) return rc;
    /* The partial index holds only pending members: this reads no more
     * rows than it returns, however large the settled audience is. */
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT customer_id FROM campaign_members INDEXED BY campaign_members_pending "
           "WHERE campaign_id = ? AND status = 'pending' ORDER BY customer_id LIMIT ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, *campaign_id);
    sqlite3_bind_int(st, 2, max);
    return kith_row_ids(s, st, max, customer_ids, n, "pending members");
}

int kith_store_campaign_pending_next(kith_store *s, int64_t *at)
{
    int64_t id;
    return next_pending_campaign(s, &id, at);
}

int kith_store_campaign_member_settle(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                      const char *status, const char *reason)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "UPDATE campaign_members SET reason = ?4, status = CASE "
           "WHEN ?3 = 'targeted' AND converted_at IS NOT NULL THEN 'converted' ELSE ?3 END "
           "WHERE campaign_id = ?1 AND customer_id = ?2 AND status = 'pending'");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, customer_id);
    kith_row_bind_str(st, 3, status);
    kith_row_bind_str(st, 4, reason);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "settle member");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_campaign_drop_pending(kith_store *s, int64_t id, const char *reason, int64_t *n)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "UPDATE campaign_members INDEXED BY campaign_members_pending "
                           "SET status = 'excluded', reason = ?2 "
                           "WHERE campaign_id = ?1 AND status = 'pending'");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    kith_row_bind_str(st, 2, reason);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "drop pending members");
    *n = sqlite3_changes(kith_store_db(s));
    return 0;
}

int kith_store_campaign_member_get(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                   cJSON **out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT " MEMBER_COLUMNS " FROM campaign_members m JOIN campaigns c "
                           "ON c.id = m.campaign_id WHERE m.campaign_id = ? AND m.customer_id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, customer_id);
    return kith_row_one(s, st, member_row, NULL, "get campaign member", out);
}

int kith_store_campaign_members(kith_store *s, int64_t id, const char *grp, const char *status,
                                int limit, const kith_cursor *after, cJSON *items, int *more,
                                kith_cursor *next)
{
    kith_buf sql;
    kith_buf_init(&sql);
    int rc = kith_buf_appends(&sql, "SELECT " MEMBER_COLUMNS " FROM campaign_members m "
                                    "JOIN campaigns c ON c.id = m.campaign_id "
                                    "WHERE m.campaign_id = ?1 AND m.customer_id > ?2");
    if (grp) rc |= kith_buf_appends(&sql, " AND m.grp = ?3");
    if (status) rc |= kith_buf_appends(&sql, " AND m.status = ?4");
    rc |= kith_buf_appends(&sql, " ORDER BY m.customer_id LIMIT ?5");
    sqlite3_stmt *st = rc ? NULL : kith_store_stmt_text(s, kith_buf_head(&sql));
    kith_buf_release(&sql);
    if (!st) return rc ? KITH_ENOMEM : KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, after ? after->id : 0);
    if (grp) kith_row_bind_str(st, 3, grp);
    if (status) kith_row_bind_str(st, 4, status);
    sqlite3_bind_int(st, 5, limit + 1);
    return kith_row_page(s, st, limit, 3, 3, member_row, NULL, items, more, next);
}

int kith_store_campaign_member_mark(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                    const char *event, int64_t at)
{
    int responded = strcmp(event, "responded") == 0;
    sqlite3_stmt *st =
        responded
            ? kith_store_stmt(s, "UPDATE campaign_members SET "
                                 "responded_at = coalesce(responded_at, ?3), "
                                 "sent_at = coalesce(sent_at, ?3), status = CASE status "
                                 "WHEN 'converted' THEN status ELSE 'responded' END "
                                 "WHERE campaign_id = ?1 AND customer_id = ?2 "
                                 "AND status NOT IN ('pending', 'excluded')")
            : kith_store_stmt(s, "UPDATE campaign_members SET sent_at = coalesce(sent_at, ?3), "
                                 "status = CASE status WHEN 'targeted' THEN 'sent' ELSE status "
                                 "END WHERE campaign_id = ?1 AND customer_id = ?2 "
                                 "AND status NOT IN ('pending', 'excluded')");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, customer_id);
    sqlite3_bind_int64(st, 3, at);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "mark campaign member");
    return sqlite3_changes(kith_store_db(s)) ? 0 : KITH_ENOTFOUND;
}

int kith_store_campaign_open_for(kith_store *s, int64_t customer_id, int64_t at, int max,
                                 int64_t *ids, int *n)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT m.campaign_id FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id "
           "WHERE m.customer_id = ?1 AND m.until_at >= ?2 AND m.added_at <= ?2 "
           "AND m.status != 'excluded' AND c.status != 'cancelled' LIMIT ?3");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int(st, 3, max);
    /* Sorted here, not by SQL: an ORDER BY the index cannot give opens a
     * temporary B-tree, about 20k instructions on every order even when
     * there is no campaign at all. */
    int rc = kith_row_ids(s, st, max, ids, n, "open campaigns");
    if (!rc) qsort(ids, (size_t)*n, sizeof(*ids), cmp_id);
    return rc;
}

int kith_store_campaign_convert(kith_store *s, int64_t campaign_id, int64_t customer_id,
                                int64_t order_id, int64_t cents, int64_t at, int *first)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT converted_at IS NULL FROM campaign_members WHERE campaign_id = ? "
           "AND customer_id = ? AND status != 'excluded'");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, customer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return KITH_ENOTFOUND;
    if (rc != SQLITE_ROW) return kith_store_error(s, "campaign member");
    *first = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    st = kith_store_stmt(
        s, "UPDATE campaign_members SET orders = orders + 1, revenue_cents = revenue_cents + ?4, "
           "converted_at = coalesce(converted_at, ?5), order_id = coalesce(order_id, ?3), "
           "status = CASE WHEN status IN ('pending', 'excluded') THEN status ELSE 'converted' END "
           "WHERE campaign_id = ?1 AND customer_id = ?2");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, campaign_id);
    sqlite3_bind_int64(st, 2, customer_id);
    if (order_id > 0)
        sqlite3_bind_int64(st, 3, order_id);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, cents);
    sqlite3_bind_int64(st, 5, at);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : kith_store_error(s, "convert member");
}

int kith_store_campaign_tally(kith_store *s, int64_t id, kith_campaign_tally *t)
{
    sqlite3_stmt *st = kith_store_stmt(
        s, "SELECT grp, status = 'excluded', status = 'pending', count(*), "
           "count(converted_at), count(responded_at), sum(orders), sum(revenue_cents) "
           "FROM campaign_members WHERE campaign_id = ? GROUP BY 1, 2, 3");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    memset(t, 0, sizeof(*t));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *grp = (const char *)sqlite3_column_text(st, 0);
        int treated = grp && strcmp(grp, "treated") == 0;
        int64_t count = sqlite3_column_int64(st, 3);
        *(treated ? &t->drawn_treated : &t->drawn_control) += count;
        if (sqlite3_column_int(st, 1)) {
            t->excluded += count;
            *(treated ? &t->excluded_treated : &t->excluded_control) += count;
            continue;
        }
        if (sqlite3_column_int(st, 2)) {
            t->pending += count;
            continue;
        }
        kith_campaign_group *g = treated ? &t->treated : &t->control;
        g->members += count;
        g->converted += sqlite3_column_int64(st, 4);
        g->responded += sqlite3_column_int64(st, 5);
        g->orders += sqlite3_column_int64(st, 6);
        g->revenue_cents += sqlite3_column_int64(st, 7);
    }
    rc = rc == SQLITE_DONE ? 0 : kith_store_error(s, "campaign tally");
    sqlite3_reset(st);
    return rc;
}

int kith_store_campaign_exclusions(kith_store *s, int64_t id, cJSON *out)
{
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT coalesce(reason, 'excluded'), count(*) FROM campaign_members "
                           "WHERE campaign_id = ? AND status = 'excluded' GROUP BY 1 ORDER BY 1");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc, bad = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        bad |= kith_json_add_int(out, (const char *)sqlite3_column_text(st, 0),
                                 sqlite3_column_int64(st, 1));
    rc = rc == SQLITE_DONE ? (bad ? KITH_ENOMEM : 0) : kith_store_error(s, "exclusions");
    sqlite3_reset(st);
    return rc;
}
