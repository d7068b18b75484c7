/*
 * Cohorts and month-over-month retention, kept by the order's own
 * transaction so the retention report reads a few hundred cells, never the
 * orders (README "Measuring").
 *
 * customer_months holds each (customer, month) with an order; months are
 * numbered year * 12 + month - 1 (UTC).  A customer's cohort is her first
 * such month.  From them:
 *   cohort_cells(cohort, month): customers of the cohort who ordered in the
 *     month; a month's active customers are its column's sum and its new
 *     ones the cell (month, month);
 *   month_retained(month): customers who ordered in the month and in the
 *     month before.
 * An order pays one INSERT OR IGNORE; only the first order of a customer in
 * a month touches the cells.  Orders may arrive out of time order
 * (imports): an order before the customer's first month moves her cells to
 * the new cohort, and an order filling the month between two others counts
 * its retention both ways.  Deleting a customer leaves the cells: the
 * history happened.
 */
#ifndef KITH_STORE_COHORT_H
#define KITH_STORE_COHORT_H

#include "store/store.h"

#include <stdint.h>

/* The month number of a time in ms. */
int64_t kith_month_of(int64_t at_ms);
/* The first ms of month number `m`. */
int64_t kith_month_start(int64_t m);

/* Accounts an order of customer `id` at `at`.  Returns 0 or a KITH_E* code. */
int kith_cohort_add_order(kith_store *s, int64_t id, int64_t at);
/* Takes customer `id` out of the cells and forgets her months (a merge's
 * loser, before her orders move).  Returns 0 or a KITH_E* code. */
int kith_cohort_forget(kith_store *s, int64_t id);
/* Recounts customer `id` from her orders (a merge's survivor, after).
 * Returns 0 or a KITH_E* code. */
int kith_cohort_recount(kith_store *s, int64_t id);

/* Reads cells with cohort and month in [from, to]: fn(ud, cohort, month,
 * customers) in (cohort, month) order.  Returns 0 or a KITH_E* code. */
typedef void (*kith_cohort_fn)(void *ud, int64_t cohort, int64_t month, int64_t customers);
int kith_cohort_scan(kith_store *s, int64_t from, int64_t to, kith_cohort_fn fn, void *ud);
/* Retained customers of each month in [from, to]: fn(ud, month, 0, n). */
int kith_cohort_retained(kith_store *s, int64_t from, int64_t to, kith_cohort_fn fn, void *ud);

#endif
