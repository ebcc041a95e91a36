# shellcheck shell=bash
# replay.sh: the `replay=` scenario key of tests/qemu/run-scenario (sourced
# by lib.sh, bash): a cloned node replays its handed-over tokens.
#
# With replay=mark:LABEL the node's QEMU gets a QMP socket ($W/qmp.sock).
# When the console mark LABEL matches, the runner stops the VM, saves its
# whole state (RAM, devices, the firmware's flash) with a real migration to
# $W/replay.state, copies the VARS file as it is at that moment, checks
# that epoxyd has not handed out a join credential yet (else the snapshot
# came too late and proves nothing), and lets the node go on.  After the
# node has finished and its QEMU is stopped, a second QEMU with the same
# command line plus -incoming resumes that state in $W/clone/ (its own
# console, its own copy of the VARS): a clone of the node, holding the very
# same tokens in memory, replays them.  The clone's console is checked with
# clone_mark / clone_expect / clone_forbid (same syntax as mark / expect /
# forbid); epoxyd's side with the built-in checks below and the scenario's
# show / why / log lines, which run after the clone.
#
# Guarantees: nothing here reaches into epoxyd or the guest beyond what an
# operator with the hypervisor could do (QMP stop / migrate / cont); the
# tokens are never read, printed or copied by the runner, only the VM state
# that holds them.

QEMU_SCN_KEYS+=" replay "
CLONE_RE=(); CLONE_LABEL=(); CLONE_FORBID=()
QEMU_EXTRA_ARGS=()
REPLAY_DONE=""; REPLAY_INCOMING=""

# replay_scn_key KEY VALUE: the clone_* lines of a scenario file.
replay_scn_key() {
  case $1 in
    clone_expect) CLONE_LABEL+=("$2"); CLONE_RE+=("$2");;
    clone_mark)   [[ $2 == *' '* ]] || { echo "clone_mark=LABEL REGEX" >&2; return 1; }
                  CLONE_LABEL+=("${2%% *}"); CLONE_RE+=("${2#* }");;
    clone_forbid) CLONE_FORBID+=("$2");;
    *) return 1;;
  esac
}

# replay_args: QEMU_EXTRA_ARGS for qemu_start (a QMP socket when the
# scenario replays; -incoming for the clone).
replay_args() {
  QEMU_EXTRA_ARGS=()
  [ -n "${S[replay]:-}" ] || return 0
  QEMU_EXTRA_ARGS=(-qmp "unix:$W/qmp.sock,server=on,wait=off")
  [ -n "$REPLAY_INCOMING" ] && QEMU_EXTRA_ARGS+=(-incoming "exec:cat '$REPLAY_INCOMING'")
  return 0
}

