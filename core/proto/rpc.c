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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

enum work_state { WORK_HELD, WORK_TAKEN, WORK_BACK };

struct kith_rpc_job {
    cJSON *root;          /* the parsed message (owned) */
    cJSON *next;          /* batch: the next element to run; NULL when all ran */
    int batch;            /* root is a batch (an array) */
    int ran, total;       /* batch elements run so far, and in all */
    int replies;          /* batch replies in `reply` so far */
    int too_large;        /* the batch's reply passed max_reply (note 5) */
    kith_buf reply;       /* batch: "[" and the replies so far */
    const cJSON *waiting; /* the request whose work is off the loop, or NULL */
    kith_offload *work;   /* that work */
    int work_state;       /* enum work_state */
    int work_status;      /* what kith_rpc_job_resume said */
};

static uint64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Appends the reply for a call's outcome (no newline); nothing for a
 * notification.  Returns 1 when it wrote a reply.  Takes `result` and
 * err->data. */
static int outcome(kith_buf *out, const cJSON *id, int rc, cJSON *result, kith_call_error *err)
{
    int replied = 0;
    if (!id) {
        /* A notification: its outcome is not reported, by definition. */
    } else if (rc < 0) {
        error_value(out, id, err->code, err->message, err->param, err->data);
        replied = 1;
    } else {
        size_t start = kith_buf_size(out);
        kith_buf_appends(out, "{\"jsonrpc\":\"2.0\",\"id\":");
        write_id(out, id);
        kith_buf_appends(out, ",\"result\":");
        int wrc = kith_json_write(out, result);
        if (!wrc) wrc = kith_buf_appends(out, "}");
        if (wrc < 0) {
            kith_buf_truncate(out, start);
            error_value(out, id, KITH_ENOMEM, "out of memory while encoding the result", NULL,
                        NULL);
        }
        replied = 1;
    }
    cJSON_Delete(result);
    cJSON_Delete(err->data);
    err->data = NULL;
    return replied;
}

enum { NO_REPLY = 0, REPLIED = 1, WAITS = 2 };

/* Handles one request object: appends its reply (without newline) and
 * returns REPLIED, returns NO_REPLY for a notification, or WAITS with *work
 * set when its reply waits for work off the loop. */
static int handle_one(kith_dispatch *d, kith_session *s, const cJSON *req, kith_buf *out,
                      kith_offload **work)
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
    int rc = kith_dispatch_call_async(d, s, method->valuestring, params, &result, work, &err);
    if (rc == KITH_DEFERRED) return WAITS;
    return outcome(out, id, rc, result, &err);
}

/* Finishes the request whose work came back: appends its reply (without
 * newline) like handle_one. */
static int finish_one(kith_dispatch *d, kith_rpc_job *job, kith_buf *out)
{
    cJSON *result = NULL;
    kith_call_error err;
    int rc = kith_dispatch_finish(d, job->work, job->work_status, &result, &err);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(job->waiting, "id");
    job->work = NULL;
    job->waiting = NULL;
    return outcome(out, id, rc, result, &err);
}

/* Replaces the reply that starts at `start` in `out` when it passed
 * `max_reply` (note 5).  `total` is the batch's size, 0 for a single
 * request.  Returns 1 when it did. */
static int cap_reply(kith_buf *out, size_t start, const cJSON *id, const kith_rpc_limits *lim,
                     const kith_session *s, int ran, int total)
{
    size_t size = kith_buf_size(out) - start;
    if (size <= lim->max_reply) return 0;
    kith_buf_truncate(out, start);
    char msg[240];
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddNumberToObject(extra, "max_output_bytes", (double)lim->max_reply);
    if (total) {
        snprintf(msg, sizeof(msg),
                 "the batch's reply passed max_output_bytes (%zu bytes) at request %d of %d: "
                 "the first %d ran (their writes are committed), the rest did not run",
                 lim->max_reply, ran, total, ran);
        cJSON_AddNumberToObject(extra, "ran", ran);
        cJSON_AddNumberToObject(extra, "requests", total);
    } else {
        snprintf(msg, sizeof(msg),
                 "the reply (%zu bytes) is larger than max_output_bytes (%zu bytes); the "
                 "request ran",
                 size, lim->max_reply);
    }
    kith_warn("rpc: a reply to %s (%s) was too large and was replaced by an error: %s",
              total ? "a batch" : "a request", s->name, msg);
    error_value(out, id, KITH_ETOOLARGE, msg, NULL, extra);
    cJSON_Delete(extra);
    return 1;
}

/* Adds one element's reply, already appended after `before`, to the batch;
 * `r` is what handle_one or finish_one returned. */
static void add_reply(kith_rpc_job *job, size_t before, int r, const kith_rpc_limits *lim,
                      const kith_session *s)
{
    if (r == 0) {
        kith_buf_truncate(&job->reply, before);
        return;
    }
    job->replies++;
    if (cap_reply(&job->reply, 0, NULL, lim, s, job->ran, job->total)) {
        job->too_large = 1;
        job->next = NULL;
    }
}

/* Runs batch elements until the budget is spent, the batch is done, or an
 * element waits for work off the loop.  Returns the requests it ran. */
