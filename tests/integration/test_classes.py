"""Classes (crm.classify) over the socket.

What users rely on: a customer's class follows the rule as soon as a write
settles, customer.class_changed fires once per move (not on every write),
an override wins until cleared, customer.list filters by the class shown,
segment functions see c.class, and a rule returning a class it did not
declare fails the write (which then changes nothing) instead of storing it.
"""

from kithtest import KithTestCase, main
from rulestest import Events, RulesTestCase

RULES = {
    "scripts/classes.lua": """
crm.classify {
  classes = { {name = "key"}, {name = "regular"} },
  fn = function(c, s)
    if c.name == "Broken" then return "platinum" end
    if (s.total_spent or 0) >= 100 then return "key", {"spent 100 or more"} end
    return "regular", {"small"}
  end }
crm.segment("key_customers", "class key", function(c, s) return c.class == "key" end)
""",
}


class ClassTest(RulesTestCase):
    def test_classes_follow_writes(self):
        server = self.start_rules_server(files=RULES)
        c = self.connect(server)
        events = Events(self, server, channels=("customer.class_changed",))
        a = c.call("customer.create", {"name": "Ann"})["id"]
        ev = events.next()
        self.assertEqual((ev["data"]["class"], ev["data"]["old_class"]), ("regular", None))
        self.assertEqual(c.call("customer.get", {"id": a})["class"], "regular")
        c.call("order.create", {"customer_id": a, "amount": 60})
        c.call("order.create", {"customer_id": a, "amount": 60})
        ev = events.next()
        self.assertEqual((ev["data"]["class"], ev["data"]["old_class"], ev["data"]["reasons"]),
                         ("key", "regular", ["spent 100 or more"]))
        got = c.call("customer.get", {"id": a})
        self.assertEqual((got["class"], got["segments"]), ("key", ["key_customers"]))
        # A write that does not move the class emits nothing: the next event is Bob's.
        c.call("customer.update", {"id": a, "owner": "zoe"})
        b = c.call("customer.create", {"name": "Bob"})["id"]
        self.assertEqual(events.next()["data"]["customer"]["id"], b)
        self.assertEqual([x["id"] for x in c.call("customer.list", {"filter": {"class": "key"}})["items"]], [a])
        c.call("customer.update", {"id": b, "class_override": "key"})
        self.assertEqual(c.call("customer.get", {"id": b})["class"], "key")
        self.assertEqual(len(c.call("customer.list", {"filter": {"class": "key"}})["items"]), 2)
        c.call("customer.update", {"id": b, "class_override": None})
        self.assertEqual(c.call("customer.get", {"id": b})["class"], "regular")
        with self.assertRpcError(-32602, param="class_override"):
            c.call("customer.update", {"id": b, "class_override": "Not A Class!"})
        n = c.call("system.info")["customers"]
        with self.assertRpcError(-32010):
            c.call("customer.create", {"name": "Broken"})
        self.assertEqual(c.call("system.info")["customers"], n)


if __name__ == "__main__":
    main()
