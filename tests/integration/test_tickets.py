"""Tickets over the socket (CONTRACT.md section 6, DOMAIN.md 2.1).

- The whole walk of a complaint: interaction.log type=complaint opens a
  ticket through a rule (crm.after + crm.call("ticket.create", {interaction_id})),
  counted once in stats.complaints; accept; wait (the SLA clock pauses: the
  resolve deadline moves by exactly the time waited); resume; resolve needs
  root_cause and category; close is refused not_notified with nothing
  changed; ticket.notify logs the outbound interaction; close; reopen with a
  fresh deadline; resolve; an outbound interaction.log with the ticket_id
  counts as telling the customer; close again; the history, newest first.
- Roles, param errors (data.param), invalid transitions (-32009 with
  data.reason and data.status, nothing changed).
- Events carry `by` and replay with `since`; crm.before("ticket.created")
  raises priority and vetoes; crm.after("ticket.resolved") awards points.
- SLA warning and breach fire exactly once per deadline across kill -9
  (counted in the event log with subscribe since=0), and crm.on
  ("ticket.sla_breached") reassigns through ticket.update.

Standard library only.
"""

import datetime
import os
import subprocess
import time

from kithtest import BIN_DIR, KithTestCase, RpcError, compact, main

WALK_RULES = r"""
crm.sla{ {name = "standard", respond = "1h", resolve = "1d"} }
-- A complaint logged without a ticket opens one.
crm.after("interaction.logged", function(ev)
  local i = ev.interaction
  if i.type == "complaint" and not i.ticket_id then
    crm.call("ticket.create", {customer_id = ev.customer.id, kind = "complaint",
                               subject = i.summary, interaction_id = i.id, channel = "call"})
  end
end)
-- Compensation on resolution.
crm.after("ticket.resolved", function(ev)
  if ev.ticket.kind == "complaint" then
    crm.loyalty.award(ev.customer.id, 50, "sorry for ticket " .. ev.ticket.id)
  end
end)
"""

HOOK_RULES = r"""
crm.before("ticket.created", function(ev)
  for _, tag in ipairs(ev.customer.tags or {}) do
    if tag == "vip" then ev.ticket.priority = "urgent" end
  end
  if ev.ticket.subject:find("casino") then error("spam ticket") end
end)
crm.before("ticket.updated", function(ev)
  if ev.changes.owner and ev.changes.owner.new == "nobody" then error("no such agent") end
end)
"""

SLA_RULES = r"""
crm.sla{ {name = "fast", respond = "2s", resolve = "4s"} }
-- crm.on's cursor is stored once a handler has run; until then a restart
-- starts it at the newest event, after what fired at start-up.  A handler
-- that runs in the first life keeps the test about tickets.
crm.on("ticket.created", function(ev) end)
crm.on("ticket.sla_breached", function(ev)
  crm.log("info", "breach " .. ev.deadline .. " of ticket " .. ev.ticket.id)
  if ev.deadline == "resolve" then
    crm.call("ticket.update", {id = ev.ticket.id, owner = "lead"})
  end
end)
"""


