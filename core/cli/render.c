/*
 * Results and errors on the terminal: see render.h for what a user sees.
 *
 * Widths are counted in terminal columns, not bytes: a code point takes
 * one column, a wide (East Asian) one two and a combining mark none, from
 * our own table of Unicode's wide ranges rather than the locale-dependent
 * wcwidth(), so Chinese names and subjects line up whatever LANG says.  Control characters in cells
 * become spaces: a note with a newline in it must not break the table.
 * CSV keeps every character, quoted, since a program reads it.
 */
#include "cli/render.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static const char *ellipsis = "...";
static size_t ellipsis_width = 3;
static size_t table_width; /* 0: no limit */
static int csv_output;

void kith_cli_render_set_width(size_t columns)
{
    table_width = columns;
}

void kith_cli_render_set_csv(int csv)
{
    csv_output = csv;
}

int kith_cli_render_csv(void)
{
    return csv_output;
}

size_t kith_cli_render_term_width(void)
{
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end == '\0' && n > 0 && n < 100000) return (size_t)n;
    }
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

void kith_cli_render_set_utf8(int utf8)
{
    ellipsis = utf8 ? "\xe2\x80\xa6" : "...";
    ellipsis_width = utf8 ? 1 : 3;
}

/* Decodes the code point at s (NUL excluded) into *cp; returns its length
 * in bytes.  A malformed byte counts as one code point of its own. */
static size_t decode(const unsigned char *s, uint32_t *cp)
{
    size_t len = s[0] < 0x80       ? 1
                 : s[0] >> 5 == 6  ? 2
                 : s[0] >> 4 == 14 ? 3
                 : s[0] >> 3 == 30 ? 4
                                   : 1;
    *cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = s[0];
            return 1;
        }
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    return len;
}

/* Columns a code point takes: East Asian Wide and Fullwidth ranges (the
 * CJK blocks, Hangul, kana, fullwidth forms, most emoji) take two,
 * combining marks and zero-width characters none. */
static size_t columns_of(uint32_t c)
{
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || c == 0xFE0F ||
        (c >= 0x20D0 && c <= 0x20FF))
        return 0;
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
        (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
        (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD))
        return 2;
    return 1;
}

/* Terminal columns of a UTF-8 string. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    uint32_t cp;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        p += decode(p, &cp);
        n += columns_of(cp);
    }
    return n;
}

/* Byte offset of the longest prefix of s that fits in `columns`. */
static size_t offset_of(const char *s, size_t columns)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0;
    while (*p) {
        uint32_t cp;
        size_t len = decode(p, &cp), w = columns_of(cp);
        if (used + w > columns) break;
        used += w;
        p += len;
    }
    return (size_t)(p - (const unsigned char *)s);
}

char *kith_cli_render_value(const cJSON *v)
{
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    return cJSON_PrintUnformatted(v);
}

char *kith_cli_render_clip(char *s, size_t width)
{
    if (!s) return NULL;
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    if (text_width(s) <= width) return s;

    size_t keep = offset_of(s, width > ellipsis_width ? width - ellipsis_width : 0);
    size_t elen = strlen(ellipsis);
    char *cut = malloc(keep + elen + 1);
    if (cut) {
        memcpy(cut, s, keep);
        memcpy(cut + keep, ellipsis, elen + 1);
    }
    free(s);
    return cut;
}

/* Writes one CSV field: quoted (quotes doubled) when it holds a comma, a
 * quote or a line break, as RFC 4180 asks; as is otherwise. */
