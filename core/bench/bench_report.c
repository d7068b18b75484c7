/*
 * kith-bench's output: the result as text, as one quiet line or as JSON, and
 * the live progress line while a run goes on.  Latencies are kept in
 * microseconds and shown in milliseconds with three decimals (microsecond
 * precision).  Nothing here changes the run.
 */
#include "bench/bench.h"

#include <cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

struct summary {
    double p50, p90, p99, p999, max, min, mean; /* milliseconds */
};

static struct summary summarize(const kith_histogram *h)
{
    struct summary s;
    s.p50 = (double)kith_histogram_percentile(h, 50) / 1000.0;
    s.p90 = (double)kith_histogram_percentile(h, 90) / 1000.0;
    s.p99 = (double)kith_histogram_percentile(h, 99) / 1000.0;
    s.p999 = (double)kith_histogram_percentile(h, 99.9) / 1000.0;
    s.max = (double)h->max / 1000.0;
    s.min = h->total ? (double)h->min / 1000.0 : 0.0;
    s.mean = kith_histogram_mean(h) / 1000.0;
    return s;
}

static double elapsed_s(const kith_bench *b)
{
    return (double)(b->last_reply_ns - b->start_ns) / 1e9;
}

static double throughput(const kith_bench *b)
{
    double t = elapsed_s(b);
    return t > 0 ? (double)b->completed / t : 0.0;
}

static void target_text(const kith_bench *b, char *out, size_t size)
{
    const char *proto = b->cfg.redis ? " (redis)" : "";
    if (b->cfg.unix_path)
        snprintf(out, size, "unix %s%s", b->cfg.unix_path, proto);
    else
        snprintf(out, size, "tcp %s:%d%s", b->cfg.host, b->cfg.port, proto);
}

static void print_summary(const char *label, const kith_histogram *h)
{
    if (h->total == 0) {
        printf("  %-12s (no replies)\n", label);
        return;
    }
    struct summary s = summarize(h);
    printf("  %-12s p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (mean %.3f)\n", label,
           s.p50, s.p90, s.p99, s.p999, s.max, s.mean);
}

static int ops_used(const kith_bench *b)
{
    int n = 0;
    for (int k = 0; k < KITH_BENCH_OPS; k++)
        n += b->op_completed[k] > 0;
    return n;
}

static void report_text(const kith_bench *b, const kith_histogram *all)
{
    char target[300];
    target_text(b, target, sizeof(target));
    printf("kith-bench: %s on %s, %d connections, pipeline %d, %s\n", b->cfg.workload->name, target,
           b->cfg.connections, b->cfg.pipeline, b->cfg.rate > 0 ? "open loop" : "closed loop");
    printf("  %-12s %" PRIu64 " in %.3f s = %.1f req/s%s\n", "requests", b->completed, elapsed_s(b),
           throughput(b), b->interrupted ? " (interrupted)" : "");
    if (b->cfg.rate > 0) {
        printf("  %-12s %.1f req/s target; send lag mean %.3f ms, max %.3f ms\n", "rate",
               b->cfg.rate, b->issued ? (double)b->lag_sum_ns / (double)b->issued / 1e6 : 0.0,
               (double)b->lag_max_ns / 1e6);
    }
    printf("  %-12s %" PRIu64 "\n", "errors", b->errors);
    if (b->failed_conns)
        printf("  %-12s %d connection(s) failed, %" PRIu64 " request(s) lost\n", "failures",
               b->failed_conns, b->lost);
    print_summary(b->cfg.rate > 0 ? "latency ms*" : "latency ms", all);
    if (b->cfg.rate > 0) {
        print_summary("service ms", &b->service);
        printf("  (* from each request's intended send time; service: from its actual send)\n");
    }
    if (ops_used(b) > 1) {
        for (int k = 0; k < KITH_BENCH_OPS; k++) {
            if (!b->op_completed[k]) continue;
            char label[40];
            snprintf(label, sizeof(label), "%s ms", kith_bench_kind_name(k));
            print_summary(label, &b->latency[k]);
            printf("  %-12s %" PRIu64 " requests, %" PRIu64 " errors\n", "", b->op_completed[k],
                   b->op_errors[k]);
        }
    }
    if (b->first_error[0]) printf("  first error: %s\n", b->first_error);
}

static void report_quiet(const kith_bench *b, const kith_histogram *all)
{
    printf("%s: %.2f requests per second, p50=%.3f msec", b->cfg.workload->name, throughput(b),
           (double)kith_histogram_percentile(all, 50) / 1000.0);
    if (b->errors) printf(", %" PRIu64 " errors", b->errors);
    if (b->failed_conns) printf(", %d connections failed", b->failed_conns);
    printf("\n");
}

/* JSON numbers are rounded to the precision shown in text, so that the
 * output reads the same (0.512, not 0.51200000000000001). */
