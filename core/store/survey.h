/*
 * Surveys (DOMAIN.md 2.2): definitions, invitations and responses.  Records
 * go in and come out in their wire shape:
 *
 *   survey      {id, name, title, kind, status, questions, anonymous,
 *                quiet_days, attrs, created_by, created_at, updated_at,
 *                activated_at, closed_at}
 *   invitation  {id, survey, customer_id, channel, status, context,
 *                suppressed_reason, send_at, sent_at, answered_at,
 *                declined_at, expired_at, expires_at, created_by,
 *                created_at [, token]}
 *   response    {id, survey, customer_id, invitation_id, answers, comment,
 *                channel, by, at, context, scores, attrs, created_at}
 *
 * Checking definitions and answers, the quiet period, stats, rollups and
 * events are the caller's (commands/cmd_survey*.c); this file is the SQL.
 *
 * DESIGN NOTES
 *   1. A survey is draft -> active -> closed -> active.  Only a draft's
 *      definition changes or goes (kith_store_survey_update/_delete match
 *      status = 'draft'), so every response matches the questions it
 *      answered.  Status moves are conditional UPDATEs
 *      (kith_store_survey_move): a move happens at most once.
 *   2. An invitation is pending -> sent -> answered | declined | expired,
 *      or pending -> answered | declined when answered by its token before
 *      it went out; suppressed ones are written as such and never move.
 *      Every move is a conditional UPDATE on the expected status
 *      (kith_store_invitation_move), so a due invitation is sent or expired
 *      exactly once however calls interleave.
 *   3. The scheduler's work is the pending invitations (by send_at) and the
 *      sent ones (by expires_at), each under its partial index, so finding
 *      the next due time never scans answered or expired invitations.
 *   4. The token is kept as is (it must go out in survey.invited when a
 *      pending invitation is sent later) but rendered only when the caller
 *      asks (send's reply and the survey.invited event); lists never show it.
 *   5. Responses are never updated or deleted (but a deleted customer's
 *      responses stay, with customer_id NULL, so results keep them).
 */
#ifndef KITH_STORE_SURVEY_H
#define KITH_STORE_SURVEY_H

#include "store/store.h"
#include "util/cursor.h"

#include <cJSON.h>
#include <stdint.h>

/* ---- definitions (survey.c) ---- */

/* Inserts a draft survey from `def` (name, title, kind, questions,
 * anonymous, quiet_days, attrs; the caller has checked them).  Returns 0
 * with the survey in *out (owned), KITH_ECONFLICT when the name is taken, or
 * a KITH_E* code. */
int kith_store_survey_insert(kith_store *s, const cJSON *def, const char *created_by, int64_t now,
                             cJSON **out);
/* Loads survey `name` into *out (owned).  Returns 0 or KITH_ENOTFOUND. */
int kith_store_survey_get(kith_store *s, const char *name, cJSON **out);
/* Rewrites draft survey `id`'s definition from `def` (title, kind,
 * questions, anonymous, quiet_days, attrs; all present) at `now` (note 1).
 * Returns 0 with the survey in *out, KITH_ENOTFOUND, or KITH_ECONFLICT when
 * it is no longer a draft. */
int kith_store_survey_update(kith_store *s, int64_t id, const cJSON *def, int64_t now, cJSON **out);
/* Deletes draft survey `id`.  Returns 0, KITH_ENOTFOUND, or KITH_ECONFLICT
 * when it is not a draft. */
int kith_store_survey_delete(kith_store *s, int64_t id);
/* Moves survey `id` from status `from` to `to` at `now`, setting
 * activated_at or closed_at (note 1).  Returns 0 with the survey in *out,
 * KITH_ENOTFOUND, or KITH_ECONFLICT when it was not in `from`. */
int kith_store_survey_move(kith_store *s, int64_t id, const char *from, const char *to, int64_t now,
                           cJSON **out);
/* Appends up to `limit` surveys (only `status` when not NULL) by id to
 * `items`, after `after`; more and next as in kith_row_page. */
int kith_store_survey_list(kith_store *s, const char *status, int limit, const kith_cursor *after,
                           cJSON *items, int *more, kith_cursor *next);

/* ---- invitations (survey_invite.c) ---- */

