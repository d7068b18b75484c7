/*
 * The framer (proto/framer.c): a byte stream in, JSON values out.
 *
 * Input: byte 0 picks max_depth, byte 1 max_bytes, bytes 2-3 seed the
 * choice of split points; the rest is the stream.  The stream is framed
 * twice — fed whole, then in pieces of fuzzer-chosen sizes with the frames
 * collected after every piece — recovering the way conn.c does (a frame
 * cJSON cannot parse discards the rest of its line; too_large ends the
 * connection).  Invariants:
 *   1. Splitting never changes the frames or errors produced, nor their order.
 *   2. A frame is a non-empty value that starts like one and, for strings
 *      and containers, ends with the matching character; has_nul only when
 *      the text holds a \u0000 escape.
 *   3. When the stream parses as one JSON value, cJSON's compact print of it
 *      is framed as exactly one frame of the same bytes, unless it is nested
 *      past max_depth or holds invalid UTF-8 (which cJSON lets through).
 */
#include "fuzz.h"
#include "proto/framer.h"
#include "util/error.h"

#include <cJSON.h>

#define MAX_EVENTS 4096

typedef struct event {
    int status, err, has_nul;
    size_t len;
    char *msg; /* owned copy */
} event;

typedef struct events {
    event v[MAX_EVENTS];
    size_t n;
    int closed; /* too_large: the connection would be gone */
} events;

static void events_free(events *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].msg);
    e->n = 0;
}

static void check_frame(const kith_frame *fr)
{
    FUZZ_CHECK(fr->len > 0 && fr->msg, "empty frame");
    char first = fr->msg[0], last = fr->msg[fr->len - 1];
    FUZZ_CHECK(strchr("{[\"-0123456789tfn", first), "frame starts with 0x%02x",
               (unsigned char)first);
    if (first == '{') FUZZ_CHECK(last == '}', "object frame ends with 0x%02x", (unsigned char)last);
    if (first == '[') FUZZ_CHECK(last == ']', "array frame ends with 0x%02x", (unsigned char)last);
    if (first == '"')
        FUZZ_CHECK(last == '"' && fr->len >= 2, "string frame ends with 0x%02x",
                   (unsigned char)last);
    if (fr->has_nul)
        FUZZ_CHECK(fuzz_contains(fr->msg, fr->len, "\\u0000"), "has_nul without \\u0000");
}

/* Takes every frame the framer has ready, as conn.c's handle_input does. */
static void drain(kith_framer *f, events *e)
{
    kith_frame fr;
    int st;
    while (!e->closed && (st = kith_framer_next(f, &fr)) != KITH_FRAME_MORE) {
        FUZZ_CHECK(e->n < MAX_EVENTS, "too many events");
        event *ev = &e->v[e->n++];
        ev->status = st;
        ev->err = st == KITH_FRAME_ERROR ? fr.err : 0;
        ev->has_nul = st == KITH_FRAME_MSG ? fr.has_nul : 0;
        ev->len = st == KITH_FRAME_MSG ? fr.len : 0;
        ev->msg = NULL;
        if (st == KITH_FRAME_ERROR) {
            FUZZ_CHECK(fr.why && fr.err < 0, "error without a reason");
            if (fr.err == KITH_ETOOLARGE) e->closed = 1;
            continue;
        }
        check_frame(&fr);
        ev->msg = malloc(fr.len);
        if (!ev->msg) abort();
        memcpy(ev->msg, fr.msg, fr.len);
        cJSON *v = cJSON_ParseWithLength(fr.msg, fr.len);
        if (!v) kith_framer_discard_line(f);
        cJSON_Delete(v);
    }
}

static void compare(const events *a, const events *b)
{
    FUZZ_CHECK(a->n == b->n, "whole: %zu events, split: %zu", a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const event *x = &a->v[i], *y = &b->v[i];
        FUZZ_CHECK(x->status == y->status && x->err == y->err && x->has_nul == y->has_nul &&
                       x->len == y->len,
                   "event %zu: whole status %d err %d len %zu, split status %d err %d len %zu", i,
                   x->status, x->err, x->len, y->status, y->err, y->len);
        if (x->len) FUZZ_CHECK(memcmp(x->msg, y->msg, x->len) == 0, "event %zu: bytes differ", i);
    }
}

static size_t depth_of(const cJSON *v)
{
    size_t d = 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        size_t cd = depth_of(c);
        if (cd > d) d = cd;
    }
    return (cJSON_IsArray(v) || cJSON_IsObject(v)) ? d + 1 : 0;
}

static void check_printed(const uint8_t *data, size_t size, int max_depth)
{
    cJSON *v = cJSON_ParseWithLength((const char *)data, size);
    if (!v) return;
    char *text = cJSON_PrintUnformatted(v);
    size_t depth = depth_of(v);
    cJSON_Delete(v);
    if (!text) return;
    size_t len = strlen(text);
    kith_framer f;
    kith_framer_init(&f, len + 16, max_depth);
    kith_framer_feed(&f, text, len);
    kith_framer_feed(&f, "\n", 1);
    kith_frame fr;
    int st = kith_framer_next(&f, &fr);
    if (st == KITH_FRAME_ERROR) {
        int deep = fr.err == KITH_EINVREQ && depth > (size_t)max_depth;
        int utf8 = fr.err == KITH_EPARSE && strcmp(fr.why, "invalid UTF-8 in string") == 0;
        FUZZ_CHECK(deep || utf8, "valid JSON refused (%s): %s", fr.why, text);
    } else {
        FUZZ_CHECK(st == KITH_FRAME_MSG && fr.len == len && memcmp(fr.msg, text, len) == 0,
                   "valid JSON framed as status %d len %zu, want %zu: %s", st, fr.len, len, text);
        FUZZ_CHECK(kith_framer_next(&f, &fr) == KITH_FRAME_MORE, "a second frame from one value");
    }
    kith_framer_release(&f);
    cJSON_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static events whole, split;
    static const size_t limits[4] = {64, 1024, 65536, 1 << 20};
    fuzz_input in = {data, size};
    int max_depth = 1 + fuzz_u8(&in) % KITH_FRAMER_MAX_DEPTH;
    size_t max_bytes = limits[fuzz_u8(&in) % 4];
    uint64_t seed = fuzz_u8(&in);
    seed = seed << 8 | fuzz_u8(&in);
    seed = seed * 0x100000001B3ull + 1;

    kith_framer f;
    kith_framer_init(&f, max_bytes, max_depth);
    kith_framer_feed(&f, (const char *)in.p, in.n);
    whole.closed = 0;
    drain(&f, &whole);
    kith_framer_release(&f);

    kith_framer_init(&f, max_bytes, max_depth);
    split.closed = 0;
    for (size_t at = 0; at < in.n && !split.closed;) {
        /* Mostly short pieces, so splits land inside tokens and escapes. */
        uint64_t r = fuzz_next(&seed);
        size_t piece = r & 0x100 ? 1 + (r & 7) : 1 + (r & 0xff);
        if (piece > in.n - at) piece = in.n - at;
        kith_framer_feed(&f, (const char *)in.p + at, piece);
        at += piece;
        drain(&f, &split);
    }
    kith_framer_release(&f);

    compare(&whole, &split);
    events_free(&whole);
    events_free(&split);
    check_printed(in.p, in.n, max_depth);
    return 0;
}
