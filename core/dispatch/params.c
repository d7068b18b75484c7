/*
 * See params.h.
 */
#include "dispatch/params.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *kith_param_type_name(int type)
{
    switch (type) {
    case KITH_T_STRING: return "string";
    case KITH_T_INT: return "integer";
    case KITH_T_NUMBER: return "number";
    case KITH_T_BOOL: return "boolean";
    case KITH_T_OBJECT: return "object";
    case KITH_T_ARRAY: return "array";
    case KITH_T_STRINGS: return "array of strings";
    case KITH_T_TIME: return "ISO 8601 time";
    case KITH_T_DUE: return "ISO 8601 time or duration";
    default: return "any";
    }
}

static int bad(kith_call_error *err, const char *param, const char *why)
{
    err->code = KITH_EPARAMS;
    snprintf(err->param, sizeof(err->param), "%s", param);
    snprintf(err->message, sizeof(err->message), "%s %s", param, why);
    return KITH_EPARAMS;
}

static int check_type(const kith_param *p, const cJSON *v, kith_call_error *err)
{
    char why[96];
    int ok;
    int64_t ms;
    switch (p->type) {
    case KITH_T_STRING: ok = cJSON_IsString(v); break;
    case KITH_T_INT:
        if (!cJSON_IsNumber(v)) {
            ok = 0;
            break;
        }
        /* A JSON integer past 2^53 arrives already rounded to a double
         * (2^53 + 1 reads as 2^53), so only the range where every integer
         * is exact is accepted: never act on a silently different id. */
        if (!kith_json_is_int(v->valuedouble) || fabs(v->valuedouble) >= 9007199254740992.0)
            return bad(err, p->name, "must be an integer between -(2^53 - 1) and 2^53 - 1");
        ok = 1;
        break;
    case KITH_T_NUMBER:
        ok = cJSON_IsNumber(v);
        if (ok && !isfinite(v->valuedouble)) return bad(err, p->name, "is out of range");
        break;
    case KITH_T_BOOL: ok = cJSON_IsBool(v); break;
    case KITH_T_OBJECT: ok = cJSON_IsObject(v); break;
    case KITH_T_ARRAY: ok = cJSON_IsArray(v); break;
    case KITH_T_STRINGS:
        ok = cJSON_IsArray(v);
        for (const cJSON *e = ok ? v->child : NULL; e; e = e->next)
            if (!cJSON_IsString(e)) return bad(err, p->name, "must be an array of strings");
        break;
    case KITH_T_TIME:
        if (!cJSON_IsString(v)) {
            ok = 0;
            break;
        }
        if (kith_time_parse_iso(v->valuestring, &ms) < 0)
            return bad(err, p->name,
                       "must be an ISO 8601 time with an offset, "
                       "like 2026-11-23T14:31:57Z");
        ok = 1;
        break;
    case KITH_T_DUE:
        if (!cJSON_IsString(v)) {
            ok = 0;
            break;
        }
        if (kith_time_parse_iso(v->valuestring, &ms) < 0 &&
            kith_time_parse_duration(v->valuestring, &ms) < 0)
            return bad(err, p->name, "must be an ISO 8601 time or a duration like \"15m\"");
        ok = 1;
        break;
    default: ok = 1; break;
    }
    if (ok) return 0;
    snprintf(why, sizeof(why), "must be of type %s", kith_param_type_name(p->type));
    return bad(err, p->name, why);
}

static const kith_param *find_decl(const kith_param *decl, const char *name)
{
    for (const kith_param *p = decl; p && p->name; p++)
        if (strcmp(p->name, name) == 0) return p;
    return NULL;
}

int kith_params_check(const kith_param *decl, const cJSON *params, cJSON **out, int *owned,
                      kith_call_error *err)
{
    cJSON *obj = NULL;
    *owned = 0;
    if (!params) {
        obj = cJSON_CreateObject();
        *owned = 1;
    } else if (cJSON_IsArray(params)) {
        obj = cJSON_CreateObject();
        *owned = 1;
        const kith_param *p = decl;
        int i = 0;
        for (const cJSON *v = params->child; v; v = v->next, i++) {
            if (!p || !p->name) {
                char name[24];
                snprintf(name, sizeof(name), "[%d]", i);
                cJSON_Delete(obj);
                *owned = 0;
                return bad(err, name, "is one positional parameter too many");
            }
            if (obj) cJSON_AddItemReferenceToObject(obj, p->name, (cJSON *)v);
            p++;
        }
    } else {
        obj = (cJSON *)params;
    }
    if (!obj) return KITH_ENOMEM;

    int rc = 0;
    for (const cJSON *v = obj->child; v && !rc; v = v->next) {
        const kith_param *p = find_decl(decl, v->string);
        if (!p)
            rc = bad(err, v->string, "is not a parameter of this method");
        else if (!cJSON_IsNull(v) || p->required)
            /* null stands for "not given" on optional params. */
            rc = check_type(p, v, err);
    }
    for (const kith_param *p = decl; p && p->name && !rc; p++)
        if (p->required && !cJSON_GetObjectItemCaseSensitive(obj, p->name))
            rc = bad(err, p->name, "is required");
    if (rc) {
        if (*owned) cJSON_Delete(obj);
        *owned = 0;
        return rc;
    }
    *out = obj;
    return 0;
}
