#!/usr/bin/env bash
# Benchmark: what the shipped rules cost per write, and how long a full
# re-evaluation of a segment takes over N customers (default 100,000).
# Run by hand from a build:  tests/bench/rules.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
B=build
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT

start() { # start <scripts dir> <plugins dir>
  rm -rf $tmp/data
  $B/kithd --data $tmp/data --listen 127.0.0.1:0 --unix $tmp/kith.sock --scripts "$1" \
    --plugins "$2" --watch-scripts 0 > $tmp/out 2> $tmp/err &
  echo $! > $tmp/pid
  for i in $(seq 50); do grep -q ready $tmp/out 2>/dev/null && break; sleep 0.1; done
}
stop() { kill $(cat $tmp/pid); wait $(cat $tmp/pid) 2>/dev/null || true; }

for mode in none shipped; do
  if [ $mode = none ]; then start $tmp/empty $tmp/empty; else start scripts plugins; fi
  echo "== order.create, rules: $mode"
  $B/kith-bench -s $tmp/kith.sock -c 1 -t order -n 3000 --preload 1000 -q
  $B/kith-bench -s $tmp/kith.sock -c 50 -t order -n 20000 -q
  stop
done

start scripts plugins
echo "== loading $N customers with the shipped rules..."
$B/kith-bench -s $tmp/kith.sock -c 50 -P 16 -t ping -n 1 --preload $N -q > /dev/null
for seg in vip ""; do
  t0=$(date +%s%N)
  if [ -n "$seg" ]; then r=$($B/kith --unix $tmp/kith.sock --json segment.refresh name=$seg);
  else r=$($B/kith --unix $tmp/kith.sock --json segment.refresh); fi
  t1=$(date +%s%N)
  echo "segment.refresh ${seg:-(all five)} over $N customers: $(( (t1 - t0) / 1000000 )) ms  $r"
done
stop
