"""interaction.log/list and order.create/list, and the customer stats they
feed (customer.get's "stats")."""

from decimal import Decimal

from kithtest import KithTestCase, main, walk_list

TYPES = ["call", "email", "visit", "meeting", "note", "complaint", "sms", "chat", "social"]


class InteractionTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)
        self.cust = self.c.call("customer.create", {"name": "Talker"})

    def log(self, **params):
        params.setdefault("customer_id", self.cust["id"])
        return self.c.call("interaction.log", params)

    def test_log_shape(self):
        it = self.log(type="call", summary="Discussed renewal", at="2026-01-02T03:04:05+02:00",
                      by="alice", attrs={"minutes": 12})
        for k in ["id", "customer_id", "type", "summary", "at", "by", "attrs", "created_at"]:
            self.assertIn(k, it, it)
        self.assertEqual((it["customer_id"], it["type"], it["summary"], it["by"], it["attrs"]),
                         (self.cust["id"], "call", "Discussed renewal", "alice", {"minutes": 12}))
        self.assertEqual(it["at"], "2026-01-02T01:04:05.000Z", "offsets are converted to UTC")
        self.assertTime(it["created_at"])
        self.assertIsInstance(it["id"], int)

    def test_at_defaults_to_now(self):
        it = self.log(type="note", summary="now")
        self.assertTime(it["at"])
        # `by` defaults to who is calling (the token's name, or the server's
        # name for a trusted local connection) or to null.
        self.assertTrue(it["by"] is None or isinstance(it["by"], str), it)
        self.assertEqual(it["attrs"], {})

    def test_time_formats(self):
        cases = {"2026-03-04T05:06:07Z": "2026-03-04T05:06:07.000Z",
                 "2026-03-04T05:06:07.250Z": "2026-03-04T05:06:07.250Z",
                 "2026-03-04T05:06:07.250-05:30": "2026-03-04T10:36:07.250Z",
                 "2026-01-01T00:30:00+01:00": "2025-12-31T23:30:00.000Z"}
        for given, want in cases.items():
            with self.subTest(at=given):
                self.assertEqual(self.log(type="note", summary="t", at=given)["at"], want)
        for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", 12345]:
            with self.subTest(bad=bad):
                with self.assertRpcError(-32602, param="at"):
                    self.log(type="note", summary="t", at=bad)

    def test_every_contract_type_is_accepted(self):
        for t in TYPES:
            self.assertEqual(self.log(type=t, summary=t)["type"], t)

    def test_bad_type(self):
        for bad in ["fax", "", "CALL", 3]:
            with self.subTest(type=bad):
                with self.assertRpcError(-32602, param="type"):
                    self.log(type=bad, summary="x")
        self.assertEqual(self.c.call("interaction.list", {"customer_id": self.cust["id"]})["items"], [],
                         "failed logs change nothing")

    def test_unknown_customer(self):
        with self.assertRpcError(-32004):
            self.log(customer_id=999999, type="call", summary="x")

    def test_list_newest_first_then_by_id(self):
        a = self.log(type="call", summary="a", at="2026-01-05T00:00:00Z")
        b = self.log(type="email", summary="b", at="2026-01-01T00:00:00Z")
        c = self.log(type="call", summary="c", at="2026-01-09T00:00:00Z")
        d = self.log(type="call", summary="d", at="2026-01-05T00:00:00Z")  # same at as a
        page = self.c.call("interaction.list", {"customer_id": self.cust["id"]})
        self.assertEqual(set(page), {"items", "next_cursor"})
        self.assertEqual([x["summary"] for x in page["items"]], ["c", "d", "a", "b"],
                         "newest first by at, then by id (descending)")
        self.assertEqual(page["items"][1], d)
        self.assertIsNone(page["next_cursor"])
        calls = self.c.call("interaction.list", {"customer_id": self.cust["id"], "type": "call"})
        self.assertEqual([x["id"] for x in calls["items"]], [c["id"], d["id"], a["id"]])
        with self.assertRpcError(-32602, param="type"):
            self.c.call("interaction.list", {"customer_id": self.cust["id"], "type": "fax"})
        with self.assertRpcError(-32602, param="customer_id"):
            self.c.call("interaction.list", {})

    def test_list_pagination(self):
        made = self.c.call_many([("interaction.log", {"customer_id": self.cust["id"], "type": "note",
                                                      "summary": "n%d" % i,
                                                      "at": "2026-02-%02dT12:00:00Z" % (1 + i % 5)})
                                 for i in range(17)])
        for m in made:
            self.assertIsInstance(m, dict, m)
        items, _ = walk_list(self.c, "interaction.list", {"customer_id": self.cust["id"]}, limit=4)
        want = sorted(made, key=lambda x: (x["at"], x["id"]), reverse=True)
        self.assertEqual([x["id"] for x in items], [x["id"] for x in want])
        other = self.c.call("customer.create", {"name": "Other"})
        self.assertEqual(self.c.call("interaction.list", {"customer_id": other["id"]})["items"], [])

    def test_stats_count_interactions_and_complaints(self):
        for t in ["call", "complaint", "note", "complaint"]:
            self.log(type=t, summary=t)
        stats = self.c.call("customer.get", {"id": self.cust["id"]})["stats"]
        self.assertEqual((stats["interactions"], stats["complaints"]), (4, 2))


class OrderTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)
        self.cust = self.c.call("customer.create", {"name": "Buyer"})

    def order(self, **params):
        params.setdefault("customer_id", self.cust["id"])
        return self.c.call("order.create", params)

    def stats(self, cust=None):
        return self.c.call("customer.get", {"id": (cust or self.cust)["id"]})["stats"]

    def test_create_shape_and_defaults(self):
        o = self.order(amount=12.34)
        for k in ["id", "customer_id", "amount", "currency", "items", "at", "external_id", "created_at"]:
            self.assertIn(k, o, o)
        self.assertEqual((o["customer_id"], o["amount"], o["currency"], o["items"], o["external_id"]),
                         (self.cust["id"], 12.34, "USD", [], None))
        self.assertTime(o["at"])
        self.assertTime(o["created_at"])

    def test_create_full(self):
        items = [{"sku": "A-1", "qty": 2, "price": 5.5}, {"sku": "B", "qty": 1}]
        o = self.order(amount=16, currency="EUR", items=items, at="2026-01-02T03:04:05+02:00",
                       external_id="ord-1")
        self.assertEqual((o["amount"], o["currency"], o["items"], o["at"], o["external_id"]),
                         (16, "EUR", items, "2026-01-02T01:04:05.000Z", "ord-1"))
        listed = self.c.call("order.list", {"customer_id": self.cust["id"]})["items"]
        self.assertEqual(listed, [o], "order.list returns what order.create returned")

    def test_amounts(self):
        for amount in [0, 0.01, 1, 19.99, 1234567.89, 100.1]:
            with self.subTest(amount=amount):
                self.assertEqual(self.order(amount=amount)["amount"], amount)
        for bad in [-0.01, -5, 1.234, 0.001, "12.00", None, True, [1]]:
            with self.subTest(bad=bad):
                with self.assertRpcError(-32602, param="amount"):
                    self.order(amount=bad)
        self.assertEqual(self.stats()["orders"], 6, "rejected orders change nothing")

    def test_unknown_customer(self):
        with self.assertRpcError(-32004):
            self.order(customer_id=424242, amount=1)
        with self.assertRpcError(-32602, param="customer_id"):
            self.order(customer_id="abc", amount=1)

    def test_list_newest_first(self):
        a = self.order(amount=1, at="2026-03-01T00:00:00Z")
        b = self.order(amount=2, at="2026-04-01T00:00:00Z")
        c = self.order(amount=3, at="2026-02-01T00:00:00Z")
        d = self.order(amount=4, at="2026-03-01T00:00:00Z")
        page = self.c.call("order.list", {"customer_id": self.cust["id"]})
        self.assertEqual([x["id"] for x in page["items"]], [b["id"], d["id"], a["id"], c["id"]])
        self.assertIsNone(page["next_cursor"])
        with self.assertRpcError(-32602, param="customer_id"):
            self.c.call("order.list", {})

    def test_list_pagination(self):
        made = self.c.call_many([("order.create", {"customer_id": self.cust["id"], "amount": i,
                                                   "at": "2026-05-%02dT08:00:00Z" % (1 + i % 7)})
                                 for i in range(31)])
        for m in made:
            self.assertIsInstance(m, dict, m)
        for limit in [1, 6, 31, 1000]:
            with self.subTest(limit=limit):
                items, _ = walk_list(self.c, "order.list", {"customer_id": self.cust["id"]}, limit=limit)
                want = sorted(made, key=lambda x: (x["at"], x["id"]), reverse=True)
                self.assertEqual([x["id"] for x in items], [x["id"] for x in want])
        with self.assertRpcError(-32602, param="limit"):
            self.c.call("order.list", {"customer_id": self.cust["id"], "limit": 1001})

    def test_total_spent_is_exact_to_the_cent(self):
        for _ in range(3):
            self.order(amount=0.1)
        s = self.stats()
        self.assertEqual(s["orders"], 3)
        self.assertEqual(s["total_spent"], 0.3, "3 x 0.1 is exactly 0.3")
        other = self.c.call("customer.create", {"name": "Many"})
        amounts = [19.99] * 7 + [0.01] * 13 + [1234.56, 0.07]
        res = self.c.call_many([("order.create", {"customer_id": other["id"], "amount": a})
                                for a in amounts])
        for r in res:
            self.assertIsInstance(r, dict, r)
        want = sum(Decimal(str(a)) for a in amounts)
        got = self.stats(other)["total_spent"]
        self.assertEqual(Decimal(str(got)), want, "total_spent %r, expected %s" % (got, want))

    def test_first_last_and_average_days(self):
        self.assertIsNone(self.stats()["avg_days_between_orders"])
        self.order(amount=10, at="2026-01-11T00:00:00Z")
        s = self.stats()
        self.assertEqual((s["orders"], s["first_order_at"], s["last_order_at"]),
                         (1, "2026-01-11T00:00:00.000Z", "2026-01-11T00:00:00.000Z"))
        self.assertIsNone(s["avg_days_between_orders"], "needs at least two orders")
        self.order(amount=20, at="2026-01-31T00:00:00Z")
        self.order(amount=30, at="2026-01-01T00:00:00Z")  # out of order on purpose
        s = self.stats()
        self.assertEqual(s["orders"], 3)
        self.assertEqual(s["total_spent"], 60)
        self.assertEqual(s["first_order_at"], "2026-01-01T00:00:00.000Z")
        self.assertEqual(s["last_order_at"], "2026-01-31T00:00:00.000Z")
        self.assertAlmostEqual(s["avg_days_between_orders"], 15.0, places=6)

    def test_stats_are_per_customer(self):
        other = self.c.call("customer.create", {"name": "Other"})
        self.order(amount=5)
        self.order(customer_id=other["id"], amount=7)
        self.c.call("interaction.log", {"customer_id": other["id"], "type": "complaint", "summary": "x"})
        s1, s2 = self.stats(), self.stats(other)
        self.assertEqual((s1["orders"], s1["total_spent"], s1["interactions"], s1["complaints"]), (1, 5, 0, 0))
        self.assertEqual((s2["orders"], s2["total_spent"], s2["interactions"], s2["complaints"]), (1, 7, 1, 1))


if __name__ == "__main__":
    main()
