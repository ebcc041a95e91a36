#!/bin/bash
# bench/chain/run.sh: the chain's time per stage against the floor, in one
# run, plus a PNG plot.  `make bench-chain`.
#
# Floor: the same two kernels and initramfs the chain boots (stage1: the
# minimal kernel + initramfs of the UKI; production: the release's kernel +
# initramfs) booted directly by QEMU with -kernel/-initrd, no UEFI firmware,
# no network, TCG; measured from QEMU start to the kernel's "Run /init".
# Chain: the happy-path scenario (tests/qemu/scenarios/happy-uefi.scn),
# every console mark timed from QEMU start; then the variants (snponly.efi
# as stage0, the direct path: happy-direct.scn).  Firmware start-up is the time
# until OVMF starts its HTTPS boot.  Goal (issue 5): firmware-to-joined
# within 1.5 x floor + firmware start-up.
# Output: $O/bench/chain/{results.txt,stages.csv,stages.png}.  Fails if any
# part fails; never prints a figure it did not measure.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}; export O
OUT=$O/bench/chain; mkdir -p "$OUT"
IMG=$O/images
rel=$(printf '%s\n' "$IMG"/release/* | sed 's#.*/##' | sort -n | tail -1)
load=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== floor: -kernel/-initrd, no firmware, no network (TCG)"
f1=$(bench/chain/floor.sh stage1 "$IMG/stage1/vmlinuz" "$IMG/uki/initramfs" "$(cat "$IMG/stage1/cmdline")")
f2=$(bench/chain/floor.sh production "$IMG/release/$rel/kernel" "$IMG/release/$rel/initramfs" "$(cat "$IMG/release/$rel/cmdline")")
echo "$f1"; echo "$f2"
fl1=$(echo "$f1" | cut -d' ' -f3); fl2=$(echo "$f2" | cut -d' ' -f3)

echo "== chain: happy path under UEFI Secure Boot"
export QEMU_WORKDIR=$OUT/chain QEMU_PORT_BASE=${BENCH_PORT_BASE:-18480}
GRACE=0 tests/qemu/run-scenario tests/qemu/scenarios/happy-uefi.scn >"$OUT/chain.tap" ||
  { grep -v '^ok' "$OUT/chain.tap"; echo "bench: the chain did not complete" >&2; exit 1; }
# the marks at the time their console lines started (timeline.ts, within
# about 20 ms; tests/qemu/lib.sh timeline_stamp), not at the runner's
# half-second passes (timeline): the same marks, or the bench stops
tl_precise() { # WORKDIR: prints WORKDIR/timeline.ts when it names the marks of WORKDIR/timeline
  cmp -s <(cut -d' ' -f1 "$1/timeline") <(cut -d' ' -f1 "$1/timeline.ts") ||
    { echo "bench: $1/timeline.ts does not name the marks of $1/timeline" >&2; return 1; }
  echo "$1/timeline.ts"
}
TL=$(tl_precise "$QEMU_WORKDIR") || exit 1
t() { awk -v l="$1" '$1 == l { print $2; exit }' "$TL"; }
fw=$(t firmware-https); total=$(t reported)
{ [ -n "$fw" ] && [ -n "$total" ]; } || { echo "bench: timeline incomplete" >&2; exit 1; }

# stages: consecutive marks; csv: stage,start,duration
awk 'BEGIN { prev = 0; pl = "qemu-start" } { printf "%s,%.2f,%.2f\n", $1, prev, $2 - prev; prev = $2 }' \
  "$TL" >"$OUT/stages.csv"
floor=$(echo "$fl1 + $fl2" | bc)
goal=$(echo "1.5 * $floor + $fw" | bc)
ratio=$(echo "scale=2; ($total - $fw) / $floor" | bc)
{
  echo "epoxy chain benchmark $(date -u +%FT%TZ)  version $(git describe --always --dirty 2>/dev/null)"
  echo "machine: $(nproc) cpus, load average at start $load; QEMU TCG, 1 vCPU"
  echo "floor stage1 (minimal kernel + initramfs to /init):      $fl1 s"
  echo "floor production (release $rel kernel + initramfs to /init): $fl2 s"
  echo "floor total:                                        $floor s"
  echo "firmware start-up (QEMU start to OVMF HTTPS boot):  $fw s"
  echo "chain firmware-to-joined (QEMU start to report ok): $total s"
  echo "chain minus firmware start-up / floor:              ${ratio}x"
  echo "goal (1.5 x floor + firmware start-up):             $goal s -> $( [ "$(echo "$total <= $goal" | bc)" = 1 ] && echo MET || echo NOT MET)"
  echo
  echo "per stage (seconds; each row ends at the console mark named):"
  awk -F, '{ printf "  %-16s starts %7.2f  lasts %7.2f\n", $1, $2, $3 }' "$OUT/stages.csv"
} | tee "$OUT/results.txt"

# bench_variant NAME SCENARIO MARK WHAT DESCRIPTION [STAGES]: the chain
# again (the caller's environment picks the variant), work dir
# $OUT/chain-NAME; prints the firmware start-up, the console mark MARK
# (WHAT) against the first chain's, firmware-to-joined, the ratio and the
# goal; STAGES=1 adds its per-stage breakdown.  Ends the bench when the
# chain did not complete.
bench_variant() {
  local name=$1 scn=$2 mark=$3 what=$4 desc=$5 stages=${6:-0} tl v_fw v_mark v_total v_goal
  QEMU_WORKDIR=$OUT/chain-$name GRACE=0 \
    tests/qemu/run-scenario "tests/qemu/scenarios/$scn.scn" >"$OUT/chain-$name.tap" ||
    { grep -v '^ok' "$OUT/chain-$name.tap"; echo "bench: the $name chain did not complete" >&2; exit 1; }
  tl=$(tl_precise "$OUT/chain-$name") || exit 1
  v_fw=$(awk '$1 == "firmware-https" { print $2 }' "$tl")
  v_mark=$(awk -v m="$mark" '$1 == m { print $2 }' "$tl")
  v_total=$(awk '$1 == "reported" { print $2 }' "$tl")
  { [ -n "$v_fw" ] && [ -n "$v_mark" ] && [ -n "$v_total" ]; } ||
    { echo "bench: $name timeline incomplete" >&2; exit 1; }
  v_goal=$(echo "1.5 * $floor + $v_fw" | bc)
  {
    echo
    echo "variant: $desc"
    echo "  firmware start-up $v_fw s; $what at $v_mark s (first chain: $(t "$mark") s)"
    echo "  chain firmware-to-joined $v_total s (first chain: $total s); ratio $(echo "scale=2; ($v_total - $v_fw) / $floor" | bc)x;" \
      "goal $v_goal s -> $( [ "$(echo "$v_total <= $v_goal" | bc)" = 1 ] && echo MET || echo NOT MET)"
    if [ "$stages" = 1 ]; then
      echo "  per stage (seconds; each row ends at the console mark named):"
      awk 'BEGIN { prev = 0 } { printf "    %-16s starts %7.2f  lasts %7.2f\n", $1, prev, $2 - prev; prev = $2 }' "$tl"
    fi
  } | tee -a "$OUT/results.txt"
}

# the same chain with Debian's snponly.efi (iPXE driving the NIC through the
# firmware's own SNP: no NIC drivers to probe) as stage0, signed the same way
SNP=${SNPONLY_EFI:-/usr/lib/ipxe/snponly.efi}
if [ -f "$SNP" ]; then
  echo "== chain again, stage0 = $SNP signed with the fleet's db key"
  boot/efisign.sh "$O/keys/db.key" "$O/keys/db.crt" "$SNP" "$OUT/snponly.efi" >/dev/null
  STAGE0_OVERRIDE=$OUT/snponly.efi bench_variant snponly happy-uefi stage1-script "stage1 script" \
    "stage0 = Debian's snponly.efi ($(stat -c %s "$OUT/snponly.efi") bytes signed) instead of $(stat -c %s "$IMG/stage0.efi")"
fi

# the direct UEFI path (issue 17 point 1): the firmware's HTTPS boot
# fetches the stage1 UKI itself, no iPXE (tests/qemu/scenarios/happy-direct.scn)
echo "== chain again on the direct path (no iPXE)"
bench_variant direct happy-direct uki-kernel "stage1 kernel" \
  "the direct path (Boot0080 fetches the db-signed stage1 UKI over HTTPS; no iPXE, no plain HTTP)" 1

# the iPXE path on a dnsmasq site network (issue 17 point 2): no-pxedhcp
# and IPv6 router advertisements (tests/qemu/scenarios/dhcp-ipxe.scn)
echo "== chain again, iPXE path on a dnsmasq site network"
bench_variant dnsmasq dhcp-ipxe stage1-script "stage1 script" \
  "the iPXE path on a dnsmasq site network (no-pxedhcp, router advertisements)"

# where the kexec -> production kernel gap goes (RIP samples)
echo "== kexec profile: RIP samples from the agent's kexec to the production kernel's first line"
{
  echo
  echo "kexec -> production kernel, by the vCPU's RIP (runs of samples; bench/chain/kexec-profile.sh):"
  OUT=$OUT bench/chain/kexec-profile.sh | sed 's/^/  /'
} | tee -a "$OUT/results.txt"

# plot data: one bar per chain stage (start..end), then the two floor boots
{
  awk -F, '{ printf "%d %s %.2f %.2f 1\n", NR, $1, $2, $2 + $3 }' "$OUT/stages.csv"
  n=$(wc -l <"$OUT/stages.csv")
  echo "$((n + 1)) floor-stage1 0 $fl1 2"
  echo "$((n + 2)) floor-production 0 $fl2 2"
} >"$OUT/plot.dat"
gnuplot <<GP
set terminal pngcairo size 1000,600 noenhanced font ",10"
set output "$OUT/stages.png"
set title "epoxy chain under QEMU TCG: firmware-to-joined $total s; floor $floor s; firmware start-up $fw s"
set xlabel "seconds since QEMU start"
set yrange [0.3:*] reverse
set ytics nomirror
set grid x
set style fill solid 0.85 border -1
set key bottom right
plot "$OUT/plot.dat" using (\$3+\$4)/2:1:3:4:(\$1-0.38):(\$1+0.38):ytic(2) \
       with boxxyerror lc rgb "#3070b0" title "chain stage (ends at its console mark)", \
     "" using (\$5 == 2 ? (\$3+\$4)/2 : 1/0):1:3:4:(\$1-0.38):(\$1+0.38) \
       with boxxyerror lc rgb "#d08030" title "floor: -kernel/-initrd to /init"
GP
[ -s "$OUT/stages.png" ] || { echo "bench: no plot" >&2; exit 1; }
echo "plot: $OUT/stages.png"
