#!/bin/bash
# fwd.sh HOSTPORT CUTBYTES STATEFILE: QEMU guestfwd command; joins the
# guest's connection (stdin/stdout) to epoxyd on 127.0.0.1:HOSTPORT.
#
# With CUTBYTES > 0 it emulates a link cut: the first connection that
# carries CUTBYTES bytes toward the guest is closed right there, in the
# middle of whatever it was sending, and STATEFILE records that the cut
# happened; every later connection (and every connection when CUTBYTES is
# 0) is passed through untouched.  (stdbuf -o0: head writes what it reads at once, so
# small TLS records are not held back; a socket cannot be reopened through
# /dev/fd, so head writes to the inherited stdout itself.)
# socat -t: after epoxyd closed its side (Connection: close), socat would
# wait its default 0.5 s before it ends and the guest sees the close; the
# agent waits for that close after each response (a longer body is a lie),
# so the default added 0.5 s to every request of the chain.
port=$1 cut=${2:-0} state=${3:-/nonexistent}
if [ "$cut" = 0 ] || [ -e "$state" ]; then
  exec socat -t 0.02 - "TCP:127.0.0.1:$port"
fi
# head writes to the guest itself; when it stops at CUTBYTES, socat's next
# write fails (SIGPIPE): a non-zero socat status is how a cut shows
socat -t 0.02 - "TCP:127.0.0.1:$port" 2>/dev/null | stdbuf -o0 head -c "$cut"
if [ "${PIPESTATUS[0]}" != 0 ]; then
  echo "link cut after $cut bytes $(date +%s.%N)" >>"$state"
fi
exit 0
