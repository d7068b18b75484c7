"""A successful write is durable when its reply is sent: kill -9 the server,
restart it on the same data folder, and every acknowledged write is there."""

import threading
import time
from decimal import Decimal

from kithtest import ConnectionClosed, KithTestCase, compact, main, walk_list


class DurabilityTest(KithTestCase):
    def check_customer(self, c, cust, orders):
        """cust (as acknowledged) exists unchanged, every acknowledged order
        of it is listed, and its stats agree with its listed orders."""
        got = c.call("customer.get", {"id": cust["id"]})
        for k in ["name", "email", "external_id", "tags", "attrs", "created_at"]:
            self.assertEqual(got[k], cust[k], "customer %d field %s" % (cust["id"], k))
        listed, _ = walk_list(c, "order.list", {"customer_id": cust["id"]}, limit=1000)
        listed_ids = {o["id"] for o in listed}
        for o in orders:
            self.assertIn(o["id"], listed_ids, "acknowledged order %r is gone" % (o,))
        st = got["stats"]
        self.assertEqual(st["orders"], len(listed), "stats.orders vs order.list of %d" % cust["id"])
        total = sum(Decimal(str(o["amount"])) for o in listed)
        self.assertEqual(Decimal(str(st["total_spent"])), total,
                         "stats.total_spent vs order.list of %d" % cust["id"])
        if listed:
            self.assertEqual(st["first_order_at"], min(o["at"] for o in listed))
            self.assertEqual(st["last_order_at"], max(o["at"] for o in listed))

    def test_acknowledged_writes_survive_kill9(self):
        server = self.start_server()
        acked = []  # (customer, [orders])
        for conn_no in range(4):
            with server.client(unix=(conn_no % 2 == 1)) as c:
                for i in range(10):
                    n = conn_no * 10 + i
                    cust = c.call("customer.create", {"name": "Durable %d" % n,
                                                      "email": "d%d@example.com" % n,
                                                      "external_id": "dur-%d" % n,
                                                      "tags": ["d"], "attrs": {"n": n}})
                    orders = [c.call("order.create", {"customer_id": cust["id"], "amount": a,
                                                      "at": "2026-0%d-01T00:00:00Z" % (1 + j)})
                              for j, a in enumerate([9.99, 0.01, 120.5][: 1 + n % 3])]
                    c.call("interaction.log", {"customer_id": cust["id"], "type": "complaint",
                                               "summary": "late"})
                    acked.append((cust, orders))
        # An update and a delete are writes too.
        with server.client() as c:
            upd = c.call("customer.update", {"id": acked[0][0]["id"], "attrs": {"n": None, "v": 2},
                                             "tags": ["updated"]})
            self.assertIs(c.call("customer.delete", {"id": acked[1][0]["id"]}).get("deleted"), True)
        server.kill9()
        server.start()
        with self.connect(server) as c:
            got = c.call("customer.get", {"id": upd["id"]})
            self.assertEqual((got["attrs"], got["tags"]), ({"v": 2}, ["updated"]))
            with self.assertRpcError(-32004):
                c.call("customer.get", {"id": acked[1][0]["id"]})
            for cust, orders in acked[2:]:
                self.check_customer(c, cust, orders)
                st = c.call("customer.get", {"external_id": cust["external_id"]})["stats"]
                self.assertEqual((st["interactions"], st["complaints"]), (1, 1))
            self.assertEqual(c.call("system.info")["customers"], len(acked) - 1)
            # New ids do not reuse old ones.
            new = c.call("customer.create", {"name": "After restart"})
            self.assertGreater(new["id"], max(cust["id"] for cust, _ in acked))
            with self.assertRpcError(-32009):
                c.call("customer.create", {"name": "dup", "external_id": "dur-5"})

    def test_kill9_during_concurrent_writes(self):
        server = self.start_server()
        lock = threading.Lock()
        acked_customers = {}   # id -> customer
        acked_orders = {}      # customer id -> [orders]
        stop = threading.Event()
        count = [0]

        def writer(w):
            try:
                c = server.client(unix=(w % 2 == 0))
            except OSError:
                return
            try:
                i = 0
                while not stop.is_set():
                    cust = c.call("customer.create", {"name": "W%d-%d" % (w, i),
                                                      "email": "w%d-%d@example.com" % (w, i),
                                                      "external_id": "w%d-%d" % (w, i),
                                                      "tags": [], "attrs": {}})
                    with lock:
                        acked_customers[cust["id"]] = cust
                        acked_orders[cust["id"]] = []
                        count[0] += 1
                    for j in range(2):
                        o = c.call("order.create", {"customer_id": cust["id"], "amount": 1.5 + j,
                                                    "at": "2026-06-%02dT10:00:00Z" % (1 + j)})
                        with lock:
                            acked_orders[cust["id"]].append(o)
                            count[0] += 1
                    i += 1
            except Exception:
                pass  # the kill cut the connection; only acknowledged writes count
            finally:
                c.close()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while True:
            with lock:
                n = count[0]
            if n >= 300 or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        server.kill9()  # while the writers are still writing
        stop.set()
        for t in threads:
            t.join(timeout=60)
        self.assertGreater(len(acked_customers), 0, "no write was acknowledged before the kill")
        server.start()
        with self.connect(server) as c:
            for cid, cust in acked_customers.items():
                self.check_customer(c, cust, acked_orders[cid])
            items, _ = walk_list(c, "customer.list", limit=1000)
            ids = [x["id"] for x in items]
            self.assertEqual(len(ids), len(set(ids)))
            self.assertTrue(set(acked_customers) <= set(ids))
            # Every customer that exists (acknowledged or not) has consistent
            # stats: a write is all or nothing.
            for x in items:
                self.check_customer(c, x, [])

    def test_graceful_stop_and_restart(self):
        server = self.start_server()
        with server.client() as c:
            cust = c.call("customer.create", {"name": "Graceful", "tags": ["g"]})
            c.call("order.create", {"customer_id": cust["id"], "amount": 0.1})
        server.stop()
        server.start()
        with self.connect(server) as c:
            self.check_customer(c, cust, [])
            self.assertEqual(c.call("customer.get", {"id": cust["id"]})["stats"]["total_spent"], 0.1)

    def test_sigterm_with_requests_in_flight(self):
        # Pipelined creates, then SIGTERM at once: every reply the client got
        # is durable, and the server still exits 0.
        server = self.start_server()
        c = server.client()
        c.send_raw(b"".join(
            compact({"jsonrpc": "2.0", "method": "customer.create",
                     "params": {"name": "T%d" % i, "external_id": "t-%d" % i}, "id": i}) + b"\n"
            for i in range(500)))
        server.stop()
        acked = []
        try:
            while True:
                reply = c.read_json()
                self.assertIn("result", reply, reply)
                acked.append(reply["result"])
        except ConnectionClosed:
            pass
        c.close()
        server.start()
        with self.connect(server) as c:
            for cust in acked:
                got = c.call("customer.get", {"external_id": cust["external_id"]})
                self.assertEqual((got["id"], got["name"]), (cust["id"], cust["name"]))

    def test_restart_twice_after_kill9(self):
        server = self.start_server()
        ids = []
        for round_no in range(3):
            with server.client() as c:
                ids.append(c.call("customer.create", {"name": "Round %d" % round_no})["id"])
                self.assertEqual(sorted(x["id"] for x in c.call("customer.list")["items"]), ids)
            server.kill9()
            server.start()
        with self.connect(server) as c:
            self.assertEqual([x["id"] for x in c.call("customer.list")["items"]], ids)


if __name__ == "__main__":
    main()
