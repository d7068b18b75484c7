"""A full disk: the pass whose commit cannot be written is rolled back, and
each of its requests is told so (-32603 with data.kind "disk_full" or "io")
instead of losing its connection.  What was acknowledged is there; what was
refused is not; the server keeps serving reads.

The disk is a small tmpfs mounted over the data folder in a mount namespace
of the server's own (unshare(1), as root or with user namespaces)."""

import os
import shutil
import subprocess
import unittest

from kithtest import KithTestCase, RpcError, Server, main

DISK_KINDS = {"disk_full", "io"}


def can_unshare():
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                       capture_output=True)
    return r.returncode == 0


class SmallDiskServer(Server):
    """kithd with its data folder on a 2 MiB tmpfs that only it sees."""

    def __init__(self, *extra, **kw):
        super().__init__(*extra, **kw)
        self.data_dir = os.path.join(self.tmp, "disk")
        os.makedirs(self.data_dir, exist_ok=True)

    def argv(self):
        inner = " ".join("'%s'" % a for a in super().argv())
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o size=2m tmpfs '%s' && exec %s" % (self.data_dir, inner)]


@unittest.skipUnless(can_unshare(), "needs unshare --mount (root): CI runs as root")
class DiskFullTest(KithTestCase):
    def test_full_disk_answers_every_request(self):
        server = SmallDiskServer()
        self.addCleanup(server.destroy)
        server.start()
        blob = "x" * 60000
        acked, refused = [], []
        with server.client() as c:
            for round_no in range(40):
                calls = [("customer.create", {"name": "big %d.%d" % (round_no, k),
                                              "external_id": "big-%d-%d" % (round_no, k),
                                              "attrs": {"blob": blob}})
                         for k in range(8)]
                # One write of eight requests: they share a pass, and its commit.
                for (_, params), got in zip(calls, c.call_many(calls)):
                    if isinstance(got, RpcError):
                        self.assertEqual(got.code, -32603, got)
                        self.assertIn(got.kind, DISK_KINDS, got)
                        refused.append(params["external_id"])
                    else:
                        acked.append((got["id"], params["external_id"]))
                if len(refused) >= 8:
                    break
            self.assertGreater(len(acked), 0)
            self.assertGreaterEqual(len(refused), 8, "the disk never filled up")
            # The same connection still works, and the store tells the truth.
            self.assertEqual(c.call("system.ping"), "pong")
            for cid, ext in acked:
                self.assertEqual(c.call("customer.get", {"id": cid})["external_id"], ext)
            for ext in refused:
                with self.assertRpcError(-32004):
                    c.call("customer.get", {"external_id": ext})
            stats = c.call("system.stats")
            self.assertGreater(stats["server"]["failed_commits"] + stats["store"]["rollbacks"], 0)
        self.assertIn("disk", server.stderr_text())
        server.kill9()


if __name__ == "__main__":
    main()
