/*
 * Shared by the libFuzzer targets: a failed invariant aborts with both sides
 * printed (libFuzzer then saves the input as crash-*), and a small reader
 * takes control bytes off the front of an input so the rest stays data.
 */
#ifndef KITH_FUZZ_H
#define KITH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct fuzz_input {
    const uint8_t *p;
    size_t n;
} fuzz_input;

/* Takes one byte off the front (0 once the input is used up). */
static inline uint8_t fuzz_u8(fuzz_input *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

/* Takes eight bytes off the front as a signed 64-bit value (little endian;
 * missing bytes count as 0). */
static inline int64_t fuzz_i64(fuzz_input *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)fuzz_u8(in) << (8 * i);
    return (int64_t)v;
}

/* Takes bytes up to (not including) the first `sep`, or the rest, as a new
 * NUL-terminated string; the separator is consumed.  Free the result. */
static inline char *fuzz_str(fuzz_input *in, uint8_t sep)
{
    const uint8_t *end = memchr(in->p, sep, in->n);
    size_t len = end ? (size_t)(end - in->p) : in->n;
    char *s = malloc(len + 1);
    if (!s) abort();
    memcpy(s, in->p, len);
    s[len] = '\0';
    in->p += len + (end != NULL);
    in->n -= len + (end != NULL);
    return s;
}

/* 1 when the n bytes at s contain the string `needle`. */
static inline int fuzz_contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0) return 1;
    return 0;
}

/* A small deterministic generator (xorshift64*) for choices that must not
 * eat into the data, such as where to split a stream. */
static inline uint64_t fuzz_next(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
