#!/bin/bash
# t_sliverset: GET /v1/node/slivers on a real epoxyd over loopback (issue
# 14 point 2): a node joins (node credential -> CSR -> certificate), then
# fetches its sliver set over mutual TLS: signed by the online key
# (checked here with openssl against the online key's public half, and a
# changed byte refused), for its own name only, with a serial that grows
# on every change that reaches it (slice create, set, expiry) and stays
# otherwise; ETag / If-None-Match answer 304; the long poll answers at
# once when a change is committed and 304 after its wait otherwise; no
# certificate, a bad query and a revoked host are refused.  With
# SLIVERSET_PG=1 (t_sliverset_pg.sh) the store is PostgreSQL.
. "$(dirname "$0")/../lib/epoxyd.sh"
DEVKEYS=$O/keys
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl"
need openssl

if [ -n "${SLIVERSET_PG:-}" ]; then
	epoxyd_pg || bail "PostgreSQL started"
	epoxyd_setup - "$STORE" || bail "setup"
else
	epoxyd_setup || bail "setup"
fi
cp -p "$DEVKEYS/node-ca.crt" "$DEVKEYS/node-ca.key" "$KEYS/" || bail "node CA"
printf 'node_ca_cert %s\nnode_ca_key %s\nnode_cert_ttl 900\n' \
	"$KEYS/node-ca.crt" "$KEYS/node-ca.key" >>"$T_DIR/epoxyd.conf"
"$BIN/epoxyd-seed" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
epoxyd_start || bail "epoxyd did not start"
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
unset EPOXY_CONFIG
sv_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { diag "$(cat "$T_DIR/ctl.out")"; return 1; }; }
N=$T_DIR/node; mkdir -p "$N"
FORM='Content-Type: application/x-www-form-urlencoded'
sv_hexof() { od -An -tx1 | tr -d ' \n'; }

# ---- join node1: node credential, CSR, certificate
open_session node1 52-54-00-12-34-56 "$(tr -d '\n' <"$T_DIR/cred.node1")" >/dev/null
hs /v1/joincred -X POST -H "$(bearer "$(tok joincred)")" -D "$N/jc.hdr" -o /dev/null
NC=$(tr -d '\r' <"$N/jc.hdr" | awk 'tolower($1) == "epoxy-node-credential:" {print $2}')
openssl ecparam -name prime256v1 -genkey -noout -out "$N/key" 2>/dev/null
CSR=$(openssl req -new -key "$N/key" -subj /CN=node1 -outform DER 2>/dev/null | sv_hexof)
is "$(hs /v1/node/csr -H "$(bearer "$NC")" -H "$FORM" --data "host=node1&csr=$CSR" -o "$N/cert" -w '%{http_code}')" \
	200 "node1 joins: a client certificate"
openssl pkey -in "$KEYS/online.key" -pubout -out "$N/online.pub" 2>/dev/null || bail "online public key"

# get [curl args]: "STATUS ETAG" ; body in $N/set
get() {
	local code
	code=$(hs /v1/node/slivers --cert "$N/cert" --key "$N/key" -D "$N/hdr" -o "$N/set" -w '%{http_code}' "$@")
	echo "$code $(tr -d '\r' <"$N/hdr" | awk 'tolower($1) == "etag:" {print $2}')"
}
# sv_sigok FILE: the last line's signature verifies over the lines before it
sv_sigok() {
	local f=$1
	head -n -1 "$f" >"$N/body"
	tail -n 1 "$f" | awk '{print $3}' | xxd -r -p >"$N/sig.der"
	openssl dgst -sha256 -verify "$N/online.pub" -signature "$N/sig.der" "$N/body" >/dev/null 2>&1
}
field() { awk -v k="$1" '$1 == k {print $2; exit}' "$N/set"; }
need xxd

# ---- the empty set
is "$(get)" '200 "1"' "first fetch: 200, ETag \"1\""
is "$(head -n 2 "$N/set" | tr '\n' ' ')" "epoxy-slivers 1 node node1 " "the set names the certificate's host"
is "$(field serial)/$(grep -c '^sliver ' "$N/set")" "1/0" "serial 1, no sliver yet"
sv_sigok "$N/set"; ok $? "signed by the online key over its exact bytes (openssl)"
cp "$N/set" "$N/tampered"; sed -i 's/^serial 1$/serial 9/' "$N/tampered"
sv_sigok "$N/tampered"; is $? 1 "a changed byte no longer verifies"
is "$(get -H 'If-None-Match: "1"')" '304 "1"' "If-None-Match of the current serial: 304"
is "$(get)" '200 "1"' "fetching again without a change keeps serial 1"

# ---- refusals
is "$(hs /v1/node/slivers -o "$N/r" -w '%{http_code}') $(head -c 11 "$N/r")" "401 EPOXY-E2275" \
	"no client certificate: refused"
is "$(get -G --data wait=56 | cut -d' ' -f1) $(head -c 11 "$N/set")" "400 EPOXY-E2207" "wait over 55 s: refused"
is "$(get -G --data wait=x | cut -d' ' -f1)" 400 "wait not a number: refused"
is "$(get -G --data node=node2 | cut -d' ' -f1)" 400 "another query field (node=): refused"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/v1/node/slivers")" 403 "plain HTTP: refused"

