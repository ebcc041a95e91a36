#!/bin/bash
# kexec-profile.sh: where the time goes between the stage-1 agent's kexec
# and the production kernel's first console line.
#
# Boots the happy path (tests/qemu/scenarios/happy-uefi.scn) with a QEMU
# human monitor (QEMU_HMP=1) and, from the console's "kexec loaded;
# executing" until the production kernel prints "Linux version", samples
# the vCPU's RIP and CR3 through `info registers` about every 80 ms.  Prints
# the samples' runs: consecutive samples in the same 1 MiB of physical
# address space (or "kernel" for the kernel's virtual addresses), with the
# time each run started and how long it lasted.  A sample is a point, so a
# run's length is only as good as the sampling interval.
# Output: $OUT/kexec-profile.txt (runs) and $OUT/kexec-samples.txt (raw).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}; export O
OUT=${OUT:-$O/bench/chain}; mkdir -p "$OUT"
W=$OUT/kexec-profile; rm -rf "$W"; mkdir -p "$W"
sample() {
  local t0 now r
  while ! grep -aq 'kexec loaded; executing' "$W/console.log" 2>/dev/null; do
    [ -e "$W/.done" ] && return 0; sleep 0.02
  done
  t0=$EPOCHREALTIME
  while :; do
    r=$(echo 'info registers' | socat -t 0.2 - "UNIX-CONNECT:$W/hmp.sock" 2>/dev/null |
        tr -d '\r' | grep -oE 'RIP=[0-9a-f]+|CR3=[0-9a-f]+' | tr '\n' ' ') || true
    now=$(echo "$EPOCHREALTIME - $t0" | bc)
    [ -n "$r" ] && echo "$now $r"
    # the production kernel's first line: the second "Linux version"
    [ "$(grep -ac 'Linux version' "$W/console.log")" -ge 2 ] && break
    [ "$(echo "$now > 60" | bc)" = 1 ] && break
    sleep 0.05
  done >"$OUT/kexec-samples.txt"
}
sample &
spid=$!
QEMU_WORKDIR=$W QEMU_HMP=1 QEMU_PORT_BASE=${BENCH_PORT_BASE:-18480} GRACE=0 \
  tests/qemu/run-scenario tests/qemu/scenarios/happy-uefi.scn >"$W/tap" ||
  { touch "$W/.done"; wait $spid || true; grep -v '^ok' "$W/tap"; echo "kexec-profile: the chain did not complete" >&2; exit 1; }
touch "$W/.done"; wait $spid || true
[ -s "$OUT/kexec-samples.txt" ] || { echo "kexec-profile: no samples" >&2; exit 1; }
awk '{
  rip = substr($2, 5); cr3 = substr($3, 5)
  if (rip ~ /^ffff/) reg = "kernel (virtual)"
  else reg = sprintf("phys 0x%s..", substr(rip, 1, 11))
  if (reg != cur) { if (cur != "") printf "%-22s from %6.2f s  %6.2f s  %3d samples\n", cur, start, $1 - start, n
                    cur = reg; start = $1; n = 0 }
  n++; last = $1
} END { printf "%-22s from %6.2f s  %6.2f s+ %3d samples (until the console line)\n", cur, start, last - start, n }' \
  "$OUT/kexec-samples.txt" | tee "$OUT/kexec-profile.txt"
