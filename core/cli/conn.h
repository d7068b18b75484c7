/*
 * The kith client's connection to kithd: one blocking stream socket (TCP or
 * Unix) speaking JSON-RPC 2.0, one request at a time.
 *
 * Requests go out as compact JSON plus "\n"; the server writes every reply
 * and notification as one compact JSON value plus "\n", so replies are read
 * line by line.  Notifications that arrive while a reply is awaited (events
 * for a subscriber) are dropped, unless `hold_notifications` is set: then
 * they are kept, in order, for kith_cli_conn_next(), so a subscriber loses
 * nothing that arrives around the subscribe reply.  What a reply means, and
 * how it is shown, is left to session.c and render.c.
 *
 * Over TCP the connection may speak TLS (kith_cli_conn_start_tls): the
 * server's certificate is verified against a CA file or the system's trust
 * store, and its name against the host connected to, unless told not to.
 */
#ifndef KITH_CLI_CONN_H
#define KITH_CLI_CONN_H

#include "util/buf.h"

#include <cJSON.h>

typedef struct kith_cli_conn {
    int fd;                     /* -1 while closed */
    struct ssl_st *ssl;         /* the TLS session over fd, or NULL (plain) */
    struct ssl_ctx_st *ssl_ctx; /* its settings; owned like ssl */
    long long next_id;          /* request ids count up from 1 */
    kith_buf in;                /* received bytes not yet parsed */
    int answered;               /* the server has sent something on this connection */
    cJSON *held;                /* notifications kept for kith_cli_conn_next(); owned, or NULL */
    int hold_notifications;     /* keep notifications that arrive during a call */
    char err[320];              /* why the last open or call failed, for the user */
} kith_cli_conn;

/* Initialises a closed connection; allocates nothing. */
void kith_cli_conn_init(kith_cli_conn *c);
/* Closes the socket if open and frees the buffers; `c` can be opened again. */
void kith_cli_conn_release(kith_cli_conn *c);

/* Connects to host:port (a name or an IPv4/IPv6 literal).  Returns 0 or
 * KITH_EIO with the reason in c->err. */
int kith_cli_conn_open_tcp(kith_cli_conn *c, const char *host, const char *port);
/* Starts TLS on a connection just opened with kith_cli_conn_open_tcp to
 * `host`: verifies the server's certificate chain against the PEM file
 * `cacert` (NULL: the system's trusted CAs) and that the certificate names
 * `host` (a DNS name or an IP address), unless `insecure`, which skips both
 * checks.  TLS 1.2 or newer.  Returns 0 or KITH_EIO with the reason in
 * c->err (the connection is closed then). */
int kith_cli_conn_start_tls(kith_cli_conn *c, const char *host, const char *cacert, int insecure);
/* Connects to the Unix socket at `path`.  Returns 0 or KITH_EIO with the
 * reason in c->err. */
int kith_cli_conn_open_unix(kith_cli_conn *c, const char *path);
/* Closes the socket; buffered input and held notifications are dropped.
 * Safe when closed. */
void kith_cli_conn_close(kith_cli_conn *c);

/* Sends one request and waits for its reply.  Takes ownership of `params`
 * (NULL sends none).  Returns 0 with *reply set to the whole reply object
 * (owned by the caller; it holds "result" or "error"), KITH_EIO when the
 * connection failed, closed, or the server sent something that is not a
 * JSON-RPC message (reason in c->err; the connection is closed then), or
 * KITH_ENOMEM. */
int kith_cli_conn_call(kith_cli_conn *c, const char *method, cJSON *params, cJSON **reply);

/* Returns the next message: a held notification first, else the next one
 * read from the socket.  While waiting it also watches `wake_fd` (ignored
 * when negative): once that is readable it returns 0 with *msg NULL, so a
 * signal handler that writes to a pipe can end the wait.  Otherwise returns
 * 0 with *msg owned by the caller, KITH_EIO when the connection failed or
 * closed (reason in c->err), or KITH_ENOMEM. */
int kith_cli_conn_next(kith_cli_conn *c, int wake_fd, cJSON **msg);

/* Drops the held notifications. */
void kith_cli_conn_drop_held(kith_cli_conn *c);

#endif