def parse_ms(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000.0


def events_since(tc, server, patterns, token=None, since=0):
    """Every retained event on `patterns` after `since`, from a fresh
    subscription, read until two pings in a row bring nothing new."""
    c = tc.connect(server, token=token)
    c.call("subscribe", {"channels": patterns, "since": since})
    got, quiet = [], 0
    while quiet < 2:
        req = c.make_request("system.ping")
        c.send_raw(compact(req) + b"\n")
        n = 0
        while True:
            msg = c.read_json(30.0)
            if msg.get("id") == req["id"]:
                break
            tc.assertEqual(msg.get("method"), "event", msg)
            got.append(msg["params"])
            n += 1
        quiet = quiet + 1 if n == 0 else 0
        if n == 0:
            time.sleep(0.05)
    c.close()
    return got


class TicketWalkTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(
            tokens=[("admin", "boss"), ("agent", "li"), ("viewer", "vera")],
            files={"scripts/walk.lua": WALK_RULES})
        self.agent = self.connect(self.server, token=self.server.tokens["li"])
        self.admin = self.connect(self.server, token=self.server.tokens["boss"])
        self.viewer = self.connect(self.server, token=self.server.tokens["vera"])

    def test_complaint_from_interaction_to_closed(self):
        a = self.agent
        cust = a.call("customer.create", {"name": "Wang Fang"})
        cid = cust["id"]
        inter = a.call("interaction.log", {"customer_id": cid, "type": "complaint",
                                           "summary": "parcel arrived broken"})
        tickets = a.call("ticket.list", {"customer_id": cid})["items"]
        self.assertEqual(len(tickets), 1, tickets)
        t = tickets[0]
        tid = t["id"]
        self.assertEqual((t["status"], t["kind"], t["subject"], t["interaction_id"]),
                         ("new", "complaint", "parcel arrived broken", inter["id"]))
        self.assertTrue(t["created_by"].startswith("rule:") and
                        t["created_by"].endswith("walk.lua"), t["created_by"])
        self.assertEqual(t["sla"]["policy"], "standard")
        self.assertEqual(parse_ms(t["sla"]["respond_by"]) - parse_ms(t["created_at"]), 3600e3)
        # The interaction now names its ticket; the complaint counts once.
        logged = a.call("interaction.list", {"customer_id": cid})["items"]
        self.assertEqual([(i["type"], i.get("ticket_id")) for i in logged],
                         [("complaint", tid)])
        st = a.call("customer.get", {"id": cid})["stats"]
        self.assertEqual((st["complaints"], st["tickets"], st["open_tickets"],
                          st["open_complaints"]), (1, 1, 1, 1), st)

        t = a.call("ticket.accept", {"id": tid, "owner": "li", "team": "support"})
        self.assertEqual((t["status"], t["owner"], t["team"]), ("open", "li", "support"))
        self.assertIsNotNone(t["sla"]["responded_at"])
        self.assertIsNotNone(t["accepted_at"])

        # Waiting pauses the clock: nothing is due, and on resume the
        # resolve deadline moves by exactly the business time waited.
        before = t["sla"]["resolve_by"]
        t = a.call("ticket.wait", {"id": tid, "reason": "asked for a photo"})
        self.assertEqual(t["status"], "waiting")
        self.assertIsNone(t["sla"]["next_at"])
        self.assertIsNotNone(t["sla"]["waiting_since"])
        time.sleep(1.0)
        t = a.call("ticket.resume", {"id": tid})
        self.assertEqual(t["status"], "open")
        waited = t["sla"]["paused_ms"]
        self.assertGreaterEqual(waited, 1000)
        self.assertLess(waited, 10000)
        self.assertEqual(parse_ms(t["sla"]["resolve_by"]) - parse_ms(before), waited)
        self.assertIsNotNone(t["sla"]["next_at"])

        # A complaint is resolved only with its root cause and category.
        with self.assertRpcError(-32602, param="root_cause"):
            a.call("ticket.resolve", {"id": tid, "resolution": "sent a new one"})
        with self.assertRpcError(-32602, param="category"):
            a.call("ticket.resolve", {"id": tid, "resolution": "sent a new one",
                                      "root_cause": "packing"})
        self.assertEqual(a.call("ticket.get", {"id": tid})["status"], "open")
        t = a.call("ticket.resolve", {"id": tid, "resolution": "sent a new one",
                                      "root_cause": "thin packing", "category": "delivery"})
        self.assertEqual((t["status"], t["root_cause"], t["category"]),
                         ("resolved", "thin packing", "delivery"))
        self.assertEqual(a.call("loyalty.balance", {"customer_id": cid})["points"], 50)

        # Closing before the customer was told: refused, nothing changed.
        with self.assertRpcError(-32009) as h:
            a.call("ticket.close", {"id": tid, "satisfaction": 5})
        self.assertEqual(h.error.data.get("reason"), "not_notified", h.error.data)
        self.assertEqual(h.error.data.get("status"), "resolved", h.error.data)
        self.assertEqual(a.call("ticket.get", {"id": tid}), t)

        t = a.call("ticket.notify", {"id": tid, "channel": "email",
                                     "summary": "A new one is on its way"})
        self.assertEqual(t["notified_via"], "email")
        self.assertIsNotNone(t["customer_notified_at"])
        out = a.call("interaction.list", {"customer_id": cid})["items"][0]
        self.assertEqual((out["type"], out["direction"], out["ticket_id"], out["summary"]),
                         ("email", "out", tid, "A new one is on its way"))
        t = a.call("ticket.close", {"id": tid, "satisfaction": 4})
        self.assertEqual((t["status"], t["satisfaction"]), ("closed", 4))

        # Reopened: open again with a fresh resolve deadline from now.
        t = a.call("ticket.reopen", {"id": tid, "reason": "the new one is broken too"})
        self.assertEqual((t["status"], t["reopened"]), ("open", 1))
        self.assertGreater(parse_ms(t["sla"]["resolve_by"]), parse_ms(before) + waited)
        self.assertEqual(a.call("customer.get", {"id": cid})["stats"]["open_complaints"], 1)
        t = a.call("ticket.resolve", {"id": tid, "resolution": "refunded"})
        # Told before this resolve does not count: tell them again.
        with self.assertRpcError(-32009) as h:
            a.call("ticket.close", {"id": tid})
        self.assertEqual(h.error.data.get("reason"), "not_notified")
        # An outbound contact logged with the ticket tells the customer too.
        a.call("interaction.log", {"customer_id": cid, "type": "call", "direction": "out",
                                   "ticket_id": tid, "summary": "refund explained"})
        t = a.call("ticket.get", {"id": tid})
        self.assertEqual(t["notified_via"], "call")
        t = a.call("ticket.close", {"id": tid})
        self.assertEqual(t["status"], "closed")

        verbs = [e.get("verb") for e in self.viewer.call("ticket.history", {"id": tid})["items"]]
        self.assertEqual(verbs, ["close", "notify", "resolve", "reopen", "close", "notify",
                                 "resolve", "resume", "wait", "accept", "create"])
        page = self.viewer.call("ticket.history", {"id": tid, "limit": 4})
        rest = self.viewer.call("ticket.history", {"id": tid, "cursor": page["next_cursor"]})
        self.assertEqual([e["verb"] for e in page["items"] + rest["items"]], verbs)
        st = a.call("customer.get", {"id": cid})["stats"]
        self.assertEqual((st["complaints"], st["tickets"], st["open_tickets"],
                          st["open_complaints"]), (1, 1, 0, 0), st)
        self.assertEqual(self.viewer.call("sla.list")[0]["name"], "standard")

    def test_ticket_create_logs_one_complaint(self):
        a = self.agent
        cid = a.call("customer.create", {"name": "Li Lei"})["id"]
        t = a.call("ticket.create", {"customer_id": cid, "kind": "complaint",
                                     "subject": "rude driver", "priority": "high"})
        self.assertEqual((t["priority"], t["created_by"]), ("high", "li"))
        logged = a.call("interaction.list", {"customer_id": cid})["items"]
        self.assertEqual([(i["type"], i["ticket_id"], i["id"]) for i in logged],
                         [("complaint", t["id"], t["interaction_id"])])
        # The rule saw the ticket_id and opened no second ticket.
        self.assertEqual(len(a.call("ticket.list", {"customer_id": cid})["items"]), 1)
        a.call("ticket.create", {"customer_id": cid, "kind": "inquiry", "subject": "opening hours"})
        st = a.call("customer.get", {"id": cid})["stats"]
        self.assertEqual((st["complaints"], st["tickets"], st["open_tickets"],
                          st["open_complaints"]), (1, 2, 2, 1), st)

    def test_roles_and_params(self):
        a, v, boss = self.agent, self.viewer, self.admin
        cid = a.call("customer.create", {"name": "Zhao"})["id"]
        other = a.call("customer.create", {"name": "Qian"})["id"]
        with self.assertRpcError(-32003):
            v.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "x"})
        t = a.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "x"})
        tid = t["id"]
        self.assertEqual(v.call("ticket.get", {"id": tid})["id"], tid)
        self.assertEqual(len(v.call("ticket.list", {"status": "active"})["items"]), 1)
        for verb, params in [("ticket.accept", {}), ("ticket.comment", {"body": "hi"}),
                             ("ticket.update", {"subject": "y"})]:
            with self.assertRpcError(-32003):
                v.call(verb, dict(params, id=tid))
        bad = [({"kind": "moan"}, "kind"), ({"subject": "  "}, "subject"),
               ({"priority": "asap"}, "priority"), ({"channel": "pigeon"}, "channel"),
               ({"touchpoint": "After Sales"}, "touchpoint"), ({"customer_id": 0}, "customer_id"),
               ({"interaction_id": 999}, "interaction_id")]
        for change, param in bad:
            params = dict({"customer_id": cid, "kind": "request", "subject": "x"}, **change)
            with self.assertRpcError(-32602, param=param):
                a.call("ticket.create", params)
        with self.assertRpcError(-32004):
            a.call("ticket.create", {"customer_id": 12345, "kind": "request", "subject": "x"})
        with self.assertRpcError(-32004):
            a.call("ticket.get", {"id": 999})
        with self.assertRpcError(-32602, param="status"):
            a.call("ticket.update", {"id": tid, "status": "closed"})
        with self.assertRpcError(-32602, param="reason"):
            a.call("ticket.reject", {"id": tid, "reason": "boring"})
        with self.assertRpcError(-32602, param="ticket_id"):
            a.call("interaction.log", {"customer_id": other, "type": "call", "summary": "s",
                                       "ticket_id": tid})
        with self.assertRpcError(-32004):
            a.call("interaction.log", {"customer_id": cid, "type": "call", "summary": "s",
                                       "ticket_id": 999})
        a.call("ticket.resolve", {"id": tid, "resolution": "done"})
        with self.assertRpcError(-32602, param="satisfaction"):
            a.call("ticket.close", {"id": tid, "satisfaction": 7})
        # force is an admin's: an agent's force is a role error.
        with self.assertRpcError(-32003, param="force"):
            a.call("ticket.close", {"id": tid, "force": True})
        self.assertEqual(a.call("ticket.get", {"id": tid})["status"], "resolved")
        t = boss.call("ticket.close", {"id": tid, "force": True})
        self.assertEqual(t["status"], "closed")
        self.assertIsNone(t["customer_notified_at"])
        c = a.call("ticket.comment", {"id": tid, "body": "closed by the boss", "internal": False})
        self.assertEqual((c["kind"], c["body"], c["internal"], c["by"]),
                         ("comment", "closed by the boss", False, "li"))

    def test_invalid_transitions_change_nothing(self):
        a = self.agent
        cid = a.call("customer.create", {"name": "Sun"})["id"]
        t = a.call("ticket.create", {"customer_id": cid, "kind": "repair", "subject": "tv"})
        tid = t["id"]
        for verb, params in [("ticket.wait", {}), ("ticket.resume", {}), ("ticket.close", {}),
                             ("ticket.reopen", {"reason": "r"})]:
            with self.assertRpcError(-32009) as h:
                a.call(verb, dict(params, id=tid))
            self.assertEqual(h.error.data.get("reason"), "invalid_transition", h.error.data)
            self.assertEqual(h.error.data.get("status"), "new", h.error.data)
        self.assertEqual(a.call("ticket.get", {"id": tid}), t)
        a.call("ticket.reject", {"id": tid, "reason": "duplicate"})
        for verb, params in [("ticket.accept", {}), ("ticket.resolve", {"resolution": "r"}),
                             ("ticket.reject", {"reason": "spam"})]:
            with self.assertRpcError(-32009) as h:
                a.call(verb, dict(params, id=tid))
            self.assertEqual(h.error.data.get("status"), "rejected", h.error.data)
        self.assertEqual(a.call("customer.get", {"id": cid})["stats"]["open_tickets"], 0)


