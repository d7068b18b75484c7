/*
 * Words to JSON-RPC params: see args.h for the rules a user relies on.
 *
 * The JSON check is a small recursive-descent scanner rather than a cJSON
 * parse on its own, because cJSON is lenient where it hurts a command line:
 * it reads `0123` as 123 and `5.` as 5, so a zip code or a phone number
 * would silently become a different value.  Only text the scanner accepts is
 * handed to cJSON to build the tree.  The scanner checks grammar, not UTF-8;
 * the server rejects invalid UTF-8 itself.
 *
 * This file depends on nothing but cJSON and util/ so the unit test can
 * compile it directly (tests/unit/test_cli_args.c).
 */
#include "cli/args.h"
#include "util/buf.h"
#include "util/error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting than this is refused as JSON (and so sent as a string);
 * it stays under cJSON's own limit, so the scanner never accepts text that
 * cJSON would then refuse for depth. */
#define MAX_DEPTH 512

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- the strict JSON scanner ----
 * Each scan_* function takes a pointer to the first byte of its token and
 * returns the byte after it, or NULL when the text is not valid there. */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *scan_value(const char *p, int depth);

static const char *scan_string(const char *p)
{
    p++; /* the opening quote */
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        /* Control characters, including the terminating NUL, must be
         * escaped inside a JSON string. */
        if (c < 0x20) return NULL;
        if (c != '\\') {
            p++;
            continue;
        }
        p++;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't': p++; break;
        case 'u':
            for (int i = 1; i <= 4; i++)
                if (!is_hex(p[i])) return NULL;
            p += 5;
            break;
        default: return NULL;
        }
    }
}

static const char *scan_number(const char *p)
{
    if (*p == '-') p++;
    if (*p == '0') {
        p++; /* a leading zero stands alone: 0123 is not a number */
    } else if (*p >= '1' && *p <= '9') {
        while (is_digit(*p))
            p++;
    } else {
        return NULL;
    }
    if (*p == '.') {
        p++;
        if (!is_digit(*p)) return NULL;
        while (is_digit(*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!is_digit(*p)) return NULL;
        while (is_digit(*p))
            p++;
    }
    return p;
}

static const char *scan_word(const char *p, const char *word)
{
    size_t n = strlen(word);
    return strncmp(p, word, n) == 0 ? p + n : NULL;
}

static const char *scan_container(const char *p, int depth)
{
    int object = *p == '{';
    char close = object ? '}' : ']';
    if (depth >= MAX_DEPTH) return NULL;
    p = skip_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
        if (object) {
            if (*p != '"') return NULL;
            if (!(p = scan_string(p))) return NULL;
            p = skip_ws(p);
            if (*p != ':') return NULL;
            p = skip_ws(p + 1);
        }
        if (!(p = scan_value(p, depth + 1))) return NULL;
        p = skip_ws(p);
        if (*p == close) return p + 1;
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
    }
}

static const char *scan_value(const char *p, int depth)
{
    switch (*p) {
    case '"': return scan_string(p);
    case '{':
    case '[': return scan_container(p, depth);
    case 't': return scan_word(p, "true");
    case 'f': return scan_word(p, "false");
    case 'n': return scan_word(p, "null");
    default: return scan_number(p);
    }
}

int kith_cli_args_is_json(const char *text)
{
    const char *end = scan_value(skip_ws(text), 0);
    return end != NULL && *skip_ws(end) == '\0';
}

/* ---- values and params ---- */

int kith_cli_args_value(const char *text, cJSON **out)
{
    cJSON *v = NULL;
    if (kith_cli_args_is_json(text)) {
        v = cJSON_Parse(text);
        /* 1e999 is valid JSON, but as a double it is infinity, which cJSON
         * would send as null; the user's text is kept as a string instead.
         * The same fallback covers what cJSON cannot represent, such as a
         * lone UTF-16 surrogate escape. */
        if (v && cJSON_IsNumber(v) && !isfinite(v->valuedouble)) {
            cJSON_Delete(v);
            v = NULL;
        }
    }
    if (!v) v = cJSON_CreateString(text);
    if (!v) return KITH_ENOMEM;
    *out = v;
    return 0;
}