# ------------------------------------------------------------------ QMP
# One connection at a time, through socat as a bash coprocess.  Its fds and
# pid are kept in plain variables (the fds duplicated): bash unsets QMPC
# when the coprocess ends (e.g. QEMU died), and an empty fd would close the
# runner's own stdout.
QMP_IN=""; QMP_OUT=""; QMP_PID=""; QMP_REPLY=""
qmp_open() {
  local line i
  for i in $(seq 1 20); do [ -S "$W/qmp.sock" ] && break; sleep 0.1; done
  coproc QMPC { exec socat - "UNIX-CONNECT:$W/qmp.sock" 2>>"$W/qmp.log"; }
  # shellcheck disable=SC2153 # QMPC_PID is set by coproc QMPC
  QMP_PID=$QMPC_PID; PIDS+=("$QMP_PID")
  # duplicates: bash closes a coprocess's own fds in ( ) subshells
  exec {QMP_IN}<&"${QMPC[0]}" {QMP_OUT}>&"${QMPC[1]}"
  eval "exec ${QMPC[0]}<&- ${QMPC[1]}>&-"
  read -t 10 -r line <&"$QMP_IN" || return 1    # the greeting
  echo "< $line" >>"$W/qmp.log"
  qmp '{"execute":"qmp_capabilities"}'
}
# qmp JSON: sends one command; its answer in QMP_REPLY (events are
# skipped); fails on an error answer, a closed connection or after 30 s.
qmp() {
  local line
  QMP_REPLY=""
  echo "> $1" >>"$W/qmp.log"
  # a subshell writes: if socat is gone, SIGPIPE ends it, not the runner
  ( echo "$1" >&"$QMP_OUT" ) 2>/dev/null || return 1
  while read -t 30 -r line <&"$QMP_IN"; do
    echo "< $line" >>"$W/qmp.log"
    case $line in
      *'"return"'*) QMP_REPLY=$line; return 0;;
      *'"error"'*) QMP_REPLY=$line; return 1;;
    esac
  done
  return 1
}
# qmp_status: the "status" of the last answer (query-migrate)
qmp_status() { sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p' <<<"$QMP_REPLY" | head -1; }
qmp_close() {
  [ -n "$QMP_PID" ] || return 0
  [ -n "$QMP_OUT" ] && eval "exec $QMP_OUT>&-"
  [ -n "$QMP_IN" ] && eval "exec $QMP_IN<&-"
  kill "$QMP_PID" 2>/dev/null; wait "$QMP_PID" 2>/dev/null
  QMP_IN=""; QMP_OUT=""; QMP_PID=""
  return 0
}

# replay_on_mark LABEL: called by console_watch for each matched mark.
replay_on_mark() {
  [ -n "${S[replay]:-}" ] && [ -z "$REPLAY_DONE" ] && [ -z "$REPLAY_INCOMING" ] || return 0
  [ "$1" = "${S[replay]#mark:}" ] || return 0
  REPLAY_DONE=fail
  local t0 st=""
  t0=$(date +%s.%N)
  if ! qmp_open; then
    fail "snapshot: QMP connection" "see $W/qmp.log"; return 0
  fi
  if ! qmp '{"execute":"stop"}'; then
    fail "snapshot: VM stopped at mark $1" "see $W/qmp.log"; qmp_close; return 0
  fi
  # the snapshot must hold unspent tokens: no join credential handed out yet
  if grep -q 'join credential handed to host' "$W/epoxyd.log"; then
    fail "snapshot: VM stopped before the join credential was redeemed" \
      "epoxyd already handed it out: the snapshot at mark $1 comes too late"
    qmp '{"execute":"cont"}'; qmp_close; return 0
  fi
  rm -f "$W/replay.state"
  # QEMU 7.2 has no file: migration; exec: writes through a shell.  The
  # default bandwidth cap (32 MiB/s) would only slow the copy down.
  { qmp '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":4294967296}}' &&
    qmp "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > '$W/replay.state'\"}}"; } ||
    { fail "snapshot: migration started" "see $W/qmp.log"; qmp '{"execute":"cont"}'; qmp_close; return 0; }
  local i
  for i in $(seq 1 600); do
    qmp '{"execute":"query-migrate"}' || break
    st=$(qmp_status)
    case $st in completed|failed|cancelled) break;; esac
    sleep 0.2
  done
  if [ "$st" != completed ]; then
    fail "snapshot: VM state saved" "migration status '${st:-none}': $(tail -c 300 <<<"$QMP_REPLY")"
    qmp '{"execute":"cont"}'; qmp_close; return 0
  fi
  # the block layer is flushed and inactive after migration: the VARS file
  # is the node's flash as it is in the saved state
  cp "$W/vars.fd" "$W/replay-vars.fd" || { fail "snapshot: VARS copied"; qmp_close; return 0; }
  if ! qmp '{"execute":"cont"}'; then
    fail "snapshot: VM resumed after the snapshot" "see $W/qmp.log"; qmp_close; return 0
  fi
  qmp_close
  REPLAY_DONE=yes
  pass "snapshot: at mark $1 the VM was stopped, saved ($(( $(stat -c %s "$W/replay.state") / 1048576 )) MiB state, VARS copied) and resumed in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
}

# replay_resume: the clone's incoming migration completes with the VM paused
# (the node was stopped when it was saved, and QEMU keeps that run state):
# wait for it, then cont.
replay_resume() {
  local i st=""
  qmp_open || return 1
  for i in $(seq 1 600); do
    qmp '{"execute":"query-migrate"}' || break
    st=$(qmp_status)
    case $st in completed|failed|cancelled) break;; esac
    kill -0 "$QEMU_PID" 2>/dev/null || break
    sleep 0.2
  done
  [ "$st" = completed ] && qmp '{"execute":"cont"}'; i=$?
  qmp_close
  # shellcheck disable=SC2034 # lib.sh's console_watch reads it
  QEMU_T0=$(date +%s.%N)
  [ "$st" = completed ] && [ $i = 0 ]
}

