/*
 * See token.h.  Tokens are "kith_" followed by 48 hex digits of kernel
 * randomness (192 bits).
 */
#include "store/token.h"
#include "util/error.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/timefmt.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int kith_store_token_create(kith_store *s, const char *role, const char *name,
                            char out[KITH_TOKEN_BUFSZ])
{
    uint8_t raw[24];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) return KITH_EIO;
    int n = snprintf(out, KITH_TOKEN_BUFSZ, "kith_");
    for (size_t i = 0; i < sizeof(raw); i++)
        n += snprintf(out + n, KITH_TOKEN_BUFSZ - (size_t)n, "%02x", raw[i]);
    uint8_t hash[KITH_SHA256_LEN];
    kith_sha256(out, strlen(out), hash);
    sqlite3_stmt *st = kith_store_stmt(
        s, "INSERT INTO tokens(name, role, hash, created_at) VALUES (?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, hash, sizeof(hash), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, kith_time_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "create token");
    return 0;
}

int kith_store_token_verify(kith_store *s, const char *token, char role[16], char *name)
{
    uint8_t hash[KITH_SHA256_LEN];
    kith_sha256(token, strlen(token), hash);
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT hash, role, name FROM tokens");
    if (!st) return KITH_EIO;
    int found = 0;
    /* Every row is compared, match or not, so timing says nothing about
     * which prefix of which token was right. */
    while (sqlite3_step(st) == SQLITE_ROW) {
        const void *h = sqlite3_column_blob(st, 0);
        if (sqlite3_column_bytes(st, 0) != KITH_SHA256_LEN || !h) continue;
        if (kith_ct_equal(h, hash, KITH_SHA256_LEN) && !found) {
            found = 1;
            snprintf(role, 16, "%s", (const char *)sqlite3_column_text(st, 1));
            snprintf(name, KITH_TOKEN_NAME_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 2));
        }
    }
    sqlite3_reset(st);
    return found ? 0 : KITH_EUNAUTH;
}

int kith_store_token_exists(kith_store *s)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT EXISTS (SELECT 1 FROM tokens)");
    if (!st) return 1; /* fail closed: when in doubt, demand auth */
    int exists = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
    sqlite3_reset(st);
    return exists;
}
