"""Tokens and roles: `kithd token create`, the auth method, -32001 before auth
once a token exists, -32003 for a role that may not call a method, and the
token never reaching the server's log."""

from kithtest import KithTestCase, main

OPEN_METHODS = [("system.ping", None), ("rpc.discover", None)]
CLOSED_METHODS = [("system.info", None), ("system.stats", None), ("customer.list", None),
                  ("customer.get", {"id": 1}), ("customer.create", {"name": "Sneaky"}),
                  ("order.list", {"customer_id": 1}), ("interaction.list", {"customer_id": 1})]


class AuthTest(KithTestCase):
    def setUp(self):
        # Debug logging: the token must not leak even at the chattiest level.
        self.server = self.start_server("--log-level", "debug",
                                        tokens=[("admin", "root"), ("agent", "desk"),
                                                ("viewer", "auditor")])
        self.tokens = self.server.tokens
        self.assertEqual(len(set(self.tokens.values())), 3, "tokens are distinct")

    def test_tokens_are_printed(self):
        for name, tok in self.tokens.items():
            self.assertGreaterEqual(len(tok), 16, "token for %s looks too short: %r" % (name, tok))

    def test_unauthenticated_calls_fail(self):
        c = self.connect(self.server)
        for method, params in OPEN_METHODS:
            with self.subTest(method=method):
                c.call(method, params)
        for method, params in CLOSED_METHODS:
            with self.subTest(method=method):
                with self.assertRpcError(-32001):
                    c.call(method, params)
        admin = self.connect(self.server, token=self.tokens["root"])
        self.assertEqual(admin.call("customer.list")["items"], [],
                         "an unauthenticated create changed nothing")

    def test_unix_socket_needs_auth_too(self):
        c = self.connect(self.server, unix=True)
        with self.assertRpcError(-32001):
            c.call("customer.list")
        self.assertEqual(c.call("auth", {"token": self.tokens["auditor"]}),
                         {"role": "viewer", "name": "auditor"})
        self.assertEqual(c.call("customer.list")["items"], [])

    def test_wrong_token(self):
        c = self.connect(self.server)
        for bad in ["wrong", self.tokens["root"] + "x", self.tokens["root"][:-1], ""]:
            with self.subTest(token=bad):
                with self.assertRpcError(-32001):
                    c.call("auth", {"token": bad})
        with self.assertRpcError(-32602, param="token"):
            c.call("auth", {"token": 12345})
        with self.assertRpcError(-32001):
            c.call("customer.list")

    def test_right_token(self):
        for name, role in [("root", "admin"), ("desk", "agent"), ("auditor", "viewer")]:
            with self.subTest(name=name):
                c = self.connect(self.server)
                self.assertEqual(c.call("auth", {"token": self.tokens[name]}),
                                 {"role": role, "name": name})
                self.assertEqual(c.call("system.ping"), "pong")
                c.call("customer.list")

    def test_auth_is_per_connection(self):
        a = self.connect(self.server, token=self.tokens["root"])
        b = self.connect(self.server)
        a.call("customer.list")
        with self.assertRpcError(-32001):
            b.call("customer.list")

    def test_viewer_reads_but_may_not_write(self):
        admin = self.connect(self.server, token=self.tokens["root"])
        cust = admin.call("customer.create", {"name": "Seen", "tags": ["t"]})
        admin.call("order.create", {"customer_id": cust["id"], "amount": 3})
        viewer = self.connect(self.server, token=self.tokens["auditor"])
        self.assertEqual(viewer.call("customer.get", {"id": cust["id"]})["name"], "Seen")
        self.assertEqual(len(viewer.call("customer.list")["items"]), 1)
        self.assertEqual(len(viewer.call("order.list", {"customer_id": cust["id"]})["items"]), 1)
        viewer.call("interaction.list", {"customer_id": cust["id"]})
        writes = [("customer.create", {"name": "Nope"}),
                  ("customer.update", {"id": cust["id"], "name": "Changed", "tags": []}),
                  ("customer.delete", {"id": cust["id"]}),
                  ("order.create", {"customer_id": cust["id"], "amount": 1}),
                  ("interaction.log", {"customer_id": cust["id"], "type": "call", "summary": "x"})]
        for method, params in writes:
            with self.subTest(method=method):
                with self.assertRpcError(-32003):
                    viewer.call(method, params)
        after = admin.call("customer.get", {"id": cust["id"]})
        self.assertEqual((after["name"], after["tags"], after["updated_at"]),
                         ("Seen", ["t"], cust["updated_at"]), "a forbidden write changed nothing")
        self.assertEqual((after["stats"]["orders"], after["stats"]["interactions"]), (1, 0))
        self.assertEqual(len(admin.call("customer.list")["items"]), 1)

    def test_agent_writes(self):
        agent = self.connect(self.server, token=self.tokens["desk"])
        cust = agent.call("customer.create", {"name": "By agent"})
        agent.call("customer.update", {"id": cust["id"], "owner": "desk"})
        agent.call("order.create", {"customer_id": cust["id"], "amount": 2.5})
        agent.call("interaction.log", {"customer_id": cust["id"], "type": "note", "summary": "hi"})
        self.assertEqual(agent.call("customer.get", {"id": cust["id"]})["stats"]["orders"], 1)

    def test_token_never_in_the_log(self):
        c = self.connect(self.server)
        c.call("auth", {"token": self.tokens["root"]})
        d = self.connect(self.server)
        d.call("auth", {"token": self.tokens["auditor"]})
        with self.assertRpcError(-32003):
            d.call("customer.create", {"name": "x"})
        e = self.connect(self.server)
        with self.assertRpcError(-32001):
            e.call("auth", {"token": self.tokens["desk"] + "junk"})
        # A notification and a batch carrying the token, too.
        e.notify("auth", {"token": self.tokens["desk"]})
        e.request([{"jsonrpc": "2.0", "method": "auth", "params": {"token": self.tokens["desk"]}, "id": 1}])
        self.assertEqual(c.call("system.ping"), "pong")
        c.close()
        d.close()
        e.close()
        self.server.stop()
        log = self.server.stderr_text() + "\n".join(self.server.stdout_lines)
        for name, tok in self.tokens.items():
            self.assertNotIn(tok, log, "the %s token appears in the server's output" % name)


