/*
 * kith-bench's entry point: flags and the environment become a validated
 * kith_bench_config and a resolved address, then kith_bench_run() does the
 * rest.  Exit status: 0 on success, 1 when the run failed (see bench.h),
 * 2 on a usage error, 3 when a writing run refused a server that holds
 * other data (bench_guard.c).
 */
#include "bench/bench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define EXIT_USAGE      2
#define MAX_CONNECTIONS 10000
#define MAX_PIPELINE    10000
#define KITH_PORT       7411
#define REDIS_PORT      6379

enum long_only_option {
    OPT_RATE = 256,
    OPT_PRELOAD,
    OPT_JSON,
    OPT_TOKEN,
    OPT_FAIL_ON_ERROR,
    OPT_HELP,
    OPT_VERSION,
    OPT_REDIS,
    OPT_FORCE,
    OPT_CLEANUP,
    OPT_METHOD,
    OPT_PARAMS,
};

static const struct option long_options[] = {
    {"host", required_argument, NULL, 'h'},
    {"port", required_argument, NULL, 'p'},
    {"socket", required_argument, NULL, 's'},
    {"connections", required_argument, NULL, 'c'},
    {"pipeline", required_argument, NULL, 'P'},
    {"requests", required_argument, NULL, 'n'},
    {"duration", required_argument, NULL, 'd'},
    {"workload", required_argument, NULL, 't'},
    {"quiet", no_argument, NULL, 'q'},
    {"rate", required_argument, NULL, OPT_RATE},
    {"preload", required_argument, NULL, OPT_PRELOAD},
    {"json", no_argument, NULL, OPT_JSON},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"fail-on-error", no_argument, NULL, OPT_FAIL_ON_ERROR},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {"redis", no_argument, NULL, OPT_REDIS},
    {"force", no_argument, NULL, OPT_FORCE},
    {"cleanup", no_argument, NULL, OPT_CLEANUP},
    {"method", required_argument, NULL, OPT_METHOD},
    {"params", required_argument, NULL, OPT_PARAMS},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: kith-bench [options]\n"
                 "\n"
                 "Load generator for kithd: sends JSON-RPC requests over many connections\n"
                 "and reports throughput and latency percentiles.  With --redis it speaks\n"
                 "RESP2 to a Redis server instead, doing the same work through the function\n"
                 "library tests/bench/redis/kith_race.lua (FUNCTION LOAD it first).\n"
                 "\n"
                 "  -h, --host HOST         server host (default 127.0.0.1)\n"
                 "  -p, --port PORT         server port (default 7411; 6379 with --redis)\n"
                 "  -s, --socket PATH       connect to a Unix socket instead of TCP\n"
                 "  -c, --connections N     connections (default 50)\n"
                 "  -P, --pipeline N        requests in flight per connection (default 1)\n"
                 "  -n, --requests N        total requests (default 100000)\n"
                 "  -d, --duration SECONDS  run for a time instead of a request count\n"
                 "  -t, --workload NAME     what to send (default ping):\n");
    kith_bench_workload_print(out);
    fprintf(out,
            "      --method M          -t call: the method to call, e.g. ticket.create\n"
            "      --params JSON       -t call: its params object (default {}); each\n"
            "                          $CUSTOMER becomes one of kith-bench's customers\n"
            "      --rate R            open loop: R requests/s in total at fixed intervals;\n"
            "                          latency counts from each request's intended send time\n"
            "      --preload N         create N customers first (not measured); get and\n"
            "                          order then use them; without it, order and mixed\n"
            "                          use kith-bench's own customers from earlier runs and\n"
            "                          get reads any customers (--redis: SCAN customer:*)\n"
            "      --force             write even to a server that holds other customers\n"
            "                          (still only to kith-bench's own)\n"
            "      --cleanup           remove every customer kith-bench created, with its\n"
            "                          orders, interactions, points and tasks, print what\n"
            "                          was removed, and exit (no benchmark)\n"
            "      --redis             speak RESP2 to Redis: same workloads, same measurement\n"
            "      --token T           authenticate each connection (default: $KITH_TOKEN;\n"
            "                          with --redis: AUTH T)\n"
            "      --json              print the result as one JSON object\n"
            "  -q, --quiet             print one line: requests per second and p50\n"
            "      --fail-on-error     exit 1 if any request got an error reply\n"
            "      --help, --version\n"
            "\n"
            "Safety: kith-bench writes only to customers it created itself, each tagged\n"
            "\"" KITH_BENCH_TAG "\" with an external_id starting \"" KITH_BENCH_ID_PREFIX
            "\".  A run that\n"
            "writes (--preload, create, order, mixed) first checks the server: if it\n"
            "holds any other customer, kith-bench refuses unless --force.  ping and get\n"
            "only read and run anywhere.  (--redis has no check: it drives the race's\n"
            "own Redis.)\n"
            "\n"
            "Exit status: 0 ok; 1 a connection failed, set-up failed, errors occurred\n"
            "with --fail-on-error, or --cleanup could not remove everything; 2 bad usage;\n"
            "3 refused: the server holds data kith-bench did not create (see --force).\n");
}

/* Parses a whole decimal integer within [min, max]; returns 0 or -1. */
static int parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!text[0] || text[0] == '-') return -1;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

/* Parses a finite number > 0; returns 0 or -1. */
static int parse_positive(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v <= 0) return -1;
    *out = v;
    return 0;
}

static int bad_value(const char *flag, const char *value)
{
    fprintf(stderr, "kith-bench: invalid value for %s: '%s'\n", flag, value);
    return -1;
}

