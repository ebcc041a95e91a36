#!/bin/bash
# check-late.sh LOGDIR FLAG "KERNELS" "LATE": make check's background build
# of the images (the Makefile's check runs it at nice 19 in its own
# session, so that a failed build of the test programs can stop it).
#  1. builds KERNELS (the downloads, the unpacking and the stage1 kernel's
#     build: they need only the keys) at once, beside the build of the
#     test programs;
#  2. waits until FLAG exists (that build is over: two makes never build
#     one target); FLAG holding "failed" ends here;
#  3. builds LATE (every other image).
# Writes its exit status to LOGDIR/late-build.rc (tests/run.sh waits for
# it) and its output to LOGDIR/late-build.log.
set -u
[ $# = 4 ] || { echo "usage: check-late.sh LOGDIR FLAG KERNELS LATE" >&2; exit 2; }
logs=$1 flag=$2 kernels=$3 late=$4
log=$logs/late-build.log
# shellcheck disable=SC2086 # lists of make targets
${MAKE:-make} --no-print-directory $kernels >"$log" 2>&1; rc=$?
while [ ! -e "$flag" ]; do sleep 2; done
if [ "$(cat "$flag")" = failed ]; then
  rc=1
elif [ "$rc" = 0 ]; then
  # shellcheck disable=SC2086
  ${MAKE:-make} --no-print-directory $late >>"$log" 2>&1; rc=$?
fi
echo "$rc" >"$logs/late-build.rc.tmp"
mv "$logs/late-build.rc.tmp" "$logs/late-build.rc"
exit "$rc"
