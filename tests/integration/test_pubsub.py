"""Publish/subscribe over the socket: exact channel names and glob patterns,
unsubscribe, parameter errors; a subscriber that was away resumes with
`since` and gets every missed event exactly once, in order, across the seam
between the replay and live delivery while another client keeps writing;
and a subscriber that never reads is disconnected once its unsent output
passes max_output_bytes, while writers and other subscribers carry on and
the server's memory stays bounded (its peak VmRSS is printed to stderr as
"slow subscriber: ...").

Retention (a `since` older than 30 days) is not tested here.

Standard library only.
"""

import fnmatch
import os
import socket
import struct
import sys
import threading
import time

from kithtest import BIN_DIR, KITHD, Client, ConnectionClosed, KithTestCase, compact, main

# Speed over fsync: these tests are about delivery, not durability.
CONFIG = "synchronous normal\nwatch_scripts 0\n"

IO = 60.0


class Sub:
    """A subscribed connection; checks that seqs strictly increase."""

    def __init__(self, tc, server, channels, since=None, client=None):
        self.tc = tc
        self.client = client or tc.connect(server)
        params = {"channels": list(channels)}
        if since is not None:
            params["since"] = since
        self.reply = self.client.call("subscribe", params)
        self.seq = self.reply["seq"]
        self.last_seq = since if since is not None else self.reply["seq"]
        self.events = []

    def _take(self, msg):
        self.tc.assertEqual(msg.get("method"), "event", "expected an event: %r" % (msg,))
        self.tc.assertNotIn("id", msg, "an event is a notification: %r" % (msg,))
        ev = msg["params"]
        self.tc.assertIsInstance(ev.get("seq"), int, ev)
        self.tc.assertGreater(ev["seq"], self.last_seq,
                              "seqs strictly increase (duplicate or out of order): %r" % (ev,))
        self.last_seq = ev["seq"]
        self.events.append(ev)
        return ev

    def next(self, timeout=IO):
        return self._take(self.client.read_json(timeout))

    def until(self, pred, timeout=IO):
        """The first event of this subscription matching pred, reading
        more until it arrives."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if pred(e):
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("expected event not seen; last events: %r"
                                     % ([(e["channel"], e["seq"]) for e in self.events[-20:]],))
            self.next(left)

    def drain(self):
        """Every event published before a ping on this connection is
        written before its pong; returns those not read yet."""
        req = self.client.make_request("system.ping")
        self.client.send_raw(compact(req) + b"\n")
        got = []
        while True:
            msg = self.client.read_json(IO)
            if "id" in msg:
                self.tc.assertEqual(msg.get("id"), req["id"], msg)
                self.tc.assertEqual(msg.get("result"), "pong", msg)
                return got
            got.append(self._take(msg))


def created_named(name):
    return lambda ev: (ev["channel"] == "customer.created"
                       and ev["data"]["customer"]["name"] == name)


def matches(patterns, channel):
    return any(fnmatch.fnmatchcase(channel, p) for p in patterns)


def sanitizer_build():
    """True when kithd is built with AddressSanitizer or ThreadSanitizer
    (from KITH_SANITIZE, the build folder's CMakeCache.txt, or the binary
    itself): both run slower and hold more memory."""
    env = os.environ.get("KITH_SANITIZE", "").strip().lower()
    if env in ("1", "on", "yes", "true"):
        return True
    if env in ("0", "off", "no", "false"):
        return False
    try:
        with open(os.path.join(BIN_DIR, "CMakeCache.txt"), errors="replace") as f:
            options = [line.strip().split("=", 1)[-1].upper() in ("ON", "1", "TRUE", "YES")
                       for line in f if line.startswith(("KITH_SANITIZE:", "KITH_TSAN:"))]
        if options:
            return any(options)
    except OSError:
        pass
    try:
        with open(KITHD, "rb") as f:
            binary = f.read()
            return b"__asan_init" in binary or b"__tsan_init" in binary
    except OSError:
        return False


def small_rcvbuf_client(tc, server, rcvbuf):
    """A kithtest Client on a TCP socket whose SO_RCVBUF is set before
    connecting."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(IO)
    sock.connect(("127.0.0.1", server.port))
    c = Client.__new__(Client)
    c.sock, c.timeout, c.buf, c.next_id, c.closed = sock, IO, b"", 1, False
    tc.addCleanup(c.close)
    return c


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PatternTest(KithTestCase):

    def setUp(self):
        self.server = self.start_server(config_text=CONFIG)
        self.c = self.connect(self.server)

    def write_some(self, tag):
        c = self.c
        a = c.call("customer.create", {"name": "Ann " + tag})
        c.call("customer.update", {"id": a["id"], "company": "Acme " + tag})
        c.call("order.create", {"customer_id": a["id"], "amount": 12.5})
        c.call("interaction.log", {"customer_id": a["id"], "type": "call", "summary": "hi " + tag})
        c.call("task.create", {"note": "follow up " + tag, "due": "1d", "customer_id": a["id"]})
        b = c.call("customer.create", {"name": "Bob " + tag})
        c.call("customer.delete", {"id": b["id"]})
        return a, b

    def test_exact_names_globs_and_everything(self):
        subs = {
            "glob": Sub(self, self.server, ["customer.*"]),
            "exact": Sub(self, self.server, ["order.created"]),
            "multi": Sub(self, self.server, ["customer.created", "task.created"]),
            "mixed": Sub(self, self.server, ["*.created", "interaction.logged"]),
            "all": Sub(self, self.server, ["*"]),
            "none": Sub(self, self.server, ["no.such.channel", "plugin.nothing.*"]),
        }
        for name, s in subs.items():
            self.assertIsInstance(s.reply["seq"], int, s.reply)
        patterns = {"glob": ["customer.*"], "exact": ["order.created"],
                    "multi": ["customer.created", "task.created"],
                    "mixed": ["*.created", "interaction.logged"], "all": ["*"],
                    "none": ["no.such.channel", "plugin.nothing.*"]}
        a, b = self.write_some("1")
        got = {name: s.drain() for name, s in subs.items()}
        everything = got["all"]
        channels = [e["channel"] for e in everything]
        for ch in ("customer.created", "customer.updated", "order.created", "interaction.logged",
                   "task.created", "customer.deleted"):
            self.assertIn(ch, channels, "'*' gets every channel: %r" % (channels,))
        # Each subscriber got exactly the events of '*' its patterns match.
        for name, s in subs.items():
            want = [e["seq"] for e in everything if matches(patterns[name], e["channel"])]
            self.assertEqual([e["seq"] for e in got[name]], want,
                             "%s %r: got %r" % (name, patterns[name],
                                                [e["channel"] for e in got[name]]))
        self.assertEqual([e["channel"] for e in got["exact"]], ["order.created"])
        self.assertEqual(got["none"], [])
        glob_channels = {e["channel"] for e in got["glob"]}
        self.assertTrue({"customer.created", "customer.updated", "customer.deleted"} <= glob_channels,
                        glob_channels)
        self.assertFalse({c for c in glob_channels if not c.startswith("customer.")}, glob_channels)
        # Data shapes of the contract.
        created = [e for e in got["multi"] if e["channel"] == "customer.created"]
        self.assertEqual([e["data"]["customer"]["id"] for e in created], [a["id"], b["id"]])
        upd = [e for e in got["glob"] if e["channel"] == "customer.updated"
               and "company" in (e["data"].get("changes") or {})][0]
        self.assertEqual(upd["data"]["changes"]["company"], {"old": None, "new": "Acme 1"}, upd)
        order = got["exact"][0]["data"]
        self.assertEqual(order["order"]["customer_id"], a["id"], order)
        self.assertEqual(order["customer"]["id"], a["id"], order)
        for e in everything:
            self.assertTime(e["at"], "event at")

    def test_unsubscribe(self):
        s = Sub(self, self.server, ["customer.created", "task.created", "order.*"])
        # Subscribing again adds patterns, without duplicates.
        r = s.client.call("subscribe", {"channels": ["task.created", "interaction.logged"]})
        self.assertEqual(sorted(r["channels"]),
                         ["customer.created", "interaction.logged", "order.*", "task.created"], r)
        self.write_some("1")
        self.assertEqual(sorted({e["channel"] for e in s.drain()}),
                         ["customer.created", "interaction.logged", "order.created", "task.created"])

        r = s.client.call("unsubscribe", {"channels": ["customer.created", "order.*", "not.there"]})
        self.assertEqual(sorted(r["channels"]), ["interaction.logged", "task.created"], r)
        self.write_some("2")
        self.assertEqual(sorted({e["channel"] for e in s.drain()}),
                         ["interaction.logged", "task.created"])

        r = s.client.call("unsubscribe")
        self.assertEqual(r["channels"], [], r)
        self.write_some("3")
        self.assertEqual(s.drain(), [], "nothing after unsubscribing from everything")

        # Subscribing again (no since) delivers only what comes next.
        r = s.client.call("subscribe", {"channels": ["customer.created"]})
        self.assertEqual(r["channels"], ["customer.created"], r)
        s.last_seq = r["seq"]
        self.assertEqual(s.drain(), [])
        x = self.c.call("customer.create", {"name": "Xena"})
        got = s.drain()
        self.assertEqual([(e["channel"], e["data"]["customer"]["id"]) for e in got],
                         [("customer.created", x["id"])])
        self.assertGreater(got[0]["seq"], r["seq"])

    def test_subscribe_errors(self):
        c = self.connect(self.server)
        seq = c.call("subscribe", {"channels": ["customer.created"]})["seq"]
        c2 = self.connect(self.server)
        for params, param in [({}, "channels"),
                              ({"channels": []}, "channels"),
                              ({"channels": "customer.created"}, "channels"),
                              ({"channels": [1]}, "channels"),
                              ({"channels": ["customer created"]}, "channels"),
                              ({"channels": [""]}, "channels"),
                              ({"channels": ["customer.*"], "since": seq + 1000}, "since"),
                              ({"channels": ["customer.*"], "since": -1}, "since"),
                              ({"channels": ["customer.*"], "since": "1"}, "since")]:
            with self.assertRpcError(-32602, param=param):
                c2.call("subscribe", params)
        # The failed calls subscribed to nothing.
        self.c.call("customer.create", {"name": "Quiet"})
        self.assertPong(c2)


