#!/bin/bash
# run.sh: run every test and print "N passed, N failed" at the end.
#   unit     $O/tests/*          table tests under ASan+UBSan (TAP lines)
#   fuzz     $O/fuzz-bin/*       replay of committed corpus + regressions
#   script   tests/*/t_*.sh      loopback and QEMU scenarios (TAP lines)
# TESTS_ONLY=unit,fuzz,script selects kinds; TESTS_MATCH=regex selects names,
# TESTS_EXCLUDE=regex leaves names out (t_clone's server tests in a clone).
# TESTS_JOBS (default 2) tests run at once; TESTS_SERIAL=1 runs one at a
# time, in order.  Each result line gives the test's seconds and the CPU
# seconds of what it ran.  A test that exits non-zero without printing a
# "not ok" line counts as one failure, so a crash never reads as a pass.
# A skip ("ok N - NAME # SKIP REASON", printed by tests/lib/tap.sh only
# when EPOXY_TEST_ALLOW_SKIP=1) counts as skipped, never as passed.
# Logs: $O/test-logs/.
#
# The schedule (two cores): the unit tests, the fuzz replays and the
# loopback tests each run TESTS_JOBS at once (the loopback tests mostly
# wait; tests/node's share one slot: cgroups, crun and network namespaces).
# The tests of tests/images and tests/qemu need the images, which make
# check builds in the background (LATE_BUILD_RC); two lanes start as soon
# as that build is over, beside the loopback tests still running, at nice
# 5 (a TCG guest keeps a core busy; the loopback tests come first):
#   lane 1  tests/images (they rebuild $O/images), then tests/qemu's other
#           tests, then t_qemu's scenarios (qemu/t_qemu[1/3])
#   lane 2  qemu/t_clone (its own clone, build dir and ports), then, once
#           tests/images are over, t_qemu's scenarios (qemu/t_qemu[2/3])
#   lane 3  once the loopback tests are over (and tests/images), a third
#           part of the scenarios (qemu/t_qemu[3/3]), on what the two
#           lanes' guests leave idle while they wait
#   the parts of t_qemu share one queue: each lane takes the next
#   scenario no other has taken, so whichever lane is free first takes
#   more and all end at about the same time; a part that finds the queue
#   empty prints "# claimed none: ..." and counts as no test, not as a
#   failure.
# Results are printed in that order, each as soon as it and those before
# it are over.  Each concurrent test draws its ports from its own range
# (EPOXY_PORT_SLOT, tests/lib/tap.sh's free_port).
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-$PWD/build}; export O
ONLY=${TESTS_ONLY:-unit,fuzz,script}
MATCH=${TESTS_MATCH:-.}
EXCLUDE=${TESTS_EXCLUDE:-}
JOBS=${TESTS_JOBS:-2}; [ "${TESTS_SERIAL:-0}" = 1 ] && JOBS=1
[[ $JOBS =~ ^[1-9]$ ]] || { echo "run.sh: TESTS_JOBS is 1 to 9" >&2; exit 2; }
# the port ranges of this run's concurrent tests start at SLOT0 (a run
# inside a test, t_clone's, goes on from that test's)
SLOT0=${EPOXY_PORT_SLOT:-0}
# wanted NAME: NAME matches TESTS_MATCH and not TESTS_EXCLUDE
wanted() { [[ $1 =~ $MATCH ]] && { [ -z "$EXCLUDE" ] || ! [[ $1 =~ $EXCLUDE ]]; }; }
LOGS=$O/test-logs; mkdir -p "$LOGS"
pass=0; fail=0; skipped=0; failed_names=(); failed_logs=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# claimed_none ENTRY LOG RC: ENTRY is a part of a shared queue that found
# it empty and said so (tests/qemu/t_qemu.sh), exiting 0: no test, no failure
claimed_none() { [ "$3" = 0 ] && [[ $1 == *\[*\] ]] && grep -q '^# claimed none: ' "$2"; }
account() { # name log rc seconds [cpu-seconds]
  local p f s
  p=$(grep -c '^ok ' "$2"); f=$(grep -c '^not ok ' "$2")
  s=$(grep -ciE '^ok [0-9]+ [^#]*# skip' "$2"); p=$((p - s))
  if [ "$3" != 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $1 exited with $3" >>"$2"; fi
  if [ "$p" = 0 ] && [ "$f" = 0 ] && ! claimed_none "$1" "$2" "$3"; then
    f=1; echo "not ok - $1 ran no test" >>"$2"
  fi
  pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + s))
  if [ "$f" != 0 ]; then
    failed_names+=("$1"); failed_logs+=("$2"); printf '%-40s FAIL (%d passed, %d failed) %ss%s, log %s\n' "$1" "$p" "$f" "$4" "${5:+ cpu $5s}" "$2"
    grep '^not ok' "$2" | head -20 | sed 's/^/    /'
  else
    if [ "$s" != 0 ]; then s=", $s skipped"; elif [ "$p" = 0 ]; then s=', none left to claim'; else s=''; fi
    printf '%-40s ok   (%d%s) %ss%s\n' "$1" "$p" "$s" "$4" "${5:+ cpu $5s}"
  fi
}

