"""The rules sandbox, attacked through script.eval and through rule files:
the classic escapes fail cleanly and the server stays responsive; shared
libraries are read-only; files cannot see each other's globals; CPU and
memory budgets hold even around pcall; deep recursion is a clean error; a
rule over budget fails the client's write and writes nothing."""

import json
import os
import signal
import subprocess
import time

from kithtest import ConnectionClosed, RpcError, main
from rulestest import Events, RulesTestCase, created, scripts

LIMITS = ("--script-cpu-ms", "100", "--script-memory", "16mb")
WITHIN = 5.0  # seconds: generous bound for a 100 ms budget (sanitizer builds are slow)
HANG = 6.0  # seconds without a reply to a hostile request: the server is stuck


class SandboxCase(RulesTestCase):

    def hostile(self, method, params, expect):
        """Sends a request that a rule should fail with `expect`; returns
        (RpcError, seconds).  A server that stops answering is killed and
        started again (so the other cases still run) and the case fails."""
        t0 = time.monotonic()
        try:
            with self.assertRpcError(expect) as cm:
                self.c.call(method, params, timeout=HANG)
        except (TimeoutError, ConnectionClosed) as e:
            self.server.kill9()
            self.server.start()
            self.c = self.connect(self.server)
            self.fail("kithd stopped answering (killed and restarted): %s %s: %s"
                      % (method, json.dumps(params)[:300], e))
        took = time.monotonic() - t0
        self.ping()
        return cm.error, took

    def ping(self):
        """The server answers, on the test's connection and on a new one."""
        self.assertPong(self.c)
        self.assertPong(self.connect(self.server))

    def eval(self, code, timeout=None):
        return self.c.call("script.eval", {"code": code}, timeout=timeout)

    def eval_error(self, code, expect=-32010):
        """Runs code, expecting error `expect`; returns (RpcError, seconds)."""
        return self.hostile("script.eval", {"code": code}, expect)