static void put_csv_field(FILE *out, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Shrinks columns until the table fits table_width: always the widest
 * one, by one column at a time, so long notes give way before short ids;
 * none goes below KITH_CLI_CELL_MIN (or its own width when narrower). */
static void fit_widths(size_t *width, size_t ncols)
{
    if (!table_width) return;
    size_t total = 2 * (ncols - 1);
    for (size_t j = 0; j < ncols; j++)
        total += width[j];
    while (total > table_width) {
        size_t widest = ncols;
        for (size_t j = 0; j < ncols; j++)
            if (width[j] > KITH_CLI_CELL_MIN && (widest == ncols || width[j] > width[widest]))
                widest = j;
        if (widest == ncols) return; /* as narrow as it gets: let it wrap */
        width[widest]--;
        total--;
    }
}

int kith_cli_render_time(const char *iso, int seconds, char *out, size_t size)
{
    int64_t ms;
    struct tm tm;
    if (!iso || kith_time_parse_iso(iso, &ms) < 0) return KITH_EPARAMS;
    /* Floor division: a time before 1970 still rounds down to its second. */
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    if (!localtime_r(&secs, &tm) ||
        strftime(out, size, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm) == 0)
        return KITH_EPARAMS;
    return 0;
}

static void print_padded(FILE *out, const char *s, size_t width, int right)
{
    size_t pad = width - text_width(s);
    if (right) fprintf(out, "%*s", (int)pad, "");
    fputs(s, out);
    if (!right) fprintf(out, "%*s", (int)pad, "");
}

/* One table line, without trailing blanks: it stops after its last
 * non-empty cell, and that cell gets no padding when left-aligned. */
static void print_row(FILE *out, char *const *cells, const size_t *width, const int *numeric,
                      size_t ncols)
{
    while (ncols > 1 && cells[ncols - 1][0] == '\0')
        ncols--;
    for (size_t j = 0; j < ncols; j++) {
        int last = j + 1 == ncols;
        if (last && !numeric[j])
            fputs(cells[j], out);
        else
            print_padded(out, cells[j], width[j], numeric[j]);
        fputs(last ? "\n" : "  ", out);
    }
}

/* Collects the union of the rows' keys in first-seen order.  The names are
 * borrowed from `rows`.  Returns 0 or KITH_ENOMEM. */
static int collect_columns(const cJSON *rows, const char ***cols, size_t *ncols)
{
    const char **names = NULL;
    size_t n = 0, cap = 0;
    const cJSON *row, *field;
    cJSON_ArrayForEach(row, rows)
    {
        if (!cJSON_IsObject(row)) continue;
        cJSON_ArrayForEach(field, row)
        {
            size_t j = 0;
            while (j < n && strcmp(names[j], field->string) != 0)
                j++;
            if (j < n) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                const char **grown = realloc(names, cap * sizeof(*names));
                if (!grown) {
                    free(names);
                    return KITH_ENOMEM;
                }
                names = grown;
            }
            names[n++] = field->string;
        }
    }
    *cols = names;
    *ncols = n;
    return 0;
}

/* The text of row `row`'s cell in column `col`: "" for missing or null. */
static char *cell_text(const cJSON *row, const char *col)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, col);
    return (!v || cJSON_IsNull(v)) ? strdup("") : kith_cli_render_value(v);
}

static int render_csv(FILE *out, const cJSON *rows, const char **cols, size_t ncols)
{
    for (size_t j = 0; j < ncols; j++) {
        if (j) fputc(',', out);
        put_csv_field(out, cols[j]);
    }
    fputc('\n', out);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        for (size_t j = 0; j < ncols; j++) {
            char *text = cell_text(row, cols[j]);
            if (!text) return KITH_ENOMEM;
            if (j) fputc(',', out);
            put_csv_field(out, text);
            free(text);
        }
        fputc('\n', out);
    }
    return 0;
}

int kith_cli_render_table(FILE *out, const cJSON *rows)
{
    const char **cols;
    size_t ncols;
    if (collect_columns(rows, &cols, &ncols) < 0) return KITH_ENOMEM;
    if (ncols == 0) {
        /* Only empty objects: a table of no columns would print nothing. */
        for (int k = cJSON_GetArraySize(rows); k > 0; k--)
            fputs(csv_output ? "\n" : "{}\n", out);
        free(cols);
        return 0;
    }
    if (csv_output) {
        int rc = render_csv(out, rows, cols, ncols);
        free(cols);
        return rc;
    }
    size_t nrows = (size_t)cJSON_GetArraySize(rows);
    /* cells holds the header line, the dashes under it, then the rows. */
    size_t nlines = nrows + 2;
    char **cells = calloc(nlines * ncols + 1, sizeof(*cells));
    size_t *width = calloc(ncols + 1, sizeof(*width));
    int *numeric = calloc(ncols + 1, sizeof(*numeric));
    int rc = KITH_ENOMEM;
    if (!cells || !width || !numeric) goto done;

    /* Whole cells first (control characters made spaces), to learn each
     * column's natural width; then the widths that fit, then the cuts. */
    for (size_t j = 0; j < ncols; j++) {
        if (!(cells[j] = kith_cli_render_clip(strdup(cols[j]), (size_t)-1))) goto done;
        width[j] = text_width(cells[j]);
        numeric[j] = 1;
    }
    size_t i = 2;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        for (size_t j = 0; j < ncols; j++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, cols[j]);
            char *cell = kith_cli_render_clip(cell_text(row, cols[j]), (size_t)-1);
            if (!cell) goto done;
            cells[i * ncols + j] = cell;
            if (text_width(cell) > width[j]) width[j] = text_width(cell);
            /* Numbers read best right-aligned, but only when the whole
             * column is numbers (empty cells do not count). */
            if (v && !cJSON_IsNull(v) && !cJSON_IsNumber(v)) numeric[j] = 0;
        }
        i++;
    }
    fit_widths(width, ncols);
    for (size_t k = 0; k < nlines * ncols; k++) {
        if (k >= ncols && k < 2 * ncols) continue; /* the dashes, below */
        if (!(cells[k] = kith_cli_render_clip(cells[k], width[k % ncols]))) goto done;
    }
    for (size_t j = 0; j < ncols; j++) {
        char *dashes = malloc(width[j] + 1);
        if (!dashes) goto done;
        memset(dashes, '-', width[j]);
        dashes[width[j]] = '\0';
        cells[ncols + j] = dashes;
    }
    for (size_t line = 0; line < nlines; line++)
        print_row(out, cells + line * ncols, width, numeric, ncols);
    rc = 0;

