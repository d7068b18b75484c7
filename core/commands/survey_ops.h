/*
 * The survey family's handlers and due sources, split over files by concern:
 * definitions (cmd_survey.c, which holds the command table), invitations
 * (cmd_survey_send.c), responses (cmd_survey_respond.c) and results
 * (cmd_survey_results.c).  Handlers follow dispatch/command.h.
 *
 * Rollups (store/rollup.h) recorded by the survey writes and read by
 * survey.results, for survey <name>; each is also recorded under dim
 * "channel" (the response's or invitation's channel, when set):
 *   survey.<name>.sent        n=1 when an invitation is sent (at sent_at)
 *   survey.<name>.answered    n=1 when a response answers an invitation
 *   survey.<name>.responses   n=1 per response (at the response's `at`)
 *   survey.<name>.nps         x = 100 (promoter), 0 (passive), -100
 *                             (detractor): NPS is the mean, and the counts
 *                             follow from Σx and Σx² (see results)
 *   survey.<name>.csat        x = 1 when the overall rating is in its top
 *                             two values, else 0: CSAT % is 100 × the mean
 *   survey.<name>.ces         x = the CES answer
 *   survey.<name>.q.<key>     n=1 per answer to question <key>, with x = the
 *                             answer when the question is numeric
 *   survey.<name>.v.<key>     n=1 under dim "value", key the answer ("4",
 *                             "true", an option; each option of a multi):
 *                             the distribution (not for text and number)
 *   survey.<name>.driver.<d>  x = dimension d's score, y = the overall score
 *                             of the same response: Pearson's r from the
 *                             moments
 */
#ifndef KITH_COMMANDS_SURVEY_OPS_H
#define KITH_COMMANDS_SURVEY_OPS_H

#include "dispatch/command.h"

#include <cJSON.h>
#include <stdint.h>

/* Loads survey `name` into *survey (owned); -32004 when there is none.
 * Returns 0 or a failure in ctx. */
int kith_survey_load(kith_ctx *ctx, const char *name, cJSON **survey);
/* Builds the rollup metric name "survey.<name>.<what>" into buf. */
void kith_survey_metric(char *buf, size_t len, const char *name, const char *what);

/* Handlers (params as in the command table of cmd_survey.c). */
int kith_survey_cmd_send(kith_ctx *ctx, const cJSON *params, cJSON **result);
int kith_survey_cmd_invitations(kith_ctx *ctx, const cJSON *params, cJSON **result);
int kith_survey_cmd_decline(kith_ctx *ctx, const cJSON *params, cJSON **result);
int kith_survey_cmd_respond(kith_ctx *ctx, const cJSON *params, cJSON **result);
int kith_survey_cmd_responses(kith_ctx *ctx, const cJSON *params, cJSON **result);
int kith_survey_cmd_results(kith_ctx *ctx, const cJSON *params, cJSON **result);

/* Due sources (commands/due.h): sends pending invitations whose send_at has
 * come (survey.invited) / expires sent ones whose expires_at has
 * (survey.expired), up to `limit`, each marked in the same request as its
 * event.  Set *fired; return 0 or a failure in ctx. */
int kith_survey_fire_sends(kith_ctx *ctx, int limit, int *fired);
int kith_survey_fire_expiries(kith_ctx *ctx, int limit, int *fired);

#endif
