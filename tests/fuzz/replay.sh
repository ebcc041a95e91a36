#!/bin/bash
# replay.sh FUZZBIN: run a libFuzzer target once over its committed seed
# corpus and regression inputs (crashes found by `make fuzz` that were
# fixed).  Prints one TAP line per input directory.
. "$(dirname "$0")/../lib/tap.sh"
bin=$1; n=$(basename "$bin"); i=0
mkdir -p "$O/test-logs"
for d in "tests/fuzz/corpus/$n" "tests/fuzz/regress/$n"; do
  [ -d "$d" ] || continue
  i=$((i + 1))
  cnt=$(find "$d" -type f | wc -l)
  "$bin" -runs=0 "$d" >/dev/null 2>"$O/test-logs/replay-$n-$i.err"
  ok $? "$n replays $cnt inputs of $d" "it crashed on an input of $d (see $O/test-logs/replay-$n-$i.err)"
done
[ $i -gt 0 ] || bail "$n has a corpus in tests/fuzz/corpus/$n"
done_testing
