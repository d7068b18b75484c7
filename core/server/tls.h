/*
 * TLS for kithd's connections: OpenSSL driven through two memory BIOs, so
 * libuv keeps owning the socket and the loop never blocks on OpenSSL.
 *
 *   socket --ciphertext--> kith_tls_feed --> SSL --> kith_tls_read --plaintext--> framer
 *   out (released plaintext) --> kith_tls_encrypt --> SSL --> wire --ciphertext--> socket
 *
 * The wire buffer collects every byte OpenSSL wants sent, in the order it
 * produced them: handshake messages, session tickets and alerts (which may
 * go out at any time) and the records of encrypted replies (which exist only
 * once their plaintext was released after its commit: encryption happens in
 * kith_tls_encrypt, called by conn.c's flush only).  Deciding when bytes are
 * released, and writing the wire buffer to the socket, is left to conn.c.
 *
 * TLS 1.2 and 1.3 only; no renegotiation, no compression.
 */
#ifndef KITH_SERVER_TLS_H
#define KITH_SERVER_TLS_H

#include "util/buf.h"

#include <stddef.h>

typedef struct kith_tls_ctx kith_tls_ctx;
typedef struct kith_tls kith_tls;

/* Loads the PEM certificate chain at `cert` and the private key at `key`
 * and checks that they belong together.  Returns 0 and an owned context
 * (free with kith_tls_ctx_free), or KITH_ECONFIG with the reason, naming
 * the option (tls_cert or tls_key) and the file, written to `err`. */
int kith_tls_ctx_new(const char *cert, const char *key, kith_tls_ctx **out, char *err,
                     size_t errlen);
/* Frees the context.  Connections made with it keep working: each holds its
 * own reference to the certificate and key.  NULL is a no-op. */
void kith_tls_ctx_free(kith_tls_ctx *ctx);

/* Starts the server side of one TLS session.  Returns an owned session
 * (free with kith_tls_free) or NULL when out of memory. */
kith_tls *kith_tls_new(kith_tls_ctx *ctx);
/* Frees the session and its buffers.  NULL is a no-op. */
void kith_tls_free(kith_tls *t);

/* Takes `n` bytes of ciphertext read from the socket (copied).  Returns 0
 * or KITH_ENOMEM. */
int kith_tls_feed(kith_tls *t, const char *cipher, size_t n);
/* Decrypts plaintext into buf (at most cap bytes), advancing the handshake
 * as needed; whatever OpenSSL answers goes to the wire buffer.  Returns 0
 * with *got > 0 bytes, 0 with *got == 0 when more ciphertext is needed, or
 * KITH_EIO when the session is over: kith_tls_why() says why (NULL for a
 * clean close_notify from the peer).  Plaintext already returned stays
 * valid; an alert for the peer may be on the wire. */
int kith_tls_read(kith_tls *t, char *buf, size_t cap, size_t *got);
/* Why the session failed (an OpenSSL reason, static or owned by `t`), or
 * NULL when the peer closed it cleanly or nothing failed. */
const char *kith_tls_why(const kith_tls *t);

/* Encrypts the first `n` bytes of `plain` (which the caller has released
 * for sending) onto the wire and consumes them from `plain`.  Before the
 * handshake has finished nothing can be encrypted: returns 0 and leaves
 * `plain` as it is.  After the session failed (kith_tls_read gave KITH_EIO
 * with a reason) the bytes are consumed and dropped.  Returns 0, KITH_EIO (reason in kith_tls_why)
 * or KITH_ENOMEM. */
int kith_tls_encrypt(kith_tls *t, kith_buf *plain, size_t n);
/* 1 once the handshake has finished (replies can be encrypted). */
int kith_tls_ready(const kith_tls *t);
/* Queues a close_notify alert on the wire, once; later calls do nothing.
 * Returns 1 when it queued bytes, 0 otherwise. */
int kith_tls_shutdown(kith_tls *t);
/* The ciphertext waiting for the socket, oldest first (borrowed; the caller
 * consumes what it wrote, or takes the storage with kith_buf_init after
 * copying the struct). */
kith_buf *kith_tls_wire(kith_tls *t);

#endif
