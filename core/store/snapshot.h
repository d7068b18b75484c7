/*
 * Population snapshots for the reports (README "Measuring"): how many
 * customers are in each lifecycle stage and each loyalty tier now, and the
 * points outstanding.  Each is one aggregate over an indexed column of the
 * current rows, not over a history.
 */
#ifndef KITH_STORE_SNAPSHOT_H
#define KITH_STORE_SNAPSHOT_H

#include "store/store.h"

#include <cJSON.h>

/* *out = {stage: customers} (customers without a stage under ""). */
int kith_store_count_by_stage(kith_store *s, cJSON **out);
/* *out = {tier: accounts}, and *outstanding the points held now. */
int kith_store_count_by_tier(kith_store *s, cJSON **out, int64_t *outstanding);

#endif
