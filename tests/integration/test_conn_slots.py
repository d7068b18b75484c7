"""Connection slots cannot be hoarded: silent clients are dropped after
idle_timeout (subscribers excepted), one address holds at most
max_connections_per_address TCP connections, and when TCP clients have taken
every slot the Unix socket still lets an operator in."""

import os
import pty
import select
import subprocess
import time

from kithtest import KITH, ConnectionClosed, KithTestCase, main


def read_until(fd, text, timeout=30):
    """Reads the terminal until `text` shows; returns all that was read."""
    got = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no %r on the terminal; it showed %r" % (text, got))
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    if text.encode() not in got:
        raise AssertionError("the terminal closed without %r; it showed %r" % (text, got))
    return got.decode(errors="replace")


class ConnSlotsTest(KithTestCase):
    def open_idle(self, server, n):
        conns = []
        for _ in range(n):
            c = server.client()
            self.addCleanup(c.close)
            conns.append(c)
        # Every one of them is accepted and served (a ping each).
        for c in conns:
            self.assertEqual(c.call("system.ping"), "pong")
        return conns

    def test_per_address_cap(self):
        server = self.start_server("--max-connections-per-address", "12")
        conns = self.open_idle(server, 12)
        extra = server.client()
        self.addCleanup(extra.close)
        reply = extra.read_json()
        self.assertEqual(reply["error"]["code"], -32029, reply)
        self.assertIn("max_connections_per_address", reply["error"]["message"])
        extra.expect_closed()
        # The Unix socket is not an address: it still gets in.
        with server.client(unix=True) as u:
            self.assertEqual(u.call("system.ping"), "pong")
        # A slot freed is a slot reusable.
        conns[0].close()
        deadline = time.monotonic() + 30
        while True:
            c = server.client()
            self.addCleanup(c.close)
            try:
                reply = c.request(c.make_request("system.ping"))
            except ConnectionClosed:
                reply = {}
            if reply.get("result") == "pong":
                break
            # Not yet: the server has not seen the close (a -32029 reply).
            self.assertLess(time.monotonic(), deadline, "the freed slot never came back")
            time.sleep(0.05)

    def test_unix_socket_keeps_a_reserve(self):
        server = self.start_server("--max-connections", "10")
        self.open_idle(server, 10)
        extra = server.client()
        self.addCleanup(extra.close)
        self.assertEqual(extra.read_json()["error"]["code"], -32029)
        # TCP is full; the operator's socket is not.
        admins = []
        for _ in range(3):
            u = server.client(unix=True)
            self.addCleanup(u.close)
            admins.append(u)
        for u in admins:
            self.assertEqual(u.call("system.ping"), "pong")
            self.assertGreaterEqual(u.call("system.info")["connections"], 13)

    def test_idle_clients_are_dropped_but_subscribers_stay(self):
        server = self.start_server("--idle-timeout", "2")
        idle = server.client()
        self.addCleanup(idle.close)
        self.assertEqual(idle.call("system.ping"), "pong")
        busy = server.client()
        self.addCleanup(busy.close)
        sub = server.client()
        self.addCleanup(sub.close)
        sub.call("subscribe", {"channels": ["customer.*"]})
        # busy keeps talking for 5 s (a ping every 0.1 s: even a slow
        # sanitizer build on a loaded machine stays well inside 2 s); idle
        # says nothing.
        t_end = time.monotonic() + 5
        while time.monotonic() < t_end:
            self.assertEqual(busy.call("system.ping"), "pong")
            time.sleep(0.1)
        idle.expect_closed()
        # The subscriber, silent all along, is still there and still hears.
        busy.call("customer.create", {"name": "heard"})
        note = sub.read_json()
        self.assertEqual(note.get("method"), "event", note)


    def test_prompt_outlives_the_idle_timeout(self):
        # A person at kith's prompt is silent for long; the server drops the
        # connection, and the prompt opens a new one instead of ending.
        server = self.start_server("--idle-timeout", "1")
        master, slave = pty.openpty()
        env = dict(os.environ, TERM="dumb", HOME=server.tmp, KITH_TOKEN="")
        proc = subprocess.Popen([KITH, "--port", str(server.port)], stdin=slave, stdout=slave,
                                stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.addCleanup(proc.kill)
        self.addCleanup(os.close, master)
        os.write(master, b"system.ping\r")
        read_until(master, "pong")
        time.sleep(3)  # the server's sweep drops the silent connection
        os.write(master, b"system.ping\r")
        read_until(master, "open again")
        os.write(master, b"system.ping\r")
        read_until(master, "pong")
        os.write(master, b"quit\r")
        self.assertEqual(proc.wait(timeout=30), 0)


if __name__ == "__main__":
    main()
