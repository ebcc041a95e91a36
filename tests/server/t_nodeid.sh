#!/bin/bash
# t_nodeid: node identity by mutual TLS (issue 14 point 1) on a real
# epoxyd with the dev node CA ($O/keys/node-ca.*, made by epoxy-pki):
# the one-time node credential rides on /v1/joincred; /v1/node/csr trades
# it with a P-256 request for a client certificate, and refuses a used,
# expired or other host's credential and a request with the wrong CN, an
# RSA key, an extension request or a bad signature (without spending the
# credential); the certificate works for heartbeat and renew over mutual
# TLS; the host is `joined` only after the first heartbeat; revoking or
# deleting the host ends the certificate at its next request; another
# CA's certificate and no certificate are refused on the identity
# endpoints while the boot endpoints work without one; epoxy-nm joins,
# heartbeats and renews, and its key is in no file under the test
# directory and not in epoxyd's log.  With NODEID_PG=1 (t_nodeid_pg.sh)
# the store is PostgreSQL.
. "$(dirname "$0")/../lib/epoxyd.sh"
DEVKEYS=$O/keys
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl"

if [ -n "${NODEID_PG:-}" ]; then
	epoxyd_pg || bail "PostgreSQL started"
	epoxyd_setup - "$STORE" || bail "setup"
else
	epoxyd_setup || bail "setup"
fi
cp -p "$DEVKEYS/node-ca.crt" "$DEVKEYS/node-ca.key" "$KEYS/" || bail "node CA"
printf 'node_ca_cert %s\nnode_ca_key %s\nnode_cert_ttl 900\n' \
	"$KEYS/node-ca.crt" "$KEYS/node-ca.key" >>"$T_DIR/epoxyd.conf"
SEED=$BIN/epoxyd-seed
"$SEED" host "$STORE" node2 52-54-00-00-00-02 >/dev/null || bail "node2"
"$SEED" cred "$STORE" node2 "$T_DIR/cred.node2" >/dev/null || bail "node2 cred"
"$SEED" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
epoxyd_start || bail "epoxyd did not start"
N=$T_DIR/node; mkdir -p "$N"

FORM='Content-Type: application/x-www-form-urlencoded'
hexof() { od -An -tx1 | tr -d ' \n'; }
# csr KEY CN [openssl req args]: DER request in hex
csr() { local k=$1 cn=$2; shift 2; openssl req -new -key "$k" -subj "/CN=$cn" "$@" -outform DER 2>/dev/null | hexof; }
# join CRED HOST CSRHEX: "STATUS FIRST-11-BYTES"; the answer in $N/cert
join() {
	local b
	b=$(hs /v1/node/csr -H "$(bearer "$1")" -H "$FORM" --data "host=$2&csr=$3" -o "$N/cert" -w '%{http_code}')
	echo "$b $(head -c 11 "$N/cert" | tr -d ' ')"
}
# mtls PATH CERT KEY [curl args]: "STATUS FIRST-11-BYTES-OF-THE-FIRST-LINE"
mtls() {
	local p=$1 c=$2 k=$3; shift 3
	local args=()
	[ -n "$c" ] && args=(--cert "$c" --key "$k")
	hs "$p" -X POST -H "$FORM" "${args[@]}" "$@" -o "$N/ans" -w '%{http_code}' | tr -d '\n'
	echo " $(head -n 1 "$N/ans" | head -c 11 | tr -d ' ')"
}

