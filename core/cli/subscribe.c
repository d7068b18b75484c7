/*
 * `kith subscribe`: see subscribe.h.
 *
 * DESIGN NOTES
 *
 * 1. Stopping.  SIGINT and SIGTERM set `stopping` and write a byte to a
 *    non-blocking self-pipe; kith_cli_conn_next() waits on the socket and
 *    the pipe together, so a signal that lands just before the wait still
 *    ends it.  The handlers go in without SA_RESTART, so a write blocked on
 *    a stalled stdout is interrupted as well.  They are installed before
 *    the subscribe call (a Ctrl-C then waits for the reply, a local round
 *    trip) and the previous ones are restored on every return, so the
 *    prompt gets its own handling back.
 * 2. Nothing is lost around the reply: the connection holds notifications
 *    that arrive during the subscribe call and hands them out first.
 * 3. Resuming.  The reply's seq is announced once on stderr.  When the run
 *    ends, stderr also names the seq to pass to --since to continue with no
 *    gap: the last event printed, or where the run started when none was.
 * 4. A summary never fails an event: what it does not recognise is shown
 *    as key=value or compact JSON, and the line is cut to the terminal's
 *    width or COLUMNS (SUMMARY_MAX columns off a terminal without it).
 */
#include "cli/subscribe.h"
#include "cli/args.h"
#include "cli/render.h"
#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUMMARY_MAX 160 /* summary columns when stdout is not a terminal */
#define SUMMARY_MIN 20  /* a narrow terminal still gets this much */

static volatile sig_atomic_t stopping;
static int wake_pipe[2] = {-1, -1};

struct signals {
    struct sigaction old_int, old_term;
};

struct options {
    cJSON *channels; /* owned until sent */
    long long since; /* -1: none */
    int json;
};

static int report(int rc, const char *what)
{
    fprintf(stderr, "kith: %s\n", what);
    return rc;
}

/* ---- signals (design note 1) ---- */

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    stopping = 1;
    /* A full pipe already holds a wake-up, so a failed write loses nothing. */
    ssize_t n = write(wake_pipe[1], "x", 1);
    (void)n;
    errno = saved;
}

static void close_pipe(void)
{
    for (int i = 0; i < 2; i++) {
        if (wake_pipe[i] >= 0) close(wake_pipe[i]);
        wake_pipe[i] = -1;
    }
}

static int signals_catch(struct signals *sg)
{
    stopping = 0;
    if (pipe(wake_pipe) < 0) return KITH_EIO;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(wake_pipe[i], F_GETFL);
        if (fl < 0 || fcntl(wake_pipe[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC) < 0) {
            close_pipe();
            return KITH_EIO;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &sg->old_int);
    sigaction(SIGTERM, &sa, &sg->old_term);
    return 0;
}

static void signals_restore(const struct signals *sg)
{
    sigaction(SIGINT, &sg->old_int, NULL);
    sigaction(SIGTERM, &sg->old_term, NULL);
    close_pipe();
}

/* ---- options ---- */

static int parse_options(kith_cli_session *s, int argc, char *const *argv, struct options *o)
{
    char err[128];
    const char *since = NULL;
    o->since = -1;
    o->json = s->json_output;
    if (!(o->channels = cJSON_CreateArray())) return report(KITH_ENOMEM, "out of memory");
    for (int i = 1; i < argc; i++) {
        int m = kith_cli_args_option(argc, argv, &i, "--since", &since, err, sizeof(err));
        if (m < 0) return report(m, err);
        if (m == 1) continue;
        if (strcmp(argv[i], "--json") == 0) {
            o->json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            snprintf(err, sizeof(err), "subscribe: unknown option '%s' (see kith help subscribe)",
                     argv[i]);
            return report(KITH_EPARAMS, err);
        } else if (!cJSON_AddItemToArray(o->channels, cJSON_CreateString(argv[i]))) {
            return report(KITH_ENOMEM, "out of memory");
        }
    }
    if (since) {
        char *end;
        errno = 0;
        o->since = strtoll(since, &end, 10);
        if (!*since || *end || o->since < 0 || errno)
            return report(KITH_EPARAMS, "subscribe: --since wants an event seq (0 or more)");
    }
    if (!o->channels->child)
        return report(KITH_EPARAMS, "usage: subscribe PATTERN... [--since SEQ] [--json]");
    return 0;
}

/* ---- summaries (design note 4) ---- */

static const char *str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *num_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v : NULL;
}

