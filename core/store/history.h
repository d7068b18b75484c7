/*
 * History: the audit trail (one compact row per change) and the lifecycle
 * stage history (one row per stage change, with its reason).  SQL only:
 * deciding what is a change, who made it and why is commands/history.c's.
 *
 * DESIGN NOTES
 *   1. An audit row holds only what the change was: a create keeps the new
 *      record's text, a delete the old one's, anything else the
 *      field -> {old, new} diff its event carries (op says which).  The
 *      wire shape, changes: {field: {old, new}} for all three, is built
 *      when the row is read, so the write path only copies one string.
 *   2. Audit rows are listed newest first by id: ids grow with time, and
 *      the two indexes (customer, record) serve the filters audit.list
 *      narrows by; `by` and the time range are checked on the rows they
 *      yield.  Index entries are much of a row's cost on the order path,
 *      so the record index leaves out customers' own rows: a customer's
 *      record_id is its customer_id, and the customer index finds them.
 */
#ifndef KITH_STORE_HISTORY_H
#define KITH_STORE_HISTORY_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum { KITH_AUDIT_CREATE = 0, KITH_AUDIT_CHANGE = 1, KITH_AUDIT_DELETE = 2 };

typedef struct kith_audit_row {
    int64_t at;
    const char *by, *method, *type, *kind;
    int64_t record_id, customer_id; /* customer_id 0: none */
    int op;                         /* KITH_AUDIT_* */
    const cJSON *changes;           /* the record (create, delete) or the diff */
} kith_audit_row;

/* Appends one audit row.  Returns 0 or a KITH_E* code. */
int kith_store_audit_append(kith_store *s, const kith_audit_row *row);

typedef struct kith_audit_filter {
    int64_t customer_id; /* 0: any */
    const char *kind;    /* with record_id: one record; NULL: any */
    int64_t record_id;
    const char *by;   /* NULL: anyone */
    int64_t from, to; /* at >= from and at < to */
} kith_audit_filter;

/* Appends to `items` up to `limit` rows newest first, each
 * {at, by, method, type, record: {kind, id}, customer_id, changes}. */
int kith_store_audit_list(kith_store *s, const kith_audit_filter *f, int limit,
                          const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);
/* The last status the trail holds for a record (a create's record or a
 * change's status.new), or "" when none is kept. */
int kith_store_audit_last_status(kith_store *s, const char *kind, int64_t record_id, char *out,
                                 size_t len);
/* Deletes up to `limit` of the oldest rows older than before_at; returns
 * the number deleted or a negative code. */
int kith_store_audit_trim(kith_store *s, int64_t before_at, int limit);

/* Appends a stage change (from NULL: the customer's first stage). */
int kith_store_stage_append(kith_store *s, int64_t customer_id, int64_t at, const char *from,
                            const char *to, const char *reason, const char *by);
/* The customer's stage history, oldest first, each
 * {at, from, to, reason, by, left_at, duration_s} (left_at and duration_s
 * null for the stage the customer is in), and the seconds spent in each
 * stage up to `now` in *spent ({stage: seconds}).  Both owned. */
int kith_store_stage_list(kith_store *s, int64_t customer_id, int64_t now, cJSON **history,
                          cJSON **spent);
/* Across all customers, the finished stays in each stage:
 * {stage: {n, mean_s, median_s, p90_s}}, and how many customers are in it
 * now as `current`.  Owned in *out. */
int kith_store_stage_durations(kith_store *s, cJSON **out);

#endif
