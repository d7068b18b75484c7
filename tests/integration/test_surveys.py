"""Surveys over the socket (CONTRACT.md section 6, DOMAIN.md 2.2).

  * Definitions: draft -> active -> closed -> active; only drafts change
    (-32009 invalid_transition with data.status, nothing changed); admin
    defines, agent sends and answers, viewer reads.
  * Answers checked per question type (-32602, data.param "answers.<key>"),
    already_answered, survey_closed, invitation_expired, invitation_declined.
  * A survey sent to a segment of 1,000 (a test rules dir with crm.segment
    and crm.survey.define), answered by a scripted mix: NPS, CSAT, CES, the
    per-question numbers and every driver's mean, Pearson correlation
    (statistics.correlation) and quadrant are computed here independently
    and survey.results must reproduce them to 1e-9.
  * The quiet period shared across surveys; already_invited.
  * An invitation's send time and expiry each fire exactly once, across
    kill -9 (short durations).
  * Events carry `by`; replay with `since`; a crm.before hook enriches and
    vetoes survey.answered.

Standard library only.
"""

import json
import random
import statistics
import subprocess
import time

from kithtest import KITH, KithTestCase, main

CONFIG = "synchronous full\nwatch_scripts 0\n"

QUESTIONS = [
    {"key": "overall", "text": "Overall?", "type": "rating", "overall": True, "required": True},
    {"key": "recommend", "text": "Recommend us?", "type": "nps"},
    {"key": "effort", "text": "Easy?", "type": "ces"},
    {"key": "quality", "text": "Quality?", "type": "rating", "dimension": "product_quality"},
    {"key": "price", "text": "Price?", "type": "rating", "dimension": "price"},
    {"key": "delivery", "text": "Delivery?", "type": "rating", "dimension": "delivery"},
    {"key": "staff", "text": "Staff?", "type": "rating", "dimension": "service_attitude"},
    {"key": "topic", "text": "About?", "type": "choice", "options": ["shop", "web"]},
    {"key": "liked", "text": "Liked?", "type": "multi", "options": ["a", "b", "c"]},
    {"key": "again", "text": "Again?", "type": "yesno"},
    {"key": "spent", "text": "Spent?", "type": "number"},
    {"key": "why", "text": "Why?", "type": "text"},
]

RULES = {
    "scripts/panel.lua": """
crm.segment("panel", "the survey panel", function(c, s)
  return c.attrs ~= nil and c.attrs.panel == true
end)
crm.survey.define {
  name = "panel_csat", title = "Panel", kind = "csat", quiet_days = 30,
  questions = {
    { key = "overall", text = "Overall?", type = "rating", overall = true, required = true },
    { key = "recommend", text = "Recommend?", type = "nps" },
    { key = "effort", text = "Easy?", type = "ces" },
    { key = "quality", text = "Quality?", type = "rating", dimension = "product_quality" },
    { key = "price", text = "Price?", type = "rating", dimension = "price" },
    { key = "delivery", text = "Delivery?", type = "rating", dimension = "delivery" },
    { key = "staff", text = "Staff?", type = "rating", dimension = "service_attitude" },
  },
}
crm.survey.define {
  name = "panel_nps", title = "Panel NPS", kind = "nps",
  questions = { { key = "recommend", text = "Recommend?", type = "nps", overall = true } },
}
crm.before("survey.answered", function(ev)
  if ev.response.comment == "veto" then error("vetoed by the rule") end
  ev.response.attrs = { seen_by_rule = true, customer_name = ev.customer and ev.customer.name }
end)
""",
}


def token_of(server, name):
    return server.tokens[name]


def define(c, name="svc", kind="csat", questions=None, **extra):
    p = {"name": name, "title": name.title(), "kind": kind, "questions": questions or QUESTIONS}
    p.update(extra)
    return c.call("survey.create", p)


