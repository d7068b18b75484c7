/*
 * One kith session: a connection plus the user's output choice, and the
 * commands a user types, whether on the command line or at the prompt:
 *
 *   METHOD [key=value ...]     params built by args.c
 *   call METHOD ['<json>']     params given as a JSON object or array
 *   help [METHOD]              from the server's rpc.discover document
 *   subscribe PATTERN...       events as they happen (subscribe.c)
 *   tasks                      open tasks, soonest first (tasks.c)
 *
 * Every outcome is reported here (results to stdout, errors to stderr), so
 * callers only turn the return code into an exit status.  Flags and the
 * prompt are left to main.c and repl.c.
 */
#ifndef KITH_CLI_SESSION_H
#define KITH_CLI_SESSION_H

#include "cli/conn.h"

#include <cJSON.h>

typedef struct kith_cli_session {
    kith_cli_conn conn; /* opened by the caller before the first call */
    int json_output;    /* --json: results as compact JSON */
    int prompt;         /* more commands follow on this connection (the prompt) */
    char *auth_name;    /* the name `auth` returned, or NULL; owned */
    cJSON *discover;    /* rpc.discover result, fetched once; owned */
    /* Opens s->conn again (and authenticates as at start), for the prompt
     * after the server dropped a silent client (idle_timeout); NULL: the
     * prompt ends with the connection.  Returns 0 or a negative code. */
    int (*reopen)(struct kith_cli_session *s, void *ud);
    void *reopen_ud;
} kith_cli_session;

/* Initialises a session with a closed connection; allocates nothing. */
void kith_cli_session_init(kith_cli_session *s);
/* Closes the connection and frees what the session holds. */
void kith_cli_session_release(kith_cli_session *s);

/* Calls `method` and takes its result.  Takes ownership of `params` (NULL
 * sends none).  Returns 0 with *result owned by the caller (cJSON_Delete),
 * or a negative code after printing why to stderr: KITH_EIO when the server
 * could not be reached or the connection broke, the KITH_E* code matching
 * the server's error when it refused, KITH_ENOMEM. */
int kith_cli_session_call(kith_cli_session *s, const char *method, cJSON *params, cJSON **result);

/* Authenticates the connection with `token` (never printed) and keeps the
 * token's name in s->auth_name.  Returns 0 or a negative code as
 * kith_cli_session_call() does. */
int kith_cli_session_auth(kith_cli_session *s, const char *token);

/* Returns the server's rpc.discover document in *doc (borrowed; it lives as
 * long as the session), fetching it on first use.  Returns 0 or a negative
 * code as kith_cli_session_call() does. */
int kith_cli_session_discover(kith_cli_session *s, const cJSON **doc);

/* Returns 1 when `word` names a command of the client itself (subscribe,
 * tasks), whose options are its own, 0 otherwise. */
int kith_cli_session_is_local(const char *word);

/* Runs one command given as words (argv[0] is the method, `call`, `help`
 * or a client command) and prints its outcome.  Borrows argv.  Returns 0, KITH_EIO when
 * the connection failed, or another negative code when the command failed
 * (bad usage, or an error from the server). */
int kith_cli_session_run(kith_cli_session *s, int argc, char *const *argv);

#endif
