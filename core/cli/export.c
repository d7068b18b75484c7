/*
 * See export.h.  One page in memory at a time; the cursor of each page
 * asks for the next.  Columns: fixed for customers and orders (what import
 * reads, then the read-only id and times import ignores), the first
 * record's keys for the others.
 */
#include "cli/export.h"
#include "cli/csv.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const customer_cols[] = {
    "external_id", "name",  "email", "phone",      "company",    "owner", "stage",
    "tags",        "attrs", "id",    "created_at", "updated_at", NULL,
};
static const char *const order_cols[] = {
    "external_id", "customer_external_id", "amount", "currency", "at", "items",
    "id",          "created_at",           NULL,
};

typedef struct export_kind {
    const char *name, *method;
    const char *const *cols; /* NULL: the first record's keys */
    int filter_nested;       /* the filter goes under params.filter */
} export_kind;

static const export_kind kinds[] = {
    {"customers", "customer.list", customer_cols, 1},
    {"orders", "order.search", order_cols, 0},
    {"interactions", "interaction.search", NULL, 0},
    {"tickets", "ticket.list", NULL, 0},
    {NULL, NULL, NULL, 0},
};

static int usage(void)
{
    fprintf(stderr, "kith: usage: export customers|orders|interactions|tickets [--filter JSON] "
                    "[--format csv|jsonl] [-o FILE]\n");
    return KITH_EPARAMS;
}

/* One cell: strings as they are, null as empty, the rest as JSON. */
static void write_cell(FILE *out, const cJSON *v)
{
    if (!v || cJSON_IsNull(v)) return;
    if (cJSON_IsString(v)) {
        kith_csv_write_field(out, v->valuestring);
        return;
    }
    char *text = cJSON_PrintUnformatted(v);
    if (text) kith_csv_write_field(out, text);
    cJSON_free(text);
}

static void write_header(FILE *out, const char *const *cols, const cJSON *first)
{
    int i = 0;
    if (cols) {
        for (; cols[i]; i++)
            fprintf(out, "%s%s", i ? "," : "", cols[i]);
    } else {
        const cJSON *k;
        cJSON_ArrayForEach(k, first)
        {
            if (i++) putc(',', out);
            kith_csv_write_field(out, k->string);
        }
    }
    putc('\n', out);
}

static void write_row(FILE *out, const char *const *cols, const cJSON *header, const cJSON *rec)
{
    int i = 0;
    if (cols) {
        for (; cols[i]; i++) {
            if (i) putc(',', out);
            write_cell(out, cJSON_GetObjectItemCaseSensitive(rec, cols[i]));
        }
    } else {
        const cJSON *k;
        cJSON_ArrayForEach(k, header)
        {
            if (i++) putc(',', out);
            write_cell(out, cJSON_GetObjectItemCaseSensitive(rec, k->string));
        }
    }
    putc('\n', out);
}

int kith_cli_export_run(kith_cli_session *s, int argc, char *const *argv)
{
    if (argc < 2) return usage();
    const export_kind *k = kinds;
    while (k->name && strcmp(k->name, argv[1]) != 0)
        k++;
    if (!k->name) return usage();
    const char *format = "csv", *path = NULL, *filter_text = NULL;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--format") == 0)
            format = argv[++i];
        else if (strcmp(argv[i], "-o") == 0)
            path = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0)
            filter_text = argv[++i];
        else
            return usage();
    }
    int jsonl = strcmp(format, "jsonl") == 0;
    if (!jsonl && strcmp(format, "csv") != 0) return usage();
    cJSON *filter = filter_text ? cJSON_Parse(filter_text) : NULL;
    if (filter_text && !cJSON_IsObject(filter)) {
        cJSON_Delete(filter);
        fprintf(stderr, "kith: --filter must be a JSON object, like '{\"stage\": \"active\"}'\n");
        return KITH_EPARAMS;
    }
    FILE *out = path ? fopen(path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "kith: cannot write %s: %s\n", path, strerror(errno));
        cJSON_Delete(filter);
        return KITH_EPARAMS;
    }
    cJSON *header = NULL; /* the first record, for generic columns */
    char *cursor = NULL;
    long n = 0;
    int rc = 0;
    do {
        cJSON *p = cJSON_CreateObject(), *page = NULL;
        if (filter && k->filter_nested) {
            cJSON_AddItemToObject(p, "filter", cJSON_Duplicate(filter, 1));
        } else if (filter) {
            const cJSON *f;
            cJSON_ArrayForEach(f, filter)
                cJSON_AddItemToObject(p, f->string, cJSON_Duplicate(f, 1));
        }
        cJSON_AddNumberToObject(p, "limit", 1000);
        if (cursor) cJSON_AddStringToObject(p, "cursor", cursor);
        free(cursor);
        cursor = NULL;
        if ((rc = kith_cli_session_call(s, k->method, p, &page)) < 0) break;
        const cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(page, "items"))
        {
            if (jsonl) {
                char *text = cJSON_PrintUnformatted(item);
                if (text) fprintf(out, "%s\n", text);
                cJSON_free(text);
            } else {
                if (n == 0) {
                    header = cJSON_Duplicate(item, 0);
                    cJSON *c;
                    cJSON_ArrayForEach(c, (cJSON *)item) cJSON_AddNullToObject(header, c->string);
                    write_header(out, k->cols, header);
                }
                write_row(out, k->cols, header, item);
            }
            n++;
        }
        const char *next =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(page, "next_cursor"));
        if (next) cursor = strdup(next);
        cJSON_Delete(page);
    } while (cursor);
    if (rc == 0 && n == 0 && !jsonl && k->cols) write_header(out, k->cols, NULL);
    if (path && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "kith: cannot write %s: %s\n", path, strerror(errno));
        rc = KITH_EPARAMS;
    }
    if (rc == 0 && path) fprintf(stderr, "exported %ld %s to %s\n", n, k->name, path);
    free(cursor);
    cJSON_Delete(header);
    cJSON_Delete(filter);
    return rc;
}
