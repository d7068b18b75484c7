"""Customer value over the socket, against the literature and an independent
computation.

What users rely on: value.fit on the CDNOW sample (imported through
order.import, 39-week calibration to 1997-09-30, weeks) gives the published
BG/NBD parameters r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 and
log-likelihood -9582.4 (Fader, Hardie & Lee 2005), and Gamma-Gamma
p = 6.25, q = 3.74, gamma = 15.44 (to 2 decimals) with LL -4055.92; a
customer's P(alive), expected orders and expected spend equal the paper's
formulas computed here in Python from the server's parameters and the
customer's own orders; RFM scores follow the quintile cuts value.model
shows; the fitted model survives kill -9 once a later write committed; bad
input is refused and changes nothing; segment functions see p_alive, clv
and rfm.
"""

import datetime
import math
import os
import subprocess

from kithtest import KITH, KithTestCase, main

SHARED = os.path.join(os.environ.get("KITH_SOURCE_DIR", "."), "..", "shared", "data", "cdnow")
CAL_END = datetime.date(1997, 9, 30)


def read_sample():
    """{customer: [(date, dollars)]} from CDNOW_sample.txt."""
    out = {}
    with open(os.path.join(SHARED, "CDNOW_sample.txt")) as f:
        for line in f:
            cols = line.split()
            if len(cols) != 5:
                continue
            d = datetime.datetime.strptime(cols[2], "%Y%m%d").date()
            out.setdefault(int(cols[0]), []).append((d, float(cols[4])))
    return out


def hyp2f1(a, b, c, z):
    """The Gauss hypergeometric series, term by term."""
    total, term, k = 1.0, 1.0, 0
    while True:
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
        if abs(term) < 1e-15 * abs(total):
            return total


