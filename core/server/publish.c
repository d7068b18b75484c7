/*
 * Delivering events to subscribed connections after each commit: new events
 * to live subscribers, encoded once each, and backlog in chunks to those
 * replaying from `since` (see pubsub.h for the invariants).
 */
#include "pubsub/pubsub.h"
#include "server/server_int.h"
#include "store/event.h"
#include "util/log.h"

#include <string.h>

#define REPLAY_CHUNK      256
#define REPLAY_OUTPUT_CAP (1u << 20) /* pause a replay while this much is unsent */

struct live_round {
    struct kith_server *srv;
    int64_t live_mark; /* subscribers at this seq are live */
    int64_t last;
    kith_buf enc;
};

static int is_live(const kith_conn *c, int64_t mark)
{
    const kith_sub *s = c->session.sub;
    return s && !c->closing && s->npatterns > 0 && s->delivered == mark;
}

static void on_live_event(void *ud, int64_t seq, const char *type, int64_t customer_id, int64_t at,
                          const char *data, size_t len)
{
    (void)customer_id;
    struct live_round *r = ud;
    char owner[128];
    kith_pubsub_owner(type, data, owner, sizeof(owner));
    int encoded = 0;
    for (kith_conn *c = r->srv->conns; c; c = c->next) {
        if (!is_live(c, r->live_mark) || !kith_sub_matches(c->session.sub, type, owner)) continue;
        if (!encoded) {
            kith_buf_clear(&r->enc);
            kith_pubsub_encode(&r->enc, type, seq, at, data, len);
            encoded = 1;
        }
        kith_buf_append(&c->out, kith_buf_head(&r->enc), kith_buf_size(&r->enc));
        kith_conn_mark_dirty(c);
    }
    r->last = seq;
}

struct replay_round {
    kith_conn *c;
    int64_t upto;
    size_t cap; /* stop adding once this much output is unsent */
    int full;
};

static void on_replay_event(void *ud, int64_t seq, const char *type, int64_t customer_id,
                            int64_t at, const char *data, size_t len)
{
    (void)customer_id;
    struct replay_round *r = ud;
    kith_sub *sub = r->c->session.sub;
    if (r->full || seq > r->upto || seq <= sub->delivered) return;
    /* Replay at the pace the client reads: what is not sent now is read from
     * the log again on a later pass (delivered stays behind it). */
    if (kith_conn_unsent(r->c) >= r->cap) {
        r->full = 1;
        return;
    }
    char owner[128];
    kith_pubsub_owner(type, data, owner, sizeof(owner));
    if (kith_sub_matches(sub, type, owner))
        kith_pubsub_encode(&r->c->out, type, seq, at, data, len);
    sub->delivered = seq;
}

int kith_server_publish(struct kith_server *srv)
{
    int64_t last = 0;
    if (kith_store_in_txn(srv->store) || kith_store_event_last_seq(srv->store, &last) < 0) return 0;
    /* Only what is on disk goes out (store.h note 6). */
    if (last > srv->durable_seq) last = srv->durable_seq;
    struct live_round r = {.srv = srv, .live_mark = srv->published_seq, .last = srv->published_seq};
    int any_live = 0;
    for (kith_conn *c = srv->conns; c && !any_live; c = c->next)
        any_live = is_live(c, srv->published_seq);
    /* Nobody listening live: nothing to read from the log. */
    if (!any_live) r.last = last;
    kith_buf_init(&r.enc);
    while (r.last < last) {
        int64_t before = r.last;
        if (kith_store_event_scan(srv->store, r.last, 1024, on_live_event, &r) <= 0) break;
        if (r.last == before) break;
    }
    /* Every live subscriber has now seen everything up to r.last. */
    for (kith_conn *c = srv->conns; c; c = c->next)
        if (is_live(c, srv->published_seq)) c->session.sub->delivered = r.last;
    srv->published_seq = r.last;

    int more = 0;
    /* A quarter of the output limit leaves room for live events and replies
     * while a replay is paused waiting for the client to read. */
    size_t cap = (size_t)srv->cfg->max_output_bytes / 4;
    if (cap > REPLAY_OUTPUT_CAP) cap = REPLAY_OUTPUT_CAP;
    for (kith_conn *c = srv->conns; c; c = c->next) {
        kith_sub *sub = c->session.sub;
        if (!sub || c->closing || sub->delivered >= srv->published_seq) continue;
        if (kith_conn_unsent(c) >= cap) {
            more = 1; /* resume once the client has read some */
            continue;
        }
        struct replay_round rr = {c, srv->published_seq, cap, 0};
        int64_t before = sub->delivered;
        int n =
            kith_store_event_scan(srv->store, sub->delivered, REPLAY_CHUNK, on_replay_event, &rr);
        if (!rr.full && n < REPLAY_CHUNK && sub->delivered < srv->published_seq) {
            /* Nothing further in the log below published_seq: trimmed or
             * never matched; the replay is complete. */
            sub->delivered = srv->published_seq;
        }
        if (sub->delivered != before) kith_conn_mark_dirty(c);
        if (sub->delivered < srv->published_seq) more = 1;
    }
    kith_buf_release(&r.enc);
    return more;
}
