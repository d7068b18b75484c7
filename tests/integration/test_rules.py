"""Business rules over the socket: a real kithd with small fixture rules
(tests/integration/rules/) in a temporary scripts folder.  Loyalty points and
tiers, segments, before hooks that veto or rewrite, after hooks whose errors
roll the whole write back, follow-up tasks, churn warnings handled after
commit, points refused beyond the balance, cascades, crm.on failures,
script.status / script.eval, and plugin methods."""

import datetime
import hashlib
import json
import os
import time

from kithtest import main, walk_list
from rulestest import (Events, RulesTestCase, created, fixture, line_of, scripts, wait_for)


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


class LoyaltyTest(RulesTestCase):
    """points.lua: one point per unit of an order, tiers by lifetime points."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("points.lua"))
        self.c = self.connect(self.server)

    def test_order_awards_points_and_moves_the_tier(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        events = Events(self, self.server)
        c.call("order.create", {"customer_id": ann["id"], "amount": 60.75})
        bal = c.call("loyalty.balance", {"customer_id": ann["id"]})
        self.assertEqual(bal["points"], 60, bal)
        self.assertEqual(bal["tier"], "bronze", bal)
        self.assertEqual(bal["expiring"], [], bal)

        c.call("order.create", {"customer_id": ann["id"], "amount": 50})
        bal = c.call("loyalty.balance", {"customer_id": ann["id"]})
        self.assertEqual(bal["points"], 110, bal)
        self.assertEqual(bal["tier"], "silver", bal)
        got = c.call("customer.get", {"id": ann["id"]})
        self.assertEqual((got["tier"], got["points"]), ("silver", 110), got)

        orders = c.call("order.list", {"customer_id": ann["id"]})["items"]
        self.assertEqual([o["amount"] for o in orders], [50, 60.75], orders)
        hist = c.call("loyalty.history", {"customer_id": ann["id"]})["items"]
        self.assertEqual([(e["points"], e["reason"]) for e in hist],
                         [(50, "order #%d" % orders[0]["id"]), (60, "order #%d" % orders[1]["id"])],
                         "the ledger, newest first: %r" % (hist,))

        # The subscriber saw the points and the promotion, in order.
        evs = events.until(lambda e: e["channel"] == "loyalty.tier_changed"
                           and e["data"].get("tier") == "silver")
        channels = [e["channel"] for e in evs]
        self.assertEqual(channels.count("loyalty.awarded"), 2, channels)
        self.assertEqual(channels.count("order.created"), 2, channels)
        self.assertLess(channels.index("order.created"), channels.index("loyalty.awarded"), channels)
        awarded = [e["data"] for e in evs if e["channel"] == "loyalty.awarded"]
        self.assertEqual([a["entry"]["points"] for a in awarded], [60, 50], awarded)
        tier_ev = evs[-1]["data"]
        self.assertEqual(tier_ev.get("old_tier"), "bronze", tier_ev)
        self.assertEqual((tier_ev.get("customer") or {}).get("id"), ann["id"], tier_ev)

        # Redeeming never demotes: tiers follow lifetime points.
        entry = c.call("loyalty.redeem", {"customer_id": ann["id"], "points": 100, "reason": "mug"})
        self.assertEqual(entry["customer_id"], ann["id"], entry)
        bal = c.call("loyalty.balance", {"customer_id": ann["id"]})
        self.assertEqual((bal["points"], bal["tier"]), (10, "silver"), bal)

    def test_no_tier_changed_event_without_a_change(self):
        # A customer without points is already in the entry tier (reads say
        # so); their first points keep them there, which is no change.
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        self.assertEqual(c.call("customer.get", {"id": ann["id"]})["tier"], "bronze")
        self.assertEqual(c.call("loyalty.balance", {"customer_id": ann["id"]})["tier"], "bronze")
        events = Events(self, self.server)
        c.call("order.create", {"customer_id": ann["id"], "amount": 60})
        c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        changes = [e["data"] for e in evs if e["channel"] == "loyalty.tier_changed"]
        for ch in changes:
            ch.pop("customer", None)
        self.assertEqual(changes, [], "bronze -> bronze is not a tier change")

    def test_redeem_beyond_the_balance_is_refused(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        c.call("order.create", {"customer_id": ann["id"], "amount": 110})
        hist_before = c.call("loyalty.history", {"customer_id": ann["id"]})["items"]
        events = Events(self, self.server)
        with self.assertRpcError(-32009) as cm:
            c.call("loyalty.redeem", {"customer_id": ann["id"], "points": 111, "reason": "too much"})
        self.assertIn("insufficient_points", json.dumps(cm.error.error),
                      "the error says why: %r" % (cm.error.error,))
        bal = c.call("loyalty.balance", {"customer_id": ann["id"]})
        self.assertEqual((bal["points"], bal["tier"]), (110, "silver"), bal)
        self.assertEqual(c.call("loyalty.history", {"customer_id": ann["id"]})["items"], hist_before)
        # No loyalty.redeemed event: the next event is the marker's.
        c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([e["channel"] for e in evs], ["customer.created"], evs)
        # Exactly the balance is fine.
        c.call("loyalty.redeem", {"customer_id": ann["id"], "points": 110, "reason": "all of it"})
        self.assertEqual(c.call("loyalty.balance", {"customer_id": ann["id"]})["points"], 0)


class AfterErrorTest(RulesTestCase):
    """points.lua awards points, then unlucky.lua fails orders of 13."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("points.lua", "unlucky.lua"))
        self.c = self.connect(self.server)

    def test_an_after_error_rolls_back_the_whole_write(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        c.call("order.create", {"customer_id": ann["id"], "amount": 20})
        events = Events(self, self.server)
        with self.assertRpcError(-32010) as cm:
            c.call("order.create", {"customer_id": ann["id"], "amount": 13})
        text = fixture("unlucky.lua")
        self.assertScriptPlace(cm.error, self.server, "unlucky.lua",
                               line_of(text, 'error("orders of 13 are unlucky")'))
        self.assertIn("unlucky", cm.error.message)
        # Neither the order nor the points the other file's hook awarded.
        orders = c.call("order.list", {"customer_id": ann["id"]})["items"]
        self.assertEqual([o["amount"] for o in orders], [20], orders)
        bal = c.call("loyalty.balance", {"customer_id": ann["id"]})
        self.assertEqual(bal["points"], 20, bal)
        hist = c.call("loyalty.history", {"customer_id": ann["id"]})["items"]
        self.assertEqual([e["points"] for e in hist], [20], hist)
        got = c.call("customer.get", {"id": ann["id"]})
        self.assertEqual(got["stats"]["orders"], 1, got)
        self.assertEqual(got["stats"]["total_spent"], 20, got)
        # No event either.
        c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([e["channel"] for e in evs], ["customer.created"], evs)
        # The hook's failure is counted; the next order works.
        self.assertGreaterEqual(self.hook(c, "after", "order.created", "unlucky.lua")["errors"], 1)
        c.call("order.create", {"customer_id": ann["id"], "amount": 14})
        self.assertEqual(c.call("loyalty.balance", {"customer_id": ann["id"]})["points"], 34)


class PayWithPointsTest(RulesTestCase):
    """pay_with_points.lua: a rule calls crm.loyalty.redeem in the request."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("pay_with_points.lua"))
        self.c = self.connect(self.server)

    def test_a_rule_redeeming_beyond_the_balance_fails_the_request(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        c.call("loyalty.award", {"customer_id": ann["id"], "points": 300, "reason": "welcome"})
        events = Events(self, self.server)
        with self.assertRpcError(-32009) as cm:
            c.call("order.create", {"customer_id": ann["id"], "amount": 301,
                                    "external_id": "pts-1"})
        self.assertIn("insufficient_points", json.dumps(cm.error.error), cm.error.error)
        self.assertEqual(c.call("order.list", {"customer_id": ann["id"]})["items"], [])
        self.assertEqual(c.call("loyalty.balance", {"customer_id": ann["id"]})["points"], 300)
        self.assertEqual(len(c.call("loyalty.history", {"customer_id": ann["id"]})["items"]), 1)
        c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([e["channel"] for e in evs], ["customer.created"], evs)
        # The external id was not taken by the failed order.
        order = c.call("order.create", {"customer_id": ann["id"], "amount": 120,
                                        "external_id": "pts-1"})
        self.assertEqual(order["external_id"], "pts-1")
        self.assertEqual(c.call("loyalty.balance", {"customer_id": ann["id"]})["points"], 180)


class SegmentTest(RulesTestCase):
    """segments.lua: "regular" (100..499.99 spent) and "big_spender" (500+)."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("segments.lua"))
        self.c = self.connect(self.server)

    def sizes(self):
        return {s["name"]: s["size"] for s in self.c.call("segment.list")}

    def members(self, name):
        items, _ = walk_list(self.c, "segment.members", {"name": name})
        return sorted(m["id"] for m in items)

    def listed(self, name):
        items, _ = walk_list(self.c, "customer.list", {"filter": {"segment": name}})
        return sorted(m["id"] for m in items)

    def test_segment_list_describes_the_segments(self):
        segs = {s["name"]: s for s in self.c.call("segment.list")}
        self.assertEqual(set(segs), {"regular", "big_spender"}, segs)
        self.assertEqual(segs["regular"]["description"], "spent at least 100 and under 500")
        self.assertEqual(segs["big_spender"]["size"], 0)

    def test_a_segment_is_entered_and_left(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        bob = c.call("customer.create", {"name": "Bob"})
        cat = c.call("customer.create", {"name": "Cat"})
        events = Events(self, self.server, ["segment.*"])
        c.call("order.create", {"customer_id": ann["id"], "amount": 150})
        c.call("order.create", {"customer_id": bob["id"], "amount": 600})
        c.call("order.create", {"customer_id": cat["id"], "amount": 50})
        self.assertEqual(c.call("segment.of", {"customer_id": ann["id"]}), ["regular"])
        self.assertEqual(c.call("segment.of", {"customer_id": bob["id"]}), ["big_spender"])
        self.assertEqual(c.call("segment.of", {"customer_id": cat["id"]}), [])
        self.assertEqual(self.sizes(), {"regular": 1, "big_spender": 1})
        self.assertEqual(self.members("regular"), [ann["id"]])
        self.assertEqual(self.listed("big_spender"), [bob["id"]])
        self.assertEqual(c.call("customer.get", {"id": ann["id"]})["segments"], ["regular"])

        # Ann spends more: she leaves "regular" and enters "big_spender".
        c.call("order.create", {"customer_id": ann["id"], "amount": 400})
        self.assertEqual(c.call("segment.of", {"customer_id": ann["id"]}), ["big_spender"])
        self.assertEqual(self.sizes(), {"regular": 0, "big_spender": 2})
        self.assertEqual(self.members("regular"), [])
        self.assertEqual(self.members("big_spender"), sorted([ann["id"], bob["id"]]))
        self.assertEqual(self.listed("big_spender"), sorted([ann["id"], bob["id"]]))
        self.assertEqual(self.listed("regular"), [])

        # The subscriber saw each move once: Ann's first order, Bob's, then
        # Ann's second (leaving one segment and entering the other).
        evs = [events.next() for _ in range(4)]
        got = [(e["channel"], e["data"].get("segment"), e["data"].get("customer", {}).get("id"))
               for e in evs]
        self.assertEqual(got[:2], [("segment.entered", "regular", ann["id"]),
                                   ("segment.entered", "big_spender", bob["id"])], got)
        self.assertEqual(sorted(got[2:]), [("segment.entered", "big_spender", ann["id"]),
                                           ("segment.left", "regular", ann["id"])], got)

    def test_deleted_customers_leave_their_segments(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        c.call("order.create", {"customer_id": ann["id"], "amount": 150})
        self.assertEqual(self.sizes()["regular"], 1)
        c.call("customer.delete", {"id": ann["id"]})
        self.assertEqual(self.sizes()["regular"], 0)
        self.assertEqual(self.members("regular"), [])
        self.assertEqual(self.listed("regular"), [])


class ChangesThroughRulesTest(RulesTestCase):
    """A record that passes through a before hook comes back from Lua, where
    nil fields do not exist; `changes` must still name only what changed."""

    def setUp(self):
        self.server = self.start_rules_server(files={
            "scripts/noop.lua": 'crm.before("customer.updated", function(ev) end)\n'})
        self.c = self.connect(self.server)

    def test_changes_name_only_the_changed_fields(self):
        cust = self.c.call("customer.create", {"name": "Ann"})  # email, phone... are null
        events = Events(self, self.server, ("customer.updated",))
        self.c.call("customer.update", {"id": cust["id"], "phone": "555"})
        ev = events.until(lambda e: e["channel"] == "customer.updated")[-1]
        self.assertEqual(ev["data"]["changes"], {"phone": {"old": None, "new": "555"}}, ev)
        # Clearing a field through the rule reports it as null, not missing.
        self.c.call("customer.update", {"id": cust["id"], "phone": None})
        ev = events.until(lambda e: e["channel"] == "customer.updated")[-1]
        self.assertEqual(ev["data"]["changes"], {"phone": {"old": "555", "new": None}}, ev)


class BeforeHookTest(RulesTestCase):
    """gate.lua: vetoes "Bad", rewrites customers created with attrs.shout."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("gate.lua"))
        self.c = self.connect(self.server)

    def test_a_veto_returns_script_error_and_leaves_no_trace(self):
        c = self.c
        c.call("customer.create", {"name": "Good"})
        events = Events(self, self.server)
        before = self.customers_count(c)
        with self.assertRpcError(-32010) as cm:
            c.call("customer.create", {"name": "Bad", "email": "bad@example.com",
                                       "external_id": "bad-1"})
        self.assertScriptPlace(cm.error, self.server, "gate.lua",
                               line_of(fixture("gate.lua"), 'error("no bad names")'))
        self.assertIn("no bad names", cm.error.message)
        # No customer ...
        self.assertEqual(self.customers_count(c), before)
        names = [x["name"] for x in walk_list(c, "customer.list")[0]]
        self.assertEqual(names, ["Good"])
        with self.assertRpcError(-32004):
            c.call("customer.get", {"email": "bad@example.com"})
        with self.assertRpcError(-32004):
            c.call("customer.get", {"external_id": "bad-1"})
        # ... and no event, not even the one the hook published before vetoing.
        c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([(e["channel"], e["data"].get("name")) for e in evs[:-1]],
                         [("gate.checked", "Marker")], evs)
        self.assertNotIn('"Bad"', json.dumps(evs))
        # The external id is still free.
        self.assertEqual(c.call("customer.create", {"name": "Fine", "external_id": "bad-1"})
                         ["external_id"], "bad-1")
        hook = self.hook(c, "before", "customer.created", "gate.lua")
        self.assertEqual(hook["errors"], 1, hook)

    def test_a_veto_reached_through_crm_call_names_the_rule(self):
        # script.eval -> crm.call("customer.create") -> gate.lua vetoes.
        c = self.c
        with self.assertRpcError(-32010) as cm:
            c.call("script.eval", {"code": "return crm.call('customer.create', {name = 'Bad'})"})
        self.assertIn("no bad names", cm.error.message)
        self.assertEqual(self.customers_count(c), 0)
        self.assertScriptPlace(cm.error, self.server, "gate.lua",
                               line_of(fixture("gate.lua"), 'error("no bad names")'))

    def test_a_before_hook_that_changes_the_record_is_applied(self):
        c = self.c
        events = Events(self, self.server, ["customer.*"])
        cu = c.call("customer.create", {"name": "quiet ann", "tags": ["new"],
                                        "attrs": {"shout": True}})
        self.assertEqual(cu["name"], "QUIET ANN", cu)
        self.assertEqual(cu["tags"], ["new", "loud"], cu)
        got = c.call("customer.get", {"id": cu["id"]})
        self.assertEqual((got["name"], got["tags"]), ("QUIET ANN", ["new", "loud"]), got)
        ev = events.next()
        self.assertEqual(ev["channel"], "customer.created")
        self.assertEqual(ev["data"]["customer"]["name"], "QUIET ANN", ev)
        self.assertEqual(ev["data"]["customer"]["tags"], ["new", "loud"], ev)
        # Without attrs.shout nothing changes.
        plain = c.call("customer.create", {"name": "calm bob", "tags": ["new"]})
        self.assertEqual((plain["name"], plain["tags"]), ("calm bob", ["new"]), plain)
        found = walk_list(c, "customer.list", {"filter": {"tag": "loud"}})[0]
        self.assertEqual([x["id"] for x in found], [cu["id"]])


class FollowUpTest(RulesTestCase):
    """followup.lua: a complaint creates a task for support, due in 2 days."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("followup.lua"))
        self.c = self.connect(self.server)

    def test_a_complaint_creates_a_follow_up_task(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        c.call("interaction.log", {"customer_id": ann["id"], "type": "call", "summary": "hello"})
        self.assertEqual(c.call("task.list", {"customer_id": ann["id"]})["items"], [])
        events = Events(self, self.server, ["task.created"])
        inter = c.call("interaction.log", {"customer_id": ann["id"], "type": "complaint",
                                           "summary": "parcel arrived broken"})
        tasks = c.call("task.list", {"customer_id": ann["id"]})["items"]
        self.assertEqual(len(tasks), 1, tasks)
        t = tasks[0]
        self.assertEqual(t["customer_id"], ann["id"], t)
        self.assertEqual(t["owner"], "support", t)
        self.assertEqual(t["note"], "Follow up on complaint: parcel arrived broken", t)
        self.assertEqual(t["status"], "open", t)
        self.assertIsInstance(t["created_by"], str, t)
        self.assertIn("followup.lua", t["created_by"], "created_by names the rule: %r" % (t,))
        self.assertTime(t["due_at"], "due_at")
        due = parse_time(t["due_at"]) - parse_time(inter["at"])
        self.assertTrue(datetime.timedelta(days=2) - datetime.timedelta(minutes=10) <= due
                        <= datetime.timedelta(days=2) + datetime.timedelta(minutes=10),
                        "due about 2 days after the complaint: %r" % (t,))
        by_owner = c.call("task.list", {"owner": "support"})["items"]
        self.assertEqual([x["id"] for x in by_owner], [t["id"]])
        ev = events.next()
        self.assertEqual(ev["data"]["task"]["id"], t["id"], ev)


class ChurnTest(RulesTestCase):
    """churn.lua: 0.3 risk per complaint, warning at 0.5; the warning's
    crm.on handler tags the customer "at-risk" after commit."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("churn.lua"))
        self.c = self.connect(self.server)

    def complain(self, customer, summary="late"):
        return self.c.call("interaction.log", {"customer_id": customer["id"], "type": "complaint",
                                               "summary": summary})

    def test_churn_crossing_its_threshold_warns_and_the_handler_acts(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        events = Events(self, self.server, ["churn.*"])
        self.complain(ann)
        ch = c.call("churn.get", {"customer_id": ann["id"]})
        self.assertAlmostEqual(ch["risk"], 0.3, places=6, msg=repr(ch))
        self.assertEqual(ch["reasons"], ["1 complaint(s)"], ch)
        self.assertTime(ch["evaluated_at"], "evaluated_at")
        self.assertEqual(c.call("customer.get", {"id": ann["id"]})["tags"], [])

        self.complain(ann, "late again")
        ch = c.call("churn.get", {"customer_id": ann["id"]})
        self.assertAlmostEqual(ch["risk"], 0.6, places=6, msg=repr(ch))
        self.assertEqual(ch["reasons"], ["2 complaint(s)"], ch)
        ev = events.next()
        self.assertEqual(ev["channel"], "churn.warning", ev)
        self.assertEqual(ev["data"]["customer"]["id"], ann["id"], ev)
        self.assertAlmostEqual(ev["data"]["risk"], 0.6, places=6, msg=repr(ev))
        self.assertEqual(ev["data"]["reasons"], ["2 complaint(s)"], ev)
        # The crm.on handler runs after the commit: poll for its write.
        got = wait_for(lambda: (lambda g: g if "at-risk" in g["tags"] else None)(
            c.call("customer.get", {"id": ann["id"]})), what="the at-risk tag")
        self.assertAlmostEqual(got["churn_risk"], 0.6, places=6, msg=repr(got))
        # A third complaint stays above the threshold: no second warning.
        self.complain(ann, "still late")
        c.call("customer.create", {"name": "Marker"})
        self.assertAlmostEqual(c.call("churn.get", {"customer_id": ann["id"]})["risk"], 0.9,
                               places=6)
        hook = self.hook(c, "on", "churn.warning", "churn.lua")
        self.assertEqual(hook["calls"], 1, hook)
        self.assertEqual(hook["errors"], 0, hook)

    def test_a_restart_with_the_same_rules_does_not_score_everyone_again(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        scored = c.call("churn.get", {"customer_id": ann["id"]})["evaluated_at"]
        c.close()
        self.server.restart()
        c = self.c = self.connect(self.server)
        time.sleep(0.5)  # a sweep at start would have long finished
        c.call("customer.create", {"name": "Marker"})
        self.assertEqual(c.call("churn.get", {"customer_id": ann["id"]})["evaluated_at"], scored)
        # New rules do look at everyone again.
        self.server.write_files({"scripts/churn.lua": fixture("churn.lua") + "\n-- edited\n"})
        c.call("script.reload")
        wait_for(lambda: c.call("churn.get", {"customer_id": ann["id"]})["evaluated_at"] != scored,
                 what="the sweep under the new rules")

    def test_churn_list_and_get_shapes(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        bob = c.call("customer.create", {"name": "Bob"})
        cat = c.call("customer.create", {"name": "Cat"})
        for _ in range(3):
            self.complain(ann)
        self.complain(bob)
        page = c.call("churn.list")
        self.assertEqual(set(page), {"items", "next_cursor"}, page)
        scored = [(x["customer"]["id"], round(x["risk"], 6), x["reasons"]) for x in page["items"]]
        self.assertIn((ann["id"], 0.9, ["3 complaint(s)"]), scored)
        self.assertIn((bob["id"], 0.3, ["1 complaint(s)"]), scored)
        risks = [x["risk"] for x in page["items"]]
        self.assertEqual(risks, sorted(risks, reverse=True), "highest risk first: %r" % (page,))
        self.assertEqual(page["items"][0]["customer"]["name"], "Ann", page)
        high = c.call("churn.list", {"min_risk": 0.5})["items"]
        self.assertEqual([x["customer"]["id"] for x in high], [ann["id"]], high)
        one = c.call("churn.list", {"limit": 1})
        self.assertEqual(len(one["items"]), 1, one)
        self.assertIsInstance(one["next_cursor"], str, one)
        ch = c.call("churn.get", {"customer_id": cat["id"]})
        self.assertEqual(set(ch), {"risk", "reasons", "evaluated_at"}, ch)
        self.assertIsInstance(ch["reasons"], list, ch)
        with self.assertRpcError(-32004):
            c.call("churn.get", {"customer_id": 999999})


class CascadeTest(RulesTestCase):
    """cascade.lua: an after hook on customer.updated that updates the same
    customer again whenever attrs.ping is set."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("cascade.lua"))
        self.c = self.connect(self.server)

    def test_a_self_triggering_cascade_fails_clearly_and_writes_nothing(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann", "attrs": {"plan": "basic"}})
        before = c.call("customer.get", {"id": ann["id"]})
        events = Events(self, self.server)
        with self.assertRpcError(-32010) as cm:
            c.call("customer.update", {"id": ann["id"], "name": "Ann B", "attrs": {"ping": True}})
        after = c.call("customer.get", {"id": ann["id"]})
        self.assertEqual(after, before)
        c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([e["channel"] for e in evs], ["customer.created"], evs)
        # An update that does not re-trigger goes through.
        ok = c.call("customer.update", {"id": ann["id"], "name": "Ann C"})
        self.assertEqual(ok["name"], "Ann C")
        self.assertPong(c)
        # The error says where: the rule's file and line.
        self.assertScriptPlace(cm.error, self.server, "cascade.lua",
                               line_of(fixture("cascade.lua"), "crm.customer.update("))


class OnHandlerTest(RulesTestCase):
    """on_error.lua: a crm.on handler failing for "Boom", another welcoming
    every other new customer."""

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("on_error.lua"))
        self.c = self.connect(self.server)

    def test_on_errors_keep_the_write_and_are_counted(self):
        c = self.c
        events = Events(self, self.server, ["script.error", "customer.created"])
        boom = c.call("customer.create", {"name": "Boom"})
        self.assertEqual(c.call("customer.get", {"id": boom["id"]})["name"], "Boom")
        evs = events.until(lambda e: e["channel"] == "script.error")
        err = evs[-1]["data"]
        self.assertIn("the on handler broke", json.dumps(err), err)
        self.assertIn("on_error.lua", json.dumps(err), err)
        text = fixture("on_error.lua")
        first = line_of(text, 'crm.on("customer.created"')
        hooks = [h for h in self.status(c)["hooks"] if h["kind"] == "on"]
        self.assertEqual(len(hooks), 2, hooks)
        failing = [h for h in hooks if h["line"] == first]
        self.assertEqual(len(failing), 1, hooks)
        wait_for(lambda: [h for h in self.status(c)["hooks"]
                          if h["line"] == first and h["errors"] >= 1],
                 what="the on handler's error count")
        # The stream goes on: later customers are handled.
        ann = c.call("customer.create", {"name": "Ann"})
        wait_for(lambda: c.call("customer.get", {"id": ann["id"]})["attrs"].get("welcomed"),
                 what="the welcome handler's write")
        self.assertEqual(c.call("customer.get", {"id": boom["id"]})["attrs"], {})
        self.assertEqual(self.customers_count(c), 2)


class StatusTest(RulesTestCase):

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("points.lua", "gate.lua",
                                                            "segments.lua"))
        self.c = self.connect(self.server)

    def test_script_status_shows_files_hashes_and_hooks(self):
        c = self.c
        st = self.status(c)
        for key in ("generation", "loaded_at", "files", "segments", "hooks", "jobs", "last_error"):
            self.assertIn(key, st, st)
        self.assertIsInstance(st["generation"], int, st)
        self.assertGreaterEqual(st["generation"], 1, st)
        self.assertTime(st["loaded_at"], "loaded_at")
        self.assertIsNone(st["last_error"], st)
        self.assertEqual(c.call("system.info")["script_generation"], st["generation"])
        files = {os.path.basename(f["path"]): f for f in st["files"]}
        self.assertEqual(set(files), {"points.lua", "gate.lua", "segments.lua"}, st["files"])
        for name, f in files.items():
            want = hashlib.sha256(fixture(name).encode()).hexdigest()
            self.assertEqual(f["sha256"], want, "sha256 of %s: %r" % (name, f))
        # Files load in name order.
        self.assertEqual([os.path.basename(f["path"]) for f in st["files"]],
                         ["gate.lua", "points.lua", "segments.lua"])
        hooks = {(h["kind"], h["event"], os.path.basename(h["file"])): h for h in st["hooks"]}
        self.assertEqual(set(hooks), {("before", "customer.created", "gate.lua"),
                                      ("after", "order.created", "points.lua")}, st["hooks"])
        gate = hooks[("before", "customer.created", "gate.lua")]
        self.assertEqual(gate["line"], line_of(fixture("gate.lua"), 'crm.before('), gate)
        self.assertEqual((gate["calls"], gate["errors"]), (0, 0), gate)
        self.assertEqual(sorted(s["name"] for s in st["segments"]), ["big_spender", "regular"])
        c.call("customer.create", {"name": "Ann"})
        with self.assertRpcError(-32010):
            c.call("customer.create", {"name": "Bad"})
        gate = self.hook(c, "before", "customer.created", "gate.lua")
        self.assertEqual((gate["calls"], gate["errors"]), (2, 1), gate)


class EvalTest(RulesTestCase):

    def setUp(self):
        self.server = self.start_rules_server(files=scripts("points.lua"))
        self.c = self.connect(self.server)

    def eval(self, code, args=None):
        p = {"code": code}
        if args is not None:
            p["args"] = args
        return self.c.call("script.eval", p)

    def test_eval_returns_values(self):
        self.assertEqual(self.eval("return 6 * 7"), 42)
        self.assertEqual(self.eval("return 'hi' .. '!'"), "hi!")
        self.assertEqual(self.eval("return true"), True)
        self.assertIsNone(self.eval("local x = 1"))
        self.assertEqual(self.eval("return {a = 1, b = {1, 2, 3}}"), {"a": 1, "b": [1, 2, 3]})
        self.assertEqual(self.eval("return crm.array({})"), [])
        self.assertEqual(self.eval("return (...).n * 2", {"n": 21}), 42)
        self.assertEqual(self.eval("return 1, 2"), 1, "the first return value")
        ann = self.c.call("customer.create", {"name": "Ann"})
        self.assertEqual(self.eval("return crm.customer.get(%d).name" % ann["id"]), "Ann")
        self.assertEqual(self.eval("return crm.stats(%d).orders" % ann["id"]), 0)

    def test_eval_writes_commit_only_when_it_succeeds(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        with self.assertRpcError(-32010) as cm:
            self.eval("crm.customer.update(%d, {name = 'Changed'})\n"
                      "crm.loyalty.award(%d, 50, 'eval')\n"
                      "error('boom')" % (ann["id"], ann["id"]))
        self.assertIn("boom", cm.error.message)
        self.assertEqual(cm.error.data.get("line"), 3, cm.error.error)
        self.assertEqual(c.call("customer.get", {"id": ann["id"]})["name"], "Ann")
        self.assertEqual(c.call("loyalty.balance", {"customer_id": ann["id"]})["points"], 0)
        with self.assertRpcError(-32010):
            self.eval("return crm.call('customer.create', {name = 'Ghost'}) .. nil")
        self.assertEqual(self.customers_count(c), 1)
        # Without an error, the same writes stay.
        self.assertEqual(self.eval("crm.customer.update(%d, {name = 'Changed'}) return 'ok'"
                                   % ann["id"]), "ok")
        self.assertEqual(c.call("customer.get", {"id": ann["id"]})["name"], "Changed")

    def test_publish_refuses_the_built_in_families(self):
        # Every family of request/events.h, the new ones included, and
        # plugins' prefix: a rule may not fake what Kith or a plugin says.
        for channel in ("customer.created", "interaction.x", "order.created", "segment.x",
                        "loyalty.x", "churn.warning", "task.x", "reminder.due.dave",
                        "schedule.ran", "script.error", "token.created", "visit.missed",
                        "survey.answered", "survey.anything", "ticket.closed",
                        "ticket.sla_breached", "plugin.fixture.hello"):
            with self.assertRpcError(-32010) as cm:
                self.eval("crm.publish(%r, {})" % channel)
            self.assertIn("built-in channel", cm.error.message, channel)
        # A family of its own, even one that starts like a built-in one.
        events = Events(self, self.server, ["custom.*", "tickets.*", "sla.*"])
        for channel in ("custom.ticket.closed", "tickets.closed", "sla.checked"):
            self.assertIsNone(self.eval("crm.publish(%r, {n = 1})" % channel))
            ev = events.next()
            self.assertEqual((ev["channel"], ev["data"]["n"]), (channel, 1), ev)

    def test_eval_syntax_error(self):
        with self.assertRpcError(-32010):
            self.eval("return (")
        self.assertPong(self.c)

    def test_eval_is_admin_only(self):
        server = self.start_rules_server(files=scripts("points.lua"),
                                         tokens=[("agent", "ann"), ("admin", "boss")])
        c = self.connect(server, token=server.tokens["ann"])
        with self.assertRpcError(-32003):
            c.call("script.eval", {"code": "return 1"})
        c = self.connect(server, token=server.tokens["boss"])
        self.assertEqual(c.call("script.eval", {"code": "return 1"}), 1)


class PluginTest(RulesTestCase):
    """plugins/fixture (enabled in the config) and plugins/dormant (not)."""

    CONFIG = "plugin.fixture.enabled yes\nplugin.fixture.greeting Hello\n"

    def setUp(self):
        files = {"plugins/fixture/plugin.lua": fixture("plugin_fixture.lua"),
                 "plugins/dormant/plugin.lua": fixture("plugin_dormant.lua")}
        self.server = self.start_rules_server(files=files, config=self.CONFIG)
        self.c = self.connect(self.server)

    def test_plugin_list(self):
        plugins = {p["name"]: p for p in self.c.call("plugin.list")}
        self.assertEqual(set(plugins), {"fixture", "dormant"}, plugins)
        fx = plugins["fixture"]
        self.assertEqual((fx["version"], fx["enabled"]), ("2.3.4", True), fx)
        self.assertEqual(sorted(fx["methods"]), ["plugin.fixture.hello", "plugin.fixture.spend"])
        self.assertEqual(plugins["dormant"]["enabled"], False, plugins["dormant"])
        self.assertEqual(plugins["dormant"]["methods"], [], plugins["dormant"])

    def test_plugin_method_is_callable(self):
        got = self.c.call("plugin.fixture.hello", {"who": "Ann"})
        self.assertEqual(got["greeting"], "Hello, Ann", got)
        self.assertEqual(got["role"], "admin", got)
        with self.assertRpcError(-32602, param="who"):
            self.c.call("plugin.fixture.hello", {})
        with self.assertRpcError(-32602, param="who"):
            self.c.call("plugin.fixture.hello", {"who": 5})
        with self.assertRpcError(-32601):
            self.c.call("plugin.dormant.poke")
        with self.assertRpcError(-32601):
            self.c.call("plugin.fixture.nope")

    def test_plugin_methods_are_in_rpc_discover(self):
        doc = self.c.call("rpc.discover")
        methods = {m["name"]: m for m in doc["methods"]}
        self.assertIn("plugin.fixture.hello", methods)
        self.assertIn("plugin.fixture.spend", methods)
        self.assertNotIn("plugin.dormant.poke", methods)
        hello = methods["plugin.fixture.hello"]
        self.assertEqual(hello["summary"], "Greets someone", hello)
        params = {p["name"]: p for p in hello["params"]}
        self.assertEqual(set(params), {"who"}, hello)
        self.assertTrue(params["who"]["required"], hello)
        self.assertEqual(params["who"]["schema"].get("type"), "string", hello)

    def test_plugin_method_redeeming_beyond_the_balance_changes_nothing(self):
        c = self.c
        ann = c.call("customer.create", {"name": "Ann"})
        c.call("loyalty.award", {"customer_id": ann["id"], "points": 40, "reason": "welcome"})
        events = Events(self, self.server)
        with self.assertRpcError(-32009) as cm:
            c.call("plugin.fixture.spend", {"customer_id": ann["id"], "points": 41})
        self.assertIn("insufficient_points", json.dumps(cm.error.error), cm.error.error)
        got = c.call("customer.get", {"id": ann["id"]})
        self.assertEqual(got["tags"], [], "the plugin's earlier write is rolled back: %r" % (got,))
        self.assertEqual(got["points"], 40, got)
        c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([e["channel"] for e in evs], ["customer.created"], evs)
        entry = c.call("plugin.fixture.spend", {"customer_id": ann["id"], "points": 40})
        self.assertEqual(entry["customer_id"], ann["id"], entry)
        got = c.call("customer.get", {"id": ann["id"]})
        self.assertEqual((got["tags"], got["points"]), (["spent"], 0), got)


if __name__ == "__main__":
    main()