class SurveyDefinitionTest(KithTestCase):

    def setUp(self):
        self.server = self.start_server(config_text=CONFIG, tokens=[
            ("admin", "boss"), ("agent", "ann"), ("viewer", "vic")])
        t = self.server.tokens
        self.admin = self.connect(self.server, token=t["boss"])
        self.agent = self.connect(self.server, token=t["ann"])
        self.viewer = self.connect(self.server, token=t["vic"])

    def test_lifecycle_only_drafts_change_and_roles(self):
        with self.assertRpcError(-32003):
            define(self.agent)
        sv = define(self.admin)
        self.assertEqual(sv["status"], "draft", sv)
        self.assertEqual(sv["created_by"], "boss", sv)
        self.assertEqual(sv["quiet_days"], 30, sv)
        sv = self.admin.call("survey.update", {"name": "svc", "title": "Better", "attrs": {"a": 1}})
        self.assertEqual((sv["title"], sv["attrs"]), ("Better", {"a": 1}), sv)
        with self.assertRpcError(-32009) as e:
            define(self.admin)  # the name is taken
        with self.assertRpcError(-32003):
            self.viewer.call("survey.activate", {"name": "svc"})
        sv = self.admin.call("survey.activate", {"name": "svc"})
        self.assertEqual(sv["status"], "active", sv)
        self.assertTime(sv["activated_at"], "activated_at")
        for method, params in (("survey.update", {"name": "svc", "title": "Worse"}),
                               ("survey.delete", {"name": "svc"}),
                               ("survey.activate", {"name": "svc"})):
            with self.assertRpcError(-32009) as e:
                self.admin.call(method, params)
            self.assertEqual(e.error.data.get("reason"), "invalid_transition", method)
            self.assertEqual(e.error.data.get("status"), "active", method)
        self.assertEqual(self.viewer.call("survey.get", {"name": "svc"})["title"], "Better")
        self.assertEqual(self.admin.call("survey.close", {"name": "svc"})["status"], "closed")
        with self.assertRpcError(-32009) as e:
            self.admin.call("survey.close", {"name": "svc"})
        self.assertEqual(e.error.data.get("status"), "closed")
        self.assertEqual(self.admin.call("survey.activate", {"name": "svc"})["status"], "active")
        items = self.viewer.call("survey.list", {"status": "active"})["items"]
        self.assertEqual([s["name"] for s in items], ["svc"])
        # A draft goes.
        define(self.admin, name="tmp")
        self.admin.call("survey.delete", {"name": "tmp"})
        with self.assertRpcError(-32004):
            self.viewer.call("survey.get", {"name": "tmp"})

    def test_definition_errors_name_the_param(self):
        bad = [
            ({"questions": [{"key": "x", "text": "?", "type": "stars"}]}, "questions[0]"),
            ({"questions": [{"key": "x", "text": "?", "type": "choice"}]}, "questions[0]"),
            ({"questions": [QUESTIONS[0], dict(QUESTIONS[0])]}, "questions[1]"),
            ({"questions": [{"key": "x", "text": "?", "type": "text", "dimension": "price"}]},
             "questions[0]"),
            ({"questions": [{"key": "x", "text": "?", "type": "rating", "colour": "red"}]},
             "questions[0]"),
            ({"kind": "nps", "questions": [QUESTIONS[0]]}, "questions"),
            ({"kind": "loud"}, "kind"),
            ({"name": "Bad Name"}, "name"),
            ({"quiet_days": -1}, "quiet_days"),
        ]
        for change, param in bad:
            p = {"name": "svc", "title": "T", "kind": "csat", "questions": QUESTIONS}
            p.update(change)
            with self.assertRpcError(-32602, param=param):
                self.admin.call("survey.create", p)
        self.assertEqual(self.viewer.call("survey.list")["items"], [])


