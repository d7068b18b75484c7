/*
 * Relative and local times for the list views: see when.h.
 */
#include "cli/when.h"
#include "cli/render.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <stdio.h>

#define MINUTE_MS (60 * 1000LL)

void kith_cli_when_span(long long mins, char *out, size_t size)
{
    long long d = mins / (24 * 60), h = mins / 60 % 24, m = mins % 60;
    /* The second unit only while it still matters: "3d 4h", but "12d". */
    if (mins < 60)
        snprintf(out, size, "%lldm", mins);
    else if (mins < 24 * 60 && m)
        snprintf(out, size, "%lldh %lldm", mins / 60, m);
    else if (mins < 24 * 60)
        snprintf(out, size, "%lldh", mins / 60);
    else if (d < 7 && h)
        snprintf(out, size, "%lldd %lldh", d, h);
    else
        snprintf(out, size, "%lldd", d);
}

int kith_cli_when_relative(const char *iso, int64_t now_ms, const char *past, char *out,
                           size_t size)
{
    int64_t at;
    out[0] = '\0';
    if (!iso || kith_time_parse_iso(iso, &at) < 0) return KITH_EPARAMS;
    int64_t delta = at - now_ms;
    long long mins = (long long)((delta < 0 ? -delta : delta) + MINUTE_MS / 2) / MINUTE_MS;
    char text[48];
    kith_cli_when_span(mins, text, sizeof(text));
    if (mins == 0)
        snprintf(out, size, "now");
    else if (delta > 0)
        snprintf(out, size, "in %s", text);
    else
        snprintf(out, size, "%s %s", text, past);
    return 0;
}

void kith_cli_when_local(const char *iso, char *out, size_t size)
{
    if (kith_cli_render_time(iso, 0, out, size) < 0) snprintf(out, size, "%s", iso ? iso : "");
}
