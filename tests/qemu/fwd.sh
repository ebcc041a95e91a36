#!/bin/bash
# fwd.sh HOSTPORT CUTBYTES STATEFILE: QEMU guestfwd command; joins the
# guest's connection (stdin/stdout) to epoxyd on 127.0.0.1:HOSTPORT.
#
# With CUTBYTES > 0 it emulates a link cut: the first connection that
# carries CUTBYTES bytes toward the guest is closed right there, in the
# middle of whatever it was sending, and STATEFILE records that the cut
# happened; every later connection (and every connection when CUTBYTES is
# 0) is passed through untouched.
port=$1 cut=${2:-0} state=${3:-/nonexistent}
if [ "$cut" = 0 ] || [ -e "$state" ]; then
  exec socat - "TCP:127.0.0.1:$port"
fi
exec 3>&1
n=$(socat - "TCP:127.0.0.1:$port" | head -c "$cut" | tee /dev/fd/3 | wc -c)
if [ "$n" -ge "$cut" ]; then
  echo "link cut after $n bytes $(date +%s.%N)" >>"$state"
fi
exit 0
