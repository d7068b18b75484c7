/*
 * One client connection: its socket, framer, output queue and session.
 *
 * DESIGN NOTES: a connection's life
 *   1. OPEN (kith_conn_accept): reading; every complete message is handled at
 *      once and its reply appended to `out`.
 *   2. Output: kith_conn_flush() writes `out` with uv_try_write and hands what
 *      is left to one uv_write whose buffer the request owns; while that
 *      write is in flight, new output accumulates in `out`.  At most one
 *      uv_write is outstanding, so replies keep their order.
 *   3. A client whose unsent output (queued plus in flight) passes
 *      max_output_bytes is closed at once (kith_conn_close): it stopped reading,
 *      and nobody else may pay for it.
 *   4. DRAINING (kith_conn_close_after_flush): reading stops; the connection
 *      closes once its output is written.  Used after a too_large error, for
 *      overload rejections and at shutdown.
 *   5. CLOSING: uv_close was called; the struct is freed in the close
 *      callback, never earlier.
 *   6. TLS (a connection from the tls_listen listener has `tls` set): the
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

#include "dispatch/command.h"
#include "proto/framer.h"
#include "server/tls.h"
#include "util/buf.h"

#include <uv.h>

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
    size_t inflight; /* bytes handed to uv_write, not yet completed */
    kith_session session;
    kith_tls *tls;        /* TLS session (note 6), or NULL on a plain connection */
    uint64_t last_active; /* loop time (ms) of the last bytes received */
    int draining, closing, dirty;
    kith_conn *prev, *next; /* all connections */
    kith_conn *next_dirty;  /* connections with output or writes this pass */
};

/* Allocates a connection for a listener of the given kind (pipe or TCP),
 * initialises its handle on `srv`'s loop and links it into the server's list
 * (kith_conn_close unlinks it).  Returns NULL when out of memory. */
kith_conn *kith_conn_new(struct kith_server *srv, int is_pipe);
/* Makes the connection speak TLS (note 6), server side, with `ctx`'s
 * certificate; call before kith_conn_start.  Returns 0 or KITH_ENOMEM. */
int kith_conn_use_tls(kith_conn *c, kith_tls_ctx *ctx);
/* Starts serving an accepted connection: decides local trust, enforces
 * max_connections and starts reading.  Returns 0 or a negative code (the
 * connection is then closed). */
int kith_conn_start(kith_conn *c);
/* Output the kernel has not taken yet: replies in `out`, bytes in flight,
 * and on a TLS connection the ciphertext waiting for the socket. */
size_t kith_conn_unsent(const kith_conn *c);
/* Writes as much queued output as the socket takes; see note 2. */
void kith_conn_flush(kith_conn *c);
/* Closes at once, dropping unsent output; see note 5. */
void kith_conn_close(kith_conn *c);
/* Stops reading and closes once the output is written; see note 4. */
void kith_conn_close_after_flush(kith_conn *c);
/* Puts the connection on the server's dirty list (flushed after commit). */
void kith_conn_mark_dirty(kith_conn *c);

#endif
