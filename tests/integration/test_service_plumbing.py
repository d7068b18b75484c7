"""The shared plumbing of the service families, over the socket.

Who acted: every event's data carries `by` — the token's name for a client's
write, "rule:<file>" for a write a rule made (directly or through crm.call),
"job:<name>" for a scheduled job's write — and a writer's own `by` (an
interaction's handler) is not overwritten.  Interactions: the optional
touchpoint, topic, sentiment, direction, ticket_id and visit_id are checked,
stored and shown only when set; interaction.search finds interactions across
customers, newest first, by text (LIKE wildcards taken literally), type,
touchpoint, topic, sentiment and time, and pages without gaps.  A rule that
hooks an unknown event fails to load (the one event list).
"""

import os

from kithtest import RpcError, main
from rulestest import Events, RulesTestCase, wait_for

RULES = {
    "scripts/award.lua": """
crm.after("customer.created", function(ev)
  if ev.customer.name == "Rule" then crm.loyalty.award(ev.customer.id, 5, "welcome") end
  if ev.customer.name == "Call" then
    crm.call("interaction.log", {customer_id = ev.customer.id, type = "note", summary = "hi"})
  end
end)
crm.job("nightly", function(ctx)
  local c = crm.customer.find({q = "Job"})
  crm.call("customer.update", {id = ctx.args.id, tags = {"touched"}})
  return {done = true}
end)
""",
}


class AuthedEvents(Events):
    """Events on a connection that authenticates first (tokens exist)."""

    def __init__(self, tc, server, token):
        self.tc = tc
        self.client = tc.connect(server, token=token)
        self.seq = self.client.call("subscribe", {"channels": ["*"]})["seq"]
        self.seen = []


class ByTest(RulesTestCase):
    def test_events_name_who_acted(self):
        server = self.start_rules_server(files=RULES, tokens=[("admin", "ann"), ("agent", "bob")])
        admin = self.connect(server, token=server.tokens["ann"])
        agent = self.connect(server, token=server.tokens["bob"])
        events = AuthedEvents(self, server, server.tokens["ann"])
        c1 = agent.call("customer.create", {"name": "Plain"})
        ev = events.until(lambda e: e["channel"] == "customer.created")[-1]
        self.assertEqual(ev["data"]["by"], "bob")
        self.assertEqual(ev["data"]["customer"]["id"], c1["id"])

        agent.call("customer.create", {"name": "Rule"})
        ev = events.until(lambda e: e["channel"] == "loyalty.awarded")[-1]
        self.assertEqual(ev["data"]["by"], "rule:award.lua")

        c3 = agent.call("customer.create", {"name": "Call"})
        ev = events.until(lambda e: e["channel"] == "interaction.logged")[-1]
        self.assertEqual(ev["data"]["by"], "rule:award.lua")
        # The interaction's own `by` (who handled it) is the acting rule too,
        # and is a field of the record, not the event's.
        self.assertEqual(ev["data"]["interaction"]["customer_id"], c3["id"])

        admin.call("schedule.create", {"name": "n1", "every": "1d", "job": "nightly",
                                       "args": {"id": c1["id"]}})
        admin.call("schedule.run", {"name": "n1"})
        ev = events.until(lambda e: e["channel"] == "customer.updated")[-1]
        self.assertEqual(ev["data"]["by"], "job:nightly")
        ran = events.until(lambda e: e["channel"] == "schedule.ran")[-1]
        # The run itself is the scheduler's (schedule.run only makes it due now).
        self.assertEqual(ran["data"]["by"], "system")

        # A replay from seq 0 carries the same `by`.
        replay = self.connect(server, token=server.tokens["ann"])
        replay.call("subscribe", {"channels": ["customer.created"], "since": 0})
        first = replay.read_json()
        self.assertEqual(first["params"]["data"]["by"], "bob")

    def test_unknown_event_fails_the_load(self):
        server = self.start_rules_server(files=RULES)
        c = self.connect(server)
        c.call("script.eval", {"code": "return 1"})
        server.write_files({"scripts/typo.lua": 'crm.on("ticket.closd", function(ev) end)\n'})
        with self.assertRpcError(-32010):
            c.call("script.reload")
        with open(os.path.join(server.tmp, "scripts", "typo.lua"), "w") as f:
            f.write('crm.on("task.cancelled", function(ev) end)\n')
        c.call("script.reload")


