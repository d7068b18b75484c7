"""Schedules over the socket, with the fixture jobs of
tests/integration/sched_rules/jobs.lua copied into a temporary scripts
folder: `every` runs repeatedly and schedule.list tracks it; cron, job and
tz validation; `at` runs once and is done; pause, resume, delete and run
now; a failing job records its error and its writes roll back; a sliced job
walks every customer over several slices while another client's pings are
answered; schedules survive a restart.

No timing assertions: waits are generous and only stop a hung test.

Standard library only.
"""

import datetime
import os
import sys
import threading
import time
import zoneinfo

from kithtest import KithTestCase, compact, main, walk_list

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sched_rules")
CONFIG = "synchronous normal\nwatch_scripts 0\n"
IO = 60.0


def jobs_files():
    with open(os.path.join(FIXTURES, "jobs.lua"), encoding="utf-8") as f:
        return {"scripts/jobs.lua": f.read()}


def parse_ms(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000.0


def now_ms():
    return time.time() * 1000.0


class Sub:
    """A subscribed connection; checks that seqs strictly increase."""

    def __init__(self, tc, server, channels, client=None):
        self.tc = tc
        self.client = client or tc.connect(server)
        self.reply = self.client.call("subscribe", {"channels": list(channels)})
        self.last_seq = self.reply["seq"]
        self.events = []

    def _take(self, msg):
        self.tc.assertEqual(msg.get("method"), "event", "expected an event: %r" % (msg,))
        ev = msg["params"]
        self.tc.assertGreater(ev["seq"], self.last_seq, "seqs increase: %r" % (ev,))
        self.last_seq = ev["seq"]
        self.events.append(ev)
        return ev

    def until(self, pred, timeout=IO, what="event", n=1):
        """The n-th event of this subscription matching pred, reading more
        until it arrives."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events if pred(e)]
            if len(found) >= n:
                return found[n - 1]
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s not seen; last events: %r"
                                     % (what, [(e["channel"], e["data"].get("schedule", {}).get("name"))
                                               for e in self.events[-20:]]))
            self._take(self.client.read_json(left))

    def drain(self):
        """Returns the events published before a ping on this connection."""
        req = self.client.make_request("system.ping")
        self.client.send_raw(compact(req) + b"\n")
        got = []
        while True:
            msg = self.client.read_json(IO)
            if "id" in msg:
                self.tc.assertEqual(msg.get("result"), "pong", msg)
                return got
            got.append(self._take(msg))


def ran(name, status=None):
    return lambda ev: (ev["channel"] == "schedule.ran"
                       and ev["data"]["schedule"]["name"] == name
                       and (status is None or ev["data"]["status"] == status))


def listed(client, name):
    page = client.call("schedule.list")
    assert isinstance(page, dict) and "items" in page and "next_cursor" in page, page
    for s in page["items"]:
        if s["name"] == name:
            return s
    return None


def create_customers(client, n, prefix="c"):
    ids = []
    for start in range(0, n, 50):
        calls = [("customer.create", {"name": "%s%05d" % (prefix, i)})
                 for i in range(start, min(n, start + 50))]
        for r in client.call_many(calls):
            if isinstance(r, Exception):
                raise AssertionError("customer.create failed: %r" % (r,))
            ids.append(r["id"])
    return ids


class SchedulesTestCase(KithTestCase):

    def setUp(self):
        self.server = self.start_server(files=jobs_files(), config_text=CONFIG)
        self.c = self.connect(self.server)
        self.assertEqual(sorted(self.c.call("script.status")["jobs"]),
                         ["t.echo", "t.fail", "t.sliced", "t.tag_all"])


class EveryTest(SchedulesTestCase):

    def test_every_runs_repeatedly_and_list_tracks_it(self):
        c = self.c
        ids = create_customers(c, 3)
        sub = Sub(self, self.server, ["schedule.ran"])
        before = now_ms()
        s = c.call("schedule.create", {"name": "tagger", "every": "1s", "job": "t.tag_all",
                                       "args": {"tag": "vip"}})
        self.assertEqual((s["name"], s["every"], s["job"], s["args"], s["status"], s["runs"]),
                         ("tagger", "1s", "t.tag_all", {"tag": "vip"}, "active", 0), s)
        self.assertIsNone(s["last_run"], s)
        self.assertIsNone(s["last_status"], s)
        self.assertTime(s["next_run"], "next_run")
        self.assertGreater(parse_ms(s["next_run"]), before, s)
        self.assertTime(s["created_at"], "created_at")
        e = c.call("schedule.create", {"name": "echo", "every": "1s", "job": "t.echo",
                                       "args": {"list": [1, 2, 3], "s": "hi", "nested": {"k": True}}})

        runs, last_runs = [], []
        for i in range(3):
            ev = sub.until(ran("tagger"), what="run %d of tagger" % (i + 1), n=i + 1)
            d = ev["data"]
            self.assertEqual(d["status"], "ok", d)
            self.assertIsNone(d.get("error"), d)
            self.assertEqual(d["schedule"]["last_status"], "ok", d)
            runs.append(d["schedule"]["runs"])
            last_runs.append(parse_ms(d["schedule"]["last_run"]))
            self.assertGreater(parse_ms(d["schedule"]["next_run"]), last_runs[-1], d)
            # The first run tags the three customers; later runs find them tagged.
            self.assertEqual(d["result"], {"tagged": 3 if i == 0 else 0}, d)
        self.assertEqual(runs, [1, 2, 3], "one schedule.ran per run")
        self.assertEqual(last_runs, sorted(set(last_runs)), last_runs)

        for cid in ids:
            self.assertIn("vip", c.call("customer.get", {"id": cid})["tags"])

        ev = sub.until(ran("echo"), what="a run of echo")
        self.assertEqual(ev["data"]["result"]["args"], {"list": [1, 2, 3], "s": "hi", "nested": {"k": True}})
        self.assertEqual(ev["data"]["result"]["schedule"], "echo")
        self.assertIsInstance(ev["data"]["result"]["now"], int, ev)
        self.assertAlmostEqual(ev["data"]["result"]["now"], parse_ms(ev["data"]["schedule"]["last_run"]),
                               delta=1000, msg="ctx.now is the run's time: %r" % (ev,))

        item = listed(c, "tagger")
        self.assertIsNotNone(item)
        self.assertGreaterEqual(item["runs"], 3, item)
        self.assertEqual(item["last_status"], "ok", item)
        self.assertIsNone(item["last_error"], item)
        self.assertEqual(item["status"], "active", item)
        self.assertTime(item["last_run"], "last_run")
        self.assertTime(item["next_run"], "next_run")
        self.assertGreater(parse_ms(item["next_run"]), parse_ms(item["last_run"]), item)
        self.assertEqual(item["created_at"], s["created_at"])
        names = [x["name"] for x in c.call("schedule.list")["items"]]
        self.assertEqual(sorted(names), ["echo", "tagger"], names)


class ValidationTest(SchedulesTestCase):

    def test_cron_shape_and_parameter_errors(self):
        c = self.c
        t0 = now_ms()
        s = c.call("schedule.create", {"name": "minutely", "cron": "* * * * *", "job": "t.echo"})
        self.assertEqual((s["cron"], s["tz"], s["status"]), ("* * * * *", "UTC", "active"), s)
        nxt = parse_ms(s["next_run"])
        self.assertTrue(s["next_run"].endswith(":00.000Z"), "a minute boundary: %r" % (s,))
        self.assertGreater(nxt, t0 - 1000, s)
        self.assertLessEqual(nxt, now_ms() + 60000, s)

        s = c.call("schedule.create", {"name": "paris", "cron": "0 9 * * 1-5", "tz": "Europe/Paris",
                                       "job": "t.echo"})
        self.assertEqual(s["tz"], "Europe/Paris", s)
        local = datetime.datetime.fromtimestamp(parse_ms(s["next_run"]) / 1000.0,
                                                zoneinfo.ZoneInfo("Europe/Paris"))
        self.assertEqual((local.hour, local.minute, local.second), (9, 0, 0),
                         "09:00 in Paris: %r (%s)" % (s, local))
        self.assertLess(local.weekday(), 5, local)
        self.assertGreater(parse_ms(s["next_run"]), t0)

        s = c.call("schedule.create", {"name": "steps", "cron": "*/15 8-18 * jan-dec mon-fri",
                                       "job": "t.echo"})
        self.assertEqual(datetime.datetime.fromisoformat(
            s["next_run"].replace("Z", "+00:00")).minute % 15, 0, s)

        bad = [
            ({"name": "b", "cron": "61 * * * *", "job": "t.echo"}, "cron"),
            ({"name": "b", "cron": "* * *", "job": "t.echo"}, "cron"),
            ({"name": "b", "cron": "* * * * * *", "job": "t.echo"}, "cron"),
            ({"name": "b", "cron": "every minute", "job": "t.echo"}, "cron"),
            ({"name": "b", "cron": "* 24 * * *", "job": "t.echo"}, "cron"),
            ({"name": "b", "cron": "* * 0 * *", "job": "t.echo"}, "cron"),
            ({"name": "b", "cron": "* * * 13 *", "job": "t.echo"}, "cron"),
            ({"name": "b", "cron": "", "job": "t.echo"}, "cron"),
            ({"name": "b", "every": "1s", "job": "no.such.job"}, "job"),
            ({"name": "b", "cron": "* * * * *", "job": "no.such.job"}, "job"),
            ({"name": "b", "cron": "* * * * *", "tz": "Mars/Olympus", "job": "t.echo"}, "tz"),
            ({"name": "b", "cron": "* * * * *", "tz": "", "job": "t.echo"}, "tz"),
            ({"name": "b", "every": "soon", "job": "t.echo"}, "every"),
            ({"name": "b", "at": "whenever", "job": "t.echo"}, "at"),
            ({"name": "b", "at": "2001-01-01T00:00:00Z", "job": "t.echo"}, "at"),
            ({"name": "", "every": "1h", "job": "t.echo"}, "name"),
            ({"every": "1h", "job": "t.echo"}, "name"),
            ({"name": "b", "every": "1h"}, "job"),
            ({"name": 5, "every": "1h", "job": "t.echo"}, "name"),
        ]
        for params, param in bad:
            with self.assertRpcError(-32602, param=param):
                c.call("schedule.create", params)
        for params in ({"name": "b", "job": "t.echo"},
                       {"name": "b", "every": "1h", "cron": "* * * * *", "job": "t.echo"},
                       {"name": "b", "every": "1h", "at": "1h", "job": "t.echo"}):
            with self.assertRpcError(-32602) as h:
                c.call("schedule.create", params)
            self.assertIn(h.error.param, ("cron", "every", "at"), h.error.error)

        with self.assertRpcError(-32009, param="name"):
            c.call("schedule.create", {"name": "minutely", "every": "1h", "job": "t.echo"})
        for m in ("schedule.pause", "schedule.resume", "schedule.delete", "schedule.run"):
            with self.assertRpcError(-32004, param="name"):
                c.call(m, {"name": "nope"})
            with self.assertRpcError(-32602, param="name"):
                c.call(m, {})
        # Nothing the failed calls named was created.
        names = sorted(x["name"] for x in c.call("schedule.list")["items"])
        self.assertEqual(names, ["minutely", "paris", "steps"])
        self.assertEqual(listed(c, "minutely")["job"], "t.echo")


class RolesTest(KithTestCase):

    def test_only_admins_manage_schedules(self):
        server = self.start_server(files=jobs_files(), config_text=CONFIG,
                                   tokens=[("admin", "root"), ("agent", "ag"), ("viewer", "vi")])
        admin = self.connect(server, token=server.tokens["root"])
        agent = self.connect(server, token=server.tokens["ag"])
        viewer = self.connect(server, token=server.tokens["vi"])
        s = admin.call("schedule.create", {"name": "n", "every": "1h", "job": "t.echo"})
        self.assertEqual(s["created_by"], "root", s)
        for who in (agent, viewer):
            with self.assertRpcError(-32003):
                who.call("schedule.create", {"name": "m", "every": "1h", "job": "t.echo"})
            for m in ("schedule.pause", "schedule.resume", "schedule.delete", "schedule.run"):
                with self.assertRpcError(-32003):
                    who.call(m, {"name": "n"})
            self.assertEqual([x["name"] for x in who.call("schedule.list")["items"]], ["n"])
        self.assertEqual(listed(admin, "n")["status"], "active")


class LifecycleTest(SchedulesTestCase):

    def test_at_runs_once_pause_stops_resume_restarts_delete_removes(self):
        c = self.c
        sub = Sub(self, self.server, ["schedule.ran"])
        at_iso = datetime.datetime.fromtimestamp(time.time() + 2.5, datetime.timezone.utc)
        at_iso = at_iso.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (at_iso.microsecond // 1000)
        once = c.call("schedule.create", {"name": "once", "at": "2s", "job": "t.echo"})
        self.assertEqual(once["status"], "active", once)
        self.assertTime(once["next_run"], "next_run")
        once_iso = c.call("schedule.create", {"name": "once-iso", "at": at_iso, "job": "t.echo"})
        self.assertEqual(parse_ms(once_iso["next_run"]), parse_ms(at_iso), once_iso)
        c.call("schedule.create", {"name": "pausable", "every": "1s", "job": "t.echo"})
        c.call("schedule.create", {"name": "doomed", "every": "1s", "job": "t.echo"})

        sub.until(ran("pausable"), what="a run of pausable")
        sub.until(ran("doomed"), what="a run of doomed")
        ev = sub.until(ran("once"), what="the run of once")
        self.assertEqual(ev["data"]["status"], "ok", ev)
        self.assertGreaterEqual(parse_ms(ev["data"]["schedule"]["last_run"]), parse_ms(once["next_run"]))
        sub.until(ran("once-iso"), what="the run of once-iso")

        p = c.call("schedule.pause", {"name": "pausable"})
        self.assertEqual(p["status"], "paused", p)
        self.assertEqual(listed(c, "pausable")["status"], "paused")
        d = c.call("schedule.delete", {"name": "doomed"})
        self.assertEqual((d["name"], d["status"]), ("doomed", "deleted"), d)
        self.assertIsNone(listed(c, "doomed"))
        paused_runs = listed(c, "pausable")["runs"]
        sub.drain()   # runs that finished before the pause and the delete
        cut = sub.last_seq

        time.sleep(3.0)   # three periods of the every-1s schedules
        late = [e for e in sub.drain() if e["seq"] > cut]
        self.assertEqual([e["data"]["schedule"]["name"] for e in late], [],
                         "nothing runs after pause, delete, or a finished at")
        item = listed(c, "pausable")
        self.assertEqual((item["status"], item["runs"]), ("paused", paused_runs), item)
        for name in ("once", "once-iso"):
            item = listed(c, name)
            self.assertEqual((item["status"], item["runs"], item["last_status"]), ("done", 1, "ok"), item)
            self.assertIsNone(item["next_run"], item)
        with self.assertRpcError(-32004, param="name"):
            c.call("schedule.delete", {"name": "doomed"})
        with self.assertRpcError(-32004, param="name"):
            c.call("schedule.run", {"name": "doomed"})

        r = c.call("schedule.resume", {"name": "pausable"})
        self.assertEqual(r["status"], "active", r)
        self.assertGreater(parse_ms(r["next_run"]), now_ms() - 1000,
                           "resuming does not replay missed runs: %r" % (r,))
        ev = sub.until(lambda e: ran("pausable")(e) and e["seq"] > cut,
                       what="a run of pausable after resume")
        self.assertEqual(ev["data"]["schedule"]["runs"], paused_runs + 1, ev)

        # A deleted name can be used again.
        again = c.call("schedule.create", {"name": "doomed", "every": "1h", "job": "t.echo"})
        self.assertEqual((again["runs"], again["status"]), (0, "active"), again)

    def test_run_now(self):
        c = self.c
        sub = Sub(self, self.server, ["schedule.ran"])
        s = c.call("schedule.create", {"name": "daily", "every": "1d", "job": "t.echo",
                                       "args": {"why": "now"}})
        planned = s["next_run"]
        y = c.call("schedule.create", {"name": "yearly", "cron": "0 0 1 1 *", "job": "t.echo"})
        r = c.call("schedule.run", {"name": "daily"})
        self.assertEqual(r["name"], "daily", r)
        ev = sub.until(ran("daily"), what="the run of daily")
        self.assertEqual(ev["data"]["status"], "ok", ev)
        self.assertEqual(ev["data"]["result"]["args"], {"why": "now"}, ev)
        item = listed(c, "daily")
        self.assertEqual((item["runs"], item["last_status"], item["status"]), (1, "ok", "active"), item)
        self.assertEqual(item["next_run"], planned, "then on as planned: %r" % (item,))
        c.call("schedule.run", {"name": "yearly"})
        sub.until(ran("yearly"), what="the run of yearly")
        item = listed(c, "yearly")
        self.assertEqual((item["runs"], item["next_run"]), (1, y["next_run"]), item)
        self.assertEqual([e["data"]["schedule"]["name"] for e in sub.drain()], [],
                         "one run each")


class FailureTest(SchedulesTestCase):

    def test_failing_job_records_the_error_and_rolls_back(self):
        c = self.c
        create_customers(c, 2)
        count = c.call("system.info")["customers"]
        sub = Sub(self, self.server, ["*"])
        s = c.call("schedule.create", {"name": "broken", "every": "1d", "job": "t.fail"})
        planned = s["next_run"]
        c.call("schedule.run", {"name": "broken"})
        ev = sub.until(ran("broken"), what="the run of broken")
        d = ev["data"]
        self.assertEqual(d["status"], "error", d)
        self.assertIsInstance(d["error"], str, d)
        self.assertIn("deliberate failure in t.fail", d["error"], d)
        self.assertIsNone(d.get("result"), d)
        self.assertEqual(d["schedule"]["last_status"], "error", d)
        # Its write rolled back: no customer, no customer.created event.
        before_ran = [e for e in sub.events if e["seq"] < ev["seq"]]
        self.assertEqual([e["channel"] for e in before_ran if e["channel"] != "schedule.ran"], [],
                         "the failed job's writes emitted nothing: %r" % (before_ran,))
        self.assertEqual(c.call("system.info")["customers"], count)
        self.assertEqual(c.call("customer.list", {"filter": {"q": "failing job"}})["items"], [])
        item = listed(c, "broken")
        self.assertEqual((item["last_status"], item["runs"], item["status"]), ("error", 1, "active"), item)
        self.assertIn("deliberate failure in t.fail", item["last_error"], item)
        self.assertEqual(item["next_run"], planned, "the next run is planned as usual")

        # The server carries on: another job runs fine, and a success
        # clears last_error.
        c.call("schedule.create", {"name": "fine", "at": "1s", "job": "t.echo"})
        self.assertEqual(sub.until(ran("fine"))["data"]["status"], "ok")
        self.assertPong(c)


class SlicedJobTest(SchedulesTestCase):

    N = 1000
    PER_SLICE = 20

    def test_sliced_job_walks_everyone_while_pings_are_answered(self):
        """The pinger keeps one system.ping in flight and is subscribed to
        customer.updated and schedule.ran, so its connection shows, in the
        server's own order, whether pongs were written between the sweep's
        first slice and its end.  No timing is measured for the verdict."""
        c = self.c
        ids = create_customers(c, self.N)
        sub = Sub(self, self.server, ["schedule.ran"])
        pinger = Sub(self, self.server, ["customer.updated", "schedule.ran"])
        stream, errors = [], []   # ("pong", latency_s) / ("slice", n) / ("ran", name)
        go = threading.Event()

        def ping():
            cl = pinger.client
            try:
                finished = False
                while not finished:
                    req = cl.make_request("system.ping")
                    t = time.monotonic()
                    cl.send_raw(compact(req) + b"\n")
                    go.set()
                    while True:
                        msg = cl.read_json(IO * 2)
                        if "id" in msg:
                            if msg.get("id") != req["id"] or msg.get("result") != "pong":
                                raise AssertionError("bad ping reply %r" % (msg,))
                            stream.append(("pong", time.monotonic() - t))
                            break
                        ev = pinger._take(msg)
                        if ev["channel"] == "customer.updated":
                            stream.append(("slice", ev["data"]["customer"]["attrs"].get("slice")))
                        elif ev["channel"] == "schedule.ran":
                            stream.append(("ran", ev["data"]["schedule"]["name"]))
                            finished = ev["data"]["schedule"]["name"] == "sweep"
            except Exception as e:
                errors.append(e)
            finally:
                go.set()

        t = threading.Thread(target=ping, daemon=True)
        t.start()
        go.wait(IO)
        c.call("schedule.create", {"name": "sweep", "every": "1d", "job": "t.sliced",
                                   "args": {"per_slice": self.PER_SLICE, "mark": "m1"}})
        c.call("schedule.run", {"name": "sweep"})
        ev = sub.until(ran("sweep"), timeout=IO * 2, what="the end of the sliced run")
        t.join(IO * 2)
        self.assertFalse(t.is_alive(), "pinger hung")
        self.assertEqual(errors, [], "every ping is answered")

        d = ev["data"]
        slices = -(-self.N // self.PER_SLICE)
        self.assertEqual(d["status"], "ok", d)
        self.assertEqual(d["result"], {"swept": self.N, "slices": slices}, d)
        self.assertEqual(d["schedule"]["runs"], 1, "one run, however many slices: %r" % (d,))
        items, _ = walk_list(c, "customer.list", limit=1000)
        self.assertEqual(sorted(x["id"] for x in items), sorted(ids))
        self.assertEqual({x["attrs"].get("swept") for x in items}, {"m1"})
        self.assertEqual(sorted({x["attrs"].get("slice") for x in items}), list(range(1, slices + 1)),
                         "each slice handled its own customers")
        self.assertEqual([e for e in sub.drain() if ran("sweep")(e)], [], "one schedule.ran")
        item = listed(c, "sweep")
        self.assertEqual((item["runs"], item["last_status"], item["status"]), (1, "ok", "active"), item)

        # Slices arrive in order on the pinger's connection, and pongs are
        # written between them: the loop serves clients during the run.
        seen = [v for k, v in stream if k == "slice"]
        self.assertEqual(len(seen), self.N)
        self.assertEqual(seen, sorted(seen), "slices in order")
        first = next(i for i, (k, _) in enumerate(stream) if k == "slice")
        end = stream.index(("ran", "sweep"))
        during = [v for k, v in stream[first:end] if k == "pong"]
        slice_of_pong, cur = [], None
        for k, v in stream[first:end]:
            if k == "slice":
                cur = v
            elif k == "pong":
                slice_of_pong.append(cur)
        all_lat = [v for k, v in stream if k == "pong"]
        sys.stderr.write("sliced job: %d customers in %d slices; %d pongs written between its "
                         "first slice and its end (after slices %s); slowest ping %.1f ms\n"
                         % (self.N, slices, len(during), sorted(set(slice_of_pong)),
                            max(all_lat) * 1000.0))
        self.assertGreaterEqual(
            len(during), 1,
            "no ping was answered between the first and the last of %d slices: the sliced run "
            "held the event loop from start to end (pinger stream: %s)"
            % (slices, _summarise(stream)))


def _summarise(stream):
    """A compact picture of the pinger's stream: runs of kinds."""
    out, last, n = [], None, 0
    for k, v in stream:
        key = k if k != "ran" else "ran:%s" % v
        if key == last:
            n += 1
            continue
        if last is not None:
            out.append("%s x%d" % (last, n))
        last, n = key, 1
    if last is not None:
        out.append("%s x%d" % (last, n))
    return ", ".join(out)


class RestartTest(SchedulesTestCase):

    def test_schedules_survive_a_restart(self):
        c = self.c
        sub = Sub(self, self.server, ["schedule.ran"])
        c.call("schedule.create", {"name": "ticker", "every": "1s", "job": "t.echo",
                                   "args": {"k": "v"}})
        c.call("schedule.create", {"name": "sleeper", "every": "1s", "job": "t.echo"})
        c.call("schedule.create", {"name": "paris", "cron": "30 6 * * *", "tz": "Europe/Paris",
                                   "job": "t.tag_all", "args": {"tag": "early"}})
        c.call("schedule.pause", {"name": "sleeper"})
        sub.until(ran("ticker"))
        # Due while kithd is down: runs once at start (the default policy).
        c.call("schedule.create", {"name": "missed", "at": "1s", "job": "t.echo"})
        before = {x["name"]: x for x in c.call("schedule.list")["items"]}

        self.server.stop()          # SIGTERM; asserts exit code 0
        time.sleep(2.0)
        self.server.start()
        c = self.connect(self.server)

        after = {x["name"]: x for x in c.call("schedule.list")["items"]}
        self.assertEqual(sorted(after), ["missed", "paris", "sleeper", "ticker"], after)
        for name in ("ticker", "sleeper", "paris"):
            for k in ("every", "cron", "tz", "job", "args", "status", "created_at", "created_by"):
                self.assertEqual(after[name].get(k), before[name].get(k),
                                 "%s.%s after the restart: %r" % (name, k, after[name]))
        self.assertEqual(after["paris"]["next_run"], before["paris"]["next_run"])
        self.assertEqual(after["sleeper"]["status"], "paused")

        sub = Sub(self, self.server, ["schedule.ran"])
        ev = sub.until(ran("ticker"), what="a run of ticker after the restart")
        self.assertEqual(ev["data"]["status"], "ok", ev)
        self.assertEqual(ev["data"]["result"]["args"], {"k": "v"}, ev)
        self.assertGreater(ev["data"]["schedule"]["runs"], before["ticker"]["runs"], ev)

        deadline = time.monotonic() + IO
        while listed(c, "missed")["status"] != "done":
            self.assertLess(time.monotonic(), deadline, "the missed at-schedule never ran: %r"
                            % (listed(c, "missed"),))
            time.sleep(0.05)
        m = listed(c, "missed")
        self.assertEqual((m["runs"], m["last_status"]), (1, "ok"), m)
        sub.drain()
        self.assertEqual(listed(c, "sleeper")["runs"], before["sleeper"]["runs"],
                         "a paused schedule stays paused across a restart")
        self.assertEqual(listed(c, "missed")["runs"], 1, "a missed run runs once")


if __name__ == "__main__":
    main()