int kith_cli_args_parse(int argc, char *const *argv, cJSON **params, char *err, size_t errlen)
{
    int rc = 0;
    char *key = NULL;
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return KITH_ENOMEM;

    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        const char *eq = strchr(word, '=');
        if (!eq) {
            set_err(err, errlen, "expected key=value, got '%s'", word);
            rc = KITH_EPARAMS;
            goto fail;
        }
        if (eq == word) {
            set_err(err, errlen, "missing the key before '=' in '%s'", word);
            rc = KITH_EPARAMS;
            goto fail;
        }
        if (!(key = strndup(word, (size_t)(eq - word)))) {
            rc = KITH_ENOMEM;
            goto fail;
        }
        /* A repeated key is almost always a typo; letting the last one win
         * would silently drop what the user typed first. */
        if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
            set_err(err, errlen, "the key '%s' is given twice", key);
            rc = KITH_EPARAMS;
            goto fail;
        }
        cJSON *value;
        if ((rc = kith_cli_args_value(eq + 1, &value)) < 0) goto fail;
        if (!cJSON_AddItemToObject(obj, key, value)) {
            cJSON_Delete(value);
            rc = KITH_ENOMEM;
            goto fail;
        }
        free(key);
        key = NULL;
    }
    *params = obj;
    return 0;

fail:
    free(key);
    cJSON_Delete(obj);
    return rc;
}

int kith_cli_args_option(int argc, char *const *argv, int *i, const char *name, const char **value,
                         char *err, size_t errlen)
{
    const char *word = argv[*i];
    size_t n = strlen(name);
    if (strncmp(word, name, n) != 0 || (word[n] != '\0' && word[n] != '=')) return 0;
    if (word[n] == '=') {
        *value = word + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        set_err(err, errlen, "%s needs a value", name);
        return KITH_EPARAMS;
    }
    *value = argv[++*i];
    return 1;
}

/* ---- shell-like word splitting ---- */

void kith_cli_words_init(kith_cli_words *w)
{
    w->argc = 0;
    w->argv = NULL;
}

void kith_cli_words_release(kith_cli_words *w)
{
    for (int i = 0; i < w->argc; i++)
        free(w->argv[i]);
    free(w->argv);
    kith_cli_words_init(w);
}

static int push_word(kith_cli_words *w, const char *text)
{
    char *copy = strdup(text);
    if (!copy) return KITH_ENOMEM;
    char **argv = realloc(w->argv, sizeof(*argv) * ((size_t)w->argc + 2));
    if (!argv) {
        free(copy);
        return KITH_ENOMEM;
    }
    w->argv = argv;
    w->argv[w->argc++] = copy;
    w->argv[w->argc] = NULL;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int kith_cli_words_split(kith_cli_words *w, const char *line, char *err, size_t errlen)
{
    int rc = 0;
    int had = w->argc;
    kith_buf word;
    kith_buf_init(&word);
    const char *p = line;

    for (;;) {
        while (is_space(*p))
            p++;
        if (*p == '\0') break;
        kith_buf_clear(&word);
        /* A word ends at unquoted whitespace; quotes only change how the
         * characters inside them are read, so '' still makes a word. */
        while (*p != '\0' && !is_space(*p)) {
            const char *from = p;
            size_t n;
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    set_err(err, errlen, "unterminated ' quote");
                    rc = KITH_EPARAMS;
                    goto fail;
                }
                from = p + 1;
                n = (size_t)(end - from);
                p = end + 1;
            } else if (*p == '"') {
                p++;
                for (;;) {
                    if (*p == '\0') {
                        set_err(err, errlen, "unterminated \" quote");
                        rc = KITH_EPARAMS;
                        goto fail;
                    }
                    if (*p == '"') break;
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
                    if ((rc = kith_buf_append(&word, p, 1)) < 0) goto fail;
                    p++;
                }
                p++;
                continue;
            } else if (*p == '\\' && p[1] != '\0') {
                from = p + 1;
                n = 1;
                p += 2;
            } else {
                n = 1;
                p++;
            }
            if ((rc = kith_buf_append(&word, from, n)) < 0) goto fail;
        }
        /* An empty quoted word ('') has never touched the buffer. */
        if ((rc = push_word(w, word.data ? kith_buf_head(&word) : "")) < 0) goto fail;
    }
    kith_buf_release(&word);
    return 0;

fail:
    kith_buf_release(&word);
    while (w->argc > had)
        free(w->argv[--w->argc]);
    if (w->argv) w->argv[w->argc] = NULL;
    return rc;
}
