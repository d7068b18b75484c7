/*
 * See contact_norm.h.  Both walk the UTF-8 text once, one code point at a
 * time, after folding the full-width forms (note 2).
 */
#include "util/contact_norm.h"

#include <string.h>

/* Reads one code point of `p` into *cp and returns its length (1 for a
 * malformed byte, which then reads as itself). */
static size_t next_cp(const unsigned char *p, unsigned *cp)
{
    if (p[0] >= 0xE0 && p[0] < 0xF0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        *cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return 3;
    }
    *cp = p[0];
    return 1;
}

/* The code point with full-width ASCII folded; the ideographic space as ' '. */
static unsigned fold(unsigned cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFF01 + 0x21;
    if (cp == 0x3000) return ' ';
    return cp;
}

static int is_space(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int kith_norm_email(const char *in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t n = 0, at = 0, ats = 0;
    int space_inside = 0, pending_space = 0;
    while (*p) {
        unsigned c;
        p += next_cp(p, &c);
        c = fold(c);
        if (is_space(c)) {
            pending_space = n > 0;
            continue;
        }
        if (pending_space) space_inside = 1;
        pending_space = 0;
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (c == '@') {
            ats++;
            at = n;
        }
        /* Other non-ASCII text (an internationalised address) is kept as
         * written: copy the code point's bytes back. */
        char buf[4];
        size_t len = 1;
        if (c < 0x80) {
            buf[0] = (char)c;
        } else {
            buf[0] = (char)(0xE0 | (c >> 12));
            buf[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            buf[2] = (char)(0x80 | (c & 0x3F));
            len = 3;
        }
        if (n + len >= cap) return -1;
        memcpy(out + n, buf, len);
        n += len;
    }
    out[n] = '\0';
    if (space_inside || ats != 1 || at == 0 || at + 1 >= n) return -1;
    return 0;
}

int kith_norm_phone(const char *in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t n = 0, digits = 0;
    int plus = 0, first = 1;
    if (cap < 2) return -1;
    while (*p) {
        unsigned c;
        p += next_cp(p, &c);
        c = fold(c);
        if (is_space(c) || c == '-' || c == '.' || c == '/' || c == '(' || c == ')') continue;
        if (c == '+' && first) {
            plus = 1;
        } else if (c >= '0' && c <= '9') {
            if (n + 2 >= cap) return -1;
            out[1 + n++] = (char)c; /* out[0] is kept for the '+' */
            digits++;
        } else {
            return -1;
        }
        first = 0;
    }
    /* "00" is the international prefix written without a '+'. */
    size_t from = 1;
    if (!plus && digits > 2 && out[1] == '0' && out[2] == '0') {
        plus = 1;
        from = 3;
        digits -= 2;
    }
    if (digits < 6 || digits > 15) return -1;
    size_t len = 0;
    if (plus) out[len++] = '+';
    memmove(out + len, out + from, digits);
    out[len + digits] = '\0';
    return 0;
}
