"""A write's reply shows what its own after hooks wrote in the same request.

crm.after hooks run inside the write's transaction, after the write and
before the reply: the referral plugin gives every new customer a code, a
rule may stamp a customer it sees updated or snooze a task it sees created.
The reply must be the record as the request left it, equal to what a later
read returns, not the record as it stood before the hooks ran.
"""

import os

from kithtest import SOURCE_DIR, main
from rulestest import RulesTestCase

STAMP = """
crm.after("customer.updated", function(ev)
  if ev.changes.company and not ev.customer.attrs.company_checked then
    crm.customer.update(ev.customer.id, {attrs = {company_checked = true}})
  end
end)
crm.after("task.created", function(ev)
  if ev.task.note == "snooze me" then
    crm.call("task.snooze", {id = ev.task.id, ["until"] = "3d"})
  end
end)
"""


def plugin_files():
    with open(os.path.join(SOURCE_DIR, "plugins", "referral", "plugin.lua"), encoding="utf-8") as f:
        return {"plugins/referral/plugin.lua": f.read(), "scripts/stamp.lua": STAMP}


class ReplyAfterHooksTest(RulesTestCase):
    def setUp(self):
        self.server = self.start_rules_server(files=plugin_files(),
                                              config="plugin.referral.enabled yes\n")
        self.c = self.connect(self.server)

    def assert_same_record(self, reply, later, what):
        """Every field of the reply equals the later read's (customer.get
        adds fields of its own: stats, points, segments...)."""
        differ = {k: (v, later.get(k)) for k, v in reply.items() if later.get(k) != v}
        self.assertEqual(differ, {}, "%s: reply fields that differ from a later read "
                         "(reply, later): %r\nreply: %r\nlater: %r" % (what, differ, reply, later))

    def test_create_reply_has_the_referral_code(self):
        reply = self.c.call("customer.create", {"name": "Ada", "attrs": {"n": 1}})
        code = reply.get("attrs", {}).get("referral_code")
        self.assertIsNotNone(code, "customer.create's reply lacks the referral code its after "
                             "hook wrote: %r" % (reply,))
        self.assertRegex(code, r"^R[0-9A-Z]{7}$")
        self.assertEqual(reply["attrs"]["n"], 1)
        later = self.c.call("customer.get", {"id": reply["id"]})
        self.assert_same_record(reply, later, "customer.create")
        # The event keeps the record as it was written, before the hook.
        looked_up = self.c.call("plugin.referral.lookup", {"code": code})
        self.assertEqual(looked_up.get("customer_id"), reply["id"], looked_up)

    def test_pipelined_creates_over_the_unix_socket(self):
        with self.connect(self.server, unix=True) as u:
            replies = u.call_many([("customer.create", {"name": "B%d" % i}) for i in range(5)])
        for r in replies:
            self.assertRegex(r.get("attrs", {}).get("referral_code", ""), r"^R[0-9A-Z]{7}$", r)
            self.assert_same_record(r, self.c.call("customer.get", {"id": r["id"]}), "pipelined")

    def test_update_reply_has_what_the_after_hook_wrote(self):
        cust = self.c.call("customer.create", {"name": "Grace"})
        reply = self.c.call("customer.update", {"id": cust["id"], "company": "Navy"})
        self.assertIs(reply.get("attrs", {}).get("company_checked"), True,
                      "customer.update's reply lacks its after hook's write: %r" % (reply,))
        self.assertEqual(reply["company"], "Navy")
        later = self.c.call("customer.get", {"id": cust["id"]})
        self.assert_same_record(reply, later, "customer.update")

    def test_task_create_reply_shows_the_snooze_of_its_hook(self):
        cust = self.c.call("customer.create", {"name": "Tasked"})
        plain = self.c.call("task.create", {"note": "call back", "due": "1h",
                                            "customer_id": cust["id"]})
        reply = self.c.call("task.create", {"note": "snooze me", "due": "1h",
                                            "customer_id": cust["id"]})
        self.assertGreater(reply["due_at"], plain["due_at"],
                           "task.create's reply lacks the snooze its after hook made: %r" % (reply,))
        listed = self.c.call("task.list", {"customer_id": cust["id"], "limit": 10})["items"]
        later = [t for t in listed if t["id"] == reply["id"]]
        self.assertEqual(len(later), 1, listed)
        self.assert_same_record(reply, later[0], "task.create")


if __name__ == "__main__":
    main()
