#!/usr/bin/env bash
# The capacity targets of issue 5, measured on this machine, one kithd at a
# time, each with the shipped config and rules (config/kith.conf, scripts/,
# plugins/) over a data folder of its own.  Prints one table: target,
# measured, limit, met.
#
# Run by hand from the repository (not in CI; about 5 minutes at full size):
#     tests/bench/targets.sh
#     tests/bench/targets.sh --customers 100000 --conns 2000 --tasks 100000
# Options:
#     --customers N   customers for start-up, segment.refresh and the
#                     per-customer re-evaluation (default 1000000)
#     --conns N       idle TCP connections (default 10000)
#     --tasks N       open tasks (default 1000000)
#     --idle S        seconds the idle CPU of the task server is measured
#                     over (default 30)
#     --build DIR     the build folder (default build); it is configured and
#                     brought up to date unless --no-build
#
# What is measured:
#   1. Idle connections: kithd's RSS before and after opening N TCP
#      connections, and again after each has sent one system.ping (buffers
#      are allocated by then); per connection = growth / N.  Kernel socket
#      memory is not in RSS and is not counted.
#   2. Open tasks: N tasks due 1 h .. 30 d from now are created, kithd is
#      restarted, and its utime+stime (/proc/PID/stat) and RSS are read over
#      --idle seconds once the start-up work is done.  "No CPU" is taken as
#      under 0.1% of one core.  The RSS of the server that created the
#      tasks (SQLite's page cache warm, the rules' Lua heap grown) is shown
#      too.
#   3. Start-up: N customers are loaded, kithd is stopped, then started three
#      times; the time from exec to the "kithd ready" line (and to the first
#      system.ping answered) is measured by the launcher, the worst of three
#      is reported.  The page cache is warm.
#   4. segment.refresh of vip, then of all segments, timed over the socket,
#      once the background re-evaluation that follows every start is done.
#   5. The p99 of re-evaluating one customer after a write, from
#      system.stats segment_eval, after kith-bench -t order -c 50 for 10 s.
# Loading is not measured: customers come from kith-bench --preload, tasks
# from task.create requests pipelined a thousand at a time, both through the
# shipped rules, into a server started with --synchronous off.
# Exit status: 0 when every target is met, 1 when one is missed or a step
# failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

CUSTOMERS=1000000
CONNS=10000
TASKS=1000000
IDLE=30
BUILD=build
DO_BUILD=1
COMMAND="tests/bench/targets.sh${*:+ $*}"

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --customers) CUSTOMERS=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    --tasks) TASKS=$2; shift ;;
    --idle) IDLE=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "targets.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

say() { echo "targets: $*" >&2; }
die() { say "$*"; exit 1; }

# ---- prerequisites --------------------------------------------------------

if [ $DO_BUILD = 1 ]; then
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    say "configuring $BUILD"
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release > /dev/null
  fi
  say "building in $BUILD"
  cmake --build "$BUILD" -j"$(nproc)" --target kithd kith-bench > /dev/null
fi
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
KITHD=$BUILD/kithd
BENCH=$BUILD/kith-bench
[ -x "$KITHD" ] && [ -x "$BENCH" ] || die "no kithd or kith-bench in $BUILD"
command -v python3 > /dev/null || die "needs python3"

# Both ends of every connection live on this machine: kithd and the client
# each need a descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
[ "$(ulimit -n)" -ge $((CONNS + 256)) ] ||
  die "--conns $CONNS needs ulimit -n of at least $((CONNS + 256)); the hard limit is $(ulimit -Hn)"
MAX_CONNECTIONS=$((CONNS + 64 > 16384 ? CONNS + 64 : 16384))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kith-targets.XXXXXX")
fs=$(stat -f -c %T "$tmp")
[ "$fs" = tmpfs ] && say "warning: $tmp is on tmpfs, where fsync costs nothing; set TMPDIR to a disk"

# ---- the helper: launching, calls, connections ------------------------------

cat > "$tmp/kt.py" << 'EOF'
"""targets.sh's helper: launch kithd and time its start, make calls, hold
connections.  Standard library only."""
import json, os, resource, socket, subprocess, sys, time


