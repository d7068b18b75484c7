/*
 * Helpers shared by the store's record files: binding optional values and
 * turning columns into cJSON members.  Internal to store/.
 */
#ifndef KITH_STORE_ROW_H
#define KITH_STORE_ROW_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <sqlite3.h>
#include <stdint.h>

/* Binds a string, or NULL when s is NULL. */
int kith_row_bind_str(sqlite3_stmt *st, int idx, const char *s);
/* Binds the compact text of a JSON value (or `fallback` when v is NULL). */
int kith_row_bind_json(sqlite3_stmt *st, int idx, const cJSON *v, const char *fallback);
/* Adds column `col` as a string or null member. */
int kith_row_add_str(cJSON *obj, const char *key, sqlite3_stmt *st, int col);
/* Adds column `col` (ms) as an ISO time, or null when the column is NULL. */
int kith_row_add_time(cJSON *obj, const char *key, sqlite3_stmt *st, int col);
/* Adds column `col` (JSON text) parsed; `fallback` when it does not parse. */
int kith_row_add_json(cJSON *obj, const char *key, sqlite3_stmt *st, int col, const char *fallback);

/* Binds the parameters every newest-first history query shares: ?1 the
 * customer, ?2 the page size + 1, and, after a cursor, ?3/?4 its key and id. */
void kith_row_bind_history(sqlite3_stmt *st, int64_t customer_id, int limit,
                           const kith_cursor *after);
/* Steps a paged query that selected limit + 1 rows.  For each of the first
 * `limit` rows calls build(st, arg) and appends the returned record to
 * `items`; `key_col`/`id_col` give the cursor of the last row kept.  Sets
 * *more to 1 and *next to that cursor when a further row exists.  Returns 0
 * or a KITH_E* code. */
typedef cJSON *(*kith_row_builder)(sqlite3_stmt *st, void *arg);
int kith_row_page(kith_store *s, sqlite3_stmt *st, int limit, int key_col, int id_col,
                  kith_row_builder build, void *arg, cJSON *items, int *more, kith_cursor *next);

/* Steps `st` (bound by the caller), a query for at most one record, and
 * builds it with build(st, arg) into *out (owned).  Resets st.  Returns 0,
 * KITH_ENOTFOUND when there is no row, KITH_ENOMEM, or the store error
 * (logged as `what`, "get visit"). */
int kith_row_one(kith_store *s, sqlite3_stmt *st, kith_row_builder build, void *arg,
                 const char *what, cJSON **out);
/* Steps `st` (bound by the caller), a query for ids in column 0, into
 * ids[0..limit-1], with *n how many.  Resets st.  Returns 0 or the store
 * error (logged as `what`). */
int kith_row_ids(kith_store *s, sqlite3_stmt *st, int limit, int64_t *ids, int *n,
                 const char *what);
#endif
