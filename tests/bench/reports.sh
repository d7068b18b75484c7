#!/usr/bin/env bash
# Benchmark: the reports over a large base.  100,000 customers with about
# 300,000 orders spread over two years (2025-2026, a fixed pseudo-random
# draw), imported with kith import; then report.run's retention matrix
# (24 cohorts x 24 months), customers, revenue by month and by owner, and
# value.list, each called 20 times and timed by the server itself
# (system.stats: the method's time before its reply is written).
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
# Each call 20 times; the server's own time per call from system.stats
# (mean and max of the method's time, before the reply is written).
stat() { $K --json call system.stats | python3 -c "import json,sys; m=json.load(sys.stdin)['methods'].get('$1', {}); print(m.get('calls', 0), m.get('usec_total', 0), m.get('usec_max', 0))"; }
run() { # run <label> <method> <params json>
  read c0 u0 x0 < <(stat $2)
  for i in $(seq 20); do $K --json call $2 "$3" > /dev/null; done
  read c1 u1 x1 < <(stat $2)
  printf '%-34s mean %6.1f ms (max since start %6.1f ms)\n' "$1" \
    $(python3 -c "print(($u1 - $u0) / 1000 / max(1, $c1 - $c0), $x1 / 1000)")
}
run "report retention (24 x 24)" report.run "{\"name\": \"retention\", $span}"
run "report customers (24 months)" report.run "{\"name\": \"customers\", $span}"
run "report revenue by month" report.run "{\"name\": \"revenue\", \"interval\": \"month\", $span}"
run "report revenue by owner" report.run "{\"name\": \"revenue\", \"interval\": \"month\", \"group_by\": \"owner\", $span}"
run "report owner_scorecard" report.run "{\"name\": \"owner_scorecard\", $span}"
run "value.list (100k customers)" value.list '{"limit": 20}'
