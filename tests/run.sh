#!/bin/bash
# run.sh: run every test and print "N passed, N failed" at the end.
#   unit     $O/tests/*          table tests under ASan+UBSan (TAP lines)
#   fuzz     $O/fuzz-bin/*       replay of committed corpus + regressions
#   script   tests/*/t_*.sh      loopback and QEMU scenarios (TAP lines)
# TESTS_ONLY=unit,fuzz,script selects kinds; TESTS_MATCH=regex selects names.
# A test that exits non-zero without printing a "not ok" line counts as one
# failure, so a crash never reads as a pass.  A skip ("ok N - NAME # SKIP
# REASON", printed by tests/lib/tap.sh only when EPOXY_TEST_ALLOW_SKIP=1)
# counts as skipped, never as passed.  Logs: $O/test-logs/.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-$PWD/build}; export O
ONLY=${TESTS_ONLY:-unit,fuzz,script}
MATCH=${TESTS_MATCH:-.}
LOGS=$O/test-logs; mkdir -p "$LOGS"
pass=0; fail=0; skipped=0; failed_names=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

account() { # name log rc
  local p f s
  p=$(grep -c '^ok ' "$2"); f=$(grep -c '^not ok ' "$2")
  s=$(grep -ciE '^ok [0-9]+ [^#]*# skip' "$2"); p=$((p - s))
  if [ "$3" != 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $1 exited with $3" >>"$2"; fi
  if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $1 ran no test" >>"$2"; fi
  pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + s))
  if [ "$f" != 0 ]; then
    failed_names+=("$1"); printf '%-40s FAIL (%d passed, %d failed) %ss, log %s\n' "$1" "$p" "$f" "$4" "$2"
    grep '^not ok' "$2" | head -20 | sed 's/^/    /'
  else
    if [ "$s" = 0 ]; then s=''; else s=", $s skipped"; fi
    printf '%-40s ok   (%d%s) %ss\n' "$1" "$p" "$s" "$4"
  fi
}
run_one() { # name log cmd...
  local name=$1 log=$2 t0 rc; shift 2
  t0=$(date +%s)
  "$@" >"$log" 2>&1; rc=$?
  account "$name" "$log" "$rc" $(( $(date +%s) - t0 ))
}

if [[ ,$ONLY, == *,unit,* ]]; then
  for t in "$O"/tests/*; do
    { [ -x "$t" ] && [ -f "$t" ]; } || continue
    n=$(basename "$t"); [[ $n =~ $MATCH ]] || continue
    run_one "unit/$n" "$LOGS/unit-$n.log" "$t"
  done
fi
if [[ ,$ONLY, == *,fuzz,* ]]; then
  for t in "$O"/fuzz-bin/*; do
    [ -x "$t" ] || continue
    n=$(basename "$t"); [[ $n =~ $MATCH ]] || continue
    run_one "fuzz-replay/$n" "$LOGS/fuzz-$n.log" tests/fuzz/replay.sh "$t"
  done
fi
if [[ ,$ONLY, == *,script,* ]]; then
  for t in tests/*/t_*.sh; do
    [ -x "$t" ] || continue
    n=${t#tests/}; n=${n%.sh}; [[ $n =~ $MATCH ]] || continue
    run_one "$n" "$LOGS/script-${n//\//-}.log" "$t"
  done
fi
echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
if [ "$skipped" = 0 ]; then skipped=''; else skipped=", $skipped skipped"; fi
echo "$pass passed, $fail failed$skipped"
[ "$fail" = 0 ]
