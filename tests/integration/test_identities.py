"""Identities: a (source, key) belongs to one customer; customer.get finds
a customer by one and shows them all, at once (the record cache); a key is
dropped with its customer; only agents may change them; the events are
published."""

from kithtest import KithTestCase, main
from test_tickets import events_since


class IdentitiesTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(tokens=[("agent", "a"), ("viewer", "v")])
        self.c = self.connect(self.server, token=self.server.tokens["a"])
        self.ann = self.c.call("customer.create", {"name": "Ann"})["id"]
        self.bob = self.c.call("customer.create", {"name": "Bob"})["id"]

    def add(self, cid, source, key):
        return self.c.call("identity.add", {"customer_id": cid, "source": source, "key": key})

    def test_add_find_list_and_show_in_get(self):
        self.c.call("customer.get", {"id": self.ann})  # cached before the change
        self.add(self.ann, "wechat", "o_ann")
        self.add(self.ann, "pos", "card-7")
        got = self.c.call("customer.get", {"id": self.ann})
        self.assertEqual(got["identities"], [{"source": "pos", "key": "card-7"},
                                             {"source": "wechat", "key": "o_ann"}], got)
        by_key = self.c.call("customer.get", {"source": "wechat", "key": "o_ann"})
        self.assertEqual(by_key, got)
        listed = self.c.call("identity.list", {"customer_id": self.ann})
        self.assertEqual([(i["source"], i["key"]) for i in listed],
                         [("pos", "card-7"), ("wechat", "o_ann")])
        self.assertTrue(all(isinstance(i["created_at"], str) for i in listed), listed)
        self.assertEqual(self.c.call("customer.get", {"id": self.bob})["identities"], [])

    def test_key_is_one_customers_and_re_adding_is_harmless(self):
        self.add(self.ann, "wechat", "o_1")
        self.assertEqual(self.add(self.ann, "wechat", "o_1")["customer_id"], self.ann)
        with self.assertRpcError(-32009) as h:
            self.add(self.bob, "wechat", "o_1")
        self.assertEqual(h.error.data.get("reason"), "identity_taken", h.error.error)
        # The same key in another source is another identity.
        self.add(self.bob, "shopify", "o_1")
        self.assertEqual(self.c.call("customer.get", {"source": "shopify", "key": "o_1"})["id"],
                         self.bob)
        self.assertEqual(self.c.call("customer.get", {"source": "wechat", "key": "o_1"})["id"],
                         self.ann)

    def test_remove_and_errors(self):
        self.add(self.ann, "weibo", "@ann")
        self.c.call("customer.get", {"id": self.ann})
        self.c.call("identity.remove", {"customer_id": self.ann, "source": "weibo", "key": "@ann"})
        self.assertEqual(self.c.call("customer.get", {"id": self.ann})["identities"], [])
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"source": "weibo", "key": "@ann"})
        with self.assertRpcError(-32004):
            self.c.call("identity.remove",
                        {"customer_id": self.ann, "source": "weibo", "key": "@ann"})
        with self.assertRpcError(-32004):
            self.add(99999, "weibo", "@x")
        with self.assertRpcError(-32602, param="key"):
            self.add(self.ann, "weibo", "")
        with self.assertRpcError(-32602, param="key"):
            self.add(self.ann, "weibo", "k" * 257)
        with self.assertRpcError(-32602, param="key"):
            self.c.call("customer.get", {"source": "weibo"})
        with self.assertRpcError(-32602):
            self.c.call("customer.get", {"id": self.ann, "source": "weibo", "key": "@ann"})

    def test_deleting_the_customer_frees_the_key(self):
        self.add(self.ann, "pos", "card-1")
        self.c.call("customer.delete", {"id": self.ann})
        self.add(self.bob, "pos", "card-1")
        self.assertEqual(self.c.call("customer.get", {"source": "pos", "key": "card-1"})["id"],
                         self.bob)

    def test_viewer_reads_but_cannot_write(self):
        self.add(self.ann, "pos", "card-2")
        v = self.connect(self.server, token=self.server.tokens["v"])
        self.assertEqual(len(v.call("identity.list", {"customer_id": self.ann})), 1)
        with self.assertRpcError(-32003):
            v.call("identity.add", {"customer_id": self.ann, "source": "pos", "key": "c3"})

    def test_events(self):
        self.add(self.ann, "wechat", "o_ev")
        self.add(self.ann, "wechat", "o_ev")  # no change, no event
        self.c.call("identity.remove", {"customer_id": self.ann, "source": "wechat", "key": "o_ev"})
        got = events_since(self, self.server, ["identity.*"], token=self.server.tokens["a"])
        self.assertEqual([e["channel"] for e in got], ["identity.added", "identity.removed"], got)
        self.assertEqual(got[0]["data"]["identity"],
                         {"customer_id": self.ann, "source": "wechat", "key": "o_ev"}, got)


if __name__ == "__main__":
    main()