def rpc(sock, method, params=None, rid=1):
    msg = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        msg["params"] = params
    sock.sendall(json.dumps(msg).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise SystemExit("kt: connection closed during %s" % method)
        buf += chunk
    reply = json.loads(buf)
    if "error" in reply:
        raise SystemExit("kt: %s failed: %s" % (method, json.dumps(reply["error"])))
    return reply["result"]


def unix(path, timeout=3600):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("kt: no VmRSS for %d" % pid)


def launch(out, err, sock, argv):
    """Starts kithd; prints its pid, the ms from exec to "kithd ready" and
    to the first system.ping answered, and its TCP port."""
    with open(out, "wb") as o, open(err, "wb") as e:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    line = b""
    while b"kithd ready" not in line:
        if p.poll() is not None:
            raise SystemExit("kt: kithd exited with %d before it was ready" % p.returncode)
        if time.monotonic() - t0 > 120:
            raise SystemExit("kt: kithd not ready after 120 s")
        with open(out, "rb") as f:
            line = f.read()
        if b"kithd ready" not in line:
            time.sleep(0.0005)
    ready = time.monotonic()
    s = unix(sock)
    assert rpc(s, "system.ping") == "pong"
    pong = time.monotonic()
    s.close()
    port = line.split(b"tcp=")[1].split()[0].rsplit(b":", 1)[1].decode()
    print(p.pid, "%.1f" % ((ready - t0) * 1000), "%.1f" % ((pong - t0) * 1000), port)


def call(sock, method, params):
    """Prints the wall time of one call (s) and its result."""
    s = unix(sock)
    t0 = time.monotonic()
    r = rpc(s, method, json.loads(params) if params else None)
    print("%.3f" % (time.monotonic() - t0), json.dumps(r))


def tasks(sock, total):
    """Creates `total` open tasks, due 1 h .. 30 d from now, with task.create
    requests pipelined a thousand at a time."""
    s = unix(sock)
    done = 0
    while done < total:
        batch = range(done + 1, done + min(1000, total - done) + 1)
        s.sendall(b"".join(json.dumps({
            "jsonrpc": "2.0", "id": n, "method": "task.create",
            "params": {"note": "follow up %d" % n, "owner": "bench",
                       "due": "%dh" % (1 + n % 720)}}).encode() + b"\n" for n in batch))
        buf = b""
        while buf.count(b"\n") < len(batch):
            chunk = s.recv(1 << 20)
            if not chunk:
                raise SystemExit("kt: connection closed while creating tasks")
            buf += chunk
        if b'"error"' in buf:
            raise SystemExit("kt: task.create failed: %s" % buf[:300].decode())
        done += len(batch)


def conns(pid, port, n):
    """Holds n idle TCP connections; prints RSS (KiB) before, after opening
    them, and after each sent one system.ping."""
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)[1:] * 2)
    time.sleep(0.5)
    base = rss_kib(pid)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", int(port)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    # Every connection is accepted and served once one answers on each.
    probe = socket.create_connection(("127.0.0.1", int(port)))
    held = rpc(probe, "system.info")["connections"]
    if held != n + 1:
        raise SystemExit("kt: kithd holds %d connections, not %d" % (held, n + 1))
    time.sleep(1)
    opened = rss_kib(pid)
    ping = b'{"jsonrpc":"2.0","id":1,"method":"system.ping"}\n'
    for s in socks:
        s.sendall(ping)
    for s in socks:
        if not s.recv(4096).endswith(b"\n"):
            raise SystemExit("kt: a ping got no full reply")
    time.sleep(1)
    pinged = rss_kib(pid)
    print(base, opened, pinged)
    for s in socks:
        s.close()
    probe.close()


def idle(pid, seconds):
    """Prints kithd's CPU ms (utime + stime) over `seconds`, then its RSS."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu():
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    c0 = cpu()
    time.sleep(seconds)
    print("%.0f" % ((cpu() - c0) * 1000 / tick), rss_kib(pid))


def quiet(pid, limit):
    """Waits until kithd uses under 5% of a core over a second (its start-up
    and background work done); prints the seconds waited and CPU s used."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu():
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    t0, c0 = time.monotonic(), cpu()
    while time.monotonic() - t0 < limit:
        a = cpu()
        time.sleep(1)
        if (cpu() - a) / tick < 0.05:
            break
    print("%.0f" % (time.monotonic() - t0), "%.1f" % ((cpu() - c0) / tick))


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "launch":
    launch(args[0], args[1], args[2], args[3:])
elif cmd == "call":
    call(args[0], args[1], args[2] if len(args) > 2 else "")
elif cmd == "tasks":
    tasks(args[0], int(args[1]))
