/*
 * See import.h.  Three passes over the file, so that nothing is
 * half-imported unless the user asks for it:
 *   1. check: every row read (CSV syntax, UTF-8, cell sizes, column
 *      counts, JSON cells) before anything is sent; any error stops here.
 *   2. dry run: every batch sent with dry_run, so the server checks and
 *      matches each record and writes nothing; any failing record stops
 *      here, listed in the errors file.  --per-record skips this pass.
 *   3. write: the batches for real.  After each acknowledged batch the
 *      state file records where the next one starts, which is what
 *      --resume continues from after an interruption.
 */
#include "cli/import.h"
#include "cli/csv.h"
#include "cli/import_map.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CELL      (64 * 1024)
#define DEFAULT_BATCH 1000

typedef struct import_opts {
    int orders, per_record, resume, dry_run, quiet, batch;
    const char *file, *maps, *on_match, *match_on, *source;
    char errors_path[1024], state_path[1024];
} import_opts;

typedef struct import_run {
    const import_opts *o;
    kith_cli_session *s;
    kith_import_map map;
    long rows; /* data rows in the file */
    long done; /* rows sent in this pass */
    long created, updated, skipped, failed;
    FILE *errors; /* the errors file, opened at the first error */
    double t0;
    int64_t resume_offset; /* where pass 3 starts */
    long resume_line, resume_done;
} import_run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "kith: usage: import customers|orders FILE.csv [--map field=Header,...] "
                    "[--per-record] [--resume] [--dry-run] [--on-match update|skip|error] "
                    "[--match-on external_id,identity,email,phone] [--source NAME] "
                    "[--batch N] [--errors FILE] [--quiet]\n");
    return KITH_EPARAMS;
}

static int parse_args(import_opts *o, int argc, char *const *argv)
{
    memset(o, 0, sizeof(*o));
    o->batch = DEFAULT_BATCH;
    if (argc < 3) return usage();
    if (strcmp(argv[1], "customers") != 0 && strcmp(argv[1], "orders") != 0) return usage();
    o->orders = strcmp(argv[1], "orders") == 0;
    const char *errors = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--map") == 0 && v)
            o->maps = v;
        else if (strcmp(a, "--on-match") == 0 && v)
            o->on_match = v;
        else if (strcmp(a, "--match-on") == 0 && v)
            o->match_on = v;
        else if (strcmp(a, "--source") == 0 && v)
            o->source = v;
        else if (strcmp(a, "--errors") == 0 && v)
            errors = v;
        else if (strcmp(a, "--batch") == 0 && v)
            o->batch = atoi(v);
        else {
            takes = 0;
            if (strcmp(a, "--per-record") == 0)
                o->per_record = 1;
            else if (strcmp(a, "--resume") == 0)
                o->resume = 1;
            else if (strcmp(a, "--dry-run") == 0)
                o->dry_run = 1;
            else if (strcmp(a, "--quiet") == 0)
                o->quiet = 1;
            else if (a[0] == '-' || o->file)
                return usage();
            else
                o->file = a;
        }
        i += takes;
    }
    if (!o->file || o->batch < 1 || o->batch > 1000) return usage();
    if (!o->source) {
        const char *slash = strrchr(o->file, '/');
        o->source = slash ? slash + 1 : o->file;
    }
    snprintf(o->errors_path, sizeof(o->errors_path), "%s", errors ? errors : "");
    if (!errors) snprintf(o->errors_path, sizeof(o->errors_path), "%s.errors.csv", o->file);
    snprintf(o->state_path, sizeof(o->state_path), "%s.import-state", o->file);
    return 0;
}

static int file_error(const import_opts *o, const char *msg)
{
    fprintf(stderr, "kith: %s: %s; nothing was imported\n", o->file, msg);
    return KITH_EPARAMS;
}

/* Opens the file past its BOM and reads the header into a map. */
static int open_file(import_run *r, FILE **fp, kith_csv *csv)
{
    FILE *f = fopen(r->o->file, "rb");
    if (!f) {
        fprintf(stderr, "kith: cannot open %s: %s\n", r->o->file, strerror(errno));
        return KITH_EPARAMS;
    }
    kith_csv_skip_bom(f);
    kith_csv_init(csv, f, MAX_CELL, 1);
    int rc = kith_csv_next(csv);
    if (rc <= 0) {
        kith_csv_release(csv);
        fclose(f);
        return file_error(r->o, rc < 0 ? csv->err : "the file is empty (no header row)");
    }
    *fp = f;
    return 0;
}

static const char **cells_of(const kith_csv *csv, const char **cells)
{
    for (size_t i = 0; i < csv->nfields; i++)
        cells[i] = kith_csv_field(csv, i);
    return cells;
}

