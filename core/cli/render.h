/*
 * How the kith client shows results and errors.
 *
 * Readable by default: a list (`{"items": [...], "next_cursor": ...}`) or an
 * array of objects is an aligned table, then `next_cursor: ...` when there
 * is more; an object is `key: value` lines; a string is printed raw; nested
 * values are compact JSON.  With --json the result is printed as compact
 * JSON on one line, for scripts.  Fetching results is left to session.c.
 */
#ifndef KITH_CLI_RENDER_H
#define KITH_CLI_RENDER_H

#include <cJSON.h>

#include <stddef.h>
#include <stdio.h>

/* Table cells longer than this many characters are cut, ending in an
 * ellipsis, so one long note cannot push every other column off screen. */
#define KITH_CLI_CELL_MAX 40

/* Chooses the ellipsis for cut cells: "…" when `utf8` is non-zero (the
 * terminal's charset is UTF-8), "..." otherwise.  The default is "...". */
void kith_cli_render_set_utf8(int utf8);

/* Prints a method's result to `out` (readable, or compact JSON when
 * `as_json`).  Borrows `result`.  Returns 0 or KITH_ENOMEM. */
int kith_cli_render_result(FILE *out, const cJSON *result, int as_json);

/* Prints an array of objects as an aligned table: one column per key, in
 * the order keys first appear; a missing key or null is an empty cell.
 * Borrows `rows`.  Returns 0 or KITH_ENOMEM. */
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
