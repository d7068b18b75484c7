#!/usr/bin/env bash
# Benchmark: the reports over a large base.  100,000 customers with about
# 300,000 orders spread over two years (2025-2026, a fixed pseudo-random
# draw), imported with kith import; then report.run's retention matrix
# (24 cohorts x 24 months), customers, revenue by month and by owner, and
# value.list, each timed by kith-bench (one connection, 50 calls: the
# latency percentiles are the report's own time plus the round trip).
# No rules.  Synchronous full.
# Run by hand from a build:  tests/bench/reports.sh [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT
mkdir -p $tmp/empty

awk 'BEGIN { srand(42); print "external_id,name,owner";
             for (i = 1; i <= 100000; i++) printf "c%d,Customer %d,owner%d\n", i, i, i % 20 }' \
  > $tmp/customers.csv
awk 'BEGIN { srand(7); print "external_id,customer_external_id,at,amount"; n = 0;
             for (i = 1; i <= 100000; i++) {
               first = int(rand() * 700); k = 1 + int(rand() * rand() * 6);
               for (j = 0; j < k; j++) {
                 d = first + int(rand() * (730 - first)); t = 1735689600 + d * 86400;
                 printf "o%d,c%d,%s,%.2f\n", ++n, i, strftime("%Y-%m-%dT12:00:00Z", t, 1),
                        5 + rand() * 200 } } }' > $tmp/orders.csv

$B/kithd --data $tmp/data --listen 127.0.0.1:0 --unix $tmp/kith.sock --scripts $tmp/empty \
  --plugins $tmp/empty --watch-scripts 0 > $tmp/out 2> $tmp/err &
echo $! > $tmp/pid
for i in $(seq 50); do grep -q ready $tmp/out 2>/dev/null && break; sleep 0.1; done
K="$B/kith --unix $tmp/kith.sock"
$K import customers $tmp/customers.csv --per-record --quiet
$K import orders $tmp/orders.csv --per-record --quiet
$K --json call value.fit > /dev/null

span='"from": "2025-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"'
run() { # run <label> <params json>
  printf '%-34s' "$1"
  $B/kith-bench -s $tmp/kith.sock -t call --method "$2" --params "$3" -c 1 -n 50 2>&1 |
    grep -o 'p50 [0-9.]*  p90 [0-9.]*  p99 [0-9.]*' | sed 's/$/ ms/'
}
run "report retention (24 x 24)" report.run "{\"name\": \"retention\", $span}"
run "report customers (24 months)" report.run "{\"name\": \"customers\", $span}"
run "report revenue by month" report.run "{\"name\": \"revenue\", \"interval\": \"month\", $span}"
run "report revenue by owner" report.run "{\"name\": \"revenue\", \"interval\": \"month\", \"group_by\": \"owner\", $span}"
run "report owner_scorecard" report.run "{\"name\": \"owner_scorecard\", $span}"
run "value.list (100k customers)" value.list '{"limit": 20}'
