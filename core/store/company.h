/*
 * Companies (accounts): the organisations B2B contacts belong to.  A
 * customer links to one by customers.company_id; a company's figures are
 * rolled up from its contacts' stats rows when read (see
 * kith_store_company_stats), so moving, merging or deleting a contact can
 * never leave them stale, and the order path pays nothing for them.
 */
#ifndef KITH_STORE_COMPANY_H
#define KITH_STORE_COMPANY_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* Inserts a company from `rec` (name, domain, industry, size, owner,
 * attrs) created by `by` at `now`.  Returns 0 and the record in *out. */
int kith_store_company_insert(kith_store *s, const cJSON *rec, const char *by, int64_t now,
                              cJSON **out);
/* Loads company `id` into *out.  Returns 0 or KITH_ENOTFOUND. */
int kith_store_company_get(kith_store *s, int64_t id, cJSON **out);
/* Writes every field of `rec` to company `id`, updated_at = now. */
int kith_store_company_update(kith_store *s, int64_t id, const cJSON *rec, int64_t now);
/* Deletes company `id`; with `detach`, its contacts are unlinked first,
 * else KITH_ECONFLICT while it has contacts.  *detached: how many were. */
int kith_store_company_delete(kith_store *s, int64_t id, int detach, int64_t *detached);
/* The figures rolled up from the company's contacts, as {contacts, orders,
 * total_spent, first_order_at, last_order_at, interactions,
 * last_interaction_at, open_tickets, complaints}. */
int kith_store_company_stats(kith_store *s, int64_t id, cJSON **out);

typedef struct kith_company_filter {
    const char *industry, *owner, *size, *q; /* NULL: no condition */
} kith_company_filter;
/* A page of companies in id order after `after`. */
int kith_store_company_list(kith_store *s, const kith_company_filter *f, int limit,
                            const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

#endif
