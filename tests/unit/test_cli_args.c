/*
 * Unit test for the kith client's word parsing (core/cli/args.c): which
 * values are sent as JSON and which as strings, how key=value words become
 * params, and how a prompt line splits into words.
 *
 * Unit tests link only kithcore, and the client's sources are not part of
 * it (they live in the `kith` executable, with libedit).  args.c depends on
 * nothing but cJSON and util/, so the test compiles it in directly rather
 * than moving client code into the server's library.
 */
#include "../../core/cli/args.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                       \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        failures++;                                                                                \
    } while (0)

static void check_is_json(int line, const char *text, int expected)
{
    int actual = kith_cli_args_is_json(text);
    if (actual != expected) {
        fprintf(stderr, "FAIL line %d: is_json(%s): expected %d, got %d\n", line, text, expected,
                actual);
        failures++;
    }
}

/* Splits `line` like the prompt does, parses the words as key=value and
 * compares the compact JSON of the params with `expected`; NULL expects
 * the parse to fail with KITH_EPARAMS. */
static void check_params(int line, const char *input, const char *expected)
{
    kith_cli_words w;
    kith_cli_words_init(&w);
    char err[256] = "";
    int rc = kith_cli_words_split(&w, input, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "FAIL line %d: split(%s) failed: %s\n", line, input, err);
        failures++;
        kith_cli_words_release(&w);
        return;
    }
    cJSON *params = NULL;
    rc = kith_cli_args_parse(w.argc, w.argv, &params, err, sizeof(err));
    char *actual = rc == 0 ? cJSON_PrintUnformatted(params) : NULL;
    if (!expected && rc != KITH_EPARAMS) {
        fprintf(stderr, "FAIL line %d: parse(%s): expected an error, got rc %d %s\n", line, input,
                rc, actual ? actual : "");
        failures++;
    } else if (!expected && err[0] == '\0') {
        fprintf(stderr, "FAIL line %d: parse(%s): the error has no message\n", line, input);
        failures++;
    } else if (expected && (!actual || strcmp(actual, expected) != 0)) {
        fprintf(stderr, "FAIL line %d: parse(%s):\n  expected %s\n  actual   %s (rc %d: %s)\n",
                line, input, expected, actual ? actual : "(none)", rc, err);
        failures++;
    }
    free(actual);
    cJSON_Delete(params);
    kith_cli_words_release(&w);
}

/* Splits `input` and compares the words, joined by '|', with `expected`;
 * NULL expects KITH_EPARAMS. */
static void check_split(int line, const char *input, const char *expected)
{
    kith_cli_words w;
    kith_cli_words_init(&w);
    char err[256] = "";
    int rc = kith_cli_words_split(&w, input, err, sizeof(err));
    kith_buf joined;
    kith_buf_init(&joined);
    kith_buf_appends(&joined, "");
    for (int i = 0; i < w.argc; i++)
        kith_buf_appendf(&joined, "%s%s", i ? "|" : "", w.argv[i]);
    if (!expected && (rc != KITH_EPARAMS || w.argc != 0)) {
        fprintf(stderr, "FAIL line %d: split(%s): expected an error, got rc %d [%s]\n", line, input,
                rc, joined.data);
        failures++;
    } else if (expected && (rc != 0 || strcmp(joined.data, expected) != 0)) {
        fprintf(stderr, "FAIL line %d: split(%s):\n  expected [%s]\n  actual   [%s] (rc %d)\n",
                line, input, expected, joined.data, rc);
        failures++;
    }
    if (w.argc > 0 && w.argv[w.argc] != NULL) FAIL("split(%s): argv is not NULL-terminated", input);
    kith_buf_release(&joined);
    kith_cli_words_release(&w);
}

static void test_is_json(void)
{
    check_is_json(__LINE__, "5", 1);
    check_is_json(__LINE__, "-0", 1);
    check_is_json(__LINE__, "1.5e+3", 1);
    check_is_json(__LINE__, " 7 ", 1);
    check_is_json(__LINE__, "true", 1);
    check_is_json(__LINE__, "null", 1);
    check_is_json(__LINE__, "\"x\"", 1);
    check_is_json(__LINE__, "\"caf\\u00e9\"", 1);
    check_is_json(__LINE__, "[]", 1);
    check_is_json(__LINE__, "[[1, [2]], {}]", 1);
    check_is_json(__LINE__, "{\"a\": {\"b\": [1, \"x\", null]}}", 1);
    /* Not JSON, so they stay strings: cJSON alone would take some of them. */
    check_is_json(__LINE__, "", 0);
    check_is_json(__LINE__, "0123", 0);
    check_is_json(__LINE__, "5.", 0);
    check_is_json(__LINE__, ".5", 0);
    check_is_json(__LINE__, "+1", 0);
    check_is_json(__LINE__, "0x10", 0);
    check_is_json(__LINE__, "1e", 0);
    check_is_json(__LINE__, "tru", 0);
    check_is_json(__LINE__, "nullx", 0);
    check_is_json(__LINE__, "Ada", 0);
    check_is_json(__LINE__, "[1,]", 0);
    check_is_json(__LINE__, "[1", 0);
    check_is_json(__LINE__, "{a:1}", 0);
    check_is_json(__LINE__, "{\"a\"}", 0);
    check_is_json(__LINE__, "\"a\nb\"", 0);
    check_is_json(__LINE__, "\"bad \\x escape\"", 0);
    check_is_json(__LINE__, "1 2", 0);
}

