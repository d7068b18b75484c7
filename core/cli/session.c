/*
 * Running the commands of a kith session: see session.h.
 *
 * Return codes carry the failure's class up to main.c, which makes the exit
 * status of it: KITH_EIO (the server could not be reached, or the connection
 * broke) exits 2, anything else that failed exits 1.  A refusal from the
 * server is mapped back to its KITH_E* code through the error table, never
 * to KITH_EIO, so the two classes never mix.
 */
#include "cli/session.h"
#include "cli/args.h"
#include "cli/help.h"
#include "cli/render.h"
#include "cli/backup.h"
#include "cli/deals.h"
#include "cli/report.h"
#include "cli/subscribe.h"
#include "cli/campaigns.h"
#include "cli/survey.h"
#include "cli/tasks.h"
#include "cli/export.h"
#include "cli/import.h"
#include "cli/duplicates.h"
#include "cli/tickets.h"
#include "cli/timeline.h"
#include "cli/visits.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kith_cli_session_init(kith_cli_session *s)
{
    kith_cli_conn_init(&s->conn);
    s->json_output = 0;
    s->prompt = 0;
    s->auth_name = NULL;
    s->discover = NULL;
    s->reopen = NULL;
    s->reopen_ud = NULL;
}

void kith_cli_session_release(kith_cli_session *s)
{
    kith_cli_conn_release(&s->conn);
    cJSON_Delete(s->discover);
    s->discover = NULL;
    free(s->auth_name);
    s->auth_name = NULL;
}

static int code_from_rpc(int rpc)
{
#define KITH_CLI_FROM_RPC(name, value, rpc_code, kind, msg)                                        \
    if (rpc == rpc_code && name != KITH_EIO) return name;
    KITH_ERRORS(KITH_CLI_FROM_RPC)
#undef KITH_CLI_FROM_RPC
    return KITH_EINTERNAL;
}

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

int kith_cli_session_call(kith_cli_session *s, const char *method, cJSON *params, cJSON **result)
{
    cJSON *reply;
    *result = NULL;
    int rc = kith_cli_conn_call(&s->conn, method, params, &reply);
    if (rc == KITH_EIO) return report(rc, s->conn.err);
    if (rc < 0) return report(rc, kith_strerror(rc));

    const cJSON *error = cJSON_GetObjectItemCaseSensitive(reply, "error");
    if (error) {
        kith_cli_render_error(stderr, error);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
        rc = code_from_rpc(cJSON_IsNumber(code) ? code->valueint : -32603);
        cJSON_Delete(reply);
        return rc;
    }
    *result = cJSON_DetachItemFromObjectCaseSensitive(reply, "result");
    cJSON_Delete(reply);
    if (!*result) return report(KITH_EINTERNAL, "the server's reply has no result");
    return 0;
}

int kith_cli_session_auth(kith_cli_session *s, const char *token)
{
    cJSON *params = cJSON_CreateObject(), *result;
    if (!params || !cJSON_AddStringToObject(params, "token", token)) {
        cJSON_Delete(params);
        return report(KITH_ENOMEM, kith_strerror(KITH_ENOMEM));
    }
    int rc = kith_cli_session_call(s, "auth", params, &result);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(result, "name");
    if (rc == 0 && cJSON_IsString(name)) {
        free(s->auth_name);
        if (!(s->auth_name = strdup(name->valuestring))) rc = report(KITH_ENOMEM, "out of memory");
    }
    cJSON_Delete(result);
    return rc;
}

int kith_cli_session_discover(kith_cli_session *s, const cJSON **doc)
{
    if (!s->discover) {
        int rc = kith_cli_session_call(s, "rpc.discover", NULL, &s->discover);
        if (rc < 0) return rc;
    }
    *doc = s->discover;
    return 0;
}

static int run_help(kith_cli_session *s, int argc, char *const *argv)
{
    if (argc > 2) return report(KITH_EPARAMS, "usage: help [METHOD]");
    /* The client's own commands need no server to explain them. */
    if (argc == 2 && kith_cli_session_is_local(argv[1]))
        return kith_cli_help_client(stdout, argv[1]);
    const cJSON *doc;
    int rc = kith_cli_session_discover(s, &doc);
    if (rc < 0) return rc;
    if (argc == 1) {
        if (s->json_output) return kith_cli_render_result(stdout, doc, 1);
        kith_cli_help_list(stdout, doc);
        return kith_cli_help_client(stdout, NULL);
    }
    const cJSON *method = kith_cli_help_find(doc, argv[1]);
    if (!method) {
        fprintf(stderr, "kith: the server has no method '%s' (see 'help')\n", argv[1]);
        return KITH_ENOMETHOD;
    }
    if (s->json_output) return kith_cli_render_result(stdout, method, 1);
    return kith_cli_help_method(stdout, doc, argv[1]);
}

