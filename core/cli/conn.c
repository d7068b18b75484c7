/*
 * The client's socket: see conn.h.  Everything blocks; the client has one
 * request in flight and nothing else to do while it waits.
 *
 * A reply is matched to its request by id.  The one exception is a reply
 * with a null id carrying an error: the server sends that when it could not
 * read the request well enough to learn its id (-32700), and since this
 * client has only one request in flight, that error is about it.
 *
 * A subscriber waits with poll() on the socket and a wake-up descriptor
 * rather than in recv(): a signal handler that writes to a pipe ends the
 * wait without the race of checking a flag just before blocking.
 *
 * TLS runs over the same blocking socket.  SSL_MODE_AUTO_RETRY is off, so a
 * record that holds no reply bytes (a session ticket) makes SSL_read return
 * "want read" instead of blocking on: the read loop then waits again in
 * poll() where the wake-up descriptor is watched too.  Bytes OpenSSL has
 * already decrypted are taken before any wait (SSL_has_pending), since
 * poll() cannot see them.
 */
#include "cli/conn.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* How much room to make before each recv(); replies are usually small,
 * lists of a thousand customers are not. */
#define READ_CHUNK 65536

void kith_cli_conn_init(kith_cli_conn *c)
{
    c->fd = -1;
    c->answered = 0;
    c->ssl = NULL;
    c->ssl_ctx = NULL;
    c->next_id = 1;
    kith_buf_init(&c->in);
    c->held = NULL;
    c->hold_notifications = 0;
    c->err[0] = '\0';
}

void kith_cli_conn_release(kith_cli_conn *c)
{
    kith_cli_conn_close(c);
    kith_buf_release(&c->in);
}

void kith_cli_conn_close(kith_cli_conn *c)
{
    if (c->ssl) {
        /* A close_notify tells the server the end was meant (not sent on a
         * connection that already failed: see broken()). */
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
    }
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = NULL;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->answered = 0;
    kith_buf_clear(&c->in);
    kith_cli_conn_drop_held(c);
}

void kith_cli_conn_drop_held(kith_cli_conn *c)
{
    cJSON_Delete(c->held);
    c->held = NULL;
}

/* Nobody listening is the usual reason a connect fails; saying so saves
 * the user a guess. */
static const char *hint(int err)
{
    return err == ECONNREFUSED || err == ENOENT ? " (is kithd running?)" : "";
}

int kith_cli_conn_open_tcp(kith_cli_conn *c, const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int grc = getaddrinfo(host, port, &hints, &res);
    if (grc != 0) {
        snprintf(c->err, sizeof(c->err), "cannot resolve %s: %s", host, gai_strerror(grc));
        return KITH_EIO;
    }

    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(c->err, sizeof(c->err), "cannot connect to %s port %s: %s%s", host, port,
                 strerror(saved), hint(saved));
        return KITH_EIO;
    }
    /* Requests are small and each waits for its reply: Nagle would only
     * add latency. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    kith_cli_conn_close(c);
    c->fd = fd;
    return 0;
}

int kith_cli_conn_open_unix(kith_cli_conn *c, const char *path)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(c->err, sizeof(c->err), "cannot connect to %s: the path is too long", path);
        return KITH_EIO;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        snprintf(c->err, sizeof(c->err), "cannot connect to %s: %s%s", path, strerror(errno),
                 hint(errno));
        if (fd >= 0) close(fd);
        return KITH_EIO;
    }
    kith_cli_conn_close(c);
    c->fd = fd;
    return 0;
}

/* Fails the connection: records why, closes it, returns KITH_EIO. */
static int broken(kith_cli_conn *c, const char *why)
{
    if (c->ssl) SSL_set_quiet_shutdown(c->ssl, 1);
    snprintf(c->err, sizeof(c->err), "%s", why);
    kith_cli_conn_close(c);
    return KITH_EIO;
}

/* The newest OpenSSL reason queued, or `fallback`; clears the queue. */
static const char *tls_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : fallback;
}

