/*
 * Framing of JSON-RPC messages on a byte stream.
 *
 * A message is one complete JSON value; no delimiter is required between
 * values, a value may arrive in any number of pieces, and pretty-printed JSON
 * over many lines is fine.  The framer finds value boundaries by scanning
 * (strings, escapes, bracket nesting) without building a tree; parsing is
 * left to the dispatcher.  It fails fast: a byte that can never be part of
 * valid JSON (a mismatched bracket, a raw control character or newline inside
 * a string, invalid UTF-8) is reported at once, and the framer then discards
 * input up to and including the next newline, as the contract prescribes.
 *
 * DESIGN NOTES
 *   1. Positions are kept relative to the buffer's read offset, so consuming
 *      a message or compacting the buffer never invalidates them.
 *   2. `start` is where the current value began; everything before it has been
 *      handed out or discarded.  `pos` >= `start` is the next byte to scan.
 *   3. States: BETWEEN (skipping whitespace) -> VALUE (inside a container or
 *      a top-level string/scalar) -> BETWEEN on completion (kith_framer_next
 *      returns KITH_FRAME_MSG); any state -> DISCARD on a fault (returns
 *      KITH_FRAME_ERROR) -> BETWEEN after the next newline.
 *   4. A message longer than max_bytes is reported as KITH_ETOOLARGE as soon as
 *      its buffered part passes the limit; the connection is expected to close.
 */
#ifndef KITH_PROTO_FRAMER_H
#define KITH_PROTO_FRAMER_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

#define KITH_FRAMER_MAX_DEPTH 128

enum kith_frame_status {
    KITH_FRAME_MORE = 0,  /* need more input */
    KITH_FRAME_MSG = 1,   /* frame->msg/len hold one complete value */
    KITH_FRAME_ERROR = 2, /* frame->err holds KITH_EPARSE, KITH_EINVREQ or KITH_ETOOLARGE */
};

typedef struct kith_frame {
    const char *msg; /* borrowed from the framer; valid until its next call */
    size_t len;
    int err;
    const char *why; /* static text explaining an error */
    int has_nul;     /* a string holds \u0000, which C strings cannot keep */
} kith_frame;

typedef struct kith_framer {
    kith_buf in;
    size_t start, pos; /* relative to in.off */
    int state;
    int depth;
    int in_string, escape;
    int hex_left; /* hex digits still due in a \u escape */
    unsigned hex_value;
    int has_nul;              /* the current message holds \u0000 */
    size_t token;             /* start of a bare token (number or literal) + 1, or 0 */
    int utf8_need;            /* continuation bytes still expected */
    uint8_t utf8_lo, utf8_hi; /* allowed range of the next continuation byte */
    size_t max_bytes;
    int max_depth;
    uint8_t stack[KITH_FRAMER_MAX_DEPTH / 8]; /* 1 = '[', 0 = '{' per level */
} kith_framer;

/* Initialises a framer for messages of at most max_bytes and max_depth
 * nesting levels (capped at KITH_FRAMER_MAX_DEPTH). */
void kith_framer_init(kith_framer *f, size_t max_bytes, int max_depth);
/* Frees the input buffer. */
void kith_framer_release(kith_framer *f);
/* Appends input; returns 0 or KITH_ENOMEM. */
int kith_framer_feed(kith_framer *f, const char *data, size_t len);
/* Scans for the next message.  Returns a kith_frame_status and fills *out.
 * The previous message's bytes are dropped on each call. */
int kith_framer_next(kith_framer *f, kith_frame *out);
/* Discards input through the next newline: used when a message the framer
 * passed turns out not to be valid JSON, so recovery is the same as for a
 * fault the framer caught itself. */
void kith_framer_discard_line(kith_framer *f);
/* Bytes buffered but not yet handed out (for memory accounting). */
size_t kith_framer_pending(const kith_framer *f);

#endif
