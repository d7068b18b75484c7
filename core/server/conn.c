/*
 * A client connection; see conn.h for its life.  Reading, framing and
 * dispatching happen in on_read; writing happens in kith_conn_flush, which
 * the server calls after the pass's commit.
 */
#include "server/conn.h"
#include "proto/rpc.h"
#include "pubsub/pubsub.h"
#include "server/server_int.h"
#include "util/error.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

struct write_req {
    uv_write_t req;
    kith_buf buf; /* owned by the request until on_write */
};

kith_conn *kith_conn_new(struct kith_server *srv, int is_pipe)
{
    kith_conn *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->srv = srv;
    int rc = is_pipe ? uv_pipe_init(&srv->loop, &c->h.pipe, 0) : uv_tcp_init(&srv->loop, &c->h.tcp);
    if (rc < 0) {
        free(c);
        return NULL;
    }
    c->h.handle.data = c;
    c->next = srv->conns;
    if (srv->conns) srv->conns->prev = c;
    srv->conns = c;
    srv->counters.connections++;
    srv->counters.connections_total++;
    kith_framer_init(&c->framer, (size_t)srv->cfg->max_message_bytes, (int)srv->cfg->max_nesting);
    kith_buf_init(&c->out);
    return c;
}

static int peer_is_loopback(kith_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) < 0) return 0;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        static const unsigned char loop6[16] = {[15] = 1};
        return memcmp(&in6->sin6_addr, loop6, 16) == 0;
    }
    return 0;
}

/* "ADDRESS:PORT" of a TCP peer, for log lines about it. */
static const char *peer_text(kith_conn *c, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    char ip[64] = "?";
    int port = 0;
    snprintf(buf, len, "a client");
    if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &sl) < 0) return buf;
    if (ss.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    } else {
        uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    snprintf(buf, len, "%s port %d", ip, port);
    return buf;
}

static void on_close(uv_handle_t *h)
{
    kith_conn *c = h->data;
    kith_server_conn_closed(c->srv, c);
    kith_framer_release(&c->framer);
    kith_buf_release(&c->out);
    kith_tls_free(c->tls);
    kith_sub_free(c->session.sub);
    free(c);
}

void kith_conn_close(kith_conn *c)
{
    if (c->closing) return;
    c->closing = 1;
    uv_close(&c->h.handle, on_close);
}

void kith_conn_mark_dirty(kith_conn *c)
{
    if (c->dirty || c->closing) return;
    c->dirty = 1;
    c->next_dirty = c->srv->dirty;
    c->srv->dirty = c;
}

void kith_conn_close_after_flush(kith_conn *c)
{
    if (c->closing || c->draining) return;
    c->draining = 1;
    uv_read_stop(&c->h.stream);
    kith_conn_mark_dirty(c);
}

static void on_write(uv_write_t *req, int status)
{
    struct write_req *wr = (struct write_req *)req;
    kith_conn *c = req->handle->data;
    kith_buf_release(&wr->buf);
    free(wr);
    if (c->closing) return;
    c->inflight = 0;
    if (status < 0) {
        kith_debug("conn: write failed: %s", uv_strerror(status));
        kith_conn_close(c);
        return;
    }
    kith_conn_flush(c);
}

size_t kith_conn_unsent(const kith_conn *c)
{
    size_t n = kith_buf_size(&c->out) + c->inflight;
    return c->tls ? n + kith_buf_size(kith_tls_wire(c->tls)) : n;
}

static int over_limit(kith_conn *c)
{
    if (kith_conn_unsent(c) <= (size_t)c->srv->cfg->max_output_bytes) return 0;
    c->srv->counters.slow_clients_dropped++;
    kith_warn("conn: client (%s) stopped reading; %zu bytes unsent: disconnected", c->session.name,
              kith_conn_unsent(c));
    kith_conn_close(c);
    return 1;
}

/* The TLS hook of the write side (note 6): turns the first `releasable`
 * bytes of `out` into what goes on the socket, and returns that buffer.  A
 * plain connection sends `out` itself.  A TLS connection encrypts only the
 * released plaintext, behind the handshake messages and alerts already on
 * its wire, so no reply's ciphertext exists before its release.  Returns
 * NULL when the connection had to be closed. */
