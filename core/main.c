/*
 * kithd: flags -> config -> server run.  Also the `token create|list|revoke`
 * subcommands, which work on the data folder directly (safe while a server
 * runs: SQLite's WAL lets both write in turn).
 */
#include "request/request.h"
#include "server/config.h"
#include "server/server.h"
#include "server/restore.h"
#include "testrun/testrun.h"
#include "store/store.h"
#include "store/token.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timefmt.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: kithd [--config FILE] [options]\n"
               "       kithd token create --role admin|agent|viewer --name NAME [--expires-in 30d]"
               " [--data DIR]\n"
               "       kithd token list [--data DIR]\n"
               "       kithd token revoke NAME [--data DIR]\n"
               "       kithd test-scripts [--scripts DIR] [--plugins DIR] [FILES...]\n"
               "       kithd restore FILE [--data DIR]   (with kithd stopped)\n"
               "       kithd --version | --help\n\n"
               "options (each also settable in the config file; the flag wins):\n"
               "  --config FILE          config file (default: config/kith.conf)\n");
    if (f == stdout) kith_config_print_help();
}

/* Splits "--name=value" or "--name value"; returns the number of argv
 * entries used (0 when argv[i] is not an option with a value). */
static int flag_value(int argc, char **argv, int i, char *name, size_t nlen, const char **value)
{
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) return 0;
    const char *eq = strchr(a, '=');
    if (eq) {
        snprintf(name, nlen, "%.*s", (int)(eq - a - 2), a + 2);
        *value = eq + 1;
        return 1;
    }
    if (i + 1 >= argc) return 0;
    snprintf(name, nlen, "%s", a + 2);
    *value = argv[i + 1];
    return 2;
}

/* Applies flags to the config: first pass finds --config only (apply = 0),
 * the second applies every other flag over the file's values. */
static int apply_flags(kith_config *cfg, int argc, char **argv, int first, int apply)
{
    char err[512];
    for (int i = first; i < argc;) {
        char name[64];
        const char *value;
        int used = flag_value(argc, argv, i, name, sizeof(name), &value);
        if (!used) {
            fprintf(stderr, "kithd: unexpected argument '%s' (try --help)\n", argv[i]);
            return KITH_ECONFIG;
        }
        if (strcmp(name, "config") == 0) {
            snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", value);
        } else if (apply) {
            char where[96];
            snprintf(where, sizeof(where), "flag --%s", name);
            if (kith_config_set(cfg, name, value, where, err, sizeof(err)) < 0) {
                fprintf(stderr, "kithd: %s\n", err);
                return KITH_ECONFIG;
            }
        } else if (!kith_config_has(name)) {
            fprintf(stderr, "kithd: unknown flag --%s (try --help)\n", name);
            return KITH_ECONFIG;
        }
        i += used;
    }
    return 0;
}

static int load_config(kith_config *cfg, int argc, char **argv, int first)
{
    char err[1200];
    kith_config_init(cfg);
    if (apply_flags(cfg, argc, argv, first, 0) < 0) return KITH_ECONFIG;
    int explicit = 0;
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], "--config") == 0 || strncmp(argv[i], "--config=", 9) == 0) explicit = 1;
    /* The default file is optional (kithd may run from anywhere); a file
     * named on the command line must exist. */
    if (kith_config_load(cfg, cfg->config_path, explicit, err, sizeof(err)) < 0) {
        fprintf(stderr, "kithd: %s\n", err);
        return KITH_ECONFIG;
    }
    if (apply_flags(cfg, argc, argv, first, 1) < 0) return KITH_ECONFIG;
    kith_log_set_level(cfg->log_level);
    return 0;
}

/* Opens the data folder's store for a token subcommand; prints why not. */
static kith_store *open_data_store(const kith_config *cfg)
{
    char db[KITH_PATH_MAX + 16];
    kith_store *s = NULL;
    snprintf(db, sizeof(db), "%s/kith.db", cfg->data);
    if (mkdir(cfg->data, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "kithd: cannot create %s: %s\n", cfg->data, strerror(errno));
        return NULL;
    }
    if (kith_store_open(db, KITH_SYNC_FULL, &s) < 0) return NULL;
    return s;
}

static int token_create(kith_store *s, const char *role, const char *name, const char *expires_in)
{
    int r;
    int64_t ms = 0;
    if (!role || !name) {
        fprintf(stderr, "kithd: token create needs --role ROLE and --name NAME\n");
        return 1;
    }
    if (kith_role_parse(role, &r) < 0 || r == KITH_ROLE_NONE) {
        fprintf(stderr, "kithd: role must be admin, agent or viewer\n");
        return 1;
    }
    if (!*name || strlen(name) > KITH_TOKEN_NAME_MAX) {
        fprintf(stderr, "kithd: name must be 1-%d bytes\n", KITH_TOKEN_NAME_MAX);
        return 1;
    }
    if (expires_in && (kith_time_parse_duration(expires_in, &ms) < 0 || ms <= 0)) {
        fprintf(stderr, "kithd: --expires-in must be a duration like 30d or 12h\n");
        return 1;
    }
    char token[KITH_TOKEN_BUFSZ];
    int rc = kith_store_token_create(s, role, name, ms ? kith_time_now_ms() + ms : 0, token);
    if (rc == KITH_ECONFLICT) {
        fprintf(stderr, "kithd: a token named '%s' exists already\n", name);
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "kithd: cannot create the token: %s\n", kith_strerror(rc));
        return 1;
    }
    printf("%s\n", token);
    fprintf(stderr, "kithd: token '%s' (%s) created; it is shown only this once\n", name, role);
    return 0;
}

