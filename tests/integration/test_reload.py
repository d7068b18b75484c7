"""Editing rule files while the server is busy: four clients write
continuously while the test rewrites a rule the ways editors do (a temporary
file renamed over the old one, a plain in-place rewrite, vim's backup dance).
The new rule takes effect within 2 s and no request fails.  A broken edit is
reported (script.status.last_error, a script.error event, the log) while the
old rules keep serving; script.reload reports the error; SIGHUP reloads;
editor temporary files do nothing harmful."""

import os
import signal
import threading
import time

from kithtest import RpcError, main
from rulestest import Events, RulesTestCase, wait_for

EFFECT_WITHIN = 2.0  # seconds: the promise for a saved edit


def tag_rule(version):
    """A rule tagging every new customer with `version`."""
    return ('-- fixture: tags new customers with the rules version\n'
            'crm.before("customer.created", function(ev)\n'
            '  ev.customer.tags = crm.array({"%s"})\n'
            'end)\n' % version)


BROKEN = ('-- fixture: a half-typed edit\n'
          'crm.before("customer.created", function(ev)\n'
          '  ev.customer.tags = crm.array({"broken"}\n'
          'end)\n')
BROKEN_LINE = 4  # Lua reports the missing ')' where it finds `end`


def version_of(customer):
    tags = customer.get("tags") or []
    return tags[0] if tags else None


def vnum(tag):
    """"v3" -> 3; None (no tag) -> 0."""
    return int(tag[1:]) if tag else 0


class Load:
    """n client threads, each creating a customer and an order for it, over
    and over, until stop().  Every failure is kept."""

    def __init__(self, server, n=4):
        self.server = server
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.failures = []
        self.records = [[] for _ in range(n)]  # per thread: (t_sent, version)
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(n)]
        for t in self.threads:
            t.start()

    def run(self, i):
        try:
            c = self.server.client()
        except Exception as e:  # noqa: BLE001 - any failure counts
            with self.lock:
                self.failures.append("thread %d: connect: %r" % (i, e))
            return
        k = 0
        try:
            while not self.stop_flag.is_set():
                k += 1
                t_sent = time.monotonic()
                try:
                    cu = c.call("customer.create", {"name": "load-%d-%d" % (i, k)})
                    self.records[i].append((t_sent, version_of(cu)))
                    c.call("order.create", {"customer_id": cu["id"], "amount": 10 + k % 7})
                except RpcError as e:
                    with self.lock:
                        self.failures.append("thread %d request %d: %r" % (i, k, e.error))
                except Exception as e:  # noqa: BLE001 - a dead connection, a bad reply
                    with self.lock:
                        self.failures.append("thread %d request %d: %r" % (i, k, e))
                    return
        finally:
            c.close()

    def count(self):
        return min(len(r) for r in self.records)

    def last_versions(self):
        return [r[-1][1] if r else None for r in self.records]

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=60)
        alive = [t for t in self.threads if t.is_alive()]
        if alive:
            raise AssertionError("%d load threads did not stop" % len(alive))


class ReloadTestCase(RulesTestCase):

    def start(self, *extra, version="v1"):
        self.server = self.start_rules_server(*extra, files={"scripts/tag.lua": tag_rule(version)})
        self.c = self.connect(self.server)
        self.path = os.path.join(self.server.scripts_dir, "tag.lua")
        return self.server

    def start_load(self):
        load = Load(self.server)
        self.addCleanup(load.stop)
        wait_for(lambda: load.count() >= 3 or load.failures, what="the load threads' first requests")
        return load

    def new_version(self):
        return version_of(self.c.call("customer.create", {"name": "probe"}))

    def wait_version(self, version, timeout=None):
        """Polls with new customers until they get `version`; returns the
        seconds it took."""
        t0 = time.monotonic()
        wait_for(lambda: self.new_version() == version, timeout=timeout or 20.0, interval=0.02,
                 what="rules version %s" % version)
        return time.monotonic() - t0

    # -- the ways editors save ---------------------------------------------

    def save_by_rename(self, text):
        """Write a temporary file beside it, then rename it over the old one."""
        tmp = os.path.join(os.path.dirname(self.path), ".tag.lua.%d.tmp" % os.getpid())
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def save_in_place(self, text):
        with open(self.path, "w") as f:
            f.write(text)

    def save_like_vim(self, text):
        """vim's default: probe file 4913, swap file, backup by rename, new
        file, backup removed."""
        d = os.path.dirname(self.path)
        swp = os.path.join(d, ".tag.lua.swp")
        with open(swp, "wb") as f:
            f.write(b"b0VIM 9.0\x00\x00garbage(")
        probe = os.path.join(d, "4913")
        open(probe, "w").close()
        os.unlink(probe)
        backup = self.path + "~"
        os.rename(self.path, backup)
        with open(self.path, "w") as f:
            f.write(text)
        os.unlink(backup)
        os.unlink(swp)


