"""Every shell example in README.md, pasted in order on a fresh clone.

The README's examples are a walkthrough: a new user builds, starts kithd
(Quick start) and pastes each example in turn.  This test does the same, so
an example that breaks itself or a later one fails here.

The convention (also written in the README's Tests chapter):

  * Blocks fenced ```sh are run, in README order, in ONE bash session
    (`set -e`: variables and the working folder carry over; stdin is
    /dev/null) from the root of a fresh copy of the repository.  Every other
    fence (```text, ```console, ```lua, ...) is not run: use ```text for an
    example that needs special setup.
  * `<!-- readme-test: skip -->` on the line before a block: not run.  Only
    for installing and building (CI does those anyway) and for the test
    suite itself.
  * `<!-- readme-test: background "TEXT" -->`: the block runs in the
    background for the rest of the walkthrough (a server, a subscriber); the
    next block starts once its output shows TEXT.  At the end it gets
    SIGTERM and must exit 0.
  * `<!-- readme-test: output -->` before a ```text block: what the ```sh
    block just before printed (stdout and stderr).  Each line must appear in
    the output, in order, other lines may come between; `...` in a line
    matches any text, and ISO 8601 times match any time.

The walkthrough must leave tracked files unchanged (an example that edits a
rule undoes the edit).

The copy: the repository's tracked and untracked-but-not-ignored files
(`git ls-files`, as a fresh clone plus local edits), committed into a new git
repository (so `git checkout FILE` undoes an edit), with the binaries from
KITH_BIN_DIR linked into build/ so nothing is rebuilt.  Ports: the README
uses 127.0.0.1:7411; the test picks a free port and writes it in place of
7411 in its copy of config/kith.conf and in the commands, and sets KITH_PORT
for `kith`, so it collides neither with other tests nor with a kithd the
developer runs.  Everything the walkthrough started is stopped (its process
group) and the copy removed, pass or fail.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("KITH_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.environ.get("KITH_BIN_DIR") or os.path.join(SOURCE_DIR, "build")
BINARIES = ("kithd", "kith", "kith-bench")
README_PORT = "7411"
WALK_TIMEOUT = 240.0      # the whole walkthrough; only guards against a hang
BLOCK_TIMEOUT = 90.0      # one foreground block
BACKGROUND_WAIT = 60.0    # until a background block shows its text

MARK_RE = re.compile(r"^<!--\s*readme-test:\s*(skip|output|background\s+\"([^\"]+)\")\s*-->\s*$")
FENCE_RE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)\s*$")
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")


class Block:
    def __init__(self, lang, line, text, mark, wait_for):
        self.lang, self.line, self.text = lang, line, text
        self.mark, self.wait_for = mark, wait_for
        self.expect = None  # the lines of a following output block


def parse_readme(text):
    """Returns the README's fenced blocks in order, each with its marker."""
    blocks, lines, i, mark, wait_for = [], text.split("\n"), 0, None, None
    while i < len(lines):
        m = MARK_RE.match(lines[i].strip())
        if not m and "readme-test:" in lines[i] and lines[i].lstrip().startswith("<!--"):
            raise AssertionError("README.md:%d: unknown marker %r (skip, output or "
                                 "background \"TEXT\")" % (i + 1, lines[i].strip()))
        if m:
            mark, wait_for = ("background" if m.group(2) else m.group(1)), m.group(2)
            i += 1
            continue
        f = FENCE_RE.match(lines[i])
        if not f:
            if lines[i].strip():
                mark = wait_for = None  # a marker binds to the block right after it
            i += 1
            continue
        start, fence, indent = i, f.group(2), len(f.group(1))
        body, i = [], i + 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
            i += 1
        if i >= len(lines):
            raise AssertionError("README.md:%d: a fence that is never closed" % (start + 1))
        blocks.append(Block(f.group(3), start + 1, "\n".join(body), mark, wait_for))
        mark = wait_for = None
        i += 1
    # Attach each output block to the shell block before it.
    for prev, cur in zip(blocks, blocks[1:]):
        if cur.mark == "output":
            if prev.lang != "sh" or prev.mark:
                raise AssertionError("README.md:%d: an output block must follow a ```sh block "
                                     "that is run in the foreground" % cur.line)
            prev.expect = cur.text.split("\n")
    if blocks and blocks[0].mark == "output":
        raise AssertionError("README.md:%d: an output block with no block before it"
                             % blocks[0].line)
    return blocks


