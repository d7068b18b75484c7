/*
 * Follow-up tasks: a note about a customer (or about nothing in particular),
 * an owner, a due time and a status.  Records go in and come out in their
 * wire shape:
 *
 *   {id, customer_id, owner, note, due_at, status, created_by, created_at,
 *    closed_at, outcome, fired_at}
 *
 * Validating fields, checking the customer and emitting events are the
 * caller's (commands/task_ops.h); firing reminders on time is the
 * scheduler's, which finds its work with kith_store_task_next_due and
 * kith_store_task_due.
 *
 * DESIGN NOTES: a task's life
 *   1. A task is created open, unfired (kith_store_task_insert).
 *   2. open -> done or cancelled, once (kith_store_task_close); closed_at
 *      and outcome are set then, and a closed task never changes again.
 *   3. Its reminder fires once per due time: fired_at goes from NULL to the
 *      firing time (kith_store_task_mark_fired), only while the task is open
 *      and unfired.  Snoozing an open task (kith_store_task_snooze) moves
 *      due_at and clears fired_at, so the reminder fires again at the new
 *      time.
 *   4. The scheduler's work is exactly the open, unfired tasks, which the
 *      partial index tasks_due covers: next_due and due never scan closed or
 *      fired tasks.
 */
#ifndef KITH_STORE_TASK_H
#define KITH_STORE_TASK_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* Inserts an open task from `rec` (note; customer_id and owner optional,
 * absent or null for none) due at `due_at`, created by `created_by` at
 * `now`.  Returns 0 and the task in *out (owned; cJSON_Delete it), or a
 * KITH_E* code.  The caller has checked the fields and the customer. */
int kith_store_task_insert(kith_store *s, const cJSON *rec, int64_t due_at, const char *created_by,
                           int64_t now, cJSON **out);
/* Loads task `id` into *out (owned).  Returns 0 or KITH_ENOTFOUND. */
int kith_store_task_get(kith_store *s, int64_t id, cJSON **out);
/* Closes open task `id` with `status` ("done" or "cancelled") and `outcome`
 * (may be NULL) at `now` (note 2).  Returns 0 and the task as it now stands
 * in *out (owned), KITH_ENOTFOUND, or KITH_ECONFLICT when the task is not
 * open (nothing changes then). */
int kith_store_task_close(kith_store *s, int64_t id, const char *status, const char *outcome,
                          int64_t now, cJSON **out);
/* Moves open task `id` to `due_at` and re-arms its reminder (note 3).
 * Returns 0 and the task in *out (owned), KITH_ENOTFOUND, or KITH_ECONFLICT
 * when the task is not open. */
int kith_store_task_snooze(kith_store *s, int64_t id, int64_t due_at, cJSON **out);

typedef struct kith_task_filter {
    const char *owner, *status; /* NULL: no condition */
    int64_t customer_id;        /* 0: no condition */
    int64_t due_after;          /* due_at >= due_after; KITH_TIME_NONE: no condition */
    int64_t due_before;         /* due_at < due_before; KITH_TIME_NONE: no condition */
} kith_task_filter;

/* Appends to `items` up to `limit` tasks matching `f`, by due_at then id
 * ascending, starting after `after` (NULL for the first page); *more and
 * *next say whether and where the next page starts.  Returns 0 or a KITH_E*
 * code. */
int kith_store_task_list(kith_store *s, const kith_task_filter *f, int limit,
                         const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

/* The smallest due_at among open, unfired tasks, in *due_at.  Returns 0, or
 * KITH_ENOTFOUND when there is none (the scheduler then sleeps until a task
 * is created or snoozed). */
int kith_store_task_next_due(kith_store *s, int64_t *due_at);
/* Appends to `items` (borrowed) up to `limit` open, unfired tasks due at or
 * before `now`, by due_at then id; sets *n to how many.  Reads only: the
 * caller marks each one fired as it handles it.  Returns 0 or a KITH_E*
 * code. */
int kith_store_task_due(kith_store *s, int64_t now, int limit, cJSON *items, int *n);
/* Records that task `id`'s reminder fired at `at` (note 3).  Returns 0, or
 * KITH_ENOTFOUND when no open, unfired task has that id — the reminder was
 * already handled, or the task closed meanwhile: do not fire it. */
int kith_store_task_mark_fired(kith_store *s, int64_t id, int64_t at);

#endif
