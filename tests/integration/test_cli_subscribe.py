"""`kith subscribe` and `kith tasks` against a real kithd.

Every `kith subscribe` runs as a subprocess that a test always stops and
reaps (SIGINT, then SIGKILL if it will not go), even when the test fails.
"""

import json
import os
import queue
import signal
import subprocess
import threading
import time

from kithtest import IO_TIMEOUT, KITH, KithTestCase, main


class Subscriber:
    """A running `kith subscribe ...`: its stdout and stderr are read line by
    line on threads, so a test can wait for a line with a timeout."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.out, self.err = queue.Queue(), queue.Queue()
        self.err_lines = []
        self.threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.out),
                                         daemon=True),
                        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err),
                                         daemon=True)]
        for t in self.threads:
            t.start()

    def _pump(self, stream, lines):
        with stream:
            for raw in stream:
                text = raw.decode(errors="replace").rstrip("\n")
                if lines is self.err:
                    self.err_lines.append(text)
                lines.put(text)
        lines.put(None)

    def _line(self, lines, what, timeout):
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no %s line from %s within %.0f s; stderr so far: %r"
                                 % (what, " ".join(self.argv), timeout, self.err_lines))
        if line is None:
            raise AssertionError("%s ended its %s (exit %r); stderr: %r"
                                 % (" ".join(self.argv), what, self.proc.poll(), self.err_lines))
        return line

    def stdout_line(self, timeout=IO_TIMEOUT):
        return self._line(self.out, "stdout", timeout)

    def stderr_line(self, timeout=IO_TIMEOUT):
        return self._line(self.err, "stderr", timeout)

    def stop(self, sig=signal.SIGINT):
        """Sends `sig` and returns the exit code; kills it if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait()

    def wait(self, timeout=IO_TIMEOUT):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("%s did not exit" % " ".join(self.argv))
        finally:
            for t in self.threads:
                t.join(timeout=10)
        return rc

    def destroy(self):
        """Never raises: kills and reaps whatever is left."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for t in self.threads:
            t.join(timeout=10)


class CliSubscribeTest(KithTestCase):
    def setUp(self):
        if not os.access(KITH, os.X_OK):
            self.fail("kith not found at %s" % KITH)

    def serve(self, **kw):
        self.server = self.start_server(**kw)
        self.where = ["--port", str(self.server.port)]

    def subscribe(self, *args, env=None):
        sub = Subscriber([KITH] + self.where + ["subscribe"] + list(args),
                         env=dict(os.environ, **(env or {})))
        self.addCleanup(sub.destroy)
        # The stderr line says the subscription is in place: only events
        # after it are certain to arrive live.
        self.assertRegex(sub.stderr_line(), r"subscribed to .* at seq \d+")
        return sub

    def kith(self, *args, ok=True, env=None):
        p = subprocess.run([KITH] + self.where + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60, env=dict(os.environ, **(env or {})))
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        if ok:
            self.assertEqual(p.returncode, 0, "kith %s\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), out, err))
        return p.returncode, out, err

    # -- subscribe -----------------------------------------------------------

    def test_live_event_as_json(self):
        self.serve()
        c = self.connect(self.server)
        sub = self.subscribe("customer.*", "--json")
        cust = c.call("customer.create", {"name": "Live Ada"})
        ev = json.loads(sub.stdout_line())
        self.assertEqual(ev["channel"], "customer.created", ev)
        self.assertEqual(ev["data"]["customer"]["id"], cust["id"], ev)
        self.assertEqual(ev["data"]["customer"]["name"], "Live Ada", ev)
        self.assertIsInstance(ev["seq"], int, ev)
        self.assertTime(ev["at"], "event at")
        # Channels outside the pattern are not printed: the next line is
        # the second customer's, not the order's.
        c.call("order.create", {"customer_id": cust["id"], "amount": 5})
        c.call("customer.update", {"id": cust["id"], "company": "Engines"})
        ev2 = json.loads(sub.stdout_line())
        self.assertEqual(ev2["channel"], "customer.updated", ev2)
        self.assertGreater(ev2["seq"], ev["seq"])
        self.assertEqual(sub.stop(signal.SIGINT), 0, "SIGINT exits 0")

    def test_since_zero_replays_in_order(self):
        self.serve()
        c = self.connect(self.server)
        names = ["First", "Second", "Third"]
        for n in names:
            c.call("customer.create", {"name": n})
        sub = self.subscribe("customer.created", "--since", "0", "--json")
        events = [json.loads(sub.stdout_line()) for _ in names]
        self.assertEqual([e["data"]["customer"]["name"] for e in events], names, events)
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, sorted(seqs), "replayed in seq order")
        self.assertEqual(len(set(seqs)), len(seqs), "no duplicates")
        # Replay then live, on the same run.
        c.call("customer.create", {"name": "Fourth"})
        live = json.loads(sub.stdout_line())
        self.assertEqual(live["data"]["customer"]["name"], "Fourth", live)
        self.assertGreater(live["seq"], seqs[-1])
        self.assertEqual(sub.stop(signal.SIGTERM), 0, "SIGTERM exits 0")
        self.assertTrue(any("--since %d" % live["seq"] in l for l in sub.err_lines),
                        "says where to resume: %r" % sub.err_lines)

    def test_readable_lines(self):
        self.serve()
        c = self.connect(self.server)
        sub = self.subscribe("customer.*", "order.*")
        cust = c.call("customer.create", {"name": "Readable Grace"})
        c.call("order.create", {"customer_id": cust["id"], "amount": 12.5})
        line = sub.stdout_line()
        self.assertIn("customer.created", line)
        self.assertIn("Readable Grace", line)
        line = sub.stdout_line()
        self.assertIn("order.created", line)
        self.assertIn("12.50", line)
        self.assertEqual(sub.stop(), 0)

    def test_server_going_away_exits_2(self):
        self.serve()
        sub = self.subscribe("customer.*")
        self.server.stop()
        self.assertEqual(sub.wait(), 2, "the server closing the connection exits 2")

    def test_bad_usage_exits_1(self):
        self.serve()
        rc, _, err = self.kith("subscribe", ok=False)
        self.assertEqual(rc, 1, err)
        rc, _, err = self.kith("subscribe", "customer.*", "--since", "soon", ok=False)
        self.assertEqual(rc, 1, err)
        self.assertIn("--since", err)

    def test_subscribe_with_token(self):
        self.serve(tokens=[("agent", "alice")])
        tok = self.server.tokens["alice"]
        c = self.connect(self.server, token=tok)
        sub = self.subscribe("customer.created", "--json", env={"KITH_TOKEN": tok})
        c.call("customer.create", {"name": "Authed"})
        self.assertEqual(json.loads(sub.stdout_line())["data"]["customer"]["name"], "Authed")
        self.assertEqual(sub.stop(), 0)

    # -- tasks ---------------------------------------------------------------

    def test_tasks_lists_open_tasks(self):
        self.serve()
        c = self.connect(self.server)
        cust = c.call("customer.create", {"name": "Task Ada"})
        task = c.call("task.create", {"note": "call back about the invoice", "due": "1h",
                                      "customer_id": cust["id"], "owner": "alice"})
        c.call("task.create", {"note": "already done", "due": "2h"})
        done = c.call("task.list", {})["items"][-1]
        c.call("task.complete", {"id": done["id"], "outcome": "fine"})

        _, out, _ = self.kith("tasks")
        self.assertIn("call back about the invoice", out)
        self.assertIn("in 1h", out, "the due time reads relative to now")
        self.assertIn("Task Ada", out, "the customer is named")
        self.assertNotIn("already done", out, "closed tasks are left out")

        _, out, _ = self.kith("tasks", "--json")
        got = json.loads(out)
        self.assertIsNone(got["next_cursor"])
        self.assertEqual([t["id"] for t in got["items"]], [task["id"]], got)
        self.assertEqual(got["items"][0]["note"], "call back about the invoice")

        _, out, _ = self.kith("tasks", "--status", "done")
        self.assertIn("already done", out)
        _, out, _ = self.kith("tasks", "--owner", "bob")
        self.assertNotIn("call back", out)

    def test_tasks_default_to_the_tokens_owner(self):
        self.serve(tokens=[("agent", "alice")])
        tok = self.server.tokens["alice"]
        c = self.connect(self.server, token=tok)
        c.call("task.create", {"note": "alice's call", "due": "1h", "owner": "alice"})
        c.call("task.create", {"note": "bob's call", "due": "30m", "owner": "bob"})
        env = {"KITH_TOKEN": tok}
        _, out, _ = self.kith("tasks", env=env)
        self.assertIn("alice's call", out)
        self.assertNotIn("bob's call", out)
        _, out, _ = self.kith("tasks", "--all", env=env)
        self.assertLess(out.index("bob's call"), out.index("alice's call"), "soonest first:\n" + out)
        _, out, _ = self.kith("--json", "tasks", "--owner", "bob", env=env)
        self.assertEqual([t["note"] for t in json.loads(out)["items"]], ["bob's call"])


if __name__ == "__main__":
    main()
