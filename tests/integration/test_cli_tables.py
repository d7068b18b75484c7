"""`kith` tables against a real kithd: they fit COLUMNS, keep cells whole
when piped, and --csv gives what a CSV reader reads back as the records.
Also KITH_PORT, which points kith at a server without --port."""

import csv
import io
import json
import os
import subprocess

from kithtest import KITH, KithTestCase, main

LONG_NOTE = "a note that goes on " * 10


class CliTablesTest(KithTestCase):
    def setUp(self):
        self.server = self.start_server()
        self.c = self.connect(self.server)
        self.c.call("customer.create", {"name": 'Ada, "the" Countess', "company": "Analytical",
                                        "attrs": {"note": LONG_NOTE}})
        self.c.call("customer.create", {"name": "Grace\nHopper", "tags": ["vip", "key"]})

    def kith(self, *args, rc=0, **env):
        full = dict(os.environ, LC_ALL="C", KITH_PORT=str(self.server.port))
        full.pop("COLUMNS", None)
        full.update(env)
        p = subprocess.run([KITH] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60, env=full)
        out, err = p.stdout.decode(), p.stderr.decode()
        self.assertEqual(p.returncode, rc, "kith %s\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(args), out, err))
        return out, err

    def test_table_fits_columns(self):
        for width in (90, 120, 160):
            out, _ = self.kith("customer.list", COLUMNS=str(width))
            lines = out.splitlines()
            self.assertEqual(len(lines), 4, out)  # header, dashes, two rows
            self.assertLessEqual(max(len(l) for l in lines), width, out)
            self.assertIn("...", lines[2], "a cut cell ends in an ellipsis:\n" + out)
            self.assertTrue(lines[0].startswith("id  "), out)

    def test_piped_output_keeps_cells_whole(self):
        out, _ = self.kith("customer.list")
        self.assertIn(json.dumps(LONG_NOTE)[1:-1], out, "a piped table cuts nothing")
        self.assertIn("Grace Hopper", out, "a newline in a cell becomes a space")

    def test_csv_reads_back_as_the_records(self):
        want = self.c.call("customer.list", {})["items"]
        out, _ = self.kith("--csv", "customer.list")
        got = list(csv.DictReader(io.StringIO(out, newline="")))
        self.assertEqual(len(got), len(want), out)
        for g, w in zip(got, want):
            self.assertEqual(g["name"], w["name"])  # quotes, commas, newline intact
            self.assertEqual(json.loads(g["attrs"]), w["attrs"])
            self.assertEqual(json.loads(g["tags"]), w["tags"])
            self.assertEqual(g["email"], "", "null is an empty field")
            self.assertEqual(int(g["id"]), w["id"])

    def test_csv_keeps_stdout_to_rows(self):
        out, err = self.kith("--csv", "customer.list", "limit=1", COLUMNS="30")
        rows = list(csv.reader(io.StringIO(out, newline="")))
        self.assertEqual(len(rows), 2, "header and one row, whole despite COLUMNS:\n" + out)
        self.assertIn(json.dumps(LONG_NOTE)[1:-1].replace('"', '""'), out)
        self.assertIn("next_cursor:", err, "there is more: said on stderr")

    def test_json_and_csv_together_are_refused(self):
        _, err = self.kith("--json", "--csv", "customer.list", rc=1)
        self.assertIn("--csv", err)

    def test_help_documents_csv_and_width(self):
        out, _ = self.kith("--help")
        for words in ("--csv", "COLUMNS", "KITH_PORT"):
            self.assertIn(words, out)


if __name__ == "__main__":
    main()
