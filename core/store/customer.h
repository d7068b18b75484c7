/*
 * Customers: the rows, their tag index and their stats row.  Records go in
 * and come out in their wire shape (cJSON objects with the keys of the
 * contract); validating the fields is the caller's job (commands/), keeping
 * the rows, the tag index and the stats row consistent is this file's.
 */
#ifndef KITH_STORE_CUSTOMER_H
#define KITH_STORE_CUSTOMER_H

#include "store/stats.h"
#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* Inserts a customer from `rec` (name, email, phone, company, external_id,
 * owner, stage, tags, attrs, company_id; absent members take their defaults) with
 * created_at = updated_at = now, its tag index and an empty stats row.
 * Returns 0 and the new id, KITH_ECONFLICT when external_id is taken, or
 * another KITH_E* code. */
int kith_store_customer_insert(kith_store *s, const cJSON *rec, int64_t now, int64_t *id);
/* Writes the fields of customer `id` named in `changed` (an object whose
 * keys are the changed fields) from `rec` (a full record) and sets
 * updated_at = now; the tag index is rewritten only when tags changed.
 * Returns 0, KITH_ENOTFOUND or KITH_ECONFLICT. */
int kith_store_customer_update(kith_store *s, int64_t id, const cJSON *rec, const cJSON *changed,
                               int64_t now);
/* Loads customer `id` into *out (owned; cJSON_Delete it).  Returns 0 or
 * KITH_ENOTFOUND. */
int kith_store_customer_get(kith_store *s, int64_t id, cJSON **out);
/* Loads customer `id` as customer.get shows it, in one statement: the
 * record plus `stats`, `points` (unexpired at `now`), `segments`,
 * `churn_risk` and `identities` ([{source, key}]).  *lifetime and tier
 * (64 bytes; "" when none stored) are for the caller to decide the tier.  *valid_until (when not
 * NULL) is when `points` next changes by itself, as an award lapses (INT64_MAX: never). Returns 0
 * or KITH_ENOTFOUND. */
int kith_store_customer_get_full(kith_store *s, int64_t id, int64_t now, cJSON **out,
                                 int64_t *lifetime, char *tier, int64_t *valid_until);
/* Customer `id` as the rules see it, in plain values: the record's fields
 * (NULL when unset; tags and attrs as JSON text; times in ms), its stats and
 * its points (unexpired at `now`) and lifetime points.  Strings are borrowed
 * for the length of the visit only. */
typedef struct kith_customer_view {
    int64_t id;
    const char *name, *email, *phone, *company, *external_id, *owner, *stage;
    const char *tags_json, *attrs_json;
    int64_t created_at, updated_at;
    int64_t company_id;     /* 0: none */
    const char *class_name; /* the class shown (override or the rule's), or NULL */
    kith_customer_stats stats;
    int64_t points, lifetime_points;
} kith_customer_view;
/* Calls visit(ud, view) for customer `id` and returns what it returns, or
 * KITH_ENOTFOUND.  One statement, no JSON tree: rule evaluation runs this for
 * every customer a write touches and for every customer in a sweep. */
int kith_store_customer_visit(kith_store *s, int64_t id, int64_t now,
                              int (*visit)(void *ud, const kith_customer_view *view), void *ud);
/* Finds the id of the customer whose `field` ("external_id", "email" or
 * "phone") equals value; e-mail and phone compare by their comparable forms
 * (util/contact_norm.h), the oldest match winning.  Returns 0 or
 * KITH_ENOTFOUND. */
int kith_store_customer_lookup(kith_store *s, const char *field, const char *value, int64_t *id);
/* Deletes customer `id` with everything that hangs off it.  Returns 0 or
 * KITH_ENOTFOUND. */
int kith_store_customer_delete(kith_store *s, int64_t id);
/* The class crm.classify last gave customer `id` into cls ("" when none;
 * the override aside).  Returns 0 or KITH_ENOTFOUND. */
int kith_store_customer_class(kith_store *s, int64_t id, char *cls, size_t len);
/* Stores the rule's class (NULL: none) and its reasons; updated_at stays,
 * as for a segment membership. */
int kith_store_customer_set_class(kith_store *s, int64_t id, const char *cls, const cJSON *reasons);
/* Counts existing customers. */
int kith_store_customer_count(kith_store *s, int64_t *n);

typedef struct kith_customer_filter {
    const char *tag, *stage, *owner, *q, *segment; /* NULL: no condition */
    int64_t company_id;                            /* 0: no condition */
    const char *class_name;                        /* NULL: no condition */
    const cJSON *attrs;                            /* object of attribute -> value, or NULL */
} kith_customer_filter;

/* Appends to `items` up to `limit` customers matching `f`, in id order,
 * starting after `after` (NULL for the first page).  *more and *next tell
 * whether and where a next page starts.  Returns 0 or a KITH_E* code. */
int kith_store_customer_list(kith_store *s, const kith_customer_filter *f, int limit,
                             const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

#endif
