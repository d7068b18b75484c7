/*
 * The open-loop schedule of --rate R: request k is due at start + k/R, and a
 * clock wakes the run when the next one falls due.  libuv timers tick in
 * whole milliseconds, which would hold a request back by up to 1 ms after its
 * intended time and charge that to the server's latency; on Linux the clock
 * is therefore a timerfd armed to the nanosecond (with the thread's timer
 * slack lowered), watched by a uv_poll_t, and the uv_timer at 1 ms is only
 * the fallback.  Whatever lag remains is measured and reported as send lag.
 * Which connection sends what is bench_run.c's business.
 */
#include "bench/bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/timerfd.h>
#endif

uint64_t kith_bench_pace_due(const kith_bench *b, uint64_t now)
{
    if (now < b->start_ns) return 0;
    double due = floor((double)(now - b->start_ns) * b->cfg.rate / 1e9) + 1;
    if (b->cfg.requests && due > (double)b->cfg.requests) return b->cfg.requests;
    return (uint64_t)due;
}

uint64_t kith_bench_pace_intended(const kith_bench *b, uint64_t k)
{
    return b->start_ns + (uint64_t)ceil((double)k * 1e9 / b->cfg.rate);
}

#ifdef __linux__
/* Arms the timerfd for the first request not yet due, or disarms it when
 * the schedule is exhausted. */
static void arm(kith_bench *b)
{
    struct itimerspec when;
    memset(&when, 0, sizeof(when));
    uint64_t next = kith_bench_pace_due(b, uv_hrtime());
    if (!b->stop_issuing && (!b->cfg.requests || next < b->cfg.requests)) {
        /* uv_hrtime() reads CLOCK_MONOTONIC, so its values are absolute
         * times on the timerfd's clock. */
        uint64_t at = kith_bench_pace_intended(b, next);
        when.it_value.tv_sec = (time_t)(at / 1000000000u);
        when.it_value.tv_nsec = (long)(at % 1000000000u);
    }
    timerfd_settime(b->pace_fd, TFD_TIMER_ABSTIME, &when, NULL);
}

static void on_clock(uv_poll_t *p, int status, int events)
{
    kith_bench *b = p->data;
    uint64_t expirations;
    /* Drain the expiry count; its value does not matter, the schedule is
     * recomputed from the clock. */
    if (read(b->pace_fd, &expirations, sizeof(expirations)) < 0) {
        /* EAGAIN: a spurious wake-up; nothing is due yet. */
    }
    kith_bench_pump(b);
    if (b->phase == KITH_BENCH_MEASURE) arm(b);
}

static void on_clock_closed(uv_handle_t *h)
{
    kith_bench *b = h->data;
    close(b->pace_fd);
    b->pace_fd = -1;
}

/* Starts the timerfd clock; returns 0, or -1 to fall back to uv_timer. */
static int start_clock(kith_bench *b)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return -1;
    if (uv_poll_init(&b->loop, &b->pace_poll, fd) < 0) {
        close(fd);
        return -1;
    }
    b->pace_fd = fd;
    b->pace_poll.data = b;
    /* The default 50 us of slack would be charged to every request. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    uv_poll_start(&b->pace_poll, UV_READABLE, on_clock);
    arm(b);
    return 0;
}
#endif

static void on_tick(uv_timer_t *t)
{
    kith_bench_pump(t->data);
}

void kith_bench_pace_init(kith_bench *b)
{
    uv_timer_init(&b->loop, &b->pace_timer);
    b->pace_timer.data = b;
    b->pace_fd = -1;
}

void kith_bench_pace_start(kith_bench *b)
{
#ifdef __linux__
    if (start_clock(b) == 0) return;
#endif
    uv_timer_start(&b->pace_timer, on_tick, 1, 1);
}

void kith_bench_pace_close(kith_bench *b)
{
    uv_timer_stop(&b->pace_timer);
    uv_close((uv_handle_t *)&b->pace_timer, NULL);
#ifdef __linux__
    if (b->pace_fd >= 0) {
        uv_poll_stop(&b->pace_poll);
        uv_close((uv_handle_t *)&b->pace_poll, on_clock_closed);
    }
#endif
}
