/*
 * Small cJSON helpers shared by the layers that build records: times as ISO
 * strings, money as numbers exact to the cent, strings that may be null.
 * Every constructor returns a new node owned by the caller (or NULL when out
 * of memory); the add_* helpers attach to `obj` and return 0 or KITH_ENOMEM.
 */
#ifndef KITH_UTIL_JSON_H
#define KITH_UTIL_JSON_H

#include <cJSON.h>
#include <stdint.h>

/* An ISO 8601 string for `ms`. */
cJSON *kith_json_time(int64_t ms);
int kith_json_add_time(cJSON *obj, const char *key, int64_t ms);
/* A string, or JSON null when s is NULL. */
int kith_json_add_str(cJSON *obj, const char *key, const char *s);
int kith_json_add_int(cJSON *obj, const char *key, int64_t v);
/* Money in major units from integer cents. */
int kith_json_add_money(cJSON *obj, const char *key, int64_t cents);
/* The string member `key` of obj, or NULL when absent, null or not a string. */
const char *kith_json_get_str(const cJSON *obj, const char *key);

/* Converts a JSON number in major units to cents.  Refuses non-finite
 * values, more than two decimals and magnitudes past 10^13: returns 0 or
 * KITH_EPARAMS. */
int kith_money_from_double(double v, int64_t *cents);
/* 1 when v is an integer exactly representable in a double (|v| <= 2^53). */
int kith_json_is_int(double v);

#endif
