"""customer.merge over the socket, with the shipped rules.

The promise (issue 11, "Done when"): two customers with orders, points,
tasks and tickets merged into one end with the stats, points, tier,
segments and churn of a single customer who did all of it.  Also: every
child record follows the survivor; tags union and attrs merge; the loser's
id answers -32004 with data.merged_into and its external_id finds the
survivor; a before hook's veto and bad arguments change nothing; a merge
that was acknowledged survives kill -9.
"""

import datetime
import os

from kithtest import SOURCE_DIR, KithTestCase, main
from rulestest import RulesTestCase

def shipped():
    return ("--scripts", os.path.join(SOURCE_DIR, "scripts"),
            "--plugins", os.path.join(SOURCE_DIR, "plugins"), "--watch-scripts", "0")


def ago(days):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class MergeTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(*shipped())
        self.c = self.connect(self.server)

    def life(self, ids, order_at):
        """The history: two orders, a call, two tasks, two tickets, spread over
        the customers in ids (one customer may do it all)."""
        a, b = ids
        c = self.c
        c.call("order.create", {"customer_id": a, "amount": 300, "at": order_at[0]})
        c.call("order.create", {"customer_id": b, "amount": 250, "at": order_at[1]})
        c.call("interaction.log", {"customer_id": b, "type": "call", "summary": "asked about tea",
                                   "at": order_at[1]})
        c.call("task.create", {"customer_id": a, "note": "send catalogue", "due": "2d"})
        c.call("task.create", {"customer_id": b, "note": "call back", "due": "3d"})
        c.call("ticket.create", {"customer_id": a, "kind": "request", "subject": "invoice copy"})
        c.call("ticket.create", {"customer_id": b, "kind": "complaint", "subject": "late parcel"})

    def view(self, cid):
        c = self.c.call("customer.get", {"id": cid})
        stats = {k: v for k, v in c["stats"].items()
                 if not k.startswith("last_interaction") and not k.startswith("last_complaint")}
        return {"stats": stats, "points": c["points"], "tier": c["tier"],
                "segments": c["segments"], "churn_risk": c["churn_risk"], "stage": c["stage"]}

    def test_merged_equals_one_customer_who_did_it_all(self):
        at = [ago(200), ago(100)]
        x = self.c.call("customer.create", {"name": "Xia Ming", "external_id": "x-1",
                                            "tags": ["tea"], "attrs": {"city": "Hangzhou"}})["id"]
        y = self.c.call("customer.create", {"name": "Ming Xia", "external_id": "y-1",
                                            "email": "xia@example.cn", "tags": ["vip"],
                                            "attrs": {"city": "Shanghai", "size": "M"}})["id"]
        self.life((x, y), at)
        z = self.c.call("customer.create", {"name": "Zed"})["id"]
        self.life((z, z), at)

        merged = self.c.call("customer.merge", {"into": x, "from": [y]})
        self.assertEqual(merged["id"], x)
        self.assertEqual(self.view(x), self.view(z))
        self.assertEqual(self.view(x)["tier"], "silver")  # 300 + 250 lifetime points
        self.assertEqual(sorted(merged["tags"]), ["tea", "vip"])
        self.assertEqual(merged["attrs"]["city"], "Hangzhou")
        self.assertEqual(merged["attrs"]["size"], "M")
        self.assertEqual(merged["email"], "xia@example.cn")  # x had none
        for method, key in (("order.list", "items"), ("interaction.list", "items")):
            self.assertEqual(len(self.c.call(method, {"customer_id": x})[key]),
                             len(self.c.call(method, {"customer_id": z})[key]), method)
        self.assertEqual(len(self.c.call("task.list", {"customer_id": x, "status": "open"})["items"]),
                         len(self.c.call("task.list", {"customer_id": z, "status": "open"})["items"]))
        self.assertEqual(len(self.c.call("ticket.list", {"customer_id": x})["items"]), 2)
        self.assertEqual(len(self.c.call("loyalty.history", {"customer_id": x})["items"]),
                         len(self.c.call("loyalty.history", {"customer_id": z})["items"]))
        with self.assertRpcError(-32004) as h:
            self.c.call("customer.get", {"id": y})
        self.assertEqual(h.error.data["merged_into"], x)
        self.assertEqual(self.c.call("customer.get", {"external_id": "y-1"})["id"], x)

        # Acknowledged means durable: kill -9 and look again.
        before = self.view(x)
        self.server.kill9()
        self.server.start()
        self.c = self.connect(self.server)
        self.assertEqual(self.view(x), before)
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"id": y})

    def test_merge_of_merges_and_bad_arguments(self):
        a, b, c = (self.c.call("customer.create", {"name": n})["id"] for n in "ABC")
        self.c.call("customer.merge", {"into": b, "from": [a]})
        self.c.call("customer.merge", {"into": c, "from": [b]})
        with self.assertRpcError(-32004) as h:
            self.c.call("customer.get", {"id": a})
        self.assertEqual(h.error.data["merged_into"], c)
        with self.assertRpcError(-32602, param="from"):
            self.c.call("customer.merge", {"into": c, "from": [c]})
        with self.assertRpcError(-32004, param="from"):
            self.c.call("customer.merge", {"into": c, "from": [999]})
        with self.assertRpcError(-32602, param="from"):
            self.c.call("customer.merge", {"into": c, "from": []})
        self.assertEqual(self.c.call("system.info")["customers"], 1)


class MergeVetoTest(RulesTestCase):
    def test_a_veto_changes_nothing(self):
        server = self.start_rules_server(files={"scripts/guard.lua": """
crm.before("customer.merged", function(ev)
  for _, l in ipairs(ev.from) do
    if l.owner ~= ev.customer.owner then error("owners differ") end
  end
end)
"""})
        c = self.connect(server)
        a = c.call("customer.create", {"name": "A", "owner": "ann"})["id"]
        b = c.call("customer.create", {"name": "B", "owner": "bob"})["id"]
        c.call("order.create", {"customer_id": b, "amount": 10})
        with self.assertRpcError(-32010):
            c.call("customer.merge", {"into": a, "from": [b]})
        self.assertEqual(c.call("customer.get", {"id": b})["stats"]["orders"], 1)
        self.assertEqual(c.call("customer.get", {"id": a})["stats"]["orders"], 0)
        c.call("customer.update", {"id": b, "owner": "ann"})
        c.call("customer.merge", {"into": a, "from": [b]})
        self.assertEqual(c.call("customer.get", {"id": a})["stats"]["orders"], 1)


if __name__ == "__main__":
    main()
