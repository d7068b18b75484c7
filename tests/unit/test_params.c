/*
 * The param checker: types, required, unknown names (named in err.param),
 * positional params mapped to declared order, null for optional params.
 */
#include "check.h"
#include "dispatch/params.h"
#include "util/error.h"

static const kith_param decl[] = {
    {"id", KITH_T_INT, 1, ""},       {"name", KITH_T_STRING, 0, ""},
    {"tags", KITH_T_STRINGS, 0, ""}, {"amount", KITH_T_NUMBER, 0, ""},
    {"at", KITH_T_TIME, 0, ""},      {"due", KITH_T_DUE, 0, ""},
    {"flag", KITH_T_BOOL, 0, ""},    {NULL},
};

/* Checks `json` and returns the error's param ("" on success). */
static const char *bad_param(const char *json)
{
    static kith_call_error err;
    memset(&err, 0, sizeof(err));
    cJSON *p = json ? cJSON_Parse(json) : NULL;
    cJSON *out = NULL;
    int owned = 0;
    int rc = kith_params_check(decl, p, &out, &owned, &err);
    if (rc == 0 && owned) cJSON_Delete(out);
    cJSON_Delete(p);
    if (rc == 0) return "";
    CHECK_INT(rc, KITH_EPARAMS);
    CHECK_INT(err.code, KITH_EPARAMS);
    return err.param;
}

int main(void)
{
    CHECK_STR(bad_param("{\"id\":1}"), "");
    CHECK_STR(bad_param("{\"id\":1,\"name\":\"x\",\"tags\":[\"a\"],\"amount\":1.5,"
                        "\"at\":\"2026-01-01T00:00:00Z\",\"due\":\"15m\",\"flag\":true}"),
              "");
    CHECK_STR(bad_param(NULL), "id");
    CHECK_STR(bad_param("{}"), "id");
    CHECK_STR(bad_param("{\"id\":\"1\"}"), "id");
    CHECK_STR(bad_param("{\"id\":1.5}"), "id");
    CHECK_STR(bad_param("{\"id\":1e30}"), "id");
    CHECK_STR(bad_param("{\"id\":1,\"nme\":\"x\"}"), "nme");
    CHECK_STR(bad_param("{\"id\":1,\"tags\":[1]}"), "tags");
    CHECK_STR(bad_param("{\"id\":1,\"tags\":\"a\"}"), "tags");
    CHECK_STR(bad_param("{\"id\":1,\"amount\":1e400}"), "amount");
    CHECK_STR(bad_param("{\"id\":1,\"at\":\"yesterday\"}"), "at");
    CHECK_STR(bad_param("{\"id\":1,\"at\":\"15m\"}"), "at");
    CHECK_STR(bad_param("{\"id\":1,\"due\":\"soon\"}"), "due");
    CHECK_STR(bad_param("{\"id\":1,\"flag\":1}"), "flag");
    /* null means "not given" for optional params, and is refused for
     * required ones. */
    CHECK_STR(bad_param("{\"id\":1,\"name\":null}"), "");
    CHECK_STR(bad_param("{\"id\":null}"), "id");
    /* Positional params follow the declared order. */
    CHECK_STR(bad_param("[1,\"x\"]"), "");
    CHECK_STR(bad_param("[\"x\"]"), "id");
    CHECK_STR(bad_param("[1,\"x\",[],1,\"2026-01-01T00:00:00Z\",\"1h\",true,7]"), "[7]");
    {
        kith_call_error err = {0};
        cJSON *p = cJSON_Parse("[7,\"Ada\"]"), *out = NULL;
        int owned = 0;
        CHECK_INT(kith_params_check(decl, p, &out, &owned, &err), 0);
        CHECK_INT(owned, 1);
        CHECK_INT(cJSON_GetObjectItem(out, "id")->valuedouble, 7);
        CHECK_STR(cJSON_GetObjectItem(out, "name")->valuestring, "Ada");
        cJSON_Delete(out);
        cJSON_Delete(p);
    }
    return check_done();
}
