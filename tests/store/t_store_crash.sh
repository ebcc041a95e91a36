#!/bin/bash
# t_store_crash: kill -9 a process that issues and redeems tokens through the
# SQLite store, 30 times at random moments (store-bench --crash); then every
# acknowledged token must still exist, no acknowledged redemption may be
# spendable again, the audit chain must verify and no token of the run may
# be in the database file or its WAL.  SIGKILL tests atomicity of commits
# under a process crash; power loss (fsync) is not simulated here.  Then the exactly-once
# race across two processes on one SQLite file.  Prints TAP lines.
. "$(dirname "$0")/../lib/tap.sh"
B=$O/bin/store-bench
need_built "$B"
tmpdir epoxy-t-store-crash; dir=$T_DIR

out=$("$B" --crash 30 "sqlite:$dir/crash.db" 2>&1); rc=$?
diag "$out"
[ $rc = 0 ] && echo "$out" | grep -Eq 'acknowledged=[1-9][0-9]* lost=0 resurrected=0 .*audit=ok'
ok $? "sqlite: 30 kill -9 during issue/redeem: nothing acknowledged lost or resurrected" "crash test exit $rc"
[ $rc = 0 ] && echo "$out" | grep -q ' secrets_in_db=0$'
ok $? "sqlite: none of the crash run's tokens (hex or raw) in the db or its -wal" \
  "a token found in the db after crashes, or the scan failed"

out=$("$B" --race --procs 2 --threads 2 --tokens 500 "sqlite:$dir/race.db" 2>&1); rc=$?
diag "$out"
ok $rc "sqlite: two processes x 2 connections, every token accepted exactly once"
done_testing
