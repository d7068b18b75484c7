"""Comparable e-mail and phone forms kept by core (email_norm, phone_norm):
customer.get by email finds "Ann@Example.COM " as ann@example.com without
any rule, the form follows updates, and an address that is not one is still
refused (the cleaning rule's chance to fix it comes before the check)."""

from kithtest import KithTestCase, main


class NormaliseTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_email_lookup_compares_normal_forms(self):
        cid = self.c.call("customer.create", {"name": "Ann", "email": "Ann@Example.COM"})["id"]
        self.assertEqual(self.c.call("customer.get", {"email": "ann@example.com"})["id"], cid)
        self.assertEqual(self.c.call("customer.get", {"email": "ANN@EXAMPLE.COM"})["id"], cid)
        # Written without a rule, the value stays as given.
        self.assertEqual(self.c.call("customer.get", {"id": cid})["email"], "Ann@Example.COM")

    def test_form_follows_updates(self):
        cid = self.c.call("customer.create", {"name": "Bob", "email": "bob@old.example"})["id"]
        self.c.call("customer.update", {"id": cid, "email": "Bob@New.example"})
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"email": "bob@old.example"})
        self.assertEqual(self.c.call("customer.get", {"email": "bob@new.example"})["id"], cid)

    def test_oldest_match_wins(self):
        first = self.c.call("customer.create", {"name": "A", "email": "same@x.example"})["id"]
        self.c.call("customer.create", {"name": "B", "email": "SAME@x.example"})
        self.assertEqual(self.c.call("customer.get", {"email": "same@X.example"})["id"], first)

    def test_bad_address_still_refused(self):
        for bad in ("no-at-sign", "two@@x.example", " a b@x.example"):
            with self.assertRpcError(-32602, param="email"):
                self.c.call("customer.create", {"name": "Z", "email": bad})
        cid = self.c.call("customer.create", {"name": "Y"})["id"]
        with self.assertRpcError(-32602, param="email"):
            self.c.call("customer.update", {"id": cid, "email": "nope"})


if __name__ == "__main__":
    main()
