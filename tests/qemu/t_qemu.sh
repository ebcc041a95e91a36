#!/bin/bash
# t_qemu.sh [--full]: the QEMU scenarios of the chain, as TAP.
#
# `make check` runs the quick set (the happy path on both boot paths: iPXE
# on a dnsmasq site network with every check of happy-uefi, which it
# includes, and direct; four refusals and the three dbx scenarios; the
# firmware's refusal of a tampered stage1 and the script's EPOXY-E1401,
# stage1-byte's, are tests/images/t_firmware.sh's); `make
# check-qemu-full` passes --full and runs every tests/qemu/scenarios/*.scn,
# then tests/qemu/run-rollout (two nodes, a rollout with canaries) and
# tests/qemu/run-measure (the measurement services' data to the archive).
# Scenarios run one after the other (TCG on two shared cores), each on its
# own ports (18400 + 4*(i mod 24): they run one at a time and each stops
# what it started; server_start takes the first free pair up to 18498) and
# in its own work dir $O/qemu/<name>.  A
# scenario that cannot run because a piece is missing fails; nothing skips.
# TEST_SHARD=K/N (tests/run.sh runs three parts) runs the Kth of every N
# scenarios of the list, on the same ports as in the whole list; with
# TEST_QUEUE=DIR too (an existing directory the N parts share), a part
# runs instead each scenario it claims first (mkdir DIR/NAME), in the
# list's order, longest first, so the parts balance themselves.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
# the quick set, longest first (seconds of a make check on two cores)
QUICK="dbx-retire dhcp-ipxe happy-direct dbx-otherkey prod-initramfs-tampered mitm-kernel
  wrong-credential dbx-changed stage0-unsigned"
if [ "${1:-}" = --full ]; then
  list=$(for f in tests/qemu/scenarios/*.scn; do basename "$f" .scn; done)
else
  list=${QEMU_SCENARIOS:-$QUICK}
fi
shard=${TEST_SHARD:-1/1}; k=${shard%/*} n=${shard#*/}
if ! [[ $k =~ ^[1-9]$ && $n =~ ^[1-9]$ ]] || [ "$k" -gt "$n" ]; then
  echo "TEST_SHARD=$shard: K/N, 1 <= K <= N < 10" >&2; exit 2
fi
queue=${TEST_QUEUE:-}
if [ -n "$queue" ] && [ ! -d "$queue" ]; then
  echo "TEST_QUEUE=$queue: not a directory" >&2; exit 2
fi
# both sets start with the slivers on a node (tests/qemu/run-slivers: cgroup
# v2 limits measured by the node's kernel; the longest), unless
# QEMU_SCENARIOS names others
if [ "${1:-}" = --full ] || [ -z "${QEMU_SCENARIOS:-}" ]; then
  list="slivers $list"
fi
# one enrollment boot per node, boot path and build; the scenarios after
# the first copy its VARS with their own credential (mkvars-cache.sh)
export QEMU_MKVARS=$PWD/tests/qemu/mkvars-cache.sh QEMU_VARS_CACHE=$O/qemu/vars-cache
rc=0; i=0 ran=0
for s in $list; do
  if [ -n "$queue" ]; then
    mkdir "$queue/$s" 2>/dev/null || { i=$((i + 1)); continue; }
  else
    [ $((i % n + 1)) = "$k" ] || { i=$((i + 1)); continue; }
  fi
  t0=$(date +%s)
  if [ "$s" = slivers ]; then
    QEMU_PORT_BASE=18450 tests/qemu/run-slivers || rc=1
  else
    QEMU_PORT_BASE=$((18400 + 4 * (i % 24))) tests/qemu/run-scenario "tests/qemu/scenarios/$s.scn" || rc=1
  fi
  echo "# scenario $s took $(( $(date +%s) - t0 )) s"
  i=$((i + 1)) ran=$((ran + 1))
done
# the full set also runs the two-node rollout (tests/qemu/run-rollout) and
# the measurement services' data path (tests/qemu/run-measure), each once:
# claimed like a scenario, so two parts never run one on the same ports
if [ "${1:-}" = --full ]; then
  for s in rollout measure; do
    if [ -n "$queue" ]; then
      mkdir "$queue/$s" 2>/dev/null || { i=$((i + 1)); continue; }
    else
      [ $((i % n + 1)) = "$k" ] || { i=$((i + 1)); continue; }
    fi
    t0=$(date +%s)
    case $s in
      rollout) QEMU_PORT_BASE=18460 tests/qemu/run-rollout || rc=1 ;;
      measure) QEMU_PORT_BASE=18488 tests/qemu/run-measure || rc=1 ;;
    esac
    echo "# scenario $s took $(( $(date +%s) - t0 )) s"
    i=$((i + 1)) ran=$((ran + 1))
  done
fi
# a part that starts after the others took the whole queue has nothing to
# run; run.sh accounts this line (and only with a queue) as no test at all
# rather than a part that ran none by mistake
if [ "$ran" = 0 ] && [ -n "$queue" ]; then
  echo "# claimed none: the other parts of $shard took every scenario"
fi
exit $rc
