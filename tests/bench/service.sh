#!/usr/bin/env bash
# Benchmark: what a write costs on the order path and on the service
# families, with the shipped rules and with none, as the median of RUNS runs
# (default 3) on a fresh data directory each time.  Two figures per write:
#   1 conn   one connection, one request at a time: the latency of one write
#            (its p50, ms) — what a write costs the request that makes it;
#   50 conns 50 connections: throughput (req/s), the group commit at work;
#   cpu      kithd's CPU time (user + system) per write over the 50-connection
#            run, in microseconds: the figure least disturbed by whatever
#            else the machine runs, so the one to compare builds by.
# Run by hand from a build:  tests/bench/service.sh [BIN_DIR] [RUNS]
# SHIPPED=DIR takes the "shipped" rules from DIR/scripts and DIR/plugins
# instead of this tree's (an older kithd needs the rules it shipped with).
# BIN_DIR (default build) holds kithd and kith-bench; pointing it at an older
# build compares the two (the README's figures compare main before the
# service families with it after).  Methods this kithd does not serve
# (ticket.create, survey.respond on an older build) are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
RUNS=${2:-3}
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT
mkdir -p $tmp/empty

start() { # start <scripts dir> <plugins dir>
  rm -rf $tmp/data
  $B/kithd --data $tmp/data --listen 127.0.0.1:0 --unix $tmp/kith.sock --scripts "$1" \
    --plugins "$2" --watch-scripts 0 > $tmp/out 2> $tmp/err &
  echo $! > $tmp/pid
  for i in $(seq 50); do grep -q ready $tmp/out 2>/dev/null && break; sleep 0.1; done
}
stop() { kill $(cat $tmp/pid); wait $(cat $tmp/pid) 2>/dev/null || true; }

# field <json> <path...>: one number out of kith-bench --json.
field() { python3 -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2:]: v=v[k]
print(v)' "$@"; }
cpu_ticks() { # utime + stime of kithd, in clock ticks
  awk '{print $14 + $15}' /proc/$(cat $tmp/pid)/stat
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

rpc() { # rpc <method> [params JSON]: one call over the socket; fails on an error reply
  python3 - "$tmp/kith.sock" "$1" "${2:-{\}}" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": sys.argv[2],
                      "params": json.loads(sys.argv[3])}).encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"): buf += s.recv(1 << 20)
reply = json.loads(buf)
if "error" in reply: sys.exit(reply["error"]["message"])
print(json.dumps(reply["result"]))
EOF
}
serves() { # serves <method>: whether this kithd knows the method
  rpc rpc.discover | python3 -c 'import json,sys
sys.exit(0 if sys.argv[1] in [m["name"] for m in json.load(sys.stdin)["methods"]] else 1)' "$1"
}

# bench <label> <kith-bench workload args...>: RUNS runs, medians printed.
# $setup, when set, names a function run after each start (what the
# workload needs to exist first).
bench() {
  local label=$1; shift
  local p50s=() rpss=() cpus=() errs=0
  for r in $(seq $RUNS); do
    start "$scripts" "$plugins"
    if [ -n "${setup:-}" ]; then $setup > /dev/null; fi
    $B/kith-bench -s $tmp/kith.sock -c 1 -n 1 -t ping --preload 1000 -q > /dev/null
    j1=$($B/kith-bench -s $tmp/kith.sock -c 1 -n 3000 --json "$@" 2> /dev/null)
    c0=$(cpu_ticks)
    j50=$($B/kith-bench -s $tmp/kith.sock -c 50 -n 20000 --json "$@" 2> /dev/null)
    c1=$(cpu_ticks)
    stop
    p50s+=("$(field "$j1" latency_ms p50)")
    rpss+=("$(field "$j50" rps)")
    errs=$(( errs + $(field "$j1" errors) + $(field "$j50" errors) ))
    cpus+=("$(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / $(field "$j50" requests) ))")
  done
  printf '%-16s rules %-8s 1 conn p50 %s ms (%s)  50 conns %s req/s (%s)  cpu %s us/write (%s)\n' \
    "$label" "$mode" "$(printf '%s\n' "${p50s[@]}" | median)" "${p50s[*]}" \
    "$(printf '%s\n' "${rpss[@]}" | median)" "${rpss[*]}" \
    "$(printf '%s\n' "${cpus[@]}" | median)" "${cpus[*]}"
  if [ $errs -gt 0 ]; then echo "  ($errs error replies: the figures above are not of successful writes)"; fi
}

survey_setup() {
  rpc survey.create '{"name":"bench","title":"Bench","kind":"csat","anonymous":true,
    "questions":[{"key":"overall","text":"How satisfied?","type":"rating","overall":true},
                 {"key":"speed","text":"How fast?","type":"rating","dimension":"speed"}]}'
  rpc survey.activate '{"name":"bench"}'
}

echo "== $B/kithd, $RUNS runs each, medians ($(nproc) cores)"
for mode in none shipped; do
  if [ $mode = none ]; then scripts=$tmp/empty plugins=$tmp/empty
  else scripts=${SHIPPED:-.}/scripts plugins=${SHIPPED:-.}/plugins; fi
  bench order.create -t order
  # The service families, where this kithd serves them.  kith-bench's `call`
  # workload puts a random customer of its own where the params say $CUSTOMER.
  start "$scripts" "$plugins"
  has_ticket=0 has_survey=0
  if serves ticket.create; then has_ticket=1; fi
  if serves survey.respond; then has_survey=1; fi
  stop
  if [ $has_ticket = 1 ]; then
    bench ticket.create -t call --method ticket.create \
      --params '{"customer_id":$CUSTOMER,"kind":"complaint","subject":"late delivery"}'
  fi
  if [ $has_survey = 1 ]; then
    # An active anonymous survey first, so that any number of responses is
    # allowed (one per customer would turn repeats into -32009 refusals).
    setup=survey_setup
    bench survey.respond -t call --method survey.respond \
      --params '{"survey":"bench","answers":{"overall":5,"speed":4}}'
    setup=
  fi
done
