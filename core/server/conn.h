/*
 * One client connection: its socket, framer, output queue and session.
 *
 * DESIGN NOTES: a connection's life
 *   1. OPEN (kith_conn_start): reading; every complete message is handled at
 *      once and its reply appended to `out`.
 *   2. Output: only the first `ready` bytes of `out` may leave.  They become
 *      ready in one place, kith_conn_release(), which the server calls at
 *      the end of a pass once no uncommitted write is open (server.h note
 *      2): so no byte of a reply leaves before the commit of what it saw,
 *      whoever calls kith_conn_flush() and whenever a write completes.
 *   3. kith_conn_flush() writes ready bytes with uv_try_write and hands what
 *      is left of them to one uv_write whose buffer the request owns; while
 *      that write is in flight, new output accumulates in `out`.  At most one
 *      uv_write is outstanding, so replies keep their order.
 *   4. A client whose unsent output (queued plus in flight) passes
 *      max_output_bytes is closed at once (kith_conn_close): it stopped reading,
 *      and nobody else may pay for it.
 *   5. DRAINING (kith_conn_close_after_flush): reading stops; the connection
 *      closes once its output is written.  Used after a too_large error, for
 *      overload rejections and at shutdown.
 *   6. CLOSING: uv_close was called; the struct is freed in the close
 *      callback, never earlier.
 */
#ifndef KITH_SERVER_CONN_H
#define KITH_SERVER_CONN_H

#include "request/request.h"
#include "proto/framer.h"
#include "util/buf.h"

#include <uv.h>

/* Connections the Unix socket may open beyond max_connections, so that an
 * operator can still get in when TCP clients have taken every slot. */
#define KITH_LOCAL_RESERVE 8

typedef struct kith_conn kith_conn;
struct kith_server;

struct kith_conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    struct kith_server *srv;
    kith_framer framer;
    kith_buf out;
    size_t ready;    /* bytes at the head of `out` that may leave (note 2) */
    size_t inflight; /* bytes handed to uv_write, not yet completed */
    kith_session session;
    struct sockaddr_storage peer; /* TCP peer (zeroed for the Unix socket) */
    uint64_t last_active;         /* loop time (ms) of the last bytes received */
    int draining, closing, dirty;
    kith_conn *prev, *next; /* all connections */
    kith_conn *next_dirty;  /* connections with output or writes this pass */
};

/* Allocates a connection for a listener of the given kind (pipe or TCP),
 * initialises its handle on `srv`'s loop and links it into the server's list
 * (kith_conn_close unlinks it).  Returns NULL when out of memory. */
kith_conn *kith_conn_new(struct kith_server *srv, int is_pipe);
/* Starts serving an accepted connection: decides local trust, enforces
 * max_connections (with KITH_LOCAL_RESERVE for the Unix socket) and
 * max_connections_per_address, and starts reading.  Returns 0 or a negative code (the
 * connection is then closed). */
int kith_conn_start(kith_conn *c);
/* Marks everything in `out` as ready to leave (note 2).  Only the server's
 * end of pass calls it, when no uncommitted write is open. */
void kith_conn_release(kith_conn *c);
/* The commit the held (not yet ready) output waited for failed and saved
 * nothing: every success reply in it becomes the error `code` (a KITH_E*
 * code), so each request of the pass is told it did not happen. */
void kith_conn_fail_held(kith_conn *c, int code);
/* Writes as much ready output as the socket takes; see note 3. */
void kith_conn_flush(kith_conn *c);
/* Closes at once, dropping unsent output; see note 6. */
void kith_conn_close(kith_conn *c);
/* Stops reading and closes once the output is written; see note 5. */
void kith_conn_close_after_flush(kith_conn *c);
/* Puts the connection on the server's dirty list (flushed after commit). */
void kith_conn_mark_dirty(kith_conn *c);

#endif
