/*
 * A client connection; see conn.h for its life.  Reading happens in on_read,
 * framing and dispatching in serve (from on_read, from the server's pending
 * list, and when work off the loop comes back); writing happens in
 * kith_conn_flush, which the server calls after the pass's commit.
 */
#include "server/conn.h"
#include "dispatch/dispatch.h"
#include "proto/rpc.h"
#include "pubsub/pubsub.h"
#include "server/server_int.h"
#include "util/error.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

/* A request's work on the thread pool (conn.h note 9). */
struct offload_req {
    uv_work_t work;
    kith_offload *job;       /* owned until handed back or finished */
    kith_conn *conn;         /* NULL once the connection closed */
    kith_dispatch *dispatch; /* to finish it alone */
};

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

/* Records the peer's address (TCP only) and whether it is loopback. */
static int read_peer(kith_conn *c)
{
    int len = sizeof(c->peer);
    if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&c->peer, &len) < 0) return 0;
    if (c->peer.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&c->peer;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (c->peer.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&c->peer;
        static const unsigned char loop6[16] = {[15] = 1};
        return memcmp(&in6->sin6_addr, loop6, 16) == 0;
    }
    return 0;
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return 0;
}

/* Open connections from the same host as `c` (itself included).  A scan:
 * it runs once per accepted TCP connection, and a few thousand address
 * compares cost less than keeping a table in step with every close. */
static int64_t from_same_host(kith_conn *c)
{
    int64_t n = 0;
    for (kith_conn *o = c->srv->conns; o; o = o->next)
        if (!o->closing && o->h.handle.type == UV_TCP && same_host(&o->peer, &c->peer)) n++;
    return n;
}

/* Why a new connection must be turned away, or NULL.  The Unix socket is
 * the operator's way in: it may use KITH_LOCAL_RESERVE slots beyond
 * max_connections and is not counted per address. */
static const char *over_capacity(kith_conn *c)
{
    struct kith_server *srv = c->srv;
    int64_t open = (int64_t)srv->counters.connections;
    if (c->h.handle.type == UV_NAMED_PIPE)
        return open > srv->cfg->max_connections + KITH_LOCAL_RESERVE
                   ? "too many connections (max_connections, and the reserve for the Unix socket)"
                   : NULL;
    if (open > srv->cfg->max_connections)
        return "too many connections (max_connections); try again later";
    if (from_same_host(c) > srv->cfg->max_connections_per_address)
        return "too many connections from your address (max_connections_per_address)";
    return NULL;
}

/* The client's address for per-address limits: its IP, or "unix". */
static void peer_address(kith_conn *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", c->h.handle.type == UV_NAMED_PIPE ? "unix" : "unknown");
    if (c->peer.ss_family == AF_INET)
        uv_ip4_name((const struct sockaddr_in *)&c->peer, buf, len);
    else if (c->peer.ss_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)&c->peer, buf, len);
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

static void unhold(kith_conn *c);

