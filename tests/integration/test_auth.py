"""Tokens and roles: `kithd token create`, the auth method, -32001 before auth
once a token exists, -32003 for a role that may not call a method, and the
token never reaching the server's log.  Also (issue 9): a failed auth drops
the role, failed attempts are rate-limited per address, integers past 2^53
are refused, tokens are listed, revoked (ending their sessions at once) and
expire."""

import os
import socket
import subprocess
import time

from kithtest import (KITH, KITHD, Client, ConnectionClosed, KithTestCase, RpcError, create_token,
                      main)

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



def client_from(server, source_ip):
    """A TCP client whose address, as the server sees it, is source_ip (any
    127.x.y.z reaches the loopback listener)."""
    c = Client.__new__(Client)
    c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.sock.settimeout(60)
    c.sock.bind((source_ip, 0))
    c.sock.connect(("127.0.0.1", server.port))
    c.timeout, c.buf, c.next_id, c.closed = 60, b"", 1, False
    return c


def kithd_token(*args):
    return subprocess.run([KITHD, "token"] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60)


class FailedAuthTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(tokens=[("admin", "root"), ("viewer", "auditor")])
        self.tokens = self.server.tokens

    def test_failed_auth_drops_the_earlier_role(self):
        c = self.connect(self.server, token=self.tokens["root"])
        c.call("customer.list")
        with self.assertRpcError(-32001):
            c.call("auth", {"token": "kith_wrong"})
        # The admin role of the earlier auth is gone with the failed one.
        with self.assertRpcError(-32001):
            c.call("customer.list")
        self.assertEqual(c.call("system.ping"), "pong")

    def test_failed_auth_on_a_local_connection_once_tokens_exist(self):
        c = self.connect(self.server, unix=True, token=self.tokens["auditor"])
        c.call("customer.list")
        with self.assertRpcError(-32001):
            c.call("auth", {"token": "kith_wrong"})
        with self.assertRpcError(-32001):
            c.call("customer.list")

    def test_brute_force_is_rate_limited_per_address(self):
        attacker = client_from(self.server, "127.0.0.3")
        self.addCleanup(attacker.close)
        limited = None
        for i in range(8):
            try:
                attacker.call("auth", {"token": "kith_guess%d" % i})
                self.fail("a guessed token was accepted")
            except RpcError as e:
                self.assertEqual(e.code, -32001, e.error)
                if (e.error.get("data") or {}).get("reason") == "rate_limited":
                    limited = e
                    break
        self.assertIsNotNone(limited, "8 failed attempts in a row were never rate-limited")
        self.assertGreater(limited.error["data"]["retry_after_ms"], 0, limited.error)
        # While locked out, even the right token is refused from that address...
        with self.assertRpcError(-32001) as cm:
            attacker.call("auth", {"token": self.tokens["root"]})
        self.assertEqual(cm.error.error["data"].get("reason"), "rate_limited", cm.error.error)
        # ...on a new connection too; the loop is not blocked meanwhile.
        again = client_from(self.server, "127.0.0.3")
        self.addCleanup(again.close)
        t0 = time.monotonic()
        with self.assertRpcError(-32001):
            again.call("auth", {"token": self.tokens["root"]})
        self.assertLess(time.monotonic() - t0, 2.0, "the refusal came at once")
        # Another address, and the Unix socket, are unaffected.
        other = client_from(self.server, "127.0.0.4")
        self.addCleanup(other.close)
        self.assertEqual(other.call("auth", {"token": self.tokens["root"]})["role"], "admin")
        local = self.connect(self.server, unix=True, token=self.tokens["auditor"])
        local.call("customer.list")
        self.assertIn("127.0.0.3", self.server.stderr_text(), "the penalty is logged with the address")

    def test_integers_past_2_53_are_refused(self):
        c = self.connect(self.server, token=self.tokens["root"])
        cust = c.call("customer.create", {"name": "Big"})
        # 2^53 + 1 would be read as 2^53: refused, not rounded.
        for text, param in [('{"id":9007199254740993}', "id"),
                            ('{"id":-9007199254740993}', "id"),
                            ('{"customer_id":%d,"points":9007199254740993,"reason":"x"}'
                             % cust["id"], "points")]:
            with self.subTest(params=text):
                method = "customer.get" if param == "id" else "loyalty.award"
                reply = c.request('{"jsonrpc":"2.0","id":7,"method":"%s","params":%s}\n'
                                  % (method, text))
                self.assertErrorReply(reply, -32602, id=7, param=param)
        self.assertEqual(c.call("customer.get", {"id": cust["id"]})["points"], 0)
        with self.assertRpcError(-32004):
            c.call("customer.get", {"id": 9007199254740991})


class TokenAdminTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server(tokens=[("admin", "root"), ("agent", "desk")])
        self.tokens = self.server.tokens
        self.admin = self.connect(self.server, token=self.tokens["root"])

    def test_list_create_revoke_methods(self):
        got = self.admin.call("token.create", {"name": "bot", "role": "viewer"})
        self.assertEqual((got["name"], got["role"], got["expires_at"]), ("bot", "viewer", None), got)
        self.assertTrue(got["token"].startswith("kith_"), got)
        items = self.admin.call("token.list")
        self.assertEqual([t["name"] for t in items], ["bot", "desk", "root"], items)
        for t in items:
            self.assertEqual(set(t), {"name", "role", "created_at", "expires_at"}, t)
            self.assertTime(t["created_at"])
        self.assertNotIn(got["token"], repr(items), "list never shows a secret")
        self.assertNotIn(got["token"], self.server.stderr_text(), "the secret is never logged")
        bot = self.connect(self.server, token=got["token"])
        self.assertEqual(bot.call("system.info")["session"]["name"], "bot")
        with self.assertRpcError(-32009, param="name"):
            self.admin.call("token.create", {"name": "bot", "role": "viewer"})
        with self.assertRpcError(-32602, param="role"):
            self.admin.call("token.create", {"name": "x", "role": "boss"})
        with self.assertRpcError(-32602, param="expires_in"):
            self.admin.call("token.create", {"name": "x", "role": "agent", "expires_in": "soon"})
        desk = self.connect(self.server, token=self.tokens["desk"])
        with self.assertRpcError(-32003):
            desk.call("token.list")
        with self.assertRpcError(-32003):
            desk.call("token.revoke", {"name": "root"})
        self.assertEqual(self.admin.call("token.revoke", {"name": "bot"}),
                         {"name": "bot", "revoked": True})
        with self.assertRpcError(-32004, param="name"):
            self.admin.call("token.revoke", {"name": "bot"})
        fresh = self.connect(self.server)
        with self.assertRpcError(-32001):
            fresh.call("auth", {"token": got["token"]})

    def test_revoke_closes_open_sessions_at_once(self):
        desk1 = self.connect(self.server, token=self.tokens["desk"])
        desk2 = self.connect(self.server, unix=True, token=self.tokens["desk"])
        desk1.call("customer.list")
        t0 = time.monotonic()
        self.admin.call("token.revoke", {"name": "desk"})
        for c in (desk1, desk2):
            c.expect_closed(timeout=10)
        self.assertLess(time.monotonic() - t0, 2.0, "sessions end at once, not at a sweep")
        # The admin's own session carries on.
        self.admin.call("customer.list")

    def test_cli_list_and_revoke(self):
        listed = kithd_token("list", "--data", self.server.data_dir)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        out = listed.stdout.decode()
        self.assertIn("root", out)
        self.assertIn("desk", out)
        for secret in self.tokens.values():
            self.assertNotIn(secret, out)
        desk = self.connect(self.server, token=self.tokens["desk"])
        revoked = kithd_token("revoke", "desk", "--data", self.server.data_dir)
        self.assertEqual(revoked.returncode, 0, revoked.stderr)
        # Another process revoked it: the server ends the session within its
        # one-second sweep.
        desk.expect_closed(timeout=10)
        missing = kithd_token("revoke", "desk", "--data", self.server.data_dir)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn(b"desk", missing.stderr)
        listed = kithd_token("list", "--data", self.server.data_dir)
        self.assertNotIn("desk", listed.stdout.decode())

    def test_kith_cli_calls_the_token_methods(self):
        env = dict(os.environ, KITH_TOKEN=self.tokens["root"])
        base = [KITH, "--port", str(self.server.port)]

        def kith(*args):
            p = subprocess.run(base + list(args), env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout.decode()

        out = kith("--json", "token.create", "name=ci", "role=agent", "expires_in=30d")
        self.assertIn("kith_", out)
        self.assertIn("ci", kith("token.list"))
        kith("token.revoke", "name=ci")
        self.assertNotIn("ci", [t["name"] for t in self.admin.call("token.list")])

    def test_tokens_expire(self):
        got = self.admin.call("token.create", {"name": "temp", "role": "agent", "expires_in": "2s"})
        self.assertTime(got["expires_at"])
        temp = self.connect(self.server, token=got["token"])
        temp.call("customer.list")
        # The session ends at expiry, by itself.
        temp.expect_closed(timeout=15)
        late = self.connect(self.server)
        with self.assertRpcError(-32001):
            late.call("auth", {"token": got["token"]})
        cli = create_token_expiring(self.server.data_dir, "agent", "cli-temp", "1s")
        time.sleep(1.2)
        with self.assertRpcError(-32001):
            self.connect(self.server).call("auth", {"token": cli})


def create_token_expiring(data_dir, role, name, expires_in):
    p = kithd_token("create", "--role", role, "--name", name, "--expires-in", expires_in,
                    "--data", data_dir)
    if p.returncode != 0:
        raise AssertionError("kithd token create: %r" % (p.stderr,))
    return p.stdout.decode().split()[-1]


class DataFilesTest(KithTestCase):
    def test_data_files_are_private(self):
        server = self.start_server(tokens=[("admin", "root")])
        c = self.connect(server, token=server.tokens["root"])
        c.call("customer.create", {"name": "Private"})
        for name in ("kith.db", "kith.db-wal", "kith.db-shm", "kithd.lock"):
            path = os.path.join(server.data_dir, name)
            if name.endswith(("-wal", "-shm")) and not os.path.exists(path):
                continue
            with self.subTest(file=name):
                mode = os.stat(path).st_mode & 0o777
                self.assertEqual(mode, 0o600, "%s is %o" % (name, mode))


if __name__ == "__main__":
    main()