class EvalEscapeTest(SandboxCase):
    """script.eval on a server with 100 ms / 16 MB budgets and no rules."""

    def setUp(self):
        self.server = self.start_rules_server(*LIMITS)
        self.c = self.connect(self.server)

    def test_dangerous_globals_are_nil(self):
        for name in ("io", "os.execute", "os.getenv", "os.remove", "os.exit", "os.rename",
                     "os.tmpname", "require", "package", "debug", "dofile", "loadfile",
                     "collectgarbage", "string.dump", "rawset", "coroutine", "_G", "module",
                     "loadstring", "setfenv", "getfenv", "newproxy"):
            with self.subTest(name=name):
                self.assertEqual(self.eval("return type(%s)" % name), "nil")
                self.ping()
        # What the rules are promised is there.
        for name in ("os.time", "os.date", "os.clock", "string.format", "table.concat",
                     "math.floor", "utf8.char", "pcall", "load", "setmetatable"):
            with self.subTest(name=name):
                self.assertEqual(self.eval("return type(%s)" % name), "function")

    def test_calling_escapes_fails_cleanly(self):
        marker = os.path.join(self.server.tmp, "escaped")
        for code in ("os.execute('touch %s')" % marker,
                     "io.open('%s', 'w'):write('x')" % marker,
                     "require('io')",
                     "dofile('/etc/passwd')",
                     "loadfile('/etc/passwd')",
                     "debug.sethook()",
                     "collectgarbage('stop')",
                     "package.loadlib('libc.so.6', 'system')",
                     "return os.getenv('HOME')",
                     "os.exit(1)",
                     "return load('return io')().open('%s', 'w')" % marker,
                     "return load('return io', 'x', 't', nil)()",
                     "return os.date('%Ez')",
                     "return string.format('%99999d', 1)"):
            with self.subTest(code=code):
                err, _ = self.eval_error(code)
                self.assertEqual(err.data.get("kind"), "script_error", err.error)
        self.assertFalse(os.path.exists(marker), "a rule wrote a file")
        self.assertTrue(self.server.running())

    def test_string_dump_is_not_reachable_through_the_string_metatable(self):
        # ("").dump reads the string library through the strings' metatable.
        self.assertEqual(self.eval("return type(('').dump)"), "nil")
        self.assertEqual(self.eval("return type(('x').dump)"), "nil")

    def test_binary_chunks_do_not_load(self):
        header = "'\\27LuaT\\0\\25\\147\\r\\n\\26\\n\\4\\8\\8\\120\\86\\0\\0\\0\\0\\0\\0\\0\\0'"
        self.assertEqual(self.eval("local f, e = load(%s) return {f == nil, type(e)}" % header),
                         [True, "string"])
        self.assertEqual(self.eval("local f, e = load(%s, 'x', 'b') return {f == nil, type(e)}"
                                   % header), [True, "string"])
        # Even a genuine compiled chunk, should one be made somehow.
        got = self.eval("local dump = ('').dump\n"
                        "if not dump then return 'no dump' end\n"
                        "local f = load(dump(function() return 1 end))\n"
                        "return f == nil")
        self.assertIn(got, ("no dump", True))
        self.ping()

    def test_shared_libraries_are_read_only(self):
        for code in ("string.upper = function() return 'pwned' end",
                     "string.newfield = 1",
                     "math.pi = 3",
                     "math.floor = nil",
                     "table.insert = nil",
                     "os.time = function() return 0 end",
                     "utf8.char = nil",
                     "crm.x = 1",
                     "crm.customer = nil",
                     "crm.customer.get = nil",
                     "crm.loyalty.award = nil",
                     "crm.remind = nil",
                     "getmetatable('').__index = {}",
                     "getmetatable('').__index.upper = nil",
                     "setmetatable(string, {})",
                     "setmetatable(crm, {})",
                     "setmetatable(_ENV, {})",
                     "rawset(string, 'upper', nil)"):
            with self.subTest(code=code):
                self.eval_error(code)
        # Nothing changed, for this chunk or the next.
        self.assertEqual(self.eval("return {('abc'):upper(), string.upper('x'), math.pi > 3.14,"
                                   " type(table.insert), type(os.time), type(crm.customer.get),"
                                   " type(crm.loyalty.award), type(crm.remind), crm.x == nil,"
                                   " string.newfield == nil}"),
                         ["ABC", "X", True, "function", "function", "function", "function",
                          "function", True, True])
        # The string metatable is locked: getmetatable gives no handle on it.
        self.assertNotIsInstance(self.eval("return getmetatable('')"), dict)
        self.assertEqual(self.eval("return rawget(string, 'upper') == nil or "
                                   "rawget(string, 'upper') == string.upper"), True)

    def test_each_eval_has_a_fresh_environment(self):
        self.assertIsNone(self.eval("leftover = 42"))
        self.assertIsNone(self.eval("return leftover"))
        self.assertIsNone(self.eval("print = nil"))
        self.assertEqual(self.eval("return type(print)"), "function")

    def test_pcall_around_an_infinite_loop_still_hits_the_cpu_budget(self):
        for code in ("while true do end",
                     "return pcall(function() while true do end end)",
                     "while true do pcall(function() while true do end end) end",
                     "return xpcall(function() while true do end end, function(e) return e end)",
                     "return xpcall(function() while true do end end, function(e) while true do end end)",
                     "while true do pcall(error, 'again') end",
                     "return ('x'):rep(100):gsub('x', function() while true do end end)",
                     "return table.sort({3, 2, 1, 5, 4}, function(a, b) while true do end end)"):
            with self.subTest(code=code):
                err, took = self.eval_error(code, -32011)
                self.assertLess(took, WITHIN, "ended within the budget, more or less")

    def test_close_metamethods_are_refused(self):
        # A __close handler runs while an error unwinds; kithd refuses them
        # (and __gc) in rules rather than trust a budget to reach them.
        err, _ = self.eval_error(
            "local x <close> = setmetatable({}, {__close = function() while true do end end})",
            -32010)
        self.assertIn("__close", err.error["message"])
        self.assertEqual(self.eval("return 1 + 1"), 2)

    def test_memory_bombs_hit_the_memory_budget(self):
        for code in ("local s = 'x' while true do s = s .. s end",
                     "local t = {} while true do t[#t + 1] = ('x'):rep(4096) .. #t end",
                     "local t = {} for i = 1, 1e9 do t[i] = i end",
                     "return ('x'):rep(1e9)",
                     "return pcall(string.rep, 'x', 1e9)",
                     "local t = {} while true do pcall(function() t[#t + 1] = ('y'):rep(65536) .. #t end) end"):
            with self.subTest(code=code):
                err, took = self.eval_error(code, -32011)
                self.assertLess(took, WITHIN)
        # Still serving, rules still run.
        self.assertEqual(self.eval("return 1 + 1"), 2)

    def test_c_stack_recursion_is_a_clean_error(self):
        err, _ = self.eval_error("local t = setmetatable({}, {__index = function(t, k) return t[k + 1] end})"
                                 " return t[1]")
        self.assertEqual(err.data.get("kind"), "script_error")
        err, _ = self.eval_error("local s = ('('):rep(100000) return load('return ' .. s)()")
        self.eval_error("local t = {} t = setmetatable({}, {__tostring = function(x) return tostring(x) end})"
                        " return tostring(t)")


