/*
 * The server: owner of the libuv loop, the listeners, the connections, the
 * store, the dispatcher and the signals.  It runs everything on one thread.
 *
 * DESIGN NOTES: one loop pass
 *   1. Poll phase: read callbacks frame and dispatch complete messages, up to
 *      a slice per connection (conn.h notes 7-10: a batch or a request waiting
 *      for work off the loop goes on in later passes).  Replies are appended
 *      to the connection's output buffer and the connection is put on the
 *      dirty list; nothing is written yet.
 *   2. Check phase (after_io -> end_pass in server.c, the one place the
 *      order below is written): busy connections get their slice
 *      (kith_conn_serve_pending); the pass's transaction, if any write
 *      opened one, is committed relaxed (group commit, store.h notes 2-6)
 *      and takes a commit generation whose WAL sync runs on a worker thread
 *      (durable.c); durable events are published; then every dirty
 *      connection's output is released behind the newest generation not
 *      yet synced and flushed as far as it may go (conn.h notes 2 and 11).
 *      No byte of a reply leaves before the commit and sync of what it saw,
 *      even when a WAL sync or a write completes in the middle of a pass: a
 *      connection only ever writes what end_pass released and a sync made
 *      ready.
 *   3. If COMMIT fails definitely (a full disk, an I/O error: nothing was
 *      saved), every success reply of the pass is rewritten into that error
 *      before release, so each request is told; a batch still in slices
 *      fails whole (rpc.h).  If only the WAL sync after it failed, nobody
 *      can say whether the writes survive: the connections whose replies
 *      waited for that sync are closed without them.
 *   4. Shutdown (SIGINT/SIGTERM): listeners close, reading stops (a busy
 *      connection first finishes what it received, conn.h note 10), the last
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
