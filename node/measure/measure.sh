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
# Both services log to /out/log/NAME.log and write their metrics to
# /out/metrics/NAME.prom; /out/ready holds "up" once both metrics exist.
# Guarantees: it never prints or copies a key; it never runs as root
# (refuses uid 0); it waits for both services and exits with the first
# failure's status, so the node manager sees a dead sliver.
set -u
[ "$(id -u)" != 0 ] || { echo "measure: refusing to run as root" >&2; exit 2; }
S=${1:?usage: measure https://SERVER[:PORT] [ADDR]}
A=${2:-}
C=/run/epoxy-archive
D=/out/data; P=/out/spool; M=/out/metrics; L=/out/log
mkdir -p "$D/ndt/tcpinfo" "$P" "$M" "$L" || exit 1
i=0
while { [ ! -r $C/archive.crt ] || [ ! -r $C/archive.key ]; } && [ $i -lt 120 ]; do
	sleep 1; i=$((i + 1))
done
[ -r $C/archive.crt ] || { echo "measure: no archive certificate in $C" >&2; exit 1; }
# shellcheck disable=SC2086 # the options' words
epoxy-tcpinfo --priv "${EPOXY_PRIV:?no epoxy-priv socket}" -d "$D/ndt/tcpinfo" \
	-H "${EPOXY_HOST:?no node name}" -M "$M/tcpinfo.prom" ${MEASURE_TCPINFO:-} \
	2>"$L/tcpinfo.log" &
t=$!
set -- --data "$D" --spool "$P" --server "$S" --ca /etc/epoxy-ca.pem \
	--cert $C/archive.crt --key $C/archive.key --metrics "$M/pusher.prom"
[ -n "$A" ] && set -- "$@" --addr "$A"
# shellcheck disable=SC2086 # the options' words
epoxy-pusher "$@" ${MEASURE_PUSHER:-} 2>"$L/pusher.log" &
p=$!
i=0
while { [ ! -s "$M/tcpinfo.prom" ] || [ ! -s "$M/pusher.prom" ]; } && [ $i -lt 60 ]; do
	sleep 1; i=$((i + 1))
done
[ -s "$M/tcpinfo.prom" ] && [ -s "$M/pusher.prom" ] && echo up >/out/ready
trap 'kill -TERM $t $p 2>/dev/null' TERM INT
wait $t; rt=$?
wait $p; rp=$?
[ $rt != 0 ] && exit $rt
exit $rp