/* Pass 1: the header and every row, nothing sent. */
static int check_file(import_run *r)
{
    FILE *f;
    kith_csv csv;
    int rc = open_file(r, &f, &csv);
    if (rc) return rc;
    size_t ncols = csv.nfields;
    const char **cells = calloc(ncols, sizeof(*cells));
    char err[512];
    if (kith_import_map_build(&r->map, r->o->orders, cells_of(&csv, cells), ncols, r->o->maps, err,
                              sizeof(err)) < 0)
        rc = file_error(r->o, err);
    while (!rc && (rc = kith_csv_next(&csv)) == 1) {
        rc = 0;
        if (csv.nfields != ncols) {
            snprintf(err, sizeof(err), "line %ld: %zu fields, but the header has %zu", csv.line,
                     csv.nfields, ncols);
            rc = file_error(r->o, err);
            break;
        }
        char why[300];
        cJSON *rec = kith_import_map_record(&r->map, cells_of(&csv, cells), why, sizeof(why));
        if (!rec) {
            snprintf(err, sizeof(err), "line %ld: %s", csv.line, why);
            rc = file_error(r->o, err);
        }
        cJSON_Delete(rec);
        r->rows++;
    }
    if (rc < 0 && rc != KITH_EPARAMS) rc = file_error(r->o, csv.err);
    free(cells);
    kith_csv_release(&csv);
    fclose(f);
    return rc;
}

static void progress(import_run *r, const char *what)
{
    if (r->o->quiet || !isatty(STDERR_FILENO)) return;
    double el = now_s() - r->t0, rate = el > 0 ? (double)r->done / el : 0;
    long left = r->rows - r->done;
    double eta = rate > 0 ? (double)left / rate : 0;
    int pct = r->rows ? (int)(100 * r->done / r->rows) : 100, width = 24, fill = pct * width / 100;
    fprintf(stderr, "\r%s [%.*s%*s] %3d%%  %ld/%ld rows  %.0f rows/s  ETA %d:%02d ", what, fill,
            "########################", width - fill, "", pct, r->done, r->rows, rate,
            (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

/* Appends a failed row to the errors file: its line, the error, its cells. */
static void log_error(import_run *r, long line, const cJSON *e, const cJSON *cells)
{
    if (!r->errors) {
        r->errors = fopen(r->o->errors_path, "w");
        if (!r->errors) return;
        fputs("line,code,param,message", r->errors);
        for (size_t i = 0; i < r->map.ncols; i++) {
            putc(',', r->errors);
            kith_csv_write_field(r->errors, r->map.cols[i].header);
        }
        putc('\n', r->errors);
    }
    const char *param = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "param"));
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    fprintf(r->errors, "%ld,%.0f,", line,
            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "code")));
    kith_csv_write_field(r->errors, param ? param : "");
    putc(',', r->errors);
    kith_csv_write_field(r->errors, msg ? msg : "");
    const cJSON *c;
    cJSON_ArrayForEach(c, cells)
    {
        putc(',', r->errors);
        kith_csv_write_field(r->errors, c->valuestring);
    }
    putc('\n', r->errors);
}

/* Sends one batch; counts and logs its outcome. */
static int send_batch(import_run *r, cJSON *records, const long *lines, cJSON *rows, int dry)
{
    cJSON *p = cJSON_CreateObject(), *res = NULL;
    cJSON_AddItemToObject(p, "records", records);
    if (r->o->on_match) cJSON_AddStringToObject(p, "on_match", r->o->on_match);
    if (r->o->source) cJSON_AddStringToObject(p, "source", r->o->source);
    if (dry) cJSON_AddTrueToObject(p, "dry_run");
    if (r->o->match_on && !r->o->orders) {
        cJSON *m = cJSON_AddArrayToObject(p, "match_on");
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", r->o->match_on);
        for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
            cJSON_AddItemToArray(m, cJSON_CreateString(t));
    }
    int rc =
        kith_cli_session_call(r->s, r->o->orders ? "order.import" : "customer.import", p, &res);
    if (rc < 0) return rc;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(res, "errors"))
    {
        int i = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "index"));
        log_error(r, lines[i], e, cJSON_GetArrayItem(rows, i));
        r->failed++;
    }
    r->created += (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "created"));
    r->updated += (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "updated"));
    r->skipped += (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res, "skipped"));
    cJSON_Delete(res);
    return 0;
}

/* Where pass 3 stands, so --resume can continue: the file's size and
 * mtime (a changed file is not resumed), the next record's offset and
 * line, and the counts so far. */