class TokenLifecycleTest(KithTestCase):
    def test_no_token_means_no_auth_on_loopback(self):
        server = self.start_server()
        c = self.connect(server)
        self.assertEqual(c.call("customer.list")["items"], [])
        u = self.connect(server, unix=True)
        u.call("customer.create", {"name": "Open"})

    def test_token_created_while_running(self):
        server = self.start_server()
        early = self.connect(server)
        early.call("customer.create", {"name": "Before"})
        tok = server.create_token("admin", "late")
        late = self.connect(server)
        self.assertEqual(late.call("auth", {"token": tok}), {"role": "admin", "name": "late"},
                         "a token created while the server runs is accepted")
        self.assertEqual(len(late.call("customer.list")["items"]), 1)
        fresh = self.connect(server)
        with self.assertRpcError(-32001):
            fresh.call("customer.list")
        # "Once any token exists, every connection must call auth first":
        # that includes one opened while none existed.
        with self.assertRpcError(-32001):
            early.call("customer.list")
        self.assertEqual(early.call("system.ping"), "pong")

    def test_switching_tokens_takes_the_new_role(self):
        server = self.start_server(tokens=[("admin", "boss"), ("viewer", "guest")])
        c = self.connect(server, token=server.tokens["boss"])
        c.call("customer.create", {"name": "By boss"})
        self.assertEqual(c.call("auth", {"token": server.tokens["guest"]}), {"role": "viewer", "name": "guest"})
        with self.assertRpcError(-32003):
            c.call("customer.create", {"name": "By guest"})
        self.assertEqual([x["name"] for x in c.call("customer.list")["items"]], ["By boss"])

    def test_tokens_survive_restart(self):
        server = self.start_server(tokens=[("agent", "keeper")])
        server.stop()
        server.start()
        c = self.connect(server)
        with self.assertRpcError(-32001):
            c.call("customer.list")
        self.assertEqual(c.call("auth", {"token": server.tokens["keeper"]}),
                         {"role": "agent", "name": "keeper"})


if __name__ == "__main__":
    main()