class ResumeTest(KithTestCase):

    N_AWAY = 1200      # events written while the subscriber is away
    N_DURING = 600     # customers written concurrently with the replay
    BATCH = 25

    def setUp(self):
        self.server = self.start_server(config_text=CONFIG)
        self.c = self.connect(self.server)

    def write_batch(self, client, start, n, ids, with_noise=True):
        """n customer.create (and, with noise, a task.create per 5 -- a
        channel the subscriber does not match), pipelined."""
        calls = []
        for i in range(start, start + n):
            calls.append(("customer.create", {"name": "c%05d" % i}))
            if with_noise and i % 5 == 0:
                calls.append(("task.create", {"note": "noise %d" % i, "due": "30d"}))
        for (m, _), r in zip(calls, client.call_many(calls)):
            if isinstance(r, Exception):
                raise AssertionError("%s failed: %r" % (m, r))
            if m == "customer.create":
                ids.append(r["id"])

    def test_resume_with_since_gets_every_missed_event_once_in_order(self):
        channels = ["customer.*"]
        witness = Sub(self, self.server, channels)     # live all along
        away = Sub(self, self.server, channels)
        ids = []
        self.write_batch(self.c, 0, 5, ids)
        for _ in range(5):
            away.next()
        last_seen = away.last_seq
        away.client.close()

        # Written while nobody is listening on `away`'s behalf.
        for start in range(5, 5 + self.N_AWAY, self.BATCH):
            self.write_batch(self.c, start, self.BATCH, ids)

        # Another client keeps writing while the subscriber replays.
        during_ids, errors = [], []
        writer = self.connect(self.server)
        started = threading.Event()

        def keep_writing():
            try:
                base = 100000
                for k in range(0, self.N_DURING, self.BATCH):
                    self.write_batch(writer, base + k, self.BATCH, during_ids)
                    started.set()
            except Exception as e:  # reported by the main thread
                errors.append(e)
            finally:
                started.set()

        t = threading.Thread(target=keep_writing, daemon=True)
        t.start()
        started.wait(IO)
        back = Sub(self, self.server, channels, since=last_seen)
        subscribe_seq = back.reply["seq"]
        t.join(IO * 2)
        self.assertFalse(t.is_alive(), "writer thread hung")
        self.assertEqual(errors, [], "every concurrent write succeeds")
        marker = self.c.call("customer.create", {"name": "marker"})
        back.until(created_named("marker"), timeout=IO * 2)
        witness.until(created_named("marker"), timeout=IO * 2)

        got = [(e["seq"], e["channel"]) for e in back.events]
        want = [(e["seq"], e["channel"]) for e in witness.events if e["seq"] > last_seen]
        self.assertEqual(len(got), len(want),
                         "resumed subscriber: %d events, live witness: %d" % (len(got), len(want)))
        self.assertEqual(got, want, "the resumed stream equals the live one after since")
        self.assertTrue(all(c.startswith("customer.") for _, c in got))
        created_ids = [e["data"]["customer"]["id"] for e in back.events
                       if e["channel"] == "customer.created"]
        all_new = ids[5:] + during_ids + [marker["id"]]
        self.assertEqual(sorted(created_ids), sorted(all_new), "every missed customer, once")
        self.assertEqual(len(created_ids), len(set(created_ids)))

        # A quiet replay of the same range gives the same list again.
        again = Sub(self, self.server, channels, since=last_seen)
        again.until(created_named("marker"), timeout=IO * 2)
        self.assertEqual([(e["seq"], e["channel"]) for e in again.events], want)
        self.assertEqual(again.drain(), [])

        self._report(got, last_seen, subscribe_seq, back, during_ids)

    def test_adding_a_channel_during_a_replay_keeps_the_replay(self):
        """subscribe {since} then, before the replay is through, subscribe
        to one more channel (no since): the first call's replay still
        delivers every missed event (the contract: "replays every retained
        event after that seq ... with no gap")."""
        ids = []
        since = self.c.call("subscribe", {"channels": ["customer.created"]})["seq"]
        self.c.call("unsubscribe")
        for start in range(0, 1000, 50):
            self.write_batch(self.c, start, 50, ids, with_noise=False)
        b = self.connect(self.server)
        reqs = [b.make_request("subscribe", {"channels": ["customer.created"], "since": since}),
                b.make_request("subscribe", {"channels": ["task.created"]})]
        b.send_raw(b"".join(compact(r) + b"\n" for r in reqs))   # one write: deterministic
        sub = Sub.__new__(Sub)
        sub.tc, sub.client, sub.events, sub.last_seq = self, b, [], since
        replies = []
        task = self.c.call("task.create", {"note": "new channel", "due": "30d"})
        marker = self.c.call("customer.create", {"name": "marker"})
        deadline = time.monotonic() + IO
        while not any(created_named("marker")(e) for e in sub.events):
            self.assertLess(time.monotonic(), deadline, "marker not seen")
            msg = b.read_json(IO)
            if "id" in msg:
                replies.append(msg)
            else:
                sub._take(msg)
        self.assertEqual([r["id"] for r in replies], [reqs[0]["id"], reqs[1]["id"]], replies)
        self.assertEqual(sorted(replies[1]["result"]["channels"]), ["customer.created", "task.created"])
        created = [e["data"]["customer"]["id"] for e in sub.events if e["channel"] == "customer.created"]
        self.assertEqual(len(created), len(ids) + 1,
                         "customer.created events after since=%d: %d of %d (the second subscribe "
                         "cut the replay short)" % (since, len(created), len(ids) + 1))
        self.assertEqual(created, ids + [marker["id"]])
        self.assertIn(("task.created", task["id"]),
                      [(e["channel"], e["data"]["task"]["id"]) for e in sub.events
                       if e["channel"] == "task.created"])

    def _report(self, got, last_seen, subscribe_seq, back, during_ids):
        replayed = sum(1 for s, _ in got if s <= subscribe_seq)
        live = len(got) - replayed
        during_after = sum(1 for e in back.events if e["channel"] == "customer.created"
                           and e["seq"] > subscribe_seq)
        sys.stderr.write("resume: %d events after since=%d: %d were in the log at subscribe "
                         "(seq <= %d), %d were written after it; %d of the %d concurrently "
                         "written customers came after the subscribe\n"
                         % (len(got), last_seen, replayed, subscribe_seq, live,
                            during_after, len(during_ids)))


