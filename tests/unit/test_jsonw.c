/*
 * The JSON writer: for a spread of values its text matches cJSON's own
 * compact printing (parsed back, they compare equal), integers are exact,
 * and strings are escaped.
 */
#include "check.h"
#include "util/jsonw.h"

#include <stdlib.h>

static void same_as_cjson(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    CHECK(v != NULL);
    kith_buf b;
    kith_buf_init(&b);
    CHECK_INT(kith_json_write(&b, v), 0);
    char *theirs = cJSON_PrintUnformatted(v);
    CHECK_STR(kith_buf_head(&b), theirs);
    cJSON *back = cJSON_Parse(kith_buf_head(&b));
    CHECK(cJSON_Compare(v, back, 1));
    cJSON_Delete(back);
    cJSON_free(theirs);
    kith_buf_release(&b);
    cJSON_Delete(v);
}

int main(void)
{
    same_as_cjson("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
    same_as_cjson("[0,-1,42,19.99,0.3,1e-7,123456789012]");
    same_as_cjson("{\"s\":\"quote \\\" back \\\\ nl \\n tab \\t ctl \\u0001 \\u001f é €\"}");
    same_as_cjson("[]");
    same_as_cjson("{}");
    same_as_cjson("[[[[{}]]]]");
    /* Integers up to 2^53 are printed exactly (cJSON's 15 digits are not). */
    cJSON *n = cJSON_CreateNumber(9007199254740991.0);
    kith_buf b;
    kith_buf_init(&b);
    kith_json_write(&b, n);
    CHECK_STR(kith_buf_head(&b), "9007199254740991");
    kith_buf_clear(&b);
    cJSON_SetNumberValue(n, -42);
    kith_json_write(&b, n);
    CHECK_STR(kith_buf_head(&b), "-42");
    kith_buf_release(&b);
    cJSON_Delete(n);
    return check_done();
}
