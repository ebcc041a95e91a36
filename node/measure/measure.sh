#!/bin/sh
# /bin/measure: the measurement slice's entry (its image, made by
# stage1/measure-image.sh; docs/guide/70-measurement.md, "On a node").
# Runs, inside the sliver, as the sliver's own uid:
#   epoxy-tcpinfo --priv $EPOXY_PRIV   the node's TCP connections through
#       epoxy-priv (the slice's grant sock_diag), into /out/data/ndt/tcpinfo
#   epoxy-pusher   /out/data to epoxyd's archive with the archive-only
#       certificate of /run/epoxy-archive (the slice's grant archive)
# Usage (the slice's entry): /bin/measure https://SERVER[:PORT] [ADDR] [ARGS]
#   ADDR: the server's IPv4 address ("" or absent: SERVER resolved);
#   MEASURE_TCPINFO, MEASURE_PUSHER: more options of each service.
#   MEASURE_UP_WAIT: seconds epoxy-tcpinfo has to come up (default 30).
# Both services log to /out/log/NAME.log and write their metrics to
# /out/metrics/NAME.prom; /out/ready holds "up" once both metrics exist.
# Guarantees: it never prints or copies a key; it never runs as root
# (refuses uid 0); epoxy-pusher starts only once epoxy-tcpinfo is up (its
# metrics file written by this run: a file of an earlier run is removed
# first), and when it does not come up within MEASURE_UP_WAIT seconds or
# exits first, measure says so on stderr, with the tail of its log, and
# exits 1 (or its status) without starting the pusher; when either
# service ends, it stops the other and exits with the failed one's
# status, so the node manager sees a dead sliver.  MEASURE_ROOT and MEASURE_CERTS (tests
# only) stand for /out and /run/epoxy-archive.
set -u
[ "$(id -u)" != 0 ] || { echo "measure: refusing to run as root" >&2; exit 2; }
S=${1:?usage: measure https://SERVER[:PORT] [ADDR]}
A=${2:-}
C=${MEASURE_CERTS:-/run/epoxy-archive}
R=${MEASURE_ROOT:-/out}
W=${MEASURE_UP_WAIT:-30}
case $W in ''|*[!0-9]*) echo "measure: MEASURE_UP_WAIT '$W' is not a number of seconds" >&2; exit 2;; esac
D=$R/data; P=$R/spool; M=$R/metrics; L=$R/log
mkdir -p "$D/ndt/tcpinfo" "$P" "$M" "$L" || exit 1
# what an earlier run left says nothing about this one
rm -f "$R/ready" "$M/tcpinfo.prom" "$M/pusher.prom"
i=0
while { [ ! -r "$C/archive.crt" ] || [ ! -r "$C/archive.key" ]; } && [ $i -lt 120 ]; do
	sleep 1; i=$((i + 1))
done
[ -r "$C/archive.crt" ] || { echo "measure: no archive certificate in $C" >&2; exit 1; }
# shellcheck disable=SC2086 # the options' words
epoxy-tcpinfo --priv "${EPOXY_PRIV:?no epoxy-priv socket}" -d "$D/ndt/tcpinfo" \
	-H "${EPOXY_HOST:?no node name}" -M "$M/tcpinfo.prom" ${MEASURE_TCPINFO:-} \
	2>"$L/tcpinfo.log" &
t=$!
# the pusher only once epoxy-tcpinfo is up: its metrics file written
i=0
while [ ! -s "$M/tcpinfo.prom" ] && kill -0 $t 2>/dev/null && [ $i -lt $((W * 5)) ]; do
	sleep 0.2; i=$((i + 1))
done
if [ ! -s "$M/tcpinfo.prom" ]; then
	if kill -0 $t 2>/dev/null; then
		echo "measure: epoxy-tcpinfo not up after $W s (no $M/tcpinfo.prom); stopping it" >&2
		kill -TERM $t 2>/dev/null
		wait $t
		rt=1
	else
		wait $t; rt=$?
		echo "measure: epoxy-tcpinfo exited with status $rt before it was up" >&2
		[ $rt != 0 ] || rt=1
	fi
	echo "measure: the pusher is not started; the end of $L/tcpinfo.log:" >&2
	tail -n 5 "$L/tcpinfo.log" >&2
	exit $rt
fi
set -- --data "$D" --spool "$P" --server "$S" --ca /etc/epoxy-ca.pem \
	--cert "$C/archive.crt" --key "$C/archive.key" --metrics "$M/pusher.prom"
[ -n "$A" ] && set -- "$@" --addr "$A"
# shellcheck disable=SC2086 # the options' words
epoxy-pusher "$@" ${MEASURE_PUSHER:-} 2>"$L/pusher.log" &
p=$!
i=0
while { [ ! -s "$M/tcpinfo.prom" ] || [ ! -s "$M/pusher.prom" ]; } && [ $i -lt 60 ]; do
	sleep 1; i=$((i + 1))
done
[ -s "$M/tcpinfo.prom" ] && [ -s "$M/pusher.prom" ] && echo up >"$R/ready"
trap 'kill -TERM $t $p 2>/dev/null' TERM INT
# whichever service ends first ends measure: the other one is stopped
# (the pusher uploads what it holds within its grace period) and the node
# manager starts the sliver again; a wait on one alone would not see the
# other die (BusyBox ash has no wait -n)
while kill -0 $t 2>/dev/null && kill -0 $p 2>/dev/null; do sleep 1; done
kill -TERM $t $p 2>/dev/null
wait $t; rt=$?
wait $p; rp=$?
[ $rt != 0 ] && [ $rt != 143 ] && exit $rt
[ $rp != 0 ] && [ $rp != 143 ] && exit $rp
[ $rt != 0 ] && exit $rt
exit $rp
