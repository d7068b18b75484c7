/*
 * What the order.created rollup costs a write, in CPU, without a server in
 * the way (the machine's other load moves kith-bench's figures by more than
 * this): requests that each update one row, as order.create's do, committed
 * every EVERY requests (1: one connection; 50: a group-committed pass), bare,
 * plus one kith_rollup_record (an UPSERT per order), and plus one
 * kith_rollup_count (deferred to the commit, rollup.h note 4).  Prints the
 * medians of 7 rounds of 20,000 requests.  Build and run from a build:
 *   cc -O2 -Icore tests/bench/rollup_cost.c build/libkithcore.a -lsqlite3 -lm \
 *      -lpthread -o /tmp/rollup_cost && /tmp/rollup_cost /tmp/rc.db 50
 */
#include "store/rollup.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ROUNDS = 7, REQUESTS = 20000 };

static sqlite3_stmt *bump;
static int every;

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU µs per request; mode 0 bare, 1 record, 2 deferred count. */
static double run(kith_store *s, int mode)
{
    kith_rollup_obs o = {.metric = "order.created", .at = 1772000000000LL, .n = 1};
    double t0 = cpu_s();
    for (int i = 0; i < REQUESTS; i++) {
        kith_store_request_begin(s);
        sqlite3_step(bump);
        sqlite3_reset(bump);
        if (mode == 1) kith_rollup_record(s, &o, NULL, 0);
        if (mode == 2) kith_rollup_count(s, o.metric, o.at, 1);
        kith_store_request_end(s, 1);
        if (i % every == every - 1) kith_store_commit(s);
    }
    kith_store_commit(s);
    return (cpu_s() - t0) / REQUESTS * 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    kith_store *s;
    if (argc != 3 || (every = atoi(argv[2])) < 1) {
        fprintf(stderr, "usage: rollup_cost DB EVERY\n");
        return 2;
    }
    if (kith_store_open(argv[1], KITH_SYNC_OFF, &s)) return 1;
    sqlite3 *db = kith_store_db(s);
    sqlite3_exec(db,
                 "CREATE TABLE IF NOT EXISTS bump(id INTEGER PRIMARY KEY, v INTEGER);"
                 "INSERT OR IGNORE INTO bump VALUES (1, 0)",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "UPDATE bump SET v = v + 1 WHERE id = 1", -1, &bump, NULL);
    run(s, 1); /* warm up: the rollup row exists */
    double t[3][ROUNDS];
    for (int r = 0; r < ROUNDS; r++)
        for (int mode = 0; mode < 3; mode++)
            t[mode][r] = run(s, mode);
    for (int mode = 0; mode < 3; mode++)
        qsort(t[mode], ROUNDS, sizeof(double), cmp);
    double bare = t[0][ROUNDS / 2];
    printf("commit every %d: request %.2f us; + record %.2f us; + deferred count %.2f us\n", every,
           bare, t[1][ROUNDS / 2] - bare, t[2][ROUNDS / 2] - bare);
    sqlite3_finalize(bump);
    kith_store_close(s);
    return 0;
}
