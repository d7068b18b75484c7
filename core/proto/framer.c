/*
 * See framer.h for the design notes.  The scanner is a byte loop with a small
 * state machine; it never backtracks, so each byte is looked at once.
 */
#include "proto/framer.h"
#include "util/error.h"
#include "util/log.h"

#include <string.h>

enum { BETWEEN, VALUE, SCALAR, DISCARD };

void kith_framer_init(kith_framer *f, size_t max_bytes, int max_depth)
{
    memset(f, 0, sizeof(*f));
    kith_buf_init(&f->in);
    f->max_bytes = max_bytes;
    f->max_depth =
        max_depth > KITH_FRAMER_MAX_DEPTH || max_depth <= 0 ? KITH_FRAMER_MAX_DEPTH : max_depth;
}

void kith_framer_release(kith_framer *f)
{
    kith_buf_release(&f->in);
}

int kith_framer_feed(kith_framer *f, const char *data, size_t len)
{
    return kith_buf_append(&f->in, data, len);
}

void kith_framer_discard_line(kith_framer *f)
{
    kith_assert(f->state == BETWEEN);
    f->state = DISCARD;
}

size_t kith_framer_pending(const kith_framer *f)
{
    return kith_buf_size(&f->in);
}

static void reset_value(kith_framer *f)
{
    f->depth = 0;
    f->in_string = f->escape = 0;
    f->utf8_need = 0;
    f->hex_left = 0;
    f->has_nul = 0;
    f->token = 0;
}

/* Drops the bytes before f->start so they are not scanned again. */
static void drop_prefix(kith_framer *f)
{
    kith_buf_consume(&f->in, f->start);
    f->pos -= f->start;
    if (f->token) f->token -= f->start;
    f->start = 0;
}

static int fail(kith_framer *f, kith_frame *out, int err, const char *why, size_t at)
{
    unsigned char c = (unsigned char)kith_buf_head(&f->in)[at];
    reset_value(f);
    out->err = err;
    out->why = why;
    out->msg = NULL;
    out->len = 0;
    /* Recovery: skip through the next newline; if the bad byte was that
     * newline, it ends the discard itself. */
    f->start = f->pos = at + 1;
    f->state = c == '\n' ? BETWEEN : DISCARD;
    drop_prefix(f);
    return KITH_FRAME_ERROR;
}

/* Checks one byte >= 0x80 against UTF-8 well-formedness (no overlongs, no
 * surrogates, nothing above U+10FFFF).  Returns 0 if it may continue. */
static int utf8_step(kith_framer *f, unsigned char c)
{
    if (f->utf8_need > 0) {
        if (c < f->utf8_lo || c > f->utf8_hi) return -1;
        f->utf8_need--;
        f->utf8_lo = 0x80;
        f->utf8_hi = 0xBF;
        return 0;
    }
    f->utf8_lo = 0x80;
    f->utf8_hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        f->utf8_need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        f->utf8_need = 2;
        if (c == 0xE0) f->utf8_lo = 0xA0;
        if (c == 0xED) f->utf8_hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        f->utf8_need = 3;
        if (c == 0xF0) f->utf8_lo = 0x90;
        if (c == 0xF4) f->utf8_hi = 0x8F;
    } else {
        return -1;
    }
    return 0;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_scalar_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '+' || c == '-';
}

/* A bare top-level token is JSON only as true, false, null or a number. */
static int valid_scalar(const unsigned char *p, size_t n)
{
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++)
        if (n == strlen(words[i]) && memcmp(p, words[i], n) == 0) return 1;
    size_t i = 0;
    if (i < n && p[i] == '-') i++;
    if (i < n && p[i] == '0')
        i++;
    else if (i < n && p[i] >= '1' && p[i] <= '9')
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    else
        return 0;
    if (i < n && p[i] == '.') {
        size_t d = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d) return 0;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        size_t d = i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d) return 0;
    }
    return i == n;
}

static int emit(kith_framer *f, kith_frame *out, size_t end)
{
    out->msg = kith_buf_head(&f->in) + f->start;
    out->len = end - f->start;
    out->err = 0;
    out->why = NULL;
    out->has_nul = f->has_nul;
    f->start = f->pos = end;
    f->state = BETWEEN;
    reset_value(f);
    return KITH_FRAME_MSG;
}