def line_matches(pattern, line):
    pattern, line = TIME_RE.sub("<time>", pattern.rstrip()), TIME_RE.sub("<time>", line.rstrip())
    parts = [re.escape(p) for p in pattern.split("...")]
    return re.fullmatch(".*".join(parts), line) is not None


def missing_expected(expect, output):
    """Returns the first expected line not found (in order), or None."""
    lines, at = output.split("\n"), 0
    for want in expect:
        if want.strip() == "...":
            continue
        while at < len(lines) and not line_matches(want, lines[at]):
            at += 1
        if at >= len(lines):
            return want
        at += 1
    return None


def read_text(path, default=""):
    if not os.path.exists(path):
        return default
    with open(path, errors="replace") as f:
        return f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_repository(dest, port):
    """Copies the working tree's files a clone would have (plus local edits)
    into dest, with `port` in place of 7411 in config/kith.conf, and commits
    them to a new git repository there."""
    files = None
    if shutil.which("git") and os.path.exists(os.path.join(SOURCE_DIR, ".git")):
        out = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
        files = [f for f in out.decode().split("\0") if f]
    if files is None:  # not a git checkout: everything but builds and data
        files = []
        for root, dirs, names in os.walk(SOURCE_DIR):
            dirs[:] = [d for d in dirs if d not in (".git", "data", "node_modules")
                       and not d.startswith("build")]
            files += [os.path.relpath(os.path.join(root, n), SOURCE_DIR) for n in names]
    for rel in files:
        src = os.path.join(SOURCE_DIR, rel)
        if not os.path.isfile(src):
            continue  # deleted locally
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))
    conf = os.path.join(dest, "config", "kith.conf")
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace(README_PORT, str(port)))
    if shutil.which("git"):
        git = ["git", "-C", dest, "-c", "user.name=readme-test", "-c",
               "user.email=readme-test@localhost"]
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "fresh clone"]):
            subprocess.run(git + args, check=True, capture_output=True)
    os.makedirs(os.path.join(dest, "build"), exist_ok=True)
    for name in BINARIES:
        src = os.path.join(BIN_DIR, name)
        if not os.access(src, os.X_OK):
            raise AssertionError("%s not found (set KITH_BIN_DIR to the build folder)" % src)
        os.symlink(src, os.path.join(dest, "build", name))


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def walkthrough_script(blocks, port, outdir):
    """One bash script running the README's blocks in order.  Block N's
    output goes to OUTDIR/N.out and OUTDIR/N.started marks that it began.
    On exit, however it ends, each background block's processes get SIGTERM,
    the last started first (a subscriber before the server it follows), and
    its exit status goes to OUTDIR/N.rc."""
    q = shell_quote
    s = ["set -e", "exec </dev/null", "declare -a __bg",
         "__stop() {",
         "  local rc=$? i p kids",
         "  set +e",
         "  for i in $(printf '%s\\n' \"${!__bg[@]}\" | sort -rn); do",
         "    p=${__bg[$i]}",
         # The block is a subshell running the server: stop what it runs,
         # and the subshell exits with its status.
         "    kids=$(cat /proc/$p/task/*/children 2>/dev/null)",
         "    kill -TERM ${kids:-$p} 2>/dev/null",
         "    wait \"$p\"; echo $? > %s/$i.rc" % q(outdir),
         "  done",
         "  exit $rc",
         "}",
         "trap __stop EXIT"]
    for n, b in enumerate(blocks):
        if b.lang != "sh" or b.mark in ("skip", "output"):
            continue
        text = b.text.replace(README_PORT, str(port))
        out = q(os.path.join(outdir, "%d.out" % n))
        s.append(": > %s" % q(os.path.join(outdir, "%d.started" % n)))
        if b.mark == "background":
            s.append("{\n%s\n} > %s 2>&1 &" % (text, out))
            s.append("__bg[%d]=$!" % n)
            # Wait for its text, or for it to die.
            s.append("for _ in $(seq %d); do grep -qF %s %s && break; kill -0 ${__bg[%d]} "
                     "2>/dev/null || break; sleep 0.1; done"
                     % (int(BACKGROUND_WAIT * 10), q(b.wait_for), out, n))
            s.append("grep -qF %s %s || { echo 'readme-test: README.md:%d never printed %s' >&2; "
                     "cat %s >&2; exit 97; }" % (q(b.wait_for), out, b.line, b.wait_for, out))
        else:
            s.append("{\n%s\n} > %s 2>&1" % (text, out))
    s.append(": > %s" % q(os.path.join(outdir, "done")))
    return "\n".join(s) + "\n"