static void save_state(import_run *r, int64_t offset, long line)
{
    struct stat st;
    char tmp[1100];
    if (stat(r->o->file, &st) < 0) return;
    snprintf(tmp, sizeof(tmp), "%s.tmp", r->o->state_path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    fprintf(f, "%lld %lld %lld %ld %ld %ld %ld %ld %ld\n", (long long)st.st_size,
            (long long)st.st_mtime, (long long)offset, line, r->done + r->resume_done, r->created,
            r->updated, r->skipped, r->failed);
    if (fclose(f) == 0) rename(tmp, r->o->state_path);
}

static int load_state(import_run *r)
{
    FILE *f = fopen(r->o->state_path, "r");
    if (!f) {
        if (!r->o->resume) return 0;
        fprintf(stderr, "kith: %s: nothing to resume (no %s)\n", r->o->file, r->o->state_path);
        return KITH_EPARAMS;
    }
    long long size, mtime, off;
    int n =
        fscanf(f, "%lld %lld %lld %ld %ld %ld %ld %ld %ld", &size, &mtime, &off, &r->resume_line,
               &r->resume_done, &r->created, &r->updated, &r->skipped, &r->failed);
    fclose(f);
    struct stat st;
    if (!r->o->resume) {
        fprintf(stderr,
                "kith: an earlier import of %s stopped at line %ld; continue it with --resume, "
                "or delete %s to start over\n",
                r->o->file, n == 9 ? r->resume_line : 0L, r->o->state_path);
        return KITH_EPARAMS;
    }
    if (n != 9 || stat(r->o->file, &st) < 0 || st.st_size != size || st.st_mtime != mtime) {
        fprintf(stderr,
                "kith: %s changed since the import stopped (or %s is damaged); delete "
                "the state file to start over\n",
                r->o->file, r->o->state_path);
        return KITH_EPARAMS;
    }
    r->resume_offset = off;
    return 0;
}

/* Passes 2 and 3: the rows from the resume point, in batches. */
static int send_all(import_run *r, int dry)
{
    FILE *f;
    kith_csv csv;
    int rc = open_file(r, &f, &csv);
    if (rc) return rc;
    if (r->resume_offset) {
        kith_csv_release(&csv);
        fseek(f, (long)r->resume_offset, SEEK_SET);
        kith_csv_init(&csv, f, MAX_CELL, r->resume_line);
    }
    const char **cells = calloc(r->map.ncols, sizeof(*cells));
    long *lines = calloc((size_t)r->o->batch, sizeof(*lines));
    r->done = 0;
    r->t0 = now_s();
    while (rc == 0) {
        cJSON *records = cJSON_CreateArray(), *rows = cJSON_CreateArray();
        int n = 0, more = 0;
        while (n < r->o->batch && (more = kith_csv_next(&csv)) == 1) {
            char why[300];
            cJSON *rec = kith_import_map_record(&r->map, cells_of(&csv, cells), why, sizeof(why));
            cJSON_AddItemToArray(records, rec);
            cJSON *row = cJSON_CreateArray();
            for (size_t i = 0; i < csv.nfields; i++)
                cJSON_AddItemToArray(row, cJSON_CreateString(cells[i]));
            cJSON_AddItemToArray(rows, row);
            lines[n++] = csv.line;
        }
        if (more < 0) rc = file_error(r->o, csv.err); /* the file changed after pass 1 */
        if (n > 0 && rc == 0)
            rc = send_batch(r, records, lines, rows, dry);
        else
            cJSON_Delete(records);
        cJSON_Delete(rows);
        r->done += n;
        if (rc == 0 && !dry && n > 0) save_state(r, csv.offset, csv.next_line);
        progress(r, dry ? "checking " : "importing");
        if (more == 0) break;
    }
    if (!r->o->quiet && isatty(STDERR_FILENO)) fputc('\n', stderr);
    free(cells);
    free(lines);
    kith_csv_release(&csv);
    fclose(f);
    return rc;
}

static void summary(const import_run *r, const char *verb, double secs)
{
    char ignored[256];
    kith_import_map_ignored(&r->map, ignored, sizeof(ignored));
    long rows = r->done + r->resume_done;
    printf("%s %s: %ld rows: %ld created, %ld updated, %ld skipped, %ld failed in %.1f s "
           "(%.0f rows/s)\n",
           verb, r->o->file, rows, r->created, r->updated, r->skipped, r->failed, secs,
           secs > 0 ? (double)r->done / secs : 0);
    if (ignored[0]) printf("  ignored read-only columns: %s\n", ignored);
    if (r->failed) printf("  failed rows are in %s\n", r->o->errors_path);
}

int kith_cli_import_run(kith_cli_session *s, int argc, char *const *argv)
{
    import_opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc) return rc;
    import_run r = {.o = &o, .s = s};
    remove(o.errors_path);
    double t0 = now_s();
    if ((rc = load_state(&r)) == 0) rc = check_file(&r);
    if (rc == 0 && (o.dry_run || !o.per_record)) {
        long c = r.created, u = r.updated, k = r.skipped;
        rc = send_all(&r, 1);
        if (rc == 0 && (o.dry_run || r.failed)) {
            summary(&r, r.failed ? "nothing imported; checked" : "checked (dry run)", now_s() - t0);
            rc = r.failed ? KITH_EPARAMS : 0;
            goto out;
        }
        r.created = c, r.updated = u, r.skipped = k;
    }
    if (rc == 0) rc = send_all(&r, 0);
    if (rc == 0) {
        remove(o.state_path);
        summary(&r, "imported", now_s() - t0);
        if (r.failed) rc = KITH_EPARAMS;
    } else if (r.done) {
        fprintf(stderr, "kith: the import stopped after %ld rows; run it again with --resume\n",
                r.done + r.resume_done);
    }
out:
    if (r.errors) fclose(r.errors);
    kith_import_map_release(&r.map);
    return rc;
}
