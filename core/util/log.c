/*
 * See log.h.  One fprintf per line so concurrent writers (tests spawning
 * several servers into one file) do not interleave within a line.  Every
 * line is escaped here, once, because messages carry text from clients and
 * rules (print, crm.log, names, errors): a newline or a terminal escape in
 * it must not start a line of its own or repaint the operator's screen.
 */
#include "util/log.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int threshold = KITH_LOG_INFO;
static const char *names[] = {"debug", "info", "warn", "error"};

void kith_log_set_level(int level)
{
    threshold = level;
}

int kith_log_parse_level(const char *name, int *level)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *level = i;
            return 0;
        }
    return KITH_ECONFIG;
}

void kith_log(int level, const char *fmt, ...)
{
    if (level < threshold) return;
    char when[KITH_TIME_BUFSZ], msg[1024];
    kith_time_format(kith_time_now_ms(), when);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char safe[4 * sizeof(msg)];
    kith_log_escape(msg, safe, sizeof(safe));
    fprintf(stderr, "%s %-5s %s\n", when, names[level], safe);
}

void kith_log_escape(const char *in, char *out, size_t outlen)
{
    static const char hexd[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 7 < outlen; p++) {
        unsigned c = *p;
        if (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            /* C1 controls in UTF-8 (U+0080..U+009F, CSI among them). */
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hexd[p[1] >> 4];
            out[o + 5] = hexd[p[1] & 15];
            o += 6;
            p++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hexd[c >> 4];
            out[o++] = hexd[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

void kith_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "kith: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