class SurveyAnswerTest(KithTestCase):

    def setUp(self):
        self.server = self.start_server(config_text=CONFIG)
        self.c = self.connect(self.server)
        define(self.c)
        self.c.call("survey.activate", {"name": "svc"})
        self.cust = self.c.call("customer.create", {"name": "Ada"})

    def send(self, cid=None, **extra):
        p = {"survey": "svc", "customer_id": cid or self.cust["id"]}
        p.update(extra)
        return self.c.call("survey.send", p)

    def test_answers_are_checked_per_question(self):
        good = {"overall": 4, "recommend": 9, "effort": 2, "topic": "web", "liked": ["a", "c"],
                "again": True, "spent": 12.5, "why": "fine"}
        bad = [
            ({"overall": 6}, "answers.overall"),
            ({"overall": 3.5}, "answers.overall"),
            ({"recommend": 11}, "answers.recommend"),
            ({"recommend": -1}, "answers.recommend"),
            ({"effort": 0}, "answers.effort"),
            ({"effort": 8}, "answers.effort"),
            ({"topic": "phone"}, "answers.topic"),
            ({"liked": ["a", "z"]}, "answers.liked"),
            ({"liked": "a"}, "answers.liked"),
            ({"again": "yes"}, "answers.again"),
            ({"spent": "12"}, "answers.spent"),
            ({"why": "x" * 10001}, "answers.why"),
            ({"bogus": 1}, "answers.bogus"),
            ({"overall": None}, "answers.overall"),  # required
        ]
        for change, param in bad:
            answers = dict(good)
            answers.update(change)
            with self.assertRpcError(-32602, param=param):
                self.c.call("survey.respond", {"survey": "svc", "customer_id": self.cust["id"],
                                               "answers": answers})
        self.assertEqual(self.c.call("survey.responses", {"survey": "svc"})["items"], [])
        r = self.c.call("survey.respond", {"survey": "svc", "customer_id": self.cust["id"],
                                           "answers": good, "comment": "ok", "channel": "web"})
        self.assertEqual(r["answers"], good, r)
        self.assertEqual(r["scores"]["overall"], 4, r)
        self.assertEqual(r["scores"]["nps_class"], "promoter", r)
        self.assertEqual(r["scores"]["csat"], 4, r)
        self.assertEqual(r["scores"]["ces"], 2, r)
        stats = self.c.call("customer.get", {"id": self.cust["id"]})["stats"]
        self.assertEqual((stats["surveys_answered"], stats["last_nps"], stats["last_csat"],
                          stats["last_ces"]), (1, 9, 4, 2), stats)
        with self.assertRpcError(-32009) as e:
            self.c.call("survey.respond", {"survey": "svc", "customer_id": self.cust["id"],
                                           "answers": good})
        self.assertEqual(e.error.data.get("reason"), "already_answered")

    def test_token_answers_once_and_refusals(self):
        inv = self.send(channel="email", context={"order_id": 7})
        self.assertEqual(inv["invited"], 1, inv)
        token = inv["invitations"][0]["token"]
        self.assertRegex(token, r"^[0-9a-f]{32}$")
        listed = self.c.call("survey.invitations", {"survey": "svc"})["items"]
        self.assertEqual(listed[0]["status"], "sent", listed)
        self.assertNotIn("token", listed[0], "lists never show the token")
        r = self.c.call("survey.respond", {"survey": "svc", "token": token,
                                           "answers": {"overall": 2}})
        self.assertEqual(r["customer_id"], self.cust["id"], r)
        self.assertEqual(r["channel"], "email", "the invitation's channel: %r" % (r,))
        self.assertEqual(r["context"], {"order_id": 7}, r)
        with self.assertRpcError(-32009) as e:
            self.c.call("survey.respond", {"survey": "svc", "token": token,
                                           "answers": {"overall": 2}})
        self.assertEqual((e.error.data.get("reason"), e.error.data.get("status")),
                         ("already_answered", "answered"))
        # Declined, then expired.
        bob = self.c.call("customer.create", {"name": "Bob"})
        token = self.send(bob["id"])["invitations"][0]["token"]
        self.assertEqual(self.c.call("survey.decline", {"token": token})["status"], "declined")
        with self.assertRpcError(-32009) as e:
            self.c.call("survey.respond", {"survey": "svc", "token": token,
                                           "answers": {"overall": 2}})
        self.assertEqual(e.error.data.get("reason"), "invitation_declined")
        with self.assertRpcError(-32009) as e:
            self.c.call("survey.decline", {"token": token})
        self.assertEqual(e.error.data.get("reason"), "invalid_transition")
        cy = self.c.call("customer.create", {"name": "Cy"})
        token = self.send(cy["id"], expires_in="1s")["invitations"][0]["token"]
        time.sleep(1.3)
        with self.assertRpcError(-32009) as e:
            self.c.call("survey.respond", {"survey": "svc", "token": token,
                                           "answers": {"overall": 2}})
        self.assertEqual(e.error.data.get("reason"), "invitation_expired")
        # Closed.
        self.c.call("survey.close", {"name": "svc"})
        with self.assertRpcError(-32009) as e:
            self.c.call("survey.respond", {"survey": "svc", "customer_id": bob["id"],
                                           "answers": {"overall": 2}})
        self.assertEqual((e.error.data.get("reason"), e.error.data.get("status")),
                         ("survey_closed", "closed"))
        with self.assertRpcError(-32009) as e:
            self.send(bob["id"])
        self.assertEqual(e.error.data.get("reason"), "survey_closed")

    def test_quiet_period_is_shared_across_surveys(self):
        define(self.c, name="other", quiet_days=10)
        self.c.call("survey.activate", {"name": "other"})
        self.send()
        out = self.c.call("survey.send", {"survey": "other", "customer_ids": [self.cust["id"], 999999]})
        self.assertEqual(out["invited"], 0, out)
        self.assertEqual(sorted((s["customer_id"], s["reason"]) for s in out["suppressed"]),
                         [(self.cust["id"], "quiet_period"), (999999, "not_found")], out)
        out = self.send()
        self.assertEqual(out["suppressed"], [{"customer_id": self.cust["id"],
                                              "reason": "already_invited"}], out)
        # Outside the other survey's 10 days it goes out.
        out = self.c.call("survey.send", {"survey": "other", "customer_id": self.cust["id"],
                                          "send_at": "11d"})
        self.assertEqual((out["invited"], out["invitations"][0]["status"]), (1, "pending"), out)
        supp = self.c.call("survey.invitations", {"status": "suppressed"})["items"]
        self.assertEqual(sorted(s["suppressed_reason"] for s in supp),
                         ["already_invited", "quiet_period"], supp)


    def test_cli_results_with_an_ascii_nps_chart(self):
        for i, score in enumerate([0, 6, 7, 9, 10, 10]):
            cust = self.c.call("customer.create", {"name": "C%d" % i})
            self.c.call("survey.respond", {"survey": "svc", "customer_id": cust["id"],
                                           "answers": {"overall": 5, "recommend": score}})
        argv = [KITH, "--unix", self.server.unix_path, "survey", "results", "svc"]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn("NPS   +16.7  (promoters 3, passives 1, detractors 2)", out)
        self.assertIn("CSAT  100.0%", out)
        self.assertIn(" 10 |" + "#" * 40 + " 2", out)
        self.assertIn("  9 |" + "#" * 20 + " 1", out)
        self.assertIn("  8 | 0", out)
        self.assertNotIn("\033", out, "no colour when stdout is not a terminal")
        p = subprocess.run(argv + ["--json"], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60)
        self.assertEqual(json.loads(p.stdout)["nps"]["promoters"], 3)


