/*
 * The data quality report's counts (data.quality): one pass over customers.
 */
#ifndef KITH_STORE_QUALITY_H
#define KITH_STORE_QUALITY_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

/* Builds {customers, completeness: {field: pct}, invalid: {email, phone},
 * duplicates_open, stale, never_contacted} into *out (owned).  `stale_before`:
 * customers not updated since then count as stale.  Scans the customers
 * table once (O(customers)). */
int kith_store_quality(kith_store *s, int64_t stale_before, cJSON **out);

#endif