/* Starts a new part of the summary: parts are separated by ", ". */
static void part(kith_buf *b)
{
    if (kith_buf_size(b) > 0) kith_buf_appends(b, ", ");
}

/* Appends " #ID" when obj has a numeric id. */
static void add_id(kith_buf *b, const cJSON *obj)
{
    const cJSON *id = num_of(obj, "id");
    if (id) kith_buf_appendf(b, " #%.0f", id->valuedouble);
}

static void add_time(kith_buf *b, const char *label, const char *iso)
{
    char when[64];
    if (!iso) return;
    if (kith_cli_render_time(iso, 0, when, sizeof(when)) == 0) iso = when;
    kith_buf_appendf(b, " %s %s", label, iso);
}

static void add_task(kith_buf *b, const cJSON *task)
{
    const char *note = str_of(task, "note"), *owner = str_of(task, "owner");
    const char *status = str_of(task, "status");
    kith_buf_appends(b, "task");
    add_id(b, task);
    if (note) kith_buf_appendf(b, " \"%s\"", note);
    add_time(b, "due", str_of(task, "due_at"));
    if (owner) kith_buf_appendf(b, " for %s", owner);
    if (status && strcmp(status, "open") != 0) kith_buf_appendf(b, " (%s)", status);
}

static void add_order(kith_buf *b, const cJSON *order)
{
    const cJSON *amount = num_of(order, "amount");
    const char *currency = str_of(order, "currency");
    kith_buf_appends(b, "order");
    add_id(b, order);
    if (amount) kith_buf_appendf(b, " %.2f", amount->valuedouble);
    if (currency) kith_buf_appendf(b, " %s", currency);
}

static void add_interaction(kith_buf *b, const cJSON *in)
{
    const char *type = str_of(in, "type"), *summary = str_of(in, "summary");
    kith_buf_appends(b, type ? type : "interaction");
    if (summary) kith_buf_appendf(b, " \"%s\"", summary);
}

static void add_entry(kith_buf *b, const cJSON *entry, const cJSON *data)
{
    const cJSON *points = num_of(entry, "points"), *balance = num_of(data, "balance");
    const char *reason = str_of(entry, "reason");
    if (points) kith_buf_appendf(b, "%+.0f ", points->valuedouble);
    kith_buf_appends(b, "points");
    if (reason) kith_buf_appendf(b, " \"%s\"", reason);
    if (balance) kith_buf_appendf(b, " (balance %.0f)", balance->valuedouble);
}

static void add_risk(kith_buf *b, const cJSON *risk, const cJSON *data)
{
    const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(data, "reasons"), *r;
    kith_buf_appendf(b, "churn risk %.2f", risk->valuedouble);
    int first = 1;
    if (!cJSON_IsArray(reasons)) reasons = NULL;
    cJSON_ArrayForEach(r, reasons)
    {
        char *text = kith_cli_render_value(r);
        if (text) kith_buf_appendf(b, "%s%s", first ? " (" : "; ", text);
        free(text);
        first = 0;
    }
    if (!first) kith_buf_appends(b, ")");
}

/* Keys that other keys' parts already show. */
static int is_folded(const char *key)
{
    static const char *const folded[] = {"customer", "old_tier", "reasons", "threshold", "script",
                                         "line",     "files",    "balance", NULL};
    for (int i = 0; folded[i]; i++)
        if (strcmp(key, folded[i]) == 0) return 1;
    return 0;
}

/* Any other member: an object by its name or id, a value as key=value. */
static void add_generic(kith_buf *b, const cJSON *v)
{
    const char *name = cJSON_IsObject(v) ? str_of(v, "name") : NULL;
    if (name || (cJSON_IsObject(v) && num_of(v, "id"))) {
        kith_buf_appends(b, v->string);
        if (name) kith_buf_appendf(b, " %s", name);
        if (!name) add_id(b, v);
        return;
    }
    char *text = kith_cli_render_value(v);
    if (text) kith_buf_appendf(b, "%s=%s", v->string, text);
    free(text);
}

