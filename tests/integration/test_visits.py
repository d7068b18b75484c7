"""Visits over the socket (visit.*, CONTRACT.md section 6, DOMAIN.md 2.9).

A rules folder sets a short cadence (crm.visits{lead = "1s", grace = "2s"})
so visit.upcoming and visit.missed fire within seconds, a key-account class
for visit.due, and a crm.before("visit.planned") hook that refuses a key
account's visit without goals.  The tests walk a visit through planned ->
missed -> rescheduled -> checked in -> reported (agreements become tasks whose
reminders fire; the visit interaction is logged; stats move), check refused
transitions change nothing, roles, param errors, the visit_id link check on
interaction.log, visit.upcoming.<owner>, replay with `since`, exactly-once
firing across kill -9, visit.due and the visit rollups.

Standard library only.
"""

import os
import sqlite3
import time

from kithtest import KithTestCase, compact, main

CONFIG = "synchronous full\nwatch_scripts 0\n"

RULES = r'''
crm.visits {
  lead = "1s", grace = "2s",
  { class = "key", every = "30d", match = function(c, s) return c.attrs.key == true end },
  { class = "regular", every = "90d", match = function(c, s) return (s.orders or 0) > 0 end },
}
crm.before("visit.planned", function(ev)
  if ev.customer.attrs.key and #(ev.visit.goals or {}) == 0 then
    error("key accounts need goals")
  end
end)
'''