class TicketEventsTest(KithTestCase):
    def test_events_carry_by_and_replay_with_since(self):
        server = self.start_server(tokens=[("agent", "li")])
        a = self.connect(server, token=server.tokens["li"])
        seq0 = a.call("subscribe", {"channels": ["nothing.here"]})["seq"]
        cid = a.call("customer.create", {"name": "Zhou"})["id"]
        t = a.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "a"})
        tid = t["id"]
        a.call("ticket.update", {"id": tid, "priority": "high", "attrs": {"sku": "x1"}})
        a.call("ticket.accept", {"id": tid, "owner": "li"})
        a.call("ticket.comment", {"id": tid, "body": "on it"})
        a.call("ticket.wait", {"id": tid})
        a.call("ticket.resume", {"id": tid})
        a.call("ticket.resolve", {"id": tid, "resolution": "done"})
        a.call("ticket.notify", {"id": tid, "channel": "web"})
        a.call("ticket.close", {"id": tid})
        a.call("ticket.reopen", {"id": tid, "reason": "again"})
        evs = events_since(self, server, ["ticket.*"], token=server.tokens["li"], since=seq0)
        self.assertEqual([e["channel"] for e in evs],
                         ["ticket.created", "ticket.updated", "ticket.accepted",
                          "ticket.assigned", "ticket.commented", "ticket.waiting",
                          "ticket.resumed", "ticket.resolved", "ticket.notified",
                          "ticket.closed", "ticket.reopened"])
        for e in evs:
            self.assertEqual(e["data"]["by"], "li", e)
            self.assertEqual(e["data"]["ticket"]["id"], tid, e)
            self.assertEqual(e["data"]["customer"]["id"], cid, e)
        upd = evs[1]["data"]
        self.assertEqual(upd["changes"]["priority"], {"old": "normal", "new": "high"})
        self.assertEqual(upd["changes"]["attrs"]["new"], {"sku": "x1"})
        self.assertEqual(evs[4]["data"]["comment"]["body"], "on it")
        self.assertEqual(evs[8]["data"]["interaction"]["type"], "note")  # web is no type
        self.assertEqual(evs[8]["data"]["ticket"]["notified_via"], "web")
        # Replay from the middle starts right after that event.
        later = events_since(self, server, ["ticket.*"], token=server.tokens["li"],
                             since=evs[8]["seq"])
        self.assertEqual([e["channel"] for e in later], ["ticket.closed", "ticket.reopened"])

    def test_before_hooks_change_and_veto(self):
        server = self.start_server(files={"scripts/hooks.lua": HOOK_RULES})
        c = self.connect(server)
        vip = c.call("customer.create", {"name": "Big", "tags": ["vip"]})["id"]
        t = c.call("ticket.create", {"customer_id": vip, "kind": "request", "subject": "help"})
        self.assertEqual(t["priority"], "urgent")
        with self.assertRpcError(-32010):
            c.call("ticket.create", {"customer_id": vip, "kind": "complaint",
                                     "subject": "win at the casino"})
        self.assertEqual(len(c.call("ticket.list", {"customer_id": vip})["items"]), 1)
        st = c.call("customer.get", {"id": vip})["stats"]
        self.assertEqual((st["tickets"], st["complaints"]), (1, 0), st)
        with self.assertRpcError(-32010):
            c.call("ticket.update", {"id": t["id"], "owner": "nobody"})
        self.assertIsNone(c.call("ticket.get", {"id": t["id"]})["owner"])


