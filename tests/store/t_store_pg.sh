#!/bin/bash
# t_store_pg: the store's whole unit table (build/tests/test_store) against a
# REAL PostgreSQL 15 started here (tests/store/pg.sh), including a scan of
# its data directory and WAL for secrets; then two separate processes race
# to redeem the same tokens on that one server (store-bench --race): every
# token must be accepted exactly once; then the server is crashed
# (immediate stop) and the client killed during issue/redeem streams: no
# acknowledged token or redemption may be lost.  Prints TAP lines.
. "$(dirname "$0")/../lib/tap.sh"
T=$O/tests/test_store B=$O/bin/store-bench
need_built "$T" "$B"
dir=$(mktemp -d /tmp/epoxy-t-store-pg.XXXXXX) || bail "mktemp"
at_exit tests/store/pg.sh stop "$dir"
conn=$(tests/store/pg.sh start "$dir" 15432) || bail "PostgreSQL 15 started in $dir"
pass "PostgreSQL 15 started in $dir"

# the unit table: its own TAP lines count in the summary
EPOXY_TEST_PG="$conn" EPOXY_TEST_PGDATA="$dir/data" "$T" >"$dir/unit.log" 2>&1; rc=$?
while IFS= read -r line; do
  case $line in
    "ok "*) pass "pg: ${line#ok * - }" ;;
    "not ok "*) fail "pg: ${line#not ok * - }" ;;
  esac
done <"$dir/unit.log"
ok $rc "test_store against PostgreSQL exited $rc"

# the unit table leaves a deliberately broken audit chain: the process
# tests get their own database
conn=$(tests/store/pg.sh createdb "$dir" epoxy2) || bail "a second database"
# two processes x 2 connections each on one server, same tokens
out=$("$B" --race --procs 2 --threads 2 --tokens 500 "postgres:$conn" 2>&1); rc=$?
diag "$out"
ok $rc "two processes on one PostgreSQL: every token redeemed exactly once"

# crash the SERVER (immediate stop: no checkpoint, WAL recovery) at random
# moments of an issue/redeem stream, 5 times
out=$(EPOXY_CRASH_CMD="tests/store/pg.sh crash $dir" "$B" --crash 5 "postgres:$conn" 2>&1); rc=$?
diag "$out"
echo "$out" | grep -Eq 'acknowledged=[1-9][0-9]* lost=0 resurrected=0 .*audit=ok' || rc=1
ok $rc "PostgreSQL crashed 5 times mid-stream: no acknowledged token or redemption lost or resurrected"
echo "$out" | grep -q 'reconnected=5 '; ok $? "the client's connection came back by itself after each of the 5 server crashes"

# the client side dies instead: kill -9 of the issuing process, 10 times
out=$("$B" --crash 10 "postgres:$conn" 2>&1); rc=$?
diag "$out"
echo "$out" | grep -Eq 'acknowledged=[1-9][0-9]* lost=0 resurrected=0 .*audit=ok' || rc=1
ok $rc "kill -9 of a PostgreSQL client 10 times mid-stream: nothing acknowledged lost"
done_testing
