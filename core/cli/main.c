/*
 * kith, the command-line client: flags, connecting, authenticating, then
 * one command or the interactive prompt.
 *
 * Flags may come anywhere before a "--" (so `kith customer.list --json`
 * works); every other word belongs to the command.  A flag never takes a
 * word containing '=' by accident, since key=value words are not flags.
 *
 * Exit status: 0 success; 1 the server returned an error, or bad usage;
 * 2 the server could not be reached or the connection broke.  Commands and
 * their output are left to session.c, the prompt to repl.c.
 */
#include "cli/help.h"
#include "cli/render.h"
#include "cli/repl.h"
#include "cli/session.h"
#include "util/error.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KITH_VERSION
#define KITH_VERSION "0.0.0"
#endif

#define EXIT_FAILED      1
#define EXIT_UNREACHABLE 2

struct options {
    const char *host;
    const char *port;
    const char *unix_path; /* when set, used instead of host and port */
    int json;
    int csv;
    int tls;            /* --tls, or implied by --cacert / --insecure */
    const char *cacert; /* NULL: the system's trusted CAs */
    int insecure;
};

static void usage(FILE *out)
{
    fputs(
        "usage: kith [options] [METHOD [key=value ...]]\n"
        "       kith [options] call METHOD ['<json params>']\n"
        "       kith [options] help [METHOD | subscribe | tasks]\n"
        "       kith [options] subscribe PATTERN... [--since SEQ]\n"
        "       kith [options] tasks [--owner NAME | --all] [--status STATUS] [--limit N]\n"
        "       kith [options] survey results NAME [--from T] [--to T]\n"
        "       kith [options] tickets [--status S | --all] [--owner NAME] [--customer ID]\n"
        "       kith [options] report NAME [--from T] [--to T] [--interval I] [--group-by G]\n"
        "       kith [options] value CUSTOMER_ID\n"
        "       kith [options] deals [--status S | --all] [--owner NAME] [--stage S]\n"
        "       kith [options] forecast [--period month|quarter] [--by owner|stage|pipeline]\n"
        "       kith [options] visits [--owner NAME | --all] [--status S] [--from T] [--to T]\n"
        "       kith [options] import customers|orders FILE.csv [--map F=H,...] [--per-record]\n"
        "       kith [options] export customers|orders|interactions|tickets [--format csv|jsonl]\n"
        "       kith [options] campaigns [--status S]  |  campaign results ID|NAME\n"
        "With no METHOD, kith opens an interactive prompt (history in ~/.kith_history,\n"
        "tab completes method and param names).\n"
        "\n"
        "subscribe prints events as they happen (seq, time, channel, summary) until\n"
        "Ctrl-C; PATTERN is a channel or a glob (customer.*, reminder.due.alice);\n"
        "--since SEQ replays the retained events after SEQ first.\n"
        "tasks shows open follow-up tasks, soonest due first: the KITH_TOKEN holder's\n"
        "own by default, --all for everyone's, --status done|cancelled for closed ones.\n"
        "\n"
        "options:\n"
        "  --host HOST    server host (default $KITH_HOST or 127.0.0.1)\n"
        "  --port PORT    server TCP port (default $KITH_PORT or 7411)\n"
        "  --unix PATH    connect to kithd's Unix socket instead of TCP\n"
        "  --tls          speak TLS to kithd's tls_listen port (give it with --port);\n"
        "                 the server's certificate must name HOST and be signed by a\n"
        "                 CA the system trusts, or by --cacert's\n"
        "  --cacert FILE  trust the CA certificate(s) in this PEM file (implies --tls)\n"
        "  --insecure     TLS without checking the server's certificate or name (for\n"
        "                 tests only: anyone in the path can read everything; implies --tls)\n"
        "  --json         print results as compact JSON, one line each (subscribe:\n"
        "                 each event's {channel, seq, at, data})\n"
        "  --csv          print tables and records as CSV: a header line, then a\n"
        "                 line per row, RFC 4180 quoting, cells whole\n"
        "  -h, --help     show this help\n"
        "  --version      print kith's version\n"
        "\n"
        "Tables fit the terminal's width ($COLUMNS when set): the widest columns\n"
        "shrink first and cut cells end in an ellipsis.  Piped output keeps cells\n"
        "whole unless COLUMNS is set.\n"
        "\n"
        "A value is sent as JSON when it is valid JSON (n=5 ok=true tags='[\"vip\"]'\n"
        "note='\"42\"'), else as a string (name=Ada zip=0123). Keys are literal.\n"
        "\n"
        "environment:\n"
        "  KITH_TOKEN     authenticate with this token before the first call\n"
        "  KITH_HOST      server host when --host is not given\n"
        "  KITH_PORT      server TCP port when --port is not given\n"
        "\n"
        "exit status: 0 ok, 1 the server returned an error (or bad usage),\n"
        "2 the server could not be reached.\n",
        out);
}

static int valid_port(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    return *s && *end == '\0' && n > 0 && n <= 65535;
}

/* Takes a flag's value from `--flag=value` or the next word. */
static const char *flag_value(const char *flag, const char *eq, int argc, char **argv, int *i)
{
    if (eq) return eq + 1;
    if (*i + 1 >= argc) {
        fprintf(stderr, "kith: %s needs a value\n", flag);
        return NULL;
    }
    return argv[++*i];
}

/* Parses flags out of argv, moving the command's words to the front of
 * argv.  Options kith does not know stay among the words when the command
 * is one of the client's own (subscribe --since 5), which parses them.
 * Returns the number of command words, or -1 after printing why (or -2 when
 * the run is over: --help, --version). */
