/*
 * util/log: the escaping every log line goes through, so text from clients
 * and rules can never start a line of its own or reach the terminal raw.
 */
#include "check.h"
#include "util/log.h"

static void test_log_escape(void)
{
    char out[128];
    kith_log_escape("a\nb\rc\td\x1b[2Je\x7f\xc2\x9b\xc3\xa9", out, sizeof(out));
    CHECK_STR(out, "a\\nb\\rc\\td\\x1b[2Je\\x7f\\u009b\xc3\xa9");
    kith_log_escape("0123456789", out, 8); /* cut to fit, still terminated */
    CHECK(strlen(out) < 8);
}

int main(void)
{
    test_log_escape();
    return check_done();
}
