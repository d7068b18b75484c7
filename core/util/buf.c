/*
 * kith_buf: see buf.h.  The buffer is always NUL-terminated after `len` when
 * it has storage, so text can be handed to parsers without a copy.
 */
#include "util/buf.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kith_buf_init(kith_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void kith_buf_release(kith_buf *b)
{
    free(b->data);
    kith_buf_init(b);
}

int kith_buf_reserve(kith_buf *b, size_t extra)
{
    /* A consumed prefix is reclaimed before growing: cheap when it is most
     * of the buffer, which is the common case for socket input. */
    if (b->off > 0 && b->off >= b->cap / 2) kith_buf_compact(b);
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) return KITH_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int kith_buf_append(kith_buf *b, const void *p, size_t n)
{
    if (kith_buf_reserve(b, n) < 0) return KITH_ENOMEM;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int kith_buf_appends(kith_buf *b, const char *s)
{
    return kith_buf_append(b, s, strlen(s));
}

int kith_buf_appendf(kith_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return KITH_EINTERNAL;
    if (kith_buf_reserve(b, (size_t)n) < 0) return KITH_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void kith_buf_consume(kith_buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len) b->off = b->len = 0;
}

void kith_buf_truncate(kith_buf *b, size_t size)
{
    if (size >= kith_buf_size(b)) return;
    b->len = b->off + size;
    b->data[b->len] = '\0';
}

void kith_buf_clear(kith_buf *b)
{
    b->off = b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void kith_buf_compact(kith_buf *b)
{
    if (b->off == 0) return;
    size_t n = b->len - b->off;
    memmove(b->data, b->data + b->off, n);
    b->off = 0;
    b->len = n;
    b->data[n] = '\0';
}
