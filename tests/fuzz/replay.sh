#!/bin/bash
# replay.sh FUZZBIN: run a libFuzzer target once over its committed seed
# corpus and regression inputs (crashes found by `make fuzz` that were
# fixed).  Prints one TAP line per input directory.
set -u
bin=$1; n=$(basename "$bin"); i=0; rc=0
for d in tests/fuzz/corpus/$n tests/fuzz/regress/$n; do
  [ -d "$d" ] || continue
  i=$((i + 1))
  cnt=$(find "$d" -type f | wc -l)
  if "$bin" -runs=0 "$d" >/dev/null 2>"$O/test-logs/replay-$n-$i.err"; then
    echo "ok $i - $n replays $cnt inputs of $d"
  else
    echo "not ok $i - $n crashed on an input of $d (see $O/test-logs/replay-$n-$i.err)"; rc=1
  fi
done
[ $i -gt 0 ] || { echo "not ok - $n has no corpus in tests/fuzz/corpus/$n"; exit 1; }
exit $rc
