/*
 * Words to JSON-RPC params for the kith client.
 *
 * `key=value` words become one params object.  A value is sent as JSON when
 * the whole value is a valid JSON text (RFC 8259), and as a plain string
 * otherwise: `n=5` is a number, `ok=true` a boolean, `tags='["vip"]'` an
 * array, `name=Ada` a string.  Keys are kept literal; `a.b=1` sets the key
 * "a.b", it does not build a nested object.
 *
 * The interactive prompt gets its words from kith_cli_words_split(), which
 * splits a line the way a POSIX shell would (single quotes, double quotes,
 * backslash), so a line typed at the prompt means what the same words mean
 * on the command line.
 *
 * Talking to the server and printing results are left to conn.c and
 * render.c; nothing here does I/O.
 */
#ifndef KITH_CLI_ARGS_H
#define KITH_CLI_ARGS_H

#include <cJSON.h>

#include <stddef.h>

/* Returns 1 when `text` is exactly one valid JSON text (surrounding
 * whitespace allowed), 0 otherwise.  Stricter than cJSON: `0123`, `5.`,
 * `[1,]` and raw control characters inside strings are not JSON. */
int kith_cli_args_is_json(const char *text);

/* Converts one value word: parsed JSON when kith_cli_args_is_json(text),
 * else a JSON string holding `text` unchanged.  Returns 0 with *out owned
 * by the caller (free with cJSON_Delete), or KITH_ENOMEM. */
int kith_cli_args_value(const char *text, cJSON **out);

/* Builds a params object from `argc` words of the form key=value (split at
 * the first '=').  Returns 0 with *params owned by the caller (an object,
 * empty when argc is 0), KITH_EPARAMS when a word has no '=', an empty key,
 * or repeats a key (a message goes to err, which may be NULL), or
 * KITH_ENOMEM.  Borrows argv. */
int kith_cli_args_parse(int argc, char *const *argv, cJSON **params, char *err, size_t errlen);

/* Matches the word argv[*i] against the option `name` (like "--since"),
 * which takes a value.  Returns 0 when it is another word; 1 when it
 * matches, with *value set from "--name=VALUE" or the next word (*i is then
 * advanced past it); KITH_EPARAMS, with a message in err, when the value is
 * missing.  Borrows argv; *value points into it. */
int kith_cli_args_option(int argc, char *const *argv, int *i, const char *name, const char **value,
                         char *err, size_t errlen);

/* A line split into words; argv[argc] is NULL.  Caller-owned: _init before
 * use, _release when done (release also makes it reusable). */
typedef struct kith_cli_words {
    int argc;
    char **argv;
} kith_cli_words;

void kith_cli_words_init(kith_cli_words *w);
void kith_cli_words_release(kith_cli_words *w);

/* Splits `line` into words, appending them to `w`.  Outside quotes,
 * whitespace separates words and a backslash takes the next character
 * literally; '...' keeps everything literally; "..." keeps everything but
 * lets \" and \\ stand for " and \.  Adjacent pieces join into one word
 * (name="Ada L" is the word `name=Ada L`).  Returns 0, KITH_EPARAMS for an
 * unterminated quote (message to err, which may be NULL), or KITH_ENOMEM;
 * on failure `w` keeps the words it had before the call. */
int kith_cli_words_split(kith_cli_words *w, const char *line, char *err, size_t errlen);

#endif
