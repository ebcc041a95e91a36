#!/bin/bash
# bench/store/run.sh: durable token redemptions per second, SQLite and
# PostgreSQL side by side, in one run.
#
#   bench/store/run.sh [TOKENS] [THREADS]      (defaults 4000 and 2)
#
# Needs $O/bin/store-bench (make O=... all).  SQLite: a fresh file in a temp
# dir (WAL, synchronous=FULL).  PostgreSQL: a fresh server from
# tests/store/pg.sh on socket port 15433 (fsync and synchronous_commit on).
# For each backend: "split" (each token redeemed once by one of THREADS
# connections: the throughput figure) and "race" (2 processes x THREADS
# connections all redeem every token: exactly-once check under contention).
set -eu
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}
B=$O/bin/store-bench
N=${1:-4000} T=${2:-2}
[ -x "$B" ] || { echo "run.sh: $B missing: make O=$O all" >&2; exit 1; }
tmp=$(mktemp -d /tmp/epoxy-bench-store.XXXXXX); chmod 0755 "$tmp"
trap 'tests/store/pg.sh stop "$tmp/pg"; rm -rf "$tmp"' EXIT
conn=$(tests/store/pg.sh start "$tmp/pg" 15433)
pick() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
printf '%-9s %-6s %8s %8s %12s %12s %10s\n' backend mode tokens workers issue/s redeem/s "exactly-1"
for b in sqlite postgres; do
  for mode in split race; do
    if [ $b = sqlite ]; then uri="sqlite:$tmp/$mode.db"; else uri="postgres:$conn"; fi
    args=(--tokens "$N" --threads "$T"); w=$T
    [ $mode = race ] && { args+=(--race --procs 2); w=$((2 * T)); }
    line=$("$B" "${args[@]}" "$uri")
    bad=$(echo "$line" | pick not_exactly_once)
    printf '%-9s %-6s %8s %8s %12s %12s %10s\n' $b $mode "$N" "$w" \
      "$(echo "$line" | pick issue_per_s)" "$(echo "$line" | pick redemptions_per_s)" \
      "$([ "$bad" = 0 ] && echo yes || echo "NO ($bad)")"
  done
done
echo "(redeem/s: tokens accepted per second, each a durable commit; $(nproc) cores, $(uname -r))"
