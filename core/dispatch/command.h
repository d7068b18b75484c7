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
 */
#ifndef KITH_DISPATCH_COMMAND_H
#define KITH_DISPATCH_COMMAND_H

#include "store/store.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum kith_role { KITH_ROLE_NONE = 0, KITH_ROLE_VIEWER, KITH_ROLE_AGENT, KITH_ROLE_ADMIN };

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

/* What the server shares with commands: plain data, owned by the server and
 * updated by it; commands only read it. */
typedef struct kith_server_counters {
    uint64_t connections, connections_total, connections_rejected;
    uint64_t requests, bytes_in, bytes_out, slow_clients_dropped;
} kith_server_counters;

struct kith_tier;
struct kith_script;

typedef struct kith_env {
    const char *default_currency;
    int64_t started_at;
    const char *data_dir;
    const kith_server_counters *server;
    struct kith_script *script;    /* the rules engine, or NULL */
    const struct kith_tier *tiers; /* loyalty tiers of the running rules */
    size_t ntiers;
    int64_t clock_offset_ms;      /* added to the wall clock (rule tests move time) */
    const int64_t *published_seq; /* the last event delivered to live subscribers */
} kith_env;

/* One client's identity, owned by its connection. */
typedef struct kith_session {
    int role;             /* effective role; KITH_ROLE_NONE before auth */
    int authenticated;    /* role comes from a token */
    int local_trust;      /* loopback/Unix: trusted while no token exists */
    int wrote;            /* a write of this session awaits the pass's commit */
    char name[72];        /* token name, or "local" */
    struct kith_sub *sub; /* pub/sub patterns, or NULL (owned by the connection) */
} kith_session;

typedef struct kith_dispatch kith_dispatch;

/* What went wrong in a call: filled by kith_ctx_fail, read by proto/. */
typedef struct kith_call_error {
    int code;
    char message[512];
    char param[64]; /* "" when the error is not about one parameter */
    cJSON *data;    /* extra members for error.data (owned), or NULL */
} kith_call_error;

typedef struct kith_ctx {
    const struct kith_command *cmd; /* the command being run */
    kith_store *store;
    kith_session *session;
    const kith_env *env;
    kith_dispatch *dispatch;
    int64_t now; /* the request's time, ms since the epoch */
    kith_call_error *err;
    /* Where kith_ctx_offload puts its job, or NULL when the caller cannot
     * take a reply later (rules, jobs, tests): only client requests can. */
    struct kith_offload **offload;
} kith_ctx;

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

typedef struct kith_command {
    const char *name;
    kith_handler handler;
    const kith_param *params; /* terminated by {NULL} */
    int flags;
    int min_role;
    const char *summary;
    const char *result; /* one line on what comes back */
} kith_command;

/* Records a failure in ctx->err and returns `code`, for `return
 * kith_ctx_fail(...)`.  `param` may be NULL. */
int kith_ctx_fail(kith_ctx *ctx, int code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Hands `job` (ownership taken) off the loop for a client's request and
 * returns KITH_DEFERRED, for `return kith_ctx_offload(...)` from a READ
 * handler.  Where the caller cannot wait (ctx->offload is NULL) the job is
 * finished unrun and freed, and the call fails with KITH_EINVREQ. */
int kith_ctx_offload(kith_ctx *ctx, struct kith_offload *job);

/* "viewer" etc. for a role; "none" for KITH_ROLE_NONE. */
const char *kith_role_name(int role);
/* Parses a role name; returns 0 or KITH_EPARAMS. */
int kith_role_parse(const char *name, int *role);

#endif
