/*
 * system.backup: a consistent copy of the database, made while the server
 * keeps serving.  The handler checks the request on the loop and hands the
 * copy to a worker thread (kith_ctx_offload); the reply comes when the copy
 * is checked and in place.  The copying itself is the store's
 * (store/backup.c); restoring is `kithd restore` (server/restore.c).
 *
 * Decisions: a relative path is relative to the data folder (the server
 * writes the file, and the client's folder may not exist on its host); an
 * existing file is refused unless `overwrite` is true; the database's own
 * files can never be the target; one backup runs at a time.
 */
#include "commands/commands.h"
#include "store/backup.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BACKUP_PATH_MAX 4096

struct backup_job {
    kith_offload base; /* first: the dispatcher sees only this */
    char db[BACKUP_PATH_MAX + 16];
    char dest[BACKUP_PATH_MAX];
    char tmp[BACKUP_PATH_MAX + 8];
    kith_backup_info info;
    int rc;
    char why[600];
    struct timespec t0;
};

/* Only the loop thread reads or writes it (handler and finish). */
static int backup_running;

static void backup_run(kith_offload *base)
{
    struct backup_job *job = (struct backup_job *)base;
    job->rc =
        kith_store_backup(job->db, job->dest, job->tmp, &job->info, job->why, sizeof(job->why));
}

static int backup_finish(kith_offload *base, int status, cJSON **result, kith_call_error *err)
{
    struct backup_job *job = (struct backup_job *)base;
    backup_running = 0;
    int rc = status < 0 ? status : job->rc;
    if (rc < 0) {
        err->code = rc;
        snprintf(err->message, sizeof(err->message), "backup to %.200s failed: %.280s", job->dest,
                 status < 0 ? "it could not be started" : job->why);
        kith_error("backup: %s", err->message);
    } else {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - job->t0.tv_sec) * 1000 + (t1.tv_nsec - job->t0.tv_nsec) / 1000000;
        kith_info("backup: %s written (%lld bytes, events up to seq %lld) in %ld ms", job->dest,
                  (long long)job->info.bytes, (long long)job->info.seq, ms);
        cJSON *o = cJSON_CreateObject();
        kith_json_add_str(o, "path", job->dest);
        kith_json_add_int(o, "bytes", job->info.bytes);
        kith_json_add_int(o, "seq", job->info.seq);
        kith_json_add_int(o, "schema", job->info.schema);
        *result = o;
    }
    free(job);
    return rc;
}

/* dest <- `path` made absolute: relative paths start at the data folder. */
static int resolve(kith_ctx *ctx, const char *path, char *dest, size_t size)
{
    char dir[PATH_MAX];
    if (!*path) return kith_ctx_fail(ctx, KITH_EPARAMS, "path", "path must not be empty");
    if (path[0] == '/') {
        if (snprintf(dest, size, "%s", path) >= (int)size) goto too_long;
        return 0;
    }
    if (!realpath(ctx->env->data_dir ? ctx->env->data_dir : ".", dir))
        return kith_ctx_fail(ctx, KITH_EIO, NULL, "cannot resolve the data folder: %s",
                             strerror(errno));
    if (snprintf(dest, size, "%s/%s", dir, path) >= (int)size) goto too_long;
    return 0;
too_long:
    return kith_ctx_fail(ctx, KITH_EPARAMS, "path", "path is too long");
}

/* 1 when `dest` names one of the live database's own files. */
static int is_live_file(const kith_ctx *ctx, const char *dest)
{
    static const char *const own[] = {"kith.db", "kith.db-wal", "kith.db-shm", "kith.db-journal",
                                      "kithd.lock"};
    char copy[BACKUP_PATH_MAX], parent[PATH_MAX], data[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", dest);
    const char *base = strrchr(dest, '/') + 1;
    if (!realpath(dirname(copy), parent) || !realpath(ctx->env->data_dir, data)) return 0;
    if (strcmp(parent, data) != 0) return 0;
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (strcmp(base, own[i]) == 0) return 1;
    return 0;
}

static int system_backup(kith_ctx *ctx, const cJSON *params, cJSON **result)
{
    const char *path = kith_json_get_str(params, "path");
    int overwrite = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "overwrite"));
    char dest[BACKUP_PATH_MAX], parent[BACKUP_PATH_MAX];
    int rc = resolve(ctx, path, dest, sizeof(dest));
    if (rc < 0) return rc;
    size_t n = strlen(dest);
    if (dest[n - 1] == '/')
        return kith_ctx_fail(ctx, KITH_EPARAMS, "path", "%s names a folder, not a file", dest);
    snprintf(parent, sizeof(parent), "%s", dest);
    struct stat st;
    if (stat(dirname(parent), &st) < 0 || !S_ISDIR(st.st_mode))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "path", "the folder of %s does not exist", dest);
    if (is_live_file(ctx, dest))
        return kith_ctx_fail(ctx, KITH_EPARAMS, "path", "%s is the live database's own file", dest);
    if (stat(dest, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return kith_ctx_fail(ctx, KITH_EPARAMS, "path", "%s is a folder", dest);
        if (!overwrite) {
            ctx->err->data = cJSON_CreateObject();
            cJSON_AddStringToObject(ctx->err->data, "reason", "exists");
            return kith_ctx_fail(ctx, KITH_ECONFLICT, "path",
                                 "%s exists; pass overwrite: true to replace it", dest);
        }
    }
    if (backup_running) {
        ctx->err->data = cJSON_CreateObject();
        cJSON_AddStringToObject(ctx->err->data, "reason", "backup_running");
        return kith_ctx_fail(ctx, KITH_ECONFLICT, NULL, "a backup is running already");
    }
    struct backup_job *job = calloc(1, sizeof(*job));
    if (!job) return kith_ctx_fail(ctx, KITH_ENOMEM, NULL, "out of memory");
    job->base.run = backup_run;
    job->base.finish = backup_finish;
    snprintf(job->db, sizeof(job->db), "%s/kith.db", ctx->env->data_dir);
    snprintf(job->dest, sizeof(job->dest), "%s", dest);
    snprintf(job->tmp, sizeof(job->tmp), "%s.tmp", dest);
    clock_gettime(CLOCK_MONOTONIC, &job->t0);
    backup_running = 1;
    return kith_ctx_offload(ctx, &job->base);
}

static const kith_param backup_params[] = {
    {"path", KITH_T_STRING, 1, "file to write; relative paths start at the server's data folder"},
    {"overwrite", KITH_T_BOOL, 0, "replace the file if it exists (default false)"},
    {NULL},
};

const kith_command kith_cmd_backup[] = {
    {"system.backup", system_backup, backup_params, KITH_CMD_READ | KITH_CMD_ADMIN, KITH_ROLE_ADMIN,
     "Copy a consistent snapshot of the database to a file while the server keeps serving",
     "{path, bytes, seq}: the snapshot holds every event up to seq"},
    {NULL},
};