class SurveySegmentResultsTest(KithTestCase):

    def test_segment_of_1000_results_match_an_independent_computation(self):
        server = self.start_server(config_text=CONFIG, files=RULES)
        c = self.connect(server)
        sv = c.call("survey.get", {"name": "panel_csat"})
        self.assertEqual(sv["status"], "active", "crm.survey.define creates and activates: %r" % sv)
        self.assertEqual(sv["created_by"], "rule:" + server.scripts_dir + "/panel.lua", sv)
        ids = []
        for start in range(0, 1000, 250):
            res = c.call_many([("customer.create", {"name": "P%d" % i, "attrs": {"panel": True}})
                               for i in range(start, start + 250)])
            ids += [r["id"] for r in res]
        self.assertEqual(len(ids), 1000)
        out = c.call("survey.send", {"survey": "panel_csat", "segment": "panel"})
        self.assertEqual((out["invited"], out["suppressed"]), (1000, []), out["suppressed"][:3])
        tokens = {i["customer_id"]: i["token"] for i in out["invitations"]}

        rng = random.Random(20261204)
        rows = []
        for cid in ids[:900]:
            overall = rng.randint(1, 5)
            ans = {
                "overall": overall,
                "recommend": max(0, min(10, 2 * overall + rng.randint(-2, 1))),
                "effort": rng.randint(1, 7),
                "quality": max(1, min(5, overall + rng.randint(-1, 1))),    # strong
                "price": rng.randint(1, 5),                                 # noise
                "delivery": max(1, min(5, 6 - overall + rng.randint(-1, 1))),  # negative
                "staff": max(1, min(5, overall + rng.randint(-2, 2))),      # medium
            }
            rows.append((cid, ans, "web" if cid % 2 else "phone"))
        for start in range(0, len(rows), 150):
            res = c.call_many([("survey.respond", {"survey": "panel_csat", "token": tokens[cid],
                                                   "answers": ans, "channel": ch})
                               for cid, ans, ch in rows[start:start + 150]])
            bad = [r for r in res if not isinstance(r, dict)]
            self.assertEqual(bad, [], bad[:3])

        got = c.call("survey.results", {"survey": "panel_csat", "group_by": "channel",
                                        "interval": "day"})
        n = len(rows)

        def near(a, b, what):
            self.assertIsNotNone(a, what)
            self.assertLessEqual(abs(a - b), 1e-9, "%s: got %r, want %r" % (what, a, b))

        self.assertEqual(got["n"], n)
        near(got["response_rate"], 0.9, "response_rate")
        nps = [a["recommend"] for _, a, _ in rows]
        p = sum(1 for x in nps if x >= 9)
        d = sum(1 for x in nps if x <= 6)
        self.assertEqual((got["nps"]["promoters"], got["nps"]["passives"], got["nps"]["detractors"]),
                         (p, n - p - d, d), got["nps"])
        near(got["nps"]["score"], 100.0 * (p - d) / n, "nps")
        near(got["csat_pct"], 100.0 * sum(1 for _, a, _ in rows if a["overall"] >= 4) / n, "csat")
        near(got["ces_mean"], statistics.fmean(a["effort"] for _, a, _ in rows), "ces")
        q = got["questions"]["overall"]
        self.assertEqual(q["n"], n)
        near(q["mean"], statistics.fmean(a["overall"] for _, a, _ in rows), "overall mean")
        self.assertEqual(q["distribution"],
                         {str(v): sum(1 for _, a, _ in rows if a["overall"] == v) for v in range(1, 6)})
        near(q["top2_pct"], got["csat_pct"], "top2")

        overall = [a["overall"] for _, a, _ in rows]
        want = []
        for key, dim in (("quality", "product_quality"), ("price", "price"),
                         ("delivery", "delivery"), ("staff", "service_attitude")):
            xs = [a[key] for _, a, _ in rows]
            want.append({"dimension": dim, "n": n, "mean": statistics.fmean(xs),
                         "correlation": statistics.correlation(xs, overall)})
        # The documented split: important = r >= median r, high = mean
        # (as a fraction of the 1-5 scale) >= its median.
        mc = statistics.median(w["correlation"] for w in want)
        mm = statistics.median((w["mean"] - 1) / 4 for w in want)
        for w in want:
            imp, high = w["correlation"] >= mc, (w["mean"] - 1) / 4 >= mm
            w["quadrant"] = {(True, False): "fix_first", (True, True): "keep",
                             (False, False): "secondary", (False, True): "overdone"}[(imp, high)]
        order = ["fix_first", "keep", "secondary", "overdone"]
        want.sort(key=lambda w: (order.index(w["quadrant"]), -w["correlation"]))
        self.assertEqual([(g["dimension"], g["quadrant"]) for g in got["drivers"]],
                         [(w["dimension"], w["quadrant"]) for w in want], got["drivers"])
        for g, w in zip(got["drivers"], want):
            self.assertEqual(g["n"], w["n"])
            near(g["mean"], w["mean"], g["dimension"] + " mean")
            near(g["correlation"], w["correlation"], g["dimension"] + " r")

        self.assertEqual(sum(t["n"] for t in got["trend"]), n, got["trend"])
        groups = {g["channel"]: g for g in got["groups"]}
        for ch in ("web", "phone"):
            sub = [a["recommend"] for _, a, c2 in rows if c2 == ch]
            self.assertEqual(groups[ch]["n"], len(sub))
            near(groups[ch]["nps"], 100.0 * (sum(1 for x in sub if x >= 9)
                                              - sum(1 for x in sub if x <= 6)) / len(sub),
                 ch + " nps")

        # The before hook enriched every response; a veto writes nothing.
        r = c.call("survey.responses", {"survey": "panel_csat", "limit": 1})["items"][0]
        self.assertTrue(r["attrs"]["seen_by_rule"], r)
        with self.assertRpcError(-32010):
            c.call("survey.respond", {"survey": "panel_csat", "token": tokens[ids[950]],
                                      "answers": {"overall": 3}, "comment": "veto"})
        self.assertEqual(c.call("survey.results", {"survey": "panel_csat"})["n"], n)
        # Everyone was invited a moment ago: the other survey is suppressed.
        out = c.call("survey.send", {"survey": "panel_nps", "segment": "panel"})
        self.assertEqual(out["invited"], 0)
        self.assertEqual({s["reason"] for s in out["suppressed"]}, {"quiet_period"})
        self.assertEqual(len(out["suppressed"]), 1000)


