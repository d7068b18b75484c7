#!/usr/bin/env bash
# Benchmark: an automation over N customers (default 100,000) — a sliced job
# creating a follow-up task for each — while kith-bench measures what other
# clients see (customer.get at a fixed rate, open loop).  Run by hand from a
# build:  tests/bench/automation.sh [N] [RATE]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
RATE=${2:-2000}
B=build
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT
mkdir -p $tmp/scripts
cp scripts/*.lua $tmp/scripts/ && rm -f $tmp/scripts/*_test.lua
cp tests/bench/rules/bench_jobs.lua $tmp/scripts/
$B/kithd --data $tmp/data --listen 127.0.0.1:0 --unix $tmp/kith.sock --scripts $tmp/scripts \
  --plugins plugins --watch-scripts 0 > $tmp/out 2> $tmp/err &
echo $! > $tmp/pid
for i in $(seq 50); do grep -q ready $tmp/out 2>/dev/null && break; sleep 0.1; done
echo "loading $N customers (with the shipped rules active)..."
$B/kith-bench -s $tmp/kith.sock -c 50 -P 16 -t ping -n 1 --preload $N -q > /dev/null
echo "baseline (no automation): customer.get at $RATE/s for 10 s"
$B/kith-bench -s $tmp/kith.sock -c 10 -t get --rate $RATE -d 10
$B/kith --unix $tmp/kith.sock --json schedule.create name=bench at=1s job=bench.followup_all > /dev/null
t0=$(date +%s.%N)
echo "during the automation: customer.get at $RATE/s until it finishes"
$B/kith-bench -s $tmp/kith.sock -c 10 -t get --rate $RATE -d 3600 > $tmp/during 2>&1 &
bench=$!
while :; do
  s=$($B/kith --unix $tmp/kith.sock --json schedule.list | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["status"])')
  [ "$s" = done ] && break; sleep 0.2
done
t1=$(date +%s.%N)
kill -INT $bench; wait $bench || true   # kith-bench reports what it measured on SIGINT
cat $tmp/during
echo "automation over $N customers took $(python3 -c "print(round($t1 - $t0, 1))") s"
$B/kith --unix $tmp/kith.sock --json schedule.list
