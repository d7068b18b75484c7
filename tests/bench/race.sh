#!/usr/bin/env bash
# The race of issue 5: kithd with its shipped rules against Redis 7 doing the
# same work through a function library (tests/bench/redis/kith_race.lua), on
# this machine, with the same durability, the same customers and the same
# client (kith-bench, --redis for Redis) with the same flags.  Prints one
# table of Kith/Redis ratios, then the machine and the versions.
#
# Run by hand from the repository (not in CI; about 7 minutes, --quick 2.5):
#     tests/bench/race.sh            100,000 customers, 5 s per measurement
#     tests/bench/race.sh --quick    10,000 customers, 2 s per measurement
# Options:
#     --customers N     customers loaded into each server (default 100000)
#     --duration S      seconds per measurement (default 5)
#     --kith-port P     --redis-port P    loopback ports (default 17411, 16379)
#     --build DIR       the build folder (default build); it is configured
#                       and brought up to date unless --no-build
#     --raw FILE        also append every run's kith-bench JSON to FILE
#     --no-pin          let the scheduler place the processes; by default, on
#                       2+ CPUs, the servers run on the last CPU and
#                       kith-bench on CPU 0, as one-connection round trips
#                       otherwise swing severalfold with where they land
#
# Two durability rounds, each on servers started fresh:
#     Redis appendonly yes + appendfsync always    vs  Kith synchronous full
#     Redis appendonly yes + appendfsync everysec  vs  Kith synchronous normal
# In each, once kithd is idle after the preload (quiesce, below): ping,
# get, order and mixed at 1 and 50 connections, with no
# pipelining and with -P 16, Kith first and then Redis; then get in open
# loop (--rate) at half of Kith's closed-loop get rate at 50 connections, for
# the p99 at half the saturating rate.  The preload is not measured.
# Then the ratio targets of issue 13, each with its figure and met or not.
# Exit status: 0, or 1 when any run failed or got an error reply.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

CUSTOMERS=100000
DURATION=5
KITH_PORT=17411
REDIS_PORT=16379
BUILD=build
DO_BUILD=1
RAW=
PIN=1
COMMAND="tests/bench/race.sh${*:+ $*}"

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --quick) CUSTOMERS=10000; DURATION=2 ;;
    --customers) CUSTOMERS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --kith-port) KITH_PORT=$2; shift ;;
    --redis-port) REDIS_PORT=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --raw) RAW=$2; shift ;;
    --no-pin) PIN=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "race.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

say() { echo "race: $*" >&2; }
die() { say "$*"; exit 1; }

# ---- prerequisites ------------------------------------------------------

if ! command -v redis-server > /dev/null || ! command -v redis-cli > /dev/null; then
  say "installing redis-server from Debian"
  [ "$(id -u)" = 0 ] || die "redis-server is missing and installing it needs root"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server > /dev/null
  # The package starts a system service where it can; the race runs its own.
  service redis-server stop > /dev/null 2>&1 || systemctl stop redis-server > /dev/null 2>&1 || true
fi
redis_major=$(redis-server --version | sed -n 's/.*v=\([0-9]*\)\..*/\1/p')
[ "${redis_major:-0}" -ge 7 ] || die "needs Redis 7 or later for functions: $(redis-server --version)"

if [ $DO_BUILD = 1 ]; then
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    say "configuring $BUILD"
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release > /dev/null
  fi
  say "building in $BUILD"
  cmake --build "$BUILD" -j"$(nproc)" --target kithd kith-bench > /dev/null
