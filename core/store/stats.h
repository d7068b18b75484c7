/*
 * Per-customer stats, maintained incrementally: every write that changes
 * them updates the row in the same transaction, so a rule or a read never
 * scans a customer's history.  The arithmetic is kept in pure functions
 * (kith_stats_*) so it can be tested without a database.
 */
#ifndef KITH_STORE_STATS_H
#define KITH_STORE_STATS_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

#define KITH_TIME_NONE INT64_MIN /* a time that has not happened yet */

typedef struct kith_customer_stats {
    int64_t orders;
    int64_t total_spent_cents;
    int64_t first_order_at, last_order_at; /* KITH_TIME_NONE before the first order */
    int64_t interactions, complaints;
    int64_t last_interaction_at; /* KITH_TIME_NONE before the first interaction */
    int64_t last_complaint_at;   /* KITH_TIME_NONE before the first complaint */
    /* Service (tickets): kept by the ticket.* writes. */
    int64_t tickets, open_tickets, open_complaints, sla_breaches;
    /* Feedback (surveys): the last scores are NAN before the first answer. */
    int64_t surveys_answered;
    int64_t last_survey_at, last_invited_at; /* KITH_TIME_NONE: never */
    double last_nps, last_csat, last_ces;
    /* Visits. */
    int64_t visits_completed;
    int64_t last_visit_at, next_visit_at; /* KITH_TIME_NONE: none */
    /* What the customer-value models need (util/btyd.h): the calendar days
     * (UTC) with an order, and the amount of the first such day. */
    int64_t order_days, first_day_cents;
} kith_customer_stats;

/* Resets to the stats of a customer with no history. */
void kith_stats_init(kith_customer_stats *st);
/* Accounts one order of `cents` at time `at`; orders may arrive out of time
 * order (backdated imports), so first/last are a min and a max. */
void kith_stats_add_order(kith_customer_stats *st, int64_t cents, int64_t at);
/* Accounts one interaction; complaints are counted separately too (and
 * their latest time kept). */
void kith_stats_add_interaction(kith_customer_stats *st, int is_complaint, int64_t at);
/* Adds the stats of a second history to `into`, as if one customer had
 * lived both (customer.merge): counts add up, firsts are the earlier,
 * lasts the later, the last scores are those of the later survey, and the
 * next visit is the sooner. */
void kith_stats_combine(kith_customer_stats *into, const kith_customer_stats *from);
/* The mean gap between consecutive orders in days: the gaps sum to
 * last - first, so the mean is (last - first) / (orders - 1).  Returns 0 and
 * sets *days, or -1 when there are fewer than two orders. */
int kith_stats_avg_days_between_orders(const kith_customer_stats *st, double *days);
/* The stats in their wire shape (owned by the caller), or NULL when out of
 * memory. */
cJSON *kith_stats_to_json(const kith_customer_stats *st);

/* The columns of a customer_stats row, each prefixed by `alias` (a string
 * literal such as "st."), in the order kith_stats_read reads them; for the
 * store's own queries that join the stats to other tables. */
#define KITH_STATS_COLUMNS(alias)                                                                  \
    alias "orders, " alias "total_spent_cents, " alias "first_order_at, " alias                    \
          "last_order_at, " alias "interactions, " alias "complaints, " alias                      \
          "last_interaction_at, " alias "last_complaint_at, " alias "tickets, " alias              \
          "open_tickets, " alias "open_complaints, " alias "sla_breaches, " alias                  \
          "surveys_answered, " alias "last_survey_at, " alias "last_invited_at, " alias            \
          "last_nps, " alias "last_csat, " alias "last_ces, " alias "visits_completed, " alias     \
          "last_visit_at, " alias "next_visit_at, " alias "order_days, " alias "first_day_cents"
/* Reads the KITH_STATS_COLUMNS of a result row starting at column `col`
 * (a row of a LEFT JOIN with no stats reads as zeros and nones). */
void kith_stats_read(kith_stmt *st, int col, kith_customer_stats *out);
/* Loads the stats row of customer `id`.  Returns 0 or KITH_ENOTFOUND. */
int kith_store_stats_get(kith_store *s, int64_t id, kith_customer_stats *st);
/* Accounts one order of `cents` at `at` in the stats row of customer `id`,
 * as kith_stats_add_order does, in one UPDATE (the order path's); the order
 * must be stored already (a day inside the known span is probed for
 * another order).  Returns 0, KITH_ENOTFOUND or another KITH_E* code. */
int kith_store_stats_add_order(kith_store *s, int64_t id, int64_t cents, int64_t at);
/* Recounts order_days and first_day_cents of customer `id` from its
 * orders (after a merge moved some).  Returns 0 or a KITH_E* code. */
int kith_store_stats_recount_days(kith_store *s, int64_t id);
/* Calls fn(ud, id, stats) for every customer with an order, in id order;
 * only members of `segment` and of class `cls` when given.  fn returns
 * nonzero to stop.  Returns 0 or a KITH_E* code. */
typedef int (*kith_stats_fn)(void *ud, int64_t id, const kith_customer_stats *st);
int kith_store_stats_each(kith_store *s, const char *segment, const char *cls, kith_stats_fn fn,
                          void *ud);
/* Writes the stats row of customer `id`.  Returns 0 or a KITH_E* code. */
int kith_store_stats_put(kith_store *s, int64_t id, const kith_customer_stats *st);

#endif