openssl ecparam -name prime256v1 -genkey -noout -out "$N/k1" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$N/k2" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$N/rsa" 2>/dev/null
NC=$(node_credential node1 52-54-00-12-34-56)
[ ${#NC} = 64 ]; ok $? "/v1/joincred carries a 64-hex node credential"
NC2=$(node_credential node2 52-54-00-00-00-02)
GOOD=$(csr "$N/k1" node1)

# ---- refusals that spend nothing
is "$(join "$NC" node1 "$(csr "$N/k1" node2)")" "400 EPOXY-E2273" "CSR whose CN is another host: refused"
is "$(join "$NC" node1 "$(csr "$N/rsa" node1)")" "400 EPOXY-E2272" "CSR with an RSA key: refused"
is "$(join "$NC" node1 "$(csr "$N/k1" node1 -addext subjectAltName=DNS:evil.test)")" "400 EPOXY-E2274" \
	"CSR with an extension request: refused"
is "$(join "$NC" node1 "$(csr "$N/k1" node1 -addext basicConstraints=critical,CA:TRUE)")" "400 EPOXY-E2274" \
	"CSR asking to be a CA: refused"
# a node certificate also serves the node's HTTPS API (serverAuth): never
# one for a name of epoxyd's own certificate (epoxy.test here)
"$SEED" host "$STORE" epoxy.test 52-54-00-00-00-77 >/dev/null || bail "host epoxy.test"
"$SEED" cred "$STORE" epoxy.test "$T_DIR/cred.epoxy.test" >/dev/null || bail "cred epoxy.test"
NCS=$(node_credential epoxy.test 52-54-00-00-00-77)
is "$(join "$NCS" epoxy.test "$(csr "$N/k2" epoxy.test)")" "403 EPOXY-E2280" \
	"a host named as epoxyd's certificate (epoxy.test): no node certificate (E2280)"
L=${#GOOD}
BAD=${GOOD:0:$((L - 20))}$(printf '%02x' $(( 0x${GOOD:$((L - 20)):2} ^ 1 )))${GOOD:$((L - 18))}
is "$(join "$NC" node1 "$BAD")" "400 EPOXY-E2271" "CSR with a bad signature: refused"
is "$(join "$NC" node1 "${GOOD:0:40}")" "400 EPOXY-E2271" "truncated CSR: refused"
is "$(join "$NC" node1 "zz$GOOD")" "400 EPOXY-E2271" "CSR not hex: refused"
is "$(join "$NC2" node1 "$GOOD")" "403 EPOXY-E2004" "another host's node credential: refused"
is "$(join "$(head -c 32 /dev/urandom | hexof)" node1 "$GOOD")" "403 EPOXY-E2001" "unknown node credential: refused"
is "$(hs /v1/node/csr -H "$FORM" --data "host=node1&csr=$GOOD" -o /dev/null -w '%{http_code}')" 401 \
	"no node credential: refused"
is "$(curl -s -X POST "http://127.0.0.1:$HTTP_PORT/v1/node/csr" -H "$(bearer "$NC")" | head -c 11)" \
	EPOXY-E2206 "plain HTTP: refused"

# ---- the join
[ "$(host_state node1)" != joined ]; ok $? "before its heartbeat the host is not joined ($(host_state node1))"
is "$(join "$NC" node1 "$GOOD")" "200 -----BEGIN" "good credential and CSR: a certificate"
cp "$N/cert" "$N/c1"
check "the certificate is for CN=node1, clientAuth, signed by the node CA" \
	bash -c "openssl x509 -in '$N/c1' -noout -subject | grep -q 'CN *= *node1' &&
		openssl x509 -in '$N/c1' -noout -ext extendedKeyUsage | grep -q 'Client Authentication' &&
		openssl verify -partial_chain -CAfile '$KEYS/node-ca.crt' '$N/c1' >/dev/null"
check "...and chains to the fleet CA through the node CA" \
	openssl verify -CAfile "$DEVKEYS/ca.crt" -untrusted "$KEYS/node-ca.crt" "$N/c1"
LIFE=$(( $(date -d "$(openssl x509 -in "$N/c1" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ))
[ "$LIFE" -gt 800 ] && [ "$LIFE" -le 900 ]; ok $? "its lifetime is node_cert_ttl ($LIFE s of 900)"
is "$(join "$NC" node1 "$GOOD")" "403 EPOXY-E2003" "the node credential a second time: refused (single use)"
[ "$(host_state node1)" != joined ]; ok $? "a certificate alone does not make the host joined"

# ---- mutual TLS
is "$(mtls /v1/node/heartbeat "$N/c1" "$N/k1" --data uptime=12)" "200 joined" "heartbeat with the certificate"
is "$(host_state node1)" joined "the host is joined after its first heartbeat"
is "$(sed -n 2p "$N/ans")" "heartbeat=30" "the answer names the next heartbeat's delay (node_heartbeat, default 30 s)"
is "$(sql "SELECT count(*) FROM audit WHERE action = 'node.joined' AND subject = 'node1'")" 1 "joining audited once"
is "$(mtls /v1/node/heartbeat "" "" --data uptime=12)" "401 EPOXY-E2275" "heartbeat without a certificate: refused"
is "$(mtls /v1/node/heartbeat "$N/c1" "$N/k1" --data 'uptime=x')" "400 EPOXY-E2207" "heartbeat with a bad field: refused"
is "$(open_session node1 52-54-00-12-34-56)" 200 "boot endpoints still work without a client certificate"
# a certificate for node1 from another CA (made here)
openssl ecparam -name prime256v1 -genkey -noout -out "$N/evil-ca.key" 2>/dev/null
openssl req -x509 -new -key "$N/evil-ca.key" -subj "/O=epoxy fleet/CN=epoxy fleet node CA" -days 2 \
	-out "$N/evil-ca.crt" 2>/dev/null
openssl req -new -key "$N/k1" -subj /CN=node1 -out "$N/evil.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >"$N/evil.ext"
openssl x509 -req -in "$N/evil.csr" -CA "$N/evil-ca.crt" -CAkey "$N/evil-ca.key" -set_serial "0x$(openssl rand -hex 16)" \
	-days 1 -extfile "$N/evil.ext" -out "$N/evil.crt" 2>/dev/null
is "$(mtls /v1/node/heartbeat "$N/evil.crt" "$N/k1")" "403 EPOXY-E2276" "certificate of another CA (same names): refused"
# the node CA's own certificate and key are no node certificate
# (GnuTLS already ends the handshake: the CA's key usage allows no TLS
# signature; were it to get through, nodeid_peer refuses a CA)
r=$(mtls /v1/node/heartbeat "$KEYS/node-ca.crt" "$KEYS/node-ca.key")
[ "${r%% *}" != 200 ]; ok $? "the CA certificate itself: refused (${r%% *})"

# ---- renew
is "$(mtls /v1/node/renew "$N/c1" "$N/k1" --data "csr=$(csr "$N/k2" node1)")" "200 -----BEGIN" "renew: a new certificate"
cp "$N/ans" "$N/c2"
is "$(mtls /v1/node/heartbeat "$N/c2" "$N/k2")" "200 joined" "the renewed certificate works"
is "$(mtls /v1/node/heartbeat "$N/c1" "$N/k1")" "200 joined" "the old one still works until its expiry"
is "$(mtls /v1/node/renew "$N/c1" "$N/k1" --data "csr=$(csr "$N/k2" node2)")" "400 EPOXY-E2273" \
	"renew for another host's name: refused"
is "$(mtls /v1/node/renew "" "" --data "csr=$(csr "$N/k2" node1)")" "401 EPOXY-E2275" "renew without a certificate: refused"

# ---- expiry of the credential (server clock moved past long_token_ttl)
NC3=$(node_credential node2 52-54-00-00-00-02)
epoxyd_stop; epoxyd_start -o clock_offset=2000 || bail "restart"
is "$(join "$NC3" node2 "$(csr "$N/k2" node2)")" "403 EPOXY-E2002" "an expired node credential: refused"
# a certificate past its end, by the server's clock
epoxyd_stop; epoxyd_start -o clock_offset=1000 || bail "restart"
is "$(mtls /v1/node/heartbeat "$N/c2" "$N/k2")" "403 EPOXY-E2276" "an expired certificate: refused"
epoxyd_stop; epoxyd_start || bail "restart"

# ---- revoke and delete take effect at the next request
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred \
	EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1 HOME=$T_DIR/home
unset EPOXY_CONFIG
is "$(mtls /v1/node/heartbeat "$N/c2" "$N/k2")" "200 joined" "before the revoke: the certificate works"
"$BIN/epoxyctl" host credential node1 --revoke >/dev/null 2>&1; ok $? "epoxyctl host credential node1 --revoke"
is "$(mtls /v1/node/heartbeat "$N/c2" "$N/k2")" "403 EPOXY-E2277" "revoked host: its certificate is refused at once"
is "$(mtls /v1/node/heartbeat "$N/c1" "$N/k1")" "403 EPOXY-E2277" "...every certificate of it"
is "$(mtls /v1/node/renew "$N/c2" "$N/k2" --data "csr=$(csr "$N/k2" node1)")" "403 EPOXY-E2277" "...also for renew"
"$BIN/epoxyctl" host credential node1 --out "$T_DIR/cred.node1.new" >/dev/null 2>&1
is "$(mtls /v1/node/heartbeat "$N/c2" "$N/k2")" "403 EPOXY-E2277" "a new boot credential does not revive the old certificates"

# node2: joined, then deleted
NC4=$(node_credential node2 52-54-00-00-00-02)
is "$(join "$NC4" node2 "$(csr "$N/k2" node2)")" "200 -----BEGIN" "node2 joins"
cp "$N/cert" "$N/c3"
is "$(mtls /v1/node/heartbeat "$N/c3" "$N/k2")" "200 joined" "node2 heartbeats"
"$BIN/epoxyctl" host delete node2 >/dev/null 2>&1; ok $? "epoxyctl host delete node2"
is "$(mtls /v1/node/heartbeat "$N/c3" "$N/k2")" "403 EPOXY-E2277" "deleted host: its certificate is refused at once"
"$SEED" host "$STORE" node2 52-54-00-00-00-02 >/dev/null
is "$(mtls /v1/node/heartbeat "$N/c3" "$N/k2")" "403 EPOXY-E2277" "...also after a host of that name is added again"

# ---- epoxy-nm: join, heartbeats, renewals; its key nowhere on disk
NM=$BIN/epoxy-nm
need_built "$NM"
"$NM" --help | grep -q usage; ok $? "epoxy-nm --help"
"$NM" join --bogus >/dev/null 2>&1; is $? 2 "epoxy-nm: usage error exits 2"
nmjoin() { # CREDFILE HOST [ARGS]: epoxy-nm join against this epoxyd
	local c=$1 h=$2; shift 2
	"$NM" join --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
		--host "$h" --credential-file "$c" "$@"
}
"$SEED" host "$STORE" node3 52-54-00-00-00-03 >/dev/null
"$SEED" cred "$STORE" node3 "$T_DIR/cred.node3" >/dev/null
node_credential node3 52-54-00-00-00-03 >"$N/nc3"
echo 0000000000000000000000000000000000000000000000000000000000000000 >"$N/nc.bogus"
nmjoin "$N/nc.bogus" node3 --beats 1 2>"$N/nm.bogus"; is $? 1 "epoxy-nm with an unknown credential: exit 1"
grep -q 'EPOXY-E3103.*EPOXY-E2001' "$N/nm.bogus"; ok $? "...printing E3103 and the server's E2001"
# 8 beats 1 s +-10 % apart (more when the machine is loaded) span at least
# 6.3 s: a renewal every 2 s happens at least twice, whatever the jitter
nmjoin "$N/nc3" node3 --heartbeat 1 --renew 2 --beats 8 2>"$N/nm.log" & NMPID=$!
for _ in $(seq 1 100); do [ "$(host_state node3)" = joined ] && break; sleep 0.1; done
is "$(host_state node3)" joined "epoxy-nm joined node3 (first heartbeat)"
# the node manager's key lives in its memory: look for it on disk while it runs
KEYS_ON_DISK=$(grep -rlE 'BEGIN (EC )?PRIVATE KEY' "$T_DIR" 2>/dev/null | grep -v "^$N/\|$T_DIR/pki/\|$KEYS/" )
is "$KEYS_ON_DISK" "" "no private key file appeared under the test directory while epoxy-nm runs"
wait "$NMPID"; is $? 0 "epoxy-nm: 8 heartbeats with renewals every 2 s, exit 0"
renewals=$(grep -c 'renew: certificate' "$N/nm.log")
ok $(( renewals < 2 )) "...renewed its certificate at least twice ($renewals)" "$(cat "$N/nm.log")"
is "$(sql "SELECT count(*) FROM node_certs WHERE host = 'node3'")" $(( renewals + 1 )) \
	"each certificate recorded for node3 (the join's and $renewals renewals)"
if grep -q 'PRIVATE KEY' "$N/nm.log" "$T_DIR/epoxyd.log"; then fail "no key in epoxy-nm's or epoxyd's log"
else pass "no key in epoxy-nm's or epoxyd's log"; fi
nmjoin "$N/nc3" node3 --beats 1 2>"$N/nm.again"; is $? 1 "epoxy-nm with a spent credential: exit 1"
grep -q 'EPOXY-E2003' "$N/nm.again"; ok $? "...the server said E2003 (used)"
# revoke while it runs: it stops with the refusal at its next heartbeat
node_credential node3 52-54-00-00-00-03 >"$N/nc3b"
nmjoin "$N/nc3b" node3 --heartbeat 1 2>"$N/nm.rev" & NMPID=$!
for _ in $(seq 1 100); do grep -q 'joined as' "$N/nm.rev" && break; sleep 0.1; done
"$BIN/epoxyctl" host credential node3 --revoke >/dev/null 2>&1
for _ in $(seq 1 50); do kill -0 "$NMPID" 2>/dev/null || break; sleep 0.1; done
wait "$NMPID"; is $? 1 "revoked while running: epoxy-nm exits 1 at its next heartbeat"
grep -q 'EPOXY-E2277' "$N/nm.rev"; ok $? "...with the server's E2277"

# ---- the node CA rotated on SIGHUP: old certificates work until they end
"$SEED" host "$STORE" node4 52-54-00-00-00-04 >/dev/null || bail "node4"
"$SEED" cred "$STORE" node4 "$T_DIR/cred.node4" >/dev/null || bail "node4 cred"
NC5=$(node_credential node4 52-54-00-00-00-04)
openssl ecparam -name prime256v1 -genkey -noout -out "$N/k4" 2>/dev/null
is "$(join "$NC5" node4 "$(csr "$N/k4" node4)")" "200 -----BEGIN" "node4 joins under the first node CA"
cp "$N/cert" "$N/cA"
is "$(mtls /v1/node/heartbeat "$N/cA" "$N/k4")" "200 joined" "node4 heartbeats"
# a new node CA; every file of a reload is read as epoxyd's user (like tls_key)
P=$T_DIR/pki
cp "$KEYS/node-ca.crt" "$P/ca-a.crt"; cp "$KEYS/node-ca.key" "$P/ca-a.key"
openssl ecparam -name prime256v1 -genkey -noout -out "$P/ca-b.key" 2>/dev/null
openssl req -x509 -new -key "$P/ca-b.key" -subj "/O=epoxy fleet/CN=epoxy fleet node CA 2" -days 30 \
	-addext basicConstraints=critical,CA:TRUE,pathlen:0 -addext keyUsage=critical,keyCertSign,cRLSign \
	-out "$P/ca-b.crt" 2>/dev/null
chmod 0644 "$P/ca-a.key" "$P/ca-b.key"
# nodeca CERT KEY [PREVIOUS]: the node CA lines of the configuration, then SIGHUP
nodeca() {
	sed -i '/^node_ca_/d' "$T_DIR/epoxyd.conf"
	printf 'node_ca_cert %s\nnode_ca_key %s\n' "$1" "$2" >>"$T_DIR/epoxyd.conf"
	[ -n "${3:-}" ] && printf 'node_ca_previous %s\n' "$3" >>"$T_DIR/epoxyd.conf"
	local n
	n=$(grep -c 'reload' "$T_DIR/epoxyd.log")
	kill -HUP "$SRV_PID"
	for _ in $(seq 1 50); do [ "$(grep -c 'reload' "$T_DIR/epoxyd.log")" -gt "$n" ] && break; sleep 0.1; done
	sleep 0.3
}
nodeca "$P/ca-b.crt" "$P/ca-b.key" "$P/ca-a.crt"
grep -q 'reloaded the configuration and the TLS certificate and the node CA' "$T_DIR/epoxyd.log"
ok $? "SIGHUP: a new node CA, the old one as node_ca_previous" "$(tail -3 "$T_DIR/epoxyd.log")"
is "$(mtls /v1/node/heartbeat "$N/cA" "$N/k4")" "200 joined" "the old CA's certificate still works"
is "$(mtls /v1/node/renew "$N/cA" "$N/k4" --data "csr=$(csr "$N/k4" node4)")" "200 -----BEGIN" \
	"renewing with it: a new certificate"
cp "$N/ans" "$N/cB"
check "...issued by the new node CA" openssl verify -partial_chain -CAfile "$P/ca-b.crt" "$N/cB"
is "$(mtls /v1/node/heartbeat "$N/cB" "$N/k4")" "200 joined" "the new CA's certificate works"
is "$(mtls /v1/node/heartbeat "$N/evil.crt" "$N/k1")" "403 EPOXY-E2276" "another CA's certificate: still refused"
is "$(sql "SELECT count(*) FROM node_certs WHERE host = 'node4' AND not_before > 0")" 2 \
	"the store has both certificates with their not-before"
# the old node CA retired: its certificates end at once
nodeca "$P/ca-b.crt" "$P/ca-b.key"
is "$(mtls /v1/node/heartbeat "$N/cA" "$N/k4")" "403 EPOXY-E2276" "old CA retired: its certificate is refused"
is "$(mtls /v1/node/heartbeat "$N/cB" "$N/k4")" "200 joined" "...the new one works"
# a reload that cannot read its node CA changes nothing
printf 'not a certificate\n' >"$P/junk.crt"; chmod 0644 "$P/junk.crt"
nodeca "$P/ca-b.crt" "$P/ca-b.key" "$P/junk.crt"
grep -q 'EPOXY-E2279 node_ca_cert .*node_ca_previous' "$T_DIR/epoxyd.log"; ok $? "a bad node_ca_previous: E2279 logged"
grep -q 'EPOXY-E2315 reload refused' "$T_DIR/epoxyd.log"; ok $? "...and the reload refused (E2315)"
is "$(mtls /v1/node/heartbeat "$N/cB" "$N/k4")" "200 joined" "...the running node CA stays"
is "$(mtls /v1/node/heartbeat "$N/cA" "$N/k4")" "403 EPOXY-E2276" "...with its trust as it was"
sed -i '/^node_ca_/d' "$T_DIR/epoxyd.conf"; kill -HUP "$SRV_PID"; sleep 0.5
grep -q 'node identity turned off; it takes a restart' "$T_DIR/epoxyd.log"; ok $? "turning node identity off takes a restart"
is "$(mtls /v1/node/heartbeat "$N/cB" "$N/k4")" "200 joined" "...and nothing changed"

# ---- secrets
K1=$(openssl ec -in "$N/k1" -outform DER 2>/dev/null | hexof)
if grep -q -- "$NC" "$T_DIR/epoxyd.log"; then fail "node credential not in epoxyd's log"
else pass "node credential not in epoxyd's log"; fi
if store_has "$NC"; then fail "node credential not in the store"; else pass "node credential not in the store"; fi
[ -n "$K1" ]; ok $? "test key read"

done_testing
