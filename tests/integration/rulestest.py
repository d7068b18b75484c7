"""
Helpers shared by the rules-engine integration tests (test_rules.py,
test_reload.py, test_sandbox.py): fixture rule files, a subscriber that
collects events, polling, and checks of script errors.

Standard library only.
"""

import json
import os
import time

from kithtest import KithTestCase

RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules")

# Each test server gets its own small config file, so the tests do not
# depend on what config/kith.conf holds at the moment (it enables plugins
# and settings of its own).  `synchronous normal`: these tests are about
# rules, not fsync; durability has its own tests.
BASE_CONFIG = "synchronous normal\nwatch_scripts 1\n"

POLL_TIMEOUT = 20.0  # generous: only stops a test that would otherwise hang


def fixture(name):
    """The text of tests/integration/rules/<name>."""
    with open(os.path.join(RULES_DIR, name), encoding="utf-8") as f:
        return f.read()


def line_of(text, needle):
    """1-based number of the first line of text containing needle."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError("%r not found in the fixture" % needle)


def scripts(*names, **renamed):
    """{"scripts/<name>": text} for fixtures copied under their own name;
    renamed maps a target file name to a fixture (scripts/<key> <- value)."""
    files = {"scripts/" + n: fixture(n) for n in names}
    for target, source in renamed.items():
        files["scripts/" + target] = fixture(source)
    return files


def wait_for(fn, timeout=POLL_TIMEOUT, interval=0.05, what="condition"):
    """Calls fn until it returns something truthy; returns that.  Fails
    after timeout seconds (a guard against hangs, not a timing check)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("%s not reached within %.0f s; last value: %r"
                                 % (what, timeout, last))
        time.sleep(interval)


class Events:
    """A connection subscribed to `channels`; collects event notifications."""

    def __init__(self, tc, server, channels=("*",)):
        self.tc = tc
        self.client = tc.connect(server)
        reply = self.client.call("subscribe", {"channels": list(channels)})
        tc.assertIsInstance(reply, dict, "subscribe result: %r" % (reply,))
        tc.assertIsInstance(reply.get("seq"), int, "subscribe result: %r" % (reply,))
        self.seq = reply["seq"]
        self.seen = []

    def next(self, timeout=POLL_TIMEOUT):
        msg = self.client.read_json(timeout)
        self.tc.assertEqual(msg.get("method"), "event", "not an event: %r" % (msg,))
        self.tc.assertNotIn("id", msg, "an event is a notification: %r" % (msg,))
        params = msg["params"]
        self.tc.assertIsInstance(params.get("seq"), int, "event: %r" % (msg,))
        self.tc.assertGreater(params["seq"], self.seq, "event seqs increase: %r" % (msg,))
        self.seq = params["seq"]
        self.seen.append(params)
        return params

    def until(self, pred, timeout=POLL_TIMEOUT):
        """Reads events until pred(event) holds; returns the events read,
        the matching one last."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("expected event not seen; got %s"
                                     % json.dumps([(e["channel"], e.get("data")) for e in got])[:3000])
            ev = self.next(left)
            got.append(ev)
            if pred(ev):
                return got


def created(name):
    """Predicate: the customer.created event of the customer named name."""
    return lambda ev: (ev["channel"] == "customer.created"
                       and ((ev.get("data") or {}).get("customer") or {}).get("name") == name)


class RulesTestCase(KithTestCase):
    """KithTestCase with fixture rule folders and a private config."""

    def start_rules_server(self, *extra, files=None, config="", tokens=()):
        """Starts kithd with files ({relative path: text}: scripts/...,
        plugins/<name>/plugin.lua) and BASE_CONFIG + config as its config."""
        return self.start_server(*extra, files=files, config_text=BASE_CONFIG + config,
                                 tokens=tokens)

    def customers_count(self, client):
        info = client.call("system.info")
        self.assertIsInstance(info.get("customers"), int, "system.info: %r" % (info,))
        return info["customers"]

    def status(self, client):
        st = client.call("script.status")
        self.assertIsInstance(st, dict, "script.status: %r" % (st,))
        return st

    def hook(self, client, kind, event, filename):
        """The script.status entry of the hook kind/event registered in the
        file named filename."""
        hooks = [h for h in self.status(client)["hooks"]
                 if h.get("kind") == kind and h.get("event") == event
                 and os.path.basename(str(h.get("file"))) == filename]
        self.assertEqual(len(hooks), 1, "hook %s %s in %s among %r"
                         % (kind, event, filename, self.status(client)["hooks"]))
        return hooks[0]

    def assertScriptPlace(self, error, server, filename, line=None):
        """error (RpcError) names the rule file and line it came from:
        data.script is that file (its name, or its path), data.line its line."""
        script, at = error.data.get("script"), error.data.get("line")
        self.assertIsInstance(script, str, "data.script; full error: %r" % (error.error,))
        self.assertEqual(os.path.basename(script), filename,
                         "data.script names the rule file; full error: %r" % (error.error,))
        path = script if os.path.isabs(script) else os.path.join(server.scripts_dir, script)
        self.assertTrue(script == filename or os.path.isfile(path),
                        "data.script is the rule file's name or path, got %r; full error: %r"
                        % (script, error.error))
        self.assertIsInstance(at, int, "data.line; full error: %r" % (error.error,))
        self.assertGreaterEqual(at, 1, "data.line; full error: %r" % (error.error,))
        if line is not None:
            self.assertEqual(at, line, "data.line; full error: %r" % (error.error,))
