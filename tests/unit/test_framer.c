/*
 * The framer: boundaries with and without newlines, values split across
 * reads, pretty-printed input, fail-fast faults and recovery after them,
 * nesting and size limits, UTF-8 validation.
 */
#include "check.h"
#include "proto/framer.h"
#include "util/error.h"

#include <stdlib.h>

/* Feeds `input` in chunks of `chunk` bytes and records what comes out as a
 * string: each message as M<text>| and each error as E<code>|. */
static void run(const char *input, size_t chunk, size_t max_bytes, char *out, size_t outlen)
{
    kith_framer f;
    kith_framer_init(&f, max_bytes, 64);
    size_t n = strlen(input), o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i += chunk) {
        size_t len = n - i < chunk ? n - i : chunk;
        kith_framer_feed(&f, input + i, len);
        kith_frame fr;
        int st;
        while ((st = kith_framer_next(&f, &fr)) != KITH_FRAME_MORE) {
            if (st == KITH_FRAME_MSG)
                o += (size_t)snprintf(out + o, outlen - o, "M%.*s|", (int)fr.len, fr.msg);
            else
                o += (size_t)snprintf(out + o, outlen - o, "E%d|", fr.err);
            if (st == KITH_FRAME_ERROR && fr.err == KITH_ETOOLARGE) goto done;
        }
    }
done:
    kith_framer_release(&f);
}

static void both_ways(const char *input, const char *want)
{
    char out[4096];
    for (size_t chunk = 1; chunk <= strlen(input) + 1; chunk = chunk < 4 ? chunk + 1 : chunk * 3) {
        run(input, chunk, 1 << 20, out, sizeof(out));
        CHECK_STR(out, want);
    }
}

int main(void)
{
    /* Back to back, with and without newlines, split anywhere. */
    both_ways("{\"a\":1}{\"b\":[2]}\n[3]", "M{\"a\":1}|M{\"b\":[2]}|M[3]|");
    /* Pretty-printed over several lines. */
    both_ways("{\n  \"a\": {\n    \"b\": \"}\"\n  }\n}\n",
              "M{\n  \"a\": {\n    \"b\": \"}\"\n  }\n}|");
    /* Brackets and escaped quotes inside strings do not count. */
    both_ways("{\"s\":\"[{\\\"\\\\\"}", "M{\"s\":\"[{\\\"\\\\\"}|");
    /* A mismatched bracket fails at once; input up to the newline is dropped. */
    both_ways("{\"a\":[1}, junk\n{\"ok\":1}", "E-1|M{\"ok\":1}|");
    /* A raw newline inside a string: the newline itself ends the discard. */
    /* What follows the newline is new input, however it looks. */
    both_ways("{\"a\":\"x\ny\"}\n", "E-1|E-1|");
    both_ways("{\"a\":\"x\n{\"b\":2}", "E-1|M{\"b\":2}|");
    /* Garbage between messages. */
    both_ways("}{\"a\":1}\n{\"b\":1}", "E-1|M{\"b\":1}|");
    /* Invalid UTF-8: a lone continuation byte, an overlong, a surrogate. */
    both_ways("{\"a\":\"\x80\"}\n{\"b\":1}", "E-1|M{\"b\":1}|");
    both_ways("{\"a\":\"\xc0\xaf\"}\n", "E-1|");
    both_ways("{\"a\":\"\xed\xa0\x80\"}\n", "E-1|");
    /* A \u escape takes four hex digits, and a multi-byte character is none
     * (found by fuzz_framer: it passed as text, and "\u<emoji>0000" even
     * flagged the message as holding U+0000). */
    both_ways("{\"a\":\"\\u\xc3\xa9\"}\n{\"b\":1}", "E-1|M{\"b\":1}|");
    both_ways("{\"a\":\"\\u\xf0\x9f\x98\x80\x30\x30\x30\x30\"} [2]\n{\"b\":1}", "E-1|M{\"b\":1}|");
    /* Valid multi-byte UTF-8 passes. */
    both_ways("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
              "M{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}|");
    /* Top-level scalars are framed (the dispatcher answers -32600). */
    both_ways("1\n\"x\" true\n-2.5e3 ", "M1|M\"x\"|Mtrue|M-2.5e3|");
    /* A bare word that is not JSON fails at once, and the line goes with it. */
    both_ways("hello world\n{\"b\":1}", "E-1|M{\"b\":1}|");
    both_ways("nope ok\n{\"b\":1}", "E-1|M{\"b\":1}|");
    both_ways("01 x\n[1]", "E-1|M[1]|");
    /* Nesting past the limit is refused at once. */
    {
        char deep[300];
        memset(deep, '[', 100);
        strcpy(deep + 100, "\n{\"ok\":1}");
        char out[256];
        run(deep, 7, 1 << 20, out, sizeof(out));
        CHECK_STR(out, "E-2|M{\"ok\":1}|");
    }
    /* A message past max_bytes is reported before it completes. */
    {
        char big[600];
        memset(big, ' ', sizeof(big));
        memcpy(big, "{\"a\":\"", 6);
        memset(big + 6, 'x', 500);
        big[599] = '\0';
        char out[256];
        run(big, 64, 256, out, sizeof(out));
        CHECK_STR(out, "E-3|");
    }
    /* Whitespace alone never produces a message, and memory does not grow
     * with discarded garbage. */
    {
        kith_framer f;
        kith_framer_init(&f, 1024, 64);
        kith_frame fr;
        kith_framer_feed(&f, "]", 1);
        CHECK_INT(kith_framer_next(&f, &fr), KITH_FRAME_ERROR);
        char junk[4096];
        memset(junk, 'z', sizeof(junk));
        for (int i = 0; i < 100; i++) {
            kith_framer_feed(&f, junk, sizeof(junk));
            CHECK_INT(kith_framer_next(&f, &fr), KITH_FRAME_MORE);
        }
        CHECK(kith_framer_pending(&f) == 0);
        kith_framer_release(&f);
    }
    return check_done();
}