class TicketSlaTest(KithTestCase):
    def count(self, evs, tid):
        out = {}
        for e in evs:
            if e["data"]["ticket"]["id"] != tid:
                continue
            key = (e["channel"], e["data"]["deadline"])
            out[key] = out.get(key, 0) + 1
        return out

    def test_warning_and_breach_fire_once_across_kill9(self):
        server = self.start_server(files={"scripts/sla.lua": SLA_RULES})
        c = self.connect(server)
        cid = c.call("customer.create", {"name": "Wu"})["id"]
        # Ticket A: the server dies before any of its times and comes back
        # after all four: each fires once, late, in order.
        a = c.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "A"})
        # Ticket B: the same, for the counts per customer.
        b = c.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "B"})
        self.assertEqual(c.call("sla.list")[0]["respond"], "2s")
        self.assertEqual(parse_ms(a["sla"]["respond_by"]) - parse_ms(a["created_at"]), 2000)
        self.assertEqual(parse_ms(a["sla"]["resolve_by"]) - parse_ms(a["created_at"]), 4000)
        created = parse_ms(a["created_at"]) / 1000.0
        time.sleep(max(0.0, created + 1.0 - time.time()))
        server.kill9()
        time.sleep(max(0.0, created + 4.6 - time.time()))
        server.restart()
        c = self.connect(server)
        want = {("ticket.sla_warning", "respond"): 1, ("ticket.sla_breached", "respond"): 1,
                ("ticket.sla_warning", "resolve"): 1, ("ticket.sla_breached", "resolve"): 1}
        deadline = time.monotonic() + 10
        while True:
            evs = events_since(self, server, ["ticket.sla_*"])
            if self.count(evs, a["id"]) == want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(self.count(evs, a["id"]), want)
        order = [(e["channel"], e["data"]["deadline"]) for e in evs
                 if e["data"]["ticket"]["id"] == a["id"]]
        self.assertEqual(order, [("ticket.sla_warning", "respond"),
                                 ("ticket.sla_breached", "respond"),
                                 ("ticket.sla_warning", "resolve"),
                                 ("ticket.sla_breached", "resolve")])
        # Ticket B live now: accept it (the respond deadline is over), then
        # kill between its resolve warning (3.2 s) and breach (4 s).
        bt = c.call("ticket.get", {"id": b["id"]})
        self.assertEqual(bt["sla"]["breached"], ["respond", "resolve"])
        b2 = c.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "B2"})
        c.call("ticket.accept", {"id": b2["id"]})
        created2 = parse_ms(b2["created_at"]) / 1000.0
        time.sleep(max(0.0, created2 + 3.5 - time.time()))
        server.kill9()
        time.sleep(max(0.0, created2 + 4.3 - time.time()))
        server.restart()
        time.sleep(0.5)
        # And once more, right away: nothing fires twice.
        server.kill9()
        server.restart()
        c = self.connect(server)
        want_b2 = {("ticket.sla_warning", "resolve"): 1, ("ticket.sla_breached", "resolve"): 1}
        deadline = time.monotonic() + 10
        while True:
            evs = events_since(self, server, ["ticket.sla_*"])
            if self.count(evs, b2["id"]) == want_b2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(self.count(evs, b2["id"]), want_b2)
        self.assertEqual(self.count(evs, a["id"]), want)
        t = c.call("ticket.get", {"id": b2["id"]})
        self.assertEqual((t["sla"]["breached"], t["sla"]["next_at"]), (["resolve"], None))
        # The crm.on handler escalated the breached tickets.
        deadline = time.monotonic() + 10
        while c.call("ticket.get", {"id": b2["id"]})["owner"] != "lead" and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(c.call("ticket.get", {"id": b2["id"]})["owner"], "lead")
        self.assertEqual(len(c.call("ticket.list", {"breached": True})["items"]), 3)
        # Breaches counted per customer: A's two, B's two, B2's one.
        self.assertEqual(c.call("customer.get", {"id": cid})["stats"]["sla_breaches"], 5)


