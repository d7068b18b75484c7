"""Batches are served in slices across loop passes (defect 6 of issue 9): a
client's batch of 10,000 writes holds nobody else for more than a few ms, its
reply arrives whole and in order, and a request pipelined after it on the
same connection is answered after it.  A batch whose reply would pass
max_output_bytes gets one clear too_large error instead of a disconnect."""

import json
import signal
import socket
import threading
import time

from kithtest import KithTestCase, compact, main

BATCH = 10000
# A ping's time to answer while another client's batch runs: at most the
# batch's slice (2 ms) and a pass's commit, twice; reading and parsing the
# batch's 1 MB is the one step that cannot be cut.  The bound leaves room for
# a slow, busy machine, and for a sanitizer build it grows with the batch
# (a quarter of it): before batches were sliced, one ping waited for the whole
# batch (about 1 s in a release build).
PING_BOUND_S = 0.25


def batch_of_creates(n):
    return [{"jsonrpc": "2.0", "method": "customer.create",
             "params": {"name": "B%d" % i}, "id": i}
            for i in range(n)]


class BatchFairnessTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()

    def test_big_batch_does_not_stall_other_clients(self):
        pinger = self.connect(self.server)
        self.assertPong(pinger)
        # The batch's client is a bare socket read without parsing until the
        # pings stop: parsing 2 MB of JSON here would hold Python's GIL and
        # show up as ping latency.
        batcher = socket.create_connection((self.server.host, self.server.port), timeout=300)
        self.addCleanup(batcher.close)
        done = threading.Event()
        latencies = []

        def ping_until_done():
            i = 0
            while not done.is_set():
                i += 1
                t0 = time.monotonic()
                reply = pinger.request(compact({"jsonrpc": "2.0", "method": "system.ping",
                                                "id": i}) + b"\n")
                latencies.append(time.monotonic() - t0)
                self.assertEqual(reply.get("result"), "pong", reply)
                time.sleep(0.002)

        t = threading.Thread(target=ping_until_done)
        t.start()
        try:
            time.sleep(0.05)
            msg = compact(batch_of_creates(BATCH)) + b"\n"
            self.assertLess(len(msg), 1 << 20, "under max_message_bytes")
            after = compact({"jsonrpc": "2.0", "method": "system.info", "id": "after"}) + b"\n"
            # The pipelined request rides in the same write as the batch.
            t0 = time.monotonic()
            batcher.sendall(msg + after)
            chunks, newlines = [], 0
            while newlines < 2:
                chunk = batcher.recv(1 << 20)
                self.assertTrue(chunk, "the server closed the batch's connection")
                chunks.append(chunk)
                newlines += chunk.count(b"\n")
            batch_s = time.monotonic() - t0
        finally:
            done.set()
            t.join()
        lines = b"".join(chunks).split(b"\n")
        replies, follow = json.loads(lines[0]), json.loads(lines[1])
        self.assertIsInstance(replies, list)
        self.assertEqual(len(replies), BATCH)
        for i, r in enumerate(replies):
            self.assertEqual(r.get("id"), i, r)
            self.assertIn("result", r, r)
            self.assertEqual(r["result"]["name"], "B%d" % i, r)
        ids = [r["result"]["id"] for r in replies]
        self.assertEqual(ids, sorted(ids), "elements ran in order")
        # The request after the batch ran after every element of it.
        self.assertEqual(follow.get("id"), "after", follow)
        self.assertEqual(follow["result"]["customers"], BATCH, follow)
        self.assertGreater(len(latencies), 5, "pings were answered while the batch ran")
        worst = max(latencies)
        print("batch of %d: %.2f s; %d pings meanwhile, worst %.1f ms; slowest %s"
              % (BATCH, batch_s, len(latencies), worst * 1000,
                 sorted((round(x * 1000, 1) for x in latencies), reverse=True)[:5]))
        bound = max(PING_BOUND_S, batch_s / 4)
        self.assertLess(worst, bound, "a ping waited %.0f ms behind another client's batch of "
                        "%.0f ms" % (worst * 1000, batch_s * 1000))

    def test_notification_only_batch_and_mixed_batch(self):
        c = self.connect(self.server)
        notes = [{"jsonrpc": "2.0", "method": "customer.create", "params": {"name": "N%d" % i}}
                 for i in range(300)]
        c.send_raw(compact(notes) + b"\n")
        # No reply for a batch of notifications: the next reply is the ping's.
        self.assertPong(c)
        self.assertEqual(c.call("system.info")["customers"], 300)
        mixed = [{"jsonrpc": "2.0", "method": "system.ping", "id": i} if i % 2 else
                 {"jsonrpc": "2.0", "method": "system.ping"} for i in range(3000)]
        reply = c.request(compact(mixed) + b"\n")
        self.assertEqual([r["id"] for r in reply], list(range(1, 3000, 2)))


    def test_shutdown_finishes_a_batch_in_progress(self):
        # A grace long enough for a slow sanitizer build to finish the batch.
        server = self.start_server("--shutdown-grace", "120")
        c = self.connect(server)
        c.send_raw(compact(batch_of_creates(3000)) + b"\n" +
                   compact({"jsonrpc": "2.0", "method": "system.ping", "id": "after"}) + b"\n")
        time.sleep(0.05)
        server.proc.send_signal(signal.SIGTERM)
        replies = c.read_json(timeout=120)
        self.assertEqual([r["id"] for r in replies], list(range(3000)))
        self.assertEqual(c.read_json()["id"], "after", "what was received is answered")
        c.expect_closed()
        # Exits by itself (the cleanup's SIGTERM would race its teardown).
        self.assertEqual(server.proc.wait(timeout=120), 0)


class BatchTooLargeTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server("--max-output-bytes", "4096")

    def test_batch_reply_over_max_output_bytes_gets_a_clear_error(self):
        c = self.connect(self.server)
        other = self.connect(self.server)
        creates = [{"jsonrpc": "2.0", "method": "customer.create",
                    "params": {"name": "Big %d" % i}, "id": i} for i in range(200)]
        reply = c.request(compact(creates) + b"\n")
        self.assertIsInstance(reply, dict, "one error, not a partial array")
        self.assertErrorReply(reply, -32600, kind="too_large")
        self.assertIsNone(reply["id"])
        self.assertIn("max_output_bytes", reply["error"]["message"])
        data = reply["error"]["data"]
        self.assertEqual(data["max_output_bytes"], 4096)
        self.assertEqual(data["requests"], 200)
        ran = data["ran"]
        self.assertTrue(0 < ran < 200, data)
        # The elements that ran are committed; the rest never ran.
        self.assertEqual(c.call("system.info")["customers"], ran)
        # The connection stays usable, and so does everyone else's.
        self.assertPong(c)
        self.assertPong(other)
        log = self.server.stderr_text()
        self.assertIn("too large", log)
        self.assertNotIn("stopped reading", log)

    def test_single_reply_over_max_output_bytes_gets_a_clear_error(self):
        c = self.connect(self.server)
        for name in ("Wide", "Wider"):
            c.call("customer.create", {"name": name, "attrs": {"note": "x" * 3000}})
        reply = c.request(compact({"jsonrpc": "2.0", "method": "customer.list", "id": 7}) + b"\n")
        self.assertErrorReply(reply, -32600, kind="too_large")
        self.assertEqual(reply["id"], 7)
        self.assertPong(c)


if __name__ == "__main__":
    main()
