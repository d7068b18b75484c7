/*
 * See rpc.h.  A reply is written straight into the connection's output
 * buffer; a batch's replies are joined into one array as the spec requires.
 */
#include "proto/rpc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonw.h"
#include "util/log.h"

#include <math.h>
#include <string.h>

/* Ids are echoed exactly: cJSON prints numbers with 15 significant digits,
 * which would change an integer id like 9007199254740991. */
static void write_id(kith_buf *out, const cJSON *id)
{
    if (cJSON_IsNumber(id)) {
        if (kith_json_is_int(id->valuedouble))
            kith_buf_appendf(out, "%lld", (long long)id->valuedouble);
        else
            kith_buf_appendf(out, "%.17g", id->valuedouble);
        return;
    }
    char *text = id ? cJSON_PrintUnformatted(id) : NULL;
    kith_buf_appends(out, text ? text : "null");
    cJSON_free(text);
}

/* Appends one error object (no trailing newline). */
static void error_value(kith_buf *out, const cJSON *id, int code, const char *message,
                        const char *param, const cJSON *extra)
{
    cJSON *err = cJSON_CreateObject();
    cJSON_AddNumberToObject(err, "code", kith_error_rpc_code(code));
    cJSON_AddStringToObject(err, "message", message && *message ? message : kith_strerror(code));
    cJSON *data = cJSON_AddObjectToObject(err, "data");
    cJSON_AddStringToObject(data, "kind", kith_error_kind(code));
    if (param && *param) cJSON_AddStringToObject(data, "param", param);
    for (const cJSON *e = extra ? extra->child : NULL; e; e = e->next)
        cJSON_AddItemToObject(data, e->string, cJSON_Duplicate(e, 1));
    char *text = cJSON_PrintUnformatted(err);
    cJSON_Delete(err);
    kith_buf_appends(out, "{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(out, id);
    kith_buf_appends(out, ",\"error\":");
    kith_buf_appends(out, text ? text : "{\"code\":-32603,\"message\":\"out of memory\"}");
    kith_buf_appends(out, "}");
    cJSON_free(text);
}

void kith_rpc_write_error(kith_buf *out, const cJSON *id, int code, const char *message,
                          const char *param)
{
    error_value(out, id, code, message, param, NULL);
    kith_buf_append(out, "\n", 1);
}

static int valid_id(const cJSON *id)
{
    return cJSON_IsString(id) || cJSON_IsNull(id) ||
           (cJSON_IsNumber(id) && isfinite(id->valuedouble));
}

/* Handles one request object; appends its reply (without newline) and
 * returns 1, or returns 0 when there is nothing to reply. */
static int handle_one(kith_dispatch *d, kith_session *s, const cJSON *req, kith_buf *out)
{
    const char *why = NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
    if (!cJSON_IsObject(req))
        why = "a request must be a JSON object";
    else if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0") != 0)
        why = "jsonrpc must be \"2.0\"";
    else if (id && !valid_id(id))
        why = "id must be a string, a number or null";
    else if (!cJSON_IsString(method))
        why = "method must be a string";
    else if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params))
        why = "params must be an object or an array";
    if (why) {
        error_value(out, id && valid_id(id) ? id : NULL, KITH_EINVREQ, why, NULL, NULL);
        return 1;
    }

    cJSON *result = NULL;
    kith_call_error err;
    int rc = kith_dispatch_call(d, s, method->valuestring, params, &result, &err);
    if (!id) {
        /* A notification: its outcome is not reported, by definition. */
        cJSON_Delete(result);
        cJSON_Delete(err.data);
        return 0;
    }
    if (rc < 0) {
        error_value(out, id, err.code, err.message, err.param, err.data);
        cJSON_Delete(err.data);
        return 1;
    }
    size_t start = kith_buf_size(out);
    kith_buf_appends(out, "{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(out, id);
    kith_buf_appends(out, ",\"result\":");
    int wrc = kith_json_write(out, result);
    if (!wrc) wrc = kith_buf_appends(out, "}");
    cJSON_Delete(result);
    if (wrc < 0) {
        kith_buf_truncate(out, start);
        error_value(out, id, KITH_ENOMEM, "out of memory while encoding the result", NULL, NULL);
    }
    return 1;
}

int kith_rpc_handle(kith_dispatch *d, kith_session *s, const char *msg, size_t len, int has_nul,
                    kith_buf *out)
{
    cJSON *root = cJSON_ParseWithLength(msg, len);
    if (!root) {
        kith_rpc_write_error(out, NULL, KITH_EPARSE, "parse error: not valid JSON", NULL);
        return KITH_EPARSE;
    }
    if (has_nul) {
        /* cJSON would cut the string at the NUL, so the request is refused
         * whole; only a numeric id can be echoed with certainty. */
        const cJSON *id =
            cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "id") : NULL;
        kith_rpc_write_error(out, cJSON_IsNumber(id) && valid_id(id) ? id : NULL, KITH_EPARAMS,
                             "strings containing U+0000 (\\u0000) are not accepted", NULL);
        cJSON_Delete(root);
        return 1;
    }
    int requests = 0;
    if (!cJSON_IsArray(root)) {
        requests = 1;
        if (handle_one(d, s, root, out)) kith_buf_append(out, "\n", 1);
    } else if (!root->child) {
        kith_rpc_write_error(out, NULL, KITH_EINVREQ, "an empty batch is not a request", NULL);
    } else {
        /* Remember where the batch starts so an all-notification batch
         * leaves no trace in the output. */
        size_t start = kith_buf_size(out);
        int replies = 0;
        kith_buf_append(out, "[", 1);
        for (const cJSON *req = root->child; req; req = req->next) {
            requests++;
            size_t before = kith_buf_size(out);
            if (replies) kith_buf_append(out, ",", 1);
            if (handle_one(d, s, req, out))
                replies++;
            else
                kith_buf_truncate(out, before);
        }
        if (replies)
            kith_buf_append(out, "]\n", 2);
        else
            kith_buf_truncate(out, start);
    }
    cJSON_Delete(root);
    return requests;
}

/* One reply value of kith_rpc_fail_results: a success becomes the error. */
static void fail_value(const cJSON *v, int code, kith_buf *out)
{
    if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "result")) {
        error_value(out, cJSON_GetObjectItemCaseSensitive(v, "id"), code, NULL, NULL, NULL);
        return;
    }
    char *text = cJSON_PrintUnformatted(v);
    kith_buf_appends(out, text ? text : "null");
    cJSON_free(text);
}

void kith_rpc_fail_results(const char *held, size_t len, int code, kith_buf *out)
{
    const char *p = held, *end = held + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cJSON *v = cJSON_ParseWithLength(p, n);
        if (!v || (!cJSON_IsArray(v) && !cJSON_GetObjectItemCaseSensitive(v, "result"))) {
            kith_buf_append(out, p, n); /* an error or a notification: as it was */
        } else if (cJSON_IsArray(v)) {
            kith_buf_append(out, "[", 1);
            for (const cJSON *e = v->child; e; e = e->next) {
                if (e != v->child) kith_buf_append(out, ",", 1);
                fail_value(e, code, out);
            }
            kith_buf_append(out, "]", 1);
        } else {
            fail_value(v, code, out);
        }
        cJSON_Delete(v);
        kith_buf_append(out, "\n", 1);
        p += n + 1;
    }
}