int kith_cli_conn_start_tls(kith_cli_conn *c, const char *host, const char *cacert, int insecure)
{
    char why[300];
    ERR_clear_error();
    if (!(c->ssl_ctx = SSL_CTX_new(TLS_client_method()))) return broken(c, "out of memory");
    SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_clear_mode(c->ssl_ctx, SSL_MODE_AUTO_RETRY);
    if (insecure) {
        SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
        FILE *f = cacert ? fopen(cacert, "r") : NULL;
        if (cacert && !f) {
            snprintf(why, sizeof(why), "cannot read --cacert %s: %s", cacert, strerror(errno));
            return broken(c, why);
        }
        if (f) fclose(f);
        int ok = cacert ? SSL_CTX_load_verify_locations(c->ssl_ctx, cacert, NULL)
                        : SSL_CTX_set_default_verify_paths(c->ssl_ctx);
        if (ok != 1) {
            snprintf(why, sizeof(why), "cannot load the CA certificates %s%s: %s",
                     cacert ? "in " : "of the system", cacert ? cacert : "",
                     tls_reason("no certificate found"));
            return broken(c, why);
        }
    }
    if (!(c->ssl = SSL_new(c->ssl_ctx)) || SSL_set_fd(c->ssl, c->fd) != 1)
        return broken(c, "out of memory");
    /* An address is checked against the certificate's IP entries, a name
     * against its DNS entries (and sent as SNI, which takes names only). */
    unsigned char addr[16];
    int is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    if (!insecure) {
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)
                       : SSL_set1_host(c->ssl, host);
        if (ok != 1) return broken(c, "out of memory");
    }
    if (!is_ip) SSL_set_tlsext_host_name(c->ssl, host);
    int rc;
    while ((rc = SSL_connect(c->ssl)) != 1) {
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
        long verify = SSL_get_verify_result(c->ssl);
        if (verify != X509_V_OK)
            snprintf(why, sizeof(why),
                     "cannot verify the TLS certificate of %s: %s (name the CA that signed it "
                     "with --cacert FILE)",
                     host, X509_verify_cert_error_string(verify));
        else
            snprintf(why, sizeof(why),
                     "TLS handshake with %s failed: %s (is that kithd's "
                     "tls_listen port?)",
                     host,
                     tls_reason(e == SSL_ERROR_SYSCALL ? "the server closed the connection"
                                                       : "protocol error"));
        ERR_clear_error();
        return broken(c, why);
    }
    return 0;
}

static int send_all(kith_cli_conn *c, const char *p, size_t n)
{
    while (n > 0) {
        /* MSG_NOSIGNAL: a server that went away is an error to report,
         * not a SIGPIPE that kills the client silently. */
        ssize_t k;
        if (c->ssl) {
            ERR_clear_error();
            int w = SSL_write(c->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
            int e = w > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, w);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
            if (e != SSL_ERROR_NONE) {
                char why[160];
                snprintf(why, sizeof(why), "lost the TLS connection to the server: %s",
                         tls_reason(strerror(errno)));
                return broken(c, why);
            }
            k = w;
        } else {
            k = send(c->fd, p, n, MSG_NOSIGNAL);
        }
        if (k < 0) {
            if (errno == EINTR) continue;
            char why[160];
            snprintf(why, sizeof(why), "lost the connection to the server: %s", strerror(errno));
            return broken(c, why);
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Waits until the socket or wake_fd is readable.  Returns 1 when wake_fd
 * is, 0 when the socket is (or may be: errors show in the recv() that
 * follows). */
static int wait_readable(int fd, int wake_fd)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 0;
        if (p[1].revents) return 1;
        if (p[0].revents) return 0;
    }
}

/* SSL_read into buf: bytes read, 0 at the server's close, -1 with errno
 * set, -2 when no reply bytes came yet (read again), -3 after the
 * connection failed (reason in c->err). */
static ssize_t tls_recv(kith_cli_conn *c, char *buf, size_t room)
{
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(c->ssl, buf, room > INT_MAX ? INT_MAX : (int)room);
    if (n > 0) return n;
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return -2;
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) return 0;
    if (e == SSL_ERROR_SYSCALL) return -1;
    char why[200];
    snprintf(why, sizeof(why), "lost the TLS connection to the server: %s",
             tls_reason("protocol error"));
    broken(c, why);
    return -3;
}

/* Reads the next non-blank line and parses it.  Returns 0 with *msg owned
 * by the caller (NULL when wake_fd, if not negative, became readable first),
 * or KITH_EIO / KITH_ENOMEM. */
