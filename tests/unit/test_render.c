/*
 * Unit test for the kith client's tables (core/cli/render.c): fitting a
 * width by shrinking the widest columns first, cutting cells with an
 * ellipsis, whole cells when there is no limit, and CSV with RFC 4180
 * quoting.
 *
 * The client's sources are not part of kithcore (they live in the `kith`
 * executable, with libedit); render.c needs only cJSON and util/, so the
 * test compiles it in directly, as test_cli_args.c does with args.c.
 */
#include "../../core/cli/render.c"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Renders `json` (a result) into a string: owned, free(). */
static char *render(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!v || !out) abort();
    CHECK_INT(kith_cli_render_result(out, v, 0), 0);
    fclose(out);
    cJSON_Delete(v);
    return text;
}

/* The widest line of `text`, in code points. */
static size_t widest_line(const char *text)
{
    size_t widest = 0, n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            if (n > widest) widest = n;
            n = 0;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            n++;
        }
    }
    return n > widest ? n : widest;
}

/* Line `index` (0-based) of text, copied into buf. */
static const char *line_of(const char *text, int index, char *buf, size_t size)
{
    for (; index > 0 && text; index--) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    if (!text) return "";
    size_t n = strcspn(text, "\n");
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), text);
    return buf;
}

static const char *const rows =
    "{\"items\":[{\"id\":1,\"name\":\"Ada\",\"note\":\"" /* note: 60 characters */
    "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffff\"},"
    "{\"id\":22,\"name\":\"Grace Hopper\",\"note\":null}],\"next_cursor\":null}";

static void test_no_limit_keeps_cells_whole(void)
{
    kith_cli_render_set_width(0);
    char *t = render(rows);
    char buf[256];
    CHECK_STR(line_of(t, 0, buf, sizeof(buf)), "id  name          note");
    CHECK(strstr(t, "ffffffffff\n") != NULL); /* the 60 characters, whole */
    CHECK(strstr(t, "...") == NULL);
    free(t);
}

static void test_fits_the_width_cutting_the_widest_column(void)
{
    kith_cli_render_set_utf8(0);
    kith_cli_render_set_width(40);
    char *t = render(rows);
    char buf[256];
    CHECK(widest_line(t) <= 40);
    /* id (2) and name (12) keep their width; note takes what is left:
     * 40 - 2 - 12 - 2 * 2 separators = 22 columns, 19 kept + "...". */
    CHECK_STR(line_of(t, 0, buf, sizeof(buf)), "id  name          note");
    CHECK_STR(line_of(t, 1, buf, sizeof(buf)), "--  ------------  ----------------------");
    CHECK_STR(line_of(t, 2, buf, sizeof(buf)), " 1  Ada           aaaaaaaaaabbbbbbbbb...");
    CHECK_STR(line_of(t, 3, buf, sizeof(buf)), "22  Grace Hopper");
    free(t);

    /* UTF-8 terminals get a one-column ellipsis. */
    kith_cli_render_set_utf8(1);
    t = render(rows);
    CHECK_STR(line_of(t, 2, buf, sizeof(buf)),
              " 1  Ada           aaaaaaaaaabbbbbbbbbbc\xe2\x80\xa6");
    CHECK(widest_line(t) <= 40);
    free(t);
    kith_cli_render_set_utf8(0);
}

static void test_shrinks_the_widest_first_then_together(void)
{
    /* a: 30, b: 20; fitting 36 takes a down to b's size first, then both
     * shrink together: 36 - 2 = 34 = 17 + 17. */
    const char *two = "[{\"a\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"b\":\"bbbbbbbbbbbbbbbbbbbb\"}]";
    kith_cli_render_set_width(36);
    char *t = render(two);
    char buf[256];
    CHECK_STR(line_of(t, 1, buf, sizeof(buf)), "-----------------  -----------------");
    CHECK_STR(line_of(t, 2, buf, sizeof(buf)), "aaaaaaaaaaaaaa...  bbbbbbbbbbbbbb...");
    free(t);

    /* Only the long one gives way when that is enough. */
    kith_cli_render_set_width(45);
    t = render(two);
    CHECK_STR(line_of(t, 2, buf, sizeof(buf)), "aaaaaaaaaaaaaaaaaaaa...  bbbbbbbbbbbbbbbbbbbb");
    CHECK(widest_line(t) <= 45);
    free(t);
}

