#!/usr/bin/env bash
# Benchmark: what one order costs the store, with the shipped rules and
# plugin, as the server counts it (system.stats.store): the SQLite
# statements it runs (every statement of the request path goes through the
# statement cache, which counts them), the pages its commits append to the
# WAL, and those pages in bytes (a frame is a page and a 24-byte header).
# 10,000 customers preloaded by kith-bench (not counted), then 2,000 orders:
#   c 1:  one connection, so every order is its own commit;
#   c 50: fifty connections, so orders share the pass's group commit.
# Synchronous full.  Prints one line per case; `--json` prints them as JSON.
# Run by hand from a build:  tests/bench/order_cost.sh [BIN_DIR] [--json]
# (about 20 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
JSON=${2:-}
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT

$B/kithd --data $tmp/data --listen 127.0.0.1:0 --unix $tmp/kith.sock --watch-scripts 0 \
  --synchronous full > $tmp/out 2> $tmp/err &
echo $! > $tmp/pid
for i in $(seq 100); do grep -q ready $tmp/out 2> /dev/null && break; sleep 0.1; done
K="$B/kith --unix $tmp/kith.sock"
$B/kith-bench -s $tmp/kith.sock -c 50 -P 16 -t ping -n 1 --preload 10000 -q > /dev/null

stats() {
  $K --json call system.stats | python3 -c "
import json, sys
s = json.load(sys.stdin)['store']
print(s['statements'], s['wal_frames'], s['wal_bytes'], s['commits'], s['checkpoints'], s.get('checkpoints_on_loop', 0))"
}
measure() { # connections
  local n=2000
  read st0 fr0 by0 co0 ck0 cl0 < <(stats)
  $B/kith-bench -s $tmp/kith.sock -t order -c "$1" -n $n -q > /dev/null
  read st1 fr1 by1 co1 ck1 cl1 < <(stats)
  python3 - "$1" $n $st0 $st1 $fr0 $fr1 $by0 $by1 $co0 $co1 $ck0 $ck1 $cl0 $cl1 "$JSON" << 'PY'
import sys
c, n, st0, st1, fr0, fr1, by0, by1, co0, co1, ck0, ck1, cl0, cl1 = map(int, sys.argv[1:15])
row = dict(connections=c, orders=n, statements=round((st1 - st0) / n, 1),
           wal_frames=round((fr1 - fr0) / n, 2), wal_bytes=round((by1 - by0) / n),
           commits=round((co1 - co0) / n, 3), checkpoints=ck1 - ck0,
           checkpoints_on_loop=cl1 - cl0)
if sys.argv[15] == "--json":
    import json; print(json.dumps(row))
else:
    print("orders at c %-3d  statements/order %6.1f   WAL pages/order %6.2f   WAL bytes/order %7d"
          "   commits/order %.3f   checkpoints %d (on the loop %d)" % (c, row["statements"],
          row["wal_frames"], row["wal_bytes"], row["commits"], row["checkpoints"],
          row["checkpoints_on_loop"]))
PY
}
measure 1
measure 50