/* Calls a method and prints its result; takes `params`. */
static int call_and_print(kith_cli_session *s, const char *method, cJSON *params)
{
    cJSON *result;
    int rc = kith_cli_session_call(s, method, params, &result);
    if (rc < 0) return rc;
    rc = kith_cli_render_result(stdout, result, s->json_output);
    cJSON_Delete(result);
    if (rc < 0) return report(rc, kith_strerror(rc));
    return 0;
}

static int run_call(kith_cli_session *s, int argc, char *const *argv)
{
    if (argc < 2 || argc > 3) return report(KITH_EPARAMS, "usage: call METHOD ['<json params>']");
    cJSON *params = NULL;
    if (argc == 3) {
        /* The same strict check as key=value values, so `call` and the
         * short form agree on what counts as JSON. */
        if (kith_cli_args_is_json(argv[2])) params = cJSON_Parse(argv[2]);
        if (!cJSON_IsObject(params) && !cJSON_IsArray(params)) {
            cJSON_Delete(params);
            return report(KITH_EPARAMS, "call: params must be a JSON object or array");
        }
    }
    return call_and_print(s, argv[1], params);
}

int kith_cli_session_is_local(const char *word)
{
    return strcmp(word, "subscribe") == 0 || strcmp(word, "tasks") == 0 ||
           strcmp(word, "backup") == 0 || strcmp(word, "survey") == 0 ||
           strcmp(word, "tickets") == 0 || strcmp(word, "visits") == 0 ||
           strcmp(word, "import") == 0 || strcmp(word, "export") == 0 ||
           strcmp(word, "timeline") == 0 || strcmp(word, "duplicates") == 0 ||
           strcmp(word, "report") == 0 || strcmp(word, "value") == 0 ||
           strcmp(word, "deals") == 0 || strcmp(word, "forecast") == 0 ||
           strcmp(word, "campaigns") == 0 || strcmp(word, "campaign") == 0;
}

int kith_cli_session_run(kith_cli_session *s, int argc, char *const *argv)
{
    if (argc < 1) return report(KITH_EPARAMS, "no method given");
    if (strcmp(argv[0], "help") == 0) return run_help(s, argc, argv);
    if (strcmp(argv[0], "call") == 0) return run_call(s, argc, argv);
    if (strcmp(argv[0], "subscribe") == 0) return kith_cli_subscribe_run(s, argc, argv);
    if (strcmp(argv[0], "tasks") == 0) return kith_cli_tasks_run(s, argc, argv);
    if (strcmp(argv[0], "visits") == 0) return kith_cli_visits_run(s, argc, argv);
    if (strcmp(argv[0], "backup") == 0) return kith_cli_backup_run(s, argc, argv);
    if (strcmp(argv[0], "survey") == 0) return kith_cli_survey_run(s, argc, argv);
    if (strcmp(argv[0], "tickets") == 0) return kith_cli_tickets_run(s, argc, argv);
    if (strcmp(argv[0], "import") == 0) return kith_cli_import_run(s, argc, argv);
    if (strcmp(argv[0], "export") == 0) return kith_cli_export_run(s, argc, argv);
    if (strcmp(argv[0], "timeline") == 0) return kith_cli_timeline_run(s, argc, argv);
    if (strcmp(argv[0], "duplicates") == 0) return kith_cli_duplicates_run(s, argc, argv);
    if (strcmp(argv[0], "report") == 0) return kith_cli_report_run(s, argc, argv);
    if (strcmp(argv[0], "deals") == 0) return kith_cli_deals_run(s, argc, argv);
    if (strcmp(argv[0], "forecast") == 0) return kith_cli_forecast_run(s, argc, argv);
    if (strcmp(argv[0], "value") == 0) return kith_cli_value_run(s, argc, argv);
    if (strcmp(argv[0], "campaigns") == 0 || strcmp(argv[0], "campaign") == 0)
        return kith_cli_campaigns_run(s, argc, argv);

    char err[256];
    cJSON *params;
    int rc = kith_cli_args_parse(argc - 1, argv + 1, &params, err, sizeof(err));
    if (rc == KITH_EPARAMS) return report(rc, err);
    if (rc < 0) return report(rc, kith_strerror(rc));
    return call_and_print(s, argv[0], params);
}
