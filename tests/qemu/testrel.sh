# shellcheck shell=bash
# testrel.sh: what the runners of one node with a test monitor share
# (tests/qemu/run-slivers, run-measure; sourced after lib.sh, bash).
#
#   testrel_publish MONITOR FUNC   release 1 of the build with a join script
#       that also sources MONITOR (a dash file of the test, never in the
#       production image) and runs FUNC in the background, its output on
#       the console; signed by the release keys as version 1, published,
#       promoted to stable; site site-a, host $H (mac ${S[mac]}) on the
#       direct path, enrolled into $W/vars-$H.fd.
#   cw REGEX SECONDS     the first console line matching REGEX (cleaned),
#       within SECONDS, else empty and non-zero (a forbidden line or QEMU's
#       end stops the wait).
#   seen LABEL REGEX SECONDS   a TAP check that the console shows REGEX.
#
# Guarantees: the monitor goes only into the test's own copy of the
# release (under $W); every wait is bounded.
testrel_publish() {
  local src=$IMG/release/1 d=$W/rel-1
  mkdir -p "$d" && cp "$src"/{kernel,initramfs,cmdline,join} "$d/" || return 1
  { sed '/^exit 0$/d' "$src/join"
    cat "$1"
    # (exec: no copy of the agent's pipes stays open in the monitor)
    echo "( exec >/dev/console 2>&1 </dev/null; $2 ) &"
    echo 'exit 0'; } >"$d/join"
  "$EPOXYCTL" release sign --kernel "$d/kernel" --initramfs "$d/initramfs" \
    --cmdline "$d/cmdline" --join "$d/join" --version 1 \
    --expires "$(sed -n 's/^expires //p' "$src/manifest")" --hwclass "${HWCLASS:-qemu-x86_64}" \
    --min-agent 1 --key "$KEYS/release-1.key" --key "$KEYS/release-2.key" \
    --out "$d/manifest" || return 1
  chain_ctl release publish --manifest "$d/manifest" --artifacts "$d" || return 1
  mkdir -p "$W/published/1" && cp "$d/manifest" "$W/published/1/manifest"
  chain_ctl release promote 1 --channel stable || return 1
  chain_ctl site add site-a || return 1
  chain_ctl host add "$H" --hwclass "${HWCLASS:-qemu-x86_64}" --mac "${S[mac]}" \
    --site site-a --boot-path direct || return 1
  chain_ctl host enroll "$H" --vars "$W/vars-$H.fd"
}

# cw PATTERN SECONDS: sets l to the first console line (from the first)
# that matches PATTERN and returns 0; sets l to "forbidden: PATTERN" and
# returns 1 when a forbidden line came first; returns 1 with l empty when
# none came within SECONDS or QEMU is gone.  It follows the console
# (console_follow): never call it in a subshell.
cw() {
  local n=$(( $2 * 2 )) k LC_ALL=C
  console_follow; CW_NEW=()
  l=$(grep -aE -m1 -- "$1" "$W/console.txt") && return 0
  [[ -n $CW_PARTC && $CW_PARTC =~ $1 ]] && { l=$CW_PARTC; return 0; }
  while :; do
    [ -z "$CW_BAD" ] || { l="forbidden: $CW_BAD"; return 1; }
    kill -0 "$QEMU_PID" 2>/dev/null || return 1
    n=$((n - 1)); [ "$n" -gt 0 ] || return 1
    cw_sleep 0.5
    console_follow
    for k in "${CW_NEW[@]}" ${CW_PARTC:+"$CW_PARTC"}; do
      [[ $k =~ $1 ]] && { CW_NEW=(); l=$k; return 0; }
    done
    CW_NEW=()
  done
}
seen() {
  local l
  if cw "$2" "$3"; then pass "$1"; echo "$l" >>"$W/seen.txt"; return 0; fi
  fail "$1" "not within $3 s ($l); pattern: $2"; console_tail; return 1
}