class TicketCliTest(KithTestCase):
    def kith(self, server, *args):
        p = subprocess.run([os.path.join(BIN_DIR, "kith"), "--unix", server.unix_path] + list(args),
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_kith_tickets_table(self):
        server = self.start_server(files={"scripts/sla.lua": r"""
crm.sla{ {name = "complaints", respond = "1h", resolve = "1d",
          match = function(t) return t.kind == "complaint" end},
         {name = "quick", respond = "1s", resolve = "1d"} }
"""})
        c = self.connect(server)
        cid = c.call("customer.create", {"name": "Ann Lee"})["id"]
        c.call("ticket.create", {"customer_id": cid, "kind": "complaint", "subject": "late",
                                 "owner": "li"})
        w = c.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "copy"})
        c.call("ticket.accept", {"id": w["id"]})
        c.call("ticket.wait", {"id": w["id"]})
        late = c.call("ticket.create", {"customer_id": cid, "kind": "inquiry", "subject": "hours"})
        done = c.call("ticket.create", {"customer_id": cid, "kind": "inquiry", "subject": "done"})
        c.call("ticket.resolve", {"id": done["id"], "resolution": "answered"})
        deadline = time.monotonic() + 10
        while not c.call("ticket.get", {"id": late["id"]})["sla"]["breached"]:
            self.assertLess(time.monotonic(), deadline, "the respond deadline never breached")
            time.sleep(0.1)
        rc, out, err = self.kith(server, "tickets")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["id", "status", "priority", "kind", "customer",
                                            "subject", "owner", "sla"], out)
        rows = {l.split()[0]: l for l in lines[2:] if l.strip()}
        self.assertEqual(sorted(rows), ["1", "2", "3"], out)  # the resolved one is not active
        self.assertIn("respond in 1h", rows["1"])
        self.assertIn("Ann Lee (#%d)" % cid, rows["1"])
        self.assertIn("paused", rows["2"])
        self.assertIn("BREACHED respond", rows["3"])
        rc, out, err = self.kith(server, "tickets", "--all", "--owner", "li")
        self.assertEqual([l.split()[0] for l in out.splitlines()[2:] if l.strip()], ["1"], out)
        rc, out, err = self.kith(server, "tickets", "--status", "resolved", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn('"subject":"done"', out)
        rc, out, err = self.kith(server, "tickets", "--limit", "0")
        self.assertNotEqual(rc, 0)
        self.assertIn("--limit", err)


if __name__ == "__main__":
    main()