def p_alive(p, x, tx, T):
    """FHL 2005, equation (A2) / section 5."""
    if x == 0:
        return 1.0
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def expected(p, x, tx, T, t):
    """FHL 2005, equation (10): E[Y(t) | x, t_x, T]."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    head = (a + b + x - 1) / (a - 1)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    num = head * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    den = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return num / den


def spend(p, x, mx):
    """Fader & Hardie 2013: E[M | x, m_x]."""
    return p["p"] * (p["gamma"] + x * mx) / (p["p"] * x + p["q"] - 1)


class ValueTest(KithTestCase):
    @classmethod
    def setUpClass(cls):
        cls.sample = read_sample()

    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def load(self):
        ids = sorted(self.sample)
        for i in range(0, len(ids), 1000):
            r = self.c.call("customer.import", {"records": [
                {"name": "C%05d" % cid, "external_id": str(cid)} for cid in ids[i:i + 1000]]})
            self.assertEqual(r["errors"], [])
        orders = [{"customer_external_id": str(cid), "amount": round(v, 2),
                   "at": d.isoformat() + "T12:00:00Z", "external_id": "%d-%d" % (cid, n)}
                  for cid in ids for n, (d, v) in enumerate(self.sample[cid])]
        for i in range(0, len(orders), 1000):
            r = self.c.call("order.import", {"records": orders[i:i + 1000]}, timeout=120)
            self.assertEqual(r["errors"], [])
        self.assertEqual(self.c.call("system.info")["customers"], 2357)

    def fit_calibration(self):
        return self.c.call("value.fit", {"calibration_end": "1997-09-30T23:59:59Z"}, timeout=120)

    def test_cdnow_fit_matches_the_literature(self):
        self.load()
        m = self.fit_calibration()
        p = m["params"]
        self.assertEqual(m["n"], 2357)
        self.assertEqual([round(p[k], 3) for k in ("r", "alpha", "a", "b")],
                         [0.243, 4.414, 0.793, 2.426])
        self.assertEqual(round(m["ll"]["bgnbd"], 1), -9582.4)
        # Gamma-Gamma on the same calibration data: 946 customers repeat.
        self.assertEqual(m["n_repeat"], 946)
        for k, want in (("p", 6.25), ("q", 3.74), ("gamma", 15.44)):
            self.assertLessEqual(abs(p[k] - want), 0.01, k)
        self.assertEqual(round(m["ll"]["gamma_gamma"], 2), -4055.92)
        self.assertEqual(self.c.call("value.model")["params"], p)

        # Each customer's figures, by the papers' formulas, from her orders.
        today = datetime.datetime.now(datetime.timezone.utc).date()
        by_ext = {}
        ids = sorted(self.sample)
        repeaters = [cid for cid in ids if len({d for d, _ in self.sample[cid]}) > 2]
        for cid in ids[:3] + repeaters[:3] + ids[-2:]:
            by_ext[cid] = self.c.call("customer.get", {"external_id": str(cid)})["id"]
        for cid, kid in by_ext.items():
            days = sorted({d for d, _ in self.sample[cid]})
            first, last = days[0], days[-1]
            x = len(days) - 1
            v = self.c.call("value.get", {"customer_id": kid})
            inp = v["inputs"]
            self.assertEqual(inp["x"], x)
            self.assertAlmostEqual(inp["t_x"], (last - first).days / 7, places=9)
            self.assertLessEqual(abs(inp["T"] - (today - first).days / 7), 1 / 7 + 1e-9)
            T, tx = inp["T"], inp["t_x"]
            self.assertAlmostEqual(v["p_alive"], p_alive(p, x, tx, T), places=9)
            self.assertAlmostEqual(v["expected_orders_90d"], expected(p, x, tx, T, 90 / 7),
                                   places=9)
            self.assertAlmostEqual(v["expected_orders_365d"], expected(p, x, tx, T, 365 / 7),
                                   places=9)
            if x:
                first_day = sum(a for d, a in self.sample[cid] if d == first)
                total = sum(a for _, a in self.sample[cid])
                mx = (total - first_day) / x
                self.assertAlmostEqual(v["expected_avg_value"], spend(p, x, mx), places=2)
            else:
                self.assertAlmostEqual(v["expected_avg_value"],
                                       p["p"] * p["gamma"] / (p["q"] - 1), places=2)
            # clv_12m: a year's purchases at the expected spend, margin 1,
            # discounted from mid-year at the default 10%.
            self.assertAlmostEqual(
                v["clv_12m"], v["expected_orders_365d"] * v["expected_avg_value"] / math.sqrt(1.1),
                delta=0.02)

    def test_kith_value_card(self):
        self.load()
        self.c.call("value.fit", {"calibration_end": "1998-06-30T23:59:59Z"}, timeout=120)
        kid = self.c.call("customer.get", {"external_id": str(sorted(self.sample)[0])})["id"]
        env = dict(os.environ, LC_ALL="C", KITH_PORT=str(self.server.port), COLUMNS="80")
        p = subprocess.run([KITH, "value", str(kid), "--at", "1998-06-30T23:59:59Z"],
                           capture_output=True, timeout=60, env=env)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        v = self.c.call("value.get", {"customer_id": kid, "at": "1998-06-30T23:59:59Z"})
        self.assertIn("P(alive)    %.2f" % v["p_alive"], out)
        self.assertIn("CLV 12m     %.2f" % v["clv_12m"], out)
        self.assertIn(v["rfm"]["code"], out)
        self.assertLessEqual(max(len(line) for line in out.splitlines()), 80, out)

    def test_rfm_follows_the_quintile_cuts(self):
        self.load()
        self.fit_calibration()
        cuts = self.c.call("value.model")["rfm_cuts"]
        # The cuts are the 20/40/60/80% points of every buyer's figures.
        totals = sorted(round(sum(a for _, a in o), 2) for o in self.sample.values())
        n = len(totals)
        self.assertEqual(cuts["spent"], [totals[int(n * (i + 1) / 5 - 1e-9)] for i in range(4)])
        for cid in sorted(self.sample)[:20]:
            kid = self.c.call("customer.get", {"external_id": str(cid)})["id"]
            v = self.c.call("value.get", {"customer_id": kid})
            spent = round(sum(a for _, a in self.sample[cid]), 2)
            self.assertEqual(v["rfm"]["m"], 1 + sum(spent > c for c in cuts["spent"]))
            f = len(self.sample[cid])
            self.assertEqual(v["rfm"]["f"], 1 + sum(f > c for c in cuts["orders"]))
            self.assertEqual(v["rfm"]["code"], "%d%d%d" % (v["rfm"]["r"], v["rfm"]["f"],
                                                           v["rfm"]["m"]))

    def test_model_survives_kill_once_committed(self):
        self.c.call("customer.create", {"name": "A"})
        a = self.c.call("customer.create", {"name": "B"})["id"]
        for i, day in enumerate(("2026-01-05", "2026-02-10", "2026-03-01", "2026-03-01")):
            self.c.call("order.create", {"customer_id": a, "amount": 10 + i,
                                         "at": day + "T10:00:00Z"})
        b = self.c.call("customer.create", {"name": "C"})["id"]
        self.c.call("order.create", {"customer_id": b, "amount": 5, "at": "2026-04-01T10:00:00Z"})
        m = self.c.call("value.fit", {"spending": "none"})
        self.assertTrue(m["fitted"])
        self.assertEqual(m["n"], 2)
        st = self.c.call("customer.get", {"id": a})["stats"]
        self.assertEqual(st["order_days"], 3)           # two orders on 1 March are one day
        self.assertEqual(st["first_order_amount"], 10)
        self.c.call("customer.create", {"name": "after"})  # a commit carries the model
        self.server.kill9()
        self.server.restart()
        c = self.connect(self.server)
        params = c.call("value.model")["params"]
        for k, v in m["params"].items():
            self.assertAlmostEqual(params[k] / v, 1, places=12)
        self.assertIsNotNone(c.call("value.get", {"customer_id": a})["p_alive"])

    def test_bad_input_changes_nothing(self):
        with self.assertRpcError(-32009):
            self.c.call("value.fit")                     # no orders: nothing to fit
        with self.assertRpcError(-32602, param="calibration_end"):
            self.c.call("value.fit", {"calibration_end": "last tuesday"})
        with self.assertRpcError(-32602, param="model"):
            self.c.call("value.fit", {"model": "pareto_nbd"})
        with self.assertRpcError(-32009):
            self.c.call("value.list")                    # no model yet
        with self.assertRpcError(-32004):
            self.c.call("value.get", {"customer_id": 999})
        self.assertFalse(self.c.call("value.model")["fitted"])
        v = self.c.call("value.get", {"customer_id": self.c.call(
            "customer.create", {"name": "New"})["id"]})
        self.assertIsNone(v["p_alive"])
        self.assertIsNone(v["rfm"])

    def test_rules_see_value_fields(self):
        self.server.stop()
        self.server.write_files({"scripts/value_seg.lua": """
