/*
 * See cursor.h.  The plain form is "v1:<key>:<id>"; base64url keeps it opaque
 * and URL-safe, and the version prefix lets a later format coexist.
 */
#include "util/cursor.h"
#include "util/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void kith_cursor_encode(const kith_cursor *c, char out[KITH_CURSOR_BUFSZ])
{
    char plain[48];
    int n = snprintf(plain, sizeof(plain), "v1:%" PRId64 ":%" PRId64, c->key, c->id);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < n; i++) {
        acc = (acc << 8) | (unsigned char)plain[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = b64[(acc >> bits) & 63];
        }
    }
    if (bits > 0) out[o++] = b64[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

int kith_cursor_decode(const char *text, kith_cursor *c)
{
    char plain[48];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (strlen(text) >= KITH_CURSOR_BUFSZ) return KITH_EPARAMS;
    for (const char *p = text; *p; p++) {
        const char *hit = strchr(b64, *p);
        if (!hit || *p == '\0') return KITH_EPARAMS;
        acc = (acc << 6) | (uint32_t)(hit - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= sizeof(plain)) return KITH_EPARAMS;
            plain[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    plain[n] = '\0';
    long long key, id;
    int used = 0;
    if (sscanf(plain, "v1:%lld:%lld%n", &key, &id, &used) != 2 || (size_t)used != n)
        return KITH_EPARAMS;
    c->key = key;
    c->id = id;
    return 0;
}
