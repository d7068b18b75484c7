"""customer.create/get/update/delete/list: shapes, lookups, attrs merging,
filters, and stable pagination."""

import time

from kithtest import KithTestCase, RpcError, main, walk_list

CUSTOMER_KEYS = {"id", "name", "email", "phone", "company", "external_id", "tags", "owner",
                 "stage", "attrs", "created_at", "updated_at"}
STATS_KEYS = {"orders", "total_spent", "first_order_at", "last_order_at",
              "avg_days_between_orders", "interactions", "complaints"}


class CustomerCrudTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def assertCustomerShape(self, cust):
        self.assertIsInstance(cust, dict, cust)
        missing = CUSTOMER_KEYS - set(cust)
        self.assertEqual(missing, set(), "customer lacks keys; customer: %r" % (cust,))
        self.assertIsInstance(cust["id"], int, cust)
        self.assertTime(cust["created_at"], "created_at")
        self.assertTime(cust["updated_at"], "updated_at")

    def test_create_minimal(self):
        cust = self.c.call("customer.create", {"name": "Ada"})
        self.assertCustomerShape(cust)
        expected = {"name": "Ada", "email": None, "phone": None, "company": None,
                    "external_id": None, "tags": [], "owner": None, "stage": "prospect",
                    "attrs": {}}
        self.assertEqual({k: cust[k] for k in expected}, expected)
        self.assertGreaterEqual(cust["id"], 1)

    def test_create_full_and_get_by_each_key(self):
        params = {"name": "Grace Hopper", "email": "grace@navy.example", "phone": "+1 555 0100",
                  "company": "US Navy", "external_id": "crm-77", "tags": ["vip", "admiral"],
                  "owner": "alice", "attrs": {"plan": "gold", "seats": 5, "nested": {"a": [1, None]}}}
        cust = self.c.call("customer.create", params)
        self.assertCustomerShape(cust)
        for k, v in params.items():
            self.assertEqual(cust[k], v, "field %s" % k)
        for key in [{"id": cust["id"]}, {"external_id": "crm-77"}, {"email": "grace@navy.example"}]:
            with self.subTest(key=key):
                got = self.c.call("customer.get", key)
                self.assertEqual({k: got[k] for k in CUSTOMER_KEYS},
                                 {k: cust[k] for k in CUSTOMER_KEYS})

    def test_get_adds_stats(self):
        cust = self.c.call("customer.create", {"name": "Stats"})
        got = self.c.call("customer.get", {"id": cust["id"]})
        self.assertIn("stats", got, got)
        want = {"orders": 0, "total_spent": 0, "first_order_at": None, "last_order_at": None,
                "avg_days_between_orders": None, "interactions": 0, "complaints": 0}
        # Names may be added (CONTRACT preamble), so compare the promised ones.
        self.assertEqual({k: got["stats"].get(k, "missing") for k in want}, want,
                         "stats: %r" % (got["stats"],))

    def test_get_needs_a_key(self):
        with self.assertRpcError(-32602):
            self.c.call("customer.get", {})

    def test_ids_increase(self):
        ids = [self.c.call("customer.create", {"name": "N%d" % i})["id"] for i in range(5)]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), 5)

    def test_unicode_round_trips(self):
        name = "Zo\u00eb \u0141\u00f3d\u017a \u65e5\u672c \U0001F600 \"quoted\" \\ back"
        cust = self.c.call("customer.create", {"name": name, "attrs": {"note": "tab\there"}})
        got = self.c.call("customer.get", {"id": cust["id"]})
        self.assertEqual(got["name"], name)
        self.assertEqual(got["attrs"], {"note": "tab\there"})

    def test_nul_characters_are_kept_or_refused_never_truncated(self):
        # "\u0000" is valid JSON; silently cutting the string there would
        # store something other than what the client sent.
        for params, param in [({"name": "a\u0000b"}, "name"),
                              ({"name": "ok", "attrs": {"note": "v\u0000w"}}, "attrs"),
                              ({"name": "ok", "attrs": {"k\u0000x": 1}}, "attrs")]:
            with self.subTest(params=params):
                try:
                    cust = self.c.call("customer.create", params)
                except RpcError as e:
                    # C strings cannot hold U+0000, so kithd refuses the whole
                    # request (it cannot tell which string held it).
                    self.assertEqual(e.code, -32602, e.error)
                    continue
                got = self.c.call("customer.get", {"id": cust["id"]})
                for k, v in params.items():
                    self.assertEqual(got[k], v, "field %s was changed" % k)

    def test_update_merges_attrs_replaces_tags(self):
        cust = self.c.call("customer.create", {"name": "Upd", "tags": ["a", "b"],
                                               "attrs": {"keep": 1, "drop": 2, "change": "x"}})
        time.sleep(0.005)  # so updated_at can differ from created_at (not asserted strictly)
        upd = self.c.call("customer.update", {"id": cust["id"], "tags": ["c"],
                                              "attrs": {"drop": None, "change": "y", "new": True},
                                              "company": "Acme", "owner": "bob"})
        self.assertCustomerShape(upd)
        self.assertEqual(upd["tags"], ["c"], "tags are replaced")
        self.assertEqual(upd["attrs"], {"keep": 1, "change": "y", "new": True},
                         "attrs merge; a key set to null is removed")
        self.assertEqual((upd["company"], upd["owner"], upd["name"]), ("Acme", "bob", "Upd"))
        self.assertEqual(upd["created_at"], cust["created_at"])
        self.assertGreaterEqual(upd["updated_at"], cust["updated_at"])
        got = self.c.call("customer.get", {"id": cust["id"]})
        self.assertEqual({k: got[k] for k in CUSTOMER_KEYS}, {k: upd[k] for k in CUSTOMER_KEYS},
                         "get returns what update returned")

    def test_update_can_clear_a_field_and_change_lookup_keys(self):
        cust = self.c.call("customer.create", {"name": "Keys", "email": "old@example.com",
                                               "external_id": "k-old"})
        self.c.call("customer.update", {"id": cust["id"], "email": "new@example.com",
                                        "external_id": "k-new", "phone": "123"})
        self.assertEqual(self.c.call("customer.get", {"email": "new@example.com"})["id"], cust["id"])
        self.assertEqual(self.c.call("customer.get", {"external_id": "k-new"})["id"], cust["id"])
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"external_id": "k-old"})
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"email": "old@example.com"})
        upd = self.c.call("customer.update", {"id": cust["id"], "phone": None})
        self.assertIsNone(upd["phone"])

    def test_update_rejects_bad_fields(self):
        cust = self.c.call("customer.create", {"name": "Bad"})
        with self.assertRpcError(-32602, param="bogus"):
            self.c.call("customer.update", {"id": cust["id"], "bogus": 1})
        with self.assertRpcError(-32602, param="tags"):
            self.c.call("customer.update", {"id": cust["id"], "tags": {"a": 1}})
        with self.assertRpcError(-32602, param="id"):
            self.c.call("customer.update", {"name": "no id"})
        self.assertEqual(self.c.call("customer.get", {"id": cust["id"]})["name"], "Bad")

    def test_delete(self):
        keep = self.c.call("customer.create", {"name": "Keep"})
        gone = self.c.call("customer.create", {"name": "Gone", "external_id": "gone-1",
                                               "email": "gone@example.com"})
        self.assertEqual(self.c.call("system.info")["customers"], 2)
        self.assertIs(self.c.call("customer.delete", {"id": gone["id"]}).get("deleted"), True)
        for key in [{"id": gone["id"]}, {"external_id": "gone-1"}, {"email": "gone@example.com"}]:
            with self.subTest(key=key):
                with self.assertRpcError(-32004):
                    self.c.call("customer.get", key)
        with self.assertRpcError(-32004):
            self.c.call("customer.update", {"id": gone["id"], "name": "Zombie"})
        with self.assertRpcError(-32004):
            self.c.call("customer.delete", {"id": gone["id"]})
        with self.assertRpcError(-32004):
            self.c.call("order.create", {"customer_id": gone["id"], "amount": 1})
        self.assertEqual([x["id"] for x in self.c.call("customer.list")["items"]], [keep["id"]])
        self.assertEqual(self.c.call("system.info")["customers"], 1,
                         "system.info counts existing customers, not deleted ones")


class CustomerListTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def create_many(self, params_list):
        out = self.c.call_many([("customer.create", p) for p in params_list])
        for r in out:
            self.assertIsInstance(r, dict, "customer.create failed: %r" % (r,))
        return out

    def test_shape_and_order(self):
        made = self.create_many([{"name": "L%02d" % i} for i in range(12)])
        page = self.c.call("customer.list")
        self.assertEqual(set(page), {"items", "next_cursor"}, page)
        self.assertIsNone(page["next_cursor"])
        self.assertEqual([x["id"] for x in page["items"]], sorted(x["id"] for x in made),
                         "customer.list is ordered by id ascending")
        self.assertEqual(page["items"][0]["name"], "L00")

    def test_default_and_max_limit(self):
        made = self.create_many([{"name": "D%03d" % i} for i in range(60)])
        page = self.c.call("customer.list")
        self.assertEqual(len(page["items"]), 50, "default limit is 50")
        self.assertIsInstance(page["next_cursor"], str)
        rest = self.c.call("customer.list", {"cursor": page["next_cursor"]})
        self.assertEqual(len(rest["items"]), 10)
        self.assertIsNone(rest["next_cursor"])
        self.assertEqual([x["id"] for x in page["items"] + rest["items"]], [x["id"] for x in made])
        self.assertEqual(len(self.c.call("customer.list", {"limit": 1000})["items"]), 60)
        with self.assertRpcError(-32602, param="limit"):
            self.c.call("customer.list", {"limit": 1001})
        with self.assertRpcError(-32602, param="limit"):
            self.c.call("customer.list", {"limit": -1})

    def test_limit_1000_with_more_than_1000(self):
        self.c.call_many([("customer.create", {"name": "M%04d" % i}) for i in range(1005)])
        page = self.c.call("customer.list", {"limit": 1000})
        self.assertEqual(len(page["items"]), 1000)
        self.assertIsInstance(page["next_cursor"], str)
        rest = self.c.call("customer.list", {"limit": 1000, "cursor": page["next_cursor"]})
        self.assertEqual(len(rest["items"]), 5)
        self.assertIsNone(rest["next_cursor"])

    def test_bad_cursor(self):
        with self.assertRpcError(-32602, param="cursor"):
            self.c.call("customer.list", {"cursor": "definitely not a cursor"})
        with self.assertRpcError(-32602, param="cursor"):
            self.c.call("customer.list", {"cursor": 17})

    def test_walk_pages_exactly_once(self):
        made = self.create_many([{"name": "W%02d" % i} for i in range(23)])
        for limit in [1, 5, 7, 23, 50]:
            with self.subTest(limit=limit):
                items, pages = walk_list(self.c, "customer.list", limit=limit)
                self.assertEqual([x["id"] for x in items], [x["id"] for x in made])
                self.assertGreaterEqual(pages, (23 + limit - 1) // limit)

    def test_pagination_is_stable_under_writes(self):
        made = self.create_many([{"name": "S%02d" % i} for i in range(30)])
        ids = [x["id"] for x in made]
        deleted = {ids[3], ids[20]}
        seen = []
        cursor = None
        page_no = 0
        while True:
            p = {"limit": 6}
            if cursor:
                p["cursor"] = cursor
            page = self.c.call("customer.list", p)
            seen.extend(x["id"] for x in page["items"])
            page_no += 1
            if page_no == 2:
                # Between pages: delete one already seen and one not yet
                # seen, and add new customers at the end.
                for d in deleted:
                    self.c.call("customer.delete", {"id": d})
                self.create_many([{"name": "S-new-%d" % i} for i in range(3)])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(len(seen), len(set(seen)), "no customer appears twice: %r" % seen)
        self.assertEqual(seen, sorted(seen), "ids ascending across pages")
        survivors = [i for i in ids if i not in deleted]
        self.assertEqual([i for i in seen if i in set(ids) and i not in deleted], survivors,
                         "every customer that existed throughout appears exactly once")
        self.assertNotIn(ids[20], seen, "a customer deleted before its page is not listed")

    def test_filters(self):
        a, b, c, d = self.create_many([
            {"name": "Alice Anders", "email": "alice@acme.example", "company": "Acme",
             "phone": "+44 1234", "tags": ["vip", "eu"], "owner": "olga",
             "attrs": {"plan": "gold", "region": "north"}},
            {"name": "Bob Brown", "email": "bob@beta.example", "company": "Beta Ltd",
             "tags": ["eu"], "owner": "olga", "attrs": {"plan": "silver"}},
            {"name": "Carol Chu", "phone": "+1 999 777", "tags": ["vip"], "owner": "pete",
             "attrs": {"plan": "gold", "region": "south"}},
            {"name": "Dan Dunn", "company": "Gamma"},
        ])

        def ids(flt):
            items, _ = walk_list(self.c, "customer.list", {"filter": flt})
            return [x["id"] for x in items]

        self.assertEqual(ids({"tag": "vip"}), [a["id"], c["id"]])
        self.assertEqual(ids({"tag": "eu"}), [a["id"], b["id"]])
        self.assertEqual(ids({"tag": "none"}), [])
        self.assertEqual(ids({"owner": "olga"}), [a["id"], b["id"]])
        self.assertEqual(ids({"stage": "prospect"}), [a["id"], b["id"], c["id"], d["id"]])
        self.assertEqual(ids({"q": "Carol"}), [c["id"]], "q searches names")
        self.assertEqual(ids({"q": "beta.example"}), [b["id"]], "q searches emails")
        self.assertEqual(ids({"q": "Gamma"}), [d["id"]], "q searches companies")
        self.assertEqual(ids({"q": "999 777"}), [c["id"]], "q searches phones")
        self.assertEqual(ids({"q": "zzz-nothing"}), [])
        self.assertEqual(ids({"attrs": {"plan": "gold"}}), [a["id"], c["id"]])
        self.assertEqual(ids({"attrs": {"plan": "gold", "region": "south"}}), [c["id"]])
        self.assertEqual(ids({"tag": "vip", "owner": "olga"}), [a["id"]], "filters combine")
        self.assertEqual(ids({"tag": "eu", "attrs": {"plan": "silver"}}), [b["id"]])
        with self.assertRpcError(-32602):
            self.c.call("customer.list", {"filter": {"colour": "red"}})
        with self.assertRpcError(-32602, param="filter"):
            self.c.call("customer.list", {"filter": "vip"})

    def test_filtered_pagination(self):
        made = self.create_many([{"name": "F%02d" % i, "tags": ["even"] if i % 2 == 0 else ["odd"]}
                                 for i in range(25)])
        items, _ = walk_list(self.c, "customer.list", {"filter": {"tag": "even"}}, limit=4)
        self.assertEqual([x["id"] for x in items], [x["id"] for i, x in enumerate(made) if i % 2 == 0])


if __name__ == "__main__":
    main()
