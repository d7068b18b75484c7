#!/usr/bin/env bash
# Runs one libFuzzer target for a while:  tests/fuzz/run.sh TARGET SECONDS [libFuzzer flags...]
#   TARGET   framer, params, rpc, convert, cron, tz or timefmt (fuzz_<TARGET>)
#   SECONDS  how long to fuzz
# Builds build-fuzz/ (CC=clang, KITH_FUZZ=ON) when the target is missing.  The
# seed corpus is copied to a scratch folder, so the repository's seeds stay
# small; set KITH_FUZZ_CORPUS=DIR to keep the grown corpus between runs.
# A crash, sanitizer report, timeout or out-of-memory is saved under
# build-fuzz/artifacts/TARGET/ and makes the script fail, printing the report.
# Prints one line of figures: executions, execs/s, coverage, corpus size.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -lt 2 ]; then
  echo "usage: $0 TARGET SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
target=$1 seconds=$2
shift 2
bin=build-fuzz/fuzz/fuzz_$target
[ -f "tests/fuzz/fuzz_$target.c" ] || { echo "no target tests/fuzz/fuzz_$target.c" >&2; exit 2; }
if [ ! -x "$bin" ]; then
  CC=${CC:-clang} cmake -S . -B build-fuzz -DKITH_FUZZ=ON -DKITH_WERROR=ON >/dev/null
  cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)" --target "fuzz_$target" >/dev/null
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kith-fuzz-$target.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
corpus=${KITH_FUZZ_CORPUS:-$scratch/corpus}
mkdir -p "$corpus"
cp -n tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
artifacts=build-fuzz/artifacts/$target
mkdir -p "$artifacts"
dict=()
case $target in
  framer|params|rpc|convert) dict=(-dict=tests/fuzz/json.dict) ;;
  cron) dict=(-dict=tests/fuzz/cron.dict) ;;
esac

log=$scratch/log
status=0
"$bin" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" >"$log" 2>&1 || status=$?
if [ $status -ne 0 ] || grep -q -e "ERROR: libFuzzer" -e "runtime error:" -e "ERROR: AddressSanitizer" "$log"; then
  echo "fuzz_$target: FAILED (exit $status); input saved in $artifacts/" >&2
  grep -v -e '^#[0-9]' -e '^INFO:' "$log" | tail -40 >&2
  exit 1
fi
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
cov=$(sed -E -n 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$done_line")
echo "fuzz_$target: ${seconds}s, ${execs:-?} execs, ${speed:-?} execs/s, ${cov:-?}, no crash"
