#!/usr/bin/env bash
# Benchmark: `kith import` end to end on CDNOW_master.txt (23,570 customers,
# 69,659 orders), turned into CSV with the README's one-liners: rows per
# second for customers and for orders, in the default mode (the file
# checked, a dry run, then the write) and with --per-record (the write
# only), with no rules and with the shipped rules and plugins.  Fresh data
# directory per run; synchronous full (the shipped config).
# Run by hand from a build:  tests/bench/import.sh [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT
mkdir -p $tmp/empty

. tests/bench/cdnow_csv.sh
cdnow_csv $tmp

start() { # start <scripts dir> <plugins dir>
  rm -rf $tmp/data
  $B/kithd --data $tmp/data --listen 127.0.0.1:0 --unix $tmp/kith.sock --scripts "$1" \
    --plugins "$2" --watch-scripts 0 > $tmp/out 2> $tmp/err &
  echo $! > $tmp/pid
  for i in $(seq 50); do grep -q ready $tmp/out 2>/dev/null && break; sleep 0.1; done
}
stop() { kill $(cat $tmp/pid); wait $(cat $tmp/pid) 2>/dev/null || true; }
rate() { # rate <kind> <file> [flags]: rows/s from kith import's summary
  $B/kith --unix $tmp/kith.sock import "$@" --quiet | sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p'
}

printf '%-8s %-12s %12s %12s\n' rules mode customers/s orders/s
for rules in none shipped; do
  for mode in default per-record; do
    if [ $rules = none ]; then start $tmp/empty $tmp/empty; else start scripts plugins; fi
    flag=""; [ $mode = per-record ] && flag=--per-record
    c=$(rate customers $tmp/customers.csv $flag)
    o=$(rate orders $tmp/orders.csv $flag)
    printf '%-8s %-12s %12s %12s\n' $rules $mode "$c" "$o"
    stop
  done
done