class MemoryReuseTest(SandboxCase):
    """16 MB, and a CPU budget roomy enough not to matter here."""

    def setUp(self):
        self.server = self.start_rules_server("--script-cpu-ms", "5000", "--script-memory", "16mb")
        self.c = self.connect(self.server)

    MODEST = ("local t = {} for i = 1, 600 do t[i] = ('z'):rep(10000) .. i end "
              "return #t")  # about 6 MB live

    def test_garbage_does_not_count_against_the_memory_budget(self):
        # Live data that fits the budget must not fail because garbage has
        # not been collected yet: Lua collects when an allocation is refused
        # and tries again.
        self.assertEqual(self.eval("local g = {} for i = 1, 1300 do g[i] = ('g'):rep(10000) .. i end "
                                   "g = nil " + self.MODEST), 600)

    def test_memory_is_usable_again_after_a_bomb(self):
        self.assertEqual(self.eval(self.MODEST), 600)
        self.eval_error("local t = {} while true do t[#t + 1] = ('x'):rep(4096) .. #t end", -32011)
        self.assertEqual(self.eval(self.MODEST), 600, "the bomb's garbage is not held against "
                                                      "the next rule")


class DeepRecursionTest(SandboxCase):
    """Default memory, a roomy CPU budget: recursion runs out of stack first."""

    def setUp(self):
        self.server = self.start_rules_server("--script-cpu-ms", "10000",
                                              files=scripts("budget.lua"))
        self.c = self.connect(self.server)

    def test_deep_recursion_is_a_clean_script_error(self):
        err, _ = self.eval_error("local function f(n) return 1 + f(n + 1) end return f(1)", -32010)
        self.assertIn("stack overflow", err.message)
        self.assertEqual(self.eval("return 'still fine'"), "still fine")

    def test_deep_recursion_in_a_hook_fails_the_write_cleanly(self):
        with self.assertRpcError(-32010) as cm:
            self.c.call("customer.create", {"name": "deep"})
        self.assertScriptPlace(cm.error, self.server, "budget.lua")
        self.assertEqual(self.customers_count(self.c), 0)
        self.ping()
        self.assertEqual(self.c.call("customer.create", {"name": "shallow"})["name"], "shallow")