# An ENTRY names a test:
#   unit/NAME         $O/tests/NAME
#   fuzz-replay/NAME  tests/fuzz/replay.sh $O/fuzz-bin/NAME
#   DIR/t_NAME        tests/DIR/t_NAME.sh
#   DIR/t_NAME[K/N]   the same with TEST_SHARD=K/N: its Kth part of N
#                     and TEST_QUEUE=$LOGS/queue-DIR-t_NAME, made empty
#                     by this run, which the N parts share (t_qemu.sh: each
#                     part takes the next scenario no other part took, so
#                     lanes that start at different times end together)
entry_log() { # ENTRY: prints its log's path
  local e=$1 s=''
  case $e in
    unit/*) echo "$LOGS/unit-${e#unit/}.log" ;;
    fuzz-replay/*) echo "$LOGS/fuzz-${e#fuzz-replay/}.log" ;;
    *) if [[ $e == *\[*\] ]]; then s=${e##*[}; s=${s%]}; s=-${s/\//of}; e=${e%[*}; fi
      echo "$LOGS/script-${e//\//-}$s.log" ;;
  esac
}
run_entry() { # ENTRY: runs it
  local e=$1 s
  case $e in
    unit/*) "$O/tests/${e#unit/}" ;;
    fuzz-replay/*) tests/fuzz/replay.sh "$O/fuzz-bin/${e#fuzz-replay/}" ;;
    *\[*\]) s=${e##*[}; e=${e%[*}
      TEST_SHARD=${s%]} TEST_QUEUE=$LOGS/queue-${e//\//-} "tests/$e.sh" ;;
    *) "tests/$e.sh" ;;
  esac
}
# run_sleep SECONDS: sleeps without starting a process (read -t on a pipe
# no one writes; this polls once a second for the whole run, and a
# process costs milliseconds of CPU here); run_chain closes the pipe
# before it starts a test, so no test inherits it
RUN_SLEEP_FD=''
run_sleep() {
  [ -n "$RUN_SLEEP_FD" ] || exec {RUN_SLEEP_FD}<> <(:)
  read -r -t "$1" -u "$RUN_SLEEP_FD" _
  return 0
}
# cpu_ticks PID: the CPU time (user + system, clock ticks) of the reaped
# children of shell PID so far; a test's share is the difference around it
# (what a daemon left running after the test does is not counted)
cpu_ticks() { local s a; read -r s <"/proc/$1/stat"; read -ra a <<<"${s##*) }"; echo $((a[13] + a[14])); }
HZ=$(getconf CLK_TCK)
# run_chain ENTRY...: runs the entries in turn, each to its log, and its
# "RC SECONDS CPU-SECONDS" to the log's .rc file (read by collect)
run_chain() {
  local e l t0 c0 rc me=$BASHPID
  if [ -n "$RUN_SLEEP_FD" ]; then exec {RUN_SLEEP_FD}<&-; RUN_SLEEP_FD=''; fi
  for e; do
    l=$(entry_log "$e"); t0=$(date +%s); c0=$(cpu_ticks "$me")
    run_entry "$e" >"$l" 2>&1; rc=$?
    echo "$rc $(( $(date +%s) - t0 )) $(( ($(cpu_ticks "$me") - c0) / HZ ))" >"$l.rc.tmp"
    mv "$l.rc.tmp" "$l.rc"
  done
}
# pool CHAIN...: runs the chains (each a list of entries separated by
# spaces, run in turn) JOBS at once, in order; each running chain has its
# own port slot (SLOT0 .. SLOT0+JOBS-1)
pool() {
  local c pid s free=() i
  local -A slot_of=()
  for ((i = 0; i < JOBS; i++)); do free+=($((SLOT0 + i))); done
  for c; do
    if [ ${#slot_of[@]} -ge "$JOBS" ]; then
      wait -n -p pid; free+=("${slot_of[$pid]}"); unset "slot_of[$pid]"
    fi
    s=${free[0]}; free=("${free[@]:1}")
    # shellcheck disable=SC2086 # a chain is a list of entries
    EPOXY_PORT_SLOT=$s run_chain $c & slot_of[$!]=$s
  done
  wait
}
# collect PID ENTRY...: accounts the entries in order, each once its .rc
# file is there; once PID (what runs them) is over, a missing one fails
collect() {
  local pid=$1 e l rc secs cpu; shift
  for e; do
    l=$(entry_log "$e")
    while [ ! -s "$l.rc" ] && kill -0 "$pid" 2>/dev/null; do run_sleep 1; done
    read -r rc secs cpu <"$l.rc" 2>/dev/null || { rc=1 secs=0 cpu=''; }
    [ -e "$l" ] || : >"$l"
    account "$e" "$l" "$rc" "$secs" "$cpu"
  done
}
# run_pool CHAIN...: the chains through pool, accounted here in order
run_pool() {
  local e p
  # shellcheck disable=SC2048 # the entries of every chain
  for e in $*; do rm -f "$(entry_log "$e").rc"; done
  pool "$@" & p=$!
  # shellcheck disable=SC2048,SC2086
  collect "$p" $*
  wait "$p"
}

if [[ ,$ONLY, == *,unit,* ]]; then
  es=()
  for t in "$O"/tests/*; do
    { [ -x "$t" ] && [ -f "$t" ]; } || continue
    n=$(basename "$t"); wanted "$n" || continue
    es+=("unit/$n")
  done
  [ ${#es[@]} = 0 ] || run_pool "${es[@]}"
fi
if [[ ,$ONLY, == *,fuzz,* ]]; then
  es=()
  for t in "$O"/fuzz-bin/*; do
    [ -x "$t" ] || continue
    n=$(basename "$t"); wanted "$n" || continue
    es+=("fuzz-replay/$n")
  done
  [ ${#es[@]} = 0 ] || run_pool "${es[@]}"
fi
# LATE_BUILD_RC: a file that make check's background build of the images
# (the stage1 kernel is most of make check's time) writes its exit status
# to.  The tests of tests/images and tests/qemu, the only ones that need
# the images, wait for it; if that build failed they fail.
LATE=${LATE_BUILD_RC:-}
late_wait() { # [quiet]
  [ -n "$LATE" ] || return 0
  local t0=$SECONDS
  while [ ! -s "$LATE" ]; do
    run_sleep 5
    if [ -z "${1:-}" ] && [ $(( (SECONDS - t0) % 300 )) -lt 5 ] && [ $((SECONDS - t0)) -ge 5 ]; then
      echo "# waiting for the image build ($((SECONDS - t0)) s; log ${LATE%.rc}.log)"
    fi
  done
  [ "$(cat "$LATE")" = 0 ]
}
# late_lane ENTRY...: waits for the image build, then runs the entries in
# turn; "@images-done" marks the end of tests/images, "@after-images"
# waits for it.  When the image build failed, every entry fails.
late_lane() {
  local e l
  renice -n 5 -p "$BASHPID" >/dev/null
  if ! late_wait quiet; then
    for e; do
      [[ $e == @* ]] && continue
      l=$(entry_log "$e")
      echo "not ok - the image build failed (see ${LATE%.rc}.log)" >"$l"
      echo "1 0" >"$l.rc"
    done
    : >"$LOGS/images.done"
    return
  fi
  for e; do
    case $e in
      @images-done) : >"$LOGS/images.done" ;;
      @after-images) while [ ! -e "$LOGS/images.done" ]; do run_sleep 2; done ;;
      *) run_chain "$e" ;;
    esac
  done
}
if [[ ,$ONLY, == *,script,* ]]; then
  chains=() first=() nodes='' images=() qemu=() lane1=() lane2=() lane3=() clone=''
  for t in tests/*/t_*.sh; do
    [ -x "$t" ] || continue
    n=${t#tests/}; n=${n%.sh}; wanted "$n" || continue
    case $n in
      images/*) images+=("$n") ;;
      qemu/t_clone) clone=$n ;;
      qemu/*) qemu+=("$n") ;;
      node/*) nodes+="$n " ;;
      # the longest, which mostly wait, start first
      server/t_rollout | server/t_rollout_pg | server/t_page_rollout | ctl/t_revoke_race_pg) first+=("$n") ;;
      *) chains+=("$n") ;;
    esac
  done
  chains=("${first[@]}" ${nodes:+"$nodes"} "${chains[@]}")
  if [ "$JOBS" -gt 1 ] && [ -n "$clone" ]; then
    lane1=("${images[@]}" @images-done) lane2=("$clone" @after-images)
    for n in "${qemu[@]}"; do
      if [ "$n" = qemu/t_qemu ]; then
        lane1+=("${n}[1/3]"); lane2+=("${n}[2/3]"); lane3=(@after-images "${n}[3/3]")
      else
        lane1+=("$n")
      fi
    done
  else
    lane1=("${images[@]}" @images-done "${qemu[@]}" ${clone:+"$clone"})
  fi
  late=()
  for n in "${lane1[@]}" "${lane2[@]}" "${lane3[@]}"; do [[ $n == @* ]] || late+=("$n"); done
  for n in "${late[@]}"; do
    rm -f "$(entry_log "$n").rc"
    # the shared queue of a sharded test, empty at the start of each run
    if [[ $n == *\[*\] ]]; then q=${n%[*}; q=$LOGS/queue-${q//\//-}; rm -rf "$q"; mkdir -p "$q"; fi
  done
  rm -f "$LOGS/images.done"
  l1='' l2='' l3=''
  # the lanes beside the loopback tests, each its own port slot
  start_lanes() {
    [ ${#late[@]} -gt 0 ] || return 0
    EPOXY_PORT_SLOT=$((SLOT0 + JOBS)) late_lane "${lane1[@]}" & l1=$!
    [ ${#lane2[@]} = 0 ] && return 0
    EPOXY_PORT_SLOT=$((SLOT0 + JOBS + 1)) late_lane "${lane2[@]}" & l2=$!
  }
  [ "$JOBS" = 1 ] || start_lanes
  [ ${#chains[@]} = 0 ] || run_pool "${chains[@]}"
  [ "$JOBS" != 1 ] || start_lanes
  # the third lane, once the loopback tests are over: a third part of the
  # scenarios' queue, on the cores the two lanes leave idle while their
  # guests wait (epoxyd, the network, the firmware's timers); its port slot
  # is past the one after lane 2's, which t_clone's own run takes
  if [ ${#lane3[@]} -gt 0 ]; then
    EPOXY_PORT_SLOT=$((SLOT0 + JOBS + 3)) late_lane "${lane3[@]}" & l3=$!
  fi
  if [ ${#late[@]} -gt 0 ]; then
    if ! late_wait; then
      # the cause goes to the summary too: CI keeps only what run.sh prints
      echo "# the image build failed; the last lines of ${LATE%.rc}.log:"
      tail -n 40 "${LATE%.rc}.log" | sed 's/^/#   /'
    fi
    # each lane's entries once that lane is over at the latest
    for n in "${late[@]}"; do
      if [[ " ${lane2[*]} " == *" $n "* ]]; then collect "$l2" "$n"
      elif [[ " ${lane3[*]} " == *" $n "* ]]; then collect "$l3" "$n"
      else collect "$l1" "$n"; fi
    done
    wait
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
