/*
 * The interactive prompt: see repl.h.
 *
 * libedit's readline interface calls its completion hooks without any user
 * data, so the rpc.discover document they complete from is held in
 * file-level variables while the prompt runs.  It is borrowed from the
 * session, which outlives the prompt.
 *
 * History is private: the file is created 0600 before libedit writes it,
 * and lines that call `auth` are never recorded, because they carry a
 * token.
 */
#include "cli/repl.h"
#include "cli/args.h"
#include "cli/help.h"
#include "util/error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#define PROMPT       "kith> "
#define HISTORY_FILE ".kith_history"
#define HISTORY_MAX  1000

static const cJSON *completion_doc;    /* rpc.discover, or NULL */
static const cJSON *completion_method; /* whose params are being completed */
static int completion_builtins;        /* offer help/call/quit/exit too */

static const char *const builtins[] = {"help",   "call", "subscribe", "tasks",
                                       "visits", "quit", "exit",      NULL};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- completion ---- */

static const cJSON *first_method(void)
{
    const cJSON *methods = cJSON_GetObjectItemCaseSensitive(completion_doc, "methods");
    return cJSON_IsArray(methods) ? methods->child : NULL;
}

/* readline generator: builtins, then method names, that start with text. */
static char *next_name(const char *text, int state)
{
    static size_t builtin, len;
    static const cJSON *method;
    if (state == 0) {
        builtin = 0;
        method = first_method();
        len = strlen(text);
    }
    while (completion_builtins && builtins[builtin]) {
        const char *name = builtins[builtin++];
        if (strncmp(name, text, len) == 0) return strdup(name);
    }
    for (; method; method = method->next) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(method, "name");
        if (cJSON_IsString(name) && strncmp(name->valuestring, text, len) == 0) {
            method = method->next;
            return strdup(name->valuestring);
        }
    }
    return NULL;
}

/* readline generator: "param=" for the current method's params. */
static char *next_param(const char *text, int state)
{
    static size_t len;
    static const cJSON *param;
    if (state == 0) {
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(completion_method, "params");
        param = cJSON_IsArray(params) ? params->child : NULL;
        len = strlen(text);
    }
    for (; param; param = param->next) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(param, "name");
        if (!cJSON_IsString(name) || strncmp(name->valuestring, text, len) != 0) continue;
        param = param->next;
        size_t n = strlen(name->valuestring);
        char *match = malloc(n + 2);
        if (match) {
            memcpy(match, name->valuestring, n);
            memcpy(match + n, "=", 2);
        }
        return match;
    }
    return NULL;
}

/* Counts the words that end before `start` and copies the first one. */
static int words_before(const char *line, int start, char *first, size_t firstlen)
{
    int n = 0, i = 0;
    first[0] = '\0';
    for (;;) {
        while (i < start && is_space(line[i]))
            i++;
        int from = i;
        while (i < start && !is_space(line[i]))
            i++;
        if (i == from || i >= start) return n;
        if (n++ == 0) snprintf(first, firstlen, "%.*s", i - from, line + from);
    }
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    /* Never fall back to completing file names: nothing here takes one. */
    rl_attempted_completion_over = 1;
    rl_completion_append_character = ' ';
    const char *line = rl_line_buffer ? rl_line_buffer : "";
    /* Only whole words are completed; text after '=' or a quote is a
     * value, and values are the user's. */
    if (start > 0 && !is_space(line[start - 1])) return NULL;

    char first[128];
    int n = words_before(line, start, first, sizeof(first));
    if (n == 0 || (n == 1 && (strcmp(first, "help") == 0 || strcmp(first, "call") == 0))) {
        completion_builtins = n == 0;
        return rl_completion_matches(text, next_name);
    }
    completion_method = kith_cli_help_find(completion_doc, first);
    if (!completion_method) return NULL;
    rl_completion_append_character = '\0'; /* the value follows the '=' */
    return rl_completion_matches(text, next_param);
}

/* ---- running lines ---- */