static int run_batch(kith_dispatch *d, kith_session *s, kith_rpc_job *job,
                     const kith_rpc_limits *lim)
{
    uint64_t t0 = mono_usec();
    int ran = 0;
    while (job->next && !job->waiting) {
        if (ran && mono_usec() - t0 >= lim->budget_usec) break;
        cJSON *req = job->next;
        job->next = req->next;
        job->ran++;
        ran++;
        size_t before = kith_buf_size(&job->reply);
        if (job->replies) kith_buf_append(&job->reply, ",", 1);
        int r = handle_one(d, s, req, &job->reply, &job->work);
        if (r == WAITS) {
            kith_buf_truncate(&job->reply, before);
            job->waiting = req;
            job->work_state = WORK_HELD;
        } else {
            add_reply(job, before, r, lim, s);
        }
    }
    return ran;
}

/* Moves a finished batch's reply to `out` (nothing when every element was
 * a notification). */
static void end_batch(kith_rpc_job *job, kith_buf *out)
{
    if (!job->replies) return;
    kith_buf_append(out, kith_buf_head(&job->reply), kith_buf_size(&job->reply));
    if (!job->too_large) kith_buf_append(out, "]", 1);
    kith_buf_append(out, "\n", 1);
}

int kith_rpc_job_state(const kith_rpc_job *job)
{
    if (job->waiting) return job->work_state == WORK_BACK ? KITH_RPC_MORE : KITH_RPC_WAIT;
    return job->next ? KITH_RPC_MORE : KITH_RPC_DONE;
}

kith_offload *kith_rpc_job_take(kith_rpc_job *job)
{
    kith_assert(job->waiting && job->work_state == WORK_HELD);
    job->work_state = WORK_TAKEN;
    return job->work;
}

void kith_rpc_job_resume(kith_rpc_job *job, kith_offload *work, int status)
{
    kith_assert(job->waiting && job->work == work && job->work_state == WORK_TAKEN);
    job->work_state = WORK_BACK;
    job->work_status = status;
}

int kith_rpc_job_run(kith_dispatch *d, kith_session *s, kith_rpc_job *job,
                     const kith_rpc_limits *lim, kith_buf *out)
{
    int ran = 0;
    if (job->waiting) {
        if (job->work_state != WORK_BACK) return 0;
        if (!job->batch) {
            size_t start = kith_buf_size(out);
            if (finish_one(d, job, out)) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(job->root, "id");
                cap_reply(out, start, id, lim, s, 0, 0);
                kith_buf_append(out, "\n", 1);
            }
            return 0; /* counted when it was handled */
        }
        size_t before = kith_buf_size(&job->reply);
        if (job->replies) kith_buf_append(&job->reply, ",", 1);
        add_reply(job, before, finish_one(d, job, &job->reply), lim, s);
    }
    if (job->batch) {
        ran = run_batch(d, s, job, lim);
        if (kith_rpc_job_state(job) == KITH_RPC_DONE) end_batch(job, out);
    }
    return ran;
}

/* Frees what a job holds (not the job itself). */
static void release(kith_rpc_job *job)
{
    /* Work held and never taken was never started: finish it unrun. */
    if (job->waiting && job->work_state == WORK_HELD) {
        cJSON *none = NULL;
        kith_call_error err = {0};
        job->work->finish(job->work, KITH_EINVREQ, &none, &err);
        cJSON_Delete(none);
        cJSON_Delete(err.data);
    }
    cJSON_Delete(job->root);
    kith_buf_release(&job->reply);
}

void kith_rpc_job_free(kith_rpc_job *job)
{
    if (!job) return;
    release(job);
    free(job);
}

int kith_rpc_handle(kith_dispatch *d, kith_session *s, const char *msg, size_t len, int has_nul,
                    const kith_rpc_limits *lim, kith_buf *out, kith_rpc_job **jobp)
{
    *jobp = NULL;
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
    kith_rpc_job job = {.root = root};
    int requests = 0;
    if (!cJSON_IsArray(root)) {
        requests = 1;
        size_t start = kith_buf_size(out);
        int r = handle_one(d, s, root, out, &job.work);
        if (r == WAITS) {
            job.waiting = root;
            job.work_state = WORK_HELD;
        } else if (r) {
            cap_reply(out, start, cJSON_GetObjectItemCaseSensitive(root, "id"), lim, s, 0, 0);
            kith_buf_append(out, "\n", 1);
        }
    } else if (!root->child) {
        kith_rpc_write_error(out, NULL, KITH_EINVREQ, "an empty batch is not a request", NULL);
    } else {
        job.batch = 1;
        job.next = root->child;
        job.total = cJSON_GetArraySize(root);
        kith_buf_init(&job.reply);
        kith_buf_append(&job.reply, "[", 1);
        requests = run_batch(d, s, &job, lim);
        if (kith_rpc_job_state(&job) == KITH_RPC_DONE) end_batch(&job, out);
    }
    if (kith_rpc_job_state(&job) == KITH_RPC_DONE) {
        release(&job);
        return requests;
    }
    /* Not done: the message becomes a job of its own. */
    if ((*jobp = malloc(sizeof(**jobp)))) {
        **jobp = job;
    } else {
        kith_error("rpc: out of memory keeping a message across passes; the rest is dropped");
        kith_rpc_write_error(out, NULL, KITH_ENOMEM,
                             "out of memory: the rest of this message was not run", NULL);
        release(&job);
    }
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
