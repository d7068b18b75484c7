/*
 * See csv.h.  A character-at-a-time state machine over getc_unlocked: the
 * import's end-to-end rate is bound by the server, and this keeps the
 * reader obviously right about quotes and line ends.
 */
#include "cli/csv.h"

#include <stdlib.h>
#include <string.h>

void kith_csv_init(kith_csv *c, FILE *f, size_t max_cell, long line)
{
    memset(c, 0, sizeof(*c));
    c->f = f;
    c->max_cell = max_cell;
    c->next_line = line;
    c->offset = ftell(f) < 0 ? 0 : ftell(f);
}

void kith_csv_release(kith_csv *c)
{
    free(c->data);
    free(c->starts);
    memset(c, 0, sizeof(*c));
}

const char *kith_csv_field(const kith_csv *c, size_t i)
{
    return c->data + c->starts[i];
}

int kith_csv_utf8_ok(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        int ok = len > 0 && i + len <= n && !(c == 0xC0 || c == 0xC1 || c > 0xF4);
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len == 3 && c == 0xE0) ok = p[i + 1] >= 0xA0; /* overlong */
        if (ok && len == 3 && c == 0xED) ok = p[i + 1] < 0xA0;  /* surrogate */
        if (ok && len == 4 && c == 0xF0) ok = p[i + 1] >= 0x90; /* overlong */
        if (ok && len == 4 && c == 0xF4) ok = p[i + 1] < 0x90;  /* > U+10FFFF */
        if (!ok) {
            *bad = i;
            return 0;
        }
        i += len;
    }
    return 1;
}

static int push(kith_csv *c, int ch)
{
    if (c->len + 1 >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        char *d = realloc(c->data, cap);
        if (!d) return -1;
        c->data = d;
        c->cap = cap;
    }
    c->data[c->len++] = (char)ch;
    return 0;
}

static int start_field(kith_csv *c)
{
    if (c->nfields == c->fcap) {
        size_t cap = c->fcap ? c->fcap * 2 : 32;
        size_t *s = realloc(c->starts, cap * sizeof(*s));
        if (!s) return -1;
        c->starts = s;
        c->fcap = cap;
    }
    c->starts[c->nfields++] = c->len;
    return 0;
}

static int fail(kith_csv *c, long line, const char *what)
{
    snprintf(c->err, sizeof(c->err), "line %ld: %s", line, what);
    return -1;
}

/* Ends the current field: NUL-terminates it and checks its size and
 * encoding. */
static int end_field(kith_csv *c)
{
    size_t start = c->starts[c->nfields - 1], n = c->len - start, bad;
    if (push(c, '\0') < 0) return fail(c, c->line, "out of memory");
    if (!kith_csv_utf8_ok(c->data + start, n, &bad)) {
        char what[160];
        snprintf(what, sizeof(what),
                 "field %zu is not valid UTF-8 (byte 0x%02x at offset %zu; a GBK or Latin-1 "
                 "file? convert it with iconv -t UTF-8)",
                 c->nfields, (unsigned char)c->data[start + bad], bad);
        return fail(c, c->line, what);
    }
    return 0;
}

static int get(kith_csv *c)
{
    int ch = getc_unlocked(c->f);
    if (ch != EOF) c->offset++;
    if (ch == '\n') c->next_line++;
    return ch;
}

static void unget(kith_csv *c, int ch)
{
    if (ch == EOF) return;
    ungetc(ch, c->f);
    c->offset--;
    if (ch == '\n') c->next_line--;
}

int kith_csv_skip_bom(FILE *f)
{
    unsigned char b[3];
    size_t n = fread(b, 1, 3, f);
    if (n == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) return 3;
    return fseek(f, -(long)n, SEEK_CUR) == 0 ? 0 : -1;
}

/* Checks the size of the field being read. */
static int check_size(kith_csv *c)
{
    if (c->len - c->starts[c->nfields - 1] <= c->max_cell) return 0;
    char what[96];
    snprintf(what, sizeof(what), "field %zu is longer than %zu bytes", c->nfields, c->max_cell);
    return fail(c, c->line, what);
}

/* Reads a quoted field's body, after its opening quote, up to and
 * including the closing one. */
static int read_quoted(kith_csv *c)
{
    long opened = c->next_line;
    for (;;) {
        int ch = get(c);
        if (ch == EOF) {
            char what[96];
            snprintf(what, sizeof(what),
                     "a quoted field opened here never closes (unbalanced quote)");
            return fail(c, opened, what);
        }
        if (ch == '"') {
            int nx = get(c);
            if (nx != '"') {
                unget(c, nx);
                return 0;
            }
        }
        if (push(c, ch) < 0) return fail(c, c->line, "out of memory");
        if (check_size(c) < 0) return -1;
    }
}

int kith_csv_next(kith_csv *c)
{
    int ch;
    do { /* blank lines are skipped */
        c->len = c->nfields = 0;
        c->line = c->next_line;
        ch = get(c);
        if (ch == EOF) return 0;
        if (ch == '\r' && (ch = get(c)) != '\n') unget(c, ch), ch = '\r';
    } while (ch == '\n' || ch == '\r');
    if (start_field(c) < 0) return fail(c, c->line, "out of memory");
    for (int quoted = 0;; ch = get(c)) {
        if (ch == ',' || ch == '\n' || ch == '\r' || ch == EOF) {
            if (end_field(c) < 0) return -1;
            if (ch != ',') {
                if (ch == '\r' && (ch = get(c)) != '\n') unget(c, ch);
                return 1;
            }
            if (start_field(c) < 0) return fail(c, c->line, "out of memory");
            quoted = 0;
        } else if (quoted) {
            return fail(c, c->next_line,
                        "text after a closing quote (a quote inside a quoted field must be "
                        "doubled: \"\")");
        } else if (ch == '"') {
            if (c->len != c->starts[c->nfields - 1])
                return fail(c, c->next_line,
                            "a quote inside an unquoted field (quote the whole field and "
                            "double the quote)");
            if (read_quoted(c) < 0) return -1;
            quoted = 1;
        } else {
            if (push(c, ch) < 0) return fail(c, c->line, "out of memory");
            if (check_size(c) < 0) return -1;
        }
    }
}

void kith_csv_write_field(FILE *out, const char *s)
{
    size_t n = strlen(s);
    if (!strpbrk(s, ",\"\r\n") && !(n && (s[0] == ' ' || s[n - 1] == ' '))) {
        fputs(s, out);
        return;
    }
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"') putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}
