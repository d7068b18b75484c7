/*
 * The shape of a command: every method Kith serves is declared once, as a
 * kith_command in a table (one table per family, in commands/), with its
 * params, flags, minimum role and summary.  The dispatcher checks existence,
 * role and params from this declaration before any handler runs, and
 * rpc.discover describes the API from the same tables, so the documentation
 * cannot drift from the code.
 *
 * A handler has one shape: validate domain rules, look up, change inside the
 * request's transaction, build the reply, emit events — in that order.  It
 * returns 0 with *result set (owned by the caller), or a negative KITH_E* code
 * after describing the failure with kith_ctx_fail().  A result may be a
 * cJSON_Raw node holding ready-made JSON text (customer.get's cached
 * records): the wire writes it as is, and whoever needs a tree parses it.
 * The request's own vocabulary (context, session, error record, roles) is
 * request/request.h, shared by every layer.
 */
#ifndef KITH_DISPATCH_COMMAND_H
#define KITH_DISPATCH_COMMAND_H

#include "request/request.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum kith_cmd_flags {
    KITH_CMD_READ = 1 << 0,  /* reads only; never opens a transaction */
    KITH_CMD_WRITE = 1 << 1, /* runs inside a request savepoint of the group commit */
    KITH_CMD_ADMIN = 1 << 2, /* administrative (documented as such) */
};

enum kith_param_type {
    KITH_T_ANY,
    KITH_T_STRING,
    KITH_T_INT,    /* a JSON number with no fraction, |v| <= 2^53 */
    KITH_T_NUMBER, /* any finite JSON number */
    KITH_T_BOOL,
    KITH_T_OBJECT,
    KITH_T_ARRAY,
    KITH_T_STRINGS, /* an array of strings */
    KITH_T_TIME,    /* an ISO 8601 string with an offset */
    KITH_T_DUE,     /* an ISO 8601 string, or a duration from now ("15m") */
};

typedef struct kith_param {
    const char *name;
    int type;
    int required;
    const char *description;
} kith_param;

typedef int (*kith_handler)(kith_ctx *ctx, const cJSON *params, cJSON **result);

/* A handler's return when it handed its slow part off the loop
 * (kith_ctx_offload): the reply comes later.  Positive: not an error. */
#define KITH_DEFERRED 1

/* Work a handler hands off the loop thread (system.backup's copy).  The
 * command embeds this as the first member of its own struct.  The server
 * runs `run` on a worker thread, then `finish` on the loop thread; until
 * then the client's connection handles none of its later input, so replies
 * keep their order.
 *   run:    the slow part.  It may touch only what the job holds: never the
 *           store, Lua, the request's cJSON or anything else of the loop's.
 *   finish: like a handler's tail: returns 0 with *result (owned by the
 *           caller) or a negative code after filling *err.  `status` is 0
 *           when `run` ran, or negative when it could not be started (then
 *           finish only reports and cleans up).  It frees the job, always. */
typedef struct kith_offload kith_offload;
struct kith_offload {
    void (*run)(kith_offload *job);
    int (*finish)(kith_offload *job, int status, cJSON **result, kith_call_error *err);
    const char *method; /* set by the dispatcher: for its counters */
    uint64_t started;   /* set by the dispatcher: monotonic usec of the call */
};

/* Hands `job` (ownership taken) off the loop for a client's request and
 * returns KITH_DEFERRED, for `return kith_ctx_offload(...)` from a READ
 * handler.  Where the caller cannot wait (ctx->offload is NULL) the job is
 * finished unrun and freed, and the call fails with KITH_EINVREQ. */
int kith_ctx_offload(kith_ctx *ctx, kith_offload *job);

typedef struct kith_command {
    const char *name;
    kith_handler handler;
    const kith_param *params; /* terminated by {NULL} */
    int flags;
    int min_role;
    const char *summary;
    const char *result; /* one line on what comes back */
} kith_command;

#endif