static void add_member(kith_buf *b, const cJSON *v, const cJSON *data)
{
    const char *k = v->string;
    part(b);
    if (strcmp(k, "task") == 0 && cJSON_IsObject(v)) {
        add_task(b, v);
    } else if (strcmp(k, "order") == 0 && cJSON_IsObject(v)) {
        add_order(b, v);
    } else if (strcmp(k, "interaction") == 0 && cJSON_IsObject(v)) {
        add_interaction(b, v);
    } else if (strcmp(k, "entry") == 0 && cJSON_IsObject(v)) {
        add_entry(b, v, data);
    } else if (strcmp(k, "segment") == 0 && cJSON_IsString(v)) {
        kith_buf_appendf(b, "segment %s", v->valuestring);
    } else if (strcmp(k, "tier") == 0) {
        const char *old = str_of(data, "old_tier");
        kith_buf_appendf(b, "tier %s%s%s", old ? old : "", old ? " -> " : "",
                         cJSON_IsString(v) ? v->valuestring : "none");
    } else if (strcmp(k, "risk") == 0 && cJSON_IsNumber(v)) {
        add_risk(b, v, data);
    } else if (strcmp(k, "changes") == 0 && cJSON_IsObject(v)) {
        const cJSON *c;
        kith_buf_appends(b, "changed");
        cJSON_ArrayForEach(c, v) kith_buf_appendf(b, "%s%s", c == v->child ? " " : ", ", c->string);
    } else if (strcmp(k, "error") == 0 && cJSON_IsString(v)) {
        const char *script = str_of(data, "script");
        const cJSON *line = num_of(data, "line");
        kith_buf_appendf(b, "error: %s", v->valuestring);
        if (script) kith_buf_appendf(b, " (%s", script);
        if (script && line) kith_buf_appendf(b, ":%.0f", line->valuedouble);
        if (script) kith_buf_appends(b, ")");
    } else if (strcmp(k, "generation") == 0 && cJSON_IsNumber(v)) {
        const cJSON *files = num_of(data, "files");
        kith_buf_appendf(b, "generation %.0f", v->valuedouble);
        if (files) kith_buf_appendf(b, " (%.0f files)", files->valuedouble);
    } else {
        add_generic(b, v);
    }
}

/* Writes the summary of an event's data into b. */
static void summarize(kith_buf *b, const cJSON *data)
{
    kith_buf parts;
    kith_buf_init(&parts);
    const cJSON *customer = cJSON_GetObjectItemCaseSensitive(data, "customer"), *v;
    const cJSON *members = cJSON_IsObject(data) ? data : NULL;
    cJSON_ArrayForEach(v, members)
    {
        if (!is_folded(v->string)) add_member(&parts, v, data);
    }
    if (cJSON_IsObject(customer)) {
        const char *name = str_of(customer, "name");
        if (!name) name = str_of(customer, "email");
        kith_buf_appends(b, name ? name : "customer");
        const cJSON *id = num_of(customer, "id");
        if (id) kith_buf_appendf(b, name ? " (#%.0f)" : " #%.0f", id->valuedouble);
        if (kith_buf_size(&parts) > 0) kith_buf_appends(b, ": ");
    }
    if (kith_buf_size(&parts) > 0) kith_buf_append(b, kith_buf_head(&parts), kith_buf_size(&parts));
    kith_buf_release(&parts);
    if (kith_buf_size(b) == 0 && data) {
        char *json = cJSON_PrintUnformatted(data);
        if (json) kith_buf_appends(b, json);
        free(json);
    }
}

/* ---- output ---- */

/* Columns left for the summary after `used` columns of the line: the
 * width tables fit too (COLUMNS, or the terminal's). */
static size_t summary_width(size_t used)
{
    size_t cols = kith_cli_render_term_width();
    if (cols == 0) return SUMMARY_MAX;
    return cols > used + SUMMARY_MIN ? cols - used : SUMMARY_MIN;
}

/* Builds the line for one event's params: compact JSON, or the readable
 * `seq  time  channel  summary`.  Returns owned text or NULL (no memory). */
static char *event_line(const cJSON *params, int as_json)
{
    if (as_json) return cJSON_PrintUnformatted(params);
    const cJSON *seq = num_of(params, "seq");
    const char *at = str_of(params, "at"), *channel = str_of(params, "channel");
    char when[64];
    if (at && kith_cli_render_time(at, 1, when, sizeof(when)) == 0) at = when;

    kith_buf line, summary;
    kith_buf_init(&line);
    kith_buf_init(&summary);
    kith_buf_appendf(&line, "%6.0f  %s  %-20s  ", seq ? seq->valuedouble : 0.0, at ? at : "-",
                     channel ? channel : "?");
    summarize(&summary, cJSON_GetObjectItemCaseSensitive(params, "data"));
    char *text = kith_buf_size(&summary) ? strndup(kith_buf_head(&summary), kith_buf_size(&summary))
                                         : strdup("");
    text = kith_cli_render_clip(text, summary_width(kith_buf_size(&line)));
    char *out = NULL;
    if (text && kith_buf_appends(&line, text) == 0)
        out = strndup(kith_buf_head(&line), kith_buf_size(&line));
    free(text);
    kith_buf_release(&summary);
    kith_buf_release(&line);
    return out;
}

