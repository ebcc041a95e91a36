#!/bin/bash
# t_store_crash: kill -9 a process that issues and redeems tokens through the
# SQLite store, 30 times at random moments (store-bench --crash); then every
# acknowledged token must still exist, no acknowledged redemption may be
# spendable again, the audit chain must verify and no token of the run may
# be in the database file or its WAL.  SIGKILL tests atomicity of commits
# under a process crash; power loss (fsync) is not simulated here.  Then the exactly-once
# race across two processes on one SQLite file.  Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}
B=$O/bin/store-bench
[ -x "$B" ] || { echo "not ok 1 - $B not built"; exit 1; }
dir=$(mktemp -d /tmp/epoxy-t-store-crash.XXXXXX)
trap 'rm -rf "$dir"' EXIT

out=$("$B" --crash 30 "sqlite:$dir/crash.db" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc = 0 ] && echo "$out" | grep -Eq 'acknowledged=[1-9][0-9]* lost=0 resurrected=0 .*audit=ok'; then
  echo "ok 1 - sqlite: 30 kill -9 during issue/redeem: nothing acknowledged lost or resurrected"
else
  echo "not ok 1 - sqlite: crash test (rc $rc)"
fi
if [ $rc = 0 ] && echo "$out" | grep -q ' secrets_in_db=0$'; then
  echo "ok 2 - sqlite: none of the crash run's tokens (hex or raw) in the db or its -wal"
else
  echo "not ok 2 - sqlite: token found in the db after crashes, or scan failed"
fi

out=$("$B" --race --procs 2 --threads 2 --tokens 500 "sqlite:$dir/race.db" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] && echo "ok 3 - sqlite: two processes x 2 connections, every token accepted exactly once" \
  || echo "not ok 3 - sqlite: two-process race (rc $rc)"

