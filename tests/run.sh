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
pass=0; fail=0; skipped=0; failed_names=(); failed_logs=()
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
    failed_names+=("$1"); failed_logs+=("$2"); printf '%-40s FAIL (%d passed, %d failed) %ss, log %s\n' "$1" "$p" "$f" "$4" "$2"
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
# LATE_BUILD_RC: a file that make check's background build of the images
# (the stage1 kernel is most of make check's time) writes its exit status
# to.  The tests of tests/images and tests/qemu, the only ones that need
# the images, run last and wait for it; if that build failed they fail.
LATE=${LATE_BUILD_RC:-}
late_wait() {
  [ -n "$LATE" ] || return 0
  local t0=$SECONDS
  while [ ! -s "$LATE" ]; do
    sleep 5
    if [ $(( (SECONDS - t0) % 300 )) -lt 5 ] && [ $((SECONDS - t0)) -ge 5 ]; then
      echo "# waiting for the image build ($((SECONDS - t0)) s; log ${LATE%.rc}.log)"
    fi
  done
  [ "$(cat "$LATE")" = 0 ]
}
if [[ ,$ONLY, == *,script,* ]]; then
  early=() late=()
  for t in tests/*/t_*.sh; do
    [ -x "$t" ] || continue
    n=${t#tests/}; n=${n%.sh}; [[ $n =~ $MATCH ]] || continue
    case $n in images/* | qemu/*) late+=("$t") ;; *) early+=("$t") ;; esac
  done
  for t in "${early[@]}"; do
    n=${t#tests/}; n=${n%.sh}
    run_one "$n" "$LOGS/script-${n//\//-}.log" "$t"
  done
  if [ ${#late[@]} -gt 0 ] && ! late_wait; then
    # the cause goes to the summary too: CI keeps only what run.sh prints
    echo "# the image build failed; the last lines of ${LATE%.rc}.log:"
    tail -n 40 "${LATE%.rc}.log" | sed 's/^/#   /'
    for t in "${late[@]}"; do
      n=${t#tests/}; n=${n%.sh}
      echo "not ok - the image build failed (see ${LATE%.rc}.log)" >"$LOGS/script-${n//\//-}.log"
      account "$n" "$LOGS/script-${n//\//-}.log" 1 0
    done
    late=()
  fi
  # qemu/t_clone (a clone's build, then one boot) runs beside the rest of
  # tests/qemu: a TCG guest keeps one core busy, so the scenarios leave
  # the other one idle.  It starts after tests/images, which rebuild $O's
  # images, and it works in its own clone, build dir and ports (18470).
  # TESTS_SERIAL=1 runs it in turn like the others.
  bg_name='' bg_log='' bg_pid='' bg_t0=0
  for t in "${late[@]}"; do
    n=${t#tests/}; n=${n%.sh}
    if [ "$n" = qemu/t_clone ] && [ "${TESTS_SERIAL:-0}" != 1 ]; then
      bg_name=$n bg_log="$LOGS/script-${n//\//-}.log" bg_t0=$(date +%s)
      "$t" >"$bg_log" 2>&1 &
      bg_pid=$!
      continue
    fi
    run_one "$n" "$LOGS/script-${n//\//-}.log" "$t"
  done
  if [ -n "$bg_pid" ]; then
    wait "$bg_pid"; rc=$?
    account "$bg_name" "$bg_log" "$rc" $(( $(date +%s) - bg_t0 ))
  fi
fi
echo
# why each failure failed, at the end where a CI log's tail keeps it: each
# "not ok" line with the diagnostics under it (capped per test)
for l in "${failed_logs[@]}"; do
  echo "== $l"
  awk '/^not ok /{n=30; print; next} n>0 && /^#/{print; n--; next} {n=0}' "$l" | head -120
done
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
# skipped checks count neither as passed nor as failed, and are said
[ "$skipped" = 0 ] || echo "$skipped skipped (each named with its reason in its log)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
