/*
 * Opaque pagination cursors.  A cursor names the last row a page returned by
 * its sort key and id, so the next page starts strictly after it however many
 * rows were added or removed meanwhile (keyset pagination, never OFFSET).
 * On the wire it is base64url text; clients must treat it as opaque.
 */
#ifndef KITH_UTIL_CURSOR_H
#define KITH_UTIL_CURSOR_H

#include <stdint.h>

#define KITH_CURSOR_BUFSZ 64

typedef struct kith_cursor {
    int64_t key; /* the sort key of the last row (a time, or the id again) */
    int64_t id;  /* the last row's id, the tie-breaker */
} kith_cursor;

/* Writes the cursor's text form into out (KITH_CURSOR_BUFSZ bytes). */
void kith_cursor_encode(const kith_cursor *c, char out[KITH_CURSOR_BUFSZ]);
/* Parses a cursor; returns 0 or KITH_EPARAMS for anything not produced by
 * kith_cursor_encode. */
int kith_cursor_decode(const char *text, kith_cursor *c);

#endif
