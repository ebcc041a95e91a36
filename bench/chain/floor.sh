#!/bin/bash
# floor.sh LABEL KERNEL INITRD [CMDLINE]: the floor of one stage of the chain.
#
# Boots KERNEL + INITRD directly with QEMU's -kernel/-initrd (TCG, no UEFI
# firmware, no network) and prints one line
#   floor LABEL <seconds from QEMU start to "Run /init"> <seconds to the first
#   line /init itself prints>
# Guarantees: the clock starts just before QEMU is executed and stops when
# the serial console shows the kernel's "Run /init as init process" line
# (printed at the default log level; a "quiet" CMDLINE would hide it, so the
# script refuses one).  Fails (exit 1, no figure) after FLOOR_TIMEOUT seconds.
set -euo pipefail
. "$(dirname "$0")/../../tests/qemu/cpu.sh"   # QEMU_CPU_ARGS, as the chain's node
label=$1 kernel=$2 initrd=$3 cmdline=${4:-console=ttyS0}
timeout_s=${FLOOR_TIMEOUT:-120}
case " $cmdline " in *" quiet "*) echo "floor.sh: 'quiet' hides the /init line" >&2; exit 2;; esac
for f in "$kernel" "$initrd"; do [ -r "$f" ] || { echo "floor.sh: missing $f" >&2; exit 1; }; done
dir=$(mktemp -d); log=$dir/console.log; : >"$log"
trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null; rm -rf "$dir"' EXIT
t0=$(date +%s.%N)
qemu-system-x86_64 -accel tcg "${QEMU_CPU_ARGS[@]}" -machine q35 -m 1024 -display none -monitor none \
  -no-reboot -net none -serial file:"$log" \
  -kernel "$kernel" -initrd "$initrd" -append "$cmdline" 2>/dev/null &
qpid=$!
t_init=""; t_first=""
while :; do
  now=$(date +%s.%N)
  if [ -z "$t_init" ] && grep -aq 'Run /init as init process' "$log"; then t_init=$now; fi
  if [ -n "$t_init" ] && grep -aA200 'Run /init as init process' "$log" | tail -n +2 |
       tr -d '\r' | grep -aqv '^\[ *[0-9.]*\]\|^ *$'; then t_first=$now; break; fi
  if ! kill -0 $qpid 2>/dev/null; then break; fi
  if [ "$(echo "$now - $t0 > $timeout_s" | bc)" = 1 ]; then break; fi
  sleep 0.05
done
[ -n "$t_init" ] || { echo "floor.sh: $label never reached /init (log: $(tail -c 300 "$log"))" >&2; exit 1; }
[ -n "$t_first" ] || t_first=$t_init
printf 'floor %s %.2f %.2f\n' "$label" "$(echo "$t_init - $t0" | bc)" "$(echo "$t_first - $t0" | bc)"
