"""KPI reports and goals over the socket, each checked against the answer
computed here from the same data.

What users rely on: report.run's customers report (new, active, returning,
retained, retention/churn/repeat-purchase rates, purchase frequency), the
cohort retention matrix, revenue by owner, loyalty points, the funnel, the
owner scorecard and goals agree with a direct count over the orders the
test placed, in random time order (imports backdate); a merge keeps the
cohorts exact; the service and satisfaction reports are ticket.metrics and
survey.results as tables; every report's formula is in report.list; bad
arguments are refused.
"""

import datetime
import os
import random
import subprocess

from kithtest import KITH, KithTestCase, main
from rulestest import Events

PIPELINE = """crm.pipeline { name = "default", stages = { { name = "qualification", probability = 0.1 } } }"""
FROM = datetime.date(2025, 1, 1)
TO = datetime.date(2026, 7, 1)   # exclusive
OWNERS = ["ann", "bob", None]


def month_of(d):
    return d.year * 12 + d.month - 1


def label(m):
    return "%04d-%02d" % (m // 12, m % 12 + 1)


def rate(a, b, places=4):
    return round(a / b, places) if b else None


class Data:
    """The test's own record of what it wrote."""

    def __init__(self):
        self.orders = []   # (customer, date, amount, owner at order time)
        self.owner = {}

    def months(self):
        out = {}
        for cid, d, _, _ in self.orders:
            out.setdefault(cid, set()).add(month_of(d))
        return out


class ReportsTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)
        self.data = Data()

    def populate(self, n=60, seed=7):
        rnd = random.Random(seed)
        days = (TO - FROM).days
        planned = []
        for i in range(n):
            owner = OWNERS[i % 3]
            p = {"name": "C%d" % i}
            if owner:
                p["owner"] = owner
            cid = self.c.call("customer.create", p)["id"]
            self.data.owner[cid] = owner
            start = rnd.randrange(days - 30)
            for _ in range(rnd.choice([1, 1, 2, 3, 5])):
                d = FROM + datetime.timedelta(days=rnd.randrange(start, days))
                planned.append((cid, d, rnd.randrange(100, 20000) / 100))
        rnd.shuffle(planned)   # out of time order, as an import may be
        for cid, d, amount in planned:
            self.c.call("order.create", {"customer_id": cid, "amount": amount,
                                         "at": d.isoformat() + "T10:00:00Z"})
            self.data.orders.append((cid, d, amount, self.data.owner[cid]))

    def run_report(self, name, **params):
        p = {"name": name, "from": FROM.isoformat() + "T00:00:00Z",
             "to": TO.isoformat() + "T00:00:00Z"}
        p.update(params)
        r = self.c.call("report.run", p)
        return [dict(zip(r["columns"], row)) for row in r["rows"]], r

    def expected_customers(self):
        months = self.data.months()
        first = {cid: min(ms) for cid, ms in months.items()}
        rows = []
        for m in range(month_of(FROM), month_of(TO)):
            active = {c for c, ms in months.items() if m in ms}
            prev = {c for c, ms in months.items() if m - 1 in ms}
            new = {c for c in active if first[c] == m}
            retained = active & prev
            orders = sum(1 for _, d, _, _ in self.data.orders if month_of(d) == m)
            r = rate(len(retained), len(prev))
            rows.append({"period": label(m), "new": len(new), "active": len(active),
                         "returning": len(active - new), "retained": len(retained),
                         "retention_rate": r,
                         "churn_rate": None if r is None else round(1 - r, 4),
                         "repeat_purchase_rate": rate(len(active - new), len(active)),
                         "orders": orders, "purchase_frequency": rate(orders, len(active))})
        return rows

    def expected_retention(self):
        months = self.data.months()
        first = {cid: min(ms) for cid, ms in months.items()}
        lo, hi = month_of(FROM), month_of(TO) - 1
        rows = []
        for c in range(lo, hi + 1):
            cohort = [cid for cid, f in first.items() if f == c]
            if not cohort:
                continue
            row = {"cohort": label(c), "customers": len(cohort)}
            for k in range(hi - lo + 1):
                row["m%d" % k] = (rate(sum(1 for cid in cohort if c + k in months[cid]),
                                       len(cohort)) if c + k <= hi else None)
            rows.append(row)
        return rows

    def test_customers_and_retention_match_a_direct_count(self):
        self.populate()
        rows, r = self.run_report("customers")
        self.assertEqual(r["columns"][0], "period")
        self.assertEqual(rows, self.expected_customers())
        rows, _ = self.run_report("retention")
        self.assertEqual(rows, self.expected_retention())

    def test_merge_keeps_the_cohorts_exact(self):
        self.populate(n=30, seed=3)
        ids = sorted(self.data.owner)
        a, b = ids[0], ids[1]
        self.c.call("customer.merge", {"into": a, "from": [b]})
        self.data.orders = [(a if cid == b else cid, d, amt, o)
                            for cid, d, amt, o in self.data.orders]
        rows, _ = self.run_report("customers")
        self.assertEqual(rows, self.expected_customers())
        rows, _ = self.run_report("retention")
        self.assertEqual(rows, self.expected_retention())

    def test_revenue_by_owner_and_total(self):
        self.populate()
        rows, _ = self.run_report("revenue", interval="month", group_by="owner")
        got = {(r["period"], r["group"]): (r["orders"], r["revenue"], r["aov"]) for r in rows}
        want = {}
        for _, d, amt, owner in self.data.orders:
            if owner is None:
                continue
            k = (label(month_of(d)), owner)
            n, s = want.get(k, (0, 0.0))
            want[k] = (n + 1, s + amt)
        for k, (n, s) in want.items():
            self.assertEqual(got[k][0], n)
            self.assertAlmostEqual(got[k][1], round(s, 2), places=2)
            self.assertAlmostEqual(got[k][2], s / n, delta=0.0051)
        self.assertEqual({k for k, v in got.items() if v[0]}, set(want))
        # The total, by day: every order counted once.
        rows, _ = self.run_report("revenue", interval="day")
        self.assertEqual(sum(r["orders"] for r in rows), len(self.data.orders))
        self.assertAlmostEqual(sum(r["revenue"] for r in rows),
                               sum(a for _, _, a, _ in self.data.orders), places=2)
        self.assertEqual(len(rows), (TO - FROM).days)

    def test_revenue_by_tier_class_and_segment(self):
        self.server.stop()
        self.server.write_files({"scripts/groups.lua": """
crm.tiers { { name = "bronze", min = 0 }, { name = "gold", min = 100 } }
crm.segment("big", "spent 100 or more", function(c, s) return (s.total_spent or 0) >= 100 end)
crm.classify(function(c, s) if (s.orders or 0) >= 2 then return "regular" end end)
"""})
        self.server.start()
        self.c = self.connect(self.server)
        a = self.c.call("customer.create", {"name": "A"})["id"]
        b = self.c.call("customer.create", {"name": "B"})["id"]
        self.c.call("loyalty.award", {"customer_id": a, "points": 150, "reason": "welcome"})
        day = "2026-03-10T10:00:00Z"
        for cid, amount in ((a, 120), (a, 30), (b, 10), (b, 20), (b, 5)):
            self.c.call("order.create", {"customer_id": cid, "amount": amount, "at": day})
        # As each order found the customer: A gold throughout and big after
        # her first order; B with no tier (no points) and never big.  The
        # class is set when a write settles, after two orders: only B's third
        # order finds a regular.
        want = {"tier": {"gold": (2, 150)},
                "segment": {"big": (1, 30)},
                "class": {"regular": (1, 5)}}
        for group, expected in want.items():
            rows, _ = self.run_report("revenue", interval="month", group_by=group,
                                      **{"from": "2026-03-01T00:00:00Z",
                                         "to": "2026-04-01T00:00:00Z"})
            got = {r["group"]: (r["orders"], r["revenue"]) for r in rows}
            self.assertEqual(got, expected, group)

    def test_loyalty_points(self):
        ids = [self.c.call("customer.create", {"name": n})["id"] for n in "ABC"]
        self.c.call("loyalty.award", {"customer_id": ids[0], "points": 500, "reason": "x"})
        self.c.call("loyalty.award", {"customer_id": ids[1], "points": 120, "reason": "y"})
        self.c.call("loyalty.redeem", {"customer_id": ids[0], "points": 200, "reason": "z"})
        now = datetime.datetime.now(datetime.timezone.utc)
        rows, r = self.run_report("loyalty", interval="month",
                                  **{"from": now.strftime("%Y-%m-01T00:00:00Z"),
                                     "to": (now + datetime.timedelta(days=1)).strftime(
                                         "%Y-%m-%dT00:00:00Z")})
        self.assertEqual(rows[-1]["awarded"], 620)
        self.assertEqual(rows[-1]["redeemed"], 200)
        self.assertEqual(rows[-1]["net"], 420)
        self.assertEqual(r["snapshot"]["points_outstanding"], 420)

    def test_funnel_counts_stages(self):
        ids = [self.c.call("customer.create", {"name": "S%d" % i})["id"] for i in range(5)]
        for cid, stage in zip(ids, ["lead", "lead", "customer", "customer", "customer"]):
            self.c.call("customer.set_stage", {"id": cid, "stage": stage,
                                               "reason": "test"})
        self.c.call("customer.set_stage", {"id": ids[0], "stage": "customer",
                                           "reason": "won"})
        rows, _ = self.run_report("funnel")
        got = {r["stage"]: (r["current"], r["entered"]) for r in rows}
        self.assertEqual(got["customer"], (4, 4))
        self.assertEqual(got["lead"], (1, 2))

    def test_scorecard_and_goals(self):
        self.populate()
        self.c.call("goal.set", {"name": "ann-monthly", "metric": "revenue", "target": 500,
                                 "period": "month", "owner": "ann"})
        rows, _ = self.run_report("owner_scorecard")
        by = {r["owner"]: r for r in rows}
        for owner in ("ann", "bob"):
            mine = [a for _, _, a, o in self.data.orders if o == owner]
            self.assertEqual(by[owner]["orders"], len(mine))
            self.assertAlmostEqual(by[owner]["revenue"], round(sum(mine), 2), places=2)
        self.assertEqual(by["ann"]["revenue_target"], 500)
        self.assertAlmostEqual(by["ann"]["attainment"], round(by["ann"]["revenue"] / 500, 4))
        self.assertIsNone(by["bob"]["revenue_target"])
        # Deals count for their owner once won, and not once reopened.
        self.server.stop()
        self.server.write_files({"scripts/pipeline.lua": PIPELINE})
        self.server.start()
        self.c = self.connect(self.server)
        cust = sorted(self.data.owner)[0]
        for amount in (700, 300):
            d = self.c.call("deal.create", {"customer_id": cust, "name": "D", "amount": amount,
                                            "owner": "bob"})
            self.c.call("deal.win", {"id": d["id"]})
        self.c.call("deal.reopen", {"id": d["id"], "stage": "qualification"})
        now = datetime.datetime.now(datetime.timezone.utc)
        rows, _ = self.run_report("owner_scorecard", **{
            "from": now.strftime("%Y-%m-%dT00:00:00Z"),
            "to": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")})
        bob = [r for r in rows if r["owner"] == "bob"][0]
        self.assertEqual((bob["deals_won"], bob["won_amount"]), (1, 700))

        # goal.list evaluated mid-month: actual so far, straight-line projection.
        at = datetime.datetime(2026, 3, 16, 0, 0, tzinfo=datetime.timezone.utc)
        g = self.c.call("goal.list", {"owner": "ann", "at": at.isoformat()})[0]
        so_far = sum(a for _, d, a, o in self.data.orders
                     if o == "ann" and d.year == 2026 and d.month == 3 and d.day <= 16)
        self.assertAlmostEqual(g["actual"], round(so_far, 2), places=2)
        self.assertEqual(g["period_start"], "2026-03-01T00:00:00.000Z")
        elapsed = (16 * 86400 + 0.001) / (31 * 86400)
        projected = so_far / elapsed
        want = ("achieved" if so_far >= 500 else "on_track" if projected >= 500 else "at_risk")
        self.assertEqual(g["status"], want)
        # A past period is settled: achieved or missed.
        g = self.c.call("goal.list", {"owner": "ann", "at": "2030-01-10T00:00:00Z"})[0]
        self.assertEqual((g["actual"], g["status"]), (0, "at_risk"))
        g = self.c.call("goal.list", {"at": "2026-04-01T00:00:00Z"})[0]
        self.assertIn(g["status"], ("on_track", "at_risk", "achieved"))
        self.c.call("goal.set", {"name": "new", "metric": "new_customers", "target": 1,
                                 "period": "quarter"})
        g = [x for x in self.c.call("goal.list", {"at": "2025-06-30T12:00:00Z"})
             if x["name"] == "new"][0]
        first = {}
        for cid, d, _, _ in self.data.orders:
            first[cid] = min(first.get(cid, d), d)
        q2 = sum(1 for d in first.values() if datetime.date(2025, 4, 1) <= d < datetime.date(2025, 7, 1))
        self.assertEqual(g["actual"], q2)
        self.c.call("goal.delete", {"name": "new"})
        with self.assertRpcError(-32004):
            self.c.call("goal.delete", {"name": "new"})
        with self.assertRpcError(-32602, param="owner"):
            self.c.call("goal.set", {"name": "x", "metric": "new_customers", "target": 1,
                                     "period": "month", "owner": "ann"})
        with self.assertRpcError(-32602, param="metric"):
            self.c.call("goal.set", {"name": "x", "metric": "happiness", "target": 1,
                                     "period": "month"})
        self.assertEqual([x["name"] for x in self.c.call("goal.list")], ["ann-monthly"])

    def test_goal_events_once_per_move(self):
        events = Events(self, self.server, channels=("goal.*",))
        cust = self.c.call("customer.create", {"name": "G", "owner": "ann"})["id"]
        # A month's revenue target no order has reached yet, early enough in
        # any month to be at risk (nothing sold so far), and an at-most goal.
        self.c.call("goal.set", {"name": "rev", "metric": "revenue", "target": 100,
                                 "period": "month", "owner": "ann"})
        first = events.until(lambda e: e["channel"].startswith("goal."))[-1]
        self.assertEqual((first["channel"], first["data"]["goal"]["name"]),
                         ("goal.at_risk", "rev"))
        self.c.call("order.create", {"customer_id": cust, "amount": 60})
        self.c.call("order.create", {"customer_id": cust, "amount": 50})
        done = events.until(lambda e: e["channel"] == "goal.achieved")[-1]
        self.assertEqual(done["data"]["goal"]["actual"], 110)
        # More orders: achieved is not announced again.
        self.c.call("order.create", {"customer_id": cust, "amount": 5})
        self.c.call("goal.set", {"name": "cap", "metric": "orders", "target": 2,
                                 "direction": "at_most", "period": "month", "owner": "ann"})
        seen = events.until(lambda e: e["data"]["goal"]["name"] == "cap")
        self.assertEqual(seen[-1]["channel"], "goal.missed")   # 3 orders > 2 already
        self.assertEqual([e["channel"] for e in seen if e["data"]["goal"]["name"] == "rev"], [])
        self.assertEqual([g["status"] for g in self.c.call("goal.list")], ["missed", "achieved"])

    def test_service_and_satisfaction_are_the_methods_as_tables(self):
        cid = self.c.call("customer.create", {"name": "T"})["id"]
        t = self.c.call("ticket.create", {"customer_id": cid, "kind": "request",
                                          "subject": "help"})
        self.c.call("ticket.accept", {"id": t["id"]})
        self.c.call("ticket.resolve", {"id": t["id"], "resolution": "done"})
        now = datetime.datetime.now(datetime.timezone.utc)
        span = {"from": (now - datetime.timedelta(days=2)).strftime("%Y-%m-%dT00:00:00Z"),
                "to": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")}
        rows, _ = self.run_report("service", interval="day", **span)
        direct = self.c.call("ticket.metrics", dict(span, interval="day"))
        direct_rows = direct["rows"] if isinstance(direct, dict) else direct
        self.assertEqual(rows, direct_rows)
        self.assertEqual(sum(r["opened"] for r in rows), 1)
        with self.assertRpcError(-32602, param="survey"):
            self.run_report("satisfaction", **span)
        # A CSAT survey answered 5, 4 and 2 on a 1-5 scale: 2 of 3 in the top two.
        self.c.call("survey.create", {"name": "svc", "title": "Service", "kind": "csat",
                                      "questions": [{"key": "overall", "text": "How was it?",
                                                     "type": "rating", "overall": True,
                                                     "required": True}]})
        self.c.call("survey.activate", {"name": "svc"})
        for score in (5, 4, 2):
            who = self.c.call("customer.create", {"name": "R%d" % score})["id"]
            self.c.call("survey.respond", {"survey": "svc", "customer_id": who,
                                           "answers": {"overall": score}})
        rows, _ = self.run_report("satisfaction", survey="svc", interval="day", **span)
        trend = self.c.call("survey.results", dict(span, survey="svc", interval="day"))["trend"]
        self.assertEqual(rows, trend)
        self.assertEqual(sum(r["n"] for r in rows), 3)
        today = [r for r in rows if r["n"]][0]
        self.assertAlmostEqual(today["csat_pct"], 100 * 2 / 3, places=1)

    def test_kith_report_fits_80_columns(self):
        self.populate(n=20, seed=5)
        env = dict(os.environ, LC_ALL="C", KITH_PORT=str(self.server.port), COLUMNS="80")
        span = ["--from", FROM.isoformat() + "T00:00:00Z", "--to", TO.isoformat() + "T00:00:00Z"]
        for args in (["customers"], ["revenue", "--interval", "month", "--group-by", "owner"],
                     ["retention"], ["owner_scorecard"]):
            p = subprocess.run([KITH, "report"] + args + span, capture_output=True, timeout=60,
                               env=env)
            out = p.stdout.decode()
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            self.assertLessEqual(max(len(line) for line in out.splitlines()), 80, out)
            self.assertIn("|#", out)                  # the chart of the headline column
        p = subprocess.run([KITH, "report", "customers", "--csv"] + span, capture_output=True,
                           timeout=60, env=env)
        self.assertTrue(p.stdout.decode().startswith("period,new,active,returning,retained,"))

    def test_list_and_bad_arguments(self):
        reports = {r["name"]: r for r in self.c.call("report.list")}
        for name in ("customers", "retention", "funnel", "revenue", "loyalty", "service",
                     "satisfaction", "owner_scorecard"):
            self.assertTrue(reports[name]["formula"])
        with self.assertRpcError(-32602, param="name"):
            self.c.call("report.run", {"name": "nope"})
        with self.assertRpcError(-32602, param="interval"):
            self.c.call("report.run", {"name": "customers", "interval": "day"})
        with self.assertRpcError(-32602, param="group_by"):
            self.c.call("report.run", {"name": "revenue", "group_by": "colour"})
        with self.assertRpcError(-32602, param="to"):
            self.c.call("report.run", {"name": "revenue", "from": "2026-01-02T00:00:00Z",
                                       "to": "2026-01-01T00:00:00Z"})


if __name__ == "__main__":
    main()
