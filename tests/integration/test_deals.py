"""Deals, the pipeline and the forecast over the socket, with the shipped
scripts/pipeline.lua.

What users rely on: the forecast's pipeline, weighted sum (amount x
probability), best case, commit, closed won, win rate and gap equal the
sums worked out here by hand from the deals the test made; a move to a
stage that requires a field the deal lacks, or one a crm.before hook
vetoes, changes nothing; deal.win with create_order books the order in the
same transaction (a refused order leaves the deal open and no order), and
both survive kill -9; the state machine refuses what it does not allow; the
kith deals and kith forecast views fit 80 columns.
"""

import datetime
import os
import subprocess
import time

from kithtest import KITH, KithTestCase, main
from rulestest import wait_for

SRC = os.environ.get("KITH_SOURCE_DIR", ".")
with open(os.path.join(SRC, "scripts", "pipeline.lua")) as f:
    PIPELINE = f.read()
VETO_666 = """
crm.before("order.created", function(ev)
  if ev.order.amount == 666 then error("no devilish orders") end
end)
crm.before("deal.created", function(ev)
  if ev.deal.name == "Blocked" then error("not this one") end
  if ev.deal.source == nil or ev.deal.source == crm.null then ev.deal.source = "rules" end
end)
"""
PROB = {"qualification": 0.10, "needs_analysis": 0.25, "proposal": 0.50, "negotiation": 0.75}


class DealsTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(files={"scripts/pipeline.lua": PIPELINE,
                                               "scripts/veto.lua": VETO_666})
        self.c = self.connect(self.server)
        self.cust = self.c.call("customer.create", {"name": "Buyer"})["id"]

    def deal(self, name, amount, owner="alice", **extra):
        p = {"customer_id": self.cust, "name": name, "amount": amount, "owner": owner}
        p.update(extra)
        return self.c.call("deal.create", p)

    def test_forecast_reproduces_the_sums_by_hand(self):
        q = self.c.call("deal.forecast", {"period": "quarter"})
        close = q["start"]          # inside the period, whatever today is
        plan = [("A", 1000, "alice", "qualification"), ("B", 2000, "alice", "proposal"),
                ("C", 3500, "bob", "needs_analysis"), ("D", 800, "bob", "negotiation"),
                ("E", 1200, "alice", "proposal"), ("F", 900, "bob", "qualification"),
                ("G", 4000, "alice", "qualification")]
        deals = {}
        for name, amount, owner, stage in plan:
            d = self.deal(name, amount, owner, expected_close=close, next_step="call")
            if stage != "qualification":
                d = self.c.call("deal.move", {"id": d["id"], "stage": stage})
            deals[name] = d
        # E is committed by hand; F is won, G lost; A is also won at a new amount.
        self.c.call("deal.update", {"id": deals["E"]["id"], "forecast_category": "commit"})
        self.c.call("deal.win", {"id": deals["F"]["id"]})
        self.c.call("deal.win", {"id": deals["A"]["id"], "amount": 1100})
        self.c.call("deal.lose", {"id": deals["G"]["id"], "reason": "price", "lost_to": "Rival"})
        self.c.call("goal.set", {"name": "q-won", "metric": "deals_won_amount", "target": 10000,
                                 "period": "quarter"})

        open_ = [("B", 2000, "alice", "proposal"), ("C", 3500, "bob", "needs_analysis"),
                 ("D", 800, "bob", "negotiation"), ("E", 1200, "alice", "proposal")]
        won = [("A", 1100, "alice"), ("F", 900, "bob")]
        lost = [("G", 4000, "alice")]

        def sums(owner=None):
            o = [x for x in open_ if owner in (None, x[2])]
            w = [x for x in won if owner in (None, x[2])]
            l_ = [x for x in lost if owner in (None, x[2])]
            closed = sum(x[1] for x in w)
            commit = closed + sum(x[1] for x in o if x[0] == "E")
            best = commit + sum(x[1] for x in o if x[0] != "E" and PROB[x[3]] >= 0.5)
            return {"pipeline": sum(x[1] for x in o),
                    "weighted": round(sum(x[1] * PROB[x[3]] for x in o), 2),
                    "commit": commit, "best_case": best, "closed_won": closed,
                    "won": len(w), "lost": len(l_), "open": len(o),
                    "win_rate": round(len(w) / (len(w) + len(l_)), 2) if w or l_ else None}

        f = self.c.call("deal.forecast", {"period": "quarter", "by": "owner"})
        want = sums()
        self.assertEqual(want["weighted"], 2000 * .5 + 3500 * .25 + 800 * .75 + 1200 * .5)
        for k, v in want.items():
            self.assertEqual(f[k], v, k)
        self.assertEqual(f["target"], 10000)
        self.assertEqual(f["gap"], 10000 - 2000)
        groups = {g["group"]: g for g in f["groups"]}
        for owner in ("alice", "bob"):
            for k, v in sums(owner).items():
                self.assertEqual(groups[owner][k], v, (owner, k))
        # Only one owner's deals.
        self.assertEqual(self.c.call("deal.forecast", {"owner": "bob"})["pipeline"],
                         sums("bob")["pipeline"])
        self.assertEqual([h["status"] for h in self.c.call("deal.history",
                                                            {"id": deals["G"]["id"]})],
                         ["created", "lost"])

    def test_refused_moves_change_nothing(self):
        d = self.deal("No date", 500)
        with self.assertRpcError(-32602, param="expected_close"):
            self.c.call("deal.move", {"id": d["id"], "stage": "proposal"})
        self.c.call("deal.update", {"id": d["id"], "expected_close": "2027-01-15T00:00:00Z"})
        with self.assertRpcError(-32010):   # the rule's veto: no next step
            self.c.call("deal.move", {"id": d["id"], "stage": "negotiation"})
        with self.assertRpcError(-32602, param="stage"):
            self.c.call("deal.move", {"id": d["id"], "stage": "heaven"})
        now = self.c.call("deal.get", {"id": d["id"]})
        self.assertEqual((now["stage"], now["probability"]), ("qualification", 0.1))
        self.assertEqual(len(self.c.call("deal.history", {"id": d["id"]})), 1)
        # The required field cannot be taken away while the deal needs it.
        self.c.call("deal.update", {"id": d["id"], "next_step": "demo"})
        self.c.call("deal.move", {"id": d["id"], "stage": "proposal"})
        with self.assertRpcError(-32602, param="expected_close"):
            self.c.call("deal.update", {"id": d["id"], "expected_close": None})

    def test_win_creates_the_order_atomically_and_durably(self):
        d = self.deal("Devil", 666)
        with self.assertRpcError(-32010):
            self.c.call("deal.win", {"id": d["id"], "create_order": True})
        self.assertEqual(self.c.call("deal.get", {"id": d["id"]})["status"], "open")
        self.assertEqual(self.c.call("order.list", {"customer_id": self.cust})["items"], [])
        w = self.c.call("deal.win", {"id": d["id"], "create_order": True, "amount": 700})
        self.assertEqual((w["status"], w["amount"]), ("won", 700))
        self.server.kill9()
        self.server.restart()
        c = self.connect(self.server)
        orders = c.call("order.list", {"customer_id": self.cust})["items"]
        self.assertEqual([(o["id"], o["amount"]) for o in orders], [(w["won_order_id"], 700)])
        self.assertEqual(c.call("customer.get", {"id": self.cust})["stats"]["orders"], 1)
        self.assertEqual(c.call("deal.get", {"id": d["id"]})["status"], "won")

    def test_state_machine(self):
        d = self.deal("X", 100)
        # crm.before("deal.created") may change a new deal or refuse it.
        self.assertEqual(d["source"], "rules")
        self.assertEqual(self.c.call("deal.history", {"id": d["id"]})[0]["status"], "created")
        with self.assertRpcError(-32010):
            self.deal("Blocked", 5)
        self.assertEqual([x["name"] for x in self.c.call("deal.list")["items"]], ["X"])
        self.c.call("deal.lose", {"id": d["id"], "reason": "budget"})
        with self.assertRpcError(-32009, kind="conflict"):
            self.c.call("deal.win", {"id": d["id"]})
        with self.assertRpcError(-32009):
            self.c.call("deal.move", {"id": d["id"], "stage": "needs_analysis"})
        with self.assertRpcError(-32602, param="reason"):
            self.c.call("deal.lose", {"id": self.deal("Y", 1)["id"]})
        r = self.c.call("deal.reopen", {"id": d["id"], "stage": "needs_analysis"})
        self.assertEqual((r["status"], r["stage"], r["lost_reason"]), ("open", "needs_analysis", None))
        with self.assertRpcError(-32602, param="pipeline"):
            self.c.call("deal.create", {"customer_id": self.cust, "name": "Z", "amount": 1,
                                        "pipeline": "nope"})
        with self.assertRpcError(-32004):
            self.c.call("deal.create", {"customer_id": 999, "name": "Z", "amount": 1})
        with self.assertRpcError(-32602, param="amount"):
            self.c.call("deal.create", {"customer_id": self.cust, "name": "Z", "amount": -5})
        names = [p["name"] for p in self.c.call("pipeline.list")]
        self.assertEqual(names, ["default"])
        self.assertEqual(self.c.call("deal.list", {"status": "open"})["items"][-1]["name"], "Y")

    def test_rotting_fires_once_per_idle_spell_across_kill9(self):
        # The shipped pipeline with rot_after cut to 1s.
        server = self.start_server(files={"scripts/pipeline.lua":
                                          PIPELINE.replace('rot_after = "14d"', 'rot_after = "1s"')},
                                   config_text="synchronous full\n")
        c = self.connect(server)
        cust = c.call("customer.create", {"name": "Idle"})["id"]
        d = c.call("deal.create", {"customer_id": cust, "name": "Idle deal", "amount": 10})

        def reminders(c):
            items = c.call("task.list", {"customer_id": cust, "limit": 100})["items"]
            return [t for t in items if t["note"].startswith("Deal idle: ")]

        server.kill9()
        time.sleep(1.5)       # the deal rots while nothing runs
        server.start()
        c = self.connect(server)
        wait_for(lambda: reminders(c), what="the rotting reminder after the restart")
        self.assertTrue(c.call("deal.get", {"id": d["id"]})["rotting"])
        server.kill9()
        server.start()
        c = self.connect(server)
        time.sleep(1.5)       # more idle time: still one reminder for the spell
        self.assertEqual(len(reminders(c)), 1)
        c.call("deal.update", {"id": d["id"], "next_step": "call"})   # activity re-arms it
        self.assertFalse(c.call("deal.get", {"id": d["id"]})["rotting"])
        wait_for(lambda: len(reminders(c)) == 2, what="the next idle spell's reminder")
        won = c.call("deal.win", {"id": d["id"]})
        time.sleep(1.5)       # a closed deal never rots
        self.assertEqual((won["rotting"], len(reminders(c))), (False, 2))

    def test_cli_views_fit_80_columns(self):
        for i in range(3):
            self.deal("A rather long deal name number %d for the fleet" % i, 1000 * (i + 1),
                      expected_close="2027-01-15T00:00:00Z", owner="alice" if i else "bob")
        env = dict(os.environ, LC_ALL="C", KITH_PORT=str(self.server.port), COLUMNS="80")
        for args in (["deals"], ["forecast", "--by", "owner"]):
            p = subprocess.run([KITH] + args, capture_output=True, timeout=60, env=env)
            out = p.stdout.decode()
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            self.assertTrue(out.strip())
            self.assertLessEqual(max(len(line) for line in out.splitlines()), 80, out)
        self.assertIn("weighted", out)


if __name__ == "__main__":
    main()
