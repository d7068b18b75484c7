"""Duplicates and data quality through the socket with the shipped rules:
a written customer is scored against those sharing a blocking key, the pair
is listed with its reasons, dismissing it is for good, a reload that changes
the rule re-scans the backlog; data.quality counts what is missing, invalid,
stale and duplicated."""

import os

from kithtest import KithTestCase, main

SOURCE = os.environ.get("KITH_SOURCE_DIR", ".")


def shipped():
    return ("--scripts", os.path.join(SOURCE, "scripts"),
            "--plugins", os.path.join(SOURCE, "plugins"), "--watch-scripts", "0")


class DuplicatesTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(*shipped())
        self.c = self.connect(self.server)

    def dups(self, **p):
        return self.c.call("customer.duplicates", p)["items"]

    def test_pair_found_listed_and_dismissed(self):
        a = self.c.call("customer.create", {"name": "Li Lei", "phone": "138 0013 8000"})["id"]
        b = self.c.call("customer.create",
                        {"name": "LI LEI", "phone": "+86 １３８ 0013 8000"})["id"]
        got = self.dups(customer_id=b)
        self.assertEqual([(p["a"], p["b"]) for p in got], [(a, b)], got)
        self.assertIn("same phone", got[0]["reasons"])
        self.assertGreaterEqual(got[0]["score"], 0.8)
        self.assertEqual(self.dups(min_score=0.95), [])
        self.c.call("customer.not_duplicate", {"a": a, "b": b})
        self.assertEqual(self.dups(), [])
        self.c.call("customer.update", {"id": b, "email": "x@example.cn"})
        self.assertEqual(self.dups(), [], "a dismissed pair is never reopened")
        with self.assertRpcError(-32602, param="b"):
            self.c.call("customer.not_duplicate", {"a": a, "b": a})
        with self.assertRpcError(-32004):
            self.c.call("customer.not_duplicate", {"a": a, "b": 99999})
        with self.assertRpcError(-32602, param="status"):
            self.dups(status="maybe")

    def test_deleting_a_customer_drops_its_open_pairs(self):
        a = self.c.call("customer.create", {"name": "Ann", "email": "ann@x.example"})["id"]
        self.c.call("customer.create", {"name": "Ann", "email": "ANN@x.example"})
        self.assertEqual(len(self.dups()), 1)
        self.c.call("customer.delete", {"id": a})
        self.assertEqual(self.dups(), [])

    def test_quality_report(self):
        self.c.call("customer.create", {"name": "A", "email": "a@x.example", "owner": "olga"})
        self.c.call("customer.create", {"name": "A", "email": "A@x.example"})
        self.c.call("customer.create", {"name": "B", "phone": "call me"})
        q = self.c.call("data.quality")
        self.assertEqual(q["customers"], 3, q)
        self.assertAlmostEqual(q["completeness"]["email"], 66.7, places=1)
        self.assertAlmostEqual(q["completeness"]["owner"], 33.3, places=1)
        self.assertEqual(q["invalid"], {"email": 0, "phone": 1}, q)
        self.assertEqual(q["duplicates_open"], 1, q)
        self.assertEqual(q["stale"], 0, q)
        self.assertEqual(q["never_contacted"], 3, q)


if __name__ == "__main__":
    main()
