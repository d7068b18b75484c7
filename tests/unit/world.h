/*
 * A private in-memory world for the unit tests that drive commands through
 * the dispatcher: the store, the dispatcher, a reply buffer, and helpers to
 * call methods and look at the event log.  Each test file owns one world.
 */
#ifndef KITH_TEST_WORLD_H
#define KITH_TEST_WORLD_H

#include "dispatch/dispatch.h"
#include "proto/rpc.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

#include <sqlite3.h>
#include <string.h>

static kith_store *store;
static kith_dispatch *d;
static kith_buf out;

/* Sends one raw message as `s` and returns the reply text (valid until the
 * next call; newline stripped; "" for none).  Commits like a loop pass. */
static inline const char *rpc(kith_session *s, const char *msg)
{
    kith_buf_clear(&out);
    kith_rpc_limits lim = {.budget_usec = UINT64_MAX, .max_reply = SIZE_MAX};
    kith_rpc_job *job = NULL;
    kith_rpc_handle(d, s, msg, strlen(msg), 0, &lim, &out, &job);
    /* Work a request hands off the loop runs right here, on this thread. */
    while (job && kith_rpc_job_state(job) != KITH_RPC_DONE) {
        if (kith_rpc_job_state(job) == KITH_RPC_WAIT) {
            kith_offload *work = kith_rpc_job_take(job);
            work->run(work);
            kith_rpc_job_resume(job, work, 0);
        }
        kith_rpc_job_run(d, s, job, &lim, &out);
    }
    kith_rpc_job_free(job);
    kith_store_commit(store);
    if (kith_buf_size(&out) && kith_buf_head(&out)[kith_buf_size(&out) - 1] == '\n')
        kith_buf_truncate(&out, kith_buf_size(&out) - 1);
    return kith_buf_size(&out) ? kith_buf_head(&out) : "";
}

/* Calls `method` with JSON `params` as `s`; returns the result (owned) or
 * NULL with *code set to the error's JSON-RPC code (0 on success). */
static inline cJSON *call_as(kith_session *s, const char *method, const char *params, int *code)
{
    cJSON *p = cJSON_Parse(params), *result = NULL;
    kith_call_error err;
    int rc = kith_dispatch_call(d, s, method, p, &result, &err);
    kith_store_commit(store);
    cJSON_Delete(p);
    cJSON_Delete(err.data);
    *code = rc ? kith_error_rpc_code(rc) : 0;
    return result;
}

static inline int64_t num(const cJSON *o, const char *key)
{
    return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* The single integer `sql` (with an optional text ?1) yields in `s`. */
static inline int64_t count_rows(kith_store *s, const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    sqlite3_prepare_v2(kith_store_db(s), sql, -1, &st, NULL);
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* How many events of `type` the log of `s` holds. */
static inline int64_t events(kith_store *s, const char *type)
{
    return count_rows(s, "SELECT count(*) FROM events WHERE type = ?", type);
}

/* The data of the newest event of `type` in `s` (owned), or NULL. */
static inline cJSON *last_event(kith_store *s, const char *type)
{
    sqlite3_stmt *st;
    cJSON *data = NULL;
    sqlite3_prepare_v2(kith_store_db(s),
                       "SELECT data FROM events WHERE type = ? ORDER BY seq DESC LIMIT 1", -1, &st,
                       NULL);
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        data = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return data;
}

#endif
