/*
 * util/ratelimit: free failures, the doubling and bounded penalty, keys kept
 * apart, the window forgetting, and the table's bound.  Times are given,
 * never read from a clock.
 */
#include "check.h"
#include "util/ratelimit.h"

static void test_penalty_grows_and_is_bounded(void)
{
    kith_ratelimit *rl = kith_ratelimit_new(8, 3, 60000, 1000, 8000);
    int64_t t = 1000000;
    for (int i = 0; i < 3; i++)
        CHECK_INT(kith_ratelimit_fail(rl, "10.0.0.1", t), 0);
    CHECK_INT(kith_ratelimit_wait(rl, "10.0.0.1", t), 0);
    CHECK_INT(kith_ratelimit_fail(rl, "10.0.0.1", t), 1000);
    CHECK_INT(kith_ratelimit_wait(rl, "10.0.0.1", t + 400), 600);
    CHECK_INT(kith_ratelimit_wait(rl, "10.0.0.2", t), 0); /* another key is free */
    t += 1000;
    CHECK_INT(kith_ratelimit_fail(rl, "10.0.0.1", t), 2000);
    t += 2000;
    CHECK_INT(kith_ratelimit_fail(rl, "10.0.0.1", t), 4000);
    t += 4000;
    CHECK_INT(kith_ratelimit_fail(rl, "10.0.0.1", t), 8000);
    t += 8000;
    CHECK_INT(kith_ratelimit_fail(rl, "10.0.0.1", t), 8000); /* bounded */
    CHECK_INT(kith_ratelimit_failures(rl, "10.0.0.1", t), 8);
    /* A quiet window past the lock-out forgets the key. */
    t += 8000 + 60000;
    CHECK_INT(kith_ratelimit_failures(rl, "10.0.0.1", t), 0);
    CHECK_INT(kith_ratelimit_fail(rl, "10.0.0.1", t), 0);
    kith_ratelimit_free(rl);
}

static void test_table_is_bounded(void)
{
    kith_ratelimit *rl = kith_ratelimit_new(4, 1, 60000, 1000, 8000);
    char key[32];
    /* The oldest key is the one pushed out when a fifth arrives. */
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        kith_ratelimit_fail(rl, key, 1000 + i);
    }
    CHECK_INT(kith_ratelimit_failures(rl, "k0", 2000), 0);
    CHECK_INT(kith_ratelimit_failures(rl, "k4", 2000), 1);
    CHECK_INT(kith_ratelimit_failures(rl, "k1", 2000), 1);
    kith_ratelimit_free(rl);
}

int main(void)
{
    test_penalty_grows_and_is_bounded();
    test_table_is_bounded();
    return check_done();
}
