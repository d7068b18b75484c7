"""Framing and JSON-RPC envelopes (CONTRACT section 2): where one message ends
and the next begins, batches, notifications and ids."""

import json

from kithtest import KithTestCase, compact, main


def req(method, id, params=None):
    r = {"jsonrpc": "2.0", "method": method, "id": id}
    if params is not None:
        r["params"] = params
    return r


def note(method, params=None):
    r = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        r["params"] = params
    return r


class FramingTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_two_messages_in_one_write_without_newline(self):
        self.c.send_raw(compact(req("system.ping", 1)) + compact(req("system.ping", 2)))
        self.assertResultReply(self.c.read_json(), 1, "pong")
        self.assertResultReply(self.c.read_json(), 2, "pong")

    def test_message_then_batch_in_one_write(self):
        self.c.send_raw(compact(req("system.ping", "a")) +
                        compact([req("system.ping", "b")]) + b"\n")
        self.assertResultReply(self.c.read_json(), "a", "pong")
        batch = self.c.read_json()
        self.assertIsInstance(batch, list, "a batch's reply is an array: %r" % (batch,))
        self.assertEqual(len(batch), 1, batch)
        self.assertResultReply(batch[0], "b", "pong")

    def test_message_split_byte_by_byte(self):
        msg = compact(req("customer.create", 7, {"name": "Byte \u00e9 By Byte", "tags": ["x"]})) + b"\n"
        for i in range(len(msg)):
            self.c.send_raw(msg[i:i + 1])
        reply = self.c.read_json()
        self.assertResultReply(reply, 7)
        self.assertEqual(reply["result"]["name"], "Byte \u00e9 By Byte")
        self.assertEqual(reply["result"]["tags"], ["x"])
        self.assertPong(self.c)

    def test_pretty_printed_message_over_several_lines(self):
        text = json.dumps(req("customer.create", 8, {"name": "Pretty", "attrs": {"a": [1, 2]}}),
                          indent=2)
        self.assertGreater(text.count("\n"), 5)
        self.c.send_raw(text + "\n")
        reply = self.c.read_json()
        self.assertResultReply(reply, 8)
        self.assertEqual(reply["result"]["attrs"], {"a": [1, 2]})
        self.assertPong(self.c)

    def test_reply_lines_are_single_lines(self):
        # A result holding newlines must still come back as one line.
        self.c.send_raw(compact(req("customer.create", 9, {"name": "Multi\nLine"})) + b"\n")
        reply = self.c.read_json()
        self.assertResultReply(reply, 9)
        self.assertEqual(reply["result"]["name"], "Multi\nLine")

    def test_batch_with_one_failing_request(self):
        batch = [req("system.ping", 1),
                 req("no.such.method", 2),
                 note("system.ping"),
                 req("customer.create", 3, {"name": "Batchy"}),
                 req("customer.get", 4, {"id": 99999999})]
        self.c.send_raw(compact(batch) + b"\n")
        reply = self.c.read_json()
        self.assertIsInstance(reply, list, "a batch's reply is an array: %r" % (reply,))
        self.assertEqual(sorted(r.get("id") for r in reply), [1, 2, 3, 4],
                         "one reply per request, none for the notification: %r" % (reply,))
        by_id = {r["id"]: r for r in reply}
        self.assertResultReply(by_id[1], 1, "pong")
        self.assertErrorReply(by_id[2], -32601, id=2)
        self.assertResultReply(by_id[3], 3)
        self.assertEqual(by_id[3]["result"]["name"], "Batchy")
        self.assertErrorReply(by_id[4], -32004, id=4)
        self.assertPong(self.c)

    def test_batch_of_invalid_entries(self):
        # The JSON-RPC 2.0 specification's example: [1,2,3] -> three -32600.
        self.c.send_raw(b"[1,2,3]\n")
        reply = self.c.read_json()
        self.assertIsInstance(reply, list, reply)
        self.assertEqual(len(reply), 3, reply)
        for r in reply:
            self.assertErrorReply(r, -32600, id=None)
        self.assertPong(self.c)

    def test_batch_of_only_notifications_gets_no_reply(self):
        batch = [note("system.ping"), note("customer.create", {"name": "Silent"}),
                 note("no.such.method")]
        self.c.send_raw(compact(batch) + b"\n")
        # The next line on the wire must be the ping's reply, nothing before it.
        self.assertPong(self.c, id="after-batch")
        found = self.c.call("customer.list", {"filter": {"q": "Silent"}})
        self.assertEqual([x["name"] for x in found["items"]], ["Silent"],
                         "a notification is still executed")

    def test_notifications_get_no_reply(self):
        self.c.send_raw(compact(note("system.ping")) + b"\n")
        self.c.send_raw(compact(note("customer.create", {"name": "Quiet"})) + b"\n")
        self.c.send_raw(compact(note("no.such.method")) + b"\n")
        self.c.send_raw(compact(note("customer.create", {"wrong": 1})) + b"\n")
        self.assertPong(self.c, id="after-notes")
        found = self.c.call("customer.list", {"filter": {"q": "Quiet"}})
        self.assertEqual(len(found["items"]), 1, found)

    def test_ids_are_echoed(self):
        for id in ["abc", "", "ключ-\u2603", 0, -5, 123456789, None]:
            with self.subTest(id=id):
                reply = self.c.request(req("system.ping", id))
                self.assertResultReply(reply, id, "pong")

    def test_ids_are_echoed_exactly(self):
        # Ids a client may really use: the largest integer a JavaScript client
        # can hold exactly, and a string with escapes including U+0000.
        for raw, want in [(b"9007199254740991", 9007199254740991),
                          (b"-9007199254740991", -9007199254740991),
                          (b"4503599627370497", 4503599627370497),
                          (b'"in\\"the\\\\middle"', 'in"the\\middle')]:
            with self.subTest(id=raw):
                reply = self.c.request(b'{"jsonrpc":"2.0","method":"system.ping","id":' + raw + b"}\n")
                self.assertResultReply(reply, want, "pong")
                self.assertEqual(type(reply["id"]), type(want), reply)

    def test_nul_in_a_string_id_is_refused_not_cut(self):
        # An id holding U+0000 cannot be echoed exactly, so none is echoed.
        reply = self.c.request(b'{"jsonrpc":"2.0","method":"system.ping","id":"a\\u0000b"}\n')
        self.assertErrorReply(reply, -32602, id=None)

    def test_a_multibyte_character_is_no_hex_digit(self):
        # Found by fuzz_framer: the framer took the UTF-8 bytes after \u as
        # text and passed the message on; it must name the bad escape at once.
        self.c.send_raw(b'{"jsonrpc":"2.0","method":"system.ping","id":1,"x":"\\u'
                        + "\U0001F600".encode() + b'0000"}\n')
        reply = self.c.read_json()
        self.assertErrorReply(reply, -32700, id=None)
        self.assertIn("escape", reply["error"]["message"], reply)
        self.assertPong(self.c)

    def test_large_batch(self):
        batch = [req("system.ping", i) if i % 2 else req("customer.create", i, {"name": "B%d" % i})
                 for i in range(500)]
        reply = self.c.request(compact(batch) + b"\n")
        self.assertIsInstance(reply, list)
        self.assertEqual(sorted(r["id"] for r in reply), list(range(500)))
        for r in reply:
            self.assertNotIn("error", r, r)
        self.assertEqual(self.c.call("system.info")["customers"], 250)

    def test_error_replies_echo_the_id(self):
        for id in ["s-1", 42, None]:
            with self.subTest(id=id):
                reply = self.c.request(req("no.such.method", id))
                self.assertErrorReply(reply, -32601, id=id)

    def test_whitespace_between_messages(self):
        self.c.send_raw(b"  \r\n\t" + compact(req("system.ping", 1)) + b" \n\n\n  " +
                        compact(req("system.ping", 2)) + b"\r\n")
        self.assertResultReply(self.c.read_json(), 1, "pong")
        self.assertResultReply(self.c.read_json(), 2, "pong")

    def test_unix_socket_speaks_the_same_protocol(self):
        u = self.connect(self.server, unix=True)
        u.send_raw(compact(req("system.ping", 1)) + compact(req("system.ping", 2)))
        self.assertResultReply(u.read_json(), 1, "pong")
        self.assertResultReply(u.read_json(), 2, "pong")
        created = u.call("customer.create", {"name": "Via Unix"})
        self.assertEqual(self.c.call("customer.get", {"id": created["id"]})["name"], "Via Unix")


if __name__ == "__main__":
    main()
