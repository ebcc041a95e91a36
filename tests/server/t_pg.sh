#!/bin/bash
# t_pg: two epoxyd instances share one real PostgreSQL store (started by
# tests/store/pg.sh): a token redeemed on one is refused on the other, a
# session opened on one is closed through the other, and the same tokens
# fired at both at once are each honoured exactly once.
. "$(dirname "$0")/../lib/epoxyd.sh"

epoxyd_pg || bail "PostgreSQL started"
epoxyd_setup - "$STORE" || bail "setup"
epoxyd_start || bail "epoxyd A did not start" "$(cat "$T_DIR/epoxyd.log")"
B=$(free_port 2) || bail "two free ports for epoxyd B"
sed "s/^https_port .*/https_port $B/; s/^http_port .*/http_port $((B + 1))/; s/:$HTTP_PORT\$/:$((B + 1))/" \
	"$T_DIR/epoxyd.conf" >"$T_DIR/b.conf"
"$BIN/epoxyd" -c "$T_DIR/b.conf" 2>>"$T_DIR/b.log" &
PID_B=$!
at_exit kill "$PID_B"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((B + 1))/healthz" >/dev/null && break; sleep 0.05; done
is "$(curl -s "http://127.0.0.1:$((B + 1))/healthz")" ok "second epoxyd on the same PostgreSQL"
grep -q 'store postgres' "$T_DIR/epoxyd.log"; ok $? "instance A uses the postgres backend"

A=$HTTPS_PORT
on() { # port path [curl args]: "status first-11-bytes"
	local port=$1 p=$2 b body; shift 2
	b=$(curl -s --cacert "$T_DIR/pki/ca.crt" --resolve "epoxy.test:$port:127.0.0.1" \
		-w '\n%{http_code}' "$@" "https://epoxy.test:$port$p")
	body=${b%$'\n'*}
	echo "${b##*$'\n'} ${body:0:11}"
}
FORM='Content-Type: application/x-www-form-urlencoded'

is "$(open_session)" 200 "session opened on A"
is "$(on "$B" /v1/manifest -H "Authorization: Bearer $(tok manifest)" -o /dev/null)" "200 " "A's manifest token redeemed on B"
is "$(on "$A" /v1/manifest -H "Authorization: Bearer $(tok manifest)")" "403 EPOXY-E2003" "...and then refused on A"
is "$(on "$A" /v1/artifact/cmdline -H "Authorization: Bearer $(tok cmdline)" -o /dev/null)" "200 " "cmdline token redeemed on A"
is "$(on "$B" /v1/artifact/cmdline -H "Authorization: Bearer $(tok cmdline)")" "403 EPOXY-E2003" "...and then refused on B"
is "$(on "$B" /v1/report -X POST -H "$FORM" -H "Authorization: Bearer $(tok report)" --data 'stage=2&status=ok' -o /dev/null)" "204 " \
	"A's session closed through B"
is "$(on "$A" /v1/artifact/join -H "Authorization: Bearer $(tok join)")" "403 EPOXY-E2007" "its other tokens refused on A"

# the same tokens at both instances at once
N=20; : >"$T_DIR/race"
for i in $(seq 1 $N); do
	open_session >/dev/null
	t=$(tok initramfs)
	( on "$A" /v1/artifact/initramfs -H "Authorization: Bearer $t" -o /dev/null >>"$T_DIR/race" ) & r1=$!
	( on "$B" /v1/artifact/initramfs -H "Authorization: Bearer $t" -o /dev/null >>"$T_DIR/race" ) & r2=$!
	wait $r1 $r2
done
is "$(grep -c '^200' "$T_DIR/race")" $N "$N tokens raced at A and B: each served exactly once"
is "$(grep -c '^403' "$T_DIR/race")" $N "...and refused exactly once"
kill "$PID_B"; wait "$PID_B" 2>/dev/null; PID_B=
done_testing
