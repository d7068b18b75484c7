/*
 * A growable byte buffer: the one container for bytes in flight (socket input,
 * output queues, JSON text).  It keeps a read offset so consumers can drop a
 * prefix cheaply; kith_buf_compact() moves the rest down when it pays.
 */
#ifndef KITH_UTIL_BUF_H
#define KITH_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct kith_buf {
    char *data;
    size_t off; /* first unconsumed byte */
    size_t len; /* end of valid bytes (data[off..len) is the content) */
    size_t cap;
} kith_buf;

/* Initialises an empty buffer; allocates nothing. */
void kith_buf_init(kith_buf *b);
/* Frees the storage and leaves the buffer empty and reusable. */
void kith_buf_release(kith_buf *b);
/* Number of unconsumed bytes. */
static inline size_t kith_buf_size(const kith_buf *b)
{
    return b->len - b->off;
}
/* Pointer to the first unconsumed byte (valid until the next change). */
static inline char *kith_buf_head(const kith_buf *b)
{
    return b->data + b->off;
}
/* Makes room for `extra` more bytes; returns 0 or KITH_ENOMEM. */
int kith_buf_reserve(kith_buf *b, size_t extra);
/* Appends bytes; returns 0 or KITH_ENOMEM. The buffer stays NUL-terminated. */
int kith_buf_append(kith_buf *b, const void *p, size_t n);
int kith_buf_appends(kith_buf *b, const char *s);
int kith_buf_appendf(kith_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops `n` bytes from the front. */
void kith_buf_consume(kith_buf *b, size_t n);
/* Shortens the content to its first `size` unconsumed bytes. */
void kith_buf_truncate(kith_buf *b, size_t size);
/* Drops everything. Keeps the storage. */
void kith_buf_clear(kith_buf *b);
/* Moves the unconsumed bytes to the start of the storage. */
void kith_buf_compact(kith_buf *b);

#endif
