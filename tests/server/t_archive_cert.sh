#!/bin/bash
# t_archive_cert: the archive-only certificate (issue 15, the measurement
# sliver's pusher) on a real epoxyd with the dev node CA: a joined node's
# certificate asks POST /v1/node/archive-cert for one on a fresh key;
# epoxyd marks it (subject CN=<host>, OU=epoxy-archive; clientAuth only)
# whatever the request holds; it uploads to the archive (PUT and the
# local backend's upload-URL question) under its host's name; every other
# node endpoint refuses it with 403 EPOXY-E2391 (heartbeat, renew,
# archive-cert itself, the sliver set's long poll, an image, an image with
# a ticket header); the node's own certificate still works everywhere;
# a CSR that asks for the OU itself gets no archive certificate; after
# the host's revocation its archive certificate is refused (E2277).
. "$(dirname "$0")/../lib/epoxyd.sh"
need_built "$O/keys/node-ca.crt" "$BIN/epoxyctl"

epoxyd_setup || bail "setup"
node_ca 900 || bail "node CA"
"$BIN/epoxyd-seed" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
epoxyd_start || bail "epoxyd did not start"
ctl_env
"$BIN/epoxyctl" experiment create ndt --datatypes tcpinfo >/dev/null 2>&1 || bail "experiment ndt"
N=$T_DIR/node; mkdir -p "$N"
is "$(node_cert node1 52-54-00-12-34-56 "$N")" 200 "node1 has a node certificate"

FORM='Content-Type: application/x-www-form-urlencoded'
# req METHOD PATH CERT KEY [curl args]: "STATUS FIRST-11-BYTES", the body in $N/ans
req() {
	local m=$1 p=$2 c=$3 k=$4; shift 4
	hs "$p" --path-as-is -X "$m" --cert "$c" --key "$k" "$@" -o "$N/ans" -w '%{http_code}' | tr -d '\n'
	echo " $(head -n 1 "$N/ans" | head -c 11 | tr -d ' ')"
}
openssl ecparam -name prime256v1 -genkey -noout -out "$N/arc.key" 2>/dev/null
is "$(req POST /v1/node/archive-cert "$N/node1.crt" "$N/node1.key" -H "$FORM" \
	--data "csr=$(csr_hex "$N/arc.key" /CN=node1)")" "200 -----BEGIN" "the node's certificate gets an archive certificate"
cp "$N/ans" "$N/arc.crt"
check "...its subject is CN=node1, OU=epoxy-archive" \
	bash -c "openssl x509 -in '$N/arc.crt' -noout -subject -nameopt RFC2253 | grep -qE 'OU=epoxy-archive' &&
		openssl x509 -in '$N/arc.crt' -noout -subject -nameopt RFC2253 | grep -qE 'CN=node1'"
check "...clientAuth only (it never serves the node's HTTPS API)" \
	bash -c "openssl x509 -in '$N/arc.crt' -noout -ext extendedKeyUsage | grep -q 'Client Authentication' &&
		! openssl x509 -in '$N/arc.crt' -noout -ext extendedKeyUsage | grep -q 'Server Authentication'"