static int parse_flags(int argc, char **argv, struct options *o)
{
    int words = 0, flags_done = 0;
    const char *unknown = NULL;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (flags_done || arg[0] != '-' || arg[1] == '\0') {
            argv[words++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            flags_done = 1;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)n, arg);
        if (!eq && (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)) {
            usage(stdout);
            return -2;
        } else if (strcmp(name, "--version") == 0 && !eq) {
            printf("kith %s\n", KITH_VERSION);
            return -2;
        } else if (strcmp(name, "--json") == 0 && !eq) {
            o->json = 1;
        } else if (strcmp(name, "--csv") == 0 && !eq) {
            o->csv = 1;
        } else if (strcmp(name, "--host") == 0) {
            if (!(o->host = flag_value(name, eq, argc, argv, &i))) return -1;
        } else if (strcmp(name, "--tls") == 0 && !eq) {
            o->tls = 1;
        } else if (strcmp(name, "--insecure") == 0 && !eq) {
            o->tls = o->insecure = 1;
        } else if (strcmp(name, "--cacert") == 0) {
            if (!(o->cacert = flag_value(name, eq, argc, argv, &i))) return -1;
            o->tls = 1;
        } else if (strcmp(name, "--unix") == 0) {
            if (!(o->unix_path = flag_value(name, eq, argc, argv, &i))) return -1;
        } else if (strcmp(name, "--port") == 0) {
            if (!(o->port = flag_value(name, eq, argc, argv, &i))) return -1;
            if (!valid_port(o->port)) {
                fprintf(stderr, "kith: --port wants a number from 1 to 65535, not '%s'\n", o->port);
                return -1;
            }
        } else {
            if (!unknown) unknown = arg;
            argv[words++] = arg;
        }
    }
    if (o->json && o->csv) {
        fputs("kith: --json and --csv: choose one\n", stderr);
        return -1;
    }
    if (o->tls && o->unix_path) {
        fprintf(stderr, "kith: --tls is for TCP; the Unix socket is local and needs none\n");
        return -1;
    }
    if (unknown && !(words > 0 && argv[0] != unknown && kith_cli_session_is_local(argv[0]))) {
        fprintf(stderr, "kith: unknown option '%s' (see kith --help)\n", unknown);
        return -1;
    }
    return words;
}

static int exit_status(int rc)
{
    if (rc == 0) return 0;
    return rc == KITH_EIO ? EXIT_UNREACHABLE : EXIT_FAILED;
}

/* Connects as the flags say and authenticates with KITH_TOKEN when set:
 * at start, and again when the prompt lost its connection.  Returns 0,
 * KITH_EIO (unreachable; said on stderr) or auth's error. */
static int open_session(kith_cli_session *s, void *ud)
{
    const struct options *o = ud;
    int rc = o->unix_path ? kith_cli_conn_open_unix(&s->conn, o->unix_path)
                          : kith_cli_conn_open_tcp(&s->conn, o->host, o->port);
    if (rc == 0 && o->tls) rc = kith_cli_conn_start_tls(&s->conn, o->host, o->cacert, o->insecure);
    if (rc < 0) {
        fprintf(stderr, "kith: %s\n", s->conn.err);
        return KITH_EIO;
    }
    const char *token = getenv("KITH_TOKEN");
    return token && *token ? kith_cli_session_auth(s, token) : 0;
}

int main(int argc, char **argv)
{
    struct options o = {"127.0.0.1", "7411", NULL, 0, 0, 0, NULL, 0};
    /* The environment sets the defaults, the flags override them: a shell
     * (or the README's test) can point every kith at one server. */
    const char *env_host = getenv("KITH_HOST"), *env_port = getenv("KITH_PORT");
    if (env_host && *env_host) o.host = env_host;
    if (env_port && *env_port) {
        if (!valid_port(env_port)) {
            fprintf(stderr, "kith: KITH_PORT wants a number from 1 to 65535, not '%s'\n", env_port);
            return EXIT_FAILED;
        }
        o.port = env_port;
    }
    int words = parse_flags(argc, argv, &o);
    if (words == -2) return 0;
    if (words < 0) return EXIT_FAILED;

    /* LC_CTYPE only: libedit needs it for UTF-8 input, and LC_NUMERIC must
     * stay "C" for cJSON to read and write numbers with a '.'. */
    setlocale(LC_CTYPE, "");
    kith_cli_render_set_utf8(strcmp(nl_langinfo(CODESET), "UTF-8") == 0);
    kith_cli_render_set_width(kith_cli_render_term_width());
    kith_cli_render_set_csv(o.csv);
    /* A closed stdout (kith ... | head) ends output quietly, not by signal. */
    signal(SIGPIPE, SIG_IGN);

    /* The client's own commands are described without a server. */
    if (words == 2 && strcmp(argv[0], "help") == 0 && kith_cli_session_is_local(argv[1]))
        return kith_cli_help_client(stdout, argv[1]) == 0 ? 0 : EXIT_FAILED;

    kith_cli_session s;
    kith_cli_session_init(&s);
    s.json_output = o.json;
    s.reopen = open_session;
    s.reopen_ud = &o;
    int rc = open_session(&s, &o);
    if (rc == KITH_EIO) {
        kith_cli_session_release(&s);
        return EXIT_UNREACHABLE;
    }
    if (rc == 0) rc = words > 0 ? kith_cli_session_run(&s, words, argv) : kith_cli_repl_run(&s);

    kith_cli_session_release(&s);
    /* Output that could not be written is a failure, except when the
     * reader left on purpose (kith ... | head). */
    if (fflush(stdout) != 0 && errno != EPIPE && rc == 0) {
        fprintf(stderr, "kith: cannot write the output: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    return exit_status(rc);
}