static kith_buf *wire_bytes(kith_conn *c, size_t releasable)
{
    if (!c->tls) return &c->out;
    /* Draining before the handshake finished: those replies can never be
     * encrypted (reading stopped), so they are dropped. */
    if (c->draining && !kith_tls_ready(c->tls)) kith_buf_clear(&c->out);
    int rc = kith_tls_encrypt(c->tls, &c->out, releasable);
    if (rc < 0) {
        char peer[96];
        kith_info("conn: TLS failed sending to %s: %s", peer_text(c, peer, sizeof(peer)),
                  kith_tls_why(c->tls) ? kith_tls_why(c->tls) : kith_strerror(rc));
        kith_conn_close(c);
        return NULL;
    }
    return kith_tls_wire(c->tls);
}

/* Writes `w` (the connection's wire bytes): uv_try_write first, the rest in
 * one uv_write that takes the buffer's storage.  Returns -1 when the
 * connection was closed. */
static int send_wire(kith_conn *c, kith_buf *w)
{
    size_t n = kith_buf_size(w);
    if (n == 0 || c->inflight != 0) return 0;
    uv_buf_t b = uv_buf_init(kith_buf_head(w), (unsigned)n);
    int wr_n = uv_try_write(&c->h.stream, &b, 1);
    if (wr_n < 0 && wr_n != UV_EAGAIN) {
        kith_debug("conn: write failed: %s", uv_strerror(wr_n));
        kith_conn_close(c);
        return -1;
    }
    if (wr_n > 0) {
        kith_buf_consume(w, (size_t)wr_n);
        c->srv->counters.bytes_out += (uint64_t)wr_n;
        n -= (size_t)wr_n;
    }
    if (n == 0) return 0;
    /* The socket is full: hand the rest to one uv_write that owns the
     * bytes; later output gathers in a fresh buffer. */
    struct write_req *wr = malloc(sizeof(*wr));
    if (!wr) {
        kith_conn_close(c);
        return -1;
    }
    wr->buf = *w;
    kith_buf_init(w);
    uv_buf_t rest = uv_buf_init(kith_buf_head(&wr->buf), (unsigned)n);
    if (uv_write(&wr->req, &c->h.stream, &rest, 1, on_write) < 0) {
        kith_buf_release(&wr->buf);
        free(wr);
        kith_conn_close(c);
        return -1;
    }
    c->inflight = n;
    c->srv->counters.bytes_out += n;
    return 0;
}

