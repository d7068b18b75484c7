/*
 * Consent: an append-only history of what each customer agreed to, per
 * purpose (marketing, survey, service, profiling) and channel (email, sms,
 * phone, wechat, mail, or any), with the source and time of each grant or
 * withdrawal.  The current state is the newest row; nothing is updated in
 * place, so the history is the evidence.
 */
#ifndef KITH_STORE_CONSENT_H
#define KITH_STORE_CONSENT_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

typedef struct kith_consent_new {
    int64_t customer_id;
    const char *purpose, *channel, *source, *evidence, *by;
    int granted;
    int64_t at, now;
} kith_consent_new;

/* Appends a consent row.  Returns 0 and the record in *out. */
int kith_store_consent_add(kith_store *s, const kith_consent_new *c, cJSON **out);
/* The newest row for (purpose, channel) or (purpose, "any"), the newer of
 * the two: 0 and the record in *out, or KITH_ENOTFOUND when the customer
 * never said. */
int kith_store_consent_current(kith_store *s, int64_t customer_id, const char *purpose,
                               const char *channel, cJSON **out);
/* Appends the customer's rows to `history`, newest first, and the newest
 * per (purpose, channel) to `current`. */
int kith_store_consent_list(kith_store *s, int64_t customer_id, cJSON *current, cJSON *history);

/* Whether customer `customer_id` may be contacted for `purpose` on
 * `channel`: their newest answer when they gave one (reason "granted" or
 * "no_consent"), else the purpose's default (reason "default"): service
 * and survey messages are allowed until withdrawn, marketing and profiling
 * need a grant.  *at: when they said it (0 for a default).  Returns 0 or a
 * KITH_E* code. */
int kith_store_consent_allowed(kith_store *s, int64_t customer_id, const char *purpose,
                               const char *channel, int *allowed, const char **reason, int64_t *at);

#endif
