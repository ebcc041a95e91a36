# shellcheck shell=dash # busybox ash on the node: checked as dash
# measure-node.sh: the node's half of tests/qemu/run-measure.  run-measure
# appends it to a test release's join script (testrel.sh; the production
# image never carries it): once the node has joined, it starts the
# measurement services as node services (no sliver yet: see
# docs/guide/70-measurement.md, "On a node") and opens the connections,
# printing to the console, prefixed "epoxy-test:":
#   svc-cert N             the node services' certificate (epoxy-nm
#                          --service-cert) is there, N bytes of PEM;
#   services up            epoxy-tcpinfo and epoxy-pusher are running;
#   sink N of M answered in S s   the M connections to the host's sink
#                          (10.0.2.100:9000, a slirp door) were made one
#                          after another, N of them read the sink's answer;
#   tcpinfo opens A closes C snapshots S files F   epoxy-tcpinfo's metrics
#                          once C reaches M;
#   pusher uploaded B bytes Y backlog F retries R   epoxy-pusher's metrics
#                          once its backlog is empty after an upload;
#   log NAME: LINE         the services' logs at the end, EPOXY codes
#                          spelled "EPOXY-e" (the runner forbids codes on
#                          the console; these lines are for a post-mortem).
# Environment: the join script's ($EPOXY_SERVER, $EPOXY_SERVER_PORT,
# $EPOXY_SERVER_ADDR) and MEASURE_CONNS (set by the runner's copy).
# Guarantees: it never prints a key or a credential; every wait is bounded.
epoxy_test_measure() {
	C=/run/epoxy/svc; D=/var/spool/epoxy/data; P=/var/spool/epoxy/pusher; T=/tmp/epoxy-test
	mkdir -p $D/ndt/tcpinfo $P $T
	i=0
	while [ ! -s $C/node.crt ] && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done
	[ -s $C/node.crt ] || { echo "epoxy-test: no svc-cert"; return 1; }
	echo "epoxy-test: svc-cert $(wc -c <$C/node.crt)"
	# only the sink's port is recorded (not the node's own TLS to epoxyd);
	# no --scan-age: epoxy-tcpinfo makes the day's directory and writes its
	# first file before the pusher watches that directory; the pusher's
	# scan of each new directory takes such a file as closed once no one
	# holds it open for writing (before that fix the first run bundled 19
	# of 20 files, and this script passed --scan-age 10)
	epoxy-tcpinfo -d $D/ndt/tcpinfo -H "$(cat /run/epoxy/joined)" -p 9000 -f 2 \
		-M $T/tcpinfo.prom 2>$T/tcpinfo.log &
	epoxy-pusher --data $D --spool $P \
		--server "https://$EPOXY_SERVER:$EPOXY_SERVER_PORT" --addr "$EPOXY_SERVER_ADDR" \
		--ca /etc/epoxy/ca.pem --cert $C/node.crt --key $C/node.key \
		--quiet 2 --age-min 20 --age-max 25 --scan-every 5 --backoff-max 5 \
		--metrics $T/pusher.prom 2>$T/pusher.log &
	i=0
	while { [ ! -s $T/tcpinfo.prom ] || [ ! -s $T/pusher.prom ]; } && [ $i -lt 60 ]; do
		sleep 1; i=$((i + 1))
	done
	echo "epoxy-test: services up"
	i=0; n=0; t0=$(date +%s)
	while [ $i -lt "$MEASURE_CONNS" ]; do
		i=$((i + 1))
		printf 'measure %d\n' $i | nc 10.0.2.100 9000 >$T/sink.$i 2>/dev/null
		[ "$(wc -c <$T/sink.$i)" -ge 32768 ] && n=$((n + 1))
		rm -f $T/sink.$i
	done
	echo "epoxy-test: sink $n of $MEASURE_CONNS answered in $(($(date +%s) - t0)) s"
	m() { awk -v k="$2" '$1 == k {print $2}' "$T/$1.prom" 2>/dev/null; }
	i=0
	while [ "$(m tcpinfo tcpinfo_closes_total)" != "$MEASURE_CONNS" ] && [ $i -lt 60 ]; do
		sleep 1; i=$((i + 1))
	done
	echo "epoxy-test: tcpinfo opens $(m tcpinfo tcpinfo_opens_total)" \
		"closes $(m tcpinfo tcpinfo_closes_total) snapshots $(m tcpinfo tcpinfo_snapshots_total)" \
		"files $(m tcpinfo tcpinfo_files_total)"
	i=0
	while { [ "$(m pusher epoxy_pusher_bundles_uploaded_total)" = 0 ] ||
		[ "$(m pusher epoxy_pusher_backlog_files)" != 0 ] ||
		[ "$(m pusher epoxy_pusher_pending_bundles)" != 0 ]; } && [ $i -lt 180 ]; do
		sleep 1; i=$((i + 1))
	done
	echo "epoxy-test: pusher uploaded $(m pusher epoxy_pusher_bundles_uploaded_total)" \
		"bytes $(m pusher epoxy_pusher_uploaded_bytes_total)" \
		"backlog $(m pusher epoxy_pusher_backlog_files)" \
		"retries $(m pusher epoxy_pusher_upload_retries_total)"
	for l in tcpinfo pusher; do
		tail -n 5 $T/$l.log | sed "s/EPOXY-E/EPOXY-e/g; s/^/epoxy-test: log $l: /"
	done
}