class FinalizerTest(SandboxCase):
    """__gc finalizers run when the collector decides, outside the code that
    made them: they must not escape the budget."""

    def setUp(self):
        self.server = self.start_rules_server(*LIMITS)
        self.c = self.connect(self.server, timeout=HANG)

    def stop_or_kill(self, timeout=10):
        proc = self.server.proc
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.server.kill9()
            self.fail("kithd did not stop within %d s of SIGTERM (stuck in a finalizer)" % timeout)
        self.server.stop()  # collects the exit code (0 expected)

    def test_an_endless_finalizer_does_not_hang_the_server(self):
        # kithd refuses __gc in rules (Lua runs finalizers where no budget can
        # stop them); a server that accepted one would have to survive it.
        try:
            self.eval("setmetatable({}, {__gc = function() while true do end end}) return 1")
        except RpcError as e:
            self.assertEqual(e.code, -32010, e.error)
            self.assertIn("__gc", e.error["message"])
        try:
            # Drive the collector; the finalizer may run now.
            try:
                self.eval("local t = {} for i = 1, 200000 do t[i] = {i} end return #t")
            except RpcError as e:
                self.assertIn(e.code, (-32010, -32011), e.error)
            self.assertPong(self.connect(self.server, timeout=HANG))
            # Reloading closes the generation that holds it.
            self.c.call("script.reload")
            self.assertPong(self.connect(self.server, timeout=HANG))
        except (TimeoutError, ConnectionClosed) as e:
            self.server.kill9()
            self.fail("the server stopped answering after a rule made an endless __gc "
                      "finalizer: %s" % e)
        self.stop_or_kill()


class RuleFileSandboxTest(SandboxCase):
    """sandbox_probe.lua (as a_probe.lua) and sandbox_neighbour.lua (as
    b_neighbour.lua), and sandbox_escape.lua."""

    def setUp(self):
        files = scripts("sandbox_escape.lua", **{"a_probe.lua": "sandbox_probe.lua",
                                                 "b_neighbour.lua": "sandbox_neighbour.lua"})
        self.server = self.start_rules_server(*LIMITS, files=files)
        self.c = self.connect(self.server)

    def test_rules_see_no_escapes_and_cannot_change_shared_tables(self):
        cu = self.c.call("customer.create", {"name": "probe"})
        probe = cu["attrs"].get("probe")
        self.assertIsInstance(probe, dict, cu)
        for name in ("io", "os_execute", "os_getenv", "os_remove", "os_exit", "require",
                     "package", "debug", "dofile", "loadfile", "collectgarbage",
                     "string_dump", "rawset", "coroutine"):
            self.assertEqual(probe.get(name), "nil", "%s in a rule: %r" % (name, probe))
        for name in ("set_string", "set_math", "set_table", "set_os", "set_crm", "set_crm_top",
                     "string_meta", "protect_string"):
            self.assertEqual(probe.get(name), "refused", "%s in a rule: %r" % (name, probe))

    def test_files_cannot_see_or_change_each_others_globals(self):
        cu = self.c.call("customer.create", {"name": "probe"})
        probe, neighbour = cu["attrs"].get("probe"), cu["attrs"].get("neighbour")
        self.assertIsInstance(neighbour, dict, cu)
        self.assertEqual(probe.get("neighbour_mark"), "nil", "the probe saw b's global: %r" % cu)
        self.assertEqual(neighbour, {"secret": "nil", "tostring": "42", "upper": "ABC",
                                     "string_upper": "ABC", "pi": True, "insert": "function",
                                     "time": "function", "get": "function",
                                     "remind": "function"},
                         "what b_neighbour.lua saw after a_probe.lua ran")
        # script.eval does not see a file's globals either.
        self.assertEqual(self.c.call("script.eval", {"code": "return {type(secret), "
                                                             "type(neighbour_mark), tostring(1)}"}),
                         ["nil", "nil", "1"])

    def test_escape_attempts_in_rules_fail_the_write_cleanly(self):
        marker = os.path.join(self.server.tmp, "escaped")
        events = Events(self, self.server)
        for name in ("execute", "io", "require", "load"):
            with self.subTest(name=name):
                with self.assertRpcError(-32010) as cm:
                    self.c.call("customer.create", {"name": name, "attrs": {"path": marker}})
                if name == "load":
                    # The error is in the loaded chunk; the message names the rule.
                    self.assertIn("sandbox_escape.lua", cm.error.message)
                else:
                    self.assertScriptPlace(cm.error, self.server, "sandbox_escape.lua")
                self.ping()
        self.assertFalse(os.path.exists(marker), "a rule wrote a file")
        self.assertEqual(self.customers_count(self.c), 0)
        self.c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([e["channel"] for e in evs], ["customer.created"], evs)

    def test_escapes_at_load_time_leave_the_old_rules_running(self):
        marker = os.path.join(self.server.tmp, "escaped-at-load")
        gen = self.status(self.c)["generation"]
        bad = os.path.join(self.server.scripts_dir, "zz_bad.lua")
        with open(bad, "w") as f:
            f.write("os.execute('touch %s')\n" % marker)
        with self.assertRpcError(-32010) as cm:
            self.c.call("script.reload")
        self.assertIn("zz_bad.lua:1:", cm.error.message)
        self.assertFalse(os.path.exists(marker))
        self.assertEqual(self.status(self.c)["generation"], gen)
        cu = self.c.call("customer.create", {"name": "probe"})
        self.assertIn("probe", cu["attrs"], "the old rules keep running: %r" % (cu,))
        os.unlink(bad)