class InteractionTagsTest(RulesTestCase):
    def setUp(self):
        self.server = self.start_rules_server()
        self.c = self.connect(self.server)
        self.a = self.c.call("customer.create", {"name": "A"})["id"]
        self.b = self.c.call("customer.create", {"name": "B"})["id"]

    def log(self, cid, summary, at, **extra):
        params = {"customer_id": cid, "type": extra.pop("type", "call"), "summary": summary,
                  "at": at}
        params.update(extra)
        return self.c.call("interaction.log", params)

    def test_fields_are_checked_and_shown_only_when_set(self):
        plain = self.log(self.a, "plain", "2026-11-01T10:00:00Z")
        for k in ("touchpoint", "topic", "sentiment", "direction", "ticket_id", "visit_id"):
            self.assertNotIn(k, plain)
        tagged = self.log(self.a, "late parcel", "2026-11-01T11:00:00Z", touchpoint="after_sales",
                          topic="delivery", sentiment=-0.5, direction="in")
        self.assertEqual((tagged["touchpoint"], tagged["topic"], tagged["sentiment"],
                          tagged["direction"]), ("after_sales", "delivery", -0.5, "in"))
        bad = [({"touchpoint": "After Sales"}, "touchpoint"), ({"topic": ""}, "topic"),
               ({"sentiment": 1.5}, "sentiment"), ({"direction": "sideways"}, "direction"),
               ({"ticket_id": 0}, "ticket_id"), ({"visit_id": -3}, "visit_id")]
        for extra, param in bad:
            with self.assertRpcError(-32602, param=param):
                self.log(self.a, "x", "2026-11-01T12:00:00Z", **extra)
        # Nothing of the refused calls was stored.
        page = self.c.call("interaction.list", {"customer_id": self.a})
        self.assertEqual([i["summary"] for i in page["items"]], ["late parcel", "plain"])

    def test_search_across_customers(self):
        self.log(self.a, "asked about price", "2026-11-01T09:00:00Z", topic="price", sentiment=0.2)
        self.log(self.b, "parcel 100% late", "2026-11-02T09:00:00Z", type="complaint",
                 topic="delivery", touchpoint="after_sales", sentiment=-0.9)
        self.log(self.a, "parcel 1000 late", "2026-11-03T09:00:00Z", topic="delivery",
                 sentiment=-0.2)
        self.log(self.b, "thanks", "2026-11-04T09:00:00Z", type="email")

        def summaries(**params):
            return [i["summary"] for i in self.c.call("interaction.search", params)["items"]]

        self.assertEqual(summaries(), ["thanks", "parcel 1000 late", "parcel 100% late",
                                       "asked about price"])
        self.assertEqual(summaries(q="parcel"), ["parcel 1000 late", "parcel 100% late"])
        self.assertEqual(summaries(q="100%"), ["parcel 100% late"])  # % is literal
        self.assertEqual(summaries(q="0_0"), [])  # _ is literal
        self.assertEqual(summaries(topic="delivery"), ["parcel 1000 late", "parcel 100% late"])
        self.assertEqual(summaries(touchpoint="after_sales"), ["parcel 100% late"])
        self.assertEqual(summaries(type="complaint"), ["parcel 100% late"])
        self.assertEqual(summaries(max_sentiment=-0.2), ["parcel 1000 late", "parcel 100% late"])
        self.assertEqual(summaries(**{"from": "2026-11-02T00:00:00Z", "to": "2026-11-04T00:00:00Z"}),
                         ["parcel 1000 late", "parcel 100% late"])
        # Pages of one walk the whole list once, in order.
        seen, cursor = [], None
        while True:
            params = {"limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = self.c.call("interaction.search", params)
            seen += [i["summary"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, summaries())
        with self.assertRpcError(-32602, param="type"):
            self.c.call("interaction.search", {"type": "fax"})


if __name__ == "__main__":
    main()
