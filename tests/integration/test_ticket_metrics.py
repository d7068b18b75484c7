"""ticket.metrics over the socket: order.create records order.created on the
order's own day, inside the order's request (a refused order counts
nothing), which complaints_per_100_orders reads back (0 with no complaints,
null with no orders); a viewer may read it; param errors name their param.
And the whole chain: tickets worked through the real methods record the
rollups ticket.metrics reads, so its numbers match the walk (opened,
resolved, closed, rejected, reopened, backlog, FCR, reopen rate, CSAT,
complaints per 100 orders, per team)."""

import datetime

from kithtest import KithTestCase, main

RANGE = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-16T00:00:00Z"}


class TicketMetricsTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(tokens=[("agent", "ann"), ("viewer", "vic")])
        self.agent = self.connect(self.server, token=self.server.tokens["ann"])
        self.viewer = self.connect(self.server, token=self.server.tokens["vic"])
        self.cust = self.agent.call("customer.create", {"name": "Buyer"})

    def order(self, at, **extra):
        return self.agent.call("order.create", dict(customer_id=self.cust["id"], amount=10,
                                                    at=at, **extra))

    def test_orders_count_per_day(self):
        self.order("2026-03-02T10:00:00Z", external_id="A-1")
        self.order("2026-03-03T23:59:59+01:00")  # 22:59 UTC on the 3rd: week 1
        self.order("2026-03-10T08:00:00Z")
        # A refused order (its external_id exists) rolls its count back too.
        with self.assertRpcError(-32009):
            self.order("2026-03-10T09:00:00Z", external_id="A-1")

        total = self.viewer.call("ticket.metrics", RANGE)
        self.assertEqual((total["interval"], total["group_by"]), (None, None))
        self.assertEqual(len(total["rows"]), 1, total)
        row = total["rows"][0]
        self.assertEqual(row["opened"], 0)
        self.assertEqual(row["complaints_per_100_orders"], 0, row)  # orders, no complaints
        self.assertIsNone(row["csat"])
        self.assertIsNone(row["reopen_pct"])

        weeks = self.viewer.call("ticket.metrics", dict(RANGE, interval="week"))["rows"]
        self.assertEqual([r["period"] for r in weeks], ["2026-02-23", "2026-03-02", "2026-03-09"])
        # The week of 2026-02-23 holds only March 1 of the range: no orders.
        self.assertEqual([r["complaints_per_100_orders"] for r in weeks], [None, 0, 0])

        # Kinds with no tickets: no rows (and no complaint row to carry the rate).
        self.assertEqual(self.viewer.call("ticket.metrics", dict(RANGE, group_by="kind"))["rows"],
                         [])

    def test_worked_tickets_are_counted(self):
        a, v = self.agent, self.viewer
        cid = self.cust["id"]
        a.call("order.create", {"customer_id": cid, "amount": 10})
        a.call("order.create", {"customer_id": cid, "amount": 20})
        # A: a complaint resolved at first contact, told, closed with a 4.
        ta = a.call("ticket.create", {"customer_id": cid, "kind": "complaint", "subject": "late",
                                      "team": "support"})["id"]
        a.call("ticket.resolve", {"id": ta, "resolution": "sent again", "root_cause": "courier",
                                  "category": "delivery"})
        a.call("ticket.notify", {"id": ta, "channel": "email"})
        a.call("ticket.close", {"id": ta, "satisfaction": 4})
        # B: a request accepted, resolved, reopened, resolved again.
        tb = a.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "invoice",
                                      "team": "billing"})["id"]
        a.call("ticket.accept", {"id": tb})
        a.call("ticket.resolve", {"id": tb, "resolution": "sent"})
        a.call("ticket.reopen", {"id": tb, "reason": "wrong address"})
        a.call("ticket.resolve", {"id": tb, "resolution": "sent again"})
        # C: rejected; D: still open.
        tc = a.call("ticket.create", {"customer_id": cid, "kind": "inquiry", "subject": "spam?",
                                      "team": "support"})["id"]
        a.call("ticket.reject", {"id": tc, "reason": "spam"})
        a.call("ticket.create", {"customer_id": cid, "kind": "inquiry", "subject": "hours?",
                                 "team": "support"})
        # A refused transition records nothing.
        with self.assertRpcError(-32009):
            a.call("ticket.accept", {"id": tc})

        today = datetime.datetime.now(datetime.timezone.utc).date()
        rng = {"from": "%sT00:00:00Z" % today,
               "to": "%sT00:00:00Z" % (today + datetime.timedelta(days=1))}
        row = v.call("ticket.metrics", rng)["rows"][0]
        got = {k: row[k] for k in ("opened", "resolved", "closed", "rejected", "reopened",
                                   "backlog", "fcr_pct", "csat", "complaints_per_100_orders")}
        self.assertEqual(got, {"opened": 4, "resolved": 3, "closed": 1, "rejected": 1,
                               "reopened": 1, "backlog": 1, "fcr_pct": 50, "csat": 4,
                               "complaints_per_100_orders": 50})
        self.assertEqual(row["reopen_pct"], 33.33)  # one of three resolves, two decimals
        self.assertIsNotNone(row["resolve_p50_s"])
        teams = {r["group"]: r for r in v.call("ticket.metrics",
                                               dict(rng, group_by="team"))["rows"]}
        self.assertEqual(sorted(teams), ["billing", "support"])
        self.assertEqual((teams["support"]["opened"], teams["support"]["backlog"]), (3, 1))
        self.assertEqual((teams["billing"]["resolved"], teams["billing"]["reopened"]), (2, 1))

    def test_params(self):
        for params, param in [(dict(RANGE, interval="year"), "interval"),
                              (dict(RANGE, group_by="colour"), "group_by"),
                              ({"from": RANGE["to"], "to": RANGE["from"]}, "to"),
                              ({"from": "2000-01-01T00:00:00Z", "to": RANGE["to"]}, "to"),
                              ({"to": RANGE["to"]}, "from")]:
            with self.subTest(params=params):
                with self.assertRpcError(-32602, param=param):
                    self.viewer.call("ticket.metrics", params)
        methods = {m["name"]: m for m in self.viewer.call("rpc.discover")["methods"]}
        self.assertIn("ticket.metrics", methods)


if __name__ == "__main__":
    main()