fi
KITHD=$ROOT/$BUILD/kithd
BENCH=$ROOT/$BUILD/kith-bench
case $BUILD in /*) KITHD=$BUILD/kithd; BENCH=$BUILD/kith-bench ;; esac
[ -x "$KITHD" ] && [ -x "$BENCH" ] || die "no kithd or kith-bench in $BUILD"

SERVER_CPU=
CLIENT_CPU=
if [ $PIN = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then
  SERVER_CPU="taskset -c $(($(nproc) - 1))"
  CLIENT_CPU="taskset -c 0"
fi

port_taken() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
for port in "$KITH_PORT" "$REDIS_PORT"; do
  port_taken "$port" && die "port $port is in use; pick others with --kith-port / --redis-port"
done

# ---- the servers ----------------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kith-race.XXXXXX")
kith_pid=
redis_pid=
stop_servers() {
  for pid in $kith_pid $redis_pid; do
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  kith_pid=
  redis_pid=
}
trap 'stop_servers; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

fs=$(stat -f -c %T "$tmp")
[ "$fs" = tmpfs ] && say "warning: $tmp is on tmpfs, where fsync costs nothing; set TMPDIR to a disk"

start_kith() { # synchronous mode
  rm -rf "$tmp/kith"
  $SERVER_CPU "$KITHD" --data "$tmp/kith" --listen "127.0.0.1:$KITH_PORT" --unix none --watch-scripts 0 \
    --synchronous "$1" > "$tmp/kith.out" 2>&1 &
  kith_pid=$!
  for _ in $(seq 300); do
    grep -q "kithd ready" "$tmp/kith.out" && return 0
    kill -0 "$kith_pid" 2> /dev/null || break
    sleep 0.1
  done
  cat "$tmp/kith.out" >&2
  die "kithd did not start"
}

start_redis() { # appendfsync mode
  rm -rf "$tmp/redis"
  mkdir -p "$tmp/redis"
  $SERVER_CPU redis-server "$ROOT/tests/bench/redis/race.conf" --port "$REDIS_PORT" --dir "$tmp/redis" \
    --logfile "$tmp/redis.log" --appendfsync "$1" &
  redis_pid=$!
  for _ in $(seq 300); do
    [ "$(redis-cli -p "$REDIS_PORT" ping 2> /dev/null)" = PONG ] && break
    kill -0 "$redis_pid" 2> /dev/null || { cat "$tmp/redis.log" >&2; die "redis-server did not start"; }
    sleep 0.1
  done
  loaded=$(redis-cli -p "$REDIS_PORT" -x FUNCTION LOAD REPLACE < "$ROOT/tests/bench/redis/kith_race.lua")
  [ "$loaded" = kith_race ] || die "FUNCTION LOAD failed: $loaded"
}

# ---- measuring ------------------------------------------------------------

failed=0
rows=()
declare -A RATIO P99 # "durability work c P" -> Kith/Redis, Kith p99 (for the targets)
# One table row: durability, workload, connections, pipeline, then the figures.
ROW="| %-15s | %-7s | %3s | %3s | %10s | %11s | %10s | %8s | %9s |"

# bench <label> <kith-bench args...>: runs one measurement; sets rps, p99
# (ms), or both to FAIL after describing what went wrong.
bench() {
  local label=$1 out rc=0
  shift
  out=$(timeout $((DURATION * 4 + 300)) $CLIENT_CPU "$BENCH" "$@" --json --fail-on-error 2> "$tmp/bench.err") || rc=$?
  [ -n "$RAW" ] && [ -n "$out" ] && echo "$out" >> "$RAW"
  if [ $rc != 0 ]; then
    say "$label: kith-bench exited $rc"
    sed 's/^/    /' "$tmp/bench.err" >&2
    [ -n "$out" ] && echo "    $out" >&2
    rps=FAIL p99=FAIL failed=1
    return 0
  fi
  rps=$(echo "$out" | sed -n 's/.*"rps":\([0-9.]*\).*/\1/p')
  p99=$(echo "$out" | grep -o '"latency_ms":{[^}]*}' | head -1 | sed -n 's/.*"p99":\([0-9.]*\).*/\1/p')
}

ratio() {
  case "$1$2" in *FAIL*) echo "-" ;; *) awk -v k="$1" -v r="$2" 'BEGIN { printf "%.2f", (r > 0 ? k / r : 0) }' ;; esac
}
fmt_rps() {
  case $1 in FAIL) echo FAIL ;; *) printf "%.0f" "$1" ;; esac
}

preload() { # label, kith-bench args
  local label=$1 t0 t1
  shift
  t0=$(date +%s%N)
  $CLIENT_CPU "$BENCH" "$@" -c 50 -P 16 -t ping -n 1 --preload "$CUSTOMERS" -q > /dev/null 2> "$tmp/bench.err" ||
    { cat "$tmp/bench.err" >&2; die "$label: preload failed"; }
  t1=$(date +%s%N)
  say "$label: $CUSTOMERS customers loaded in $(( (t1 - t0) / 1000000 )) ms"
}

# After the preload kithd has work of its own to finish — the shipped rules'
# crm.on handlers walking the events of 100,000 new customers — which would
# compete with the first measurements; Redis has none.  Wait until kithd's
# CPU over one second falls under 5% (at most two minutes).
quiesce() {
  local pid=$1 t0 t1 i
  for i in $(seq 120); do
    t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    sleep 1
    t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    [ $((t1 - t0)) -lt 5 ] && { say "kith: idle after ${i} s"; return 0; }
  done
  say "kith: still busy after 120 s; measuring anyway"
}

