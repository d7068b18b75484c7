/*
 * An RFC 4180 CSV reader for `kith import`: quoted fields with "" escapes
 * and embedded newlines, CRLF or LF line ends, a UTF-8 byte order mark, and
 * checks that name the line: invalid UTF-8, a quote that never closes, a
 * stray quote, a cell over the size limit.  Blank lines are skipped.
 *
 * It streams: one record in memory at a time, so a file of any length reads
 * in constant memory, and c->offset says where the next record
 * starts, which is what an interrupted import resumes from.
 */
#ifndef KITH_CLI_CSV_H
#define KITH_CLI_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct kith_csv {
    FILE *f;
    size_t max_cell; /* bytes */
    long line;       /* the line the current record started on (1-based) */
    long next_line;  /* the line the reader is on */
    int64_t offset;  /* bytes consumed: where the next record starts */
    char *data;      /* the record's fields, each NUL-terminated */
    size_t len, cap;
    size_t *starts; /* field i begins at data + starts[i] */
    size_t nfields, fcap;
    char err[256];
} kith_csv;

/* Skips a UTF-8 byte order mark at f's position (the file's start).
 * Returns the bytes skipped (3 or 0), or -1 when f cannot seek. */
int kith_csv_skip_bom(FILE *f);
/* Reads from `f` (borrowed, positioned at a record's start: after
 * kith_csv_skip_bom(), or at a c->offset kept earlier); cells over
 * `max_cell` bytes are errors.  `line` is the line number `f` is on. */
void kith_csv_init(kith_csv *c, FILE *f, size_t max_cell, long line);
void kith_csv_release(kith_csv *c);
/* Reads the next record: 1 when there is one (c->nfields fields,
 * kith_csv_field()), 0 at the end of the file, -1 on an error described in
 * c->err ("line N: ..."). */
int kith_csv_next(kith_csv *c);
/* Field i of the current record (NUL-terminated; i < c->nfields). */
const char *kith_csv_field(const kith_csv *c, size_t i);
/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates), else 0 and
 * *bad the offset of the first bad byte. */
int kith_csv_utf8_ok(const char *s, size_t n, size_t *bad);
/* Writes `s` as one CSV field: quoted when it holds a comma, a quote, a CR
 * or LF, or starts or ends with a space. */
void kith_csv_write_field(FILE *out, const char *s);

#endif
