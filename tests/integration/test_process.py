"""kithd as a process (CONTRACT section 1): the ready line, signals, the
non-loopback refusal, --version, and connection accounting."""

import os
import shutil
import signal
import subprocess
import time

from kithtest import CONFIG, KITHD, KithTestCase, main, short_tmpdir


class ProcessTest(KithTestCase):
    def test_ready_line_names_real_listeners(self):
        server = self.start_server()
        self.assertEqual(server.host, "127.0.0.1")
        self.assertTrue(os.path.exists(server.unix_path))
        self.assertPong(self.connect(server))
        self.assertPong(self.connect(server, unix=True))

    def test_sigterm_with_clients_connected_exits_0(self):
        server = self.start_server()
        clients = [server.client() for _ in range(5)] + [server.client(unix=True)]
        for c in clients:
            self.assertPong(c)
        clients[0].send_raw(b'{"jsonrpc":"2.0","method":"system.pi')  # half a request
        server.stop()  # asserts exit code 0
        for c in clients:
            c.expect_closed()
            c.close()

    def test_sigint_exits_0(self):
        server = self.start_server()
        self.assertPong(self.connect(server))
        server.proc.send_signal(signal.SIGINT)
        self.assertEqual(server.proc.wait(timeout=60), 0, server.stderr_text())
        server.proc = None

    def test_sighup_keeps_serving(self):
        server = self.start_server()
        c = self.connect(server)
        cust = c.call("customer.create", {"name": "Before HUP"})
        server.proc.send_signal(signal.SIGHUP)
        self.assertPong(c)
        self.assertEqual(self.connect(server).call("customer.get", {"id": cust["id"]})["name"], "Before HUP")
        self.assertTrue(server.running())

    def test_refuses_non_loopback_without_token(self):
        tmp = short_tmpdir("kith-it-")
        self.addCleanup(shutil.rmtree, tmp, True)
        p = subprocess.run([KITHD, "--config", CONFIG, "--data", tmp, "--listen", "0.0.0.0:0",
                            "--unix", "none", "--scripts", os.path.join(tmp, "s"),
                            "--plugins", os.path.join(tmp, "p")],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        self.assertNotEqual(p.returncode, 0, "kithd started on 0.0.0.0 with no token")
        self.assertNotIn(b"kithd ready", p.stdout)
        self.assertIn(b"token", p.stderr, "the refusal says why")

    def test_second_server_on_the_same_data_folder_is_refused(self):
        server = self.start_server()
        other = short_tmpdir("kith-it-")
        self.addCleanup(shutil.rmtree, other, True)
        p = subprocess.run([KITHD, "--config", CONFIG, "--data", server.data_dir,
                            "--listen", "127.0.0.1:0", "--unix", os.path.join(other, "k.sock"),
                            "--scripts", os.path.join(other, "s"), "--plugins", os.path.join(other, "p")],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        self.assertNotEqual(p.returncode, 0, "two servers on one database")
        self.assertNotIn(b"kithd ready", p.stdout)
        self.assertPong(self.connect(server))

    def test_unix_socket_removed_on_stop(self):
        server = self.start_server()
        server.stop()
        self.assertFalse(os.path.exists(server.unix_path), "the socket file outlives the server")

    def test_version(self):
        p = subprocess.run([KITHD, "--version"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p)
        self.assertRegex(p.stdout.decode(), r"\d+\.\d+")

    def test_connections_are_counted_and_released(self):
        server = self.start_server()
        c = self.connect(server)
        others = [server.client() for _ in range(6)]
        for o in others:
            self.assertPong(o)
        self.assertEqual(c.call("system.info")["connections"], 7)
        for o in others:
            o.close()
        # The server notices closes asynchronously: poll until a deadline.
        deadline = time.monotonic() + 30
        while c.call("system.info")["connections"] != 1:
            self.assertLess(time.monotonic(), deadline, "closed connections are still counted")
            time.sleep(0.02)

    def test_data_survives_many_graceful_restarts(self):
        server = self.start_server()
        for i in range(3):
            c = server.client()
            c.call("customer.create", {"name": "R%d" % i})
            c.close()
            server.stop()
            server.start()
        c = self.connect(server)
        self.assertEqual([x["name"] for x in c.call("customer.list")["items"]], ["R0", "R1", "R2"])


if __name__ == "__main__":
    main()