/* Runs one line; sets *quit for quit/exit.  Returns as
 * kith_cli_session_run() does (0 for a blank line). */
static int run_line(kith_cli_session *s, const char *line, int *quit)
{
    kith_cli_words w;
    kith_cli_words_init(&w);
    char err[128];
    int rc = kith_cli_words_split(&w, line, err, sizeof(err));
    if (rc == KITH_EPARAMS)
        fprintf(stderr, "kith: %s\n", err);
    else if (rc < 0)
        fprintf(stderr, "kith: %s\n", kith_strerror(rc));
    else if (w.argc > 0 && (strcmp(w.argv[0], "quit") == 0 || strcmp(w.argv[0], "exit") == 0))
        *quit = 1;
    else if (w.argc > 0)
        rc = kith_cli_session_run(s, w.argc, w.argv);
    kith_cli_words_release(&w);
    /* Keep results and errors in the order they happened when both go to
     * the same terminal or file. */
    fflush(stdout);
    return rc;
}

static int run_plain(kith_cli_session *s)
{
    char *line = NULL;
    size_t cap = 0;
    int last_failure = 0, quit = 0;
    while (!quit && getline(&line, &cap, stdin) >= 0) {
        int rc = run_line(s, line, &quit);
        if (rc == KITH_EIO) {
            last_failure = rc;
            break;
        }
        if (rc < 0) last_failure = rc;
    }
    free(line);
    return last_failure;
}

/* Returns ~/.kith_history (owned), or NULL when there is no home. */
static char *history_path(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    size_t n = strlen(home) + sizeof("/" HISTORY_FILE);
    char *path = malloc(n);
    if (path) snprintf(path, n, "%s/%s", home, HISTORY_FILE);
    return path;
}

static int is_auth_line(const char *line)
{
    while (is_space(*line))
        line++;
    return strncmp(line, "auth", 4) == 0 && (line[4] == '\0' || is_space(line[4]));
}

static int run_interactive(kith_cli_session *s)
{
    /* Completion is a convenience: without the document the prompt still
     * works, so only a lost connection stops here. */
    const cJSON *doc = NULL;
    int rc = kith_cli_session_discover(s, &doc);
    if (rc == KITH_EIO) return rc;
    completion_doc = rc == 0 ? doc : NULL;

    rl_readline_name = "kith";
    rl_attempted_completion_function = complete;
    using_history();
    stifle_history(HISTORY_MAX);
    char *path = history_path();
    if (path) {
        /* Create it private before libedit writes it with the umask. */
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) close(fd);
        read_history(path);
    }

    int quit = 0;
    rc = 0;
    while (!quit) {
        char *line = readline(PROMPT);
        if (!line) {
            fputc('\n', stdout); /* leave the shell's prompt on a line of its own */
            break;
        }
        const char *p = line;
        while (is_space(*p))
            p++;
        if (*p && !is_auth_line(p)) {
            add_history(line);
            /* Saved after every line: a prompt closed by Ctrl-C or a lost
             * terminal keeps what was typed. */
            if (path) write_history(path);
        }
        rc = run_line(s, line, &quit);
        free(line);
        /* The server drops a client silent for idle_timeout, and a prompt
         * is often silent: open a new connection rather than end.  The
         * line is not sent again: it may have reached the server. */
        if (rc == KITH_EIO && !quit && s->reopen) {
            kith_cli_conn_close(&s->conn);
            if (s->reopen(s, s->reopen_ud) == 0) {
                fputs("kith: the connection was lost and is open again; run that command again "
                      "if it did not happen\n",
                      stderr);
                rc = 0;
                continue;
            }
        }
        if (rc == KITH_EIO) break;
    }
    free(path);
    clear_history();
    completion_doc = NULL;
    completion_method = NULL;
    return rc == KITH_EIO ? rc : 0;
}

int kith_cli_repl_run(kith_cli_session *s)
{
    s->prompt = 1;
    if (!isatty(STDIN_FILENO)) return run_plain(s);
    return run_interactive(s);
}