static double round_to(double v, double unit)
{
    return round(v / unit) * unit;
}

static cJSON *summary_json(const kith_histogram *h)
{
    struct summary s = summarize(h);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "p50", round_to(s.p50, 1e-3));
    cJSON_AddNumberToObject(o, "p90", round_to(s.p90, 1e-3));
    cJSON_AddNumberToObject(o, "p99", round_to(s.p99, 1e-3));
    cJSON_AddNumberToObject(o, "p99_9", round_to(s.p999, 1e-3));
    cJSON_AddNumberToObject(o, "max", round_to(s.max, 1e-3));
    cJSON_AddNumberToObject(o, "min", round_to(s.min, 1e-3));
    cJSON_AddNumberToObject(o, "mean", round_to(s.mean, 1e-3));
    return o;
}

static void report_json(const kith_bench *b, const kith_histogram *all)
{
    char target[300];
    target_text(b, target, sizeof(target));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "workload", b->cfg.workload->name);
    cJSON_AddStringToObject(o, "target", target);
    cJSON_AddStringToObject(o, "protocol", b->cfg.redis ? "resp" : "jsonrpc");
    cJSON_AddNumberToObject(o, "connections", b->cfg.connections);
    cJSON_AddNumberToObject(o, "pipeline", b->cfg.pipeline);
    cJSON_AddStringToObject(o, "mode", b->cfg.rate > 0 ? "open" : "closed");
    if (b->cfg.rate > 0)
        cJSON_AddNumberToObject(o, "rate", b->cfg.rate);
    else
        cJSON_AddNullToObject(o, "rate");
    cJSON_AddNumberToObject(o, "requests", (double)b->completed);
    cJSON_AddNumberToObject(o, "errors", (double)b->errors);
    cJSON_AddNumberToObject(o, "lost", (double)b->lost);
    cJSON_AddNumberToObject(o, "failed_connections", b->failed_conns);
    cJSON_AddBoolToObject(o, "interrupted", b->interrupted);
    cJSON_AddNumberToObject(o, "duration_s", round_to(elapsed_s(b), 1e-6));
    cJSON_AddNumberToObject(o, "rps", round_to(throughput(b), 0.1));
    cJSON_AddItemToObject(o, "latency_ms", summary_json(all));
    if (b->cfg.rate > 0) {
        cJSON_AddItemToObject(o, "service_ms", summary_json(&b->service));
        cJSON *lag = cJSON_AddObjectToObject(o, "send_lag_ms");
        double mean = b->issued ? (double)b->lag_sum_ns / (double)b->issued / 1e6 : 0.0;
        cJSON_AddNumberToObject(lag, "mean", round_to(mean, 1e-3));
        cJSON_AddNumberToObject(lag, "max", round_to((double)b->lag_max_ns / 1e6, 1e-3));
    }
    cJSON *ops = cJSON_AddObjectToObject(o, "ops");
    for (int k = 0; k < KITH_BENCH_OPS; k++) {
        if (!b->op_completed[k]) continue;
        cJSON *op = cJSON_AddObjectToObject(ops, kith_bench_kind_name(k));
        cJSON_AddNumberToObject(op, "requests", (double)b->op_completed[k]);
        cJSON_AddNumberToObject(op, "errors", (double)b->op_errors[k]);
        cJSON_AddItemToObject(op, "latency_ms", summary_json(&b->latency[k]));
    }
    if (b->first_error[0]) cJSON_AddStringToObject(o, "first_error", b->first_error);

    char *text = cJSON_PrintUnformatted(o);
    if (text)
        printf("%s\n", text);
    else
        fprintf(stderr, "kith-bench: out of memory printing the result\n");
    cJSON_free(text);
    cJSON_Delete(o);
}

void kith_bench_report(kith_bench *b)
{
    if (b->progress_shown) fprintf(stderr, "\r\033[K");
    kith_histogram all;
    kith_histogram_init(&all);
    for (int k = 0; k < KITH_BENCH_OPS; k++)
        kith_histogram_merge(&all, &b->latency[k]);
    if (b->cfg.json)
        report_json(b, &all);
    else if (b->cfg.quiet)
        report_quiet(b, &all);
    else
        report_text(b, &all);
    fflush(stdout);
}

void kith_bench_progress(kith_bench *b)
{
    uint64_t now = uv_hrtime();
    double dt = (double)(now - b->progress_last_ns) / 1e9;
    double rps = dt > 0 ? (double)(b->completed - b->progress_last_completed) / dt : 0.0;
    b->progress_last_ns = now;
    b->progress_last_completed = b->completed;
    b->progress_shown = 1;
    fprintf(stderr, "\r\033[K%s: %" PRIu64 " done, %.0f req/s, %" PRIu64 " errors, %u in flight",
            b->cfg.workload->name, b->completed, rps, b->errors, b->inflight);
    fflush(stderr);
}