static void on_close(uv_handle_t *h)
{
    kith_conn *c = h->data;
    if (c->pending)
        for (kith_conn **p = &c->srv->pending; *p; p = &(*p)->next_pending)
            if (*p == c) {
                *p = c->next_pending;
                break;
            }
    unhold(c);
    if (c->offload) c->offload->conn = NULL; /* its work finishes alone */
    kith_rpc_job_free(c->job);
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

/* Note 4: reading stops; the flush closes once the output is written. */
static void drain(kith_conn *c)
{
    c->draining = 1;
    uv_read_stop(&c->h.stream);
    kith_conn_mark_dirty(c);
}

static int busy(const kith_conn *c)
{
    return c->job || c->pending;
}

void kith_conn_close_after_flush(kith_conn *c)
{
    if (c->closing || c->draining) return;
    if (busy(c)) {
        /* Note 10: answer what was received first; serve drains after. */
        c->input_ended = 1;
        uv_read_stop(&c->h.stream);
        return;
    }
    drain(c);
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

/* Bytes of `out` after `ready` that marks hold (note 11). */
static size_t held_bytes(const kith_conn *c)
{
    size_t n = 0;
    for (int i = 0; i < c->nmarks; i++)
        n += c->marks[i].bytes;
    return n;
}

static void unhold(kith_conn *c)
{
    if (!c->held) return;
    for (kith_conn **p = &c->srv->held; *p; p = &(*p)->next_held)
        if (*p == c) {
            *p = c->next_held;
            break;
        }
    c->held = 0;
    c->next_held = NULL;
}

void kith_conn_release(kith_conn *c, uint64_t gen)
{
    size_t size = kith_buf_size(&c->out);
    if (gen <= c->srv->synced_gen) {
        /* Marks are in generation order and none is newer than `gen`. */
        c->ready = size;
        c->nmarks = 0;
        unhold(c);
        return;
    }
    size_t fresh = size - c->ready - held_bytes(c);
    if (fresh == 0) return;
    struct kith_conn_mark *last = c->nmarks ? &c->marks[c->nmarks - 1] : NULL;
    if (last && (last->gen == gen || c->nmarks == KITH_CONN_MARKS)) {
        last->bytes += fresh; /* the newer generation covers both */
        last->gen = gen;
    } else {
        c->marks[c->nmarks++] = (struct kith_conn_mark){fresh, gen};
    }
    if (!c->held) {
        c->held = 1;
        c->next_held = c->srv->held;
        c->srv->held = c;
    }
}

void kith_conn_release_synced(struct kith_server *srv, uint64_t synced_gen)
{
    kith_conn *c = srv->held;
    while (c) {
        kith_conn *next = c->next_held;
        int done = 0;
        while (done < c->nmarks && c->marks[done].gen <= synced_gen)
            c->ready += c->marks[done++].bytes;
        if (done) {
            memmove(c->marks, c->marks + done, (size_t)(c->nmarks - done) * sizeof(c->marks[0]));
            c->nmarks -= done;
            if (!c->nmarks) unhold(c);
            kith_conn_flush(c);
        }
        c = next;
    }
}

void kith_conn_sync_failed(struct kith_server *srv, uint64_t gen)
{
    kith_conn *c = srv->held;
    while (c) {
        kith_conn *next = c->next_held;
        if (c->nmarks && c->marks[0].gen <= gen) {
            unhold(c);
            kith_conn_close(c);
        }
        c = next;
    }
}

void kith_conn_commit_failed(kith_conn *c, int code)
{
    uint64_t pass = c->srv->pass - 1; /* serve_pending has moved on */
    int split =
        (c->job && c->served_pass == pass) || (c->job_done_pass == pass && c->job_pass != pass);
    if (!split) {
        kith_conn_fail_held(c, code);
        return;
    }
    /* A batch cut into slices lost this pass's elements while its earlier
     * slices are saved: no one reply can say that truthfully, and its
     * replies so far may show lost writes.  Close without a reply, as for
     * an ambiguous failure (server.h note 3). */
    kith_error("conn: %s: a batch spanning several passes was cut by a failed commit (%s); "
               "closing the connection without its reply",
               c->session.name, kith_error_kind(code));
    kith_conn_close(c);
}

void kith_conn_fail_held(kith_conn *c, int code)
{
    /* Only this pass's replies: held ones belong to commits that went
     * through and wait for their sync (note 11). */
    size_t size = kith_buf_size(&c->out), keep = c->ready + held_bytes(c);
    if (keep >= size) return;
    kith_buf rewritten;
    kith_buf_init(&rewritten);
    kith_buf_append(&rewritten, kith_buf_head(&c->out), keep);
    kith_rpc_fail_results(kith_buf_head(&c->out) + keep, size - keep, code, &rewritten);
    kith_buf_release(&c->out);
    c->out = rewritten;
}

/* The TLS hook of the write side (note 12): encrypts the released bytes
 * of `out` onto the session's wire, behind the handshake messages and
 * alerts already there, so no reply's ciphertext exists before its
 * release.  Returns the wire, or NULL when the connection had to be closed. */
static kith_buf *wire_bytes(kith_conn *c)
{
    /* Draining before the handshake finished: those replies can never be
     * encrypted (reading stopped), so they are dropped. */
    if (c->draining && !kith_tls_ready(c->tls)) {
        kith_buf_clear(&c->out);
        c->ready = 0;
        c->nmarks = 0;
        unhold(c);
    }
    size_t before = kith_buf_size(&c->out);
    int rc = kith_tls_encrypt(c->tls, &c->out, c->ready);
    c->ready -= before - kith_buf_size(&c->out);
    if (rc < 0) {
        char peer[96];
        kith_info("conn: TLS failed sending to %s: %s", peer_text(c, peer, sizeof(peer)),
                  kith_tls_why(c->tls) ? kith_tls_why(c->tls) : kith_strerror(rc));
        kith_conn_close(c);
        return NULL;
    }
    return kith_tls_wire(c->tls);
}

/* Writes the first `n` bytes of `w` — the released head of `out`, or a TLS
 * session's wire, all of which may go — with uv_try_write, and hands the
 * rest of them to one uv_write that owns them.  When nothing follows them
 * the buffer's storage moves to the request; otherwise they are copied and
 * the held bytes stay behind.  Returns -1 when the connection was closed. */
static int send_bytes(kith_conn *c, kith_buf *w, size_t n)
{
    if (n == 0 || c->inflight != 0) return 0;
    int is_out = w == &c->out;
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
        if (is_out) c->ready -= (size_t)wr_n;
        n -= (size_t)wr_n;
    }
    if (n == 0) return 0;
    /* The socket is full: later output gathers in `w` meanwhile. */
    struct write_req *wr = malloc(sizeof(*wr));
    if (!wr) {
        kith_conn_close(c);
        return -1;
    }
    if (n == kith_buf_size(w)) {
        wr->buf = *w;
        kith_buf_init(w);
    } else {
        kith_buf_init(&wr->buf);
        if (kith_buf_append(&wr->buf, kith_buf_head(w), n) < 0) {
            free(wr);
            kith_conn_close(c);
            return -1;
        }
        kith_buf_consume(w, n);
    }
    if (is_out) c->ready = 0;
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
    kith_buf *w = c->tls ? wire_bytes(c) : &c->out;
    if (!w || send_bytes(c, w, c->tls ? kith_buf_size(w) : c->ready) < 0) return;
    if (over_limit(c)) return;
    if (c->draining && c->inflight == 0 && kith_buf_size(w) == 0 && kith_buf_size(&c->out) == 0) {
        /* A TLS session ends with close_notify, so the client can tell the
         * end of the replies from a cut connection; once it is out (here,
         * or in on_write's flush) the connection closes. */
        if (c->tls && kith_tls_shutdown(c->tls)) {
            if (send_bytes(c, w, kith_buf_size(w)) < 0 || c->inflight) return;
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

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/* Stops reading while busy (note 8): input waits in the socket, not here. */
static void pause_input(kith_conn *c)
{
    if (c->paused || c->draining || c->closing || c->input_ended) return;
    uv_read_stop(&c->h.stream);
    c->paused = 1;
}

static void resume_input(kith_conn *c)
{
    if (!c->paused) return;
    c->paused = 0;
    if (c->draining || c->closing || c->input_ended) return;
    if (uv_read_start(&c->h.stream, on_alloc, on_read) < 0) kith_conn_close(c);
}

/* Puts the connection on the pending list for a slice on a later pass. */
static void want_pass(kith_conn *c)
{
    if (!c->pending) {
        c->pending = 1;
        c->next_pending = c->srv->pending;
        c->srv->pending = c;
    }
    pause_input(c);
}

static void serve(kith_conn *c);

static void offload_run(uv_work_t *w)
{
    struct offload_req *r = w->data;
    r->job->run(r->job);
}

static void offload_done(uv_work_t *w, int status)
{
    struct offload_req *r = w->data;
    kith_conn *c = r->conn;
    if (!c) {
        /* The client left (note 9): end the work and drop its result. */
        cJSON *result = NULL;
        kith_call_error err;
        kith_dispatch_finish(r->dispatch, r->job, status < 0 ? KITH_EIO : 0, &result, &err);
        cJSON_Delete(result);
        cJSON_Delete(err.data);
        free(r);
        return;
    }
    c->offload = NULL;
    kith_rpc_job_resume(c->job, r->job, status < 0 ? KITH_EIO : 0);
    free(r);
    c->last_active = uv_now(&c->srv->loop);
    serve(c);
    if (!c->closing) kith_conn_mark_dirty(c);
}

/* Sends the job's work to the thread pool; when it cannot go, the work is
 * handed back with an error so the request is answered anyway. */
static void start_offload(kith_conn *c)
{
    kith_offload *job = kith_rpc_job_take(c->job);
    struct offload_req *r = calloc(1, sizeof(*r));
    if (r) {
        *r = (struct offload_req){.job = job, .conn = c, .dispatch = c->srv->dispatch};
        r->work.data = r;
        if (uv_queue_work(&c->srv->loop, &r->work, offload_run, offload_done) == 0) {
            c->offload = r;
            return;
        }
        free(r);
    }
    kith_error("conn: cannot start work off the loop");
    kith_rpc_job_resume(c->job, job, KITH_EIO);
}

/* Handles buffered input for one slice (notes 6 and 7): first the message
 * in progress, then further complete messages, until the slice is spent,
 * the input runs out, or the message waits for work off the loop. */
static void serve(kith_conn *c)
{
    struct kith_server *srv = c->srv;
    uint64_t start = uv_hrtime();
    int did = 0;
    c->served_pass = srv->pass;
    /* Working through a long batch is activity, not idleness. */
    c->last_active = uv_now(&srv->loop);
    while (!c->closing && !c->draining) {
        if (c->job && kith_rpc_job_state(c->job) == KITH_RPC_WAIT) {
            if (!c->offload) start_offload(c);
            if (c->offload) {
                pause_input(c); /* its completion serves the connection again */
                return;
            }
            continue; /* handed back with an error: answer it now */
        }
        uint64_t used = (uv_hrtime() - start) / 1000;
        if (did && used >= KITH_CONN_SLICE_USEC) {
            if (c->job || kith_framer_pending(&c->framer)) {
                want_pass(c);
                return;
            }
            break;
        }
        kith_rpc_limits lim = {.budget_usec = KITH_CONN_SLICE_USEC - (did ? used : 0),
                               .max_reply = (size_t)srv->cfg->max_output_bytes};
        if (c->job) {
            srv->counters.requests +=
                (uint64_t)kith_rpc_job_run(srv->dispatch, &c->session, c->job, &lim, &c->out);
            did = 1;
            if (kith_rpc_job_state(c->job) == KITH_RPC_DONE) {
                kith_rpc_job_free(c->job);
                c->job = NULL;
                c->job_done_pass = srv->pass;
            }
            if (over_limit(c)) return;
            continue;
        }
        kith_frame fr;
        int st = kith_framer_next(&c->framer, &fr);
        if (st == KITH_FRAME_MORE) break;
        did = 1;
        if (st == KITH_FRAME_MSG) {
            int n = kith_rpc_handle(srv->dispatch, &c->session, fr.msg, fr.len, fr.has_nul, &lim,
                                    &c->out, &c->job);
            if (c->job) c->job_pass = srv->pass;
            if (n == KITH_EPARSE)
                kith_framer_discard_line(&c->framer);
            else
                srv->counters.requests += (uint64_t)n;
            /* A client pipelining requests without reading is cut off as
             * soon as its replies pass the limit, not after the whole read. */
            if (over_limit(c)) return;
            continue;
        }
        char msg[160];
        snprintf(msg, sizeof(msg), "%s: %s", kith_strerror(fr.err), fr.why);
        kith_rpc_write_error(&c->out, NULL, fr.err, msg, NULL);
        /* The rest of the message cannot be skipped reliably: close. */
        if (fr.err == KITH_ETOOLARGE) drain(c);
    }
    if (c->closing || c->draining) return;
    /* Nothing is left to do: read again, or end as asked (note 10). */
    if (c->input_ended)
        drain(c);
    else
        resume_input(c);
}

int kith_conn_serve_pending(struct kith_server *srv)
{
    kith_conn *c = srv->pending;
    srv->pending = NULL;
    while (c) {
        kith_conn *next = c->next_pending;
        c->pending = 0;
        c->next_pending = NULL;
        if (c->served_pass == srv->pass)
            want_pass(c); /* it had its slice in this pass's reads */
        else {
            serve(c);
            if (!c->closing) kith_conn_mark_dirty(c);
        }
        c = next;
    }
    srv->pass++;
    return srv->pending != NULL;
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
    /* A busy connection's turn comes from its pending slot or its work. */
    if (!busy(c)) serve(c);
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
    int loopback = c->h.handle.type == UV_TCP && read_peer(c);
    c->session.local_trust = c->h.handle.type == UV_NAMED_PIPE || loopback;
    peer_address(c, c->session.peer, sizeof(c->session.peer));
    c->session.role = c->session.local_trust ? KITH_ROLE_ADMIN : KITH_ROLE_NONE;
    snprintf(c->session.name, sizeof(c->session.name), "%s",
             c->session.local_trust ? "local" : "anonymous");
    if (c->h.handle.type == UV_TCP) uv_tcp_nodelay(&c->h.tcp, 1);
    c->last_active = uv_now(&srv->loop);
    const char *full = over_capacity(c);
    if (full) {
        srv->counters.connections_rejected++;
        /* No reply can be encrypted before a handshake this server will not
         * spend on it: a TLS client just sees the connection close. */
        if (c->tls) {
            kith_conn_close(c);
            return 0;
        }
        kith_rpc_write_error(&c->out, NULL, KITH_EOVERLOAD, full, NULL);
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
