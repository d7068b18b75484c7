/*
 * API tokens.  Only a SHA-256 of each token is stored; the token itself is
 * shown once, when created, and never logged.  Verification hashes the
 * presented token and compares it with every stored hash in constant time.
 */
#ifndef KITH_STORE_TOKEN_H
#define KITH_STORE_TOKEN_H

#include "store/store.h"

#include <stdint.h>

#define KITH_TOKEN_BUFSZ 80
#define KITH_TOKEN_NAME_MAX 64

/* Creates a token for `name` with `role` ("admin", "agent" or "viewer") and
 * writes it into out.  Returns 0, KITH_ECONFLICT when the name is taken, or
 * KITH_EIO.  Runs its own transaction: not for use inside a request. */
int kith_store_token_create(kith_store *s, const char *role, const char *name,
                            char out[KITH_TOKEN_BUFSZ]);
/* Checks `token`; on a match returns 0 with its role and name (name must
 * hold KITH_TOKEN_NAME_MAX + 1 bytes), else KITH_EUNAUTH. */
int kith_store_token_verify(kith_store *s, const char *token, char role[16], char *name);
/* 1 when at least one token exists (auth is then required), else 0. */
int kith_store_token_exists(kith_store *s);

#endif