elif cmd == "conns":
    conns(int(args[0]), args[1], int(args[2]))
elif cmd == "idle":
    idle(int(args[0]), float(args[1]))
elif cmd == "quiet":
    quiet(int(args[0]), float(args[1]))
else:
    raise SystemExit("kt: unknown command " + cmd)
EOF
kt() { python3 "$tmp/kt.py" "$@"; }

# ---- kithd --------------------------------------------------------------

# kithd is started by the helper (which times it), so it is not this shell's
# child: it is stopped by pid and waited for by polling.
kith_pid=
stop_kith() {
  [ -n "$kith_pid" ] || return 0
  kill "$kith_pid" 2> /dev/null || true
  for _ in $(seq 600); do
    kill -0 "$kith_pid" 2> /dev/null || break
    sleep 0.05
  done
  kill -9 "$kith_pid" 2> /dev/null || true
  kith_pid=
}
trap 'stop_kith; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# start_kith <data dir> [flags...]: the shipped config and rules, a data
# folder and sockets of the test's own; sets kith_pid, ready_ms, ping_ms,
# port and sock.
start_kith() {
  local data=$1 started
  shift
  sock=$data.sock
  started=$(kt launch "$tmp/kith.out" "$tmp/kith.err" "$sock" "$KITHD" --config config/kith.conf \
    --data "$data" --listen 127.0.0.1:0 --unix "$sock" "$@") ||
    { tail -20 "$tmp/kith.err" >&2; die "kithd did not start"; }
  read -r kith_pid ready_ms ping_ms port <<< "$started"
}

# A server only for loading, which is not measured: it commits without
# waiting for the disk.  The servers measured run the shipped config.
LOADER_FLAGS=(--synchronous off)

# ---- the table ----------------------------------------------------------

