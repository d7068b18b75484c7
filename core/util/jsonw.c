/*
 * See jsonw.h.
 */
#include "util/jsonw.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_number(kith_buf *out, double d)
{
    char buf[32];
    int n;
    if (!isfinite(d)) return kith_buf_append(out, "null", 4);
    if (d == trunc(d) && fabs(d) < 9007199254740992.0) {
        /* Integers: ids, counts, times — most numbers written. */
        long long v = (long long)d;
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        char *p = buf + sizeof(buf);
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0) *--p = '-';
        return kith_buf_append(out, p, (size_t)(buf + sizeof(buf) - p));
    }
    /* The shortest of 15 or 17 significant digits that reads back the same,
     * as cJSON does. */
    n = snprintf(buf, sizeof(buf), "%1.15g", d);
    if (strtod(buf, NULL) != d) n = snprintf(buf, sizeof(buf), "%1.17g", d);
    return kith_buf_append(out, buf, (size_t)n);
}

static int write_string(kith_buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = kith_buf_append(out, "\"", 1);
    const char *run = s;
    for (const char *p = s; *p && !rc; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        rc = kith_buf_append(out, run, (size_t)(p - run));
        char esc[6] = {'\\', 0};
        size_t len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        if (!rc) rc = kith_buf_append(out, esc, len);
        run = p + 1;
    }
    if (!rc) rc = kith_buf_appends(out, run);
    if (!rc) rc = kith_buf_append(out, "\"", 1);
    return rc;
}

int kith_json_write(kith_buf *out, const cJSON *v)
{
    if (!v || cJSON_IsNull(v)) return kith_buf_append(out, "null", 4);
    if (cJSON_IsFalse(v)) return kith_buf_append(out, "false", 5);
    if (cJSON_IsTrue(v)) return kith_buf_append(out, "true", 4);
    if (cJSON_IsNumber(v)) return write_number(out, v->valuedouble);
    if (cJSON_IsString(v)) return write_string(out, v->valuestring ? v->valuestring : "");
    if (cJSON_IsRaw(v)) return kith_buf_appends(out, v->valuestring ? v->valuestring : "null");
    int array = cJSON_IsArray(v);
    int rc = kith_buf_append(out, array ? "[" : "{", 1);
    for (const cJSON *e = v->child; e && !rc; e = e->next) {
        if (e != v->child) rc = kith_buf_append(out, ",", 1);
        if (!rc && !array) {
            rc = write_string(out, e->string ? e->string : "");
            if (!rc) rc = kith_buf_append(out, ":", 1);
        }
        if (!rc) rc = kith_json_write(out, e);
    }
    if (!rc) rc = kith_buf_append(out, array ? "]" : "}", 1);
    return rc;
}