class EditUnderLoadTest(ReloadTestCase):

    def test_edits_under_load_take_effect_without_failures(self):
        self.start()
        load = self.start_load()
        self.assertEqual(self.new_version(), "v1")
        edits = []  # (monotonic time of the save, version)
        for version, save in (("v2", self.save_by_rename), ("v3", self.save_in_place),
                              ("v4", self.save_like_vim), ("v5", self.save_by_rename)):
            t = time.monotonic()
            save(tag_rule(version))
            edits.append((t, version))
            took = self.wait_version(version)
            self.assertLessEqual(took, EFFECT_WITHIN,
                                 "%s (%s) took %.2f s to take effect" % (version, save.__name__, took))
            # Every load thread moves on to it too.
            wait_for(lambda: all(v == version for v in load.last_versions()) or load.failures,
                     what="all threads on %s" % version)
            self.assertEqual(load.failures, [])
        n = load.count()
        load.stop()
        self.assertEqual(load.failures, [], "requests failed during the reloads")
        self.assertGreater(n, 10, "the load threads made progress")
        for i, recs in enumerate(load.records):
            versions = [vnum(v) for _, v in recs]
            self.assertNotIn(0, versions, "thread %d: a customer was created without rules" % i)
            self.assertEqual(versions, sorted(versions),
                             "thread %d saw the rules go back in time: %r" % (i, versions))
            for t_sent, v in recs:
                due = [ver for t, ver in edits if t + EFFECT_WITHIN < t_sent]
                if due:
                    self.assertGreaterEqual(vnum(v), vnum(due[-1]),
                                            "thread %d: a request sent %.2f s after %s was saved "
                                            "still ran %s" % (i, t_sent - edits[len(due) - 1][0],
                                                              due[-1], v))
        st = self.status(self.c)
        self.assertIsNone(st["last_error"], st)
        self.assertEqual([os.path.basename(f["path"]) for f in st["files"]], ["tag.lua"])
        self.assertPong(self.c)


class BrokenEditTest(ReloadTestCase):

    def test_a_broken_edit_is_reported_and_the_old_rules_keep_serving(self):
        self.start()
        events = Events(self, self.server, ["script.*"])
        load = self.start_load()
        gen = self.status(self.c)["generation"]
        self.save_in_place(BROKEN)
        st = wait_for(lambda: (lambda s: s if s["last_error"] else None)(self.status(self.c)),
                      what="script.status.last_error")
        msg = st["last_error"].get("message")
        self.assertIsInstance(msg, str, st)
        self.assertIn("tag.lua:%d:" % BROKEN_LINE, msg, "last_error names the file and line")
        self.assertEqual(st["generation"], gen, "the old generation keeps running")
        ev = events.until(lambda e: e["channel"] == "script.error")[-1]
        self.assertEqual(os.path.basename(str(ev["data"].get("script"))), "tag.lua", ev)
        self.assertEqual(ev["data"].get("line"), BROKEN_LINE, ev)
        self.assertIn("tag.lua:%d:" % BROKEN_LINE, self.server.stderr_text(),
                      "the log names the broken file and line")
        # The old rules keep serving everyone.
        n = load.count()
        wait_for(lambda: load.count() >= n + 3 or load.failures, what="more load")
        self.assertEqual(load.last_versions(), ["v1"] * 4)
        self.assertEqual(self.new_version(), "v1")
        # Fixing the file brings the new rules and clears the error.
        self.save_by_rename(tag_rule("v2"))
        self.assertLessEqual(self.wait_version("v2"), EFFECT_WITHIN)
        st = self.status(self.c)
        self.assertIsNone(st["last_error"], st)
        self.assertGreater(st["generation"], gen, st)
        load.stop()
        self.assertEqual(load.failures, [], "requests failed around the broken edit")