class SlowSubscriberTest(KithTestCase):

    MAX_OUTPUT = 65536
    # AddressSanitizer keeps up to 256 MB of freed memory in quarantine, on
    # top of its shadow memory: its bound is looser.
    RSS_LIMIT_KB = 200 * 1024
    RSS_LIMIT_ASAN_KB = 600 * 1024
    DROP_WITHIN_S = 60.0       # only guards against a server that never drops
    DROP_WITHIN_EVENTS = 20000  # ~40 MB of events: far beyond 64 kB plus socket buffers
    AFTER_DROP = 600           # customers written after the drop
    PAD = "x" * 1500           # makes every event ~2 kB

    def test_non_reader_is_disconnected_and_nobody_else_suffers(self):
        server = self.start_server("--max-output-bytes", str(self.MAX_OUTPUT), config_text=CONFIG)
        pid = server.proc.pid
        writer = self.connect(server)
        monitor = self.connect(server)
        rss = [vm_rss_kb(pid)]

        # A subscriber that reads everything, in a thread.
        reader = Sub(self, server, ["customer.created"])
        reader_ids, reader_err = [], []

        def read_all():
            try:
                while True:
                    ev = reader.next(IO)
                    reader_ids.append(ev["data"]["customer"]["id"])
                    if ev["data"]["customer"]["name"] == "last":
                        return
            except Exception as e:
                reader_err.append(e)

        rt = threading.Thread(target=read_all, daemon=True)
        rt.start()

        # The non-reader: a tiny receive buffer, subscribes to everything,
        # reads the subscribe reply and then never reads again.
        slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(slow.close)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        slow.settimeout(IO)
        slow.connect(("127.0.0.1", server.port))
        slow.sendall(compact({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
                              "params": {"channels": ["*"]}}) + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = slow.recv(4096)
            self.assertTrue(chunk, "closed before the subscribe reply")
            buf += chunk
        self.assertIn(b'"result"', buf.split(b"\n")[0], buf[:300])

        conns_before = monitor.call("system.info")["connections"]
        dropped_before = monitor.call("system.stats")["server"]["slow_clients_dropped"]

        def dropped():
            return monitor.call("system.info")["connections"] < conns_before

        written, failures = [], []

        def write(n, tag):
            calls = [("customer.create", {"name": "%s%d" % (tag, i), "attrs": {"pad": self.PAD}})
                     for i in range(n)]
            for r in writer.call_many(calls):
                if isinstance(r, Exception):
                    failures.append(r)
                else:
                    written.append(r["id"])

        t0 = time.monotonic()
        while not dropped():
            self.assertTrue(time.monotonic() - t0 < self.DROP_WITHIN_S
                            and len(written) < self.DROP_WITHIN_EVENTS,
                            "the non-reader was not disconnected after %d events (~%d bytes each)"
                            % (len(written), len(self.PAD)))
            write(20, "w")
            rss.append(vm_rss_kb(pid))
        drop_s = time.monotonic() - t0
        at_drop = len(written)

        # The writer goes on, unharmed.
        for k in range(0, self.AFTER_DROP, 20):
            write(20, "after")
            rss.append(vm_rss_kb(pid))
        writer.call("customer.create", {"name": "last"})
        rt.join(IO * 2)
        self.assertFalse(rt.is_alive(), "reader thread hung")
        self.assertEqual(reader_err, [], "the reading subscriber keeps getting events")
        self.assertEqual(failures, [], "every write succeeds")
        self.assertEqual(len(written), at_drop + self.AFTER_DROP)
        self.assertEqual(reader_ids[:-1], written, "the reader got every customer, in order")

        stats = monitor.call("system.stats")["server"]
        self.assertEqual(stats["slow_clients_dropped"], dropped_before + 1, stats)
        self.assertPong(monitor)
        self.assertPong(reader.client)

        # The non-reader's socket is closed: draining it ends in EOF/reset.
        got, closed = 0, False
        slow.settimeout(5.0)
        deadline = time.monotonic() + IO
        while time.monotonic() < deadline:
            try:
                chunk = slow.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
            if not chunk:
                closed = True
                break
            got += len(chunk)
        self.assertTrue(closed, "the non-reader's connection is still open after %d bytes" % got)
        self.assertLessEqual(got, 64 * 1024 * 1024)

        peak = max(rss)
        limit = self.RSS_LIMIT_ASAN_KB if sanitizer_build() else self.RSS_LIMIT_KB
        sys.stderr.write("slow subscriber: dropped after %d events (%.2f s); %d bytes were still "
                         "readable on its socket; server VmRSS start %d kB, peak %d kB, end %d kB "
                         "(limit %d kB)\n" % (at_drop, drop_s, got, rss[0], peak, rss[-1], limit))
        self.assertLess(peak, limit, "server VmRSS peaked at %d kB" % peak)
        self.assertRegex(server.stderr_text(), r"(?i)disconnect",
                         "the disconnection is logged")

    def test_replaying_reader_is_not_taken_for_a_slow_one(self):
        """A subscriber that resumes with since and reads as fast as it can
        is not a client that "stops reading": its backlog (here ~4 MB, far
        more than max_output_bytes) must be paced by the server, not cut."""
        server = self.start_server("--max-output-bytes", str(self.MAX_OUTPUT), config_text=CONFIG)
        writer = self.connect(server)
        probe = Sub(self, server, ["customer.created"])
        since = probe.seq
        probe.client.close()   # it must not sit there as a non-reader
        pad = "y" * 20000
        ids = [writer.call("customer.create", {"name": "big%d" % i, "attrs": {"pad": pad}})["id"]
               for i in range(200)]
        # Reads promptly, through a modest receive buffer, so the kernel
        # cannot swallow the whole backlog at once whatever its tuning.
        back = Sub(self, server, ["customer.created"], since=since,
                   client=small_rcvbuf_client(self, server, 32768))
        got = []
        try:
            while len(got) < len(ids):
                got.append(back.next()["data"]["customer"]["id"])
            self.assertEqual(back.drain(), [])   # and the connection is still open
        except (OSError, ConnectionClosed) as e:
            self.fail("a promptly reading subscriber replaying %d events of ~%d bytes was cut off "
                      "after %d events (max_output_bytes %d): %s; system.stats server: %r"
                      % (len(ids), len(pad), len(got), self.MAX_OUTPUT, str(e)[:200],
                         writer.call("system.stats")["server"]))
        self.assertEqual(got, ids)
        self.assertEqual(writer.call("system.stats")["server"]["slow_clients_dropped"], 0)

    def test_subscriber_vanishing_with_output_pending_does_not_kill_the_server(self):
        """A non-reader (below max_output_bytes) whose connection is reset
        while the server still holds output for it: the server drops that
        connection and carries on (a write to the reset socket must not
        raise SIGPIPE in kithd)."""
        server = self.start_server(config_text=CONFIG)   # default max_output_bytes (32 MB)
        writer = self.connect(server)
        monitor = self.connect(server)
        slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(slow.close)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(IO)
        slow.connect(("127.0.0.1", server.port))
        slow.sendall(compact({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
                              "params": {"channels": ["*"]}}) + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = slow.recv(4096)
            self.assertTrue(chunk, "closed before the subscribe reply")
            buf += chunk
        conns = monitor.call("system.info")["connections"]
        pad = "z" * 10000
        for k in range(0, 600, 5):   # ~6 MB of events: more than the socket buffers hold
            for r in writer.call_many([("customer.create", {"name": "p%d" % (k + i),
                                                            "attrs": {"pad": pad}})
                                       for i in range(5)]):
                self.assertNotIsInstance(r, Exception)
        self.assertEqual(monitor.call("system.info")["connections"], conns,
                         "still below max_output_bytes: not dropped yet")
        # Reset (not a polite FIN) with unread data: the peer is gone.
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        slow.close()
        for i in range(50):
            try:
                writer.call("customer.create", {"name": "after%d" % i, "attrs": {"pad": pad}})
            except Exception as e:
                code = None
                try:
                    code = server.proc.wait(timeout=5)
                except Exception:
                    pass
                self.fail("write %d after the subscriber vanished failed: %r; kithd exit code %r "
                          "(-13: killed by SIGPIPE)" % (i, e, code))
        self.assertPong(writer)
        self.assertTrue(server.running(), "kithd died: exit code %r" % (server.proc.poll(),))
        deadline = time.monotonic() + IO
        while monitor.call("system.info")["connections"] != conns - 1:
            self.assertLess(time.monotonic(), deadline, "the reset connection was never closed")
            time.sleep(0.05)


if __name__ == "__main__":
    main()
