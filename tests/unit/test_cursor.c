/*
 * Cursors round-trip, stay opaque-but-valid text, and refuse forgeries.
 */
#include "check.h"
#include "util/cursor.h"
#include "util/error.h"

#include <ctype.h>
#include <stdint.h>

int main(void)
{
    kith_cursor cases[] = {
        {0, 0}, {1, 1}, {1763908317250, 42}, {-5, 7}, {INT64_MAX, INT64_MAX}, {INT64_MIN + 1, 1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[KITH_CURSOR_BUFSZ];
        kith_cursor_encode(&cases[i], text);
        int url_safe = 1;
        for (char *p = text; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') url_safe = 0;
        CHECK(url_safe);
        kith_cursor back = {0, 0};
        CHECK_INT(kith_cursor_decode(text, &back), 0);
        CHECK_INT(back.key, cases[i].key);
        CHECK_INT(back.id, cases[i].id);
    }
    kith_cursor c;
    CHECK_INT(kith_cursor_decode("", &c), KITH_EPARAMS);
    CHECK_INT(kith_cursor_decode("not a cursor!", &c), KITH_EPARAMS);
    CHECK_INT(kith_cursor_decode("djE6MTo", &c), KITH_EPARAMS);    /* "v1:1:" */
    CHECK_INT(kith_cursor_decode("djI6MToy", &c), KITH_EPARAMS);   /* "v2:1:2" */
    CHECK_INT(kith_cursor_decode("djE6MToyeA", &c), KITH_EPARAMS); /* "v1:1:2x" */
    CHECK_INT(kith_cursor_decode(
                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &c),
              KITH_EPARAMS);
    return check_done();
}
