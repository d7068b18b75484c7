/*
 * Identities: the keys other systems know a customer by (a WeChat openid, a
 * Shopify customer id, a POS card number, a Weibo handle).  A key belongs to
 * at most one customer within its source; a customer may have any number.
 * Imports match on them (commands/cmd_import.c) and customer.get finds a
 * customer by one.
 *
 * Sources and keys are free strings; checking their length is the caller's.
 */
#ifndef KITH_STORE_IDENTITY_H
#define KITH_STORE_IDENTITY_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

/* The customer that (source, key) belongs to, in *customer_id.  Returns 0 or
 * KITH_ENOTFOUND. */
int kith_store_identity_find(kith_store *s, const char *source, const char *key,
                             int64_t *customer_id);
/* Gives customer `customer_id` the key (source, key) at `now`.  Returns 0
 * (also when the customer has it already), KITH_ECONFLICT when the key is
 * another customer's, or another KITH_E* code.  The caller has checked the
 * customer exists. */
int kith_store_identity_add(kith_store *s, int64_t customer_id, const char *source, const char *key,
                            int64_t now);
/* Takes (source, key) away from customer `customer_id`.  Returns 0, or
 * KITH_ENOTFOUND when that customer does not have it. */
int kith_store_identity_remove(kith_store *s, int64_t customer_id, const char *source,
                               const char *key);
/* Appends to `items` the customer's identities as {source, key, created_at},
 * by source then key.  Returns 0 or a KITH_E* code. */
int kith_store_identity_list(kith_store *s, int64_t customer_id, cJSON *items);

#endif
