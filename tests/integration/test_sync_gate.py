"""Replies wait for the disk, the loop does not: with `synchronous full`
every pass commits without an fsync on the loop thread, and a worker
thread syncs the WAL (core/server/durable.c).  This test makes that sync
hang on purpose — kithd's test hook KITH_TEST_SYNC_GATE names a file, and
while it exists no WAL sync finishes, as if the disk stalled — and checks
what must then hold:

- a write's reply does not leave;
- a read from another connection that would show that write does not
  leave either (it saw a change a power cut could undo);
- no subscriber hears of the write;
- once the gate opens, each of them arrives, and agrees; writes pipelined
  behind the hung sync are all answered then, in order.

With `synchronous normal` there is nothing to wait for: the same write is
answered while the gate is closed."""

import os
import shutil
import tempfile

from kithtest import KithTestCase, compact, main

HOLD = 0.6  # seconds a held reply must stay held; nothing is timed beyond this


class SyncGateTest(KithTestCase):
    def gated_server(self, config_text):
        gate = os.path.join(self.tmp_gate_dir(), "gate")
        os.environ["KITH_TEST_SYNC_GATE"] = gate
        try:
            server = self.start_server(config_text=config_text)
        finally:
            del os.environ["KITH_TEST_SYNC_GATE"]
        # Before the server is stopped: it cannot exit while its disk hangs.
        self.addCleanup(lambda: os.path.exists(gate) and os.unlink(gate))
        return server, gate

    def tmp_gate_dir(self):
        d = tempfile.mkdtemp(prefix="kith-gate-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def assert_silent(self, client, what):
        with self.assertRaises(TimeoutError, msg="%s left before the WAL sync" % what):
            client.read_line(timeout=HOLD)

    def test_replies_reads_and_events_wait_for_the_sync(self):
        server, gate = self.gated_server("synchronous full\n")
        writer = self.connect(server)
        reader = self.connect(server, unix=True)
        sub = self.connect(server)
        sub.call("subscribe", {"channels": ["customer.created"]})
        before = writer.call("customer.create", {"name": "before the gate"})

        open(gate, "w").close()  # the disk hangs from now on
        req = writer.make_request("customer.create",
                                  {"name": "held", "external_id": "held-1"})
        writer.send_raw(compact(req) + b"\n")
        self.assert_silent(writer, "the write's reply")
        # The write is committed (a read sees it) but not durable: the read
        # that shows it is held too.
        get = reader.make_request("customer.get", {"external_id": "held-1"})
        reader.send_raw(compact(get) + b"\n")
        self.assert_silent(reader, "a read showing the write")
        # Subscribers hear only of what is on disk: the event of `before`
        # came already; the held write's does not come.
        first = sub.read_json()
        self.assertEqual(first["params"]["data"]["customer"]["id"], before["id"])
        self.assert_silent(sub, "the write's event")

        os.unlink(gate)  # the disk comes back
        reply = writer.read_json()
        self.assertEqual(reply["id"], req["id"])
        created = reply["result"]
        self.assertEqual(created["external_id"], "held-1")
        shown = reader.read_json()
        self.assertEqual(shown["id"], get["id"])
        self.assertEqual(shown["result"]["id"], created["id"])
        event = sub.read_json()
        self.assertEqual(event["params"]["data"]["customer"]["id"], created["id"])
        # And the server goes on as before.
        self.assertEqual(writer.call("customer.get", {"id": created["id"]})["name"], "held")

    def test_pipelined_writes_are_answered_in_order_after_the_sync(self):
        server, gate = self.gated_server("synchronous full\n")
        writer = self.connect(server)
        other = self.connect(server)
        other.call("customer.create", {"name": "someone"})
        open(gate, "w").close()
        for i in range(5):  # replies pile up behind the hung sync, in order
            writer.send_raw(compact(writer.make_request(
                "customer.create", {"name": "held %d" % i})) + b"\n")
        self.assert_silent(writer, "a held write's reply")
        os.unlink(gate)
        ids = [writer.read_json()["result"]["id"] for _ in range(5)]
        self.assertEqual(ids, sorted(ids))
        listed = other.call("customer.list", {"limit": 10})
        names = {c["name"] for c in listed["items"]}
        self.assertTrue({"held %d" % i for i in range(5)} <= names, names)

    def test_synchronous_normal_does_not_wait(self):
        server, gate = self.gated_server("synchronous normal\n")
        c = self.connect(server)
        open(gate, "w").close()
        got = c.call("customer.create", {"name": "no wait"}, timeout=10)
        self.assertEqual(c.call("customer.get", {"id": got["id"]})["name"], "no wait")


if __name__ == "__main__":
    main()
