"""Every JSON-RPC error path of the contract (section 2's table) that this
issue can reach, through the real socket.

Not reachable here, so not tested: -32603 internal (a bug by definition),
-32010 script_error and -32011 script_limit (rules come with the scripting
issue).  -32001/-32003 live in test_auth.py, -32029 and too_large in
test_limits.py.
"""

from kithtest import KithTestCase, compact, main

PING = b'{"jsonrpc":"2.0","method":"system.ping","id":"next"}\n'


class ParseErrorTest(KithTestCase):
    """-32700: reply with id null, discard through the next newline, carry on."""

    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def expect_parse_error_then_pong(self, bad):
        # A fresh connection each time, so one failure cannot desynchronise
        # the replies of the next subtest.
        c = self.connect(self.server)
        c.send_raw(bad + PING)
        self.assertErrorReply(c.read_json(), -32700, id=None)
        self.assertResultReply(c.read_json(), "next", "pong")

    def test_invalid_json_trailing_comma(self):
        self.expect_parse_error_then_pong(b'{"jsonrpc":"2.0","method":"system.ping","id":1,}\n')

    def test_invalid_json_bad_literal(self):
        self.expect_parse_error_then_pong(b'{"jsonrpc":"2.0","method":"system.ping","id":tru}\n')

    def test_invalid_json_missing_colon(self):
        self.expect_parse_error_then_pong(b'{"jsonrpc" "2.0","method":"system.ping","id":1}\n')

    def test_mismatched_bracket(self):
        self.expect_parse_error_then_pong(b'{"jsonrpc":"2.0","params":[1,2},"id":1}\n')

    def test_mismatched_bracket_is_reported_at_once(self):
        # No newline yet: the fault is already certain, so the reply comes now.
        self.c.send_raw(b'{"a":[1]]')
        self.assertErrorReply(self.c.read_json(), -32700, id=None)
        # The rest of that line (a complete, valid request) is discarded.
        self.c.send_raw(b' {"jsonrpc":"2.0","method":"system.ping","id":"dropped"}\n' + PING)
        self.assertResultReply(self.c.read_json(), "next", "pong")

    def test_raw_newline_inside_a_string(self):
        # The offending newline is the one discarded through, so the request
        # right after it is served.
        self.c.send_raw(b'{"jsonrpc":"2.0","method":"system.ping","id":1,"x":"abc\n' + PING)
        self.assertErrorReply(self.c.read_json(), -32700, id=None)
        self.assertResultReply(self.c.read_json(), "next", "pong")

    def test_raw_control_character_inside_a_string(self):
        self.expect_parse_error_then_pong(b'{"jsonrpc":"2.0","method":"system.ping","id":"a\x01b"}\n')

    def test_invalid_utf8(self):
        self.expect_parse_error_then_pong(
            b'{"jsonrpc":"2.0","method":"customer.create","params":{"name":"\xff\xfe"},"id":1}\n')

    def test_overlong_utf8(self):
        self.expect_parse_error_then_pong(
            b'{"jsonrpc":"2.0","method":"customer.create","params":{"name":"\xc0\xaf"},"id":1}\n')

    def test_invalid_utf8_changes_nothing(self):
        self.c.send_raw(b'{"jsonrpc":"2.0","method":"customer.create","params":{"name":"bad\xff"},"id":1}\n')
        self.assertErrorReply(self.c.read_json(), -32700, id=None)
        self.assertEqual(self.c.call("customer.list")["items"], [])

    def test_invalid_numbers(self):
        # RFC 8259 numbers: no leading zeros, digits on both sides of the
        # point, no sign "+", no hex, no NaN/Infinity.
        for num in [b"01", b"1.", b".5", b"+1", b"-", b"1e", b"0x10", b"NaN", b"Infinity", b"-01"]:
            with self.subTest(number=num):
                self.expect_parse_error_then_pong(
                    b'{"jsonrpc":"2.0","method":"system.ping","id":' + num + b'}\n')

    def test_invalid_strings_and_syntax(self):
        for bad in [b'{"jsonrpc":"2.0","method":"system.ping","id":"\\x"}\n',
                    b'{"jsonrpc":"2.0","method":"system.ping","id":"\\u12"}\n',
                    b"{'jsonrpc':'2.0','method':'system.ping','id':3}\n",
                    b'{"jsonrpc":"2.0","method":"system.ping","params":[1,],"id":3}\n',
                    b'{"jsonrpc":"2.0","method":"system.ping","id":3 4}\n',
                    b'{"jsonrpc":"2.0","method":"system.ping","id":tRue}\n',
                    b'/* comment */ {"jsonrpc":"2.0","method":"system.ping","id":3}\n']:
            with self.subTest(message=bad):
                self.expect_parse_error_then_pong(bad)

    def test_rest_of_the_line_is_discarded_after_any_parse_error(self):
        # CONTRACT 2: a message that cannot be valid JSON gets -32700 and the
        # server discards input up to and including the next newline, so
        # the request after it on the same line is not served.
        for bad in [b'{"a":1,}', b'{"a":]']:
            with self.subTest(message=bad):
                c = self.connect(self.server)
                c.send_raw(bad + b'{"jsonrpc":"2.0","method":"system.ping","id":"dropped"}\n' + PING)
                self.assertErrorReply(c.read_json(), -32700, id=None)
                self.assertResultReply(c.read_json(), "next", "pong")

    def test_garbage_line(self):
        self.expect_parse_error_then_pong(b'hello world\n')

    def test_many_errors_in_a_row_keep_the_connection(self):
        for _ in range(20):
            self.c.send_raw(b'{"x":]\n')
        for _ in range(20):
            self.assertErrorReply(self.c.read_json(), -32700, id=None)
        self.assertPong(self.c)


