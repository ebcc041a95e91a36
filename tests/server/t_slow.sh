#!/bin/bash
# t_slow: slow clients never starve healthy ones (issue 13 point 7).  From
# 20 addresses, 60 connections each per listener send an unfinished request
# (plain HTTP) or an unfinished TLS ClientHello (HTTPS) and one more byte
# every 5 s for 40 s, past conn_timeout (30 s): /healthz of a normal client
# answers within 3 s on both listeners all along, and /metrics counts what
# was shed.  A body trickled at a few bytes a second is cut at its deadline;
# the plain-HTTP listener never reads a body.
. "$(dirname "$0")/lib.sh"

[ -x "$BIN/epoxyd-slowloris" ] || { echo "not ok 1 - $BIN/epoxyd-slowloris not built"; exit 1; }
srv_setup 18460 || { echo "not ok 1 - setup"; exit 1; }
srv_start || { echo "not ok 1 - epoxyd did not start"; exit 1; }
ulimit -n 8192 2>/dev/null

"$BIN/epoxyd-slowloris" "$HTTP_PORT" http 20 60 5 40 >"$T_DIR/slow-http" 2>&1 & P1=$!
"$BIN/epoxyd-slowloris" "$HTTPS_PORT" tls 20 60 5 40 >"$T_DIR/slow-tls" 2>&1 & P2=$!
slow_cleanup() { kill "$P1" "$P2" 2>/dev/null; wait "$P1" "$P2" 2>/dev/null; srv_cleanup; }
trap slow_cleanup EXIT
bad=0 tries=0 worst=0
for t in 3 8 14 20 26 32 37; do
	while [ $(( $(date +%s) - ${T0:=$(date +%s)} )) -lt "$t" ]; do sleep 0.5; done
	for l in plain tls; do
		if [ $l = plain ]; then
			r=$(curl -s -m 3 -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$HTTP_PORT/healthz")
		else
			r=$(hs /healthz -m 3 -o /dev/null -w '%{http_code} %{time_total}')
		fi
		tries=$((tries + 1))
		[ "${r%% *}" = 200 ] || { bad=$((bad + 1)); echo "# t=${t}s $l: $r"; }
		worst=$(awk -v a="$worst" -v b="${r#* }" 'BEGIN {print (b > a) ? b : a}')
	done
done
t_is "$bad" 0 "$tries /healthz during the slow-client attack on both listeners: all answered (slowest ${worst}s)"
wait "$P1" "$P2"
echo "# plain: $(cat "$T_DIR/slow-http"); tls: $(cat "$T_DIR/slow-tls")"
hs /metrics >"$T_DIR/metrics"
shed=$(awk '/^epoxyd_conns_shed_total/ {s += $2} END {print s + 0}' "$T_DIR/metrics")
t_ok $(( shed == 0 )) "/metrics counts the slow connections shed ($shed)"
grep -q '^epoxyd_conns_shed_total{reason="header_deadline"}' "$T_DIR/metrics"; t_ok $? "... by reason"

# a body trickled at 50 bytes/s is cut at its deadline, not after 100 KB
head -c 100000 /dev/zero | tr '\0' a >"$T_DIR/body"
t0=$(date +%s)
hs /v1/report -X POST -H 'Expect:' -H 'Content-Type: application/x-www-form-urlencoded' \
	-H "Authorization: Bearer $(printf '0%.0s' {1..64})" --limit-rate 50 -m 60 \
	--data-binary @"$T_DIR/body" -o /dev/null
dt=$(( $(date +%s) - t0 ))
t_ok $(( dt > 25 )) "a body trickled at 50 B/s is cut within the body deadline (${dt}s)"

# the plain-HTTP listener never reads a body, with or without a length
truncate -s 64M "$T_DIR/big"
for te in "" "Transfer-Encoding: chunked"; do
	r=$(curl -s -H 'Expect:' ${te:+-H "$te"} -X POST --data-binary @"$T_DIR/big" -o "$T_DIR/raw" \
		-w '%{http_code} %{size_upload}' "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi")
	t_ok $(( ${r#* } > 524288 )) "plain HTTP POST ${te:-with Content-Length}: $(( ${r#* } / 1024 )) KiB taken (at most 512 KiB), answer ${r%% *}"
done
rm -f "$T_DIR/big"
t_is "$(hp_code /healthz)" 200 "epoxyd healthy at the end"
t_done
