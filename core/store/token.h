/*
 * API tokens.  Only a SHA-256 of each token is stored; the token itself is
 * shown once, when created, and never logged.  Verification hashes the
 * presented token and compares it with every stored hash in constant time.
 * A token may carry an expiry; past it, it verifies no more.  Sessions hold
 * a token's id, so a revoked name created again is a different token.
 */
#ifndef KITH_STORE_TOKEN_H
#define KITH_STORE_TOKEN_H

#include "store/store.h"

#include <cJSON.h>
#include <stdint.h>

#define KITH_TOKEN_BUFSZ    80
#define KITH_TOKEN_NAME_MAX 64

/* What a verified token grants. */
typedef struct kith_token_info {
    int64_t id;
    int64_t expires_at; /* ms since the epoch; 0 = never */
    char role[16];
    char name[KITH_TOKEN_NAME_MAX + 1];
} kith_token_info;

/* Creates a token for `name` with `role` ("admin", "agent" or "viewer"),
 * expiring at `expires_at` (0: never), and writes it into out.  Returns 0,
 * KITH_ECONFLICT when the name is taken, or KITH_EIO.  Works inside a
 * request (token.create) or on its own (kithd token create, autocommit). */
int kith_store_token_create(kith_store *s, const char *role, const char *name, int64_t expires_at,
                            char out[KITH_TOKEN_BUFSZ]);
/* Checks `token` at time `now`; on a match that has not expired returns 0
 * with *info filled, else KITH_EUNAUTH. */
int kith_store_token_verify(kith_store *s, const char *token, int64_t now, kith_token_info *info);
/* 0 when token `id` still exists and has not expired at `now`, else
 * KITH_EUNAUTH (or KITH_EIO). */
int kith_store_token_check(kith_store *s, int64_t id, int64_t now);
/* Every token as [{name, role, created_at, expires_at}] by name, never the
 * hash; *out is owned by the caller. */
int kith_store_token_list(kith_store *s, cJSON **out);
/* Deletes the token `name`; its id goes to *id.  Returns 0, KITH_ENOTFOUND
 * or KITH_EIO. */
int kith_store_token_revoke(kith_store *s, const char *name, int64_t *id);
/* SQLite's data_version: it changes when another connection (kithd token
 * revoke from the shell) commits, so the server knows to re-check sessions. */
int kith_store_token_data_version(kith_store *s, int64_t *version);
/* 1 when at least one token exists (auth is then required), else 0. */
int kith_store_token_exists(kith_store *s);

#endif
