"""
Harness for Kith's integration tests: a real kithd on an ephemeral port in a
fresh temporary folder, and a small JSON-RPC client that speaks to it over
TCP or the Unix socket.

What it guarantees:
  * Every server a test starts is stopped (SIGTERM, then an exit code of 0 is
    asserted: a leak reported by AddressSanitizer fails the test) and its
    temporary folder removed, even when the test fails.  A server that does
    not stop is killed with SIGKILL and the test fails.
  * A sanitizer report in the server's stderr fails the test even when the
    exit code cannot say so: after kill9(), after a test that waited for the
    server itself, or under ThreadSanitizer without halt_on_error (which
    reports and goes on).
  * The server's stderr goes to a file in its folder and is printed when the
    test fails, so `ctest --output-on-failure` shows what the server said.
  * No timing assertions: timeouts are generous (a sanitizer build is slow)
    and only stop a test that would otherwise hang.

Environment: KITH_BIN_DIR (the build folder holding kithd, kith, kith-bench)
and KITH_SOURCE_DIR (the repository root); both default to this checkout.

Standard library only.
"""

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SOURCE_DIR = os.environ.get("KITH_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.environ.get("KITH_BIN_DIR") or os.path.join(SOURCE_DIR, "build")
KITHD = os.path.join(BIN_DIR, "kithd")
KITH = os.path.join(BIN_DIR, "kith")
CONFIG = os.path.join(SOURCE_DIR, "config", "kith.conf")

READY_TIMEOUT = 20.0   # seconds until "kithd ready ..." (the brief's limit)
IO_TIMEOUT = 60.0      # any single socket read; only guards against a hang
STOP_TIMEOUT = 60.0    # SIGTERM until exit (leak checking takes a while)

# tls=HOST:PORT follows only when a TLS listener is on (tls_listen).
READY_RE = re.compile(r"^kithd ready tcp=(\S+):(\d+) unix=(\S+)(?: tls=(\S+):(\d+))?\s*$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
# The first line of a sanitizer report (ThreadSanitizer's race, AddressSanitizer's
# or LeakSanitizer's error, UndefinedBehaviorSanitizer's runtime error).
SANITIZER_RE = re.compile(r"^(WARNING: ThreadSanitizer|==\d+==ERROR: \w+Sanitizer"
                          r"|\S+:\d+:\d+: runtime error:)", re.MULTILINE)

# The contract's stable data.kind for each code (section 2).
KINDS = {
    -32700: "parse_error",
    -32600: "invalid_request",
    -32601: "method_not_found",
    -32602: "invalid_params",
    -32603: "internal",
    -32001: "unauthenticated",
    -32003: "forbidden",
    -32004: "not_found",
    -32009: "conflict",
    -32010: "script_error",
    -32011: "script_limit",
    -32029: "overloaded",
}


class RpcError(Exception):
    """A JSON-RPC error reply: code, message and data (with kind, param)."""

    def __init__(self, error, reply=None):
        self.error = error
        self.reply = reply
        self.code = error.get("code") if isinstance(error, dict) else None
        self.message = error.get("message") if isinstance(error, dict) else None
        data = error.get("data") if isinstance(error, dict) else None
        self.data = data if isinstance(data, dict) else {}
        self.kind = self.data.get("kind")
        self.param = self.data.get("param")
        super().__init__("RpcError %r" % (error,))


class ConnectionClosed(Exception):
    """The server closed the connection while a reply was expected."""


def _die_with_parent():
    """Runs in the child before exec: if this test process dies (a CTest
    timeout, a kill), the kernel kills the server too (Linux only)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


# Servers alive in this process, so a SIGTERM to the test (CTest's timeout)
# still removes them and their folders.
_LIVE = set()


def _on_sigterm(signum, frame):
    for server in list(_LIVE):
        server.destroy()
    sys.stderr.write("kithtest: terminated by signal %d; servers cleaned up\n" % signum)
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _on_sigterm)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Client:
    """One connection to kithd.  Replies are read line by line: the contract
    says every reply is one compact JSON value followed by a newline."""

    def __init__(self, tcp=None, unix=None, timeout=IO_TIMEOUT):
        if unix is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix)
        else:
            self.sock = socket.create_connection(tcp, timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.next_id = 1
        self.closed = False

    # -- raw bytes -------------------------------------------------------

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def read_line(self, timeout=None):
        """Returns the next reply line (bytes, without the newline)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply line within the timeout; buffered: %r"
                                   % self.buf[:500])
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise ConnectionClosed("connection closed by the server; buffered: %r"
                                       % self.buf[:500])
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def read_json(self, timeout=None):
        line = self.read_line(timeout)
        try:
            return json.loads(line)
        except ValueError as e:
            raise AssertionError("reply is not JSON (%s): %r" % (e, line[:500]))

    def expect_closed(self, timeout=None):
        """Waits for the server to close the connection; anything still sent
        before the close is returned (bytes).  Fails on timeout."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        got = self.buf
        self.buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("server did not close the connection; got %r" % got[:500])
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return got
            if not chunk:
                return got
            got += chunk

    # -- JSON-RPC ----------------------------------------------------------

    def make_request(self, method, params=None, id=None):
        if id is None:
            id = self.next_id
            self.next_id += 1
        req = {"jsonrpc": "2.0", "method": method, "id": id}
        if params is not None:
            req["params"] = params
        return req

    def request(self, obj, timeout=None):
        """Sends one message (an object, a list, or raw bytes/str) and returns
        the one reply it gets (parsed)."""
        self.send_raw(obj if isinstance(obj, (bytes, str)) else compact(obj) + b"\n")
        return self.read_json(timeout)

    def call(self, method, params=None, timeout=None):
        """Calls method; returns its result or raises RpcError."""
        req = self.make_request(method, params)
        reply = self.request(req, timeout)
        return self._result_of(req["id"], reply)

    @staticmethod
    def _result_of(id, reply):
        if not isinstance(reply, dict):
            raise AssertionError("reply is not an object: %r" % (reply,))
        if reply.get("jsonrpc") != "2.0":
            raise AssertionError("reply lacks jsonrpc 2.0: %r" % (reply,))
        if reply.get("id") != id:
            raise AssertionError("reply id %r != request id %r: %r" % (reply.get("id"), id, reply))
        if "error" in reply:
            raise RpcError(reply["error"], reply)
        if "result" not in reply:
            raise AssertionError("reply has neither result nor error: %r" % (reply,))
        return reply["result"]

    def call_many(self, calls, timeout=None):
        """Pipelines [(method, params), ...] in one write and returns, in
        order, each result or RpcError (not raised)."""
        reqs = [self.make_request(m, p) for m, p in calls]
        self.send_raw(b"".join(compact(r) + b"\n" for r in reqs))
        out = []
        for r in reqs:
            try:
                out.append(self._result_of(r["id"], self.read_json(timeout)))
            except RpcError as e:
                out.append(e)
        return out

    def notify(self, method, params=None):
        req = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            req["params"] = params
        self.send_raw(compact(req) + b"\n")

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def short_tmpdir(prefix):
    """A fresh folder whose path is short enough for a Unix socket name."""
    base = tempfile.gettempdir()
    if len(base) > 60:
        base = "/tmp"
    return tempfile.mkdtemp(prefix=prefix, dir=base)


class Server:
    """A kithd process on 127.0.0.1:0 and TMP/kith.sock, with TMP as its data
    folder.  start() waits for the ready line; stop() asserts exit code 0."""

    def __init__(self, *extra, tmp=None, config=None):
        self.extra = list(extra)
        self.tmp = tmp or short_tmpdir("kith-it-")
        self.config = config or CONFIG
        self.scripts_dir = os.path.join(self.tmp, "scripts")
        self.plugins_dir = os.path.join(self.tmp, "plugins")
        self.data_dir = self.tmp
        self.unix_path = os.path.join(self.tmp, "kith.sock")
        self.stderr_path = os.path.join(self.tmp, "kithd.stderr")
        self.proc = None
        self.port = None
        self.host = None
        self.tls_port = None
        self.stdout_lines = []
        self.starts = 0
        _LIVE.add(self)

    # -- lifecycle ---------------------------------------------------------

    def argv(self):
        return [KITHD, "--config", self.config, "--data", self.data_dir,
                "--listen", "127.0.0.1:0", "--unix", self.unix_path,
                "--scripts", self.scripts_dir,
                "--plugins", self.plugins_dir] + self.extra

    def start(self):
        if not os.access(KITHD, os.X_OK):
            raise AssertionError("kithd not found at %s (set KITH_BIN_DIR; build with "
                                 "cmake -S . -B build && cmake --build build)" % KITHD)
        self.starts += 1
        with open(self.stderr_path, "ab") as err:
            err.write(b"=== kithd start #%d: %s\n" % (self.starts, " ".join(self.argv()).encode()))
            err.flush()
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=err,
                                         preexec_fn=_die_with_parent)
        lines = queue.Queue()
        proc = self.proc

        def pump():
            # Keeps draining stdout for the server's whole life so a chatty
            # server never blocks on a full pipe.
            with proc.stdout:
                for raw in proc.stdout:
                    line = raw.decode(errors="replace").rstrip("\n")
                    self.stdout_lines.append(line)
                    lines.put(line)
            lines.put(None)

        self.pump = threading.Thread(target=pump, daemon=True)
        self.pump.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                line = False
            if line is None or line is False:
                why = ("exited with code %s" % proc.wait() if line is None
                       else "printed no ready line within %.0f s" % READY_TIMEOUT)
                if line is False:
                    proc.kill()
                    proc.wait()
                self.proc = None
                self.pump.join(timeout=10)
                raise AssertionError("kithd %s.\nstdout:\n%s\nstderr:\n%s"
                                     % (why, "\n".join(self.stdout_lines), self.stderr_text()))
            m = READY_RE.match(line)
            if m:
                self.host, self.port, unix = m.group(1), int(m.group(2)), m.group(3)
                self.tls_port = int(m.group(5)) if m.group(5) else None
                if self.port == 0:
                    raise AssertionError("ready line names port 0: %r" % line)
                if unix != self.unix_path:
                    raise AssertionError("ready line's unix=%r, expected %r" % (unix, self.unix_path))
                return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, wait, and assert exit code 0 (a sanitizer report fails)."""
        if self.proc is None:
            return 0
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError("kithd did not exit within %.0f s of SIGTERM\nstderr:\n%s"
                                     % (STOP_TIMEOUT, self.stderr_text()))
        self.pump.join(timeout=10)
        rc = proc.returncode
        if rc != 0:
            raise AssertionError("kithd exited with code %s (expected 0)\nstderr:\n%s"
                                 % (rc, self.stderr_text()))
        self.check_sanitizer()
        return rc

    def kill9(self):
        """SIGKILL: the crash the durability promise is about."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.kill()
        proc.wait()
        self.pump.join(timeout=10)
        self.check_sanitizer()

    def restart(self):
        """Starts again on the same data folder (after stop or kill9)."""
        if self.proc is not None:
            self.stop()
        return self.start()

    def destroy(self):
        """Never raises: kills whatever is left and removes the folder."""
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait()
                self.pump.join(timeout=10)
            except OSError:
                pass
            self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)
        _LIVE.discard(self)

    # -- helpers -----------------------------------------------------------

    def write_files(self, files):
        """Writes {relative path: text} under the server's folder (e.g.
        "scripts/a.lua", "plugins/p/plugin.lua"), creating folders."""
        for rel, text in files.items():
            path = os.path.join(self.tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w" if isinstance(text, str) else "wb") as f:
                f.write(text)

    def check_sanitizer(self):
        """Fails when any run of this server printed a sanitizer report."""
        text = self.stderr_text()
        m = SANITIZER_RE.search(text)
        if m:
            raise AssertionError("kithd printed a sanitizer report (%s)\nstderr:\n%s"
                                 % (m.group(1), text))

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return "(no stderr file)"

    def client(self, unix=False, timeout=IO_TIMEOUT):
        if unix:
            return Client(unix=self.unix_path, timeout=timeout)
        return Client(tcp=("127.0.0.1", self.port), timeout=timeout)

    def create_token(self, role, name):
        """Runs `kithd token create` on this data folder; returns the token."""
        return create_token(self.data_dir, role, name)


def create_token(data_dir, role, name):
    p = subprocess.run([KITHD, "token", "create", "--role", role, "--name", name,
                        "--data", data_dir],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        raise AssertionError("kithd token create exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (p.returncode, out, p.stderr.decode(errors="replace")))
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    if not lines:
        raise AssertionError("kithd token create printed nothing; stderr:\n%s"
                             % p.stderr.decode(errors="replace"))
    # The token is the printed line (or its last word if it has a label).
    return lines[-1].split()[-1]


class KithTestCase(unittest.TestCase):
    """Base class: start_server() and connect() register their own cleanup;
    when a test fails, the stderr of every server it started is printed."""

    maxDiff = 4000

    def run(self, result=None):
        self._server_logs = []
        if result is None:
            return super().run(result)
        before = len(result.failures) + len(result.errors) + len(getattr(result, "unexpectedSuccesses", []))
        out = super().run(result)
        after = len(result.failures) + len(result.errors) + len(getattr(result, "unexpectedSuccesses", []))
        if after != before:
            for argv, text in self._server_logs:
                sys.stderr.write("\n----- kithd stderr (%s) -----\n%s----- end of kithd stderr -----\n"
                                 % (self.id(), text))
            sys.stderr.flush()
        return out

    def start_server(self, *extra, tokens=(), files=None, config_text=None):
        """Starts a kithd; tokens is [(role, name)] created before start, and
        their tokens are returned in server.tokens[name].  files is
        {relative path: text} written into the server's folder before start
        (its scripts folder is "scripts/", its plugins folder "plugins/");
        config_text, when given, becomes the server's config file instead of
        config/kith.conf."""
        server = Server(*extra)

        def cleanup():
            try:
                server.stop()
                # Also when the test stopped or killed the server itself.
                server.check_sanitizer()
            finally:
                self._server_logs.append((server.argv(), server.stderr_text()))
                server.destroy()

        self.addCleanup(cleanup)
        if files:
            server.write_files(files)
        if config_text is not None:
            server.config = os.path.join(server.tmp, "kith.conf")
            server.write_files({"kith.conf": config_text})
        server.tokens = {}
        for role, name in tokens:
            server.tokens[name] = server.create_token(role, name)
        server.start()
        return server

    def connect(self, server, unix=False, token=None, timeout=IO_TIMEOUT):
        c = server.client(unix=unix, timeout=timeout)
        self.addCleanup(c.close)
        if token is not None:
            c.call("auth", {"token": token})
        return c

    # -- assertions --------------------------------------------------------

    @contextlib.contextmanager
    def assertRpcError(self, code, param=None, kind=None):
        """with self.assertRpcError(-32602, param="amount"): c.call(...)
        Checks the code, data.kind (the contract's kind for the code unless
        given) and data.param when given.  Yields a holder whose .error is
        the RpcError."""
        holder = type("Holder", (), {"error": None})()
        try:
            yield holder
        except RpcError as e:
            holder.error = e
            self.assertEqual(e.code, code, "error code; full error: %r" % (e.error,))
            self.assertIsInstance(e.message, str, "error message; full error: %r" % (e.error,))
            want_kind = kind or KINDS.get(code)
            self.assertEqual(e.kind, want_kind, "data.kind; full error: %r" % (e.error,))
            if param is not None:
                self.assertEqual(e.param, param, "data.param; full error: %r" % (e.error,))
            return
        self.fail("expected a %d error, but the call succeeded" % code)

    def assertErrorReply(self, reply, code, id="any", param=None, kind=None):
        """Checks a raw reply object is an error with the given code (and id
        unless id == "any")."""
        self.assertIsInstance(reply, dict, "reply: %r" % (reply,))
        self.assertEqual(reply.get("jsonrpc"), "2.0", "reply: %r" % (reply,))
        self.assertIn("error", reply, "expected an error reply, got %r" % (reply,))
        self.assertNotIn("result", reply, "reply: %r" % (reply,))
        err = reply["error"]
        self.assertEqual(err.get("code"), code, "error code; reply: %r" % (reply,))
        self.assertIsInstance(err.get("message"), str, "reply: %r" % (reply,))
        self.assertEqual((err.get("data") or {}).get("kind"), kind or KINDS.get(code),
                         "data.kind; reply: %r" % (reply,))
        if param is not None:
            self.assertEqual((err.get("data") or {}).get("param"), param,
                             "data.param; reply: %r" % (reply,))
        if id != "any":
            self.assertIn("id", reply, "reply: %r" % (reply,))
            self.assertEqual(reply["id"], id, "reply id; reply: %r" % (reply,))

    def assertResultReply(self, reply, id, result="any"):
        self.assertIsInstance(reply, dict, "reply: %r" % (reply,))
        self.assertEqual(reply.get("jsonrpc"), "2.0", "reply: %r" % (reply,))
        self.assertNotIn("error", reply, "expected a result, got %r" % (reply,))
        self.assertIn("id", reply, "reply: %r" % (reply,))
        self.assertEqual(reply["id"], id, "reply id; reply: %r" % (reply,))
        if result != "any":
            self.assertEqual(reply.get("result"), result, "reply: %r" % (reply,))

    def assertTime(self, value, what="time"):
        self.assertIsInstance(value, str, "%s: %r" % (what, value))
        self.assertRegex(value, TIME_RE, "%s is not ISO 8601 UTC with ms and Z" % what)

    def assertPong(self, client, id=None):
        """A ping on this connection gets its own pong as the next reply."""
        req = client.make_request("system.ping", id=id)
        reply = client.request(req)
        self.assertResultReply(reply, req["id"], "pong")


def walk_list(client, method, params=None, limit=None, max_pages=10000):
    """Follows next_cursor to the end; returns (items, pages)."""
    items, pages = [], 0
    cursor = None
    while True:
        p = dict(params or {})
        if limit is not None:
            p["limit"] = limit
        if cursor is not None:
            p["cursor"] = cursor
        page = client.call(method, p)
        pages += 1
        if not isinstance(page, dict) or "items" not in page or "next_cursor" not in page:
            raise AssertionError("%s result is not a list {items, next_cursor}: %r" % (method, page))
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        if not isinstance(cursor, str):
            raise AssertionError("next_cursor is neither a string nor null: %r" % (cursor,))
        if pages >= max_pages:
            raise AssertionError("%s: more than %d pages" % (method, max_pages))


def main():
    unittest.main(verbosity=2)
