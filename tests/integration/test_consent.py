"""Consent over the socket.

What users rely on: each answer is kept with its source and time and never
overwritten (the history is the evidence); the newest answer for a purpose
and channel — or for the purpose on "any" channel — decides; with no answer,
service and survey messages are allowed and marketing and profiling are not;
survey invitations honour a withdrawal (suppressed with reason no_consent);
rules ask the same question with crm.consent; bad input is refused.
"""

from kithtest import KithTestCase, main
from rulestest import Events


class ConsentTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)
        self.cid = self.c.call("customer.create", {"name": "Chen Jing"})["id"]

    def check(self, purpose, channel):
        r = self.c.call("consent.check", {"customer_id": self.cid, "purpose": purpose,
                                          "channel": channel})
        return r["allowed"], r["reason"]

    def test_defaults_history_and_any(self):
        self.assertEqual(self.check("service", "sms"), (True, "default"))
        self.assertEqual(self.check("survey", "email"), (True, "default"))
        self.assertEqual(self.check("marketing", "email"), (False, "no_consent"))
        events = Events(self, self.server, channels=("consent.*",))
        self.c.call("consent.set", {"customer_id": self.cid, "purpose": "marketing",
                                    "channel": "email", "granted": True, "source": "web form",
                                    "evidence": "form 77", "at": "2026-01-01T00:00:00.000Z"})
        ev = events.next()
        self.assertEqual((ev["channel"], ev["data"]["consent"]["source"], ev["data"]["by"]),
                         ("consent.changed", "web form", "local"))
        self.assertEqual(self.check("marketing", "email"), (True, "granted"))
        self.assertEqual(self.check("marketing", "sms"), (False, "no_consent"))
        # A later withdrawal on every channel wins over the earlier grant.
        self.c.call("consent.set", {"customer_id": self.cid, "purpose": "marketing",
                                    "channel": "any", "granted": False, "source": "call",
                                    "at": "2026-02-01T00:00:00.000Z"})
        self.assertEqual(self.check("marketing", "email"), (False, "no_consent"))
        # An answer recorded late but given earlier does not override the newer one.
        self.c.call("consent.set", {"customer_id": self.cid, "purpose": "marketing",
                                    "channel": "email", "granted": True, "source": "paper",
                                    "at": "2026-01-15T00:00:00.000Z"})
        self.assertEqual(self.check("marketing", "email"), (False, "no_consent"))
        lst = self.c.call("consent.list", {"customer_id": self.cid})
        self.assertEqual(len(lst["history"]), 3)
        self.assertEqual([h["source"] for h in lst["history"]], ["call", "paper", "web form"])
        self.assertEqual(sorted((x["channel"], x["granted"]) for x in lst["current"]),
                         [("any", False), ("email", True)])

    def test_bad_input(self):
        with self.assertRpcError(-32602, param="purpose"):
            self.c.call("consent.set", {"customer_id": self.cid, "purpose": "spam",
                                        "channel": "email", "granted": True})
        with self.assertRpcError(-32602, param="channel"):
            self.c.call("consent.check", {"customer_id": self.cid, "purpose": "survey",
                                          "channel": "fax"})
        with self.assertRpcError(-32602, param="granted"):
            self.c.call("consent.set", {"customer_id": self.cid, "purpose": "survey",
                                        "channel": "email", "granted": "yes"})
        with self.assertRpcError(-32004):
            self.c.call("consent.set", {"customer_id": 999, "purpose": "survey",
                                        "channel": "email", "granted": True})
        self.assertEqual(self.c.call("consent.list", {"customer_id": self.cid})["history"], [])

    def test_survey_invitations_and_rules_honour_it(self):
        other = self.c.call("customer.create", {"name": "Other"})["id"]
        self.c.call("survey.create", {"name": "csat", "title": "How did we do?", "kind": "csat",
                                      "questions": [{"key": "score", "text": "Score?",
                                                     "type": "rating", "overall": True}]})
        self.c.call("survey.activate", {"name": "csat"})
        self.c.call("consent.set", {"customer_id": self.cid, "purpose": "survey",
                                    "channel": "sms", "granted": False, "source": "reply STOP"})
        r = self.c.call("survey.send", {"survey": "csat", "customer_ids": [self.cid, other],
                                        "channel": "sms"})
        self.assertEqual(r["suppressed"], [{"customer_id": self.cid, "reason": "no_consent"}])
        self.assertEqual(r["invited"], 1)
        # By e-mail they did not object.
        r = self.c.call("survey.send", {"survey": "csat", "customer_id": self.cid, "channel": "email"})
        self.assertEqual(r["invited"], 1)
        got = self.c.call("script.eval", {"code": "local a, r = crm.consent(%d, 'survey', 'sms') "
                                                  "return {a, r}" % self.cid})
        self.assertEqual(got, [False, "no_consent"])


if __name__ == "__main__":
    main()
