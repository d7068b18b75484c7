#!/usr/bin/env bash
# Benchmark: value.fit over all of CDNOW_master.txt (23,570 customers,
# 69,659 orders, imported with the README's one-liners, no rules) while
# kith-bench keeps 10 connections busy with customer.get: how long the fit
# takes, and the slowest reply any other client saw meanwhile (the fit runs
# on a worker thread; the loop must go on answering).  Then value.list over
# the whole base, and the retention report.  Synchronous full.
# Run by hand from a build:  tests/bench/value.sh [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT
mkdir -p $tmp/empty

. tests/bench/cdnow_csv.sh
cdnow_csv $tmp

$B/kithd --data $tmp/data --listen 127.0.0.1:0 --unix $tmp/kith.sock --scripts $tmp/empty \
  --plugins $tmp/empty --watch-scripts 0 > $tmp/out 2> $tmp/err &
echo $! > $tmp/pid
for i in $(seq 50); do grep -q ready $tmp/out 2>/dev/null && break; sleep 0.1; done
K="$B/kith --unix $tmp/kith.sock"
$K import customers $tmp/customers.csv --per-record --quiet > /dev/null
$K import orders $tmp/orders.csv --per-record --quiet > /dev/null

# Load in the background, the fit in the foreground.
$B/kith-bench -s $tmp/kith.sock -t get -c 10 -d 8 > $tmp/bench 2>&1 &
bench=$!
sleep 2
t0=$(date +%s%N)
$K --json call value.fit '{"calibration_end": "1997-09-30T23:59:59Z"}' > $tmp/fit
t1=$(date +%s%N)
wait $bench
echo "value.fit over $(grep -o '"n":[0-9]*' $tmp/fit | head -1 | tr -dc 0-9) customers: $(( (t1 - t0) / 1000000 )) ms wall, the fit itself $(grep -o '"ms":[0-9]*' $tmp/fit | tr -dc 0-9) ms"
echo "customer.get from 10 other connections meanwhile:"
grep -iE "latency|max|p99|req/s" $tmp/bench
t0=$(date +%s%N); $K call value.list '{"limit": 10}' > /dev/null; t1=$(date +%s%N)
echo "value.list over every customer: $(( (t1 - t0) / 1000000 )) ms (client wall)"
