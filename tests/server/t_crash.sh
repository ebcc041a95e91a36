#!/bin/bash
# t_crash: kill -9 epoxyd many times during a stream of issue (session
# open) and redeem operations; after each restart every redemption the
# client saw acknowledged (200) is still spent (no acknowledged redemption
# lost, no spent token usable again), and every session the client saw
# opened still has its unused tokens (no acknowledged issue lost).
. "$(dirname "$0")/../lib/epoxyd.sh"

ROUNDS=${CRASH_ROUNDS:-10}
epoxyd_setup || bail "setup"
sed -i 's/^threads 2/threads 4/' "$T_DIR/epoxyd.conf"
CRED=$(cat "$T_DIR/cred.node1")
FORM='Content-Type: application/x-www-form-urlencoded'

# the client: sessions and redemptions until killed; records acks only
stream() { # dir
	local d=$1 n=0 nonce code p t
	: >"$d/acked"; : >"$d/sessions"
	while :; do
		n=$((n + 1))
		nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
		code=$(hs /v1/session -H "$FORM" -o "$d/s.$n" -w '%{http_code}' \
			--data "host=node1&mac=52-54-00-12-34-56&nonce=$nonce&agent=1&stage=1&credential=$CRED")
		[ "$code" = 200 ] || continue
		echo "$d/s.$n" >>"$d/sessions"
		for p in manifest cmdline join initramfs; do
			t=$(awk -v p=$p '$1=="token" && $2==p {print $3}' "$d/s.$n")
			if [ $p = manifest ]; then code=$(hs /v1/manifest -H "Authorization: Bearer $t" -o /dev/null -w '%{http_code}')
			else code=$(hs /v1/artifact/$p -H "Authorization: Bearer $t" -o /dev/null -w '%{http_code}'); fi
			[ "$code" = 200 ] && echo "$p $t" >>"$d/acked"
		done
	done
}

total_acked=0; total_sessions=0; double=0; lost=0
for r in $(seq 1 "$ROUNDS"); do
	d=$T_DIR/round$r; mkdir -p "$d"
	epoxyd_start || { ok 1 "round $r: epoxyd restarts after kill -9"; continue; }
	# two clients at once, killed 1.0-2.9 s in
	mkdir -p "$d/a" "$d/b"
	stream "$d/a" & c1=$!
	stream "$d/b" & c2=$!
	sleep "$(( RANDOM % 2 + 1 )).$(( RANDOM % 10 ))"
	kill -9 "$SRV_PID"; wait "$SRV_PID" 2>/dev/null; SRV_PID=
	kill "$c1" "$c2" 2>/dev/null; wait "$c1" "$c2" 2>/dev/null
	cat "$d/a/acked" "$d/b/acked" >"$d/acked" 2>/dev/null
	cat "$d/a/sessions" "$d/b/sessions" >"$d/sessions" 2>/dev/null
	epoxyd_start || { ok 1 "round $r: epoxyd restarts after kill -9"; continue; }
	# every acknowledged redemption is still spent
	bad=0
	while read -r p t; do
		if [ "$p" = manifest ]; then b=$(hs /v1/manifest -H "Authorization: Bearer $t")
		else b=$(hs "/v1/artifact/$p" -H "Authorization: Bearer $t" -r 0-0); fi
		[ "${b:0:11}" = EPOXY-E2003 ] || { bad=$((bad + 1)); echo "# round $r: $p token answered '${b:0:20}'"; }
	done <"$d/acked"
	# every acknowledged session still has its unused tokens
	miss=0
	while read -r f; do
		t=$(awk '$1=="token" && $2=="joincred" {print $3}' "$f")
		[ "$(hs_code /v1/joincred -X POST -H "Authorization: Bearer $t")" = 200 ] || miss=$((miss + 1))
	done <"$d/sessions"
	na=$(wc -l <"$d/acked"); ns=$(wc -l <"$d/sessions")
	is "$bad" 0 "round $r: $na acknowledged redemptions all still spent after kill -9"
	is "$miss" 0 "round $r: $ns acknowledged sessions all kept their tokens"
	total_acked=$((total_acked + na)); total_sessions=$((total_sessions + ns))
	double=$((double + bad)); lost=$((lost + miss))
	epoxyd_stop
done
echo "# $ROUNDS kills, $total_sessions sessions and $total_acked redemptions acknowledged; $double double spends, $lost lost issues"
[ "$total_acked" -gt 0 ]; ok $? "the stream made progress ($total_acked redemptions)"
is "$(sqlite3 "$DB" 'pragma integrity_check')" ok "store intact after $ROUNDS kills"
done_testing
