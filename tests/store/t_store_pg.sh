#!/bin/bash
# t_store_pg: the store's whole unit table (build/tests/test_store) against a
# REAL PostgreSQL 15 started here (tests/store/pg.sh), including a scan of
# its data directory and WAL for secrets; then two separate processes race
# to redeem the same tokens on that one server (store-bench --race): every
# token must be accepted exactly once; then the server is crashed
# (immediate stop) and the client killed during issue/redeem streams: no
# acknowledged token or redemption may be lost.  Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}
T=$O/tests/test_store B=$O/bin/store-bench
n=0
tap() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
for f in "$T" "$B"; do
  [ -x "$f" ] || { echo "not ok 1 - $f not built (make O=$O check builds it)"; exit 1; }
done
dir=$(mktemp -d /tmp/epoxy-t-store-pg.XXXXXX)
trap 'tests/store/pg.sh stop "$dir"' EXIT
conn=$(tests/store/pg.sh start "$dir" 15432); rc=$?
tap $rc "PostgreSQL 15 started in $dir"
[ $rc = 0 ] || exit 1

# the unit table: its own TAP lines count in the summary
EPOXY_TEST_PG="$conn" EPOXY_TEST_PGDATA="$dir/data" "$T" >"$dir/unit.log" 2>&1; rc=$?
grep -E '^(ok|not ok) ' "$dir/unit.log" | sed 's/^\(not \)\{0,1\}ok [0-9]* - /&pg: /'
tap $rc "test_store against PostgreSQL exited $rc"

# the unit table leaves a deliberately broken audit chain: the process
# tests get their own database
conn=$(tests/store/pg.sh createdb "$dir" epoxy2)
# two processes x 2 connections each on one server, same tokens
out=$("$B" --race --procs 2 --threads 2 --tokens 500 "postgres:$conn" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
tap $rc "two processes on one PostgreSQL: every token redeemed exactly once"

# crash the SERVER (immediate stop: no checkpoint, WAL recovery) at random
# moments of an issue/redeem stream, 5 times
out=$(EPOXY_CRASH_CMD="tests/store/pg.sh crash $dir" "$B" --crash 5 "postgres:$conn" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
echo "$out" | grep -Eq 'acknowledged=[1-9][0-9]* lost=0 resurrected=0 .*audit=ok' || rc=1
tap $rc "PostgreSQL crashed 5 times mid-stream: no acknowledged token or redemption lost or resurrected"
echo "$out" | grep -q 'reconnected=5 '; tap $? "the client's connection came back by itself after each of the 5 server crashes"

# the client side dies instead: kill -9 of the issuing process, 10 times
out=$("$B" --crash 10 "postgres:$conn" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
echo "$out" | grep -Eq 'acknowledged=[1-9][0-9]* lost=0 resurrected=0 .*audit=ok' || rc=1
tap $rc "kill -9 of a PostgreSQL client 10 times mid-stream: nothing acknowledged lost"
exit 0