# replay_clone: after the node's QEMU stopped: the clone resumes the saved
# state and replays; then epoxyd's side.  Returns 1 if the clone's console
# checks failed.
replay_clone() {
  if [ -z "${S[replay]:-}" ]; then
    [ ${#CLONE_RE[@]} = 0 ] && [ ${#CLONE_FORBID[@]} = 0 ] && return 0
    fail "clone: clone_* lines need replay=mark:LABEL"; return 1
  fi
  if [[ ${S[replay]} != mark:* ]] || [ ${#CLONE_RE[@]} = 0 ]; then
    fail "clone: replay=mark:LABEL with clone_mark/clone_expect lines" "replay=${S[replay]}"; return 1
  fi
  if [ "$REPLAY_DONE" != yes ]; then
    fail "clone: resumed the saved state" "no saved state (mark ${S[replay]#mark:} not reached or the snapshot failed)"
    return 1
  fi
  local W0=$W CONSOLE0=$CONSOLE rc=0 n p
  local -a re0=("${EXP_RE[@]}") label0=("${EXP_LABEL[@]}") forbid0=("${FORBID[@]}")
  W=$W0/clone; mkdir -p "$W"; CONSOLE=$W/console.log; : >"$CONSOLE"
  # shellcheck disable=SC2034 # lib.sh's qemu_start reads them
  NODE_VARS=$W0/replay-vars.fd; REPLAY_INCOMING=$W0/replay.state
  EXP_RE=("${CLONE_RE[@]}"); EXP_LABEL=("${CLONE_LABEL[@]}"); FORBID=("${CLONE_FORBID[@]}")
  if qemu_start && replay_resume; then
    pass "clone: resumed the saved state (console $CONSOLE)"
    console_watch || rc=1
  else
    fail "clone: resumed the saved state" "see $W/qemu.log and $W/qmp.log"; rc=1
  fi
  qemu_stop
  W=$W0; CONSOLE=$CONSOLE0; REPLAY_INCOMING=""
  EXP_RE=("${re0[@]}"); EXP_LABEL=("${label0[@]}"); FORBID=("${forbid0[@]}")
  [ "${KEEP:-0}" = 1 ] || rm -f "$W/replay.state" "$W/clone/vars.fd"
  # the clone is the node: same session (the first node's, from its console)
  local s1 s2
  s1=$(grep -aoE -m1 'epoxy: stage handover session [0-9a-f]+' "$W/console.txt" | awk '{print $5}')
  s2=$(grep -aoE -m1 'epoxy: stage handover session [0-9a-f]+' "$W/clone/console.txt" | awk '{print $5}')
  if [ -n "$s1" ] && [ "$s1" = "$s2" ]; then pass "clone: replays the node's session $s1"
  else fail "clone: replays the node's session" "node '${s1:-none}', clone '${s2:-none}'"; fi
  # epoxyd's side: one join credential for the node, the replay refused
  # and in the audit chain
  n=$(grep -c "join credential handed to host ${S[host]} " "$W/epoxyd.log")
  if [ "$n" = 1 ]; then pass "server: exactly one join credential handed out (epoxyd log)"
  else fail "server: exactly one join credential handed out (epoxyd log)" "$n in $W/epoxyd.log"; fi
  chain_ctl audit list --limit 10000 >"$W/audit.txt" 2>&1
  n=$(grep -c 'joincred.issued' "$W/audit.txt")
  if [ "$n" = 1 ]; then pass "server: audit: exactly one joincred.issued"
  else fail "server: audit: exactly one joincred.issued" "$n in $W/audit.txt"; fi
  # the clone presents both spent tokens of its handover: join, then report
  for p in joincred report; do
    if grep -qE "token\.refused +hash:[0-9a-f]+ +EPOXY-E2003 purpose=$p .*token-host=${S[host]} " "$W/audit.txt"
    then pass "server: audit: the replayed $p token refused (token.refused EPOXY-E2003)"
    else fail "server: audit: the replayed $p token refused (token.refused EPOXY-E2003)" "see $W/audit.txt"; fi
  done
  return $rc
}
