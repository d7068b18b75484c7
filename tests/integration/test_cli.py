"""The `kith` command-line client against a real kithd."""

import json
import os
import subprocess

from kithtest import KITH, KithTestCase, main


class CliTest(KithTestCase):
    def setUp(self):
        if not os.access(KITH, os.X_OK):
            self.fail("kith not found at %s" % KITH)
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def kith(self, *args, ok=True, env=None, where=None):
        where = where if where is not None else ["--port", str(self.server.port)]
        p = subprocess.run([KITH] + where + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60,
                           env=dict(os.environ, **(env or {})))
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        if ok:
            self.assertEqual(p.returncode, 0, "kith %s\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), out, err))
        return p.returncode, out, err

    def test_ping_prints_pong(self):
        _, out, _ = self.kith("system.ping")
        self.assertEqual(out.strip().strip('"'), "pong", out)

    def test_create_with_json_output(self):
        _, out, _ = self.kith("--json", "customer.create", "name=Ada", 'tags=["vip"]',
                              "attrs={\"n\": 5}", "company=Analytical Engines")
        cust = json.loads(out)
        self.assertEqual((cust["name"], cust["tags"], cust["attrs"], cust["company"]),
                         ("Ada", ["vip"], {"n": 5}, "Analytical Engines"))
        # It really is on the server.
        self.assertEqual(self.c.call("customer.get", {"id": cust["id"]})["tags"], ["vip"])

    def test_values_are_typed(self):
        cust = self.c.call("customer.create", {"name": "Typed"})
        _, out, _ = self.kith("--json", "customer.get", "id=%d" % cust["id"])
        self.assertEqual(json.loads(out)["name"], "Typed", "id=N is sent as a number")

    def test_error_exits_nonzero_and_prints_the_message(self):
        rc, out, err = self.kith("customer.get", "id=424242", ok=False)
        self.assertEqual(rc, 1, "a server error exits 1 (kith --help)")
        self.assertIn("not found", (out + err).lower(), "the server's message is printed")
        rc, out, err = self.kith("no.such.method", ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("method not found", (out + err).lower())
        rc, out, err = self.kith("customer.create", "bogus=1", "name=x", ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("bogus", out + err, "the offending param is named")

    def test_call_with_json_params(self):
        cust = self.c.call("customer.create", {"name": "Called", "attrs": {"k": [1, 2]}})
        _, out, _ = self.kith("call", "customer.get", json.dumps({"id": cust["id"]}))
        self.assertIn("Called", out)
        _, out, _ = self.kith("--json", "call", "customer.update",
                              json.dumps({"id": cust["id"], "attrs": {"k": None, "z": "zz"}}))
        self.assertEqual(json.loads(out)["attrs"], {"z": "zz"})
        _, out, _ = self.kith("--json", "call", "system.ping")
        self.assertEqual(json.loads(out), "pong")
        rc, out, err = self.kith("call", "customer.get", "{not json", ok=False)
        self.assertNotEqual(rc, 0, "bad JSON params exit non-zero")

    def test_unreachable_server(self):
        port = self.server.port
        self.c.close()
        self.server.stop()
        p = subprocess.run([KITH, "--port", str(port), "system.ping"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 2, "unreachable exits 2 (kith --help): %r" % (p,))
        self.assertTrue(p.stderr.strip(), "says why it failed")

    def test_unix_socket(self):
        _, out, _ = self.kith("--json", "customer.create", "name=Unix", where=["--unix", self.server.unix_path])
        self.assertEqual(json.loads(out)["name"], "Unix")

    def test_help_lists_methods(self):
        _, out, _ = self.kith("help")
        for m in ["customer.create", "order.list", "system.ping"]:
            self.assertIn(m, out)

    def test_token_from_environment(self):
        tok = self.server.create_token("agent", "cli")
        rc, out, err = self.kith("customer.list", ok=False)
        self.assertEqual(rc, 1, "without a token: %s %s" % (out, err))
        self.assertIn("unauthenticated", (out + err).lower())
        _, out, err = self.kith("--json", "customer.create", "name=Tokened", env={"KITH_TOKEN": tok})
        self.assertEqual(json.loads(out)["name"], "Tokened")
        self.assertNotIn(tok, out + err, "the token is never printed")


if __name__ == "__main__":
    main()