class ReadmeTest(unittest.TestCase):
    def test_examples_work_in_order_on_a_fresh_clone(self):
        with open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8") as f:
            blocks = parse_readme(f.read())
        for b in blocks:  # a shell example that is neither run nor marked as shown
            self.assertNotIn(b.lang, ("bash", "shell", "zsh", "shell-session"),
                             "README.md:%d: fence shell examples as ```sh (run by this test) or "
                             "```text / ```console (shown, not run)" % b.line)
        runnable = [b for b in blocks if b.lang == "sh" and b.mark != "skip"]
        self.assertGreater(len(runnable), 5, "the README has shell examples to run")

        base = tempfile.gettempdir() if len(tempfile.gettempdir()) <= 40 else "/tmp"
        tmp = tempfile.mkdtemp(prefix="kith-readme-", dir=base)
        repo, outdir = os.path.join(tmp, "kith"), os.path.join(tmp, "out")
        os.makedirs(outdir)
        proc = None
        try:
            port = free_port()
            copy_repository(repo, port)
            script = walkthrough_script(blocks, port, outdir)
            with open(os.path.join(tmp, "walk.sh"), "w") as f:
                f.write(script)
            env = dict(os.environ, KITH_PORT=str(port), HOME=tmp, COLUMNS="100")
            env.pop("KITH_TOKEN", None)
            env.pop("KITH_HOST", None)
            trace_path = os.path.join(tmp, "walk.trace")
            with open(trace_path, "wb") as trace_file:
                proc = subprocess.Popen(["bash", os.path.join(tmp, "walk.sh")], cwd=repo,
                                        env=env, stdin=subprocess.DEVNULL, stdout=trace_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            stuck = self.wait_walkthrough(proc, blocks, outdir)
            trace = read_text(trace_path) + stuck
            self.check_blocks(blocks, outdir, proc.returncode, trace)
            self.check_background(blocks, outdir)
            self.check_clean(repo)
        finally:
            if proc is not None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # anything left behind
                except ProcessLookupError:
                    pass
            if os.environ.get("KITH_README_KEEP"):  # for debugging: keep the copy
                sys.stderr.write("readme-test: kept %s\n" % tmp)
            else:
                shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def wait_walkthrough(proc, blocks, outdir):
        """Waits for the walkthrough to end.  A block that runs longer than
        BLOCK_TIMEOUT (a server in the foreground, a prompt waiting for
        input) or a walkthrough longer than WALK_TIMEOUT is killed; returns
        what to add to the trace then, else ""."""
        start = time.monotonic()
        current, since = None, start
        while proc.poll() is None:
            latest = max((n for n in range(len(blocks))
                          if os.path.exists(os.path.join(outdir, "%d.started" % n))), default=None)
            if latest != current:
                current, since = latest, time.monotonic()
            now = time.monotonic()
            why = None
            if current is not None and now - since > BLOCK_TIMEOUT:
                why = ("README.md:%d did not finish within %d s (a server in the foreground? "
                       "a command waiting for input?)" % (blocks[current].line, BLOCK_TIMEOUT))
            elif now - start > WALK_TIMEOUT:
                why = "the walkthrough did not finish within %d s" % WALK_TIMEOUT
            if why:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return "\n(" + why + ")"
            time.sleep(0.1)
        return ""

    def check_clean(self, repo):
        """The walkthrough leaves the repository's files as it found them (an
        example that edits a rule undoes the edit), so what a user reads
        next still describes what runs."""
        if not shutil.which("git"):
            return
        st = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                            capture_output=True, check=True).stdout.decode()
        self.assertEqual(st, "", "the README's examples left tracked files changed:\n" + st)

    def check_background(self, blocks, outdir):
        """Each background block exited 0 on SIGTERM (a sanitizer report in
        a server makes it non-zero)."""
        for n, b in enumerate(blocks):
            if b.mark != "background" or not os.path.exists(os.path.join(outdir, "%d.started" % n)):
                continue
            rc_path, out_path = (os.path.join(outdir, "%d.%s" % (n, x)) for x in ("rc", "out"))
            rc = read_text(rc_path, "(not stopped)").strip()
            out = read_text(out_path)
            self.assertEqual(rc, "0", "README.md:%d (background) exited %s on SIGTERM:\n%s"
                             % (b.line, rc, out[-4000:]))

    def check_blocks(self, blocks, outdir, rc, trace):
        for n, b in enumerate(blocks):
            if b.lang != "sh" or b.mark in ("skip", "output"):
                continue
            path = os.path.join(outdir, "%d.out" % n)
            started = os.path.exists(os.path.join(outdir, "%d.started" % n))
            out = read_text(path)
            nxt = [m for m in range(n + 1, len(blocks))
                   if os.path.exists(os.path.join(outdir, "%d.started" % m))]
            failed_here = started and not nxt and not os.path.exists(os.path.join(outdir, "done"))
            self.assertTrue(started, "README.md:%d was never run (an earlier block failed?)\n%s"
                            % (b.line, trace))
            self.assertFalse(failed_here, "README.md:%d failed (the walkthrough exited %s):\n"
                             "--- block ---\n%s\n--- output ---\n%s\n--- walkthrough ---\n%s"
                             % (b.line, rc, b.text, out[-4000:], trace[-2000:]))
            if b.expect is not None and b.mark != "background":
                missing = missing_expected(b.expect, out)
                self.assertIsNone(missing, "README.md:%d: its output lacks the line the README "
                                  "shows:\n  %s\n--- block ---\n%s\n--- output ---\n%s"
                                  % (b.line, missing, b.text, out[-4000:]))
        self.assertEqual(rc, 0, "the walkthrough exited %s:\n%s" % (rc, trace))