/* Scans a string byte; returns 0, or -1 on a fault with *why set. */
static int string_byte(kith_framer *f, unsigned char c, const char **why)
{
    /* Hex digits first: a byte >= 0x80 inside \u must fail as a digit, not
     * pass as the start of a UTF-8 character. */
    if (f->hex_left == 0 && (f->utf8_need > 0 || c >= 0x80)) {
        if (f->escape || utf8_step(f, c) < 0) {
            *why = "invalid UTF-8 in string";
            return -1;
        }
        return 0;
    }
    if (f->hex_left > 0) {
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            *why = "invalid \\u escape in string";
            return -1;
        }
        f->hex_value = f->hex_value * 16 + (unsigned)d;
        if (--f->hex_left == 0 && f->hex_value == 0) f->has_nul = 1;
        return 0;
    }
    if (f->escape) {
        if (!strchr("\"\\/bfnrtu", c) || c == '\0') {
            *why = "invalid escape in string";
            return -1;
        }
        if (c == 'u') {
            f->hex_left = 4;
            f->hex_value = 0;
        }
        f->escape = 0;
    } else if (c == '\\') {
        f->escape = 1;
    } else if (c == '"') {
        f->in_string = 0;
    } else if (c < 0x20) {
        *why = c == '\n' ? "raw newline inside a string" : "raw control character inside a string";
        return -1;
    }
    return 0;
}

int kith_framer_next(kith_framer *f, kith_frame *out)
{
    drop_prefix(f);
    const unsigned char *p = (const unsigned char *)kith_buf_head(&f->in);
    size_t n = kith_buf_size(&f->in);
    const char *why = NULL;

    while (f->pos < n) {
        unsigned char c = p[f->pos];
        if (f->state != BETWEEN && f->state != DISCARD && f->pos + 1 - f->start > f->max_bytes) {
            out->err = KITH_ETOOLARGE;
            out->why = "message larger than max_message_bytes";
            out->msg = NULL;
            out->len = 0;
            return KITH_FRAME_ERROR;
        }
        switch (f->state) {
        case DISCARD:
            f->pos++;
            if (c == '\n') f->state = BETWEEN;
            f->start = f->pos;
            continue;
        case BETWEEN:
            if (is_ws(c)) {
                f->start = ++f->pos;
                continue;
            }
            f->start = f->pos;
            if (c == '{' || c == '[') {
                f->state = VALUE;
                f->depth = 1;
                f->stack[0] = c == '[';
            } else if (c == '"') {
                f->state = VALUE;
                f->in_string = 1;
            } else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
                f->state = SCALAR;
            } else {
                return fail(f, out, KITH_EPARSE, "unexpected character between messages", f->pos);
            }
            f->pos++;
            break;
        case SCALAR:
            if (!is_scalar_char(c)) {
                if (!valid_scalar(p + f->start, f->pos - f->start))
                    return fail(f, out, KITH_EPARSE, "not a JSON value", f->pos - 1);
                return emit(f, out, f->pos);
            }
            f->pos++;
            break;
        case VALUE:
            if (f->in_string) {
                if (string_byte(f, c, &why) < 0) return fail(f, out, KITH_EPARSE, why, f->pos);
                f->pos++;
                if (!f->in_string && f->depth == 0) return emit(f, out, f->pos);
                break;
            }
            if (f->token && !is_scalar_char(c)) {
                /* A bare token inside a container ended: it must be a JSON
                 * number or literal (cJSON alone would take 01 or 1.). */
                if (!valid_scalar(p + f->token - 1, f->pos - (f->token - 1)))
                    return fail(f, out, KITH_EPARSE, "invalid number or literal", f->pos - 1);
                f->token = 0;
            } else if (!f->token && is_scalar_char(c)) {
                f->token = f->pos + 1;
            }
            if (c == '"') {
                f->in_string = 1;
            } else if (c == '{' || c == '[') {
                if (f->depth >= f->max_depth)
                    return fail(f, out, KITH_EINVREQ, "nesting too deep", f->pos);
                uint8_t bit = (uint8_t)(1u << (f->depth % 8));
                if (c == '[')
                    f->stack[f->depth / 8] |= bit;
                else
                    f->stack[f->depth / 8] &= (uint8_t)~bit;
                f->depth++;
            } else if (c == '}' || c == ']') {
                f->depth--;
                int is_array = (f->stack[f->depth / 8] >> (f->depth % 8)) & 1;
                if (is_array != (c == ']'))
                    return fail(f, out, KITH_EPARSE, "mismatched closing bracket", f->pos);
                if (f->depth == 0) return emit(f, out, f->pos + 1);
            } else if (c >= 0x80 || (c < 0x20 && !is_ws(c))) {
                return fail(f, out, KITH_EPARSE, "invalid character outside a string", f->pos);
            }
            f->pos++;
            break;
        }
    }
    /* Whitespace and discarded bytes are not kept while waiting for more. */
    drop_prefix(f);
    return KITH_FRAME_MORE;
}