class ScriptReloadTest(ReloadTestCase):

    def test_script_reload_reports_the_error_and_keeps_the_old_rules(self):
        self.start("--watch-scripts", "0")
        gen = self.status(self.c)["generation"]
        self.save_in_place(BROKEN)
        with self.assertRpcError(-32010) as cm:
            self.c.call("script.reload")
        self.assertIn("tag.lua:%d:" % BROKEN_LINE, cm.error.message, cm.error.error)
        st = self.status(self.c)
        self.assertEqual(st["generation"], gen, st)
        self.assertIn("tag.lua:%d:" % BROKEN_LINE, (st["last_error"] or {}).get("message", ""), st)
        self.assertEqual(self.new_version(), "v1", "the old rules keep running")
        self.assertEqual(self.c.call("system.info")["script_generation"], gen)
        # Fixed: script.reload loads it.
        self.save_in_place(tag_rule("v2"))
        got = self.c.call("script.reload")
        self.assertEqual(got, {"generation": got.get("generation")}, got)
        self.assertGreater(got["generation"], gen, got)
        self.assertEqual(self.new_version(), "v2")
        self.assertIsNone(self.status(self.c)["last_error"])

    def test_script_reload_error_names_the_script_and_line(self):
        # -32010 carries data.script and data.line (contract, section 2).
        self.start("--watch-scripts", "0")
        self.save_in_place(BROKEN)
        with self.assertRpcError(-32010) as cm:
            self.c.call("script.reload")
        self.assertScriptPlace(cm.error, self.server, "tag.lua", BROKEN_LINE)


class SighupTest(ReloadTestCase):

    def test_sighup_reloads(self):
        self.start("--watch-scripts", "0")
        events = Events(self, self.server, ["script.reloaded"])
        gen = self.status(self.c)["generation"]
        self.save_in_place(tag_rule("v2"))
        # Without watching, nothing changes by itself.
        time.sleep(0.6)
        self.assertEqual(self.new_version(), "v1")
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_version("v2")
        st = self.status(self.c)
        self.assertGreater(st["generation"], gen, st)
        ev = events.next()
        self.assertEqual(ev["channel"], "script.reloaded", ev)
        self.assertEqual(ev["data"].get("generation"), st["generation"], ev)
        # A broken file and SIGHUP: reported, old rules kept, server alive.
        self.save_in_place(BROKEN)
        self.server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.status(self.c)["last_error"], what="last_error after SIGHUP")
        self.assertEqual(self.new_version(), "v2")
        self.assertEqual(self.status(self.c)["generation"], st["generation"])
        self.assertTrue(self.server.running())


class EditorFilesTest(ReloadTestCase):

    def test_editor_temp_files_do_nothing_harmful(self):
        self.start()
        load = self.start_load()
        gen = self.status(self.c)["generation"]
        d = self.server.scripts_dir
        junk = {".tag.lua.swp": b"b0VIM 9.0\x00\x00\xff\xfe(((",
                "tag.lua~": b"this is not lua (",
                "#tag.lua#": b"emacs autosave (",
                ".#tag.lua": b"emacs lock",
                "tag.lua.tmp": b"half a file (",
                "notes.txt": b"not a rule",
                "4913": b""}
        for name, data in junk.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        time.sleep(1.0)  # several debounce periods
        st = self.status(self.c)
        self.assertIsNone(st["last_error"], st)
        self.assertEqual(st["generation"], gen, "temporary files changed no rules: %r" % (st,))
        self.assertEqual([os.path.basename(f["path"]) for f in st["files"]], ["tag.lua"])
        self.assertEqual(self.new_version(), "v1")
        # A real edit next to them is loaded, alone.
        self.save_in_place(tag_rule("v2"))
        self.assertLessEqual(self.wait_version("v2"), EFFECT_WITHIN)
        st = self.status(self.c)
        self.assertIsNone(st["last_error"], st)
        self.assertEqual([os.path.basename(f["path"]) for f in st["files"]], ["tag.lua"])
        for name in junk:
            os.unlink(os.path.join(d, name))
        load.stop()
        self.assertEqual(load.failures, [])

    def test_adding_and_removing_a_rule_file(self):
        self.start()
        extra = os.path.join(self.server.scripts_dir, "zz_extra.lua")
        with open(extra, "w") as f:
            f.write('crm.before("customer.created", function(ev)\n'
                    '  ev.customer.attrs = {extra = true}\n'
                    'end)\n')
        wait_for(lambda: self.c.call("customer.create", {"name": "x"})["attrs"].get("extra"),
                 what="the new file's rule")
        self.assertEqual(sorted(os.path.basename(f["path"]) for f in self.status(self.c)["files"]),
                         ["tag.lua", "zz_extra.lua"])
        os.unlink(extra)
        wait_for(lambda: not self.c.call("customer.create", {"name": "y"})["attrs"].get("extra"),
                 what="the removed file's rule gone")
        self.assertEqual(self.new_version(), "v1")


if __name__ == "__main__":
    main()
