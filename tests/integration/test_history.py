"""History over the socket: the audit trail, the timeline and the lifecycle
stage history (README "History: audit trail, timeline and stages").

- audit.list shows every change with the right `by` and method: a client's
  method (token name), a rule's crm.call inside an after hook and a crm.on
  handler (rule:<file>, the inner method), a job run by a schedule
  (job:<name>); field-level changes for a create, an update and a delete;
  a vetoed request and a conflicting one leave no row; filters (customer,
  record, by, from/to) and paging without gaps or duplicates; bad params.
- Retention: `kithd test-scripts` with audit_retention_days 1 moves the
  clock two days and the upkeep trims the trail.
- customer.timeline: newest first across kinds, equal timestamps ordered
  the same on every page, paging with limit 1 and 2 gives the full list,
  from/to, the kinds filter, an unknown kind (-32602) and an unknown
  customer (-32004).
- Stages: customer.set_stage writes the history with its reason and emits
  customer.stage_changed; an invalid stage changes nothing; viewers may
  not set a stage.

Standard library only.
"""

import os
import subprocess
import time

from kithtest import KITHD, KithTestCase, RpcError, main, short_tmpdir

RULES = r"""
-- A rule's crm.call inside an after hook: a note on every order.
crm.after("order.created", function(ev)
  crm.call("interaction.log", {customer_id = ev.customer.id, type = "note",
                               summary = "order " .. ev.order.id})
end)
-- A crm.on handler: new customers get an owner.
crm.on("customer.created", function(ev)
  if ev.customer.owner == nil then
    crm.customer.update(ev.customer.id, {owner = "desk"})
  end
end)
-- A veto.
crm.before("customer.updated", function(ev)
  if ev.customer.company == "forbidden" then error("no such company") end
end)
-- A job.
crm.job("retag", function(ctx)
  crm.customer.update(ctx.args.id, {company = "Job Co"})
  return {}
end)
"""

CONFIG = "synchronous normal\n"