static void test_params(void)
{
    check_params(__LINE__, "", "{}");
    check_params(__LINE__, "name=Ada", "{\"name\":\"Ada\"}");
    check_params(__LINE__, "id=5 ok=true gone=null", "{\"id\":5,\"ok\":true,\"gone\":null}");
    check_params(__LINE__, "amount=12.5", "{\"amount\":12.5}");
    check_params(__LINE__, "points=-20", "{\"points\":-20}");
    check_params(__LINE__, "tags='[\"vip\",\"new\"]'", "{\"tags\":[\"vip\",\"new\"]}");
    check_params(__LINE__, "attrs='{\"plan\":{\"seats\":3}}'",
                 "{\"attrs\":{\"plan\":{\"seats\":3}}}");
    /* A quoted JSON string forces a string that looks like a number. */
    check_params(__LINE__, "phone='\"5551234\"'", "{\"phone\":\"5551234\"}");
    check_params(__LINE__, "zip=0123", "{\"zip\":\"0123\"}");
    check_params(__LINE__, "phone=+4420", "{\"phone\":\"+4420\"}");
    check_params(__LINE__, "huge=1e999", "{\"huge\":\"1e999\"}");
    check_params(__LINE__, "note=", "{\"note\":\"\"}");
    check_params(__LINE__, "name=\"Ada Lovelace\"", "{\"name\":\"Ada Lovelace\"}");
    check_params(__LINE__, "expr=a=b", "{\"expr\":\"a=b\"}");
    check_params(__LINE__, "filter.tag=vip", "{\"filter.tag\":\"vip\"}");
    check_params(__LINE__, "summary='[not json'", "{\"summary\":\"[not json\"}");
    check_params(__LINE__, "key:=5", "{\"key:\":5}");
    check_params(__LINE__, "lonely", NULL);
    check_params(__LINE__, "=5", NULL);
    check_params(__LINE__, "a=1 a=2", NULL);
}

static void test_split(void)
{
    check_split(__LINE__, "", "");
    check_split(__LINE__, "   \t ", "");
    check_split(__LINE__, "  system.ping  ", "system.ping");
    check_split(__LINE__, "customer.create name=\"Ada L\" tags='[\"vip\"]'",
                "customer.create|name=Ada L|tags=[\"vip\"]");
    check_split(__LINE__, "a\\ b c", "a b|c");
    check_split(__LINE__, "x='' y", "x=|y");
    check_split(__LINE__, "''", "");
    check_split(__LINE__, "say=\"he said \\\"hi\\\" \\\\o/\"", "say=he said \"hi\" \\o/");
    check_split(__LINE__, "path='C:\\dir'", "path=C:\\dir");
    check_split(__LINE__, "\"keep \\n as is\"", "keep \\n as is");
    check_split(__LINE__, "name=\"Ada", NULL);
    check_split(__LINE__, "name='Ada", NULL);

    /* A failed split leaves the words from earlier calls in place. */
    kith_cli_words w;
    kith_cli_words_init(&w);
    if (kith_cli_words_split(&w, "one two", NULL, 0) != 0 || w.argc != 2)
        FAIL("split(one two): expected 2 words, got %d", w.argc);
    if (kith_cli_words_split(&w, "three 'four", NULL, 0) != KITH_EPARAMS)
        FAIL("split(three 'four): expected KITH_EPARAMS");
    if (w.argc != 2 || strcmp(w.argv[1], "two") != 0 || w.argv[2] != NULL)
        FAIL("after a failed split: expected [one two], got %d words", w.argc);
    kith_cli_words_release(&w);
    if (w.argc != 0 || w.argv != NULL) FAIL("release does not leave the words empty");
}

int main(void)
{
    test_is_json();
    test_params();
    test_split();
    if (failures) {
        fprintf(stderr, "test_cli_args: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_cli_args: ok\n");
    return 0;
}
