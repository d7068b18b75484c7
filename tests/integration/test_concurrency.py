"""Pipelining (replies in request order) and many concurrent clients."""

import threading

from kithtest import KithTestCase, compact, main, walk_list


class PipelineTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_1000_pipelined_requests_reply_in_order(self):
        cust = self.c.call("customer.create", {"name": "Pipe"})
        reqs = []
        for i in range(1000):
            kind = i % 4
            if kind == 0:
                r = {"jsonrpc": "2.0", "method": "system.ping", "id": i}
            elif kind == 1:
                r = {"jsonrpc": "2.0", "method": "customer.create",
                     "params": {"name": "P%04d" % i}, "id": "s%d" % i}
            elif kind == 2:
                r = {"jsonrpc": "2.0", "method": "customer.get", "params": {"id": cust["id"]}, "id": i}
            else:
                r = {"jsonrpc": "2.0", "method": "customer.get", "params": {"id": 10 ** 9}, "id": i}
            reqs.append(r)
        # Everything is written before anything is read.
        self.c.send_raw(b"".join(compact(r) + b"\n" for r in reqs))
        created = []
        for r in reqs:
            reply = self.c.read_json()
            self.assertEqual(reply.get("id"), r["id"], "replies come in request order")
            if r["method"] == "system.ping":
                self.assertResultReply(reply, r["id"], "pong")
            elif r["method"] == "customer.create":
                self.assertResultReply(reply, r["id"])
                self.assertEqual(reply["result"]["name"], r["params"]["name"])
                created.append(reply["result"]["id"])
            elif r["params"]["id"] == cust["id"]:
                self.assertResultReply(reply, r["id"])
                self.assertEqual(reply["result"]["name"], "Pipe")
            else:
                self.assertErrorReply(reply, -32004, id=r["id"])
        self.assertEqual(created, sorted(created), "creates applied in request order")
        self.assertEqual(len(set(created)), 250)
        self.assertEqual(self.c.call("system.info")["customers"], 251)

    def test_pipelined_batches_and_singles_interleave_in_order(self):
        msgs, expect = [], []
        for i in range(100):
            if i % 3 == 0:
                msgs.append([{"jsonrpc": "2.0", "method": "system.ping", "id": "b%d-%d" % (i, j)}
                             for j in range(3)])
                expect.append(["b%d-%d" % (i, j) for j in range(3)])
            else:
                msgs.append({"jsonrpc": "2.0", "method": "system.ping", "id": i})
                expect.append(i)
        self.c.send_raw(b"".join(compact(m) for m in msgs))
        for want in expect:
            reply = self.c.read_json()
            if isinstance(want, list):
                self.assertIsInstance(reply, list, reply)
                self.assertEqual(sorted(r["id"] for r in reply), sorted(want))
            else:
                self.assertResultReply(reply, want, "pong")


class ManyClientsTest(KithTestCase):
    CLIENTS = 50
    PER_CLIENT = 10

    def test_50_concurrent_clients(self):
        server = self.start_server()
        errors = []
        results = {}
        start = threading.Barrier(self.CLIENTS)

        def worker(n):
            try:
                with server.client(unix=(n % 5 == 0)) as c:
                    start.wait(timeout=60)
                    mine = []
                    for i in range(self.PER_CLIENT):
                        email = "c%02d-%02d@example.com" % (n, i)
                        cust = c.call("customer.create", {"name": "Client %d #%d" % (n, i),
                                                          "email": email, "tags": ["t%d" % n],
                                                          "external_id": "x-%d-%d" % (n, i)})
                        c.call("order.create", {"customer_id": cust["id"], "amount": 1.25})
                        mine.append(cust)
                    for cust in mine:
                        got = c.call("customer.get", {"email": cust["email"]})
                        if got["id"] != cust["id"] or got["name"] != cust["name"]:
                            raise AssertionError("read back %r, created %r" % (got, cust))
                        if got["stats"]["orders"] != 1 or got["stats"]["total_spent"] != 1.25:
                            raise AssertionError("stats of %r: %r" % (cust["id"], got["stats"]))
                    listed = c.call("customer.list", {"filter": {"tag": "t%d" % n}})["items"]
                    if [x["id"] for x in listed] != [x["id"] for x in mine]:
                        raise AssertionError("client %d lists %r" % (n, [x["id"] for x in listed]))
                    results[n] = mine
            except BaseException as e:  # reported below, with the client number
                errors.append("client %d: %r" % (n, e))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        self.assertFalse(any(t.is_alive() for t in threads), "clients still running")
        self.assertEqual(errors, [])
        self.assertEqual(len(results), self.CLIENTS)
        all_ids = [c["id"] for mine in results.values() for c in mine]
        self.assertEqual(len(set(all_ids)), self.CLIENTS * self.PER_CLIENT, "ids are unique")
        with server.client() as c:
            items, _ = walk_list(c, "customer.list", limit=1000)
            self.assertEqual(sorted(x["id"] for x in items), sorted(all_ids))
            self.assertEqual(c.call("system.info")["customers"], self.CLIENTS * self.PER_CLIENT)
            stats = c.call("system.stats")["methods"]
            self.assertEqual(stats["customer.create"]["calls"], self.CLIENTS * self.PER_CLIENT)
            self.assertEqual(stats["customer.create"]["errors"], 0)

    def test_concurrent_duplicate_external_ids(self):
        # Ten clients race to create the same external_id: exactly one wins.
        server = self.start_server()
        outcomes = []
        start = threading.Barrier(10)

        def worker(n):
            try:
                with server.client() as c:
                    start.wait(timeout=60)
                    try:
                        c.call("customer.create", {"name": "Racer %d" % n, "external_id": "race"})
                        outcomes.append("ok")
                    except Exception as e:
                        outcomes.append(getattr(e, "code", repr(e)))
            except BaseException as e:
                outcomes.append(repr(e))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(sorted(outcomes, key=str), sorted(["ok"] + [-32009] * 9, key=str))


if __name__ == "__main__":
    main()
