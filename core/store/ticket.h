/*
 * Tickets: complaints and service requests (DOMAIN.md 2.1), their SLA
 * clocks, and each ticket's comments and transitions.  A ticket goes in and
 * comes out in its wire shape:
 *
 *   {id, customer_id, kind, subject, description, channel, category,
 *    priority, touchpoint, order_id, owner, team, status, resolution,
 *    root_cause, compensation, customer_notified_at, notified_via,
 *    satisfaction, customer_comment, reject_reason, duplicate_of, parent_id,
 *    interaction_id, reopened, accepted_at, resolved_at, closed_at,
 *    created_by, attrs, created_at, updated_at,
 *    sla: null | {policy, respond_by, resolve_by, responded_at, paused_ms,
 *                 waiting_since, breached: [...], warned: [...], next_at}}
 *
 * beside the SLA clock as a C value (kith_ticket_sla), which the ticket
 * code computes (commands/ticket_sla.h).  SQL only: validating fields, the
 * state machine, stats, rollups and events are the caller's.
 *
 * DESIGN NOTES
 *   1. The whole row is written at once (kith_store_ticket_save), from the
 *      record and the clock as the caller left them, and only while the
 *      status is still the one the caller checked its transition against;
 *      otherwise nothing changes and the caller hears KITH_ECONFLICT.
 *   2. sla_next_at is the earliest unfired warning or deadline that still
 *      applies (NULL: none), kept by the caller on every save; the partial
 *      index tickets_sla_next holds exactly the tickets with something due,
 *      so the due source's `next` is one index lookup.
 *   3. Firing a warning or breach is one conditional UPDATE of its flag
 *      from 0 to 1 (kith_store_ticket_sla_mark) in the request that emits
 *      its event, so each fires exactly once across crashes.
 */
#ifndef KITH_STORE_TICKET_H
#define KITH_STORE_TICKET_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* The SLA deadlines a ticket may have. */
enum { KITH_SLA_RESPOND, KITH_SLA_RESOLVE, KITH_SLA_NDEADLINES };

/* A ticket's SLA clock.  Times are ms since the epoch, KITH_TIME_NONE
 * (stats.h) when unset; durations are ms of business time. */
typedef struct kith_ticket_sla {
    char policy[64];                       /* "" = the ticket has no SLA */
    int64_t duration[KITH_SLA_NDEADLINES]; /* the policy's respond/resolve; 0 = none */
    double warn_at;                        /* fraction of a duration at which the warning fires */
    int64_t created_at;                    /* the respond clock's start */
    int64_t started_at;                /* the resolve clock's start: creation or the last reopen */
    int64_t paused_ms;                 /* business time spent waiting since started_at */
    int64_t paused_at;                 /* when the current wait began; NONE unless waiting */
    int64_t due[KITH_SLA_NDEADLINES];  /* the deadlines */
    int64_t warn[KITH_SLA_NDEADLINES]; /* their warning times */
    int warned[KITH_SLA_NDEADLINES];   /* the warning fired */
    int breached[KITH_SLA_NDEADLINES]; /* the breach fired */
    int64_t responded_at;              /* the first response; NONE before */
    int64_t next_at;                   /* note 2; NONE: nothing due */
} kith_ticket_sla;

/* Resets *sla to "no SLA". */
void kith_ticket_sla_clear(kith_ticket_sla *sla);

/* Inserts a ticket from `rec` (its wire fields; id, sla and updated_at are
 * ignored, created_at is required) with clock `sla`.  Returns 0 with the new
 * id in *id, or a KITH_E* code. */
int kith_store_ticket_insert(kith_store *s, const cJSON *rec, const kith_ticket_sla *sla,
                             int64_t *id);
/* Loads ticket `id`: its wire shape into *out (owned; may be NULL to skip)
 * and its clock into *sla (may be NULL).  Returns 0 or KITH_ENOTFOUND. */
int kith_store_ticket_get(kith_store *s, int64_t id, cJSON **out, kith_ticket_sla *sla);
/* Writes every field of ticket `id` from `rec` and `sla`, with updated_at =
 * `now`, while its status is still `expect_status` (note 1).  Returns 0,
 * KITH_ENOTFOUND, or KITH_ECONFLICT when the status moved on. */
int kith_store_ticket_save(kith_store *s, int64_t id, const char *expect_status, const cJSON *rec,
                           const kith_ticket_sla *sla, int64_t now);

typedef struct kith_ticket_filter {
    int64_t customer_id; /* 0: any */
    const char *status;  /* a status, "active" (new, open, waiting) or NULL */
    const char *kind, *owner, *team, *category, *priority; /* NULL: any */
    int breached;                        /* -1: any; 1: a deadline was breached; 0: none */
    int64_t opened_after, opened_before; /* created_at range; KITH_TIME_NONE: open */
} kith_ticket_filter;
/* Appends to `items` up to `limit` tickets matching `f`, newest first (by
 * id), after `after`; *more and *next as kith_row_page.  Returns 0 or a
 * KITH_E* code. */
int kith_store_ticket_list(kith_store *s, const kith_ticket_filter *f, int limit,
                           const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

/* The earliest sla_next_at over all tickets: 0 with *at, or
 * KITH_ENOTFOUND. */
int kith_store_ticket_sla_next(kith_store *s, int64_t *at);
/* Up to `max` ids of tickets with sla_next_at <= now, soonest first, into
 * ids; *n says how many.  Returns 0 or a KITH_E* code. */
int kith_store_ticket_sla_due(kith_store *s, int64_t now, int max, int64_t *ids, int *n);
/* Fires one flag of ticket `id`: its deadline `which`'s warning (`breach`
 * 0) or breach (1), from 0 to 1, setting sla_next_at to `next_at`
 * (KITH_TIME_NONE: NULL).  Returns 0, or KITH_ENOTFOUND when that flag was
 * already set (note 3). */
int kith_store_ticket_sla_mark(kith_store *s, int64_t id, int which, int breach, int64_t next_at,
                               int64_t now);

/* Links interaction `interaction_id` of customer `customer_id` to ticket
 * `ticket_id` (the complaint a ticket came from).  Returns 0, or
 * KITH_ENOTFOUND when the customer has no such interaction or it belongs to
 * another ticket. */
int kith_store_ticket_link_interaction(kith_store *s, int64_t interaction_id, int64_t customer_id,
                                       int64_t ticket_id);
/* The customer of ticket `id` in *customer_id.  Returns 0 or
 * KITH_ENOTFOUND. */
int kith_store_ticket_customer(kith_store *s, int64_t id, int64_t *customer_id);

/* Appends an entry to ticket `ticket_id`'s history: kind "comment" (body,
 * internal) or "transition" (verb, from, to, body = the reason or note; any
 * may be NULL), by `by` at `at`.  Returns 0 and the entry in *out (owned;
 * may be NULL to skip), or a KITH_E* code. */
int kith_store_ticket_note(kith_store *s, int64_t ticket_id, const char *kind, const char *verb,
                           const char *from, const char *to, const char *body, int internal,
                           const char *by, int64_t at, cJSON **out);
/* A ticket's history, newest first. */
int kith_store_ticket_history(kith_store *s, int64_t ticket_id, int limit, const kith_cursor *after,
                              cJSON *items, int *more, kith_cursor *next);

#endif
