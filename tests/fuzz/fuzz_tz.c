/*
 * Time zones (util/tz.c): POSIX TZ rules, TZif files and zone names.
 *
 * Input: byte 0 even: the rest is a POSIX rule; odd: the rest is a TZif
 * file, loaded from a private TZDIR.  Bytes 1-8 give an instant to query.
 * Invariants, for every zone that loads:
 *   1. Offsets stay within 26 hours; mapping a wall-clock reading back
 *      gives 0, 1 or 2 instants (ascending), each showing that reading.
 *   2. The next transition lies strictly after the instant asked about.
 * and, for POSIX rules (which are exact, while a TZif file may contradict
 * its own footer):
 *   3. At the next transition the offset changes, and not before it.
 *   4. The wall-clock reading of any instant maps back to that instant
 *      (or, where the reading repeats, to a range holding it); a reading
 *      that never happens maps to a transition where clocks go forward.
 *   5. Whatever the name, kith_tz_load reads nothing outside TZDIR: the
 *      private TZDIR holds one file, so only its name (and "UTC") load.
 */
#include "fuzz.h"
#include "util/tz.h"

#include <sys/stat.h>
#include <unistd.h>

#define LIMIT (26 * 3600)

static char tzdir[64], tzfile[256];

/* The private TZDIR goes when the fuzzer exits normally. */
static void cleanup(void)
{
    unlink(tzfile);
    rmdir(tzdir);
}

static void setup(void)
{
    snprintf(tzdir, sizeof(tzdir), "%s", "/tmp/kith-fuzz-tz-XXXXXX");
    if (!mkdtemp(tzdir)) abort();
    setenv("TZDIR", tzdir, 1);
    snprintf(tzfile, sizeof(tzfile), "%s/fuzz.tzif", tzdir);
    atexit(cleanup);
}

static void check_zone(const kith_tz *tz, int64_t t, int exact)
{
    int off = kith_tz_offset(tz, t);
    FUZZ_CHECK(off >= -LIMIT && off <= LIMIT, "offset %d at %lld", off, (long long)t);
    int64_t at;
    if (kith_tz_next_transition(tz, t, &at)) {
        FUZZ_CHECK(at > t, "next transition %lld not after %lld", (long long)at, (long long)t);
        if (exact) {
            FUZZ_CHECK(kith_tz_offset(tz, at) != kith_tz_offset(tz, at - 1),
                       "no change at the transition %lld", (long long)at);
            FUZZ_CHECK(kith_tz_offset(tz, at - 1) == off, "a change before %lld, from %lld",
                       (long long)at, (long long)t);
        }
    }
    int64_t local = t + off, out[2];
    int n = kith_tz_local_to_utc(tz, local, out);
    FUZZ_CHECK(n >= 0 && n <= 2, "%d instants", n);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(out[i] + kith_tz_offset(tz, out[i]) == local,
                   "instant %lld reads %lld, not %lld", (long long)out[i],
                   (long long)(out[i] + kith_tz_offset(tz, out[i])), (long long)local);
    if (n == 2) FUZZ_CHECK(out[0] < out[1], "instants out of order");
    if (!exact) return;
    FUZZ_CHECK(n >= 1, "the reading of %lld (%lld) never happens", (long long)t, (long long)local);
    FUZZ_CHECK(n == 1 ? out[0] == t : out[0] <= t && t <= out[1],
               "the reading of %lld maps back to %lld", (long long)t, (long long)out[0]);
    /* A reading a little later may fall in a gap: it must point at one. */
    int64_t later = local + 1800, gap[2];
    if (kith_tz_local_to_utc(tz, later, gap) == 0)
        FUZZ_CHECK(kith_tz_offset(tz, gap[0]) > kith_tz_offset(tz, gap[0] - 1),
                   "gap at %lld is no spring-forward transition", (long long)gap[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tzfile[0]) setup();
    fuzz_input in = {data, size};
    int tzif = fuzz_u8(&in) & 1;
    /* Instants within about 8,700 years of 1970, where the rules are exact. */
    int64_t t = fuzz_i64(&in) % ((int64_t)1 << 38);
    char err[160];
    kith_tz *tz;
    if (tzif) {
        FILE *f = fopen(tzfile, "wb");
        if (!f || fwrite(in.p, 1, in.n, f) != in.n || fclose(f) != 0) abort();
        tz = kith_tz_load("fuzz.tzif", err, sizeof(err));
    } else {
        char *spec = fuzz_str(&in, '\0');
        tz = kith_tz_from_posix(spec, err, sizeof(err));
        /* The spec as a zone name: nothing but the one file may load. */
        kith_tz *named = kith_tz_load(spec, NULL, 0);
        FUZZ_CHECK(!named || strcmp(spec, "fuzz.tzif") == 0 || strcmp(spec, "UTC") == 0,
                   "\"%s\" loaded a zone from outside TZDIR", spec);
        kith_tz_free(named);
        free(spec);
    }
    if (!tz) {
        FUZZ_CHECK(err[0], "refused without a reason");
        return 0;
    }
    check_zone(tz, t, !tzif);
    check_zone(tz, t / 4096, !tzif);
    kith_tz_free(tz);
    return 0;
}