crm.value{discount_rate = 0, margin = 0.5}
crm.segment("likely_alive", "P(alive) over a half", function(c, s) return s.p_alive ~= nil and s.p_alive > 0.5 end)
crm.segment("rfm_known", "scored", function(c, s) return s.rfm ~= nil and #s.rfm.code == 3 end)
"""})
        self.server.start()
        c = self.connect(self.server)
        a = c.call("customer.create", {"name": "A"})["id"]
        for day in ("2026-01-05", "2026-02-10", "2026-03-01"):
            c.call("order.create", {"customer_id": a, "amount": 20, "at": day + "T10:00:00Z"})
        for n in range(5):
            b = c.call("customer.create", {"name": "B%d" % n})["id"]
            c.call("order.create", {"customer_id": b, "amount": 5 + n,
                                    "at": "2026-04-0%dT10:00:00Z" % (n + 1)})
        self.assertEqual(c.call("customer.get", {"id": a})["segments"], [])
        c.call("value.fit")
        # The next write re-evaluates the customer under the new model.
        c.call("order.create", {"customer_id": a, "amount": 20, "at": "2026-03-02T10:00:00Z"})
        segs = c.call("customer.get", {"id": a})["segments"]
        self.assertIn("rfm_known", segs)
        v = c.call("value.get", {"customer_id": a})
        self.assertEqual("likely_alive" in segs, v["p_alive"] > 0.5)
        # crm.value's margin and discount: half the expected revenue, undiscounted.
        self.assertAlmostEqual(v["clv_12m"],
                               0.5 * v["expected_orders_365d"] * v["expected_avg_value"],
                               delta=0.02)


if __name__ == "__main__":
    main()
