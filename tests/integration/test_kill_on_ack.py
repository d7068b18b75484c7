"""Acknowledged means durable, tried the hard way: the server is killed with
SIGKILL the instant a write's reply arrives, while crm.on handlers keep the
background committing (and the WAL syncing on a worker thread), with and
without other clients writing.  After each restart the acknowledged write
must be there, unchanged, and its id must not have been given to anything
else.

The full harness is 300 rounds of each kind (KITH_KILL_ROUNDS=300); CI runs
a short form.  A round fails on the first lost write, naming it."""

import os
import threading

from kithtest import ConnectionClosed, KithTestCase, RpcError, compact, main

ROUNDS = int(os.environ.get("KITH_KILL_ROUNDS", "25"))

# Every write wakes handlers that write again after the commit, so relaxed
# commits and background WAL syncs interleave with the clients' passes.
BUSY_RULES = r"""
crm.on("customer.created", function(ev)
  crm.call("interaction.log", {customer_id = ev.customer.id, type = "note",
                               summary = "welcome " .. ev.customer.name})
end)
crm.on("interaction.logged", function(ev)
  if ev.interaction.summary:sub(1, 7) == "welcome" then
    crm.customer.update(ev.customer.id, {attrs = {welcomed = true}})
  end
end)
crm.on("order.created", function(ev)
  crm.loyalty.award(ev.customer.id, 1, "busy")
end)
"""


class Load:
    """Other clients writing as fast as they can, pipelined, until stopped;
    they die with the server and come back when told to."""

    def __init__(self, test, server, conns=3):
        self.test, self.server, self.conns = test, server, conns
        self.stop_flag = threading.Event()
        self.threads = []

    def start(self):
        self.stop_flag.clear()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(self.conns)]
        for t in self.threads:
            t.start()

    def run(self, n):
        try:
            with self.server.client(unix=(n % 2 == 1)) as c:
                cust = c.call("customer.create", {"name": "load %d" % n})
                i = 0
                while not self.stop_flag.is_set():
                    calls = [("order.create", {"customer_id": cust["id"], "amount": 1.5})
                             for _ in range(8)]
                    calls.append(("customer.create", {"name": "load %d.%d" % (n, i)}))
                    c.call_many(calls)
                    i += 1
        except (ConnectionClosed, OSError, AssertionError):
            pass  # the server was killed under us: expected

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=30)


class KillOnAckTest(KithTestCase):
    def rounds(self, with_load):
        server = self.start_server(files={"scripts/busy.lua": BUSY_RULES})
        load = Load(self, server)
        acked = []  # (id, external_id) of every acknowledged create
        for r in range(ROUNDS):
            if with_load:
                load.start()
            with server.client(unix=(r % 2 == 1)) as c:
                # A few writes to get handlers and syncs going, then the one
                # whose reply triggers the kill.
                for k in range(3):
                    c.call("customer.create", {"name": "warm %d.%d" % (r, k)})
                ext = "ack-%d-%d" % (int(with_load), r)
                c.send_raw(compact(c.make_request("customer.create",
                                          {"name": "acked %d" % r, "external_id": ext})) + b"\n")
                reply = c.read_json()
                server.kill9()  # the instant the reply is here
            if with_load:
                load.stop()
            self.assertIn("result", reply, "round %d: %r" % (r, reply))
            acked.append((reply["result"]["id"], ext))
            server.start()
            with server.client() as c:
                for cid, e in acked[-3:]:
                    try:
                        got = c.call("customer.get", {"external_id": e})
                    except RpcError as err:
                        owner = c.call_many([("customer.get", {"id": cid})])
                        self.fail("round %d: acknowledged customer %s (id %d) lost (%s); "
                                  "id %d is now %r" % (r, e, cid, err.kind, cid, owner))
                    self.assertEqual(got["id"], cid, "round %d: %s has moved" % (r, e))
        # At the end, every acknowledged write of every round is still there.
        with server.client() as c:
            for cid, e in acked:
                self.assertEqual(c.call("customer.get", {"id": cid})["external_id"], e)

    def test_kill_on_acknowledge_idle(self):
        self.rounds(with_load=False)

    def test_kill_on_acknowledge_under_load(self):
        self.rounds(with_load=True)


if __name__ == "__main__":
    main()