round() { # redis appendfsync, kith synchronous
  local durability="$1/$2" w c P k_rps k_p99 half=
  say "round: Redis appendfsync $1, Kith synchronous $2"
  start_kith "$2"
  start_redis "$1"
  preload kith -p "$KITH_PORT"
  preload redis --redis -p "$REDIS_PORT"
  quiesce "$kith_pid"
  for w in ping get order mixed; do
    for c in 1 50; do
      for P in 1 16; do
        bench "kith $w -c $c -P $P" -p "$KITH_PORT" -t "$w" -c "$c" -P "$P" -d "$DURATION"
        k_rps=$rps k_p99=$p99
        bench "redis $w -c $c -P $P" --redis -p "$REDIS_PORT" -t "$w" -c "$c" -P "$P" -d "$DURATION"
        rows+=("$(printf "$ROW" "$durability" "$w" "$c" "$P" "$(fmt_rps "$k_rps")" "$(fmt_rps "$rps")" \
          "$(ratio "$k_rps" "$rps")" "$k_p99" "$p99")")
        RATIO["$durability $w $c $P"]=$(ratio "$k_rps" "$rps")
        P99["$durability $w $c $P"]=$k_p99
        say "${rows[-1]}"
        [ "$w$c$P" = get501 ] && half=$k_rps
      done
    done
  done
  # Open loop at half of Kith's saturating get rate: the rate is the same
  # for both, so what differs is the latency from each intended send time.
  if [ -n "$half" ] && [ "$half" != FAIL ]; then
    local rate
    rate=$(awk -v r="$half" 'BEGIN { printf "%d", r / 2 }')
    bench "kith get --rate $rate" -p "$KITH_PORT" -t get -c 50 --rate "$rate" -d "$DURATION"
    k_rps=$rps k_p99=$p99
    bench "redis get --rate $rate" --redis -p "$REDIS_PORT" -t get -c 50 --rate "$rate" -d "$DURATION"
    rows+=("$(printf "$ROW" "$durability" "get@50%" 50 1 "$(fmt_rps "$k_rps")" "$(fmt_rps "$rps")" \
      "$(ratio "$k_rps" "$rps")" "$k_p99" "$p99")")
    say "${rows[-1]}"
  fi
  stop_servers
}

round always full
round everysec normal

# ---- the table ------------------------------------------------------------

echo
header=$(printf "$ROW" "durability" "work" "c" "P" "Kith req/s" "Redis req/s" "Kith/Redis" \
  "Kith p99" "Redis p99")
echo "$header"
echo "$header" | sed 's/[^|]/-/g'
printf "%s\n" "${rows[@]}"
echo
echo "durability: Redis appendfsync (appendonly yes) / Kith synchronous: always/full, everysec/normal."
echo "c: connections, P: pipeline depth; closed loop, ${DURATION} s each; p99 in milliseconds."
echo "get@50%: open loop (--rate) at half of Kith's get rate at c 50 P 1, both servers at that"
echo "rate; its p99 counts from each request's intended send time."
echo "$CUSTOMERS customers in each server; Kith runs its shipped rules (scripts/, plugins/),"
echo "Redis the same rules as tests/bench/redis/kith_race.lua; one client for both: kith-bench."
echo
echo "Machine:  $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "Linux $(uname -r), data on $fs"
echo "Versions: $("$KITHD" --version), $(redis-server --version | cut -d' ' -f1-3), $("$BENCH" --version)"
if [ -n "$SERVER_CPU" ]; then
  echo "Pinning:  servers on CPU $(($(nproc) - 1)) ($SERVER_CPU), kith-bench on CPU 0"
else
  echo "Pinning:  none"
fi
echo "Command:  $COMMAND"

# ---- issue 13's targets -----------------------------------------------------

# target <label> <measured> <op> <limit>: one row, met when measured op limit.
TROW="| %-52s | %8s | %7s | %-3s |"
target() {
  local met=no
  case $2 in "" | - | FAIL) met=no ;; *) awk -v m="$2" -v l="$4" -v op="$3" \
    'BEGIN { exit !((op == ">=" && m >= l) || (op == "<" && m < l)) }' && met=yes ;; esac
  printf "$TROW\n" "$1" "${2:--}" "$3 $4" "$met"
}
echo
printf "$TROW\n" "target (issue 13; c 50 throughout)" "measured" "limit" "met"
printf "$TROW\n" "" "" "" "" | sed 's/[^|]/-/g'
target "order, always/full: Kith/Redis" "${RATIO[always/full order 50 1]:-}" ">=" 1.0
target "order, everysec/normal: Kith/Redis" "${RATIO[everysec/normal order 50 1]:-}" ">=" 1.0
target "order p99, always/full (ms)" "${P99[always/full order 50 1]:-}" "<" 5
target "get, always/full: Kith/Redis" "${RATIO[always/full get 50 1]:-}" ">=" 1.0
target "get, everysec/normal: Kith/Redis" "${RATIO[everysec/normal get 50 1]:-}" ">=" 1.0
target "ping, always/full: Kith/Redis" "${RATIO[always/full ping 50 1]:-}" ">=" 0.9
target "ping, everysec/normal: Kith/Redis" "${RATIO[everysec/normal ping 50 1]:-}" ">=" 0.9
target "get -P 16, always/full: Kith/Redis" "${RATIO[always/full get 50 16]:-}" ">=" 0.8
target "ping -P 16, always/full: Kith/Redis" "${RATIO[always/full ping 50 16]:-}" ">=" 0.8
echo "The segment targets are measured by tests/bench/targets.sh, an order's statements and"
echo "WAL bytes by tests/bench/order_cost.sh; README \"Performance\" has every figure."
exit $failed
