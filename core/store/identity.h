/*
 * Identities: the keys other systems know a customer by — a shop's customer
 * id, a POS card, a social handle — as {source, key}.  A key belongs to at
 * most one customer; deleting the customer deletes its identities.
 */
#ifndef KITH_STORE_IDENTITY_H
#define KITH_STORE_IDENTITY_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

/* The customer holding {source, key}: 0 and *customer_id, or
 * KITH_ENOTFOUND. */
int kith_store_identity_find(kith_store *s, const char *source, const char *key,
                             int64_t *customer_id);
/* Gives customer `customer_id` the identity {source, key}.  Returns 0 (also
 * when the customer has it already), KITH_ECONFLICT when another customer
 * has it, or another KITH_E* code. */
int kith_store_identity_add(kith_store *s, int64_t customer_id, const char *source, const char *key,
                            int64_t now);
/* Removes {source, key} from customer `customer_id`.  Returns 0 or
 * KITH_ENOTFOUND. */
int kith_store_identity_remove(kith_store *s, int64_t customer_id, const char *source,
                               const char *key);
/* Appends customer `customer_id`'s identities to `out` as {source, key,
 * created_at}, by source then key. */
int kith_store_identity_list(kith_store *s, int64_t customer_id, cJSON *out);

#endif
