"""A functional smoke of kith-bench against a real kithd with the shipped
rules: every workload runs for a moment and every request succeeds, and
--cleanup removes what they created.  This checks that the tool works, not
how fast anything is (test_bench_safety.py: what it may touch)."""

import json
import os
import subprocess

from kithtest import KithTestCase, main

BIN = os.environ.get("KITH_BIN_DIR", "build")
BENCH = os.path.join(BIN, "kith-bench")
SOURCE = os.environ.get("KITH_SOURCE_DIR", ".")


class BenchSmokeTest(KithTestCase):
    def setUp(self):
        if not os.access(BENCH, os.X_OK):
            self.fail("kith-bench not found at %s" % BENCH)
        scripts = os.path.join(SOURCE, "scripts")
        self.server = self.start_server("--scripts", scripts, "--watch-scripts", "0")

    def bench(self, *args):
        p = subprocess.run([BENCH, "-p", str(self.server.port), "--json", "--fail-on-error"]
                           + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=120)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 0, "kith-bench %s\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(args), out, err))
        return json.loads(out.strip().splitlines()[-1])

    def test_every_workload_runs_without_errors(self):
        first = self.bench("-t", "ping", "-c", "4", "-n", "500", "--preload", "200")
        self.assertEqual(first.get("errors"), 0, first)
        call = ["--method", "interaction.log",
                "--params", '{"customer_id":$CUSTOMER,"type":"note","summary":"bench"}']
        for workload, extra in [("ping", ["-P", "8"]), ("get", []), ("create", []),
                                ("order", []), ("mixed", []), ("call", call)]:
            with self.subTest(workload=workload):
                r = self.bench("-t", workload, "-c", "4", "-n", "400", *extra)
                self.assertEqual(r.get("errors"), 0, r)
                self.assertGreaterEqual(r.get("requests", 0), 400, r)
        # Everything above was the benchmark's own: --cleanup leaves nothing.
        r = self.bench("--cleanup")
        self.assertGreaterEqual(r["removed"]["customers"], 600, r)
        with self.server.client() as c:
            self.assertEqual(c.call("system.info")["customers"], 0)

    def test_call_needs_a_method(self):
        p = subprocess.run([BENCH, "-p", str(self.server.port), "-t", "call"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(b"--method", p.stderr)
        # A call's errors count as errors: customer.get of no customer fails.
        p = subprocess.run([BENCH, "-p", str(self.server.port), "--json", "-c", "1", "-n", "5",
                            "-t", "call", "--method", "customer.get", "--params", '{"id":0}'],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertEqual(json.loads(p.stdout.decode().splitlines()[-1])["errors"], 5, p.stdout)

    def test_open_loop_rate(self):
        r = self.bench("-t", "get", "-c", "2", "--rate", "500", "-d", "1", "--preload", "50")
        self.assertEqual(r.get("errors"), 0, r)


if __name__ == "__main__":
    main()
