/*
 * The RESP2 wire format, as much of it as kith-bench needs to drive a Redis
 * server: encoding a command as an array of bulk strings, reading a reply's
 * elements one at a time, and finding where one complete reply ends so that
 * bench_conn.c can match it to the front of its FIFO.  RESP3 (HELLO 3) is
 * never asked for, so its types are treated as malformed.  What the commands
 * are is bench_workload.c's; what a reply means is bench_run.c's and
 * bench_setup.c's.
 */
#include "bench/bench.h"
#include "util/error.h"

#include <string.h>

/* Writes v in decimal at w; returns the byte after it. */
static char *put_uint(char *w, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        *w++ = digits[--n];
    return w;
}

int kith_bench_resp_append(kith_buf *out, int argc, const char *const *argv)
{
    /* Sized first and written in place: this runs once per request, and a
     * printf per argument would make the client cost more than a PING. */
    size_t need = 24; /* "*<argc>\r\n" */
    for (int i = 0; i < argc; i++)
        need += strlen(argv[i]) + 24; /* "$<len>\r\n" ... "\r\n" */
    if (kith_buf_reserve(out, need) < 0) return KITH_ENOMEM;
    char *w = out->data + out->len;
    *w++ = '*';
    w = put_uint(w, (uint64_t)argc);
    *w++ = '\r';
    *w++ = '\n';
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        *w++ = '$';
        w = put_uint(w, n);
        *w++ = '\r';
        *w++ = '\n';
        memcpy(w, argv[i], n);
        w += n;
        *w++ = '\r';
        *w++ = '\n';
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0'; /* a kith_buf stays NUL-terminated */
    return 0;
}

/* Parses a whole decimal integer (optionally negative) of n bytes; returns
 * 0, or -1 when it is empty, not a number or out of range. */
static int parse_int(const char *s, size_t n, int64_t *out)
{
    int neg = n > 0 && s[0] == '-';
    size_t i = (size_t)neg;
    if (i == n) return -1;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        if (v > (UINT64_C(1) << 62) / 10) return -1; /* far beyond any length or id */
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int kith_bench_resp_next(kith_bench_resp_reader *r, kith_bench_resp_value *v)
{
    if (r->p >= r->end) return 0;
    const char *cr = memchr(r->p, '\r', (size_t)(r->end - r->p));
    if (!cr || cr + 1 >= r->end) return 0;
    if (cr[1] != '\n') return -1;
    const char *body = r->p + 1, *after = cr + 2;
    size_t body_len = (size_t)(cr - body);
    memset(v, 0, sizeof(*v));
    v->type = *r->p;
    switch (v->type) {
    case '+':
    case '-':
        v->text = body;
        v->len = body_len;
        break;
    case ':':
        if (parse_int(body, body_len, &v->n) < 0) return -1;
        break;
    case '*':
        if (parse_int(body, body_len, &v->n) < 0 || v->n < -1) return -1;
        break;
    case '$':
        if (parse_int(body, body_len, &v->n) < 0 || v->n < -1) return -1;
        if (v->n >= 0) {
            size_t n = (size_t)v->n;
            if ((size_t)(r->end - after) < n + 2) return 0;
            if (after[n] != '\r' || after[n + 1] != '\n') return -1;
            v->text = after;
            v->len = n;
            after += n + 2;
        }
        break;
    default: return -1;
    }
    r->p = after;
    return 1;
}

int kith_bench_resp_frame(const char *p, size_t len, size_t *size)
{
    kith_bench_resp_reader r = {p, p + len};
    /* Elements still to read: each array adds its count, so nesting needs
     * no recursion (and a hostile depth no stack). */
    uint64_t pending = 1;
    while (pending > 0) {
        kith_bench_resp_value v;
        int rc = kith_bench_resp_next(&r, &v);
        if (rc <= 0) return rc;
        pending--;
        if (v.type == '*' && v.n > 0) pending += (uint64_t)v.n;
        /* Every element takes at least 3 bytes ("+\r\n"): more pending
         * than bytes left cannot complete yet (and cannot overflow). */
        if (pending > (uint64_t)(r.end - r.p)) return 0;
    }
    *size = (size_t)(r.p - p);
    return 1;
}