static int read_message(kith_cli_conn *c, int wake_fd, cJSON **msg)
{
    *msg = NULL;
    /* Bytes already searched for a newline, counted from the head (which
     * compaction moves, but never past unconsumed bytes): a reply of many
     * megabytes is then scanned once, not once per recv(). */
    size_t searched = 0;
    for (;;) {
        char *head = kith_buf_head(&c->in);
        size_t have = kith_buf_size(&c->in);
        char *nl = have > searched ? memchr(head + searched, '\n', have - searched) : NULL;
        searched = have;
        if (nl) {
            searched = 0;
            size_t len = (size_t)(nl - head);
            size_t start = 0;
            while (start < len &&
                   (head[start] == ' ' || head[start] == '\t' || head[start] == '\r'))
                start++;
            cJSON *v = start < len ? cJSON_ParseWithLength(head, len) : NULL;
            kith_buf_consume(&c->in, len + 1);
            if (start == len) continue;
            if (!v) return broken(c, "the server sent something that is not JSON");
            *msg = v;
            return 0;
        }
        if (c->fd < 0) return broken(c, "not connected");
        int decrypted = c->ssl && SSL_has_pending(c->ssl);
        if (wake_fd >= 0 && !decrypted && wait_readable(c->fd, wake_fd)) return 0;
        if (kith_buf_reserve(&c->in, READ_CHUNK) < 0) return KITH_ENOMEM;
        size_t room = c->in.cap - c->in.len - 1;
        ssize_t k;
        if (c->ssl) {
            if ((k = tls_recv(c, c->in.data + c->in.len, room)) == -2) continue;
            if (k == -3) return KITH_EIO;
        } else {
            k = recv(c->fd, c->in.data + c->in.len, room, 0);
        }
        if (k < 0) {
            if (errno == EINTR) continue;
            char why[160];
            snprintf(why, sizeof(why), "lost the connection to the server: %s", strerror(errno));
            return broken(c, why);
        }
        /* A TLS listener drops a client that does not speak TLS without a
         * word: say what that silence most likely means. */
        if (k == 0 && !c->ssl && !c->answered)
            return broken(c, "the server closed the connection without answering (if this is "
                             "kithd's TLS port, add --tls)");
        if (k == 0) return broken(c, "the server closed the connection");
        c->answered = 1;
        c->in.len += (size_t)k;
        c->in.data[c->in.len] = '\0';
    }
}

/* Builds the request line: compact JSON and "\n".  Takes `params`. */
static int build_request(long long id, const char *method, cJSON *params, char **line)
{
    cJSON *req = cJSON_CreateObject();
    if (!req) {
        cJSON_Delete(params);
        return KITH_ENOMEM;
    }
    int ok = cJSON_AddStringToObject(req, "jsonrpc", "2.0") &&
             cJSON_AddNumberToObject(req, "id", (double)id) &&
             cJSON_AddStringToObject(req, "method", method);
    if (ok && params && !cJSON_AddItemToObject(req, "params", params)) {
        cJSON_Delete(params);
        ok = 0;
    } else if (!ok) {
        cJSON_Delete(params);
    }
    char *text = ok ? cJSON_PrintUnformatted(req) : NULL;
    cJSON_Delete(req);
    if (!text) return KITH_ENOMEM;

    size_t n = strlen(text);
    char *grown = realloc(text, n + 2);
    if (!grown) {
        free(text);
        return KITH_ENOMEM;
    }
    grown[n] = '\n';
    grown[n + 1] = '\0';
    *line = grown;
    return 0;
}

static int is_our_reply(const cJSON *msg, long long id)
{
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(msg, "id");
    if (cJSON_IsNumber(mid)) return mid->valuedouble == (double)id;
    return cJSON_IsNull(mid) && cJSON_GetObjectItemCaseSensitive(msg, "error") != NULL;
}

static int is_notification(const cJSON *msg)
{
    return cJSON_IsObject(msg) && cJSON_HasObjectItem(msg, "method") &&
           !cJSON_HasObjectItem(msg, "id");
}

int kith_cli_conn_call(kith_cli_conn *c, const char *method, cJSON *params, cJSON **reply)
{
    *reply = NULL;
    if (c->fd < 0) {
        cJSON_Delete(params);
        return broken(c, "not connected");
    }
    long long id = c->next_id++;
    char *line;
    int rc = build_request(id, method, params, &line);
    if (rc < 0) return rc;
    rc = send_all(c, line, strlen(line));
    free(line);
    if (rc < 0) return rc;

    for (;;) {
        cJSON *msg;
        if ((rc = read_message(c, -1, &msg)) < 0) return rc;
        /* Only an object with our id is our reply; anything else is a
         * notification (an event for a subscriber), kept only when asked. */
        if (cJSON_IsObject(msg) && is_our_reply(msg, id)) {
            *reply = msg;
            return 0;
        }
        if (c->hold_notifications && is_notification(msg)) {
            if (!c->held && !(c->held = cJSON_CreateArray())) {
                /* A subscriber must not miss an event silently. */
                cJSON_Delete(msg);
                kith_cli_conn_close(c);
                return KITH_ENOMEM;
            }
            cJSON_AddItemToArray(c->held, msg);
            continue;
        }
        cJSON_Delete(msg);
    }
}

int kith_cli_conn_next(kith_cli_conn *c, int wake_fd, cJSON **msg)
{
    if (c->held && c->held->child) {
        *msg = cJSON_DetachItemViaPointer(c->held, c->held->child);
        return 0;
    }
    return read_message(c, wake_fd, msg);
}