class SurveyDueTest(KithTestCase):

    def events_since(self, server, since, inv_id):
        token = server.tokens["ann"]
        c = self.connect(server, token=token)
        reply = c.call("subscribe", {"channels": ["survey.*", "customer.created"], "since": since})
        marker = self.connect(server, token=token).call("customer.create", {"name": "marker"})
        evs = []
        while True:
            msg = c.read_json(60)
            if msg.get("method") != "event":
                continue
            ev = msg["params"]
            if ev["channel"] == "customer.created" and ev["data"]["customer"]["id"] == marker["id"]:
                break
            evs.append(ev)
        c.close()
        self.assertTrue(reply["channels"])
        return [e for e in evs if e["data"].get("invitation", {}).get("id") == inv_id]

    def test_send_and_expiry_fire_once_across_kill9(self):
        server = self.start_server(config_text=CONFIG, tokens=[("agent", "ann"), ("admin", "boss")])
        c = self.connect(server, token=server.tokens["boss"])
        since = c.call("subscribe", {"channels": ["survey.*"]})["seq"]
        c.close()
        c = self.connect(server, token=server.tokens["boss"])
        define(c)
        c.call("survey.activate", {"name": "svc"})
        cust = c.call("customer.create", {"name": "Dee"})
        agent = self.connect(server, token=server.tokens["ann"])
        out = agent.call("survey.send", {"survey": "svc", "customer_id": cust["id"],
                                         "send_at": "2s", "expires_in": "3s"})
        inv = out["invitations"][0]
        self.assertEqual(inv["status"], "pending", out)
        server.kill9()
        time.sleep(2.5)  # the send time passes while nothing runs
        server.start()
        deadline = time.time() + 30
        c = self.connect(server, token=server.tokens["ann"])
        while c.call("survey.invitations", {"customer_id": cust["id"]})["items"][0]["status"] != "sent":
            self.assertLess(time.time(), deadline, "not sent after the restart")
            time.sleep(0.05)
        server.kill9()
        time.sleep(3.5)  # and the expiry
        server.start()
        c = self.connect(server, token=server.tokens["ann"])
        deadline = time.time() + 30
        while c.call("survey.invitations", {"customer_id": cust["id"]})["items"][0]["status"] != "expired":
            self.assertLess(time.time(), deadline, "not expired after the restart")
            time.sleep(0.05)
        server.restart()
        evs = self.events_since(server, since, inv["id"])
        kinds = [e["channel"] for e in evs]
        self.assertEqual(kinds, ["survey.invited", "survey.expired"], kinds)
        invited = evs[0]["data"]
        self.assertEqual(invited["invitation"]["token"], inv["token"], "the token goes out")
        self.assertEqual(invited["customer"]["id"], cust["id"])
        self.assertEqual(invited["by"], "system", invited)
        self.assertNotIn("token", evs[1]["data"]["invitation"])
        # Survey events of the admin's writes carry the token name as by.
        c = self.connect(server, token=token_of(server, "ann"))
        c.call("subscribe", {"channels": ["survey.activated"], "since": since})
        msg = c.read_json(30)
        self.assertEqual(msg["params"]["data"]["by"], "boss", msg)
        self.assertEqual(msg["params"]["data"]["survey"]["name"], "svc", msg)


if __name__ == "__main__":
    main()