# ---- a slice reaches the node: serial 2
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
sv_ctl image publish "$T_DIR/rootfs.tar" --name img; ok $? "image published"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
sv_ctl site add lab1; ok $? "site"
sv_ctl slice create web --site lab1 --image "sha256:$sha" --entry '/bin/httpd -f' --days 2 cpu_share=3 mem_max=1000
ok $? "slice web"
sv_ctl slice add-nodes web --host node1; ok $? "node1 added to web"
is "$(get -H 'If-None-Match: "1"')" '200 "2"' "after the change: 200 with serial 2"
sv_sigok "$N/set"; ok $? "the new set verifies"
is "$(grep -c '^sliver ' "$N/set")/$(grep -c '^sliver web$' "$N/set")" "1/1" "one sliver, web"
is "$(awk '$1 == "cpu_share" || $1 == "mem_max" {printf "%s=%s ", $1, $2}' "$N/set")" "cpu_share=3 mem_max=1000 " \
	"its attributes as resolved"
is "$(awk '$1 == "image" {print $2, $4}' "$N/set")" "sha256:$sha 4096" "its image and length"

# ---- the long poll: a change answers at once
t0=$(date +%s%N)
( sleep 2; sv_ctl slice set web --host node1 mem_max=2000; date +%s%N >"$N/changed" ) & bg=$!
is "$(get -H 'If-None-Match: "2"' -G --data wait=20)" '200 "3"' "long poll: the change answers it with serial 3"
t1=$(date +%s%N); wait "$bg"
ms=$(( (t1 - t0) / 1000000 )); lag=$(( (t1 - $(cat "$N/changed")) / 1000000 ))
ok $(( ms < 1500 || lag > 700 )) "long poll answered ${lag} ms after the change was committed (${ms} ms after it began)"
is "$(awk '$1 == "mem_max" {print $2}' "$N/set")" "2000" "...with the host's value"
t0=$(date +%s%N)
is "$(get -H 'If-None-Match: "3"' -G --data wait=2)" '304 "3"' "long poll without a change: 304"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $(( ms < 1900 || ms > 5000 )) "...after its wait (${ms} ms of 2000)"
# held polls keep no worker (libmicrohttpd suspend/resume, server/hold.c):
# this epoxyd has 2 threads; 3 polls held 50 s, then a 4th held its 2 s,
# while a worker answers other requests at once; a change answers all 3
held=()
for i in 1 2 3; do
	( hs /v1/node/slivers --cert "$N/cert" --key "$N/key" -H 'If-None-Match: "3"' -G --data wait=50 \
		-D "$N/held.$i.hdr" -o /dev/null -w '%{http_code}' >"$N/held.$i" ) &
	held+=($!)
done
sleep 1
t0=$(date +%s%N)
is "$(get -H 'If-None-Match: "3"' -G --data wait=2)" '304 "3"' "a 4th poll beside 3 held ones: 304"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $(( ms < 1900 )) "...after its 2 s (${ms} ms): held, not refused for want of a worker"
t0=$(date +%s%N)
is "$(hs_code /nonexistent -m 5)" 404 "a worker answers other requests meanwhile"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $(( ms > 1000 )) "...at once (${ms} ms)"
sv_ctl slice set web --host node1 mem_max=3000; ok $? "a change while 3 polls are held"
t0=$(date +%s%N)
wait "${held[@]}"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
etags=$(for i in 1 2 3; do tr -d '\r' <"$N/held.$i.hdr" | awk 'tolower($1) == "etag:" {printf " %s", $2}'; done)
is "$(cat "$N/held.1") $(cat "$N/held.2") $(cat "$N/held.3")$etags" '200 200 200 "4" "4" "4"' \
	"...answers all three with serial 4 (${ms} ms after the change returned)"
# a held poll is dispatched again and again while it waits: none of those
# dispatches is a failed request (no log line, no 5xx in the metrics)
is "$(grep -c 'slivers failed' "$T_DIR/epoxyd.log")" 0 "held polls are never logged as failed requests"
is "$(hs /metrics | awk '$1 == "epoxyd_http_responses_total{class=\"5xx\"}" {print $2}')" 0 \
	"...nor counted as 5xx answers"

# ---- expiry reaches the node with no operator: serial 5, no sliver
sql "UPDATE slices SET expires = 1 WHERE name = 'web'" >/dev/null
is "$(get -H 'If-None-Match: "4"')" '200 "5"' "the slice expired: serial 5"
is "$(grep -c '^sliver ' "$N/set")" 0 "...and the set is empty"
is "$(sql "SELECT serial FROM sliver_serials WHERE host = 'node1'")" 5 "the store keeps serial 5"

# ---- epoxyd stops at once with a poll held (every parked connection is
# resumed before its daemon stops, as libmicrohttpd requires)
( hs /v1/node/slivers --cert "$N/cert" --key "$N/key" -H 'If-None-Match: "5"' -G --data wait=50 \
	-o /dev/null -w '%{http_code}' >"$N/held.stop" ) & hp=$!
sleep 1
t0=$(date +%s%N)
kill "$SRV_PID"; wait "$SRV_PID"; rc=$?; SRV_PID=
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$rc" 0 "SIGTERM with a held poll: epoxyd exits 0"
ok $(( ms > 5000 )) "...within 5 s (${ms} ms)"
wait "$hp"
case $(cat "$N/held.stop") in 304|000) pass "...the held poll answered 304 or closed ($(cat "$N/held.stop"))";;
  *) fail "...the held poll answered 304 or closed" "got $(cat "$N/held.stop")";; esac
epoxyd_start || bail "epoxyd restarted"

# ---- a revoked host is refused at once
sv_ctl host credential node1 --revoke; ok $? "revoke node1's credential"
is "$(get | cut -d' ' -f1) $(head -c 11 "$N/set")" "403 EPOXY-E2277" "a revoked host's certificate: refused"
done_testing
