/*
 * The param checker (dispatch/params.c) against a declaration the input
 * chooses.
 *
 * Input: bytes 0-1 mark which of the ten declared params are required, byte
 * 2 how many are declared (0-10); the rest is the params as JSON (an object
 * or an array; not JSON means no params at all).  Declared, in order: s string, i integer, n
 * number, b boolean, o object, a array, ss strings, t time, due due, any any. Invariants:
 *   1. Success hands back an object that holds only declared names, every
 *      required one, and values of the declared types (null allowed where
 *      optional); an object that was passed in is handed back as is.
 *   2. Failure is KITH_EPARAMS with a message and owns nothing.
 *   3. Positional params behave exactly like the same values by name: same
 *      outcome, same offending param; one value too many is "[k]".
 */
#include "fuzz.h"
#include "dispatch/params.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>

static const kith_param all[] = {
    {"s", KITH_T_STRING, 0, ""},   {"i", KITH_T_INT, 0, ""},    {"n", KITH_T_NUMBER, 0, ""},
    {"b", KITH_T_BOOL, 0, ""},     {"o", KITH_T_OBJECT, 0, ""}, {"a", KITH_T_ARRAY, 0, ""},
    {"ss", KITH_T_STRINGS, 0, ""}, {"t", KITH_T_TIME, 0, ""},   {"due", KITH_T_DUE, 0, ""},
    {"any", KITH_T_ANY, 0, ""},
};
#define NALL (sizeof(all) / sizeof(all[0]))

/* The types as the contract words them, written out independently. */
static int type_ok(int type, const cJSON *v)
{
    int64_t ms;
    switch (type) {
    case KITH_T_STRING: return cJSON_IsString(v);
    case KITH_T_INT:
        return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
               v->valuedouble == trunc(v->valuedouble) && fabs(v->valuedouble) <= 0x1p53;
    case KITH_T_NUMBER: return cJSON_IsNumber(v) && isfinite(v->valuedouble);
    case KITH_T_BOOL: return cJSON_IsBool(v);
    case KITH_T_OBJECT: return cJSON_IsObject(v);
    case KITH_T_ARRAY: return cJSON_IsArray(v);
    case KITH_T_STRINGS:
        if (!cJSON_IsArray(v)) return 0;
        for (const cJSON *e = v->child; e; e = e->next)
            if (!cJSON_IsString(e)) return 0;
        return 1;
    case KITH_T_TIME: return cJSON_IsString(v) && kith_time_parse_iso(v->valuestring, &ms) == 0;
    case KITH_T_DUE:
        return cJSON_IsString(v) && (kith_time_parse_iso(v->valuestring, &ms) == 0 ||
                                     kith_time_parse_duration(v->valuestring, &ms) == 0);
    default: return 1;
    }
}

static const kith_param *find(const kith_param *decl, const char *name)
{
    for (; decl->name; decl++)
        if (strcmp(decl->name, name) == 0) return decl;
    return NULL;
}

static int check(const kith_param *decl, const cJSON *params, kith_call_error *err)
{
    cJSON *out = NULL;
    int owned = -1;
    memset(err, 0, sizeof(*err));
    int rc = kith_params_check(decl, params, &out, &owned, err);
    if (rc) {
        FUZZ_CHECK(rc == KITH_EPARAMS && err->code == KITH_EPARAMS, "rc %d code %d", rc, err->code);
        FUZZ_CHECK(owned == 0, "a failure left owned = %d", owned);
        FUZZ_CHECK(err->message[0] && memchr(err->message, 0, sizeof(err->message)), "no message");
        FUZZ_CHECK(memchr(err->param, 0, sizeof(err->param)), "param not terminated");
        return rc;
    }
    FUZZ_CHECK(cJSON_IsObject(out), "success without an object");
    if (cJSON_IsObject(params))
        FUZZ_CHECK(out == params && !owned, "an object was copied");
    else
        FUZZ_CHECK(owned == 1 && out != params, "a new object not owned");
    for (const cJSON *v = out->child; v; v = v->next) {
        const kith_param *p = find(decl, v->string);
        FUZZ_CHECK(p, "undeclared param \"%s\" accepted", v->string);
        if (!cJSON_IsNull(v) || p->required)
            FUZZ_CHECK(type_ok(p->type, v), "param \"%s\" of the wrong type accepted", v->string);
    }
    for (const kith_param *p = decl; p->name; p++)
        if (p->required)
            FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(out, p->name), "required \"%s\" missing",
                       p->name);
    if (owned) cJSON_Delete(out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    unsigned required = fuzz_u8(&in);
    required |= (unsigned)fuzz_u8(&in) << 8;
    size_t ndecl = fuzz_u8(&in) % (NALL + 1);
    kith_param decl[NALL + 1];
    for (size_t i = 0; i < ndecl; i++) {
        decl[i] = all[i];
        decl[i].required = (required >> i) & 1;
    }
    memset(&decl[ndecl], 0, sizeof(decl[ndecl]));

    cJSON *params = cJSON_ParseWithLength((const char *)in.p, in.n);
    if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params)) {
        /* The envelope refuses other params before the checker runs. */
        cJSON_Delete(params);
        return 0;
    }
    kith_call_error err;
    int rc = check(decl, params, &err);
    if (cJSON_IsArray(params)) {
        int count = cJSON_GetArraySize(params);
        if ((size_t)count > ndecl) {
            char want[24];
            snprintf(want, sizeof(want), "[%zu]", ndecl);
            FUZZ_CHECK(rc && strcmp(err.param, want) == 0, "%d positional for %zu declared: %s",
                       count, ndecl, err.param);
        } else {
            /* The same values by name. */
            cJSON *named = cJSON_CreateObject();
            size_t i = 0;
            for (const cJSON *v = params->child; v; v = v->next, i++)
                cJSON_AddItemToObject(named, decl[i].name, cJSON_Duplicate(v, 1));
            kith_call_error err2;
            int rc2 = check(decl, named, &err2);
            FUZZ_CHECK(rc == rc2 && strcmp(err.param, err2.param) == 0,
                       "positional: %d \"%s\", by name: %d \"%s\"", rc, err.param, rc2, err2.param);
            cJSON_Delete(named);
        }
    }
    cJSON_Delete(params);
    return 0;
}
