#!/bin/bash
# run.sh SECONDS [TARGET]: fuzz each libFuzzer target for SECONDS, starting
# from its committed seed corpus.  New crash inputs are copied to
# tests/fuzz/regress/TARGET/ so that, once fixed, `make check` replays them
# forever.  Prints executions and crashes per target.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; secs=${1:-60}; only=${2:-}
total_fail=0
for bin in "$O"/fuzz-bin/*; do
  n=$(basename "$bin"); [ -z "$only" ] || [ "$n" = "$only" ] || continue
  work=$O/fuzz-work/$n; mkdir -p "$work/corpus" "$work/crash" "tests/fuzz/regress/$n"
  cp -n "tests/fuzz/corpus/$n"/* "$work/corpus/" 2>/dev/null
  "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/crash/" \
    -fork=0 "$work/corpus" >"$work/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  crashes=$(find "$work/crash" -type f | wc -l)
  for c in "$work"/crash/*; do [ -f "$c" ] && cp "$c" "tests/fuzz/regress/$n/"; done
  echo "$n: ${execs:-?} executions in ${secs}s, $crashes crash inputs (rc=$rc)"
  [ "$crashes" = 0 ] && [ "$rc" = 0 ] || total_fail=1
done
exit $total_fail
