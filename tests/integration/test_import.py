"""customer.import, order.import, identities and upsert, over the socket.

What users rely on: a bad record is reported with its index and the rest are
written (per-record mode), or nothing is written (atomic; dry_run); records
match stored customers by external_id, identity, email or phone in that
order, and on_match decides what a match does; every written record emits
its own event with import: true, plus one summary event; an imported order
updates the stats like order.create; customer.update with external_id alone
is an upsert; an identity belongs to one customer and finds it.
"""

from kithtest import KithTestCase, RpcError, main
from rulestest import Events


class ImportTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def count(self):
        return self.c.call("system.info")["customers"]

    def test_per_record_errors_keep_the_good_records(self):
        r = self.c.call("customer.import", {"records": [
            {"name": "Ann", "external_id": "a1", "email": "ann@example.com"},
            {"name": "Bad", "email": "not-an-email"},
            {"external_id": "a3"},                      # a new customer needs a name
            {"name": "Cy", "colour": "red"},            # unknown field
            "not an object",
            {"name": "Dee", "phone": "+4915100000"},
        ]})
        self.assertEqual((r["created"], r["updated"], r["skipped"]), (2, 0, 0))
        self.assertEqual([e["index"] for e in r["errors"]], [1, 2, 3, 4])
        self.assertEqual(r["errors"][0]["param"], "email")
        self.assertEqual(r["errors"][0]["code"], -32602)
        self.assertEqual(r["errors"][0]["kind"], "invalid_params")
        self.assertEqual(r["errors"][2]["param"], "colour")
        self.assertIsNone(r["ids"][1])
        self.assertEqual(self.count(), 2)
        ann = self.c.call("customer.get", {"id": r["ids"][0]})
        self.assertEqual(ann["email"], "ann@example.com")

    def test_atomic_and_dry_run_write_nothing(self):
        events = Events(self, self.server)
        recs = [{"name": "One", "external_id": "x1"}, {"name": "Two", "email": "bad"}]
        with self.assertRpcError(-32602, param="email") as h:
            self.c.call("customer.import", {"records": recs, "atomic": True})
        self.assertEqual(h.error.data["index"], 1)
        self.assertEqual(self.count(), 0)
        r = self.c.call("customer.import", {"records": recs, "dry_run": True})
        self.assertEqual(r["created"], 1)
        self.assertTrue(r["dry_run"])
        self.assertEqual([e["index"] for e in r["errors"]], [1])
        self.assertEqual(self.count(), 0)
        # A dry run sees its own earlier records: the second x1 is an update.
        r = self.c.call("customer.import", {"dry_run": True, "records": [
            {"name": "One", "external_id": "x1"}, {"name": "Uno", "external_id": "x1"}]})
        self.assertEqual((r["created"], r["updated"]), (1, 1))
        self.assertEqual(self.count(), 0)
        # Nothing was published by the failed or dry calls: the next event is
        # this marker's.
        self.c.call("customer.create", {"name": "Marker"})
        ev = events.next()
        self.assertEqual(ev["channel"], "customer.created")
        self.assertEqual(ev["data"]["customer"]["name"], "Marker")

    def test_matching_and_on_match(self):
        base = self.c.call("customer.import", {"records": [
            {"name": "Ann", "external_id": "a1"},
            {"name": "Bob", "email": "bob@example.com"},
            {"name": "Cat", "phone": "+44 20 7946 0000", "identities": [{"source": "pos", "key": "77"}]},
        ]})
        a, b, cat = base["ids"]
        r = self.c.call("customer.import", {"records": [
            {"name": "Ann B", "external_id": "a1"},
            {"email": "bob@example.com", "owner": "zoe"},
            {"phone": "+44 20 7946 0000", "tags": ["vip"]},
            {"identities": [{"source": "pos", "key": "77"}], "stage": "active"},
            {"name": "Ann B", "external_id": "a1"},  # matches, changes nothing: skipped
        ]})
        self.assertEqual(r["ids"], [a, b, cat, cat, a])
        self.assertEqual((r["created"], r["updated"], r["skipped"]), (0, 4, 1))
        self.assertEqual(self.c.call("customer.get", {"id": a})["name"], "Ann B")
        self.assertEqual(self.c.call("customer.get", {"id": b})["owner"], "zoe")
        got = self.c.call("customer.get", {"source": "pos", "key": "77"})
        self.assertEqual((got["id"], got["stage"], got["tags"]), (cat, "active", ["vip"]))
        # match_on narrows the keys: by email only, a1 is not found, so a new customer.
        r = self.c.call("customer.import", {"match_on": ["email"],
                                            "records": [{"name": "Ann C", "external_id": "a9"}]})
        self.assertEqual(r["created"], 1)
        r = self.c.call("customer.import", {"on_match": "skip",
                                            "records": [{"name": "Nope", "external_id": "a1"}]})
        self.assertEqual((r["skipped"], r["ids"]), (1, [a]))
        self.assertEqual(self.c.call("customer.get", {"id": a})["name"], "Ann B")
        r = self.c.call("customer.import", {"on_match": "error",
                                            "records": [{"name": "Nope", "external_id": "a1"}]})
        self.assertEqual(r["errors"][0]["code"], -32009)
        with self.assertRpcError(-32602, param="match_on"):
            self.c.call("customer.import", {"match_on": ["fax"], "records": []})
        with self.assertRpcError(-32602, param="records"):
            self.c.call("customer.import", {"records": [{"name": "x"}] * 1001})

    def test_events_carry_import_and_one_summary(self):
        events = Events(self, self.server)
        self.c.call("customer.import", {"source": "shop", "records": [
            {"name": "Ann", "external_id": "a1"}, {"name": "Bob", "external_id": "b1"}]})
        evs = events.until(lambda e: e["channel"] == "customer.imported")
        created = [e for e in evs if e["channel"] == "customer.created"]
        self.assertEqual(len(created), 2)
        self.assertTrue(all(e["data"]["import"] is True for e in created))
        summary = evs[-1]["data"]
        self.assertEqual((summary["source"], summary["created"], summary["updated"]), ("shop", 2, 0))
        self.c.call("customer.create", {"name": "Live"})
        live = events.until(lambda e: e["channel"] == "customer.created")[-1]
        self.assertNotIn("import", live["data"])

    def test_order_import_updates_stats_and_skips_known_orders(self):
        ids = self.c.call("customer.import", {"records": [
            {"name": "Ann", "external_id": "a1", "email": "ann@example.com"},
            {"name": "Bob", "external_id": "b1"}]})["ids"]
        self.c.call("identity.add", {"customer_id": ids[1], "source": "shop", "key": "B-1"})
        orders = [
            {"customer_external_id": "a1", "amount": 10.5, "at": "1997-01-01T00:00:00.000Z", "external_id": "o1"},
            {"customer_email": "ann@example.com", "amount": 4.25, "at": "1997-03-01T00:00:00.000Z", "external_id": "o2"},
            {"customer_identity": {"source": "shop", "key": "B-1"}, "amount": 7, "external_id": "o3"},
            {"customer_external_id": "nobody", "amount": 1},
            {"customer_id": ids[0], "amount": 1.001},
            {"customer_id": ids[0], "customer_external_id": "a1", "amount": 1},
        ]
        r = self.c.call("order.import", {"records": orders})
        self.assertEqual(r["created"], 3)
        self.assertEqual([e["index"] for e in r["errors"]], [3, 4, 5])
        self.assertEqual(r["errors"][0]["code"], -32004)
        self.assertEqual(r["errors"][1]["param"], "amount")
        ann = self.c.call("customer.get", {"id": ids[0]})["stats"]
        self.assertEqual((ann["orders"], ann["total_spent"]), (2, 14.75))
        self.assertTrue(ann["first_order_at"].startswith("1997-01-01"))
        # Importing the same file again adds nothing.
        r = self.c.call("order.import", {"records": orders[:3]})
        self.assertEqual((r["created"], r["skipped"]), (0, 3))
        self.assertEqual(self.c.call("customer.get", {"id": ids[0]})["stats"]["orders"], 2)
        with self.assertRpcError(-32602, param="on_match"):
            self.c.call("order.import", {"on_match": "update", "records": []})
        page = self.c.call("order.search", {"limit": 2})
        self.assertEqual([o["customer_external_id"] for o in page["items"]], ["a1", "a1"])
        rest = self.c.call("order.search", {"limit": 2, "cursor": page["next_cursor"]})
        self.assertEqual([o["external_id"] for o in rest["items"]], ["o3"])
        self.assertIsNone(rest["next_cursor"])

    def test_upsert_by_external_id(self):
        a = self.c.call("customer.update", {"external_id": "u1", "name": "Una"})
        self.assertEqual(a["name"], "Una")
        b = self.c.call("customer.update", {"external_id": "u1", "stage": "active"})
        self.assertEqual((b["id"], b["name"], b["stage"]), (a["id"], "Una", "active"))
        with self.assertRpcError(-32602, param="name"):
            self.c.call("customer.update", {"external_id": "u2", "stage": "active"})
        self.assertEqual(self.count(), 1)

    def test_identities(self):
        a = self.c.call("customer.create", {"name": "Ann"})["id"]
        b = self.c.call("customer.create", {"name": "Bob"})["id"]
        self.c.call("identity.add", {"customer_id": a, "source": "wechat", "key": "oX1"})
        self.c.call("identity.add", {"customer_id": a, "source": "wechat", "key": "oX1"})  # again: fine
        with self.assertRpcError(-32009):
            self.c.call("identity.add", {"customer_id": b, "source": "wechat", "key": "oX1"})
        items = self.c.call("identity.list", {"customer_id": a})
        self.assertEqual([(i["source"], i["key"]) for i in items], [("wechat", "oX1")])
        self.assertEqual(self.c.call("customer.get", {"source": "wechat", "key": "oX1"})["id"], a)
        with self.assertRpcError(-32602):
            self.c.call("customer.get", {"source": "wechat"})
        self.c.call("identity.remove", {"customer_id": a, "source": "wechat", "key": "oX1"})
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"source": "wechat", "key": "oX1"})
        with self.assertRpcError(-32004):
            self.c.call("identity.remove", {"customer_id": a, "source": "wechat", "key": "oX1"})
        # An import that would give a's identity to another customer fails that record.
        self.c.call("identity.add", {"customer_id": a, "source": "pos", "key": "9"})
        r = self.c.call("customer.import", {"match_on": ["external_id"], "records": [
            {"name": "Cy", "identities": [{"source": "pos", "key": "9"}]}]})
        self.assertEqual(r["errors"][0]["code"], -32009)
        self.assertEqual(self.count(), 2)


if __name__ == "__main__":
    main()