typedef struct kith_invitation_new {
    int64_t survey_id, customer_id;
    const char *channel;           /* NULL: none */
    const char *status;            /* pending, sent or suppressed */
    const char *token;             /* NULL for suppressed ones */
    const char *suppressed_reason; /* NULL unless suppressed */
    const cJSON *context;          /* an object, or NULL for {} */
    int64_t send_at, expires_at;
    const char *created_by;
    int64_t now; /* created_at, and sent_at when status is sent */
} kith_invitation_new;

/* Inserts an invitation.  Returns 0 with its id in *id, or a KITH_E* code. */
int kith_store_invitation_insert(kith_store *s, const kith_invitation_new *n, int64_t *id);
/* Loads invitation `id` (with its token when `with_token`) into *out.
 * Returns 0 or KITH_ENOTFOUND. */
int kith_store_invitation_get(kith_store *s, int64_t id, int with_token, cJSON **out);
/* Finds the invitation holding `token`.  Returns 0 with it in *out (no
 * token shown), or KITH_ENOTFOUND. */
int kith_store_invitation_by_token(kith_store *s, const char *token, cJSON **out);
/* The newest pending or sent invitation of `customer_id` to `survey_id`:
 * 0 with its id in *id, or KITH_ENOTFOUND. */
int kith_store_invitation_open(kith_store *s, int64_t survey_id, int64_t customer_id, int64_t *id);
/* Moves invitation `id` from `from` to `to`, setting the time column of
 * `to` (sent_at, answered_at, declined_at or expired_at) to `at` (note 2).
 * Returns 0, or KITH_ENOTFOUND when it was not in `from`. */
int kith_store_invitation_move(kith_store *s, int64_t id, const char *from, const char *to,
                               int64_t at);

typedef struct kith_invitation_filter {
    int64_t survey_id;   /* 0: any */
    int64_t customer_id; /* 0: any */
    const char *status;  /* NULL: any */
} kith_invitation_filter;

/* Appends up to `limit` invitations matching `f`, newest first, after
 * `after`.  Returns 0 or a KITH_E* code. */
int kith_store_invitation_list(kith_store *s, const kith_invitation_filter *f, int limit,
                               const kith_cursor *after, cJSON *items, int *more,
                               kith_cursor *next);

/* The earliest send_at of a pending invitation / expires_at of a sent one
 * (note 3).  Returns 0 with *at, or KITH_ENOTFOUND. */
int kith_store_invitation_next_send(kith_store *s, int64_t *at);
int kith_store_invitation_next_expiry(kith_store *s, int64_t *at);
/* Fills ids[] with up to `limit` invitations due at `now`: pending ones
 * whose send_at has come (`expiry` 0) or sent ones whose expires_at has
 * (`expiry` 1), oldest first; *n is how many.  Reads only. */
int kith_store_invitation_due(kith_store *s, int expiry, int64_t now, int limit, int64_t *ids,
                              int *n);

/* ---- responses (survey_response.c) ---- */

typedef struct kith_response_new {
    int64_t survey_id;
    int64_t customer_id;   /* 0: anonymous */
    int64_t invitation_id; /* 0: none */
    const cJSON *answers, *scores, *context, *attrs;
    const char *comment, *channel, *by; /* comment, channel may be NULL */
    int64_t at, now;
} kith_response_new;

/* Inserts a response.  Returns 0 with it in *out (owned), or a KITH_E* code. */
int kith_store_response_insert(kith_store *s, const kith_response_new *n, cJSON **out);
/* 1 when `customer_id` has answered `survey_id`, 0 when not, or a negative
 * KITH_E* code. */
int kith_store_response_exists(kith_store *s, int64_t survey_id, int64_t customer_id);

typedef struct kith_response_filter {
    int64_t survey_id, customer_id; /* 0: any */
    int64_t from, to;               /* at in [from, to) */
} kith_response_filter;

/* Appends up to `limit` responses matching `f`, newest first.  Returns 0 or
 * a KITH_E* code. */
int kith_store_response_list(kith_store *s, const kith_response_filter *f, int limit,
                             const kith_cursor *after, cJSON *items, int *more, kith_cursor *next);

/* Appends to `ids` (an array) the customer ids of segment `segment`'s
 * members, by id.  Returns 0 or a KITH_E* code. */
int kith_store_survey_segment_members(kith_store *s, const char *segment, cJSON *ids);

#endif
