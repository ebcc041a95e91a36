#!/bin/bash
# t_slow: slow clients never starve healthy ones (issue 13 point 7).  From
# 20 addresses, 60 connections each per listener send an unfinished request
# (plain HTTP) or an unfinished TLS ClientHello (HTTPS) and one more byte
# every 5 s for 40 s, past conn_timeout (30 s): /healthz of a normal client
# answers within 3 s on both listeners all along, and /metrics counts what
# was shed.  A body trickled at a few bytes a second is cut at its deadline;
# the plain-HTTP listener never reads a body.
. "$(dirname "$0")/../lib/epoxyd.sh"

need_built "$BIN/epoxyd-slowloris"
epoxyd_setup - || bail "set-up"
epoxyd_start || bail "epoxyd did not start"
ulimit -n 8192 2>/dev/null

"$BIN/epoxyd-slowloris" "$HTTP_PORT" http 20 60 5 40 >"$T_DIR/slow-http" 2>&1 & P1=$!
"$BIN/epoxyd-slowloris" "$HTTPS_PORT" tls 20 60 5 40 >"$T_DIR/slow-tls" 2>&1 & P2=$!
at_exit quiet kill "$P1" "$P2"
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
		[ "${r%% *}" = 200 ] || { bad=$((bad + 1)); diag "t=${t}s $l: $r"; }
		worst=$(awk -v a="$worst" -v b="${r#* }" 'BEGIN {print (b > a) ? b : a}')
	done
done
is "$bad" 0 "$tries /healthz during the slow-client attack on both listeners: all answered (slowest ${worst}s)"
wait "$P1" "$P2"
diag "plain: $(cat "$T_DIR/slow-http"); tls: $(cat "$T_DIR/slow-tls")"
hs /metrics >"$T_DIR/metrics"
shed=$(awk '/^epoxyd_conns_shed_total/ {s += $2} END {print s + 0}' "$T_DIR/metrics")
ok $(( shed == 0 )) "/metrics counts the slow connections shed ($shed)"
grep -q '^epoxyd_conns_shed_total{reason="header_deadline"}' "$T_DIR/metrics"; ok $? "... by reason"

# a body trickled at 30 bytes/s is cut at its deadline (body_min_rate
# 1024 B/s after 5 s), not read for its 33 s (a session's body: its
# credential is in it, so it is read; a token endpoint's is not)
head -c 1000 /dev/zero | tr '\0' a >"$T_DIR/body"
t0=$(date +%s)
hs /v1/session -X POST -H 'Expect:' -H 'Content-Type: application/x-www-form-urlencoded' \
	--limit-rate 30 -m 60 --data-binary @"$T_DIR/body" -o /dev/null
dt=$(( $(date +%s) - t0 ))
ok $(( dt < 4 || dt > 25 )) "a body trickled at 30 B/s is cut at the body deadline (${dt}s)"

# the plain-HTTP listener never reads a body, with or without a length: it
# answers from the headers (epoxyd logs how much it read when it did)
truncate -s 64M "$T_DIR/big"
for te in "" "Transfer-Encoding: chunked"; do
	r=$(curl -s -H 'Expect:' ${te:+-H "$te"} -X POST --data-binary @"$T_DIR/big" -o "$T_DIR/raw" \
		-w '%{http_code} %{size_upload}' "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi")
	diag "plain HTTP POST ${te:-with Content-Length}: $(( ${r#* } / 1024 )) KiB taken by the socket, answer ${r%% *}"
done
grep -a 'after [0-9]* bytes' "$T_DIR/epoxyd.log" >"$T_DIR/read" 
is "$(wc -l <"$T_DIR/read")" 0 "the plain listener read no body byte $(head -1 "$T_DIR/read")"
rm -f "$T_DIR/big"
is "$(hp_code /healthz)" 200 "epoxyd healthy at the end"
done_testing
