"""Companies (accounts) over the socket.

What users rely on: companies are created, read, updated (attrs merge, the
event carries changes), listed by industry/owner/size/text with paging, and
deleted only with their contacts unlinked; a contact links by company_id,
which must name a company; a company's figures are its contacts' figures,
exact after orders, after a contact moves and after one is deleted; rules
see c.company_id and crm.company.get; a before hook can veto a company.
"""

from kithtest import KithTestCase, main
from rulestest import Events, RulesTestCase

RULES = {
    "scripts/accounts.lua": """
crm.segment("key_account_contacts", "contacts of accounts that spent 100 or more",
  function(c, s)
    if not c.company_id then return false end
    local co = crm.company.get(c.company_id)
    return co ~= nil and co.stats.total_spent >= 100
  end)
crm.before("company.created", function(ev)
  if ev.company.name == "Forbidden" then error("not this one") end
  if ev.company.domain then ev.company.domain = ev.company.domain:lower() end
end)
""",
}


class CompanyTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_crud_list_and_errors(self):
        events = Events(self, self.server, channels=("company.*",))
        a = self.c.call("company.create", {"name": "Acme", "industry": "retail", "size": "51-200",
                                           "owner": "zoe", "attrs": {"tier": "gold"}})
        self.assertEqual((a["name"], a["industry"], a["attrs"]), ("Acme", "retail", {"tier": "gold"}))
        ev = events.next()
        self.assertEqual((ev["channel"], ev["data"]["company"]["id"], ev["data"]["by"]),
                         ("company.created", a["id"], "local"))
        u = self.c.call("company.update", {"id": a["id"], "attrs": {"tier": None, "hq": "Berlin"},
                                           "size": "201+"})
        self.assertEqual((u["attrs"], u["size"]), ({"hq": "Berlin"}, "201+"))
        ev = events.next()
        self.assertEqual(sorted(ev["data"]["changes"]), ["attrs", "size"])
        for i in range(5):
            self.c.call("company.create", {"name": "Shop %d" % i, "industry": "food"})
        page = self.c.call("company.list", {"industry": "food", "limit": 3})
        rest = self.c.call("company.list", {"industry": "food", "limit": 3, "cursor": page["next_cursor"]})
        names = [x["name"] for x in page["items"] + rest["items"]]
        self.assertEqual(names, ["Shop %d" % i for i in range(5)])
        self.assertEqual([x["name"] for x in self.c.call("company.list", {"q": "cme"})["items"]], ["Acme"])
        with self.assertRpcError(-32602, param="name"):
            self.c.call("company.create", {"industry": "x"})
        with self.assertRpcError(-32602, param="name"):
            self.c.call("company.update", {"id": a["id"], "name": None})
        with self.assertRpcError(-32004):
            self.c.call("company.get", {"id": 999})
        with self.assertRpcError(-32602, param="attrs"):
            self.c.call("company.create", {"name": "Big", "attrs": {"x": "y" * 70000}})

    def test_contacts_and_rolled_up_figures(self):
        a = self.c.call("company.create", {"name": "Acme"})["id"]
        b = self.c.call("company.create", {"name": "Beta"})["id"]
        ann = self.c.call("customer.create", {"name": "Ann", "company_id": a})
        bob = self.c.call("customer.create", {"name": "Bob", "company_id": a})["id"]
        self.assertEqual(ann["company_id"], a)
        loner = self.c.call("customer.create", {"name": "Loner"})
        self.assertNotIn("company_id", loner)
        with self.assertRpcError(-32004, param="company_id"):
            self.c.call("customer.create", {"name": "Nobody", "company_id": 999})
        self.c.call("order.create", {"customer_id": ann["id"], "amount": 10.5})
        self.c.call("order.create", {"customer_id": bob, "amount": 20, "at": "2026-01-02T00:00:00.000Z"})
        st = self.c.call("company.get", {"id": a})["stats"]
        self.assertEqual((st["contacts"], st["orders"], st["total_spent"]), (2, 2, 30.5))
        self.assertTrue(st["first_order_at"].startswith("2026-01-02"))
        members = self.c.call("customer.list", {"filter": {"company_id": a}})["items"]
        self.assertEqual([m["name"] for m in members], ["Ann", "Bob"])
        # Bob moves to Beta: both companies' figures follow at once.
        self.c.call("customer.update", {"id": bob, "company_id": b})
        self.assertEqual(self.c.call("company.get", {"id": a})["stats"]["total_spent"], 10.5)
        self.assertEqual(self.c.call("company.get", {"id": b})["stats"]["orders"], 1)
        self.c.call("customer.delete", {"id": ann["id"]})
        self.assertEqual(self.c.call("company.get", {"id": a})["stats"]["contacts"], 0)
        # Deleting a company with contacts needs detach, which unlinks them.
        with self.assertRpcError(-32009) as h:
            self.c.call("company.delete", {"id": b})
        self.assertEqual(h.error.data["reason"], "has_contacts")
        r = self.c.call("company.delete", {"id": b, "detach": True})
        self.assertEqual(r["detached"], 1)
        self.assertNotIn("company_id", self.c.call("customer.get", {"id": bob}))
        self.assertEqual(self.c.call("customer.update", {"id": bob, "company_id": a})["company_id"], a)
        self.assertEqual(self.c.call("customer.get", {"id": bob})["company_id"], a)
        self.c.call("customer.update", {"id": bob, "company_id": None})
        self.assertNotIn("company_id", self.c.call("customer.get", {"id": bob}))


class CompanyRulesTest(RulesTestCase):
    def test_segments_see_the_company_and_hooks_veto(self):
        server = self.start_rules_server(files=RULES)
        c = self.connect(server)
        with self.assertRpcError(-32010):
            c.call("company.create", {"name": "Forbidden"})
        self.assertEqual(c.call("company.list")["items"], [])
        co = c.call("company.create", {"name": "Acme", "domain": "ACME.example"})
        self.assertEqual(co["domain"], "acme.example")
        ann = c.call("customer.create", {"name": "Ann", "company_id": co["id"]})["id"]
        bob = c.call("customer.create", {"name": "Bob", "company_id": co["id"]})["id"]
        c.call("order.create", {"customer_id": ann, "amount": 150})
        self.assertIn("key_account_contacts", c.call("customer.get", {"id": ann})["segments"])
        # Bob is re-evaluated when he is next written, or by a refresh.
        c.call("segment.refresh", {"name": "key_account_contacts"})
        self.assertIn("key_account_contacts", c.call("customer.get", {"id": bob})["segments"])
        loner = c.call("customer.create", {"name": "Loner"})["id"]
        c.call("order.create", {"customer_id": loner, "amount": 500})
        self.assertEqual(c.call("customer.get", {"id": loner})["segments"], [])


if __name__ == "__main__":
    main()
