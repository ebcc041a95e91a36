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

cw() {
  local l bad
  for _ in $(seq 1 $(($2 * 2))); do
    console_clean
    l=$(grep -aE -m1 -- "$1" "$W/console.txt") && { echo "$l"; return 0; }
    if bad=$(console_forbidden); then echo "forbidden: $bad"; return 1; fi
    kill -0 "$QEMU_PID" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
seen() {
  local l
  if l=$(cw "$2" "$3"); then pass "$1"; echo "$l" >>"$W/seen.txt"; return 0; fi
  fail "$1" "not within $3 s ($l); pattern: $2"; console_tail; return 1
}
