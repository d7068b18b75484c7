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
 *
 * DESIGN NOTES: input that takes more than one pass
 *   7. A connection handles its input for at most KITH_CONN_SLICE_USEC per
 *      loop pass (serve in conn.c): whole messages, and batch elements one by
 *      one (rpc.h notes 2-5).  One message or element always runs.
 *   8. BUSY: a message that is not done (`job`: a batch cut into slices, or
 *      a request waiting for work off the loop) or framed input left for a
 *      later pass.  While busy the connection reads nothing more and handles
 *      none of its later messages, so replies keep request order.  A busy
 *      connection with work it can do is on the server's pending list
 *      (`pending`); kith_conn_serve_pending gives each one slice per pass
 *      and the server keeps passes coming while the list is not empty.
 *   9. A request's work off the loop (kith_offload) runs on libuv's thread
 *      pool; its completion hands it back to the job and serves the
 *      connection again.  A connection that closes meanwhile leaves the work
 *      to finish alone: its result is dropped.
 *  10. EOF or shutdown while busy (`input_ended`): what was already received
 *      is still answered; the connection drains (note 5) once not busy.
 *  11. Replies wait for the disk, the loop does not (server/durable.c).
 *      Every pass commits relaxed; what end_pass releases of a connection's
 *      output is first *held* behind the commit generation it needs — the
 *      newest client commit not yet synced, which its request made or may
 *      have seen (kith_server_release_gen) — as a mark of (bytes,
 *      generation), and becomes `ready` when
 *      the WAL sync covering that generation completes
 *      (kith_conn_release_synced).  Marks are kept in order and a
 *      connection has at most KITH_CONN_MARKS; when they run out the last
 *      one grows and takes the newer generation, which only waits longer.
 *      A batch's slices need nothing special: its reply is released by the
 *      pass that ends it and waits for the sync that covers every slice.
 *
 * DESIGN NOTES: TLS
 *  12. TLS (a connection from the tls_listen listener has `tls` set): the
 *      bytes read are ciphertext, decrypted before the framer sees them; the
 *      replies in `out` stay plaintext until kith_conn_flush encrypts what
 *      it releases (wire_bytes in conn.c, the only place that does), so
 *      note 2's rule holds for TLS too.  Handshake messages and alerts go
 *      out with the next flush, whenever that is.  A TLS failure (a client
 *      speaking plain text, a bad record) sends OpenSSL's alert and closes;
 *      a draining TLS connection ends with a close_notify.
 */
#ifndef KITH_SERVER_CONN_H
#define KITH_SERVER_CONN_H

#include "request/request.h"
#include "proto/framer.h"
#include "server/tls.h"
#include "util/buf.h"

#include <uv.h>

/* Connections the Unix socket may open beyond max_connections, so that an
 * operator can still get in when TCP clients have taken every slot. */
#define KITH_LOCAL_RESERVE 8

typedef struct kith_conn kith_conn;
struct kith_server;

#define KITH_CONN_MARKS 4 /* held marks per connection (note 11) */

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
    kith_tls *tls;                /* TLS session (note 12), or NULL on a plain connection */
    struct sockaddr_storage peer; /* TCP peer (zeroed for the Unix socket) */
    uint64_t last_active;         /* loop time (ms) of the last bytes received */
    int draining, closing, dirty;
    kith_conn *prev, *next; /* all connections */
    kith_conn *next_dirty;  /* connections with output or writes this pass */
    /* Notes 7-10. */
    struct kith_rpc_job *job;    /* the message in progress, or NULL */
    struct offload_req *offload; /* its work on the thread pool, or NULL */
    int pending;                 /* on the server's pending list */
    int paused;                  /* reading stopped while busy */
    int input_ended;             /* EOF or shutdown came while busy */
    /* Note 11: output after `ready`, held until its commit is synced. */
    struct kith_conn_mark {
        size_t bytes;
        uint64_t gen;
    } marks[KITH_CONN_MARKS];
    int nmarks;
    int held; /* on the server's held list */
    kith_conn *next_held;
    uint64_t served_pass;   /* the pass that last served it */
    uint64_t job_pass;      /* the pass that began the last job */
    uint64_t job_done_pass; /* the pass that finished it */
    kith_conn *next_pending;
};

/* How long one connection's input may run per loop pass (note 6): long
 * enough that a batch commits in few passes, short enough that nobody waits
 * more than a few ms behind it. */
#define KITH_CONN_SLICE_USEC 2000

/* Allocates a connection for a listener of the given kind (pipe or TCP),
 * initialises its handle on `srv`'s loop and links it into the server's list
 * (kith_conn_close unlinks it).  Returns NULL when out of memory. */
kith_conn *kith_conn_new(struct kith_server *srv, int is_pipe);
/* Makes the connection speak TLS (note 6), server side, with `ctx`'s
 * certificate; call before kith_conn_start.  Returns 0 or KITH_ENOMEM. */
int kith_conn_use_tls(kith_conn *c, kith_tls_ctx *ctx);
/* Starts serving an accepted connection: decides local trust, enforces
 * max_connections (with KITH_LOCAL_RESERVE for the Unix socket) and
 * max_connections_per_address, and starts reading.  Returns 0 or a negative code (the
 * connection is then closed). */
int kith_conn_start(kith_conn *c);
/* Releases everything in `out` not yet released (note 2): ready to leave at
 * once when commit generation `gen` is synced (0: nothing to wait for),
 * else held behind it (note 11).  Only the server's end of pass calls it,
 * when no uncommitted write is open. */
void kith_conn_release(kith_conn *c, uint64_t gen);
/* Every held connection: what the syncs so far cover becomes ready and is
 * flushed (note 11). */
void kith_conn_release_synced(struct kith_server *srv, uint64_t synced_gen);
/* A WAL sync failed: whether what it covered survives a power cut is
 * unknown, so every connection holding replies behind it is closed without
 * them (server.h note 3). */
void kith_conn_sync_failed(struct kith_server *srv, uint64_t gen);
/* The pass's commit failed definitely with `code`: the connection's held
 * replies become that error (kith_conn_fail_held), or, when a batch cut
 * into slices across passes was in it, the connection is closed without
 * its reply (part of the batch was saved, part not).  Every connection is
 * given this call. */
void kith_conn_commit_failed(kith_conn *c, int code);
/* The commit the held (not yet ready) output waited for failed and saved
 * nothing: every success reply in it becomes the error `code` (a KITH_E*
 * code), so each request of the pass is told it did not happen. */
void kith_conn_fail_held(kith_conn *c, int code);
/* Output the kernel has not taken yet: replies in `out`, bytes in flight,
 * and on a TLS connection the ciphertext waiting for the socket. */
size_t kith_conn_unsent(const kith_conn *c);
/* Writes as much ready output as the socket takes; see note 3. */
void kith_conn_flush(kith_conn *c);
/* Closes at once, dropping unsent output; see note 6. */
void kith_conn_close(kith_conn *c);
/* Stops reading and closes once the output is written; see note 5. */
void kith_conn_close_after_flush(kith_conn *c);
/* Puts the connection on the server's dirty list (flushed after commit). */
void kith_conn_mark_dirty(kith_conn *c);
/* Gives every connection on the server's pending list one slice (note 7),
 * before the pass commits.  Returns 1 while some connection still has work
 * it can do, so the server keeps passes coming. */
int kith_conn_serve_pending(struct kith_server *srv);

#endif
