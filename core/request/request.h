/*
 * The request: what every layer above the store shares about one unit of
 * work — who asks (kith_session and its role), what the process offers it
 * (kith_env), what went wrong (kith_call_error) and the context a handler,
 * a rule or a background task runs with (kith_ctx) — and the one way a
 * unit of work that writes begins and ends (kith_request_begin/end).  A
 * leaf module: it includes only store/ and util/, so the dispatcher, the
 * commands, the rules engine, the scheduler and the server all depend on it
 * and none of them on each other for this.
 *
 * DESIGN NOTES: one request path
 *   1. A request that writes runs between kith_request_begin() and
 *      kith_request_end(): a client's write (the dispatcher), a crm.on
 *      handler, a fired reminder batch, a job slice, a loyalty expiry
 *      round.  There is no other sequence to copy.
 *   2. Requests nest: a rule's crm.call inside a request is a request of
 *      its own.  Each one is a SAVEPOINT of the pass's transaction
 *      (store.h note 2), so a failing inner request rolls back alone and
 *      its caller decides what that means.
 *   3. Only the outermost request settles: just before it ends well, the
 *      settle hook brings what it touched up to date (segments and churn)
 *      inside the same savepoint, so their events commit or roll back with
 *      the write that caused them.  Inner requests never settle; what they
 *      touch is settled once, by the outermost.
 *   4. An outermost request that fails — in its own work or in settling —
 *      calls the abandon hook, so nothing it touched leaks into the next
 *      request, and its savepoint rolls back: it changed nothing.
 *   5. The hooks are the policy of whoever owns the process (the server,
 *      the rule-test world) and reach this module through kith_env; with
 *      none installed a request only opens and closes its savepoint.  This
 *      module never calls the rules engine, so the dispatcher does not
 *      either.
 *   6. Bookkeeping that changes no customer (cursors, schedule times, log
 *      trimming) may use the store's savepoint directly
 *      (kith_store_request_begin/end): there is nothing to settle.
 */
#ifndef KITH_REQUEST_REQUEST_H
#define KITH_REQUEST_REQUEST_H

#include "store/store.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum kith_role { KITH_ROLE_NONE = 0, KITH_ROLE_VIEWER, KITH_ROLE_AGENT, KITH_ROLE_ADMIN };

/* What the server shares with commands: plain data, owned by the server and
 * updated by it; commands only read it. */
typedef struct kith_server_counters {
    uint64_t connections, connections_total, connections_rejected;
    uint64_t requests, bytes_in, bytes_out, slow_clients_dropped, failed_commits;
} kith_server_counters;

struct kith_command;
struct kith_histogram;
struct kith_tier;
struct kith_script;
typedef struct kith_dispatch kith_dispatch;
typedef struct kith_ctx kith_ctx;

/* How an outermost request settles or is abandoned (notes 3-5): installed
 * by the process's owner through kith_env.  Either function may be NULL. */
typedef struct kith_request_hooks {
    /* Before an outermost request ends well; runs inside its savepoint.
     * Returns 0, or a negative code with the failure recorded in ctx (the
     * request then fails and rolls back). */
    int (*settle)(void *ud, kith_ctx *ctx);
    /* After an outermost request failed, before its rollback. */
    void (*abandon)(void *ud, kith_ctx *ctx);
    void *ud;
} kith_request_hooks;

typedef struct kith_env {
    const char *default_currency;
    int64_t started_at;
    const char *data_dir;
    const kith_server_counters *server;
    struct kith_script *script;    /* the rules engine, or NULL */
    const struct kith_tier *tiers; /* loyalty tiers of the running rules */
    size_t ntiers;
    int64_t clock_offset_ms;         /* added to the wall clock (rule tests move time) */
    const int64_t *published_seq;    /* the last event delivered to live subscribers */
    const kith_request_hooks *hooks; /* settle and abandon (notes 3-5), or NULL */
    /* Per-customer settle times in ns, for system.stats, or NULL. */
    const struct kith_histogram *settle_times;
    struct kith_ratelimit *auth_limit; /* failed auth per address, or NULL (no limit) */
    /* Ends at once every session authenticated with token `token_id` (the
     * server closes their connections once their replies are out); NULL
     * where there are no connections (rule tests). */
    void (*end_token_sessions)(void *ud, int64_t token_id);
    void *sessions_ud;
} kith_env;

/* One client's identity, owned by its connection. */
typedef struct kith_session {
    int role;                 /* effective role; KITH_ROLE_NONE before auth */
    int authenticated;        /* role comes from a token */
    int local_trust;          /* loopback/Unix: trusted while no token exists */
    int wrote;                /* a write of this session awaits the pass's commit */
    char name[72];            /* token name, or "local" */
    char peer[64];            /* client address ("127.0.0.1", "::1", "unix"), for rate limits */
    int64_t token_id;         /* the token authenticated with (0: none) */
    int64_t token_expires_at; /* ms; 0: never (or no token) */
    struct kith_sub *sub;     /* pub/sub patterns, or NULL (owned by the connection) */
} kith_session;

/* What went wrong in a call: filled by kith_ctx_fail, read by proto/. */
typedef struct kith_call_error {
    int code;
    char message[512];
    char param[64]; /* "" when the error is not about one parameter */
    cJSON *data;    /* extra members for error.data (owned), or NULL */
} kith_call_error;

struct kith_ctx {
    const struct kith_command *cmd; /* the command being run, or NULL outside the dispatcher */
    kith_store *store;
    kith_session *session;
    const kith_env *env;
    kith_dispatch *dispatch; /* set by the dispatcher for its own methods, else NULL */
    int64_t now;             /* the request's time, ms since the epoch */
    kith_call_error *err;
    /* Where kith_ctx_offload (dispatch/command.h) puts its job, or NULL when
     * the caller cannot take a reply later (rules, jobs, tests): only client
     * requests can. */
    struct kith_offload **offload;
};

/* Fills *ctx for work outside the dispatcher (background work, reloads,
 * rule tests): no command, now = the wall clock plus env's offset, and *err
 * cleared.  Borrows every pointer; release with kith_ctx_release(). */
void kith_ctx_init(kith_ctx *ctx, kith_store *store, kith_session *who, const kith_env *env,
                   kith_call_error *err);
/* Frees what a failure left in ctx->err (its data) and clears it, so the
 * context can be used again or dropped. */
void kith_ctx_release(kith_ctx *ctx);

/* Opens a request (a savepoint; nested inside an open one, note 2).
 * Returns 0, or a negative code recorded in ctx. */
int kith_request_begin(kith_ctx *ctx);
/* Ends the request kith_request_begin() opened, given the outcome `rc` of
 * its work (0 or a negative code already recorded in ctx).  The outermost
 * request settles when rc is 0 (note 3) and is abandoned when rc or the
 * settling fails (note 4).  The savepoint is released when
 * all went well and rolled back otherwise.  Returns the request's final
 * outcome: 0, or a negative code recorded in ctx. */
int kith_request_end(kith_ctx *ctx, int rc);

/* Records a failure in ctx->err and returns `code`, for `return
 * kith_ctx_fail(...)`.  `param` may be NULL. */
int kith_ctx_fail(kith_ctx *ctx, int code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "viewer" etc. for a role; "none" for KITH_ROLE_NONE. */
const char *kith_role_name(int role);
/* Parses a role name; returns 0 or KITH_EPARAMS. */
int kith_role_parse(const char *name, int *role);

#endif
