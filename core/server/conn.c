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

/* The client's address for per-address limits: its IP, or "unix". */
static void peer_address(kith_conn *c, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    int n = sizeof(ss);
    snprintf(buf, len, "%s", c->h.handle.type == UV_NAMED_PIPE ? "unix" : "unknown");
    if (c->h.handle.type != UV_TCP ||
        uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &n) < 0)
        return;
    if (ss.ss_family == AF_INET)
        uv_ip4_name((const struct sockaddr_in *)&ss, buf, len);
    else if (ss.ss_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)&ss, buf, len);
}

static void on_close(uv_handle_t *h)
{
    kith_conn *c = h->data;
    kith_server_conn_closed(c->srv, c);
    kith_framer_release(&c->framer);
    kith_buf_release(&c->out);
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

static int over_limit(kith_conn *c)
{
    if (kith_buf_size(&c->out) + c->inflight <= (size_t)c->srv->cfg->max_output_bytes) return 0;
    c->srv->counters.slow_clients_dropped++;
    kith_warn("conn: client (%s) stopped reading; %zu bytes unsent: disconnected",
              c->session.name, kith_buf_size(&c->out) + c->inflight);
    kith_conn_close(c);
    return 1;
}

void kith_conn_flush(kith_conn *c)
{
    if (c->closing) return;
    size_t n = kith_buf_size(&c->out);
    if (n > 0 && c->inflight == 0) {
        uv_buf_t b = uv_buf_init(kith_buf_head(&c->out), (unsigned)n);
        int w = uv_try_write(&c->h.stream, &b, 1);
        if (w < 0 && w != UV_EAGAIN) {
            kith_debug("conn: write failed: %s", uv_strerror(w));
            kith_conn_close(c);
            return;
        }
        if (w > 0) {
            kith_buf_consume(&c->out, (size_t)w);
            c->srv->counters.bytes_out += (uint64_t)w;
            n -= (size_t)w;
        }
        if (n > 0) {
            /* The socket is full: hand the rest to one uv_write that owns
             * the bytes; later output gathers in a fresh buffer. */
            struct write_req *wr = malloc(sizeof(*wr));
            if (!wr) {
                kith_conn_close(c);
                return;
            }
            wr->buf = c->out;
            kith_buf_init(&c->out);
            uv_buf_t rest = uv_buf_init(kith_buf_head(&wr->buf), (unsigned)n);
            if (uv_write(&wr->req, &c->h.stream, &rest, 1, on_write) < 0) {
                kith_buf_release(&wr->buf);
                free(wr);
                kith_conn_close(c);
                return;
            }
            c->inflight = n;
            c->srv->counters.bytes_out += n;
        }
    }
    if (over_limit(c)) return;
    if (c->draining && c->inflight == 0 && kith_buf_size(&c->out) == 0) kith_conn_close(c);
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
            int n = kith_rpc_handle(c->srv->dispatch, &c->session, fr.msg, fr.len, fr.has_nul,
                                    &c->out);
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
    if (kith_framer_feed(&c->framer, buf->base, (size_t)n) < 0) {
        kith_error("conn: out of memory buffering input");
        kith_conn_close(c);
        return;
    }
    handle_input(c);
    if (!c->closing) kith_conn_mark_dirty(c);
}

int kith_conn_start(kith_conn *c)
{
    struct kith_server *srv = c->srv;
    c->session.local_trust = c->h.handle.type == UV_NAMED_PIPE || peer_is_loopback(c);
    peer_address(c, c->session.peer, sizeof(c->session.peer));
    c->session.role = c->session.local_trust ? KITH_ROLE_ADMIN : KITH_ROLE_NONE;
    snprintf(c->session.name, sizeof(c->session.name), "%s",
             c->session.local_trust ? "local" : "anonymous");
    if (c->h.handle.type == UV_TCP) uv_tcp_nodelay(&c->h.tcp, 1);
    c->last_active = uv_now(&srv->loop);
    if ((int64_t)srv->counters.connections > srv->cfg->max_connections) {
        srv->counters.connections_rejected++;
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
