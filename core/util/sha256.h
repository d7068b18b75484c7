/*
 * SHA-256 (FIPS 180-4), used to store API tokens as hashes.  Written here
 * rather than pulling in a crypto library for one function.
 */
#ifndef KITH_UTIL_SHA256_H
#define KITH_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define KITH_SHA256_LEN 32

/* Hashes `len` bytes of `data` into `out`. */
void kith_sha256(const void *data, size_t len, uint8_t out[KITH_SHA256_LEN]);
/* Compares two byte strings in time that depends only on `len`.
 * Returns 1 when equal, 0 otherwise. */
int kith_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