/* The params of an event notification, or NULL for anything else. */
static const cJSON *event_params(const cJSON *msg)
{
    const char *method = str_of(msg, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    return method && strcmp(method, "event") == 0 && cJSON_IsObject(params) ? params : NULL;
}

/* Prints events until a signal or the connection's end.  *last is the seq
 * to resume after.  Returns 0 when stopped, KITH_EIO, or another code when
 * the output failed (reported). */
static int follow(kith_cli_session *s, int as_json, long long *last)
{
    for (;;) {
        if (stopping) return 0;
        cJSON *msg;
        int rc = kith_cli_conn_next(&s->conn, wake_pipe[0], &msg);
        if (rc == KITH_EIO) return report(rc, s->conn.err);
        if (rc < 0) return report(rc, kith_strerror(rc));
        const cJSON *params = msg ? event_params(msg) : NULL;
        char *line = params ? event_line(params, as_json) : NULL;
        const cJSON *seq = params ? num_of(params, "seq") : NULL;
        long long at = seq ? (long long)seq->valuedouble : *last;
        cJSON_Delete(msg);
        if (params && !line) return report(KITH_ENOMEM, "out of memory");
        if (!line) continue;
        /* One flush per line: a pipe's reader sees each event at once. */
        int failed = fputs(line, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout) != 0;
        free(line);
        if (!failed) {
            *last = at; /* only what the reader got counts as seen */
            continue;
        }
        /* A reader that left (kith subscribe ... | head) ends the run. */
        if (stopping || errno == EPIPE) return 0;
        fprintf(stderr, "kith: cannot write the output: %s\n", strerror(errno));
        return KITH_EINTERNAL;
    }
}

static void announce(const cJSON *result, long long *start)
{
    const cJSON *channels = cJSON_GetObjectItemCaseSensitive(result, "channels"), *c;
    const cJSON *seq = num_of(result, "seq");
    *start = seq ? (long long)seq->valuedouble : 0;
    fputs("kith: subscribed to", stderr);
    if (!cJSON_IsArray(channels)) channels = NULL;
    cJSON_ArrayForEach(c, channels)
    {
        if (cJSON_IsString(c)) fprintf(stderr, " %s", c->valuestring);
    }
    fprintf(stderr, " at seq %lld\n", *start);
}

int kith_cli_subscribe_run(kith_cli_session *s, int argc, char *const *argv)
{
    struct options o;
    int rc = parse_options(s, argc, argv, &o);
    cJSON *params = rc == 0 ? cJSON_CreateObject() : NULL;
    if (rc == 0 && (!params || !cJSON_AddItemToObject(params, "channels", o.channels) ||
                    (o.since >= 0 && !cJSON_AddNumberToObject(params, "since", (double)o.since))))
        rc = report(KITH_ENOMEM, "out of memory");
    else if (rc == 0)
        o.channels = NULL; /* params has it */
    cJSON_Delete(o.channels);
    if (rc < 0) {
        cJSON_Delete(params);
        return rc;
    }

    struct signals sg;
    if (signals_catch(&sg) < 0) {
        cJSON_Delete(params);
        return report(KITH_EIO, "cannot set up signal handling");
    }
    cJSON *result;
    s->conn.hold_notifications = 1; /* design note 2 */
    rc = kith_cli_session_call(s, "subscribe", params, &result);
    s->conn.hold_notifications = 0;
    if (rc == 0) {
        long long start, last;
        announce(result, &start);
        cJSON_Delete(result);
        last = o.since >= 0 ? o.since : start;
        rc = follow(s, o.json, &last);
        fprintf(stderr, "kith: %s after seq %lld; resume with --since %lld\n",
                rc == KITH_EIO ? "ended" : "stopped", last, last);
    }
    signals_restore(&sg);
    kith_cli_conn_drop_held(&s->conn);
    /* The prompt keeps the connection: stop the events it would ignore. */
    if (s->prompt && s->conn.fd >= 0) {
        cJSON *reply = NULL;
        kith_cli_conn_call(&s->conn, "unsubscribe", NULL, &reply);
        cJSON_Delete(reply);
    }
    return rc;
}
