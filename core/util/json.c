/*
 * See json.h.
 */
#include "util/json.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <math.h>

cJSON *kith_json_time(int64_t ms)
{
    char buf[KITH_TIME_BUFSZ];
    kith_time_format(ms, buf);
    return cJSON_CreateString(buf);
}

static int attach(cJSON *obj, const char *key, cJSON *item)
{
    if (!item) return KITH_ENOMEM;
    cJSON_AddItemToObject(obj, key, item);
    return 0;
}

int kith_json_add_time(cJSON *obj, const char *key, int64_t ms)
{
    return attach(obj, key, kith_json_time(ms));
}

int kith_json_add_str(cJSON *obj, const char *key, const char *s)
{
    return attach(obj, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

int kith_json_add_int(cJSON *obj, const char *key, int64_t v)
{
    return attach(obj, key, cJSON_CreateNumber((double)v));
}

int kith_json_add_money(cJSON *obj, const char *key, int64_t cents)
{
    /* cents / 100.0 is the double nearest the decimal value, and cJSON prints
     * the shortest form that round-trips, so 30 cents prints as 0.3. */
    return attach(obj, key, cJSON_CreateNumber((double)cents / 100.0));
}

const char *kith_json_get_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int kith_money_from_double(double v, int64_t *cents)
{
    if (!isfinite(v) || fabs(v) > 1e13) return KITH_EPARAMS;
    double scaled = v * 100.0;
    double r = nearbyint(scaled);
    /* A value typed with at most two decimals lands within a few ulps of an
     * integer after scaling; anything further off had a third decimal. */
    double off = fabs(scaled - r);
    if (off > 1e-6 && off > fabs(scaled) * 4e-16) return KITH_EPARAMS;
    *cents = (int64_t)r;
    return 0;
}

int kith_json_is_int(double v)
{
    return isfinite(v) && v == trunc(v) && fabs(v) <= 9007199254740992.0;
}
