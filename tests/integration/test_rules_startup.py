"""Rules at start-up and their errors (issue 9, defect 4): a plugin setting
that is misspelt, of the wrong type or for a plugin that is not installed,
and a rule file that does not compile, stop kithd with a non-zero exit and a
message naming the file and line; a good config still starts.  At run time
a broken reload keeps the running rules, and script.status.last_error
clears once the files load cleanly again, even when the fix is an undo.
Also: text that rules print reaches the log escaped, one line per call."""

import os
import re
import subprocess

from kithtest import KITHD, KithTestCase, Server, main
from rulestest import BASE_CONFIG, RulesTestCase, wait_for

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERRAL = os.path.join(SOURCE_DIR, "plugins", "referral", "plugin.lua")


def referral_files():
    with open(REFERRAL, encoding="utf-8") as f:
        return {"plugins/referral/plugin.lua": f.read()}


class StartupTest(KithTestCase):
    def start_failing(self, config_lines, files):
        """Runs kithd with the config and files; returns (exit code, stderr,
        config path).  It must exit by itself."""
        server = Server()
        self.addCleanup(server.destroy)
        server.write_files(files)
        config = BASE_CONFIG + "".join(line + "\n" for line in config_lines)
        server.write_files({"kith.conf": config})
        server.config = os.path.join(server.tmp, "kith.conf")
        p = subprocess.run(server.argv(), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60)
        self.assertNotIn(b"kithd ready", p.stdout, "it must not start: %r" % (p.stderr,))
        return p.returncode, p.stderr.decode(errors="replace"), server.config

    def test_bad_plugin_settings_stop_the_start_naming_the_line(self):
        first = BASE_CONFIG.count("\n") + 1
        cases = [
            (["plugin.referral.enabled yes", "plugin.referral.pints 10"], 2, "no such setting"),
            (["plugin.referral.enabled yes", "plugin.referral.points ten"], 2, "integer"),
            (["plugin.referral.enabled yes", "plugin.referral.reject_unknown_codes maybe"], 2,
             "yes or no"),
            (["plugin.referral.enabled yse"], 1, "yes or no"),
            (["plugin.referal.enabled yes"], 1, "no plugin 'referal'"),
            # A disabled plugin's settings are checked too.
            (["plugin.referral.pints 10"], 1, "no such setting"),
        ]
        for lines, bad, words in cases:
            with self.subTest(config=lines):
                code, err, path = self.start_failing(lines, referral_files())
                self.assertNotEqual(code, 0, err)
                self.assertIn("%s:%d:" % (path, first + bad - 1), err, "names the file and line")
                self.assertIn(words, err)

    def test_a_rule_that_does_not_compile_stops_the_start(self):
        code, err, _ = self.start_failing([], {"scripts/bad.lua": "crm.on('x', function()\n"})
        self.assertNotEqual(code, 0, err)
        self.assertRegex(err, r"bad\.lua:\d+:")

    def test_good_plugin_settings_start(self):
        server = self.start_server(files=referral_files(), config_text=BASE_CONFIG +
                                   "plugin.referral.enabled yes\nplugin.referral.points 7\n"
                                   "plugin.referral.reject_unknown_codes no\n")
        c = self.connect(server)
        plugins = {p["name"]: p for p in c.call("plugin.list")}
        self.assertTrue(plugins["referral"]["enabled"], plugins)
        self.assertGreaterEqual(c.call("script.status")["generation"], 1)


BROKEN = "crm.before('customer.created', function(ev)\n  ev.customer.tags = {'x'\nend)\n"


class LastErrorTest(RulesTestCase):
    def test_last_error_clears_when_a_broken_edit_is_undone(self):
        good = "crm.before('customer.created', function(ev) end)\n"
        server = self.start_rules_server(files={"scripts/tag.lua": good})
        c = self.connect(server)
        gen = c.call("script.status")["generation"]
        path = os.path.join(server.scripts_dir, "tag.lua")
        with open(path, "w") as f:
            f.write(BROKEN)
        wait_for(lambda: c.call("script.status")["last_error"], what="last_error")
        self.assertEqual(c.call("script.status")["generation"], gen, "the old rules keep running")
        # Undo: the files are exactly the running generation's again.
        with open(path, "w") as f:
            f.write(good)
        st = wait_for(lambda: (lambda s: s if s["last_error"] is None else None)(
            c.call("script.status")), what="last_error cleared")
        self.assertEqual(st["generation"], gen, st)


class LogForgingTest(RulesTestCase):
    def test_printed_text_cannot_forge_a_log_line(self):
        rule = ('print("loaded\\n[fake] kithd ready\\r\\27[2J")\n'
                'crm.on("customer.created", function(ev) '
                'crm.log("warn", "x\\n2026-01-01T00:00:00.000Z error forged") end)\n')
        server = self.start_rules_server(files={"scripts/noisy.lua": rule})
        c = self.connect(server)
        c.call("customer.create", {"name": "Ann"})
        c.call("script.eval", {"code": 'print("eval\\nforged too") return 1'})
        text = wait_for(lambda: (lambda t: t if "forged too" in t and "forged" in t.split(
            "forged too")[0] else None)(server.stderr_text()), what="the printed lines")
        lines = text.splitlines()
        self.assertFalse([l for l in lines if l.startswith("[fake]")], text[-2000:])
        self.assertFalse([l for l in lines if l.startswith("2026-01-01T00:00:00.000Z")],
                         text[-2000:])
        self.assertFalse([l for l in lines if l.startswith("forged too")], text[-2000:])
        self.assertNotIn("\x1b", text, "terminal escapes are escaped")
        self.assertTrue([l for l in lines if re.search(r"loaded\\n\[fake\] kithd ready\\r\\x1b", l)],
                        text[-2000:])


if __name__ == "__main__":
    main()
