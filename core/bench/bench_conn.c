/*
 * One kith-bench connection: connecting over TCP or a Unix socket, queueing
 * requests behind at most one write in flight, splitting replies (on the
 * newline kithd puts after each one, or where bench_resp.c says a RESP reply
 * ends), and matching each reply to the front of the connection's FIFO of
 * requests in flight (bench.h, note 3).
 *
 * A reply is not parsed into a tree here: a small scanner reads only the
 * top-level members that matter ("id", "error", "method"), or only the
 * first byte of a RESP reply, which keeps the client's cost per reply far
 * below the server's.  What a reply means is left to bench_run.c.
 */
#include "bench/bench.h"
#include "util/error.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Far above any legitimate reply (a 1000-item customer.list page is well
 * under a megabyte); past it the server is not framing as promised. */
#define MAX_REPLY_BYTES (64u << 20)
#define READ_CHUNK      (64u << 10)

struct reply_info {
    int has_id;     /* a numeric "id" member */
    int null_id;    /* "id": null (the server could not read our request) */
    int has_error;  /* an "error" member */
    int has_method; /* a notification, not a reply */
    uint64_t id;
};

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* Skips a string whose opening quote is at p; returns the byte after the
 * closing quote, or NULL if it does not close. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Skips one JSON value starting at p (not validated beyond nesting). */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end) return NULL;
    if (*p == '"') return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && !strchr(",}] \t\r\n", *p))
            p++;
        return p;
    }
    int depth = 0;
    while (p < end) {
        if (*p == '"') {
            p = skip_string(p, end);
            if (!p) return NULL;
            continue;
        }
        if (*p == '{' || *p == '[') depth++;
        if (*p == '}' || *p == ']') {
            if (--depth == 0) return p + 1;
        }
        p++;
    }
    return NULL;
}

static int key_is(const char *key, const char *key_end, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(key_end - key) == n && memcmp(key, name, n) == 0;
}

/* Reads the top-level members of one reply object; returns 0, or -1 when
 * the line is not a JSON object. */
