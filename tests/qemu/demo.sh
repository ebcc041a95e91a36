#!/bin/bash
# demo.sh: `make demo`.  Boots one QEMU node (OVMF with the fleet's Secure
# Boot keys, TCG) through the whole chain against a local epoxyd (SQLite,
# loopback), printing each stage as the serial console shows it, and ends
# with `epoxyctl host show` for the node.
#
# Guarantees: it never pretends.  The stages printed are the ones matched
# on the real console; a missing piece (program, image, key) is named and
# the demo stops non-zero; a stage that does not come within the timeout
# stops it non-zero with the console tail.  The console log is kept at
# $O/demo/console.log, epoxyd's log at $O/demo/epoxyd.log.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
export QEMU_WORKDIR=$O/demo QEMU_PORT_BASE=${DEMO_PORT_BASE:-18496}

echo "== epoxy demo: one node, firmware to joined (QEMU under TCG; this takes a few minutes)"
QEMU_HOOKS=tests/qemu/demo-hooks.sh GRACE=1 tests/qemu/run-scenario tests/qemu/scenarios/happy-uefi.scn |
  grep -v '^ok [0-9]* - happy-uefi: console' | sed 's/^/  /'
rc=${PIPESTATUS[0]}
cp "$QEMU_WORKDIR/console.txt" "$QEMU_WORKDIR/console.clean.log" 2>/dev/null
if [ "$rc" = 0 ]; then echo "== demo: the node joined"; else echo "== demo FAILED (see above)"; fi
exit "$rc"