def poll(fn, what, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class AuditTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(
            tokens=[("admin", "boss"), ("agent", "li"), ("viewer", "vera")],
            files={"scripts/h.lua": RULES}, config_text=CONFIG)
        self.agent = self.connect(self.server, token=self.server.tokens["li"])
        self.admin = self.connect(self.server, token=self.server.tokens["boss"])
        self.viewer = self.connect(self.server, token=self.server.tokens["vera"])

    def audit(self, **params):
        return self.viewer.call("audit.list", params)["items"]

    def test_who_changed_what(self):
        a = self.agent
        cid = a.call("customer.create", {"name": "Wang Fang", "email": "w@x.cn"})["id"]
        # The crm.on handler runs after commit: wait for its update.
        poll(lambda: a.call("customer.get", {"id": cid}).get("owner") == "desk", "the handler")
        order = a.call("order.create", {"customer_id": cid, "amount": 12.5})
        a.call("customer.update", {"id": cid, "phone": "+86 10 1234"})
        self.admin.call("schedule.create", {"name": "retag-now", "every": "1h", "job": "retag",
                                            "args": {"id": cid}})
        self.admin.call("schedule.run", {"name": "retag-now"})
        poll(lambda: a.call("customer.get", {"id": cid}).get("company") == "Job Co", "the job")

        rows = self.audit(customer_id=cid)
        seen = [(r["by"], r["method"], r["type"], r["record"]["kind"]) for r in reversed(rows)]
        self.assertEqual(seen, [
            ("li", "customer.create", "customer.created", "customer"),
            ("rule:h.lua", "customer.update", "customer.updated", "customer"),
            ("li", "order.create", "order.created", "order"),
            ("rule:h.lua", "interaction.log", "interaction.logged", "interaction"),
            ("li", "customer.update", "customer.updated", "customer"),
            ("job:retag", "customer.update", "customer.updated", "customer"),
        ])
        created, handler, ordered = rows[-1], rows[-2], rows[-3]
        self.assertEqual(created["changes"]["name"], {"old": None, "new": "Wang Fang"})
        self.assertEqual(created["changes"]["stage"], {"old": None, "new": "prospect"})
        self.assertEqual(handler["changes"], {"owner": {"old": None, "new": "desk"}})
        self.assertEqual(ordered["record"], {"kind": "order", "id": order["id"]})
        self.assertEqual(ordered["changes"]["amount"], {"old": None, "new": 12.5})
        self.assertEqual(rows[1]["changes"], {"phone": {"old": None, "new": "+86 10 1234"}})
        self.assertEqual(rows[0]["changes"], {"company": {"old": None, "new": "Job Co"}})
        for r in rows:
            self.assertTime(r["at"], "audit at")

        # A transition without a diff shows the status it moved between.
        t = a.call("ticket.create", {"customer_id": cid, "kind": "request", "subject": "invoice"})
        a.call("ticket.accept", {"id": t["id"]})
        trail = self.audit(record={"kind": "ticket", "id": t["id"]})
        self.assertEqual([(r["type"], r["method"]) for r in trail],
                         [("ticket.accepted", "ticket.accept"), ("ticket.created", "ticket.create")])
        self.assertEqual(trail[0]["changes"]["status"], {"old": "new", "new": "open"})
        with self.assertRpcError(-32602, param="limit"):
            self.audit(limit=1001)

        # A delete keeps the old values.
        a.call("customer.delete", {"id": cid})
        gone = self.audit(record={"kind": "customer", "id": cid})[0]
        self.assertEqual((gone["type"], gone["changes"]["name"]),
                         ("customer.deleted", {"old": "Wang Fang", "new": None}))

    def test_imports_are_audited_with_their_token(self):
        r = self.agent.call("customer.import", {"source": "shop", "records": [
            {"name": "Imported One", "external_id": "i-1"}, {"name": "Bad", "email": "nope"}]})
        cid = r["ids"][0]
        # The file's crm.on handler gives new customers an owner after commit.
        poll(lambda: self.agent.call("customer.get", {"id": cid}).get("owner") == "desk",
             "the handler")
        self.agent.call("order.import", {"records": [
            {"customer_external_id": "i-1", "amount": 9, "external_id": "io-1"}]})
        self.agent.call("customer.import", {"records": [{"external_id": "i-1", "owner": "kim"}]})
        rows = self.audit(customer_id=cid)
        seen = [(r["by"], r["method"], r["type"]) for r in reversed(rows)]
        self.assertEqual(seen[0], ("li", "customer.import", "customer.created"))
        self.assertIn(("li", "order.import", "order.created"), seen)
        self.assertIn(("li", "customer.import", "customer.updated"), seen)
        upd = [r for r in rows if r["method"] == "customer.import" and r["type"] == "customer.updated"]
        self.assertEqual(upd[0]["changes"], {"owner": {"old": "desk", "new": "kim"}})
        # The refused record left no row anywhere.
        self.assertEqual([r for r in self.audit() if r["changes"].get("name", {}).get("new") == "Bad"], [])

    def test_a_failed_request_leaves_no_row(self):
        a = self.agent
        cid = a.call("customer.create", {"name": "Li Lei", "external_id": "L1",
                                         "owner": "li"})["id"]
        before = self.audit()
        with self.assertRpcError(-32010):            # vetoed by the before hook
            a.call("customer.update", {"id": cid, "company": "forbidden"})
        with self.assertRpcError(-32009):            # external_id taken
            a.call("customer.create", {"name": "Li Lei again", "external_id": "L1"})
        with self.assertRpcError(-32602):            # bad amount: nothing written
            a.call("order.create", {"customer_id": cid, "amount": "much"})
        self.assertEqual(self.audit(), before)

    def test_filters_and_paging(self):
        a = self.agent
        ids = [a.call("customer.create", {"name": "C%d" % i, "owner": "li"})["id"]
               for i in range(5)]
        for cid in ids:
            a.call("customer.update", {"id": cid, "tags": ["t"]})
        everything = self.audit(limit=1000)
        pages, cursor = [], None
        while True:
            p = {"limit": 3}
            if cursor:
                p["cursor"] = cursor
            page = self.viewer.call("audit.list", p)
            pages += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(pages, everything)
        self.assertEqual(len(everything), 10)
        # Newest first.
        ats = [r["at"] for r in everything]
        self.assertEqual(ats, sorted(ats, reverse=True))
        one = self.audit(record={"kind": "customer", "id": ids[2]})
        self.assertEqual([r["type"] for r in one], ["customer.updated", "customer.created"])
        self.assertEqual(self.audit(by="nobody"), [])
        self.assertEqual(len(self.audit(by="li")), 10)
        self.assertEqual(self.audit(to="2000-01-01T00:00:00Z"), [])
        self.assertEqual(len(self.audit(**{"from": "2000-01-01T00:00:00Z"})), 10)
        with self.assertRpcError(-32602, param="record"):
            self.audit(record={"kind": "customer"})
        with self.assertRpcError(-32602, param="from"):
            self.audit(**{"from": "yesterday-ish"})
        with self.assertRpcError(-32003):
            self.viewer.call("customer.set_stage", {"id": ids[0], "stage": "vip"})


class RetentionTest(KithTestCase):
    def test_upkeep_trims_the_trail(self):
        tmp = short_tmpdir("kith-hist")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", tmp]))
        os.makedirs(os.path.join(tmp, "scripts"))
        with open(os.path.join(tmp, "kith.conf"), "w") as f:
            f.write("audit_retention_days 1\n")
        with open(os.path.join(tmp, "scripts", "retention_test.lua"), "w") as f:
            f.write(r"""
test("the trail keeps audit_retention_days", function()
  local c = crm.call("customer.create", {name = "Old"})
  local n = #crm.call("audit.list", {customer_id = c.id}).items
  assert(n == 1, "rows before: " .. n)
  advance("12h")
  crm.call("customer.update", {id = c.id, phone = "1"})
  advance("14h")                  -- the create is 26h old, the update 14h
  local items = crm.call("audit.list", {customer_id = c.id}).items
  assert(#items == 1 and items[1].type == "customer.updated",
         "rows after a day: " .. #items)
  -- The stage history is not the trail: it is kept.
  assert(#crm.call("customer.stages", {customer_id = c.id}).history == 1)
end)
""")
        p = subprocess.run([KITHD, "test-scripts", "--config", os.path.join(tmp, "kith.conf"),
                            "--scripts", os.path.join(tmp, "scripts")],
                           capture_output=True, timeout=120)
        out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("1 passed, 0 failed", out)


class TimelineTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(tokens=[("agent", "li"), ("viewer", "vera")],
                                        config_text=CONFIG)
        self.agent = self.connect(self.server, token=self.server.tokens["li"])
        self.viewer = self.connect(self.server, token=self.server.tokens["vera"])

    def timeline(self, **p):
        return self.viewer.call("customer.timeline", p)

    def test_across_kinds(self):
        a = self.agent
        cid = a.call("customer.create", {"name": "Zhang Wei"})["id"]
        t1, t2, t3 = "2026-01-01T10:00:00.000Z", "2026-02-01T10:00:00.000Z", \
            "2026-03-01T10:00:00.000Z"
        a.call("interaction.log", {"customer_id": cid, "type": "call", "summary": "hello",
                                   "at": t1})
        # Three records at one time: their order is fixed (kind, then id).
        a.call("order.create", {"customer_id": cid, "amount": 20, "at": t2})
        a.call("order.create", {"customer_id": cid, "amount": 30, "at": t2})
        a.call("interaction.log", {"customer_id": cid, "type": "note", "summary": "same time",
                                   "at": t2})
        a.call("interaction.log", {"customer_id": cid, "type": "email", "summary": "later",
                                   "at": t3})
        a.call("loyalty.award", {"customer_id": cid, "points": 10, "reason": "welcome"})
        a.call("task.create", {"customer_id": cid, "note": "call back", "due": "1d"})
        a.call("customer.set_stage", {"id": cid, "stage": "vip", "reason": "big deal"})

        full = self.timeline(customer_id=cid, limit=1000)
        self.assertIsNone(full["next_cursor"])
        items = full["items"]
        kinds = [i["kind"] for i in items]
        self.assertEqual(sorted(kinds), sorted(["interaction"] * 3 + ["order"] * 2 +
                                               ["loyalty", "task", "stage", "stage"]))
        keys = [(i["at"], i["kind"], i["id"]) for i in items]
        self.assertEqual(len(set(keys)), len(keys))
        ats = [i["at"] for i in items]
        self.assertEqual(ats, sorted(ats, reverse=True))
        at_t2 = [(i["kind"], i["summary"]) for i in items if i["at"] == t2]
        self.assertEqual(at_t2, [("order", "USD 30.00"), ("order", "USD 20.00"),
                                 ("interaction", "note: same time")])
        self.assertEqual(items[-1]["summary"], "call: hello")
        stage = [i for i in items if i["kind"] == "stage"][0]
        self.assertEqual(stage["record"]["reason"], "big deal")
        self.assertEqual(stage["summary"], "prospect -> vip (big deal)")

        for limit in (1, 2, 3):
            got, cursor = [], None
            while True:
                p = {"customer_id": cid, "limit": limit}
                if cursor:
                    p["cursor"] = cursor
                page = self.timeline(**p)
                got += page["items"]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            self.assertEqual(got, items, "limit %d" % limit)

        window = self.timeline(customer_id=cid, **{"from": t2, "to": t3})["items"]
        self.assertEqual([i["at"] for i in window], [t2] * 3)
        only = self.timeline(customer_id=cid, kinds=["order", "stage"])["items"]
        self.assertEqual({i["kind"] for i in only}, {"order", "stage"})
        self.assertEqual(len(only), 4)
        with self.assertRpcError(-32602, param="kinds"):
            self.timeline(customer_id=cid, kinds=["order", "deal"])
        with self.assertRpcError(-32004):
            self.timeline(customer_id=cid + 1000)

        # The CLI view: one line per entry, within 80 columns, newest first.
        a.call("interaction.log", {"customer_id": cid, "type": "note",
                                   "summary": "a very long note " * 20})
        p = subprocess.run([os.path.join(os.path.dirname(KITHD), "kith"), "--unix",
                            self.server.unix_path, "timeline", str(cid), "--limit", "3"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, KITH_TOKEN=self.server.tokens["vera"]))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.rstrip("\n").split("\n")
        self.assertTrue(all(len(l) <= 80 for l in lines), p.stdout)
        self.assertEqual(len(lines), 2 + 3 + 1, p.stdout)   # header, rule, 3 rows, "more"
        note = [l for l in lines if "note: a very long note" in l]
        self.assertEqual(len(note), 1, p.stdout)
        self.assertTrue(note[0].endswith("..."), note[0])
        self.assertIn("(more than 3; see more with --limit)", p.stdout)


class StagesTest(KithTestCase):
    def test_set_stage_history_and_event(self):
        server = self.start_server(tokens=[("agent", "li")], config_text=CONFIG)
        a = self.connect(server, token=server.tokens["li"])
        sub = self.connect(server, token=server.tokens["li"])
        sub.call("subscribe", {"channels": ["customer.stage_changed"]})
        cid = a.call("customer.create", {"name": "Chen Jing"})["id"]
        c = a.call("customer.set_stage", {"id": cid, "stage": "lead", "reason": "asked for a quote"})
        self.assertEqual(c["stage"], "lead")
        ev = sub.read_json()            # the create's first stage is no change
        d = ev["params"]["data"]
        self.assertEqual((d["from"], d["to"], d["reason"], d["by"], d["customer"]["id"]),
                         ("prospect", "lead", "asked for a quote", "li", cid))
        with self.assertRpcError(-32602, param="stage"):
            a.call("customer.set_stage", {"id": cid, "stage": "Not A Stage"})
        with self.assertRpcError(-32004):
            a.call("customer.set_stage", {"id": cid + 99, "stage": "lead"})
        a.call("customer.update", {"id": cid, "stage": "customer"})   # no reason given
        st = a.call("customer.stages", {"customer_id": cid})
        self.assertEqual(st["stage"], "customer")
        self.assertEqual([(h["from"], h["to"], h["reason"]) for h in st["history"]],
                         [(None, "prospect", "created"), ("prospect", "lead", "asked for a quote"),
                          ("lead", "customer", None)])
        self.assertIsNone(st["history"][-1]["duration_s"])
        self.assertGreaterEqual(st["history"][0]["duration_s"], 0)
        self.assertEqual(set(st["time_in_stage_s"]), {"prospect", "lead", "customer"})
        d = a.call("customer.stages", {})["stage_durations"]
        self.assertEqual((d["prospect"]["n"], d["lead"]["n"], d["customer"]["current"]),
                         (1, 1, 1))


if __name__ == "__main__":
    main()
