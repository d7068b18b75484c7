/*
 * Sessions and their tokens, from the server's side: a revoked token's
 * connections are ended at once, and an expired one's within a second of
 * its expiry (the dispatcher also refuses it at the very next request).
 * Ending a session drops its role first, so nothing it sends afterwards is
 * served, then closes its connection once the replies it was owed are out.
 */
#include "server/server_int.h"
#include "store/token.h"
#include "util/error.h"
#include "util/log.h"
#include "util/timefmt.h"

static void end_session(kith_conn *c, const char *why)
{
    kith_session *s = &c->session;
    kith_info("server: ending %s's session from %s: %s", s->name, s->peer, why);
    s->authenticated = 0;
    s->local_trust = 0;
    s->role = KITH_ROLE_NONE;
    s->token_id = s->token_expires_at = 0;
    kith_conn_close_after_flush(c);
}

void kith_server_end_token_sessions(void *ud, int64_t token_id)
{
    struct kith_server *srv = ud;
    for (kith_conn *c = srv->conns; c; c = c->next)
        if (c->session.authenticated && c->session.token_id == token_id && !c->closing)
            end_session(c, "its token was revoked");
}

void kith_server_check_sessions(struct kith_server *srv)
{
    int64_t now = kith_time_now_ms(), version = 0;
    /* Another process committed (kithd token revoke, say): check every
     * authenticated session's token once; otherwise only expiries. */
    int recheck = kith_store_token_data_version(srv->store, &version) == 0 &&
                  version != srv->token_data_version;
    srv->token_data_version = version;
    for (kith_conn *c = srv->conns; c; c = c->next) {
        kith_session *s = &c->session;
        if (!s->authenticated || c->closing || c->draining) continue;
        if (s->token_expires_at && now >= s->token_expires_at)
            end_session(c, "its token expired");
        else if (recheck && kith_store_token_check(srv->store, s->token_id, now) == KITH_EUNAUTH)
            end_session(c, "its token was revoked");
    }
}
