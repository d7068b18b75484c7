/*
 * How the kith client shows results and errors.
 *
 * Readable by default: a list (`{"items": [...], "next_cursor": ...}`) or an
 * array of objects is an aligned table, then `next_cursor: ...` when there
 * is more; an object is `key: value` lines; a string is printed raw; nested
 * values are compact JSON.  A table fits the width set with
 * kith_cli_render_set_width() (the terminal's): the widest columns shrink
 * first, and cut cells end in an ellipsis.  With --json the result is
 * printed as compact JSON on one line, for scripts; with --csv tables and
 * records are CSV.  Fetching results is left to session.c.
 */
#ifndef KITH_CLI_RENDER_H
#define KITH_CLI_RENDER_H

#include <cJSON.h>

#include <stddef.h>
#include <stdio.h>

/* A column that must shrink to fit the width keeps at least this many
 * columns (or its full width when narrower). */
#define KITH_CLI_CELL_MIN 6

/* Chooses the ellipsis for cut cells: "…" when `utf8` is non-zero (the
 * terminal's charset is UTF-8), "..." otherwise.  The default is "...". */
void kith_cli_render_set_utf8(int utf8);

/* Sets the width, in columns, that tables must fit; 0 (the default) is no
 * limit: every cell is shown whole.  A table that cannot fit with every
 * column at KITH_CLI_CELL_MIN is printed at that size. */
void kith_cli_render_set_width(size_t columns);

/* Returns the width tables on stdout should fit: $COLUMNS when it is a
 * positive number, else the terminal's width when stdout is a terminal,
 * else 0 (no limit: piped output keeps cells whole). */
size_t kith_cli_render_term_width(void);

/* Non-zero: tables are printed as CSV instead (a header line, then one
 * line per row, RFC 4180 quoting, cells whole, null as an empty field), a
 * single record as a table of one row, other values one per line, and
 * `next_cursor` goes to stderr so stdout stays CSV.  The default is 0. */
void kith_cli_render_set_csv(int csv);
/* Non-zero when tables print as CSV. */
int kith_cli_render_csv(void);

/* Prints a method's result to `out` (readable, or compact JSON when
 * `as_json`).  Borrows `result`.  Returns 0 or KITH_ENOMEM. */
int kith_cli_render_result(FILE *out, const cJSON *result, int as_json);

/* Prints an array of objects as an aligned table (or CSV, see above): one
 * column per key, in the order keys first appear; a missing key or null is
 * an empty cell.  Borrows `rows`.  Returns 0 or KITH_ENOMEM. */
int kith_cli_render_table(FILE *out, const cJSON *rows);

/* Prints a JSON-RPC error object as `error CODE (kind): message`, then
 * `param: NAME` when data.param is set and `script: FILE:LINE` when
 * data.script is.  Borrows `error`. */
void kith_cli_render_error(FILE *out, const cJSON *error);

/* Makes owned text fit `width` columns (code points): control characters
 * become spaces, and longer text is cut to end in the ellipsis.  Takes `s`
 * (NULL passes through); returns the possibly new text (owned, free()), or
 * NULL when out of memory. */
char *kith_cli_render_clip(char *s, size_t width);

/* Writes the ISO 8601 time `iso` as the user's local time into out:
 * "2026-11-23 15:31", with ":57" added when `seconds` is non-zero.  Returns
 * 0, or KITH_EPARAMS when `iso` is NULL or not a time, or the text does not
 * fit (out is then unspecified). */
int kith_cli_render_time(const char *iso, int seconds, char *out, size_t size);

/* Returns how a value reads after `key: ` or in a cell: a string as is,
 * anything else as compact JSON.  Returns owned text (free()) or NULL when
 * out of memory. */
char *kith_cli_render_value(const cJSON *v);

#endif
