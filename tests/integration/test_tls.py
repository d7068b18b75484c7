"""TLS (tls_listen, tls_cert, tls_key) through the real socket: openssl
s_client and Python's ssl module as clients, pipelining, a batch and a reply
of several MiB over TLS, `kith --tls --cacert` (and its refusal of a server
signed by another CA), a plain-text client on the TLS port, start-up errors
naming the option, local trust and auth over TLS, SIGHUP reloading the
certificate, and the refusal of plain TCP off loopback unless
allow_plain_tcp is set.

The certificates are made with the openssl command in a temporary folder:
a CA, a server certificate it signs (for localhost and 127.0.0.1), a second
CA that signed nothing of ours, and a key that matches no certificate."""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

from kithtest import CONFIG, IO_TIMEOUT, KITH, KITHD, KithTestCase, compact, main, short_tmpdir

OPENSSL = shutil.which("openssl")


def openssl(*args, cwd):
    p = subprocess.run([OPENSSL] + list(args), cwd=cwd, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("openssl %s failed:\n%s" % (" ".join(args), p.stderr.decode()))


def make_ca(folder, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=Kith test " + name, cwd=folder)


def make_server_cert(folder, ca, name, san="DNS:localhost,IP:127.0.0.1"):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=localhost", cwd=folder)
    with open(os.path.join(folder, name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\n" % san)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext",
            cwd=folder)


def local_non_loopback_ipv4():
    """An IPv4 address of this machine that is not loopback, or None.  Only
    bound to, never connected to."""
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True,
                             timeout=10).stdout.decode()
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        words = line.split()
        if "inet" in words:
            addr = words[words.index("inet") + 1].split("/")[0]
            if not addr.startswith("127."):
                return addr
    return None


class TlsClient:
    """A JSON-RPC connection over TLS (Python's ssl), replies read by line."""

    def __init__(self, port, cafile, host="127.0.0.1", timeout=IO_TIMEOUT):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname=host)
        self.buf = b""
        self.next_id = 1

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise AssertionError("closed; buffered %r" % self.buf[:300])
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def call(self, method, params=None):
        req = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        self.next_id += 1
        if params is not None:
            req["params"] = params
        self.send(compact(req) + b"\n")
        reply = self.line()
        assert reply.get("id") == req["id"], reply
        if "error" in reply:
            raise AssertionError("error reply: %r" % (reply,))
        return reply["result"]

    def read_to_close(self):
        """Everything until the server ends the session (close_notify or
        close); returns the bytes."""
        got = self.buf
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ssl.SSLError, ConnectionResetError) as e:
                return got, e
            if not chunk:
                return got, None
            got += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class TlsTest(KithTestCase):
    @classmethod
    def setUpClass(cls):
        if not OPENSSL:
            raise AssertionError("the openssl command is needed (Debian package openssl)")
        cls.certs = tempfile.mkdtemp(prefix="kith-tls-certs-")
        make_ca(cls.certs, "ca")
        make_ca(cls.certs, "otherca")
        make_server_cert(cls.certs, "ca", "server")
        make_server_cert(cls.certs, "otherca", "renewed")
        make_server_cert(cls.certs, "ca", "elsewhere", san="DNS:kith.example")
        cls.ca = os.path.join(cls.certs, "ca.pem")
        cls.otherca = os.path.join(cls.certs, "otherca.pem")
        cls.cert = os.path.join(cls.certs, "server.pem")
        cls.key = os.path.join(cls.certs, "server.key")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs, ignore_errors=True)

    def tls_flags(self, cert=None, key=None, listen="127.0.0.1:0"):
        return ["--tls-listen", listen, "--tls-cert", cert or self.cert,
                "--tls-key", key or self.key]

    def start_tls(self, *extra, **kw):
        server = self.start_server(*(self.tls_flags() + list(extra)), **kw)
        self.assertIsNotNone(server.tls_port, "the ready line names the TLS listener: %r"
                             % server.stdout_lines)
        return server

    def tls(self, server, cafile=None, host="127.0.0.1"):
        c = TlsClient(server.tls_port, cafile or self.ca, host=host)
        self.addCleanup(c.close)
        return c

    def kith(self, *args, timeout=60):
        return subprocess.run([KITH] + list(args), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)

    # -- third-party clients -------------------------------------------------

    def test_openssl_s_client_gets_a_reply(self):
        server = self.start_tls()
        p = subprocess.Popen([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % server.tls_port,
                              "-CAfile", self.ca, "-verify_return_error", "-quiet",
                              "-no_ign_eof"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            p.stdin.write(b'{"jsonrpc":"2.0","id":7,"method":"system.ping"}\n'
                          b'{"jsonrpc":"2.0","id":8,"method":"customer.create",'
                          b'"params":{"name":"Over TLS"}}\n')
            p.stdin.flush()
            first = json.loads(p.stdout.readline())
            second = json.loads(p.stdout.readline())
        finally:
            p.stdin.close()
            p.wait(timeout=60)
            p.stdout.close()
            p.stderr.close()
        self.assertEqual(first, {"jsonrpc": "2.0", "id": 7, "result": "pong"})
        self.assertEqual(second["id"], 8)
        self.assertEqual(second["result"]["name"], "Over TLS")
        # The write is there for everyone else too.
        self.assertEqual(self.connect(server).call("customer.get", {"id": second["result"]["id"]})
                         ["name"], "Over TLS")

    def test_tls_1_1_is_refused(self):
        server = self.start_tls()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            self.skipTest("this Python cannot offer TLS 1.1")
        raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout=IO_TIMEOUT)
        with self.assertRaises((ssl.SSLError, ConnectionResetError)):
            ctx.wrap_socket(raw, server_hostname="localhost").close()
        raw.close()
        self.assertPong(self.connect(server))

    def test_pipelined_batch_and_large_reply(self):
        server = self.start_tls()
        c = self.tls(server, host="localhost")
        # 1,000 customers of about 2.5 KB each, created in pipelined writes of
        # 100 requests: the list of all of them is one reply of over 2 MiB.
        filler = "x" * 2500
        ids = []
        for start in range(0, 1000, 100):
            reqs = [{"jsonrpc": "2.0", "id": start + i, "method": "customer.create",
                     "params": {"name": "C%04d" % (start + i), "attrs": {"note": filler}}}
                    for i in range(100)]
            c.send(b"".join(compact(r) + b"\n" for r in reqs))
            for r in reqs:
                reply = c.line()
                self.assertEqual(reply.get("id"), r["id"], "replies in request order")
                ids.append(reply["result"]["id"])
        c.send(compact({"jsonrpc": "2.0", "id": "big", "method": "customer.list",
                        "params": {"limit": 1000}}) + b"\n")
        reply = c.line()
        self.assertEqual(reply["id"], "big")
        items = reply["result"]["items"]
        self.assertEqual(len(items), 1000)
        self.assertEqual(sorted(i["id"] for i in items), sorted(ids))
        self.assertTrue(all(i["attrs"]["note"] == filler for i in items), "every record intact")
        self.assertGreater(len(compact(reply)), 2 << 20)
        # A batch, with a notification in it that gets no reply.
        batch = [{"jsonrpc": "2.0", "id": 1, "method": "system.ping"},
                 {"jsonrpc": "2.0", "method": "system.ping"},
                 {"jsonrpc": "2.0", "id": 2, "method": "customer.get", "params": {"id": ids[0]}},
                 {"jsonrpc": "2.0", "id": 3, "method": "no.such"}]
        c.send(compact(batch) + b"\n")
        replies = c.line()
        self.assertEqual([r["id"] for r in replies], [1, 2, 3])
        self.assertEqual(replies[0]["result"], "pong")
        self.assertEqual(replies[1]["result"]["name"], "C0000")
        self.assertEqual(replies[2]["error"]["code"], -32601)
        # A request split over many TLS records still frames as one.
        msg = compact({"jsonrpc": "2.0", "id": "split", "method": "system.ping"})
        for i in range(len(msg)):
            c.send(msg[i:i + 1])
        c.send(b"\n")
        self.assertEqual(c.line(), {"jsonrpc": "2.0", "id": "split", "result": "pong"})

    def test_too_large_message_gets_its_error_then_a_clean_close(self):
        server = self.start_tls("--max-message-bytes", "4kb")
        c = self.tls(server)
        c.send(b'{"jsonrpc":"2.0","id":1,"method":"system.ping","params":{"pad":"'
               + b"y" * 8192 + b'"}}\n')
        got, err = c.read_to_close()
        reply = json.loads(got.split(b"\n")[0])
        self.assertEqual(reply["error"]["data"]["kind"], "too_large")
        self.assertIsNone(err, "the session ends with close_notify, not a cut: %r" % (err,))
        self.assertPong(self.connect(server))

    def test_a_tls_client_that_stops_reading_is_dropped(self):
        server = self.start_tls("--max-output-bytes", "256kb")
        c = self.tls(server)
        req = compact({"jsonrpc": "2.0", "id": 1, "method": "rpc.discover"}) + b"\n"
        c.sock.settimeout(5)
        try:
            for _ in range(400):  # replies of ~100 KB each, never read
                c.send(req * 10)
        except (OSError, ssl.SSLError):
            pass  # the server cut us off
        self.wait_for_log(server, "stopped reading")
        self.assertEqual(self.tls(server).call("system.ping"), "pong")

    # -- kith --------------------------------------------------------------

    def test_kith_tls_with_cacert(self):
        server = self.start_tls()
        port = str(server.tls_port)
        p = self.kith("--tls", "--cacert", self.ca, "--port", port, "system.ping")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, b"pong"), p.stderr)
        p = self.kith("--cacert", self.ca, "--host", "localhost", "--port", port,
                      "customer.create", "name=Via kith")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Via kith", p.stdout)
        # The prompt over TLS: several calls on one connection.
        p = subprocess.run([KITH, "--cacert", self.ca, "--port", port], input=b"system.ping\n" * 3,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.count(b"pong"), 3, p.stdout)

    def test_kith_refuses_a_server_signed_by_another_ca(self):
        server = self.start_tls()
        p = self.kith("--tls", "--cacert", self.otherca, "--port", str(server.tls_port),
                      "system.ping")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn(b"cannot verify the TLS certificate", p.stderr)
        self.assertNotIn(b"pong", p.stdout)
        # Without --cacert the system's CAs do not know ours either.
        p = self.kith("--tls", "--port", str(server.tls_port), "system.ping")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn(b"cannot verify", p.stderr)
        # --insecure is the explicit way around the check.
        p = self.kith("--insecure", "--port", str(server.tls_port), "system.ping")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, b"pong"), p.stderr)
        # Plain kith on the TLS port, TLS kith on the plain one: clear failures.
        p = self.kith("--tls", "--cacert", self.ca, "--port", str(server.port), "system.ping")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn(b"TLS handshake", p.stderr)
        p = self.kith("--port", str(server.tls_port), "system.ping")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn(b"add --tls", p.stderr)
        p = self.kith("--cacert", "/nonexistent/ca.pem", "--port", str(server.tls_port),
                      "system.ping")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn(b"/nonexistent/ca.pem", p.stderr)
        self.assertPong(self.connect(server))

    def test_kith_checks_the_name_in_the_certificate(self):
        # Signed by the right CA, but for kith.example, not 127.0.0.1.
        server = self.start_server(*self.tls_flags(
            cert=os.path.join(self.certs, "elsewhere.pem"),
            key=os.path.join(self.certs, "elsewhere.key")))
        p = self.kith("--cacert", self.ca, "--port", str(server.tls_port), "system.ping")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn(b"cannot verify the TLS certificate", p.stderr)
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.tls(server, host="localhost")

    def test_kith_subscribe_over_tls(self):
        from test_cli_subscribe import Subscriber
        server = self.start_tls()
        sub = Subscriber([KITH, "--cacert", self.ca, "--port", str(server.tls_port), "--json",
                          "subscribe", "customer.*"])
        self.addCleanup(sub.destroy)
        self.assertRegex(sub.stderr_line(), r"subscribed to .* at seq \d+")
        c = self.connect(server)
        for name in ["First", "Second", "Third"]:
            cust = c.call("customer.create", {"name": name})
            ev = json.loads(sub.stdout_line())
            self.assertEqual(ev["data"]["customer"]["id"], cust["id"], ev)
        # Ctrl-C ends the wait at once, though the socket is TLS.
        self.assertEqual(sub.stop(signal.SIGINT), 0, "SIGINT exits 0")

    # -- the server's side -------------------------------------------------

    def test_plain_text_on_the_tls_port_is_closed(self):
        server = self.start_tls()
        for junk in [b'{"jsonrpc":"2.0","id":1,"method":"system.ping"}\n',
                     b"GET / HTTP/1.0\r\n\r\n", b"\x16\x03\x01\x00\x05hello", b"\x00" * 4096]:
            with self.subTest(junk=junk[:20]):
                raw = socket.create_connection(("127.0.0.1", server.tls_port),
                                               timeout=IO_TIMEOUT)
                raw.sendall(junk)
                got = b""
                try:
                    while True:
                        chunk = raw.recv(65536)
                        if not chunk:
                            break
                        got += chunk
                except ConnectionResetError:
                    pass
                raw.close()
                self.assertNotIn(b"pong", got)
        self.assertEqual(self.tls(server).call("system.ping"), "pong")
        self.assertIn("TLS handshake with", server.stderr_text())

    def test_client_vanishing_mid_handshake_and_mid_reply(self):
        server = self.start_tls()
        raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout=IO_TIMEOUT)
        raw.sendall(b"\x16\x03\x01\x02\x00\x01")  # half a ClientHello
        raw.close()
        c = self.tls(server)
        c.send(compact({"jsonrpc": "2.0", "id": 1, "method": "rpc.discover"}) + b"\n")
        c.sock.close()  # leaves before reading the reply
        self.assertEqual(self.tls(server).call("system.ping"), "pong")

    def test_local_trust_and_auth_over_tls(self):
        server = self.start_tls()
        # Loopback and no token: admin without auth, as over plain TCP.
        self.assertEqual(self.tls(server).call("system.info")["session"]["role"], "admin")
        token = server.create_token("agent", "desk")
        c = self.tls(server)
        c.send(compact({"jsonrpc": "2.0", "id": 1, "method": "customer.list"}) + b"\n")
        self.assertEqual(c.line()["error"]["code"], -32001)
        self.assertEqual(c.call("auth", {"token": token})["role"], "agent")
        self.assertEqual(c.call("customer.list")["items"], [])

    def test_sighup_reloads_the_certificate(self):
        tmp = short_tmpdir("kith-tls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        shutil.copy(self.cert, cert)
        shutil.copy(self.key, key)
        server = self.start_server(*self.tls_flags(cert, key))
        old = self.tls(server)
        self.assertEqual(old.call("system.ping"), "pong")
        # A broken file on SIGHUP keeps the running certificate.
        with open(cert, "w") as f:
            f.write("not a certificate\n")
        server.proc.send_signal(signal.SIGHUP)
        self.wait_for_log(server, "kept the running TLS certificate")
        self.assertEqual(self.tls(server).call("system.ping"), "pong")
        # A renewed certificate (from another CA) serves new connections;
        # the open one goes on.
        shutil.copy(os.path.join(self.certs, "renewed.pem"), cert)
        shutil.copy(os.path.join(self.certs, "renewed.key"), key)
        server.proc.send_signal(signal.SIGHUP)
        self.wait_for_log(server, "reloaded the TLS certificate")
        self.assertEqual(self.tls(server, cafile=self.otherca).call("system.ping"), "pong")
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.tls(server, cafile=self.ca)
        self.assertEqual(old.call("system.ping"), "pong")

    def wait_for_log(self, server, text):
        deadline = time.monotonic() + 60
        while text not in server.stderr_text():
            self.assertLess(time.monotonic(), deadline, "no %r in the log" % text)
            time.sleep(0.05)

    # -- start-up ------------------------------------------------------------

    def run_kithd(self, *args, config=None, token=False):
        """Runs kithd expecting it not to start; returns (code, stderr)."""
        tmp = short_tmpdir("kith-tls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        if token:
            subprocess.run([KITHD, "token", "create", "--role", "admin", "--name", "a",
                            "--data", tmp], capture_output=True, timeout=60, check=True)
        if config is not None:
            path = os.path.join(tmp, "kith.conf")
            with open(path, "w") as f:
                f.write(config)
        argv = [KITHD, "--config", path if config is not None else CONFIG, "--data", tmp,
                "--unix", "none", "--scripts", os.path.join(tmp, "s"),
                "--plugins", os.path.join(tmp, "p")] + list(args)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        line = p.stdout.readline()
        if line.startswith(b"kithd ready"):
            p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        return p.returncode, line + out, err.decode(errors="replace")

    def assertRefused(self, result, *words):
        code, out, err = result
        self.assertNotEqual(code, 0, "kithd started: %s" % err)
        self.assertNotIn(b"kithd ready", out)
        for w in words:
            self.assertIn(w, err)

    def test_bad_certificate_or_key_stops_startup_naming_the_option(self):
        bad = os.path.join(self.certs, "missing.pem")
        other_key = os.path.join(self.certs, "renewed.key")
        self.assertRefused(self.run_kithd(*self.tls_flags(cert=bad)), "tls_cert", bad)
        self.assertRefused(self.run_kithd(*self.tls_flags(key=bad)), "tls_key", bad)
        self.assertRefused(self.run_kithd(*self.tls_flags(key=other_key)), "tls_key",
                           "does not match")
        self.assertRefused(self.run_kithd(*self.tls_flags(cert=self.key)), "tls_cert")
        self.assertRefused(self.run_kithd("--tls-listen", "127.0.0.1:0"), "tls_cert")
        self.assertRefused(self.run_kithd(*self.tls_flags(listen="nowhere")), "tls_listen")
        conf = ("listen 127.0.0.1:0\ntls_listen 127.0.0.1:0\ntls_cert %s\ntls_key %s\n"
                "allow_plain_tcp maybe\n" % (self.cert, self.key))
        self.assertRefused(self.run_kithd(config=conf), "kith.conf:5", "allow_plain_tcp")

    def test_plain_tcp_off_loopback_needs_allow_plain_tcp(self):
        # No token: refused for the token, as before.
        self.assertRefused(self.run_kithd("--listen", "0.0.0.0:0"), "token")
        # A token, but plain text off loopback: refused, naming the way out.
        self.assertRefused(self.run_kithd("--listen", "0.0.0.0:0", token=True),
                           "allow_plain_tcp", "tls_listen")
        # TLS off loopback still needs a token to exist.
        self.assertRefused(self.run_kithd(*self.tls_flags(listen="0.0.0.0:0")), "token",
                           "tls_listen")
        addr = local_non_loopback_ipv4()
        if addr is None:
            return  # nothing to bind to off loopback: the checks above are the test
        # Allowed explicitly (flag or config), with a token: it starts.  Only
        # bound, never connected to.
        code, out, err = self.run_kithd("--listen", addr + ":0", "--allow-plain-tcp", "yes",
                                        token=True)
        self.assertEqual(code, 0, err)
        self.assertIn(("kithd ready tcp=%s:" % addr).encode(), out)
        code, out, err = self.run_kithd("--listen", "127.0.0.1:0",
                                        *self.tls_flags(listen=addr + ":0"), token=True)
        self.assertEqual(code, 0, err)
        self.assertIn((" tls=%s:" % addr).encode(), out)


if __name__ == "__main__":
    main()