rows=()
failed=0
ROW="| %-58s | %-22s | %-12s | %-4s |"
row() { # target, measured, limit, met
  rows+=("$(printf "$ROW" "$1" "$2" "$3" "$4")")
  say "${rows[-1]}"
  [ "$4" = no ] && failed=1
  return 0
}
met() { awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 < l + 0 ? "yes" : "no") }'; }
thousands() { echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'; }
t_start=$(date +%s)

# ---- 1. idle connections ------------------------------------------------

say "1. $CONNS idle TCP connections"
start_kith "$tmp/conns" --max-connections "$MAX_CONNECTIONS" --max-connections-per-address "$MAX_CONNECTIONS"
r=$(kt conns "$kith_pid" "$port" "$CONNS")
read -r base opened pinged <<< "$r"
stop_kith
per_open=$(awk -v a="$base" -v b="$opened" -v n="$CONNS" 'BEGIN { printf "%.2f", (b - a) / n }')
per_ping=$(awk -v a="$base" -v b="$pinged" -v n="$CONNS" 'BEGIN { printf "%.2f", (b - a) / n }')
row "$(thousands "$CONNS") idle connections: RSS per connection" "$per_open KiB" "< 20 KiB" \
  "$(met "$per_open" 20)"
row "  the same after one system.ping on each" "$per_ping KiB" "< 20 KiB" "$(met "$per_ping" 20)"
say "   RSS $base KiB before, $opened KiB with the connections open, $pinged KiB after the pings"

# ---- 2. open tasks --------------------------------------------------------

say "2. $TASKS open tasks (loading)"
start_kith "$tmp/tasks" "${LOADER_FLAGS[@]}"
t0=$(date +%s)
kt tasks "$sock" "$TASKS"
loader_rss=$(awk '/VmRSS/ { print $2 }' "/proc/$kith_pid/status")
say "   loaded in $(($(date +%s) - t0)) s"
stop_kith
start_kith "$tmp/tasks"
kt quiet "$kith_pid" 60 > /dev/null
r=$(kt idle "$kith_pid" "$IDLE")
read -r idle_ms idle_rss <<< "$r"
open=$(kt call "$sock" task.list '{"status":"open","limit":1}' | cut -d' ' -f2- |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
stop_kith
idle_pct=$(awk -v ms="$idle_ms" -v s="$IDLE" 'BEGIN { printf "%.2f", ms / (s * 10) }')
row "$(thousands "$TASKS") open tasks: CPU over ${IDLE} s idle" "$idle_ms ms ($idle_pct%)" "< 0.1% core" \
  "$(met "$idle_pct" 0.1)"
idle_mb=$(awk -v k="$idle_rss" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')
row "$(thousands "$TASKS") open tasks: kithd RSS" "$idle_mb MB" "< 100 MB" "$(met "$idle_mb" 100)"
loader_mb=$(awk -v k="$loader_rss" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')
row "  RSS of the server that created them, before its restart" "$loader_mb MB" "< 100 MB" \
  "$(met "$loader_mb" 100)"
[ "$open" = 1 ] || die "no open task listed after the restart"

# ---- 3. start-up with customers -------------------------------------------

say "3. start-up with $CUSTOMERS customers (loading)"
start_kith "$tmp/cust" "${LOADER_FLAGS[@]}"
t0=$(date +%s)
"$BENCH" -s "$sock" -c 50 -P 16 -t ping -n 1 --preload "$CUSTOMERS" -q > /dev/null 2> "$tmp/bench.err" ||
  { cat "$tmp/bench.err" >&2; die "the preload failed"; }
say "   loaded in $(($(date +%s) - t0)) s"
r=$(kt quiet "$kith_pid" 300)
say "   the rules' background work after the load: $(echo "$r" | awk '{ print $2 " s CPU in " $1 " s" }')"
stop_kith
readies=()
pings=()
for _ in 1 2 3; do
  start_kith "$tmp/cust"
  readies+=("$ready_ms")
  pings+=("$ping_ms")
  stop_kith
done
worst=$(printf "%s\n" "${readies[@]}" | sort -n | tail -1)
say "   to ready: ${readies[*]} ms; to the first ping answered: ${pings[*]} ms"
row "start-up, $(thousands "$CUSTOMERS") customers, to kithd ready (worst of 3)" "$worst ms" "< 1000 ms" \
  "$(met "$worst" 1000)"

# ---- 4. segment refresh ---------------------------------------------------

say "4. segment.refresh over $CUSTOMERS customers"
start_kith "$tmp/cust"
# Every start re-evaluates everyone in the background (segments and churn);
# the measurements below wait for it, and it is reported for what it is.
r=$(kt quiet "$kith_pid" 300)
read -r waited sweep_cpu <<< "$r"
row "  after start: background re-evaluation of everyone" "${sweep_cpu} s CPU (${waited} s)" "-" "info"
r=$(kt call "$sock" segment.refresh '{"name":"vip"}')
read -r vip_s vip_r <<< "$r"
say "   vip: $vip_r"
row "segment.refresh vip, $(thousands "$CUSTOMERS") customers" "$vip_s s" "< 2 s" "$(met "$vip_s" 2)"
r=$(kt call "$sock" segment.refresh)
read -r all_s all_r <<< "$r"
say "   all: $all_r"
nsegs=$(kt call "$sock" segment.list | cut -d' ' -f2- | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
row "  segment.refresh of all $nsegs segments" "$all_s s" "-" "info"

# ---- 5. one customer after an event -----------------------------------------

say "5. re-evaluating one customer after an order (kith-bench -t order -c 50 -d 10)"
bench_out=$("$BENCH" -s "$sock" -t order -c 50 -d 10 -q --fail-on-error 2>&1) ||
  { echo "$bench_out" >&2; die "kith-bench -t order failed"; }
say "   kith-bench: $bench_out"
ev=$(kt call "$sock" system.stats | cut -d' ' -f2- |
  python3 -c 'import json,sys; e=json.load(sys.stdin)["segment_eval"]; print(e["count"], e["p50_us"], e["p99_us"], e["max_us"])')
read -r ev_count ev_p50 ev_p99 ev_max <<< "$ev"
say "   segment_eval: $ev_count evaluations, p50 $ev_p50 us, p99 $ev_p99 us, max $ev_max us"
row "re-evaluating one customer after an order, p99" "$ev_p99 us" "< 20 us" "$(met "$ev_p99" 20)"
row "  the same, p50" "$ev_p50 us" "-" "info"
stop_kith

# ---- the table ------------------------------------------------------------

echo
header=$(printf "$ROW" "target" "measured" "limit" "met")
echo "$header"
echo "$header" | sed 's/[^|]/-/g'
printf "%s\n" "${rows[@]}"
echo
echo "Machine:  $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "Linux $(uname -r), data on $fs"
echo "Versions: $("$KITHD" --version), release build in $BUILD, shipped config and rules"
echo "Command:  $COMMAND   ($(($(date +%s) - t_start)) s)"
exit $failed
