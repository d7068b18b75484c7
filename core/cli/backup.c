/*
 * See backup.h.  The copy is the server's work; this only words the
 * request and the answer.
 */
#include "cli/backup.h"
#include "cli/render.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "kith: usage: backup FILE [--overwrite] [--json]\n");
    return KITH_EPARAMS;
}

/* "12.3 MB" for a byte count. */
static void human_size(double bytes, char *out, size_t size)
{
    static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, size, "%.0f bytes", bytes);
    else
        snprintf(out, size, "%.1f %s", bytes, units[u]);
}

int kith_cli_backup_run(kith_cli_session *s, int argc, char *const *argv)
{
    const char *file = NULL;
    int overwrite = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--overwrite") == 0)
            overwrite = 1;
        else if (strcmp(argv[i], "--json") == 0)
            s->json_output = 1;
        else if (argv[i][0] == '-' || file)
            return usage();
        else
            file = argv[i];
    }
    if (!file) return usage();
    cJSON *params = cJSON_CreateObject(), *result = NULL;
    cJSON_AddStringToObject(params, "path", file);
    if (overwrite) cJSON_AddTrueToObject(params, "overwrite");
    int rc = kith_cli_session_call(s, "system.backup", params, &result);
    if (rc < 0) return rc;
    if (s->json_output) {
        rc = kith_cli_render_result(stdout, result, 1);
    } else {
        char size[32];
        const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(result, "bytes");
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(result, "seq");
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "path"));
        human_size(cJSON_GetNumberValue(bytes), size, sizeof(size));
        printf("backup written to %s\n  size  %s (%.0f bytes)\n  seq   %.0f (the last event it "
               "holds)\n",
               path ? path : "?", size, cJSON_GetNumberValue(bytes), cJSON_GetNumberValue(seq));
    }
    cJSON_Delete(result);
    return rc < 0 ? rc : 0;
}