/* NAME ROLE CREATED EXPIRES, one token a line (never a secret). */
static int token_list(kith_store *s)
{
    cJSON *items = NULL;
    int rc = kith_store_token_list(s, &items);
    if (rc < 0) {
        fprintf(stderr, "kithd: cannot list the tokens: %s\n", kith_strerror(rc));
        return 1;
    }
    printf("%-24s %-7s %-25s %s\n", "NAME", "ROLE", "CREATED", "EXPIRES");
    for (const cJSON *t = items->child; t; t = t->next) {
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(t, "expires_at");
        printf("%-24s %-7s %-25s %s\n", kith_json_get_str(t, "name"), kith_json_get_str(t, "role"),
               kith_json_get_str(t, "created_at"),
               cJSON_IsString(exp) ? exp->valuestring : "never");
    }
    cJSON_Delete(items);
    return 0;
}

static int token_revoke(kith_store *s, const char *name)
{
    int64_t id;
    int rc = kith_store_token_revoke(s, name, &id);
    if (rc == KITH_ENOTFOUND) {
        fprintf(stderr, "kithd: no token named '%s'\n", name);
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "kithd: cannot revoke the token: %s\n", kith_strerror(rc));
        return 1;
    }
    fprintf(stderr,
            "kithd: token '%s' revoked; a running kithd ends its sessions within a "
            "second\n",
            name);
    return 0;
}

/* kithd token create|list|revoke ...: works on the data folder directly
 * (safe while a server runs: SQLite's WAL lets both write in turn). */
static int token_command(int argc, char **argv)
{
    const char *verb = argv[2], *role = NULL, *name = NULL, *expires_in = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0, code = 1;
    if (!rest) return 1;
    rest[nrest++] = argv[0];
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--expires-in") == 0 && i + 1 < argc)
            expires_in = argv[++i];
        else if (strcmp(verb, "revoke") == 0 && !name && strncmp(argv[i], "--", 2) != 0)
            name = argv[i];
        else
            rest[nrest++] = argv[i];
    }
    kith_config cfg;
    if (strcmp(verb, "revoke") == 0 && !name) {
        fprintf(stderr, "kithd: token revoke needs the token's NAME\n");
    } else if (load_config(&cfg, nrest, rest, 1) == 0) {
        kith_store *s = open_data_store(&cfg);
        if (s && strcmp(verb, "create") == 0) code = token_create(s, role, name, expires_in);
        if (s && strcmp(verb, "list") == 0) code = token_list(s);
        if (s && strcmp(verb, "revoke") == 0) code = token_revoke(s, name);
        kith_store_close(s);
    }
    free(rest);
    return code;
}

/* kithd test-scripts [flags] [FILES...]: flags as for the server, then the
 * test files (default: every *_test.lua). */
static int test_scripts(int argc, char **argv)
{
    char **flags = calloc((size_t)argc + 1, sizeof(char *));
    char **files = calloc((size_t)argc + 1, sizeof(char *));
    int nflags = 0, nfiles = 0;
    if (!flags || !files) return 1;
    flags[nflags++] = argv[0];
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            flags[nflags++] = argv[i];
            if (!strchr(argv[i], '=') && i + 1 < argc) flags[nflags++] = argv[++i];
        } else {
            files[nfiles++] = argv[i];
        }
    }
    kith_config cfg;
    int code = 2;
    if (load_config(&cfg, nflags, flags, 1) == 0) {
        /* Tests are about the rules: only warnings and errors from the rest. */
        if (cfg.log_level < KITH_LOG_WARN) kith_log_set_level(KITH_LOG_WARN);
        code = kith_testrun(&cfg, files, nfiles);
    }
    free(flags);
    free(files);
    return code;
}

/* kithd restore FILE [flags]: server/restore.h. */
static int restore(int argc, char **argv)
{
    if (argc < 3 || strncmp(argv[2], "--", 2) == 0) {
        fprintf(stderr, "kithd: restore needs the backup file: kithd restore FILE --data DIR\n");
        return 2;
    }
    const char *file = argv[2];
    argv[2] = argv[0]; /* load_config reads the flags after its argv[0] */
    kith_config cfg;
    if (load_config(&cfg, argc - 2, argv + 2, 1) < 0) return 2;
    return kith_restore(&cfg, file);
}

int main(int argc, char **argv)
{
    kith_store_library_init();
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("kithd %s\n", KITH_VERSION);
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "token") == 0) {
        if (argc < 3 || (strcmp(argv[2], "create") != 0 && strcmp(argv[2], "list") != 0 &&
                         strcmp(argv[2], "revoke") != 0)) {
            usage(stderr);
            return 2;
        }
        umask(077);
        return token_command(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "test-scripts") == 0) return test_scripts(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "restore") == 0) return restore(argc, argv);
    kith_config cfg;
    if (load_config(&cfg, argc, argv, 1) < 0) return 2;
    /* The database, its WAL and the lock file hold every customer: private
     * to kithd's user (the socket is opened up to its group explicitly). */
    umask(077);
    /* A client that vanishes while we write to it must cost only its own
     * connection: the write fails with EPIPE instead of killing us. */
    signal(SIGPIPE, SIG_IGN);
    kith_server *srv = NULL;
    int rc = kith_server_new(&cfg, &srv);
    if (rc == 0) rc = kith_server_run(srv);
    kith_server_free(srv);
    return rc == 0 ? 0 : 1;
}
