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

int kith_store_token_create(kith_store *s, const char *role, const char *name, int64_t expires_at,
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
        s, "INSERT INTO tokens(name, role, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, hash, sizeof(hash), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, kith_time_now_ms());
    if (expires_at) sqlite3_bind_int64(st, 5, expires_at);
    if (sqlite3_step(st) != SQLITE_DONE) return kith_store_error(s, "create token");
    return 0;
}

int kith_store_token_verify(kith_store *s, const char *token, int64_t now, kith_token_info *info)
{
    uint8_t hash[KITH_SHA256_LEN];
    kith_sha256(token, strlen(token), hash);
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT hash, role, name, id, expires_at FROM tokens");
    if (!st) return KITH_EIO;
    int found = 0;
    memset(info, 0, sizeof(*info));
    /* Every row is compared, match or not, so timing says nothing about
     * which prefix of which token was right. */
    while (sqlite3_step(st) == SQLITE_ROW) {
        const void *h = sqlite3_column_blob(st, 0);
        if (sqlite3_column_bytes(st, 0) != KITH_SHA256_LEN || !h) continue;
        if (kith_ct_equal(h, hash, KITH_SHA256_LEN) && !found) {
            found = 1;
            snprintf(info->role, sizeof(info->role), "%s",
                     (const char *)sqlite3_column_text(st, 1));
            snprintf(info->name, sizeof(info->name), "%s",
                     (const char *)sqlite3_column_text(st, 2));
            info->id = sqlite3_column_int64(st, 3);
            info->expires_at = sqlite3_column_int64(st, 4);
        }
    }
    sqlite3_reset(st);
    if (found && info->expires_at && now >= info->expires_at) found = 0;
    return found ? 0 : KITH_EUNAUTH;
}

int kith_store_token_check(kith_store *s, int64_t id, int64_t now)
{
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT expires_at FROM tokens WHERE id = ?");
    if (!st) return KITH_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = KITH_EUNAUTH;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t exp = sqlite3_column_int64(st, 0);
        if (!exp || now < exp) rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}

int kith_store_token_list(kith_store *s, cJSON **out)
{
    *out = NULL;
    sqlite3_stmt *st =
        kith_store_stmt(s, "SELECT name, role, created_at, expires_at FROM tokens ORDER BY name");
    if (!st) return KITH_EIO;
    cJSON *arr = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        kith_json_add_str(o, "name", (const char *)sqlite3_column_text(st, 0));
        kith_json_add_str(o, "role", (const char *)sqlite3_column_text(st, 1));
        kith_json_add_time(o, "created_at", sqlite3_column_int64(st, 2));
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            cJSON_AddNullToObject(o, "expires_at");
        else
            kith_json_add_time(o, "expires_at", sqlite3_column_int64(st, 3));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(arr);
        return kith_store_error(s, "list tokens");
    }
    *out = arr;
    return 0;
}

int kith_store_token_revoke(kith_store *s, const char *name, int64_t *id)
{
    sqlite3_stmt *st = kith_store_stmt(s, "DELETE FROM tokens WHERE name = ? RETURNING id");
    if (!st) return KITH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    } else if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return KITH_ENOTFOUND;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return kith_store_error(s, "revoke token");
    return 0;
}

int kith_store_token_data_version(kith_store *s, int64_t *version)
{
    sqlite3_stmt *st = kith_store_stmt(s, "PRAGMA data_version");
    if (!st) return KITH_EIO;
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : KITH_EIO;
    if (!rc) *version = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc;
}

int kith_store_token_exists(kith_store *s)
{
    /* Asked on every request of a trusted local connection: answered from
     * a memo while no commit (ours, or `kithd token create` in another
     * process) has happened since it was taken. */
    kith_token_memo *m = kith_store_token_memo(s);
    unsigned version = 0;
    int current = kith_store_data_version(s, &version) == 0;
    if (current && m->known && m->version == version) return m->exists;
    sqlite3_stmt *st = kith_store_stmt(s, "SELECT EXISTS (SELECT 1 FROM tokens)");
    if (!st) return 1; /* fail closed: when in doubt, demand auth */
    int rc = sqlite3_step(st);
    int exists = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
    sqlite3_reset(st);
    *m = (kith_token_memo){
        .version = version, .known = current && rc == SQLITE_ROW, .exists = exists};
    return exists;
}