LIFE=$(( $(date -d "$(openssl x509 -in "$N/arc.crt" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ))
[ "$LIFE" -gt 800 ] && [ "$LIFE" -le 900 ]; ok $? "...as short-lived as a node certificate ($LIFE s of 900)"
is "$(sql "SELECT count(*) FROM node_certs WHERE host = 'node1'")" 2 "...recorded for node1 with its node certificate"
# the mark is epoxyd's: a request that names the OU itself is refused
is "$(req POST /v1/node/archive-cert "$N/node1.crt" "$N/node1.key" -H "$FORM" \
	--data "csr=$(csr_hex "$N/arc.key" /CN=node1/OU=epoxy-archive)")" "400 EPOXY-E2273" \
	"a CSR carrying OU=epoxy-archive itself: refused"
is "$(req POST /v1/node/renew "$N/node1.crt" "$N/node1.key" -H "$FORM" \
	--data "csr=$(csr_hex "$N/arc.key" /CN=node1/OU=epoxy-archive)")" "400 EPOXY-E2273" \
	"...also on renew (no node certificate carries the OU)"

# ---- the archive takes it
head -c 4000 /dev/urandom >"$N/obj"; sha=$(sha256sum "$N/obj" | cut -d' ' -f1)
head -c 4000 /dev/urandom >"$N/obj2"; sha2=$(sha256sum "$N/obj2" | cut -d' ' -f1)
head -c 4000 /dev/urandom >"$N/obj3"; sha3=$(sha256sum "$N/obj3" | cut -d' ' -f1)
NAME=$(arc_name ndt tcpinfo node1)
is "$(req POST "/v1/archive/ndt/$sha/url?name=$NAME" "$N/arc.crt" "$N/arc.key")" "200 put/v1/arc" \
	"the archive certificate asks where to upload (local backend): answered"
is "$(req PUT "/v1/archive/ndt/$sha?name=$NAME" "$N/arc.crt" "$N/arc.key" --data-binary @"$N/obj")" \
	"200 storedndt/" "the archive certificate uploads a bundle"
cmp -s "$N/obj" "$DATA/archive/$NAME"; ok $? "...stored under node1's name, byte for byte"
is "$(req PUT "/v1/archive/ndt/$sha2?name=$(arc_name ndt tcpinfo node2)" "$N/arc.crt" "$N/arc.key" \
	--data-binary @"$N/obj2")" "403 EPOXY-E2388" "...never under another node's name"
is "$(req PUT "/v1/archive/ndt/$sha2?name=$(arc_name ndt tcpinfo node1)" "$N/node1.crt" "$N/node1.key" \
	--data-binary @"$N/obj2")" "200 storedndt/" "the node's own certificate still uploads"

# ---- every other node endpoint refuses it, with one code
while IFS='|' read -r m p extra what; do
	args=()
	[ -n "$extra" ] && args=(-H "$FORM" --data "$extra")
	is "$(req "$m" "$p" "$N/arc.crt" "$N/arc.key" "${args[@]}")" "403 EPOXY-E2391" "archive certificate on $what: refused"
done <<EOF
POST|/v1/node/heartbeat|uptime=1|the heartbeat
POST|/v1/node/renew|csr=$(csr_hex "$N/arc.key" /CN=node1)|renew
POST|/v1/node/archive-cert|csr=$(csr_hex "$N/arc.key" /CN=node1)|archive-cert (no second one from it)
GET|/v1/node/slivers||the sliver set
GET|/v1/node/slivers?wait=1||the sliver set's long poll
GET|/v1/image/$sha||an image
EOF
is "$(req GET "/v1/image/$sha" "$N/arc.crt" "$N/arc.key" -H "X-Epoxy-Ticket: $(printf '%064d' 0)")" \
	"403 EPOXY-E2391" "archive certificate on an image with a ticket header: refused"
[ "$(sql "SELECT state FROM hosts WHERE name = 'node1'")" != joined ]
ok $? "the refused heartbeat did not join the host"
# the node's certificate, on the same endpoints
is "$(req POST /v1/node/heartbeat "$N/node1.crt" "$N/node1.key" -H "$FORM" --data uptime=1)" "200 joined" \
	"the node's certificate: heartbeat"
is "$(req POST /v1/node/renew "$N/node1.crt" "$N/node1.key" -H "$FORM" \
	--data "csr=$(csr_hex "$N/arc.key" /CN=node1)")" "200 -----BEGIN" "...renew"
r=$(req GET /v1/node/slivers "$N/node1.crt" "$N/node1.key")
[ "${r%% *}" != 403 ]; ok $? "...the sliver set (${r})"
grep -q 'refused node heartbeat: EPOXY-E2391' "$T_DIR/epoxyd.log"; ok $? "epoxyd's log names the refusal's code"

# ---- revocation ends it
"$BIN/epoxyctl" host credential node1 --revoke >/dev/null 2>&1; ok $? "epoxyctl host credential node1 --revoke"
is "$(req PUT "/v1/archive/ndt/$sha3?name=$(arc_name ndt tcpinfo node1)" "$N/arc.crt" "$N/arc.key" \
	--data-binary @"$N/obj3")" "403 EPOXY-E2277" "revoked host: its archive certificate is refused"
is "$(req POST "/v1/archive/ndt/$sha3/url?name=$(arc_name ndt tcpinfo node1)" "$N/arc.crt" "$N/arc.key")" \
	"403 EPOXY-E2277" "...also for the upload-URL question"
is "$(sql "SELECT count(*) FROM archive_bundles WHERE sha256 = '$sha3'")" 0 "...nothing recorded"
if grep -q 'PRIVATE KEY' "$T_DIR/epoxyd.log"; then fail "no key in epoxyd's log"; else pass "no key in epoxyd's log"; fi
done_testing
