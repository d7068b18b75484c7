/*
 * JSON-RPC 2.0 envelopes: turns one framed message into calls on the
 * dispatcher and writes the replies.  It owns the parsed request for the
 * length of the call; handlers borrow from it.  Everything about the
 * envelope lives here — batches, notifications, ids, error objects — and
 * nothing about methods.
 *
 * DESIGN NOTES: a message that spans passes
 *   1. Most messages are handled in one call of kith_rpc_handle: the reply
 *      goes straight into the connection's output.
 *   2. A batch runs element by element while the call's budget lasts (one
 *      element always runs); the rest waits in a kith_rpc_job that the
 *      connection runs again on later passes, so one client's batch of
 *      10,000 writes holds nobody else for more than a slice.  Each element
 *      stands alone (JSON-RPC batches are not atomic): its writes commit
 *      with the pass that ran it.
 *   3. A batch's replies gather in the job's own buffer and reach `out` as
 *      one array, once, when the last element has run; an element that ran
 *      is never run again.
 *   4. A request whose handler returned KITH_DEFERRED puts its job in WAIT:
 *      the caller takes the work (kith_rpc_job_take), runs it off the loop
 *      and hands it back (kith_rpc_job_resume); the next run writes that
 *      request's reply and goes on with the batch, if any.
 *   5. A reply longer than max_reply could never be written (the connection
 *      would be dropped as a client that stopped reading): it is replaced by
 *      one -32600 too_large error naming max_output_bytes, logged.  A batch
 *      stops at the element whose reply passed the limit; the elements that
 *      ran, including that one, stay done (their writes are committed), the
 *      rest never run, and error.data says how many ran.
 */
#ifndef KITH_PROTO_RPC_H
#define KITH_PROTO_RPC_H

#include "dispatch/dispatch.h"
#include "util/buf.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on one call's work and on a reply. */
typedef struct kith_rpc_limits {
    uint64_t budget_usec; /* start no batch element after this long (one always runs) */
    size_t max_reply;     /* a reply longer than this is replaced by a too_large error */
} kith_rpc_limits;

/* A message whose handling spans loop passes (a batch cut into slices, or a
 * request waiting for work off the loop); see the DESIGN NOTES above. */
typedef struct kith_rpc_job kith_rpc_job;

enum kith_rpc_state {
    KITH_RPC_DONE = 0, /* the reply is in `out`; free the job */
    KITH_RPC_MORE = 1, /* the budget ran out: run it again on a later pass */
    KITH_RPC_WAIT = 2, /* a request handed work off the loop: take it, run it, hand it back */
};

/* Handles one complete message of `len` bytes (one JSON value, as framed).
 * Appends its reply — one compact JSON value and "\n" — to `out`, or nothing
 * for notifications and all-notification batches.  `has_nul` says the
 * framer saw a \u0000 escape: such messages are refused whole, since C
 * strings would silently cut the value.  When the message is not done
 * within `lim`, *job receives it (owned; continue with kith_rpc_job_run,
 * free with kith_rpc_job_free); otherwise *job is NULL.  Returns the number
 * of requests it ran, or KITH_EPARSE when it was not valid JSON (the caller
 * then discards the rest of the line, as for any parse error). */
int kith_rpc_handle(kith_dispatch *d, kith_session *s, const char *msg, size_t len, int has_nul,
                    const kith_rpc_limits *lim, kith_buf *out, kith_rpc_job **job);

/* Where `job` stands (enum kith_rpc_state). */
int kith_rpc_job_state(const kith_rpc_job *job);
/* Continues a job in state MORE, or one whose offloaded work came back:
 * runs batch elements within `lim` and appends the whole reply to `out`
 * once the message is done.  Returns the number of requests it ran. */
int kith_rpc_job_run(kith_dispatch *d, kith_session *s, kith_rpc_job *job,
                     const kith_rpc_limits *lim, kith_buf *out);
/* In state WAIT: hands over the work to run off the loop (owned by the
 * caller until kith_rpc_job_resume).  The job stays in WAIT. */
kith_offload *kith_rpc_job_take(kith_rpc_job *job);
/* Gives the work back once its `run` returned (status 0) or could not be
 * started (negative); the next kith_rpc_job_run finishes it. */
void kith_rpc_job_resume(kith_rpc_job *job, kith_offload *work, int status);
/* Frees a job.  Its elements not yet run never run; work taken and not
 * given back stays the taker's (end it with kith_dispatch_finish). */
void kith_rpc_job_free(kith_rpc_job *job);

/* Rewrites replies that were written but must not be sent as they are:
 * `held` (borrowed, `len` bytes) is output in the wire format, one compact
 * JSON value and "\n" each.  Every success reply in it — alone or inside a
 * batch — is replaced by an error reply with the same id and the KITH_E*
 * `code`; error replies and notifications are copied unchanged.  Appends the
 * result to `out`.  Used when the commit the replies waited for failed. */
void kith_rpc_fail_results(const char *held, size_t len, int code, kith_buf *out);

/* Appends an error reply for `id` (borrowed; NULL means null) with the
 * KITH_E* `code`, a message and, when non-empty, data.param. */
void kith_rpc_write_error(kith_buf *out, const cJSON *id, int code, const char *message,
                          const char *param);

#endif
