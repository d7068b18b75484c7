/*
 * JSON-RPC 2.0 envelopes: turns one framed message into calls on the
 * dispatcher and writes the replies.  It owns the parsed request for the
 * length of the call; handlers borrow from it.  Everything about the
 * envelope lives here — batches, notifications, ids, error objects — and
 * nothing about methods.
 */
#ifndef KITH_PROTO_RPC_H
#define KITH_PROTO_RPC_H

#include "dispatch/dispatch.h"
#include "util/buf.h"

#include <cJSON.h>
#include <stddef.h>

/* Handles one complete message of `len` bytes (one JSON value, as framed).
 * Appends its reply — one compact JSON value and "\n" — to `out`, or nothing
 * for notifications and all-notification batches.  `has_nul` says the
 * framer saw a \u0000 escape: such messages are refused whole, since C
 * strings would silently cut the value.  Returns the number of requests it
 * carried, or KITH_EPARSE when it was not valid JSON (the caller then
 * discards the rest of the line, as for any parse error). */
int kith_rpc_handle(kith_dispatch *d, kith_session *s, const char *msg, size_t len, int has_nul,
                    kith_buf *out);

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
