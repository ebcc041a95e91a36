# shellcheck shell=dash # busybox ash on the node: checked as dash
# measure-node.sh: the node's half of tests/qemu/run-measure.  run-measure
# appends it to a test release's join script (testrel.sh; the production
# image never carries it).  The measurement services run in the sliver of
# the slice "measure" (its image's /bin/measure, node/measure/measure.sh);
# this half only looks at them from the node and opens the connections,
# printing to the console, prefixed "epoxy-test:":
#   sliver uids T P root R       the uids of epoxy-tcpinfo and epoxy-pusher
#                          (the sliver's own, from /proc/PID/status) and
#                          whether their root is not the node's (R: own);
#   sliver run A               the files of /run in the sliver: A (only the
#                          archive certificate's directory and epoxy-priv's);
#   sliver pem F               every file holding PEM under the sliver's
#                          /run, /out, /etc, /tmp: F (the archive pair and
#                          the image's fleet CA, no node certificate);
#   archive cert OU N          archive.crt's subject carries epoxy-archive
#                          (N: how often the bytes hold it);
#   services up                /out/ready of the sliver says both run;
#   sink N of M answered in S s   the M connections to the host's sink
#                          (10.0.2.100:9000, a slirp door), one after
#                          another, N of them read the sink's answer;
#   tcpinfo opens A closes C snapshots S files F   epoxy-tcpinfo's metrics
#                          once C reaches M;
#   pusher uploaded B bytes Y backlog F retries R   epoxy-pusher's metrics
#                          once its backlog is empty after an upload;
#   log NAME: LINE         the services' logs at the end, EPOXY codes
#                          spelled "EPOXY-e" (the runner forbids codes on
#                          the console; these lines are for a post-mortem).
# Environment: MEASURE_CONNS (set by the runner's copy).
# Guarantees: it never prints a key or a credential; every wait is bounded.
epoxy_test_measure() {
	i=0; tp=''; pp=''
	while { [ -z "$tp" ] || [ -z "$pp" ]; } && [ $i -lt 400 ]; do
		for d in /proc/[0-9]*; do
			case "$(cat "$d/comm" 2>/dev/null)" in
			epoxy-tcpinfo) tp=${d#/proc/} ;;
			epoxy-pusher) pp=${d#/proc/} ;;
			esac
		done
		[ -n "$tp" ] && [ -n "$pp" ] && break
		sleep 1; i=$((i + 1))
	done
	if [ -z "$tp" ] || [ -z "$pp" ]; then echo "epoxy-test: no sliver services"; return 1; fi
	u() { awk '$1 == "Uid:" {print $2}' "/proc/$1/status"; }
	r=node
	[ "$(stat -Lc %d:%i "/proc/$tp/root")" != "$(stat -Lc %d:%i /)" ] && r=own
	echo "epoxy-test: sliver uids $(u "$tp") $(u "$pp") root $r"
	S=/proc/$tp/root
	echo "epoxy-test: sliver run $(cd "$S/run" && find . -mindepth 1 | sort | tr '\n' ' ')"
	echo "epoxy-test: sliver pem $(cd "$S" && grep -rl -e '-----BEGIN' run out etc tmp 2>/dev/null |
		sort | tr '\n' ' ')"
	echo "epoxy-test: archive cert OU $(sed '/-----/d' "$S/run/epoxy-archive/archive.crt" |
		base64 -d 2>/dev/null | grep -c epoxy-archive)"
	T=$S/out
	i=0
	while [ "$(cat "$T/ready" 2>/dev/null)" != up ] && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done
	[ "$(cat "$T/ready" 2>/dev/null)" = up ] && echo "epoxy-test: services up"
	i=0; n=0; t0=$(date +%s)
	while [ $i -lt "$MEASURE_CONNS" ]; do
		i=$((i + 1))
		printf 'measure %d\n' $i | nc 10.0.2.100 9000 >/tmp/sink.$i 2>/dev/null
		[ "$(wc -c </tmp/sink.$i)" -ge 32768 ] && n=$((n + 1))
		rm -f /tmp/sink.$i
	done
	echo "epoxy-test: sink $n of $MEASURE_CONNS answered in $(($(date +%s) - t0)) s"
	m() { awk -v k="$2" '$1 == k {print $2}' "$T/metrics/$1.prom" 2>/dev/null; }
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
		tail -n 5 "$T/log/$l.log" | sed "s/EPOXY-E/EPOXY-e/g; s/^/epoxy-test: log $l: /"
	done
}