done:
    if (cells)
        for (size_t k = 0; k < nlines * ncols; k++)
            free(cells[k]);
    free(cells);
    free(width);
    free(numeric);
    free(cols);
    return rc;
}

static int print_value_line(FILE *out, const char *key, const cJSON *v)
{
    char *text = kith_cli_render_value(v);
    if (!text) return KITH_ENOMEM;
    if (csv_output && !key) {
        put_csv_field(out, cJSON_IsNull(v) ? "" : text);
        fputc('\n', out);
    } else if (key)
        fprintf(out, "%s: %s\n", key, text);
    else
        fprintf(out, "%s\n", text);
    free(text);
    return 0;
}

static int render_array(FILE *out, const cJSON *array)
{
    if (cJSON_GetArraySize(array) == 0) {
        if (!csv_output) fputs("(none)\n", out); /* CSV: no rows, no line */
        return 0;
    }
    const cJSON *el;
    int all_objects = 1;
    cJSON_ArrayForEach(el, array)
    {
        if (!cJSON_IsObject(el)) all_objects = 0;
    }
    if (all_objects) return kith_cli_render_table(out, array);
    /* Names (segment.of), mixed values: one per line reads best. */
    cJSON_ArrayForEach(el, array)
    {
        if (print_value_line(out, NULL, el) < 0) return KITH_ENOMEM;
    }
    return 0;
}

static int render_object(FILE *out, const cJSON *obj)
{
    if (csv_output) { /* a table of one row */
        cJSON *rows = cJSON_CreateArray();
        int rc = rows && cJSON_AddItemReferenceToArray(rows, (cJSON *)obj)
                     ? kith_cli_render_table(out, rows)
                     : KITH_ENOMEM;
        cJSON_Delete(rows);
        return rc;
    }
    if (!obj->child) {
        fputs("{}\n", out);
        return 0;
    }
    const cJSON *field;
    cJSON_ArrayForEach(field, obj)
    {
        if (print_value_line(out, field->string, field) < 0) return KITH_ENOMEM;
    }
    return 0;
}

/* A list result is `{"items": [...], "next_cursor": ...}`, maybe with more
 * members, which are shown after the table. */
static int is_list(const cJSON *v)
{
    return cJSON_IsObject(v) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(v, "items")) &&
           cJSON_HasObjectItem(v, "next_cursor");
}

static int render_list(FILE *out, const cJSON *list)
{
    int rc = render_array(out, cJSON_GetObjectItemCaseSensitive(list, "items"));
    if (rc < 0) return rc;
    const cJSON *field;
    cJSON_ArrayForEach(field, list)
    {
        /* A null cursor means the last page: nothing to say.  CSV keeps
         * stdout to the rows; the rest goes where a person still sees it. */
        if (strcmp(field->string, "items") == 0 || cJSON_IsNull(field)) continue;
        if (print_value_line(csv_output ? stderr : out, field->string, field) < 0)
            return KITH_ENOMEM;
    }
    return 0;
}

int kith_cli_render_result(FILE *out, const cJSON *result, int as_json)
{
    if (as_json) {
        char *text = cJSON_PrintUnformatted(result);
        if (!text) return KITH_ENOMEM;
        fprintf(out, "%s\n", text);
        free(text);
        return 0;
    }
    if (is_list(result)) return render_list(out, result);
    if (cJSON_IsArray(result)) return render_array(out, result);
    if (cJSON_IsObject(result)) return render_object(out, result);
    return print_value_line(out, NULL, result);
}

void kith_cli_render_error(FILE *out, const cJSON *error)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(data, "kind");
    const cJSON *param = cJSON_GetObjectItemCaseSensitive(data, "param");
    const cJSON *script = cJSON_GetObjectItemCaseSensitive(data, "script");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(data, "line");

    fputs("error", out);
    if (cJSON_IsNumber(code)) fprintf(out, " %d", code->valueint);
    if (cJSON_IsString(kind)) fprintf(out, " (%s)", kind->valuestring);
    fprintf(out, ": %s\n", cJSON_IsString(message) ? message->valuestring : "(no message)");
    if (cJSON_IsString(param)) fprintf(out, "param: %s\n", param->valuestring);
    if (cJSON_IsString(script)) {
        if (cJSON_IsNumber(line))
            fprintf(out, "script: %s:%d\n", script->valuestring, line->valueint);
        else
            fprintf(out, "script: %s\n", script->valuestring);
    }
}