class BudgetInHooksTest(SandboxCase):
    """budget.lua with 100 ms / 16 MB budgets."""

    def setUp(self):
        self.server = self.start_rules_server(*LIMITS, files=scripts("budget.lua"))
        self.c = self.connect(self.server)

    def test_a_rule_over_budget_fails_the_write_and_writes_nothing(self):
        events = Events(self, self.server)
        for name in ("spin", "spin in pcall", "bomb"):
            with self.subTest(name=name):
                err, took = self.hostile("customer.create", {"name": name}, -32011)
                self.assertLess(took, WITHIN)
                self.assertScriptPlace(err, self.server, "budget.lua")
        self.assertEqual(self.customers_count(self.c), 0)
        ann = self.c.call("customer.create", {"name": "Ann"})
        # An after hook over budget: the order it ran after is gone too.
        with self.assertRpcError(-32011):
            self.c.call("order.create", {"customer_id": ann["id"], "amount": 999})
        self.assertEqual(self.c.call("order.list", {"customer_id": ann["id"]})["items"], [])
        self.assertEqual(self.c.call("customer.get", {"id": ann["id"]})["stats"]["orders"], 0)
        self.c.call("customer.create", {"name": "Marker"})
        evs = events.until(created("Marker"))
        self.assertEqual([e["channel"] for e in evs], ["customer.created", "customer.created"],
                         "only Ann's and the marker's events: %s" % json.dumps(evs)[:2000])
        self.assertEqual(self.c.call("order.create", {"customer_id": ann["id"],
                                                      "amount": 10})["amount"], 10)
        hook = self.hook(self.c, "before", "customer.created", "budget.lua")
        self.assertGreaterEqual(hook["errors"], 3, hook)

    def test_a_looping_error_handler_does_not_escape_the_budget(self):
        err, took = self.hostile("customer.create", {"name": "handler trap"}, -32011)
        self.assertLess(took, WITHIN)
        self.assertEqual(self.customers_count(self.c), 0)

    def test_a_bomb_caught_by_pcall_still_fails_the_write(self):
        with self.assertRpcError(-32011):
            self.c.call("customer.create", {"name": "bomb in pcall"})
        self.assertEqual(self.customers_count(self.c), 0)
        self.ping()

    def test_load_time_loops_are_stopped(self):
        gen = self.status(self.c)["generation"]
        bad = os.path.join(self.server.scripts_dir, "zz_loop.lua")
        with open(bad, "w") as f:
            f.write("while true do end\n")
        t0 = time.monotonic()
        with self.assertRaises(RpcError) as cm:
            self.c.call("script.reload")
        self.assertIn(cm.exception.code, (-32010, -32011), cm.exception.error)
        self.assertLess(time.monotonic() - t0, 30)
        self.assertEqual(self.status(self.c)["generation"], gen)
        self.ping()
        os.unlink(bad)
        self.assertEqual(self.c.call("customer.create", {"name": "Ann"})["name"], "Ann")


if __name__ == "__main__":
    main()