class InvalidRequestTest(KithTestCase):
    """-32600: valid JSON that is not a JSON-RPC 2.0 request."""

    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def expect_invalid(self, msg, ids=(None,)):
        c = self.connect(self.server)
        reply = c.request(msg if isinstance(msg, bytes) else compact(msg) + b"\n")
        self.assertErrorReply(reply, -32600)
        self.assertIn(reply.get("id", "missing"), ids, "reply id: %r" % (reply,))
        self.assertPong(c)

    def test_missing_jsonrpc(self):
        self.expect_invalid({"method": "system.ping", "id": 1}, ids=(1, None))

    def test_wrong_version(self):
        self.expect_invalid({"jsonrpc": "1.0", "method": "system.ping", "id": 1}, ids=(1, None))

    def test_version_as_number(self):
        self.expect_invalid({"jsonrpc": 2.0, "method": "system.ping", "id": 1}, ids=(1, None))

    def test_missing_method(self):
        self.expect_invalid({"jsonrpc": "2.0", "id": 1}, ids=(1, None))

    def test_method_not_a_string(self):
        self.expect_invalid({"jsonrpc": "2.0", "method": 5, "id": 1}, ids=(1, None))

    def test_params_neither_object_nor_array(self):
        for params in ["x", 5, True, None]:
            with self.subTest(params=params):
                self.expect_invalid({"jsonrpc": "2.0", "method": "system.ping",
                                     "params": params, "id": 1}, ids=(1, None))

    def test_id_of_wrong_type(self):
        self.expect_invalid({"jsonrpc": "2.0", "method": "system.ping", "id": {"a": 1}})

    def test_empty_batch(self):
        reply = self.c.request(b"[]\n")
        self.assertIsInstance(reply, dict, "an empty batch gets one reply, not an array: %r" % (reply,))
        self.assertErrorReply(reply, -32600, id=None)
        self.assertPong(self.c)

    def test_scalar(self):
        for scalar in [b"1", b'"text"', b"true", b"null"]:
            with self.subTest(scalar=scalar):
                self.expect_invalid(scalar + b"\n")

    def test_invalid_request_changes_nothing(self):
        self.expect_invalid({"jsonrpc": "1.0", "method": "customer.create",
                             "params": {"name": "Nope"}, "id": 1}, ids=(1, None))
        self.assertEqual(self.c.call("customer.list")["items"], [])


class MethodNotFoundTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_unknown_method(self):
        for method in ["no.such.method", "customer.nope", "rpc.nope", "CUSTOMER.CREATE"]:
            with self.subTest(method=method):
                with self.assertRpcError(-32601):
                    self.c.call(method)

    def test_methods_of_later_issues_are_not_found_rather_than_crashing(self):
        reply = self.c.request({"jsonrpc": "2.0", "method": "no.such.family", "params": {}, "id": "x"})
        self.assertErrorReply(reply, -32601, id="x")


class InvalidParamsTest(KithTestCase):
    """-32602 with data.param naming the offending parameter."""

    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)
        self.cust = self.c.call("customer.create", {"name": "Params"})

    def test_unknown_param(self):
        with self.assertRpcError(-32602, param="bogus"):
            self.c.call("customer.create", {"name": "X", "bogus": 1})
        with self.assertRpcError(-32602, param="colour"):
            self.c.call("customer.get", {"id": self.cust["id"], "colour": "red"})

    def test_wrong_type(self):
        with self.assertRpcError(-32602, param="name"):
            self.c.call("customer.create", {"name": 5})
        with self.assertRpcError(-32602, param="tags"):
            self.c.call("customer.create", {"name": "X", "tags": "vip"})
        with self.assertRpcError(-32602, param="attrs"):
            self.c.call("customer.create", {"name": "X", "attrs": [1]})
        with self.assertRpcError(-32602, param="id"):
            self.c.call("customer.get", {"id": "one"})
        with self.assertRpcError(-32602, param="amount"):
            self.c.call("order.create", {"customer_id": self.cust["id"], "amount": "12.00"})
        with self.assertRpcError(-32602, param="limit"):
            self.c.call("customer.list", {"limit": "10"})

    def test_missing_required(self):
        with self.assertRpcError(-32602, param="name"):
            self.c.call("customer.create", {})
        with self.assertRpcError(-32602, param="name"):
            self.c.call("customer.create")
        with self.assertRpcError(-32602, param="customer_id"):
            self.c.call("order.create", {"amount": 1})
        with self.assertRpcError(-32602, param="amount"):
            self.c.call("order.create", {"customer_id": self.cust["id"]})
        with self.assertRpcError(-32602, param="token"):
            self.c.call("auth", {})
        with self.assertRpcError(-32602, param="summary"):
            self.c.call("interaction.log", {"customer_id": self.cust["id"], "type": "call"})

    def test_invalid_params_change_nothing(self):
        before = self.c.call("system.info")["customers"]
        with self.assertRpcError(-32602, param="tags"):
            self.c.call("customer.create", {"name": "Half", "tags": [1, 2]})
        self.assertEqual(self.c.call("system.info")["customers"], before)


class NotFoundTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_get_of_a_missing_customer(self):
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"id": 424242})
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"external_id": "nobody"})
        with self.assertRpcError(-32004):
            self.c.call("customer.get", {"email": "nobody@example.com"})

    def test_writes_about_a_missing_customer(self):
        with self.assertRpcError(-32004):
            self.c.call("customer.update", {"id": 424242, "name": "X"})
        with self.assertRpcError(-32004):
            self.c.call("customer.delete", {"id": 424242})
        with self.assertRpcError(-32004):
            self.c.call("order.create", {"customer_id": 424242, "amount": 1})
        with self.assertRpcError(-32004):
            self.c.call("interaction.log", {"customer_id": 424242, "type": "call", "summary": "x"})


class ConflictTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_duplicate_external_id_on_create(self):
        first = self.c.call("customer.create", {"name": "One", "external_id": "ext-1"})
        with self.assertRpcError(-32009):
            self.c.call("customer.create", {"name": "Two", "external_id": "ext-1"})
        # Nothing changed: still one customer with that external_id, unchanged.
        self.assertEqual(self.c.call("system.info")["customers"], 1)
        got = self.c.call("customer.get", {"external_id": "ext-1"})
        self.assertEqual((got["id"], got["name"]), (first["id"], "One"))

    def test_failures_inside_a_batch_of_writes_change_only_themselves(self):
        # Writes of one batch (and of one group commit) succeed or fail one
        # by one: a failing entry rolls back nothing but itself.
        batch = [
            {"jsonrpc": "2.0", "method": "customer.create", "params": {"name": "A", "external_id": "b-1"}, "id": 1},
            {"jsonrpc": "2.0", "method": "customer.create", "params": {"name": "B", "external_id": "b-1"}, "id": 2},
            {"jsonrpc": "2.0", "method": "customer.create", "params": {"name": "C", "external_id": "b-3"}, "id": 3},
            {"jsonrpc": "2.0", "method": "customer.create", "params": {"name": "D", "tags": [7]}, "id": 4},
        ]
        replies = {r["id"]: r for r in self.c.request(batch)}
        self.assertResultReply(replies[1], 1)
        self.assertErrorReply(replies[2], -32009, id=2)
        self.assertResultReply(replies[3], 3)
        self.assertErrorReply(replies[4], -32602, id=4, param="tags")
        a, c = replies[1]["result"], replies[3]["result"]
        orders = [
            {"jsonrpc": "2.0", "method": "order.create", "params": {"customer_id": a["id"], "amount": 5}, "id": 5},
            {"jsonrpc": "2.0", "method": "order.create", "params": {"customer_id": a["id"], "amount": -5}, "id": 6},
            {"jsonrpc": "2.0", "method": "order.create", "params": {"customer_id": 999999, "amount": 5}, "id": 7},
            {"jsonrpc": "2.0", "method": "order.create", "params": {"customer_id": c["id"], "amount": 2.5}, "id": 8},
        ]
        replies = {r["id"]: r for r in self.c.request(orders)}
        self.assertResultReply(replies[5], 5)
        self.assertErrorReply(replies[6], -32602, id=6, param="amount")
        self.assertErrorReply(replies[7], -32004, id=7)
        self.assertResultReply(replies[8], 8)
        self.assertEqual([x["name"] for x in self.c.call("customer.list")["items"]], ["A", "C"])
        sa = self.c.call("customer.get", {"id": a["id"]})["stats"]
        sc = self.c.call("customer.get", {"id": c["id"]})["stats"]
        self.assertEqual((sa["orders"], sa["total_spent"], sc["orders"], sc["total_spent"]), (1, 5, 1, 2.5))

    def test_duplicate_external_id_on_update(self):
        self.c.call("customer.create", {"name": "One", "external_id": "ext-1"})
        two = self.c.call("customer.create", {"name": "Two", "external_id": "ext-2"})
        with self.assertRpcError(-32009):
            self.c.call("customer.update", {"id": two["id"], "external_id": "ext-1", "name": "Renamed"})
        got = self.c.call("customer.get", {"id": two["id"]})
        self.assertEqual((got["name"], got["external_id"]), ("Two", "ext-2"),
                         "a failed update changes nothing")


if __name__ == "__main__":
    main()