void kith_conn_flush(kith_conn *c)
{
    if (c->closing) return;
    kith_buf *w = wire_bytes(c, kith_buf_size(&c->out));
    if (!w || send_wire(c, w) < 0) return;
    if (over_limit(c)) return;
    if (c->draining && c->inflight == 0 && kith_buf_size(w) == 0 && kith_buf_size(&c->out) == 0) {
        /* A TLS session ends with close_notify, so the client can tell the
         * end of the replies from a cut connection; once it is out (here,
         * or in on_write's flush) the connection closes. */
        if (c->tls && kith_tls_shutdown(c->tls)) {
            if (send_wire(c, w) < 0 || c->inflight) return;
        }
        kith_conn_close(c);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    kith_conn *c = h->data;
    buf->base = c->srv->readbuf;
    buf->len = sizeof(c->srv->readbuf);
}

/* Frames and handles every complete message buffered on the connection. */
static void handle_input(kith_conn *c)
{
    kith_frame fr;
    int st;
    while (!c->draining && (st = kith_framer_next(&c->framer, &fr)) != KITH_FRAME_MORE) {
        if (st == KITH_FRAME_MSG) {
            int n =
                kith_rpc_handle(c->srv->dispatch, &c->session, fr.msg, fr.len, fr.has_nul, &c->out);
            if (n == KITH_EPARSE)
                kith_framer_discard_line(&c->framer);
            else
                c->srv->counters.requests += (uint64_t)n;
            /* A client pipelining requests without reading is cut off as
             * soon as its replies pass the limit, not after the whole read. */
            if (over_limit(c)) return;
            continue;
        }
        char msg[160];
        snprintf(msg, sizeof(msg), "%s: %s", kith_strerror(fr.err), fr.why);
        kith_rpc_write_error(&c->out, NULL, fr.err, msg, NULL);
        if (fr.err == KITH_ETOOLARGE) {
            /* The rest of the message cannot be skipped reliably: close. */
            kith_conn_close_after_flush(c);
        }
    }
}

/* Decrypts the ciphertext just read into the framer (note 6).  Returns 0,
 * 1 when the TLS session is over (the plaintext before its end is still to
 * be handled), or a negative code when the connection must close now. */
static int feed_tls(kith_conn *c, const char *cipher, size_t n)
{
    int rc = kith_tls_feed(c->tls, cipher, n);
    size_t got;
    /* The shared read buffer is free again: the BIO copied the ciphertext. */
    while (rc == 0 &&
           (rc = kith_tls_read(c->tls, c->srv->readbuf, sizeof(c->srv->readbuf), &got)) == 0 &&
           got > 0)
        rc = kith_framer_feed(&c->framer, c->srv->readbuf, got);
    if (rc != KITH_EIO) return rc;
    const char *why = kith_tls_why(c->tls);
    char peer[96];
    if (why)
        kith_info("conn: TLS %s with %s failed: %s",
                  kith_tls_ready(c->tls) ? "session" : "handshake",
                  peer_text(c, peer, sizeof(peer)), why);
    return 1;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    kith_conn *c = s->data;
    if (n == 0 || c->closing) return;
    if (n < 0) {
        if (n != UV_EOF) kith_debug("conn: read failed: %s", uv_strerror((int)n));
        /* Whatever was answered already still goes out; a half-sent request
         * is dropped with the connection. */
        kith_conn_close_after_flush(c);
        return;
    }
    c->srv->counters.bytes_in += (uint64_t)n;
    c->last_active = uv_now(&c->srv->loop);
    int rc = c->tls ? feed_tls(c, buf->base, (size_t)n)
                    : kith_framer_feed(&c->framer, buf->base, (size_t)n);
    if (rc < 0) {
        kith_error("conn: out of memory buffering input");
        kith_conn_close(c);
        return;
    }
    handle_input(c);
    /* The TLS session ended (close_notify or a failure): what was read
     * before it is answered, then the alert or the replies go out. */
    if (rc == 1) kith_conn_close_after_flush(c);
    if (!c->closing) kith_conn_mark_dirty(c);
}

int kith_conn_use_tls(kith_conn *c, kith_tls_ctx *ctx)
{
    c->tls = kith_tls_new(ctx);
    return c->tls ? 0 : KITH_ENOMEM;
}

int kith_conn_start(kith_conn *c)
{
    struct kith_server *srv = c->srv;
    c->session.local_trust = c->h.handle.type == UV_NAMED_PIPE || peer_is_loopback(c);
    c->session.role = c->session.local_trust ? KITH_ROLE_ADMIN : KITH_ROLE_NONE;
    snprintf(c->session.name, sizeof(c->session.name), "%s",
             c->session.local_trust ? "local" : "anonymous");
    if (c->h.handle.type == UV_TCP) uv_tcp_nodelay(&c->h.tcp, 1);
    c->last_active = uv_now(&srv->loop);
    if ((int64_t)srv->counters.connections > srv->cfg->max_connections) {
        srv->counters.connections_rejected++;
        /* No reply can be encrypted before a handshake this server will not
         * spend on it: a TLS client just sees the connection close. */
        if (c->tls) {
            kith_conn_close(c);
            return 0;
        }
        kith_rpc_write_error(&c->out, NULL, KITH_EOVERLOAD,
                             "too many connections (max_connections); try again later", NULL);
        kith_conn_close_after_flush(c);
        return 0;
    }
    int rc = uv_read_start(&c->h.stream, on_alloc, on_read);
    if (rc < 0) {
        kith_conn_close(c);
        return KITH_EIO;
    }
    return 0;
}