/* Fills `cfg` from argv; returns 0, 1 when --help/--version was handled, or
 * -1 on a usage error (already reported). */
static int parse_flags(int argc, char **argv, kith_bench_config *cfg)
{
    const char *workload = "ping";
    int requests_given = 0, port_given = 0;
    uint64_t v;
    int opt;
    while ((opt = getopt_long(argc, argv, "h:p:s:c:P:n:d:t:q", long_options, NULL)) != -1) {
        switch (opt) {
        case 'h': cfg->host = optarg; break;
        case 'p':
            if (parse_uint(optarg, 1, 65535, &v) < 0) return bad_value("-p", optarg);
            cfg->port = (int)v;
            port_given = 1;
            break;
        case 's': cfg->unix_path = optarg; break;
        case 'c':
            if (parse_uint(optarg, 1, MAX_CONNECTIONS, &v) < 0) return bad_value("-c", optarg);
            cfg->connections = (int)v;
            break;
        case 'P':
            if (parse_uint(optarg, 1, MAX_PIPELINE, &v) < 0) return bad_value("-P", optarg);
            cfg->pipeline = (int)v;
            break;
        case 'n':
            if (parse_uint(optarg, 1, UINT64_MAX, &cfg->requests) < 0)
                return bad_value("-n", optarg);
            requests_given = 1;
            break;
        case 'd':
            if (parse_positive(optarg, &cfg->duration_s) < 0) return bad_value("-d", optarg);
            break;
        case 't': workload = optarg; break;
        case 'q': cfg->quiet = 1; break;
        case OPT_RATE:
            if (parse_positive(optarg, &cfg->rate) < 0) return bad_value("--rate", optarg);
            break;
        case OPT_PRELOAD:
            if (parse_uint(optarg, 0, UINT64_MAX, &cfg->preload) < 0)
                return bad_value("--preload", optarg);
            break;
        case OPT_JSON: cfg->json = 1; break;
        case OPT_TOKEN: cfg->token = optarg; break;
        case OPT_FAIL_ON_ERROR: cfg->fail_on_error = 1; break;
        case OPT_HELP: usage(stdout); return 1;
        case OPT_REDIS: cfg->redis = 1; break;
        case OPT_FORCE: cfg->force = 1; break;
        case OPT_CLEANUP: cfg->cleanup = 1; break;
        case OPT_METHOD: cfg->method = optarg; break;
        case OPT_PARAMS: cfg->params = optarg; break;
        case OPT_VERSION: printf("kith-bench %s\n", KITH_VERSION); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kith-bench: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    cfg->workload = kith_bench_workload_find(workload);
    if (!cfg->workload) {
        fprintf(stderr, "kith-bench: unknown workload '%s'; one of:\n", workload);
        kith_bench_workload_print(stderr);
        return -1;
    }
    if (strcmp(cfg->workload->name, "call") == 0) {
        if (!cfg->method || cfg->redis) {
            fprintf(stderr, "kith-bench: -t call needs --method and works with kithd only\n");
            return -1;
        }
        if (cfg->params && (strlen(cfg->params) > KITH_BENCH_PARAMS_MAX || cfg->params[0] != '{')) {
            fprintf(stderr, "kith-bench: --params must be a JSON object of at most %d bytes\n",
                    KITH_BENCH_PARAMS_MAX);
            return -1;
        }
    } else if (cfg->method || cfg->params) {
        fprintf(stderr, "kith-bench: --method and --params go with -t call\n");
        return -1;
    }
    if (cfg->cleanup && cfg->redis) {
        fprintf(stderr, "kith-bench: --cleanup works with kithd only (not --redis)\n");
        return -1;
    }
    if (!port_given) cfg->port = cfg->redis ? REDIS_PORT : KITH_PORT;
    /* A duration alone means no request limit; both together stop at
     * whichever comes first. */
    if (cfg->duration_s > 0 && !requests_given) cfg->requests = 0;
    if (!cfg->token) {
        const char *env = getenv("KITH_TOKEN");
        if (env && env[0]) cfg->token = env;
    }
    return 0;
}

/* Raises the soft limit on open files when the connections need more than
 * it allows (the usual 1024 is below -c 2000); a failure shows up later as
 * a connection that cannot open. */
static void raise_fd_limit(int connections)
{
    struct rlimit lim;
    rlim_t need = (rlim_t)connections + 64; /* stdio, the loop's own fds */
    if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur >= need) return;
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max > need ? need : lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
}

/* Resolves cfg->host:port into b->addr; returns 0 or -1 (reported). */
static int resolve(kith_bench *b)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", b->cfg.port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(b->cfg.host, port, &hints, &res);
    if (rc != 0 || !res) {
        fprintf(stderr, "kith-bench: cannot resolve %s: %s\n", b->cfg.host, gai_strerror(rc));
        return -1;
    }
    memcpy(&b->addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int main(int argc, char **argv)
{
    /* The bench struct holds five 20 KiB histograms: static, not stack. */
    static kith_bench bench;
    kith_bench *b = &bench;
    b->cfg.host = "127.0.0.1";
    b->cfg.connections = 50;
    b->cfg.pipeline = 1;
    b->cfg.requests = 100000;

    int rc = parse_flags(argc, argv, &b->cfg);
    if (rc != 0) return rc > 0 ? 0 : EXIT_USAGE;
    if (!b->cfg.unix_path && resolve(b) < 0) return 1;

    /* A server that closes a connection must show up as a failed write,
     * not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(b->cfg.connections);
    return kith_bench_run(b);
}