class ConventionTest(unittest.TestCase):
    """The parser and the matcher themselves (no server)."""

    def test_markers_and_output(self):
        blocks = parse_readme("\n".join([
            "<!-- readme-test: skip -->", "```sh", "make", "```", "",
            '<!-- readme-test: background "ready" -->', "```sh", "build/kithd", "```",
            "```sh", "build/kith system.ping", "```",
            "<!-- readme-test: output -->", "```text", "pong", "```",
            "```text", "not run", "```"]))
        self.assertEqual([(b.lang, b.mark) for b in blocks],
                         [("sh", "skip"), ("sh", "background"), ("sh", None),
                          ("text", "output"), ("text", None)])
        self.assertEqual(blocks[1].wait_for, "ready")
        self.assertEqual(blocks[2].expect, ["pong"])

    def test_unknown_marker_is_refused(self):
        with self.assertRaises(AssertionError):
            parse_readme("<!-- readme-test: skipp -->\n```sh\nmake\n```\n")

    def test_matching(self):
        out = "a\nid: 3\ncreated_at: 2026-12-04T15:00:00.123Z\n61 passed, 0 failed\n"
        self.assertIsNone(missing_expected(["id: 3", "created_at: 2026-11-23T15:40:02.114Z",
                                            "... passed, 0 failed"], out))
        self.assertEqual(missing_expected(["... passed, 4 failed"], out), "... passed, 4 failed")
        self.assertEqual(missing_expected(["id: 3", "a"], out), "a", "lines match in order")


if __name__ == "__main__":
    unittest.main(verbosity=2)