class Sub:
    """A subscribed connection that keeps the events it reads."""

    def __init__(self, tc, server, channels, since=None, token=None):
        self.tc = tc
        self.client = tc.connect(server, token=token)
        params = {"channels": list(channels)}
        if since is not None:
            params["since"] = since
        self.seq = self.client.call("subscribe", params)["seq"]
        self.events = []

    def until(self, pred, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if pred(e):
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("event not seen; got %r"
                                     % ([(e["channel"], e["seq"]) for e in self.events],))
            msg = self.client.read_json(left)
            self.tc.assertEqual(msg.get("method"), "event", msg)
            self.events.append(msg["params"])

    def drain(self):
        """Every event published before a ping is written before its pong."""
        req = self.client.make_request("system.ping")
        self.client.send_raw(compact(req) + b"\n")
        while True:
            msg = self.client.read_json(20.0)
            if msg.get("id") == req["id"]:
                return self.events
            self.events.append(msg["params"])


def about(channel, visit_id):
    return lambda e: e["channel"] == channel and e["data"]["visit"]["id"] == visit_id


class VisitLifecycleTest(KithTestCase):

    def setUp(self):
        self.server = self.start_server(
            config_text=CONFIG, files={"scripts/visits.lua": RULES},
            tokens=[("agent", "agnes"), ("viewer", "vera"), ("admin", "root")])
        self.c = self.connect(self.server, token=self.server.tokens["agnes"])
        self.key = self.c.call("customer.create", {"name": "Key Co", "attrs": {"key": True}})
        self.other = self.c.call("customer.create", {"name": "Other"})

    def get(self, vid):
        return self.c.call("visit.get", {"id": vid})

    def refused(self, method, params, status):
        """-32009 invalid_transition with data.status, and nothing changed."""
        before = self.get(params["id"])
        with self.assertRpcError(-32009) as h:
            self.c.call(method, params)
        data = h.error.error["data"]
        self.assertEqual((data.get("reason"), data.get("status")), ("invalid_transition", status),
                         h.error.error)
        self.assertEqual(self.get(params["id"]), before, "a refused %s changed the visit" % method)

    def test_planned_missed_rescheduled_checked_in_reported(self):
        c = self.c
        sub = Sub(self, self.server, ["visit.*", "reminder.due", "task.created",
                                      "interaction.logged"], token=self.server.tokens["vera"])
        mine = Sub(self, self.server, ["visit.upcoming.agnes"], token=self.server.tokens["vera"])
        theirs = Sub(self, self.server, ["visit.upcoming.bob"], token=self.server.tokens["vera"])

        # The before hook vetoes a key account's visit without goals.
        with self.assertRpcError(-32010):
            c.call("visit.plan", {"customer_id": self.key["id"], "at": "1h", "purpose": "sales"})
        self.assertEqual(c.call("visit.list", {"customer_id": self.key["id"]})["items"], [])

        v = c.call("visit.plan", {"customer_id": self.key["id"], "at": "3s", "purpose": "sales",
                                  "goals": ["renew the contract"], "location": "HQ",
                                  "participants": ["olga"], "duration_min": 60})
        self.assertEqual((v["status"], v["owner"], v["created_by"], v["reschedules"]),
                         ("planned", "agnes", "agnes", 0), v)
        ev = sub.until(about("visit.planned", v["id"]))
        self.assertEqual(ev["data"]["by"], "agnes", ev)
        self.assertEqual(ev["data"]["customer"]["id"], self.key["id"], ev)
        stats = c.call("customer.get", {"id": self.key["id"]})["stats"]
        self.assertEqual(stats["next_visit_at"], v["planned_at"], stats)

        # planned_at - lead: upcoming; planned_at + grace: missed.
        up = sub.until(about("visit.upcoming", v["id"]))
        self.assertEqual(up["data"]["visit"]["status"], "planned", up)
        self.assertIsNotNone(up["data"]["visit"]["reminded_at"], up)
        mine.until(about("visit.upcoming", v["id"]))
        missed = sub.until(about("visit.missed", v["id"]))
        self.assertEqual(missed["data"]["visit"]["status"], "missed", missed)
        self.assertEqual(theirs.drain(), [], "bob gets agnes's reminders")
        self.assertEqual(self.get(v["id"])["status"], "missed")
        stats = c.call("customer.get", {"id": self.key["id"]})["stats"]
        self.assertIsNone(stats["next_visit_at"], stats)

        # Refused: nothing changes.
        self.refused("visit.checkin", {"id": v["id"]}, "missed")
        self.refused("visit.update", {"id": v["id"], "agenda": "x"}, "missed")

        r = c.call("visit.reschedule", {"id": v["id"], "at": "1h", "reason": "customer ill"})
        self.assertEqual((r["status"], r["reschedules"], r["reschedule_reason"]),
                         ("planned", 1, "customer ill"), r)
        self.assertIsNone(r["reminded_at"], "rescheduling re-arms the reminder: %r" % (r,))
        self.assertIsNone(r["missed_at"], r)
        ev = sub.until(about("visit.rescheduled", v["id"]))
        self.assertEqual(ev["data"]["changes"]["planned_at"],
                         {"old": v["planned_at"], "new": r["planned_at"]}, ev)

        u = c.call("visit.update", {"id": v["id"], "agenda": "pricing", "attrs": {"room": 4}})
        self.assertEqual((u["agenda"], u["attrs"]), ("pricing", {"room": 4}), u)
        ev = sub.until(about("visit.updated", v["id"]))
        self.assertEqual(ev["data"]["changes"]["agenda"], {"old": None, "new": "pricing"}, ev)

        s = c.call("visit.checkin", {"id": v["id"], "geo": {"lat": 51.5, "lng": -0.12}})
        self.assertEqual((s["status"], s["geo"]), ("in_progress", {"lat": 51.5, "lng": -0.12}), s)
        self.assertTime(s["started_at"], "started_at")
        sub.until(about("visit.started", v["id"]))
        self.refused("visit.update", {"id": v["id"], "agenda": "y"}, "in_progress")
        self.refused("visit.cancel", {"id": v["id"], "reason": "no"}, "in_progress")

        done = c.call("visit.report", {
            "id": v["id"], "outcome": "achieved", "summary": "renewed for two years",
            "feedback": "wants faster delivery", "next_visit": "30d",
            "agreements": [{"note": "send the contract", "due": "2s", "owner": "olga"},
                           {"note": "check delivery times", "due": "7d"}]})
        self.assertEqual((done["status"], done["outcome"], done["customer_feedback"]),
                         ("done", "achieved", "wants faster delivery"), done)
        self.assertTime(done["ended_at"], "ended_at")
        agreements = done["agreements"]
        self.assertEqual([(a["note"], a["owner"]) for a in agreements],
                         [("send the contract", "olga"), ("check delivery times", "agnes")])
        tasks = {t["id"]: t for t in c.call("task.list", {"customer_id": self.key["id"]})["items"]}
        for a in agreements:
            t = tasks[a["task_id"]]
            self.assertEqual((t["note"], t["owner"], t["due_at"], t["status"]),
                             (a["note"], a["owner"], a["due"], "open"), t)
        # The agreement's task has its reminder.
        sub.until(lambda e: e["channel"] == "reminder.due"
                  and e["data"]["task"]["id"] == agreements[0]["task_id"])

        # The visit interaction, in the same request.
        ins = c.call("interaction.list", {"customer_id": self.key["id"], "type": "visit"})["items"]
        self.assertEqual(len(ins), 1, ins)
        self.assertEqual((ins[0]["id"], ins[0]["visit_id"], ins[0]["direction"], ins[0]["summary"],
                          ins[0]["by"]),
                         (done["interaction_id"], v["id"], "out", "renewed for two years", "agnes"),
                         ins[0])
        nxt = self.get(done["next_visit_id"])
        self.assertEqual((nxt["status"], nxt["purpose"], nxt["owner"]),
                         ("planned", "sales", "agnes"), nxt)
        stats = c.call("customer.get", {"id": self.key["id"]})["stats"]
        self.assertEqual((stats["visits_completed"], stats["last_visit_at"],
                          stats["next_visit_at"], stats["interactions"]),
                         (1, done["ended_at"], nxt["planned_at"], 1), stats)
        ev = sub.until(about("visit.completed", v["id"]))
        self.assertEqual(ev["data"]["by"], "agnes", ev)

        # A completed visit is final.
        self.refused("visit.report", {"id": v["id"], "outcome": "partial"}, "done")
        self.refused("visit.reschedule", {"id": v["id"], "at": "1d"}, "done")
        self.refused("visit.cancel", {"id": v["id"], "reason": "late"}, "done")

        cancelled = c.call("visit.cancel", {"id": nxt["id"], "reason": "contract signed"})
        self.assertEqual((cancelled["status"], cancelled["cancel_reason"]),
                         ("cancelled", "contract signed"), cancelled)
        stats = c.call("customer.get", {"id": self.key["id"]})["stats"]
        self.assertIsNone(stats["next_visit_at"], stats)

        # Each visit.missed / upcoming fired once; replay from seq 0 agrees.
        channels = [e["channel"] for e in sub.drain() if e["channel"].startswith("visit.")
                    and e["data"]["visit"]["id"] == v["id"]]
        self.assertEqual(channels.count("visit.upcoming"), 1, channels)
        self.assertEqual(channels.count("visit.missed"), 1, channels)
        replay = Sub(self, self.server, ["visit.*"], since=0, token=self.server.tokens["vera"])
        replay.drain()
        self.assertEqual([e["channel"] for e in replay.events
                          if e["data"]["visit"]["id"] == v["id"]], channels)

        # The rollups: planned 2 (agnes, sales), completed 1 on time? No: it
        # ended an hour before its rescheduled time, so x = 1; missed 1;
        # cancelled 1.
        db = sqlite3.connect(os.path.join(self.server.data_dir, "kith.db"))
        rows = dict(((m, d, k), (n, x)) for m, d, k, n, x in db.execute(
            "SELECT metric, dim, key, sum(n), sum(sx) FROM rollups WHERE metric LIKE 'visit.%' "
            "AND bucket = -1 GROUP BY metric, dim, key"))
        db.close()
        self.assertEqual(rows[("visit.planned", "owner", "agnes")][0], 2, rows)
        self.assertEqual(rows[("visit.completed", "purpose", "sales")], (1, 1.0), rows)
        self.assertEqual(rows[("visit.missed", "", "")][0], 1, rows)
        self.assertEqual(rows[("visit.cancelled", "owner", "agnes")][0], 1, rows)

    def test_roles_params_and_links(self):
        c = self.c
        viewer = self.connect(self.server, token=self.server.tokens["vera"])
        v = c.call("visit.plan", {"customer_id": self.other["id"], "at": "1d", "by": "bob",
                                  "purpose": "service"})
        self.assertEqual(v["owner"], "bob")
        with self.assertRpcError(-32003):
            viewer.call("visit.plan", {"customer_id": self.other["id"], "at": "1d",
                                       "purpose": "service"})
        for method, params in [("visit.cancel", {"id": v["id"], "reason": "x"}),
                               ("visit.checkin", {"id": v["id"]}),
                               ("visit.reschedule", {"id": v["id"], "at": "2d"}),
                               ("visit.update", {"id": v["id"], "agenda": "x"}),
                               ("visit.report", {"id": v["id"], "outcome": "achieved"})]:
            with self.assertRpcError(-32003):
                viewer.call(method, params)
        self.assertEqual(viewer.call("visit.get", {"id": v["id"]}), self.get(v["id"]))
        self.assertEqual([x["id"] for x in viewer.call("visit.list", {"owner": "bob"})["items"]],
                         [v["id"]])
        viewer.call("visit.due", {})

        plan = {"customer_id": self.other["id"], "at": "1d", "purpose": "service"}
        for bad, param in [({"purpose": None}, "purpose"), ({"purpose": "Big Sale"}, "purpose"),
                           ({"at": "soon"}, "at"), ({"goals": "x"}, "goals"),
                           ({"duration_min": 0}, "duration_min"), ({"customer_id": 0}, "customer_id")]:
            p = dict(plan, **bad)
            if bad.get("purpose", "") is None:
                del p["purpose"]
            with self.assertRpcError(-32602, param=param):
                c.call("visit.plan", p)
        with self.assertRpcError(-32004):
            c.call("visit.plan", dict(plan, customer_id=999999))
        with self.assertRpcError(-32004):
            c.call("visit.get", {"id": 999999})
        with self.assertRpcError(-32602, param="reason"):
            c.call("visit.cancel", {"id": v["id"]})
        with self.assertRpcError(-32602, param="geo"):
            c.call("visit.checkin", {"id": v["id"], "geo": {"lat": 100, "lng": 0}})
        with self.assertRpcError(-32602, param="outcome"):
            c.call("visit.report", {"id": v["id"], "outcome": "great"})
        with self.assertRpcError(-32602, param="agreements.1.due"):
            c.call("visit.report", {"id": v["id"], "outcome": "achieved",
                                    "agreements": [{"note": "a", "due": "1d"}, {"note": "b"}]})
        with self.assertRpcError(-32602, param="status"):
            c.call("visit.list", {"status": "completed"})
        with self.assertRpcError(-32602, param="class"):
            c.call("visit.due", {"class": "gold"})
        # A failed report left nothing behind: no task, no interaction.
        self.assertEqual(c.call("task.list", {"customer_id": self.other["id"]})["items"], [])
        self.assertEqual(self.get(v["id"])["status"], "planned")

        # interaction.log's visit_id: it exists, and is this customer's.
        with self.assertRpcError(-32004, param="visit_id"):
            c.call("interaction.log", {"customer_id": self.other["id"], "type": "note",
                                       "summary": "x", "visit_id": 999999})
        with self.assertRpcError(-32602, param="visit_id"):
            c.call("interaction.log", {"customer_id": self.key["id"], "type": "note",
                                       "summary": "x", "visit_id": v["id"]})
        ok = c.call("interaction.log", {"customer_id": self.other["id"], "type": "call",
                                        "summary": "confirmed", "visit_id": v["id"]})
        self.assertEqual(ok["visit_id"], v["id"])

    def test_visit_due_by_cadence(self):
        c = self.c
        reg = c.call("customer.create", {"name": "Regular", "owner": "bob"})
        c.call("order.create", {"customer_id": reg["id"], "amount": 10})
        due = {r["customer"]["id"]: r for r in c.call("visit.due", {})["items"]}
        self.assertEqual(set(due), {self.key["id"], reg["id"]}, due)
        self.assertEqual((due[self.key["id"]]["class"], due[self.key["id"]]["visit_every"]),
                         ("key", "30d"))
        self.assertIsNone(due[self.key["id"]]["last_visit_at"])
        self.assertEqual(due[self.key["id"]]["due_since"], self.key["created_at"])
        self.assertEqual([r["customer"]["id"] for r in c.call("visit.due", {"class": "regular"})["items"]],
                         [reg["id"]])
        self.assertEqual([r["customer"]["id"] for r in c.call("visit.due", {"owner": "bob"})["items"]],
                         [reg["id"]])
        page = c.call("visit.due", {"limit": 1})
        self.assertEqual(len(page["items"]), 1)
        rest = c.call("visit.due", {"limit": 1, "cursor": page["next_cursor"]})
        self.assertEqual([r["customer"]["id"] for r in page["items"] + rest["items"]],
                         sorted(due))
        # Something planned: not due; visited: not due for 30 days.
        v = c.call("visit.plan", {"customer_id": self.key["id"], "at": "1h", "purpose": "sales",
                                  "goals": ["hello"]})
        self.assertNotIn(self.key["id"], [r["customer"]["id"] for r in c.call("visit.due", {})["items"]])
        c.call("visit.report", {"id": v["id"], "outcome": "partial"})
        self.assertNotIn(self.key["id"], [r["customer"]["id"] for r in c.call("visit.due", {})["items"]])


class VisitCrashTest(KithTestCase):

    def test_upcoming_and_missed_fire_once_across_kill9(self):
        server = self.start_server(config_text=CONFIG, files={"scripts/visits.lua": RULES})
        c = self.connect(server)
        cust = c.call("customer.create", {"name": "Crash"})
        v = c.call("visit.plan", {"customer_id": cust["id"], "at": "2s", "purpose": "service"})
        server.kill9()
        time.sleep(4.5)  # both due times pass while kithd is down
        server.start()
        sub = Sub(self, server, ["visit.*"], since=0)
        sub.until(about("visit.missed", v["id"]))
        evs = [e["channel"] for e in sub.drain() if e["data"]["visit"]["id"] == v["id"]]
        self.assertEqual(evs, ["visit.planned", "visit.upcoming", "visit.missed"], evs)
        c = self.connect(server)
        self.assertEqual(c.call("visit.get", {"id": v["id"]})["status"], "missed")
        server.kill9()
        server.start()
        time.sleep(0.5)
        sub = Sub(self, server, ["visit.*"], since=0)
        evs = [e["channel"] for e in sub.drain() if e["data"]["visit"]["id"] == v["id"]]
        self.assertEqual(evs, ["visit.planned", "visit.upcoming", "visit.missed"], evs)


if __name__ == "__main__":
    main()
