"""Limits and hostile input: max_message_bytes (too_large), max connections
(-32029), deep nesting, huge numbers, clients that vanish mid-request."""

import socket
import struct
import time

from kithtest import KithTestCase, compact, main


def ping(id):
    return compact({"jsonrpc": "2.0", "method": "system.ping", "id": id}) + b"\n"


class TooLargeTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server("--max-message-bytes", "1024")

    def test_message_under_the_limit_is_served(self):
        c = self.connect(self.server)
        note = "n" * 800
        msg = compact({"jsonrpc": "2.0", "method": "customer.create",
                       "params": {"name": "Big", "attrs": {"note": note}}, "id": 1})
        self.assertLess(len(msg), 1024)
        reply = c.request(msg + b"\n")
        self.assertResultReply(reply, 1)
        self.assertEqual(reply["result"]["attrs"], {"note": note})

    def padded_ping(self, size):
        msg = {"jsonrpc": "2.0", "method": "system.ping", "id": 1, "pad": ""}
        msg["pad"] = "x" * (size - len(compact(msg)))
        raw = compact(msg)
        self.assertEqual(len(raw), size)
        return raw

    def test_limit_boundary(self):
        # Exactly max_message_bytes is accepted; one byte more is too large.
        c = self.connect(self.server)
        self.assertResultReply(c.request(self.padded_ping(1024) + b"\n"), 1, "pong")
        c = self.connect(self.server)
        reply = c.request(self.padded_ping(1025) + b"\n")
        self.assertErrorReply(reply, -32600, kind="too_large")
        c.expect_closed()

    def test_oversized_message_gets_too_large_and_is_closed(self):
        c = self.connect(self.server)
        other = self.connect(self.server)
        msg = compact({"jsonrpc": "2.0", "method": "customer.create",
                       "params": {"name": "x", "attrs": {"note": "x" * 2000}}, "id": 1}) + b"\n"
        c.send_raw(msg)
        reply = c.read_json()
        self.assertErrorReply(reply, -32600, kind="too_large")
        self.assertIn(reply.get("id"), (None, 1), reply)
        rest = c.expect_closed()
        self.assertEqual(rest, b"", "nothing after the too_large reply, then the close")
        # Nobody else is disturbed and nothing was written.
        self.assertPong(other)
        self.assertEqual(other.call("customer.list")["items"], [])

    def test_oversized_message_arriving_in_pieces(self):
        c = self.connect(self.server)
        c.send_raw(b'{"jsonrpc":"2.0","method":"customer.create","params":{"name":"')
        for _ in range(11):  # just past the limit, in pieces, with no newline
            c.send_raw(b"y" * 100)
        reply = c.read_json()
        self.assertErrorReply(reply, -32600, kind="too_large", id=None)
        c.expect_closed()
        self.assertPong(self.connect(self.server))

    def test_oversized_batch(self):
        c = self.connect(self.server)
        batch = compact([{"jsonrpc": "2.0", "method": "system.ping", "id": i} for i in range(100)])
        self.assertGreater(len(batch), 1024)
        try:
            c.send_raw(batch + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertErrorReply(c.read_json(), -32600, kind="too_large", id=None)
        c.expect_closed()


class MaxConnectionsTest(KithTestCase):
    def test_third_connection_is_refused_with_overloaded(self):
        server = self.start_server("--max-connections", "2")
        a = self.connect(server)
        b = self.connect(server, unix=True)
        self.assertPong(a)
        self.assertPong(b)
        c = self.connect(server)
        reply = c.read_json()
        self.assertErrorReply(reply, -32029, id=None)
        c.expect_closed()
        # The two admitted connections are unaffected.
        self.assertPong(a)
        self.assertPong(b)
        # Once one leaves, a newcomer is admitted (the server notices the
        # close asynchronously, so retry until the deadline).
        a.close()
        deadline = time.monotonic() + 30
        while True:
            d = server.client()
            try:
                d.send_raw(ping("in"))
                reply = d.read_json()
            except Exception:
                reply = None
            if reply is not None and reply.get("id") == "in":
                self.assertResultReply(reply, "in", "pong")
                d.close()
                break
            d.close()
            self.assertLess(time.monotonic(), deadline,
                            "no connection admitted after one of two left; last reply %r" % (reply,))
            time.sleep(0.05)


class SlowReaderTest(KithTestCase):
    def test_client_that_stops_reading_is_disconnected(self):
        server = self.start_server("--max-output-bytes", "65536")
        c = self.connect(server)
        c.call_many([("customer.create", {"name": "Filler %d" % i, "attrs": {"pad": "p" * 200}})
                     for i in range(50)])
        slow = self.connect(server)
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request = compact({"jsonrpc": "2.0", "method": "customer.list", "params": {"limit": 50},
                           "id": 1}) + b"\n"
        sent, blocked = 0, False
        slow.sock.settimeout(10)
        try:
            # About 15 kB of output per request: far more than the kernel's
            # buffers plus 64 kB.  The writes fail once we are dropped.
            for _ in range(4000):
                slow.sock.sendall(request)
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        except socket.timeout:
            # The server stopped reading us instead (backpressure), which
            # also keeps our unsent output bounded.
            blocked = True
        # Meanwhile everyone else is served.
        self.assertPong(c)
        if not blocked:
            # Disconnected: what was delivered ends in EOF long before
            # 4000 replies.
            got = slow.expect_closed(timeout=120)
            self.assertLess(got.count(b"\n"), sent, "the slow client was not disconnected")
        self.assertPong(c)


class HostileInputTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)

    def test_deep_nesting_of_arrays(self):
        self.c.send_raw(b"[" * 10000 + b"\n" + ping("after"))
        reply = self.c.read_json()
        self.assertIn("error", reply, reply)
        self.assertIn(reply["error"].get("code"), (-32700, -32600), reply)
        self.assertIsNone(reply.get("id"), reply)
        self.assertTrue(reply["error"].get("message"), reply)
        self.assertResultReply(self.c.read_json(), "after", "pong")

    def test_deep_nesting_inside_params(self):
        params = b'{"name":"deep","attrs":{"x":' + b"[" * 5000 + b"]" * 5000 + b"}}"
        self.c.send_raw(b'{"jsonrpc":"2.0","method":"customer.create","id":1,"params":' + params + b"}\n" +
                        ping("after"))
        reply = self.c.read_json()
        self.assertIn("error", reply, reply)
        self.assertIn(reply["error"].get("code"), (-32700, -32600, -32602), reply)
        self.assertResultReply(self.c.read_json(), "after", "pong")
        self.assertEqual(self.c.call("customer.list")["items"], [])

    def test_deep_nesting_of_objects(self):
        self.c.send_raw(b'{"a":' * 10000 + b"\n" + ping("after"))
        reply = self.c.read_json()
        self.assertIn(reply.get("error", {}).get("code"), (-32700, -32600), reply)
        self.assertResultReply(self.c.read_json(), "after", "pong")

    def test_moderate_nesting_is_fine(self):
        value = {"l": 1}
        for _ in range(20):
            value = {"l": [value]}
        cust = self.c.call("customer.create", {"name": "nested", "attrs": {"v": value}})
        self.assertEqual(self.c.call("customer.get", {"id": cust["id"]})["attrs"], {"v": value})

    def test_huge_numbers(self):
        cust = self.c.call("customer.create", {"name": "Numbers"})
        raw = (b'{"jsonrpc":"2.0","method":"order.create","id":1,"params":{"customer_id":%d,"amount":1e400}}\n'
               % cust["id"])
        self.assertErrorReply(self.c.request(raw), -32602, id=1, param="amount")
        raw = b'{"jsonrpc":"2.0","method":"customer.get","id":2,"params":{"id":1e30}}\n'
        self.assertErrorReply(self.c.request(raw), -32602, id=2, param="id")
        raw = b'{"jsonrpc":"2.0","method":"customer.get","id":3,"params":{"id":-1e400}}\n'
        self.assertErrorReply(self.c.request(raw), -32602, id=3, param="id")
        raw = b'{"jsonrpc":"2.0","method":"customer.get","id":4,"params":{"id":1.5}}\n'
        self.assertErrorReply(self.c.request(raw), -32602, id=4, param="id")
        raw = (b'{"jsonrpc":"2.0","method":"order.create","id":5,"params":{"customer_id":1e30,"amount":1}}\n')
        self.assertErrorReply(self.c.request(raw), -32602, id=5, param="customer_id")
        raw = b'{"jsonrpc":"2.0","method":"customer.list","id":6,"params":{"limit":1e30}}\n'
        self.assertErrorReply(self.c.request(raw), -32602, id=6, param="limit")
        # An amount too large to keep exactly to the cent is refused, never wrapped.
        for big in [b"1e20", b"92233720368547758.07", b"1e300"]:
            raw = (b'{"jsonrpc":"2.0","method":"order.create","id":7,"params":{"customer_id":%d,"amount":%s}}\n'
                   % (cust["id"], big))
            reply = self.c.request(raw)
            if "error" in reply:
                self.assertErrorReply(reply, -32602, id=7, param="amount")
            else:
                self.assertEqual(reply["result"]["amount"], float(big), reply)
                self.assertGreater(reply["result"]["amount"], 0)
        self.assertPong(self.c)

    def test_client_vanishing_mid_request(self):
        for _ in range(10):
            v = self.server.client()
            v.send_raw(b'{"jsonrpc":"2.0","method":"customer.create","params":{"name":"Half')
            v.close()
        self.assertPong(self.c)
        self.assertEqual(self.c.call("customer.list")["items"], [], "half a request changes nothing")

    def test_client_vanishing_with_replies_pending(self):
        # The server must survive writing replies to a closed socket (SIGPIPE
        # and EPIPE/ECONNRESET are the server's to handle).
        for round_no in range(5):
            v = self.server.client()
            v.send_raw(b"".join(
                compact({"jsonrpc": "2.0", "method": "customer.create",
                         "params": {"name": "Gone %d-%d" % (round_no, i)}, "id": i}) + b"\n"
                for i in range(200)))
            # SO_LINGER 0: close with a reset, the rudest way to leave.
            v.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            v.close()
        self.assertPong(self.c)
        n = self.c.call("system.info")["customers"]
        self.assertLessEqual(n, 1000)
        # And a normal client still gets full service.
        cust = self.c.call("customer.create", {"name": "Still here"})
        self.assertEqual(self.c.call("customer.get", {"id": cust["id"]})["name"], "Still here")

    def test_client_closing_write_side_still_gets_replies(self):
        v = self.connect(self.server)
        v.send_raw(ping(1) + ping(2))
        v.sock.shutdown(socket.SHUT_WR)
        self.assertResultReply(v.read_json(), 1, "pong")
        self.assertResultReply(v.read_json(), 2, "pong")
        self.assertEqual(v.expect_closed(), b"")

    def test_eof_in_the_middle_of_a_message_after_complete_ones(self):
        v = self.connect(self.server)
        v.send_raw(ping(1) + b'{"jsonrpc":"2.0","method":"system.pi')
        v.sock.shutdown(socket.SHUT_WR)
        self.assertResultReply(v.read_json(), 1, "pong")
        v.expect_closed()
        self.assertPong(self.c)


if __name__ == "__main__":
    main()
