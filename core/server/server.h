/*
 * The server: owner of the libuv loop, the listeners, the connections, the
 * store, the dispatcher and the signals.  It runs everything on one thread.
 *
 * DESIGN NOTES: one loop pass
 *   1. Poll phase: read callbacks frame and dispatch complete messages, up to
 *      a slice per connection (conn.h notes 6-9: a batch or a request waiting
 *      for work off the loop goes on in later passes).  Replies are appended
 *      to the connection's output buffer and the connection is put on the
 *      dirty list; nothing is written yet.
 *   2. Check phase (after_io): busy connections get their slice
 *      (kith_conn_serve_pending), then the pass's transaction, if any write
 *      opened one, is committed (group commit, store.h; relaxed when no
 *      reply of this pass acknowledges a write, conn.h note 10); then every
 *      dirty connection's output is flushed (uv_try_write first, the rest
 *      queued in one uv_write).
 *      So a write is acknowledged only after COMMIT returned, and a read that
 *      saw uncommitted data is answered only once that data is committed.
 *   3. If COMMIT fails, the connections whose writes were in the pass are
 *      closed without a reply: no write is ever acknowledged that is not
 *      durable.  Others are answered normally.
 *   4. Shutdown (SIGINT/SIGTERM): listeners close, reading stops (a busy
 *      connection first finishes what it received, conn.h note 9), the last
 *      pass commits and flushes, connections close once their output is written
 *      (or after shutdown_grace seconds), then the loop ends and the store
 *      closes.  SIGHUP is reserved for reloading rules.
 */
#ifndef KITH_SERVER_SERVER_H
#define KITH_SERVER_SERVER_H

#include "server/config.h"

typedef struct kith_server kith_server;

/* Opens the store and listeners described by `cfg` (borrowed for the
 * server's life).  Returns 0 and an owned server (free with
 * kith_server_free), or a negative code with the reason logged. */
int kith_server_new(const kith_config *cfg, kith_server **out);
/* Prints the ready line and runs the loop until shutdown.  Returns 0 after a
 * clean shutdown. */
int kith_server_run(kith_server *srv);
/* Closes everything left and frees the server. */
void kith_server_free(kith_server *srv);

#endif