static int scan_reply(const char *p, const char *end, struct reply_info *out)
{
    memset(out, 0, sizeof(*out));
    p = skip_ws(p, end);
    if (p >= end || *p != '{') return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return 0;
    for (;;) {
        if (p >= end || *p != '"') return -1;
        const char *key = p + 1;
        p = skip_string(p, end);
        if (!p) return -1;
        const char *key_end = p - 1;
        p = skip_ws(p, end);
        if (p >= end || *p != ':') return -1;
        p = skip_ws(p + 1, end);
        const char *value = p;
        p = skip_value(p, end);
        if (!p) return -1;
        if (key_is(key, key_end, "error")) {
            out->has_error = 1;
        } else if (key_is(key, key_end, "method")) {
            out->has_method = 1;
        } else if (key_is(key, key_end, "id")) {
            if (p - value == 4 && memcmp(value, "null", 4) == 0) {
                out->null_id = 1;
            } else if (value < p && *value >= '0' && *value <= '9') {
                out->has_id = 1;
                out->id = strtoull(value, NULL, 10);
            }
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        return (p < end && *p == '}') ? 0 : -1;
    }
}

void kith_bench_conn_fail(kith_bench_conn *c, const char *why)
{
    if (c->failed) return;
    c->failed = 1;
    unsigned lost = c->inflight;
    c->bench->inflight -= lost;
    c->inflight = 0;
    kith_bench_conn_close(c);
    kith_bench_on_failed(c->bench, c, why, lost);
}

static void fail_uv(kith_bench_conn *c, const char *what, int status)
{
    char why[160];
    snprintf(why, sizeof(why), "%s: %s", what, uv_strerror(status));
    kith_bench_conn_fail(c, why);
}

/* Takes the front slot of the FIFO for the reply at hand and hands both to
 * the run. */
static void answer_front(kith_bench_conn *c, const char *reply, size_t len, int is_error)
{
    kith_bench_slot slot = c->fifo[c->fifo_head];
    c->fifo_head = (c->fifo_head + 1) % c->fifo_cap;
    c->inflight--;
    c->bench->inflight--;
    kith_bench_on_reply(c->bench, c, &slot, reply, len, is_error);
}

static void handle_line(kith_bench_conn *c, const char *line, size_t len)
{
    struct reply_info info;
    if (scan_reply(line, line + len, &info) < 0) {
        kith_bench_note_error(c->bench, line, len);
        kith_bench_conn_fail(c, "reply is not a JSON object");
        return;
    }
    if (info.has_method && !info.has_id && !info.null_id) return; /* a notification */
    if (c->inflight == 0) {
        kith_bench_conn_fail(c, "reply without a request in flight");
        return;
    }
    uint64_t front_id = c->fifo[c->fifo_head].id;
    /* A null id is the server saying it could not read the request; with
     * replies in order it can only be the front one. */
    if (!info.null_id && (!info.has_id || info.id != front_id)) {
        char why[96];
        snprintf(why, sizeof(why), "reply id does not match request %" PRIu64 " in flight",
                 front_id);
        kith_bench_note_error(c->bench, line, len);
        kith_bench_conn_fail(c, why);
        return;
    }
    answer_front(c, line, len, info.has_error || info.null_id);
}

/* Splits off the newline-terminated JSON-RPC replies in c->in. */
static void read_lines(kith_bench_conn *c)
{
    char *nl;
    /* The run may finish (and close every connection) from inside a reply;
     * the buffer stays valid until the close callback, but nothing more is
     * read from it. */
    while (c->handle_open && (nl = memchr(kith_buf_head(&c->in), '\n', kith_buf_size(&c->in)))) {
        char *line = kith_buf_head(&c->in);
        size_t len = (size_t)(nl - line);
        *nl = '\0'; /* callers get a C string; the newline is consumed anyway */
        if (len > 0) handle_line(c, line, len);
        kith_buf_consume(&c->in, len + 1);
    }
}

/* Splits off the complete RESP replies in c->in; each answers the front of
 * the FIFO, as Redis replies in order and carries no id. */
static void read_resp(kith_bench_conn *c)
{
    size_t len;
    int rc = 0;
    while (c->handle_open &&
           (rc = kith_bench_resp_frame(kith_buf_head(&c->in), kith_buf_size(&c->in), &len)) > 0) {
        const char *reply = kith_buf_head(&c->in);
        if (c->inflight == 0) {
            kith_bench_conn_fail(c, "reply without a request in flight");
            return;
        }
        answer_front(c, reply, len, reply[0] == '-');
        kith_buf_consume(&c->in, len);
    }
    if (rc < 0 && c->handle_open) {
        kith_bench_note_error(c->bench, kith_buf_head(&c->in), kith_buf_size(&c->in));
        kith_bench_conn_fail(c, "reply is not RESP2");
    }
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    kith_bench_conn *c = handle->data;
    /* Reserve one spare byte: kith_buf keeps its content NUL-terminated. */
    if (kith_buf_reserve(&c->in, READ_CHUNK) < 0) {
        buf->base = NULL;
        buf->len = 0; /* libuv reports UV_ENOBUFS to on_read */
        return;
    }
    buf->base = c->in.data + c->in.len;
    buf->len = c->in.cap - c->in.len - 1;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    kith_bench_conn *c = stream->data;
    if (nread == 0 || !c->handle_open) return;
    if (nread < 0) {
        fail_uv(c, nread == UV_EOF ? "server closed the connection" : "read", (int)nread);
        return;
    }
    c->in.len += (size_t)nread;
    c->in.data[c->in.len] = '\0';
    if (c->bench->cfg.redis)
        read_resp(c);
    else
        read_lines(c);
    if (c->handle_open && kith_buf_size(&c->in) > MAX_REPLY_BYTES)
        kith_bench_conn_fail(c, "reply too large");
    kith_bench_conn_flush(c);
}

static void on_write(uv_write_t *req, int status)
{
    kith_bench_conn *c = req->data;
    c->writing = 0;
    kith_buf_clear(&c->out_writing);
    if (status == UV_ECANCELED || !c->handle_open) return;
    if (status < 0) {
        fail_uv(c, "write", status);
        return;
    }
    kith_bench_conn_flush(c);
}

void kith_bench_conn_flush(kith_bench_conn *c)
{
    if (c->writing || !c->handle_open || kith_buf_size(&c->out) == 0) return;
    /* Swap so new requests keep queueing while these bytes belong to the
     * write request. */
    kith_buf tmp = c->out_writing;
    c->out_writing = c->out;
    c->out = tmp;
    uv_buf_t buf =
        uv_buf_init(kith_buf_head(&c->out_writing), (unsigned)kith_buf_size(&c->out_writing));
    c->write_req.data = c;
    int rc = uv_write(&c->write_req, &c->h.stream, &buf, 1, on_write);
    if (rc < 0) {
        kith_buf_clear(&c->out_writing);
        fail_uv(c, "write", rc);
        return;
    }
    c->writing = 1;
}

/* Takes the next FIFO slot for a request just queued with `id`. */
static void push_slot(kith_bench_conn *c, uint64_t id, int kind, uint64_t sent_ns,
                      uint64_t intended_ns)
{
    kith_bench_slot *s = &c->fifo[(c->fifo_head + c->inflight) % c->fifo_cap];
    s->id = id;
    s->kind = kind;
    s->sent_ns = sent_ns;
    s->intended_ns = intended_ns;
    c->inflight++;
    c->bench->inflight++;
}

int kith_bench_conn_request(kith_bench_conn *c, int kind, uint64_t sent_ns, uint64_t intended_ns,
                            const char *method, const char *params)
{
    kith_assert(c->inflight < c->fifo_cap);
    uint64_t id = ++c->next_id;
    int rc = kith_buf_appendf(&c->out,
                              "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"method\":\"%s\"%s%s}\n",
                              id, method, params ? ",\"params\":" : "", params ? params : "");
    if (rc < 0) return rc;
    push_slot(c, id, kind, sent_ns, intended_ns);
    return 0;
}

int kith_bench_conn_command(kith_bench_conn *c, int kind, uint64_t sent_ns, uint64_t intended_ns,
                            int argc, const char *const *argv)
{
    kith_assert(c->inflight < c->fifo_cap);
    int rc = kith_bench_resp_append(&c->out, argc, argv);
    if (rc < 0) return rc;
    /* RESP carries no id; the slot's is kept only to number the requests. */
    push_slot(c, ++c->next_id, kind, sent_ns, intended_ns);
    return 0;
}

static void on_connect(uv_connect_t *req, int status)
{
    kith_bench_conn *c = req->data;
    if (status == UV_ECANCELED || !c->handle_open) return;
    if (status < 0) {
        fail_uv(c, "connect", status);
        return;
    }
    if (!c->bench->cfg.unix_path) uv_tcp_nodelay(&c->h.tcp, 1);
    int rc = uv_read_start(&c->h.stream, on_alloc, on_read);
    if (rc < 0) {
        fail_uv(c, "read", rc);
        return;
    }
    if (c->bench->cfg.token) {
        if (kith_bench_send_auth(c->bench, c) < 0) {
            kith_bench_conn_fail(c, "out of memory");
            return;
        }
        kith_bench_conn_flush(c);
        return; /* ready once the auth reply arrives */
    }
    c->ready = 1;
    kith_bench_on_ready(c->bench, c);
}

int kith_bench_conn_open(kith_bench *b, int index)
{
    kith_bench_conn *c = &b->conns[index];
    c->bench = b;
    c->index = index;
    kith_buf_init(&c->in);
    kith_buf_init(&c->out);
    kith_buf_init(&c->out_writing);
    /* Preload pipelines deeper than the measured phase; see bench_run.c. */
    c->fifo_cap = (unsigned)b->cfg.pipeline > 16 ? (unsigned)b->cfg.pipeline : 16;
    c->fifo = calloc(c->fifo_cap, sizeof(*c->fifo));
    if (!c->fifo) return UV_ENOMEM;

    int rc =
        b->cfg.unix_path ? uv_pipe_init(&b->loop, &c->h.pipe, 0) : uv_tcp_init(&b->loop, &c->h.tcp);
    if (rc < 0) return rc;
    c->handle_open = 1;
    c->h.handle.data = c;
    c->connect_req.data = c;
    if (b->cfg.unix_path) {
        uv_pipe_connect(&c->connect_req, &c->h.pipe, b->cfg.unix_path, on_connect);
        return 0;
    }
    return uv_tcp_connect(&c->connect_req, &c->h.tcp, (const struct sockaddr *)&b->addr,
                          on_connect);
}

static void on_close(uv_handle_t *handle)
{
    kith_bench_conn *c = handle->data;
    kith_buf_release(&c->in);
    kith_buf_release(&c->out);
    kith_buf_release(&c->out_writing);
    free(c->fifo);
    c->fifo = NULL;
}

void kith_bench_conn_close(kith_bench_conn *c)
{
    if (!c->handle_open) {
        /* Never got a handle: nothing for libuv to close. */
        free(c->fifo);
        c->fifo = NULL;
        return;
    }
    c->handle_open = 0;
    uv_close(&c->h.handle, on_close);
}
