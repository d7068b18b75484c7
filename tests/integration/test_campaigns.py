"""Campaigns with a randomised control group, over the socket.

What users rely on:
  * launch freezes the audience (the segment's members at that instant) and
    draws each member into treated or control by the documented hash
    (commands/campaign_ops.h note 1), which this test recomputes in Python
    member by member;
  * members without a marketing grant on the campaign's channel are excluded
    with reason no_consent, a crm.before("campaign.member_added") veto
    excludes with reason vetoed, in both groups alike; each treated member
    settled gets exactly one campaign.member_added (the touch), a control
    member none;
  * orders inside the attribution window convert members of either group,
    orders outside it (before launch, after the window) do not, an order
    naming campaign_id counts even outside the window; campaign.results'
    conversion, uplift, 95% interval, revenue and roi equal the figures
    recomputed here by hand;
  * a second launch is refused (-32009) and changes nothing; kill -9 during
    and after the launch loses no member and touches none twice; later
    changes to the segment do not change the audience;
  * bad input and the wrong role are refused, and a refused order changes
    nothing; a merge of two members keeps one membership;
  * `kith campaigns` and `kith campaign results` read on 80 columns.
"""

import math
import os
import subprocess
import time

from kithtest import KITH, KithTestCase, main

MASK = (1 << 64) - 1
DAY_MS = 86400000
SETTLE_TIMEOUT = 180.0


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def in_control(seed, customer_id, pct):
    """The documented split: u = (splitmix64(seed ^ id) >> 11) / 2^53 < pct."""
    return (splitmix64((seed ^ customer_id) & MASK) >> 11) / float(1 << 53) < pct


RULES = {
    "scripts/campaign_rules.lua": """
crm.segment("pool", "the campaign pool", function(c, s)
  return c.attrs ~= nil and c.attrs.pool == true
end)
crm.before("campaign.member_added", function(ev)
  if ev.customer.attrs.veto then error("vetoed: no marketing to this one") end
  if ev.customer.attrs.spin then while true do end end
end)
crm.on("campaign.member_added", function(ev)
  crm.call("interaction.log", { customer_id = ev.customer.id, type = "email",
                                summary = "campaign " .. ev.member.campaign })
end)
""",
}


def iso_ms(text):
    return int(time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone) * 1000 \
        + int(text[20:23])


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


class CampaignTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(files=RULES, tokens=[("admin", "boss"), ("agent", "ann"),
                                                              ("viewer", "vic")])
        t = self.server.tokens
        self.c = self.connect(self.server, token=t["boss"])
        self.agent = self.connect(self.server, token=t["ann"])
        self.viewer = self.connect(self.server, token=t["vic"])

    # ---- helpers ----

    def pool(self, n, no_consent=lambda i: False, veto=lambda i: False, spin=lambda i: False,
             prefix="p"):
        """n customers in the pool segment, with a marketing grant on email
        unless no_consent(i); ids in order."""
        ids = []
        for start in range(0, n, 1000):
            recs = [{"name": "%s%d" % (prefix, i), "external_id": "%s%d" % (prefix, i),
                     "attrs": {"pool": True, "veto": veto(i), "spin": spin(i)}}
                    for i in range(start, min(n, start + 1000))]
            ids += self.c.call("customer.import", {"records": recs})["ids"]
        grants = [("consent.set", {"customer_id": cid, "purpose": "marketing", "channel": "email",
                                   "granted": True, "source": "test"})
                  for i, cid in enumerate(ids) if not no_consent(i)]
        for r in self.c.call_many(grants):
            self.assertNotIsInstance(r, Exception, r)
        self.wait(lambda: self.c.call("segment.list")[0]["size"] == n, "the pool segment fills")
        return ids

    def wait(self, pred, what):
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not pred():
            self.assertLess(time.monotonic(), deadline, "gave up waiting: " + what)
            time.sleep(0.05)

    def settled(self, client, cid):
        self.wait(lambda: client.call("campaign.get", {"id": cid})["audience"]["pending"] == 0,
                  "campaign %d settles" % cid)

    def members(self, client, cid):
        out, cursor = {}, None
        while True:
            p = {"id": cid, "limit": 1000}
            if cursor:
                p["cursor"] = cursor
            page = client.call("campaign.members", p)
            for m in page["items"]:
                out[m["customer_id"]] = m
            cursor = page["next_cursor"]
            if not cursor:
                return out

    def touches_until_sentinel(self, sub):
        """The customers of the campaign.member_added events `sub` reads
        before the first campaign.updated."""
        touched = []
        while True:
            msg = sub.read_json()
            self.assertEqual(msg.get("method"), "event", msg)
            if msg["params"]["channel"] == "campaign.updated":
                return touched
            touched.append(msg["params"]["data"]["customer"]["id"])

    def assertClose(self, got, want, what):
        self.assertTrue(math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12),
                        "%s: got %r, want %r" % (what, got, want))

    # ---- tests ----

    def test_split_exclusions_attribution_and_results(self):
        n, seed, pct = 2000, 20261205, 0.2
        ids = self.pool(n, no_consent=lambda i: i % 11 == 5, veto=lambda i: i % 97 == 3)
        no_consent = {ids[i] for i in range(n) if i % 11 == 5}
        vetoed = {ids[i] for i in range(n) if i % 97 == 3} - no_consent
        # A withdrawal on every channel beats an earlier email grant.
        self.c.call("consent.set", {"customer_id": ids[0], "purpose": "marketing",
                                    "channel": "any", "granted": False})
        no_consent.add(ids[0])
        self.c.call("customer.create", {"name": "outsider"})  # not in the pool
        camp = self.c.call("campaign.create", {"name": "spring", "segment": "pool",
                                               "control_pct": pct, "seed": seed,
                                               "attribution_window": "7d", "cost": 500})
        self.assertEqual((camp["status"], camp["seed"], camp["attribution_window"]),
                         ("draft", seed, "7d"), camp)
        touches = self.connect(self.server, token=self.server.tokens["vic"])
        touches.call("subscribe", {"channels": ["campaign.member_added", "campaign.updated"]})
        launched = self.c.call("campaign.launch", {"id": camp["id"]})
        self.assertEqual((launched["status"], launched["audience"]["members"]), ("active", n),
                         launched)
        drawn_control = sum(1 for cid in ids if in_control(seed, cid, pct))
        self.assertEqual(launched["audience"]["drawn"],
                         {"treated": n - drawn_control, "control": drawn_control}, launched)
        self.settled(self.c, camp["id"])

        got = self.members(self.viewer, camp["id"])
        self.assertEqual(set(got), set(ids), "the audience is the pool at launch")
        treated_ok, control_ok = [], []
        for cid in ids:
            m = got[cid]
            want_group = "control" if in_control(seed, cid, pct) else "treated"
            self.assertEqual(m["group"], want_group, "customer %d: %r" % (cid, m))
            reason = ("no_consent" if cid in no_consent else "vetoed" if cid in vetoed else None)
            self.assertEqual((m["status"], m["reason"]),
                             ("excluded", reason) if reason else ("targeted", None), m)
            if not reason:
                (treated_ok if want_group == "treated" else control_ok).append(cid)
        share = sum(1 for cid in ids if got[cid]["group"] == "control") / n
        self.assertTrue(0.15 < share < 0.25, "control share %.3f" % share)
        self.assertTrue(any(got[c]["group"] == "control" for c in vetoed | no_consent),
                        "exclusions hit the control group too")

        # One touch per treated member settled, none for control: the
        # sentinel update comes after every touch in the event order.
        self.c.call("campaign.update", {"id": camp["id"], "description": "sentinel"})
        touched = self.touches_until_sentinel(touches)
        self.assertEqual(sorted(touched), sorted(treated_ok), "touches = treated, settled")
        log = self.viewer.call("interaction.list", {"customer_id": treated_ok[0]})["items"]
        self.assertEqual([i["summary"] for i in log], ["campaign spring"], log)
        self.assertEqual(self.viewer.call("interaction.list",
                                          {"customer_id": control_ok[0]})["items"], [])

        # Orders inside and outside the 7-day window.
        t0 = iso_ms(launched["launched_at"])
        orders = []
        for cid in treated_ok[:150]:
            orders.append((cid, 20.0, t0 + DAY_MS))
        for cid in treated_ok[:40]:
            orders.append((cid, 5.5, t0 + 3 * DAY_MS))  # a second order adds revenue
        for cid in control_ok[:21]:
            orders.append((cid, 15.25, t0 + 2 * DAY_MS))
        for cid in treated_ok[150:170]:
            orders.append((cid, 99.0, t0 + 8 * DAY_MS))  # after the window
        for cid in control_ok[21:31]:
            orders.append((cid, 99.0, t0 - 3600 * 1000))  # before the launch
        for cid in sorted(no_consent)[:5]:
            orders.append((cid, 99.0, t0 + DAY_MS))  # excluded members count nowhere
        res = self.agent.call_many([("order.create", {"customer_id": cid, "amount": amt,
                                                      "at": iso(at)}) for cid, amt, at in orders])
        for r in res:
            self.assertNotIsInstance(r, Exception, r)
        explicit = treated_ok[170]  # named explicitly, 30 days after launch
        self.agent.call("order.create", {"customer_id": explicit, "amount": 7,
                                         "at": iso(t0 + 30 * DAY_MS), "campaign_id": camp["id"]})
        m = self.viewer.call("campaign.members", {"id": camp["id"], "status": "converted"})
        self.assertEqual(len(m["items"]), 50, "a page of converted members")

        nt, nc = len(treated_ok), len(control_ok)
        xt, xc = 150 + 1, 21
        rev_t, rev_c = 150 * 20.0 + 40 * 5.5 + 7, 21 * 15.25
        pt, pc = xt / nt, xc / nc
        se = math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
        r = self.viewer.call("campaign.results", {"id": camp["id"]})
        self.assertEqual((r["members"], r["treated"], r["control"], r["excluded"], r["pending"]),
                         (n, nt, nc, n - nt - nc, 0), r)
        self.assertEqual(r["exclusions"], {"no_consent": len(no_consent),
                                           "vetoed": len(vetoed)}, r)
        self.assertEqual(r["converted"], {"treated": xt, "control": xc}, r)
        self.assertClose(r["conversion"]["treated"], pt, "conversion.treated")
        self.assertClose(r["conversion"]["control"], pc, "conversion.control")
        self.assertClose(r["uplift"], pt - pc, "uplift")
        self.assertClose(r["ci"][0], pt - pc - 1.959963984540054 * se, "ci lo")
        self.assertClose(r["ci"][1], pt - pc + 1.959963984540054 * se, "ci hi")
        self.assertEqual(r["significant"], r["ci"][0] > 0 or r["ci"][1] < 0, r)
        self.assertEqual(r["revenue"]["treated"], rev_t, r)
        self.assertEqual(r["revenue"]["control"], rev_c, r)
        self.assertClose(r["revenue"]["per_member"]["treated"], round(rev_t / nt * 100) / 100,
                         "per member")
        inc = (rev_t / nt - rev_c / nc) * nt
        self.assertClose(r["incremental_revenue"], round(inc * 100) / 100, "incremental revenue")
        self.assertClose(r["roi"], (inc - 500) / 500, "roi")

        # A second launch is refused and changes nothing.
        with self.assertRpcError(-32009) as e:
            self.c.call("campaign.launch", {"id": camp["id"]})
        self.assertEqual((e.error.error["data"]["reason"], e.error.error["data"]["status"]),
                         ("invalid_transition", "active"))
        self.assertEqual(self.viewer.call("campaign.results", {"id": camp["id"]}), r)

    def test_kill9_keeps_the_frozen_audience_and_touches_once(self):
        n, seed, pct = 1200, 99, 0.3
        ids = self.pool(n)
        camp = self.c.call("campaign.create", {"name": "crash", "segment": "pool",
                                               "control_pct": pct, "seed": seed})
        self.c.call("campaign.launch", {"id": camp["id"]})
        self.server.kill9()  # very likely while slices are still settling members
        self.server.restart()
        c = self.connect(self.server, token=self.server.tokens["boss"])
        self.settled(c, camp["id"])
        before = self.members(c, camp["id"])
        self.assertEqual(set(before), set(ids))
        for cid, m in before.items():
            self.assertEqual(m["group"], "control" if in_control(seed, cid, pct) else "treated")
            self.assertEqual(m["status"], "targeted", m)
        treated = sorted(cid for cid, m in before.items() if m["group"] == "treated")
        # Every touch that was ever committed, replayed from the log: one each.
        sub = self.connect(self.server, token=self.server.tokens["vic"])
        sub.call("subscribe", {"channels": ["campaign.member_added", "campaign.updated"],
                               "since": 0})
        c.call("campaign.update", {"id": camp["id"], "description": "sentinel"})
        touched = sorted(self.touches_until_sentinel(sub))
        self.assertEqual(touched, treated, "each treated member touched exactly once")

        # The audience stays frozen: the segment changes, the members do not.
        c.call("customer.update", {"id": ids[0], "attrs": {"pool": False}})
        c.call("customer.create", {"name": "latecomer", "attrs": {"pool": True}})
        self.wait(lambda: c.call("segment.list")[0]["size"] == n, "the segment moves on")
        self.server.kill9()
        self.server.restart()
        c = self.connect(self.server, token=self.server.tokens["boss"])
        self.assertEqual(self.members(c, camp["id"]), before)

    def test_states_bad_input_and_roles(self):
        self.pool(30)
        with self.assertRpcError(-32003):
            self.agent.call("campaign.create", {"name": "x", "segment": "pool"})
        bad = [({"control_pct": 0.7}, "control_pct"), ({"control_pct": -0.1}, "control_pct"),
               ({"seed": -1}, "seed"), ({"seed": 2.5}, "seed"),
               ({"attribution_window": "soon"}, "attribution_window"),
               ({"attribution_window": "99999d"}, "attribution_window"),
               ({"channel": "pigeon"}, "channel"), ({"name": "n" * 300}, "name"),
               ({"cost": -5}, "cost"), ({"budget": 1.234}, "budget")]
        for extra, param in bad:
            p = dict({"name": "x", "segment": "pool"}, **extra)
            with self.assertRpcError(-32602, param=param):
                self.c.call("campaign.create", p)
        with self.assertRpcError(-32004, param="segment"):
            self.c.call("campaign.create", {"name": "x", "segment": "nobody"})
        self.assertEqual(self.viewer.call("campaign.list")["items"], [], "nothing was created")
        camp = self.c.call("campaign.create", {"name": "x", "segment": "pool", "seed": 1})
        with self.assertRpcError(-32009):
            self.c.call("campaign.create", {"name": "x", "segment": "pool"})
        # An order naming a campaign that is not running is refused whole.
        cid = self.c.call("customer.create", {"name": "buyer"})["id"]
        with self.assertRpcError(-32009):
            self.agent.call("order.create", {"customer_id": cid, "amount": 5,
                                             "campaign_id": camp["id"]})
        with self.assertRpcError(-32004, param="campaign_id"):
            self.agent.call("order.create", {"customer_id": cid, "amount": 5, "campaign_id": 999})
        self.assertEqual(self.viewer.call("order.list", {"customer_id": cid})["items"], [])
        # The design changes only while a draft; the states go by the table.
        self.c.call("campaign.update", {"id": camp["id"], "control_pct": 0.25, "attrs": {"a": 1}})
        with self.assertRpcError(-32003):
            self.agent.call("campaign.launch", {"id": camp["id"]})
        with self.assertRpcError(-32009):
            self.c.call("campaign.complete", {"id": camp["id"]})
        got = self.c.call("campaign.move", {"id": camp["id"], "to": "active"})
        self.assertEqual((got["status"], got["control_pct"], got["audience"]["members"]),
                         ("active", 0.25, 30), got)
        with self.assertRpcError(-32009):
            self.c.call("campaign.update", {"id": camp["id"], "seed": 2})
        self.settled(self.c, camp["id"])
        with self.assertRpcError(-32004, param="customer_id"):
            self.agent.call("campaign.track", {"id": camp["id"], "customer_id": cid,
                                               "event": "responded"})
        member = next(iter(self.members(self.viewer, camp["id"])))
        m = self.agent.call("campaign.track", {"id": camp["id"], "customer_id": member,
                                               "event": "responded"})
        self.assertEqual(m["status"], "responded", m)
        self.assertEqual(self.c.call("campaign.complete", {"name": "x"})["status"], "completed")
        with self.assertRpcError(-32009):
            self.c.call("campaign.cancel", {"id": camp["id"]})
        draft = self.c.call("campaign.create", {"name": "y", "segment": "pool"})
        self.assertEqual(self.c.call("campaign.cancel", {"id": draft["id"]})["status"], "cancelled")
        listed = self.viewer.call("campaign.list", {"status": "completed"})["items"]
        self.assertEqual([x["name"] for x in listed], ["x"])

    def test_a_runaway_hook_excludes_its_member_and_the_launch_goes_on(self):
        ids = self.pool(10, spin=lambda i: i == 4)
        camp = self.c.call("campaign.create", {"name": "spin", "segment": "pool",
                                               "control_pct": 0})
        self.c.call("campaign.launch", {"id": camp["id"]})
        self.settled(self.c, camp["id"])
        got = self.members(self.c, camp["id"])
        self.assertEqual((got[ids[4]]["status"], got[ids[4]]["reason"]), ("excluded", "vetoed"))
        self.assertEqual(sorted(m["status"] for cid, m in got.items() if cid != ids[4]),
                         ["targeted"] * 9, got)
        self.assertEqual(self.c.call("system.ping"), "pong")

    def test_merge_of_two_members_keeps_one_membership(self):
        ids = self.pool(3)
        camp = self.c.call("campaign.create", {"name": "m", "segment": "pool", "seed": 5})
        self.c.call("campaign.launch", {"id": camp["id"]})
        self.settled(self.c, camp["id"])
        before = self.members(self.c, camp["id"])
        self.c.call("customer.merge", {"into": ids[0], "from": [ids[1]]})
        after = self.members(self.c, camp["id"])
        self.assertEqual(set(after), {ids[0], ids[2]}, after)
        self.assertEqual(after[ids[0]]["group"], before[ids[0]]["group"],
                         "the survivor keeps its own draw")
        # A member merged into a customer outside the audience moves over.
        other = self.c.call("customer.create", {"name": "outside"})["id"]
        self.c.call("customer.merge", {"into": other, "from": [ids[2]]})
        after = self.members(self.c, camp["id"])
        self.assertEqual(set(after), {ids[0], other}, after)
        self.assertEqual(after[other]["group"], before[ids[2]]["group"])

    def test_cli_views_fit_80_columns(self):
        ids = self.pool(40)
        camp = self.c.call("campaign.create", {"name": "cli spring sale", "segment": "pool",
                                               "seed": 3, "control_pct": 0.25, "cost": 12.5})
        self.c.call("campaign.launch", {"id": camp["id"]})
        self.settled(self.c, camp["id"])
        self.agent.call("order.create", {"customer_id": ids[1], "amount": 30})
        env = dict(os.environ, LC_ALL="C", KITH_PORT=str(self.server.port), COLUMNS="80",
                   KITH_TOKEN=self.server.tokens["vic"])
        for args, want in ((["campaigns"], ["cli spring sale", "active"]),
                           (["campaign", "results", str(camp["id"])],
                            ["uplift", "95% CI", "treated", "control", "conversion"])):
            p = subprocess.run([KITH] + args, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=60, env=env)
            out = p.stdout.decode()
            self.assertEqual(p.returncode, 0, out + p.stderr.decode())
            self.assertLessEqual(max(len(line) for line in out.splitlines()), 80, out)
            for w in want:
                self.assertIn(w, out)


if __name__ == "__main__":
    main()
