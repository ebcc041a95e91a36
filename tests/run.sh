#!/bin/bash
# run.sh: run every test and print "N passed, N failed" at the end.
#   unit     $O/tests/*          table tests under ASan+UBSan (TAP lines)
#   fuzz     $O/fuzz-bin/*       replay of committed corpus + regressions
#   script   tests/*/t_*.sh      loopback and QEMU scenarios (TAP lines)
# TESTS_ONLY=unit,fuzz,script selects kinds; TESTS_MATCH=regex selects names,
# TESTS_EXCLUDE=regex leaves names out (t_clone's server tests in a clone).
# A test that exits non-zero without printing a "not ok" line counts as one
# failure, so a crash never reads as a pass.  A skip ("ok N - NAME # SKIP
# REASON", printed by tests/lib/tap.sh only when EPOXY_TEST_ALLOW_SKIP=1)
# counts as skipped, never as passed.  Logs: $O/test-logs/.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-$PWD/build}; export O
ONLY=${TESTS_ONLY:-unit,fuzz,script}
MATCH=${TESTS_MATCH:-.}
EXCLUDE=${TESTS_EXCLUDE:-}
# wanted NAME: NAME matches TESTS_MATCH and not TESTS_EXCLUDE
wanted() { [[ $1 =~ $MATCH ]] && { [ -z "$EXCLUDE" ] || ! [[ $1 =~ $EXCLUDE ]]; }; }
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
# run_lane TEST...: runs the tests in turn (in the background lane), each
# to its log, its "RC SECONDS" to the log's .rc file
run_lane() {
  local t n l t0 rc
  for t in "$@"; do
    n=${t#tests/}; n=${n%.sh}; l="$LOGS/script-${n//\//-}.log"
    rm -f "$l.rc"; t0=$(date +%s)
    "$t" >"$l" 2>&1; rc=$?
    echo "$rc $(( $(date +%s) - t0 ))" >"$l.rc"
  done
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
    n=$(basename "$t"); wanted "$n" || continue
    run_one "unit/$n" "$LOGS/unit-$n.log" "$t"
  done
fi
if [[ ,$ONLY, == *,fuzz,* ]]; then
  for t in "$O"/fuzz-bin/*; do
    [ -x "$t" ] || continue
    n=$(basename "$t"); wanted "$n" || continue
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
    n=${t#tests/}; n=${n%.sh}; wanted "$n" || continue
    case $n in images/* | qemu/*) late+=("$t") ;; *) early+=("$t") ;; esac
  done
  # BESIDE: loopback tests that mostly wait (the rollouts' storm rounds and
  # housekeeping ticks), moved from the early list to the lane that runs
  # qemu/t_clone beside the QEMU scenarios, after it (see below)
  beside=()
  if [ ${#late[@]} -gt 0 ] && [ "${TESTS_SERIAL:-0}" != 1 ]; then
    keep=()
    for t in "${early[@]}"; do
      case $t in tests/server/t_rollout.sh | tests/server/t_rollout_pg.sh) beside+=("$t") ;;
        *) keep+=("$t") ;; esac
    done
    early=("${keep[@]}")
  fi
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
  # The BESIDE tests follow it in the same lane, one at a time (their
  # ports come from free_port, 20000 and up, apart from QEMU's).  Each
  # writes "RC SECONDS" to its log's .rc file; they are counted after the
  # lane ends.  TESTS_SERIAL=1 runs all of them in turn like the others.
  lane=() lane_pid=''
  for t in "${late[@]}"; do
    n=${t#tests/}; n=${n%.sh}
    if [ "$n" = qemu/t_clone ] && [ "${TESTS_SERIAL:-0}" != 1 ]; then
      lane=("$t" "${beside[@]}"); beside=()
      run_lane "${lane[@]}" &
      lane_pid=$!
      continue
    fi
    run_one "$n" "$LOGS/script-${n//\//-}.log" "$t"
  done
  # (no t_clone among the late tests: the BESIDE ones run here, in turn)
  for t in "${beside[@]}"; do
    n=${t#tests/}; n=${n%.sh}
    run_one "$n" "$LOGS/script-${n//\//-}.log" "$t"
  done
  if [ -n "$lane_pid" ]; then
    wait "$lane_pid"
    for t in "${lane[@]}"; do
      n=${t#tests/}; n=${n%.sh}; l="$LOGS/script-${n//\//-}.log"
      read -r rc secs <"$l.rc" 2>/dev/null || { rc=1 secs=0; }
      account "$n" "$l" "$rc" "$secs"
    done
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
