"""kith-bench against a server that holds real data (issue 9, defect 9: it
once put 2,000 orders on a real customer and created 870 real tasks).

  * A run that writes (--preload, create, order, mixed) refuses a server
    holding customers the benchmark did not create: exit 3, a message naming
    --force, and nothing written.  Reads (ping, get) run anywhere.
  * With --force it writes only to customers it created (tagged kith-bench,
    external_id kith-bench:...): every real customer's record, orders,
    interactions, points and tasks are unchanged afterwards.
  * --cleanup removes exactly what the benchmark created, also after a run
    that was killed, and says what it removed; what was there before is
    left exactly as it was.

Everything is compared through the API, before and after."""

import json
import os
import signal
import subprocess
import time

from kithtest import KithTestCase, main, walk_list

BIN = os.environ.get("KITH_BIN_DIR", "build")
BENCH = os.path.join(BIN, "kith-bench")
SOURCE = os.environ.get("KITH_SOURCE_DIR", ".")
REFUSED = 3


class BenchSafetyTest(KithTestCase):
    def setUp(self):
        if not os.access(BENCH, os.X_OK):
            self.fail("kith-bench not found at %s" % BENCH)
        self.server = self.start_server(
            "--scripts", os.path.join(SOURCE, "scripts"),
            "--plugins", os.path.join(SOURCE, "plugins"), "--watch-scripts", "0")
        self.c = self.connect(self.server)
        self.seed()

    # -- helpers -------------------------------------------------------------

    def argv(self, *args):
        return [BENCH, "-s", self.server.unix_path, "-c", "2"] + list(args)

    def bench(self, *args):
        p = subprocess.run(self.argv(*args), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=120)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def bench_ok(self, *args):
        rc, out, err = self.bench(*args)
        self.assertEqual(rc, 0, "kith-bench %s\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(args), out, err))
        return json.loads(out.strip().splitlines()[-1]) if "--json" in args else out

    def seed(self):
        """The company's data: customers with orders, interactions, points
        and tasks (some made by the shipped rules), a free-standing task, and
        a customer a user tagged kith-bench (not the benchmark's: it lacks
        the external_id)."""
        c = self.c
        alice = c.call("customer.create", {"name": "Alice Real", "email": "alice@example.com",
                                           "external_id": "crm-1", "tags": ["vip"]})
        bob = c.call("customer.create", {"name": "Bob Real", "attrs": {"birthday": "1980-02-03"}})
        c.call("customer.create", {"name": "Carol Tagged", "tags": ["kith-bench"],
                                   "external_id": "crm-3"})
        for amount in (120, 45.5, 300):
            c.call("order.create", {"customer_id": alice["id"], "amount": amount})
        c.call("order.create", {"customer_id": bob["id"], "amount": 10})
        c.call("interaction.log", {"customer_id": alice["id"], "type": "complaint",
                                   "summary": "late delivery"})
        c.call("interaction.log", {"customer_id": bob["id"], "type": "call", "summary": "hello"})
        c.call("loyalty.award", {"customer_id": bob["id"], "points": 70, "reason": "goodwill"})
        c.call("task.create", {"note": "call Alice back", "due": "2d", "customer_id": alice["id"]})
        c.call("task.create", {"note": "team meeting", "due": "1d"})

    def snapshot(self):
        """Every customer and task the server holds, and everything hanging
        off each customer, as the API shows them."""
        c = self.c
        customers, _ = walk_list(c, "customer.list", limit=1000)
        snap = {"count": c.call("system.info")["customers"], "customers": {}}
        for cust in customers:
            cid = cust["id"]
            snap["customers"][cid] = {
                "record": c.call("customer.get", {"id": cid}),
                "orders": walk_list(c, "order.list", {"customer_id": cid}, limit=1000)[0],
                "interactions": walk_list(c, "interaction.list", {"customer_id": cid},
                                          limit=1000)[0],
                "points": walk_list(c, "loyalty.history", {"customer_id": cid}, limit=1000)[0],
                "tasks": walk_list(c, "task.list", {"customer_id": cid}, limit=1000)[0],
            }
        snap["tasks"] = sorted(walk_list(c, "task.list", limit=1000)[0], key=lambda t: t["id"])
        return snap

    def bench_customers(self):
        customers, _ = walk_list(self.c, "customer.list", {"filter": {"tag": "kith-bench"}},
                                 limit=1000)
        return [x for x in customers if (x.get("external_id") or "").startswith("kith-bench:")]

    def assertUnchanged(self, before, after_full):
        """Every customer of `before` is in `after_full` exactly as it was."""
        for cid, was in before["customers"].items():
            self.assertIn(cid, after_full["customers"], "customer %d is gone" % cid)
            self.assertEqual(after_full["customers"][cid], was, "customer %d changed" % cid)
        own = set(after_full["customers"]) - set(before["customers"])
        stray = [t for t in after_full["tasks"]
                 if t["customer_id"] not in own and t not in before["tasks"]]
        self.assertEqual(stray, [], "tasks created outside kith-bench's own customers")

    # -- tests ---------------------------------------------------------------

    def test_writing_runs_refuse_a_server_with_other_data(self):
        before = self.snapshot()
        for args in (["-t", "order", "-n", "50"], ["-t", "create", "-n", "20"],
                     ["-t", "mixed", "-n", "50"], ["-t", "ping", "-n", "5", "--preload", "5"],
                     ["-t", "order", "-n", "50", "-q"]):
            with self.subTest(args=args):
                rc, out, err = self.bench(*args)
                self.assertEqual(rc, REFUSED, "stdout:\n%s\nstderr:\n%s" % (out, err))
                self.assertIn("refusing to write", err)
                self.assertIn("3 customers that kith-bench did not create", err)
                self.assertIn("--force", err)
        self.assertEqual(self.snapshot(), before)
        # Reads change nothing and need no --force.
        self.bench_ok("-t", "get", "-n", "100", "--fail-on-error", "-q")
        self.bench_ok("-t", "ping", "-n", "100", "--fail-on-error", "-q")
        self.assertEqual(self.snapshot(), before)

    def test_force_writes_only_to_its_own_customers_and_cleanup_removes_them(self):
        before = self.snapshot()
        r = self.bench_ok("-t", "order", "-n", "200", "--preload", "10", "--force", "--json",
                          "--fail-on-error")
        self.assertEqual(r.get("errors"), 0, r)
        # Later runs find the benchmark's customers of earlier runs, only those.
        self.bench_ok("-t", "mixed", "-n", "100", "--force", "--json", "--fail-on-error")
        self.bench_ok("-t", "create", "-n", "15", "--force", "--json", "--fail-on-error")
        after = self.snapshot()
        self.assertUnchanged(before, after)
        own = self.bench_customers()
        self.assertEqual(len(own), 25, own)
        self.assertEqual(after["count"], before["count"] + 25)
        own_ids = {x["id"] for x in own}
        self.assertEqual(set(after["customers"]) - set(before["customers"]), own_ids)
        orders = sum(after["customers"][i]["record"]["stats"]["orders"] for i in own_ids)
        tasks = sum(len(after["customers"][i]["tasks"]) for i in own_ids)
        points = sum(after["customers"][i]["record"]["points"] for i in own_ids)
        self.assertGreaterEqual(orders, 200)
        self.assertGreater(tasks, 0, "the shipped rules make a task per first order")

        r = self.bench_ok("--cleanup", "--json")
        self.assertEqual(r, {"removed": {"customers": 25, "orders": orders, "interactions": 0,
                                         "tasks": tasks, "points": points}, "failed": 0})
        self.assertEqual(self.snapshot(), before)
        out = self.bench_ok("--cleanup")
        self.assertIn("nothing to remove", out)
        self.assertEqual(self.snapshot(), before)

    def test_cleanup_after_a_killed_run(self):
        before = self.snapshot()
        own_connections = self.c.call("system.info")["connections"]
        p = subprocess.Popen(self.argv("-t", "create", "-d", "120", "--force", "-q"),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while self.c.call("system.info")["customers"] < before["count"] + 20:
                self.assertIsNone(p.poll(), "kith-bench ended early")
                self.assertLess(time.monotonic(), deadline, "kith-bench created nothing")
                time.sleep(0.05)
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=60)
        # A create the killed run had sent may still be in the server's
        # input: count only once the server has closed the run's connections.
        deadline = time.monotonic() + 60
        while self.c.call("system.info")["connections"] > own_connections:
            self.assertLess(time.monotonic(), deadline, "kith-bench's connections stay open")
            time.sleep(0.05)
        created = self.c.call("system.info")["customers"] - before["count"]
        self.assertGreaterEqual(created, 20)
        out = self.bench_ok("--cleanup")
        self.assertIn("removed %d customers created by kith-bench" % created, out)
        self.assertEqual(self.snapshot(), before)


if __name__ == "__main__":
    main()
