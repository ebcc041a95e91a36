#!/bin/bash
# run.sh: every epoxyd benchmark in one run (make O=... first).
cd "$(dirname "$0")/../.." || exit 1
export O=${O:-$PWD/build}
bench/server/throughput.sh; r1=$?
bench/server/storm.sh; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ]