static void test_never_below_the_minimum(void)
{
    kith_cli_render_set_width(10);
    char *t = render(rows);
    char buf[256];
    /* Too narrow for anything: columns stop at KITH_CLI_CELL_MIN (id is
     * narrower already), and the line wraps on the terminal. */
    CHECK_STR(line_of(t, 1, buf, sizeof(buf)), "--  ------  ------");
    CHECK_STR(line_of(t, 3, buf, sizeof(buf)), "22  Gra...");
    free(t);
}

static void test_control_characters_become_spaces(void)
{
    kith_cli_render_set_width(0);
    char *t = render("[{\"note\":\"two\\nlines\\tand a tab\"}]");
    char buf[256];
    CHECK_STR(line_of(t, 2, buf, sizeof(buf)), "two lines and a tab");
    free(t);
}

static void test_csv(void)
{
    kith_cli_render_set_csv(1);
    kith_cli_render_set_width(20); /* CSV ignores the width */
    char *t =
        render("{\"items\":[{\"id\":1,\"name\":\"Ada, \\\"the\\\" Countess\",\"tags\":[\"vip\"]},"
               "{\"id\":2,\"name\":\"two\\nlines\",\"note\":\"plain\"},{\"id\":3,\"name\":null}],"
               "\"next_cursor\":null}");
    CHECK_STR(t, "id,name,tags,note\n"
                 "1,\"Ada, \"\"the\"\" Countess\",\"[\"\"vip\"\"]\",\n"
                 "2,\"two\nlines\",,plain\n"
                 "3,,,\n");
    free(t);

    /* A record is a table of one row; names one per line; no rows, nothing. */
    t = render("{\"id\":7,\"attrs\":{\"a\":1}}");
    CHECK_STR(t, "id,attrs\n7,\"{\"\"a\"\":1}\"\n");
    free(t);
    t = render("[\"new_customers\",\"a,b\"]");
    CHECK_STR(t, "new_customers\n\"a,b\"\n");
    free(t);
    t = render("{\"items\":[],\"next_cursor\":null}");
    CHECK_STR(t, "");
    free(t);
    kith_cli_render_set_csv(0);
    kith_cli_render_set_width(0);
}

static void test_term_width(void)
{
    setenv("COLUMNS", "77", 1);
    CHECK_INT(kith_cli_render_term_width(), 77);
    setenv("COLUMNS", "wide", 1);
    if (!isatty(STDOUT_FILENO)) CHECK_INT(kith_cli_render_term_width(), 0);
    unsetenv("COLUMNS");
    if (!isatty(STDOUT_FILENO)) CHECK_INT(kith_cli_render_term_width(), 0);
}

/* Chinese (wide) characters take two columns: columns line up after them,
 * and a cut never splits a character or overshoots the width. */
static void test_wide_characters_take_two_columns(void)
{
    kith_cli_render_set_utf8(1);
    kith_cli_render_set_width(0);
    const char *cjk = "[{\"name\":\"\xe7\x8e\x8b\xe8\x8a\xb3\",\"x\":1},"
                      "{\"name\":\"Ada\",\"x\":2}]"; /* 王芳 */
    char *t = render(cjk);
    char buf[256];
    CHECK_STR(line_of(t, 0, buf, sizeof(buf)), "name  x");
    CHECK_STR(line_of(t, 1, buf, sizeof(buf)), "----  -");
    CHECK_STR(line_of(t, 2, buf, sizeof(buf)), "\xe7\x8e\x8b\xe8\x8a\xb3  1");
    CHECK_STR(line_of(t, 3, buf, sizeof(buf)), "Ada   2");
    free(t);
    /* 快递太慢了 (10 columns) cut to 5: two characters and the ellipsis. */
    char *s = strdup("\xe5\xbf\xab\xe9\x80\x92\xe5\xa4\xaa\xe6\x85\xa2\xe4\xba\x86");
    s = kith_cli_render_clip(s, 5);
    CHECK_STR(s, "\xe5\xbf\xab\xe9\x80\x92\xe2\x80\xa6");
    free(s);
    /* A combining accent takes no column: "e" + U+0301 fits in 1. */
    s = strdup("e\xcc\x81");
    s = kith_cli_render_clip(s, 1);
    CHECK_STR(s, "e\xcc\x81");
    free(s);
    kith_cli_render_set_utf8(0);
}

int main(void)
{
    test_no_limit_keeps_cells_whole();
    test_fits_the_width_cutting_the_widest_column();
    test_shrinks_the_widest_first_then_together();
    test_never_below_the_minimum();
    test_control_characters_become_spaces();
    test_csv();
    test_term_width();
    test_wide_characters_take_two_columns();
    return check_done();
}
