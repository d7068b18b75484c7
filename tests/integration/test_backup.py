"""Online backup and restore: system.backup copies a consistent snapshot while
the server keeps serving writes; `kithd restore` installs it into a data
folder (refusing one a kithd holds); a kithd started there has every write
acknowledged before the backup began, and the reply's seq is the restored
event log's last.  Also `kith backup` and the request's refusals."""

import json
import os
import sqlite3
import subprocess
import threading
import time

from kithtest import KITH, KITHD, KithTestCase, Server, compact, main, short_tmpdir


def restore(backup, data_dir):
    return subprocess.run([KITHD, "restore", backup, "--data", data_dir],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)


class BackupUnderLoadTest(KithTestCase):
    def start_on(self, tmp):
        """A kithd on an existing folder (a restored one), cleaned up like
        start_server's."""
        server = Server(tmp=tmp)

        def cleanup():
            try:
                server.stop()
            finally:
                self._server_logs.append((server.argv(), server.stderr_text()))
                server.destroy()

        self.addCleanup(cleanup)
        return server.start()

    def test_backup_under_write_load_restores_every_acknowledged_write(self):
        server = self.start_server()
        writer = self.connect(server)
        admin = self.connect(server)
        acked = []           # ids whose create was acknowledged, in order
        stop = threading.Event()
        failure = []

        def write_until_stopped():
            i = 0
            try:
                while not stop.is_set():
                    i += 1
                    acked.append(writer.call("customer.create", {"name": "W%d" % i})["id"])
            except Exception as e:  # reported by the main thread
                failure.append(e)

        t = threading.Thread(target=write_until_stopped)
        t.start()
        try:
            while len(acked) < 200 and not failure:
                time.sleep(0.01)
            # Every write acknowledged before the backup began.
            before = list(acked)
            path = os.path.join(server.tmp, "snap.db")
            reply = admin.call("system.backup", {"path": path}, timeout=120)
            during = len(acked) - len(before)
            time.sleep(0.1)
        finally:
            stop.set()
            t.join()
        self.assertFalse(failure, failure)
        self.assertEqual(reply["path"], path)
        self.assertEqual(reply["bytes"], os.path.getsize(path))
        self.assertGreater(reply["seq"], 0)
        self.assertFalse(os.path.exists(path + ".tmp"))
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        print("backup: %d bytes, seq %d; %d writes acknowledged before it, %d while it ran"
              % (reply["bytes"], reply["seq"], len(before), during))

        # The copy itself: sound, and one snapshot (every customer it holds
        # has its creation event, and no event is newer than the seq).
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            last = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()[0]
            self.assertEqual(last, reply["seq"])
            self.assertEqual(db.execute("SELECT max(seq) FROM events").fetchone()[0], reply["seq"])
            customers, newest = db.execute("SELECT count(*), max(id) FROM customers").fetchone()
            created = db.execute("SELECT count(*) FROM events WHERE type = 'customer.created'"
                                 ).fetchone()[0]
            self.assertEqual(customers, created)
        finally:
            db.close()

        # Restore into a new folder and serve it.
        target = short_tmpdir("kith-restore-")
        p = restore(path, target)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn(b"seq %d" % reply["seq"], p.stdout)
        restored = self.start_on(target)
        c = self.connect(restored)
        gets = [{"jsonrpc": "2.0", "method": "customer.get", "params": {"id": i}, "id": i}
                for i in before]
        replies = c.request(compact(gets) + b"\n", timeout=120)
        missing = [r["id"] for r in replies if "result" not in r]
        self.assertEqual(missing, [], "acknowledged before the backup, missing after restore")
        info = c.call("system.info")
        self.assertEqual(info["customers"], customers)
        # The restored event log holds the backup's seq as it was: replayed
        # from just before it, the first event is that seq, a customer's
        # creation (a starting server may log events of its own after it).
        sub = self.connect(restored)
        sub.call("subscribe", {"channels": ["*"], "since": reply["seq"] - 1})
        ev = sub.read_json()["params"]
        self.assertEqual(ev["seq"], reply["seq"], ev)
        self.assertEqual(ev["channel"], "customer.created", ev)
        self.assertEqual(ev["data"]["customer"]["id"], newest, ev)

    def test_restore_refuses_a_folder_a_kithd_holds_and_a_bad_file(self):
        server = self.start_server()
        admin = self.connect(server)
        admin.call("customer.create", {"name": "Kept"})
        path = os.path.join(server.tmp, "b.db")
        admin.call("system.backup", {"path": path})
        p = restore(path, server.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"in use by a running kithd", p.stderr)
        self.assertEqual(admin.call("system.info")["customers"], 1)

        target = short_tmpdir("kith-restore-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", target]))
        junk = os.path.join(target, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"not a database" * 100)
        p = restore(junk, os.path.join(target, "data"))
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"cannot be restored", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(target, "data", "kith.db")))
        # A second restore keeps the first database aside, and a third
        # refuses rather than overwrite what was kept.
        data = os.path.join(target, "data")
        self.assertEqual(restore(path, data).returncode, 0)
        p = restore(path, data)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertTrue(os.path.exists(os.path.join(data, "kith.db.before-restore")))
        p = restore(path, data)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"earlier restore", p.stderr)


class BackupRequestTest(KithTestCase):
    def test_refusals_and_relative_paths(self):
        server = self.start_server()
        c = self.connect(server)
        r = c.call("system.backup", {"path": "rel.db"})
        self.assertEqual(r["path"], os.path.join(os.path.realpath(server.tmp), "rel.db"))
        with self.assertRpcError(-32009, param="path") as e:
            c.call("system.backup", {"path": "rel.db"})
        self.assertEqual(e.error.data.get("reason"), "exists")
        self.assertEqual(c.call("system.backup", {"path": "rel.db", "overwrite": True})["path"],
                         r["path"])
        with self.assertRpcError(-32602, param="path"):
            c.call("system.backup", {"path": "kith.db", "overwrite": True})
        with self.assertRpcError(-32602, param="path"):
            c.call("system.backup", {"path": "/nonexistent-folder/x.db"})
        # Pipelined after a backup, a ping is answered after it.
        c.send_raw(compact({"jsonrpc": "2.0", "method": "system.backup",
                            "params": {"path": "p.db"}, "id": "b"}) +
                   compact({"jsonrpc": "2.0", "method": "system.ping", "id": "p"}))
        self.assertEqual(c.read_json()["id"], "b")
        self.assertEqual(c.read_json()["id"], "p")

    def test_admin_only(self):
        server = self.start_server(tokens=[("agent", "ann"), ("admin", "root")])
        agent = self.connect(server, token=server.tokens["ann"])
        with self.assertRpcError(-32003):
            agent.call("system.backup", {"path": "x.db"})
        admin = self.connect(server, token=server.tokens["root"])
        self.assertIn("seq", admin.call("system.backup", {"path": "x.db"}))

    def test_kith_backup_prints_path_size_and_seq(self):
        server = self.start_server()
        self.connect(server).call("customer.create", {"name": "Cli"})
        p = subprocess.run([KITH, "--port", str(server.port), "backup", "cli.db"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        out = p.stdout.decode()
        self.assertIn(os.path.join(os.path.realpath(server.tmp), "cli.db"), out)
        self.assertIn("bytes", out)
        self.assertRegex(out, r"seq\s+\d+ ")
        p = subprocess.run([KITH, "--port", str(server.port), "backup", "cli.db", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"exists", p.stderr)


if __name__ == "__main__":
    main()
