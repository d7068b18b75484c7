/*
 * The dispatcher: the registry of commands and the one path every call takes
 * — lookup, role check, param check, the request's savepoint for writes, the
 * handler, the per-method counters.  It knows nothing of sockets or of the
 * JSON-RPC envelope (proto/ does); it turns (session, method, params) into a
 * result or a kith_call_error.
 */
#ifndef KITH_DISPATCH_DISPATCH_H
#define KITH_DISPATCH_DISPATCH_H

#include "dispatch/command.h"

typedef struct kith_method_stats {
    uint64_t calls, errors, usec_total, usec_max;
} kith_method_stats;

/* Creates a dispatcher over `store` and `env` (both borrowed; they must
 * outlive it) with the dispatcher's own methods (rpc.discover, system.stats)
 * registered.  Returns NULL when out of memory. */
kith_dispatch *kith_dispatch_new(kith_store *store, const kith_env *env);
void kith_dispatch_free(kith_dispatch *d);

/* Registers every command of `table` (terminated by {NULL}; borrowed, must
 * outlive the dispatcher).  Returns 0, KITH_ECONFLICT when a name is taken
 * (nothing of the table is registered then), or KITH_ENOMEM. */
int kith_dispatch_register(kith_dispatch *d, const kith_command *table);
/* Removes every command of `table` (as registered before). */
void kith_dispatch_unregister(kith_dispatch *d, const kith_command *table);
/* Looks a command up by name; NULL when unknown. */
const kith_command *kith_dispatch_find(const kith_dispatch *d, const char *name);

/* Calls `method` for `session` with `params` (borrowed; object, array or
 * NULL).  Returns 0 with *result (owned by the caller), or a negative code
 * with *err filled (err->data owned by the caller).  A write runs inside its
 * own savepoint: on failure it changes nothing. */
int kith_dispatch_call(kith_dispatch *d, kith_session *session, const char *method,
                       const cJSON *params, cJSON **result, kith_call_error *err);
/* The same for a caller that can take the reply later (a client's
 * connection).  Returns as kith_dispatch_call, or KITH_DEFERRED with *job
 * (owned by the caller) when the command handed work off the loop: run
 * job->run on a worker thread, then kith_dispatch_finish on the loop. */
int kith_dispatch_call_async(kith_dispatch *d, kith_session *session, const char *method,
                             const cJSON *params, cJSON **result, kith_offload **job,
                             kith_call_error *err);
/* Ends a deferred call: calls job->finish with `status` (0 when run ran),
 * which frees the job, and counts the call in the method's counters.
 * Returns 0 with *result (owned by the caller) or a negative code with *err
 * filled (err->data owned by the caller). */
int kith_dispatch_finish(kith_dispatch *d, kith_offload *job, int status, cJSON **result,
                         kith_call_error *err);

/* Iterates over the registered commands in name order: returns the i-th, or
 * NULL past the end; *stats (may be NULL) receives its counters. */
const kith_command *kith_dispatch_at(const kith_dispatch *d, size_t i, kith_method_stats *stats);

/* The store and env the dispatcher was created with (for its own methods). */
kith_store *kith_dispatch_store(const kith_dispatch *d);
const kith_env *kith_dispatch_env(const kith_dispatch *d);

/* The dispatcher's own commands: rpc.discover and system.stats. */
extern const kith_command kith_cmd_introspect[];

#endif
