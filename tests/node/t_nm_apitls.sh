#!/bin/bash
# t_nm_apitls: epoxy-nm's local API over HTTPS (--api-listen, issue 14
# point 2) against a real epoxyd over loopback.  The node manager joins
# (a real node certificate from the node CA), follows its sliver set and
# serves GET /list, /usage, /metrics and POST /redeem on 127.0.0.1 with its
# own certificate and key.  Checks, with curl: a client certificate issued
# by the fleet CA the node pins (--ca) is served; no certificate, one of
# another CA, one through an intermediate CA under the fleet CA (what a
# node certificate is) and an expired one are refused in the handshake,
# each with its EPOXY code and the peer in the log; a malformed request is
# 400 E3165, an oversized one 413 E3166, the API's own refusal 403 with
# its code; the server certificate is the node's (CN=node5, by the node
# CA) and is switched after a renewal; a client that stalls is cut after
# 5 s and the next one is served; a bad --api-listen is refused.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
NM=$BIN/epoxy-nm
need_built "$O/keys/node-ca.crt" "$BIN/epoxyctl" "$NM"
need curl openssl xxd
epoxyd_setup || bail "setup"
node_ca 900 || bail "node CA"
node5_seed || bail "admin, node5 and its credential"
epoxyd_start || bail "epoxyd did not start"
ctl_env
N=$T_DIR/node; P=$T_DIR/clients
mkdir -p "$N/cache" "$P" || bail "dirs"
APORT=$(free_port 1) || bail "a free port"
URL=https://127.0.0.1:$APORT
NMPID=''
apitls_stop() { [ -z "$NMPID" ] || { kill "$NMPID" 2>/dev/null; wait "$NMPID" 2>/dev/null; }; NMPID=''; }
at_exit apitls_stop

# ---- the clients' certificates
FCA=$T_DIR/pki/ca.crt FKEY=$T_DIR/pki/ca.key   # the fleet CA the node pins (--ca)
printf 'extendedKeyUsage=clientAuth\n' >"$P/client.ext"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\n' >"$P/ca.ext"
# apitls_leaf NAME CACRT CAKEY [EXT]: NAME.key, NAME.crt (a P-256 key, 1 day)
apitls_leaf() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$P/$1.key" 2>/dev/null &&
		openssl req -new -key "$P/$1.key" -subj "/CN=$1" -out "$P/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$P/$1.csr" -CA "$2" -CAkey "$3" -CAcreateserial -days 1 \
			-extfile "$P/${4:-client}.ext" -out "$P/$1.crt" 2>/dev/null
}
apitls_leaf ops "$FCA" "$FKEY" || bail "the operator's certificate"
apitls_other_ca() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$P/other-ca.key" 2>/dev/null &&
		openssl req -x509 -new -key "$P/other-ca.key" -subj /CN=other-ca -days 2 \
			-out "$P/other-ca.crt" 2>/dev/null
}
apitls_other_ca || bail "another CA"
apitls_leaf stranger "$P/other-ca.crt" "$P/other-ca.key" || bail "another CA's certificate"
apitls_leaf inter "$FCA" "$FKEY" ca || bail "an intermediate CA under the fleet CA"
apitls_leaf peer "$P/inter.crt" "$P/inter.key" || bail "a certificate through the intermediate"
cat "$P/peer.crt" "$P/inter.crt" >"$P/peer-chain.crt"
# an expired one of the fleet CA: openssl ca with dates in the past
mkdir -p "$P/ca-db" && : >"$P/ca-db/index" && echo 01 >"$P/ca-db/serial"
cat >"$P/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $P/ca-db/index
serial = $P/ca-db/serial
new_certs_dir = $P/ca-db
default_md = sha256
policy = p
x509_extensions = x
[p]
commonName = supplied
[x]
extendedKeyUsage = clientAuth
EOF
apitls_old_cert() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$P/old.key" 2>/dev/null &&
		openssl req -new -key "$P/old.key" -subj /CN=old -out "$P/old.csr" 2>/dev/null &&
		openssl ca -batch -config "$P/ca.cnf" -cert "$FCA" -keyfile "$FKEY" -in "$P/old.csr" \
			-startdate 20200101000000Z -enddate 20200102000000Z -out "$P/old.crt" \
			>"$P/ca.log" 2>&1
}
apitls_old_cert || bail "an expired certificate" "$(tail -3 "$P/ca.log")"

# ---- usage errors
"$NM" --help | grep -q -- '--api-listen ADDR:PORT'; ok $? "epoxy-nm --help names --api-listen"
head -c 32 /dev/urandom | xxd -p -c 64 >"$N/dummy.cred"
for bad in 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 localhost:9443 127.0.0.1:x ::1:9443; do
	"$NM" join --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
		--host node5 --credential-file "$N/dummy.cred" --slivers "$N/cache" \
		--keyset "$KEYS/keyset" --api-socket "$N/api/api.sock" --api-listen "$bad" \
		>/dev/null 2>"$N/bad.log"
	is "$?/$(grep -o 'EPOXY-E3164' "$N/bad.log" | head -1)" "1/EPOXY-E3164" \
		"--api-listen $bad: refused before the join (E3164)"
done
"$NM" join --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
	--host node5 --credential-file /dev/null --api-listen "127.0.0.1:$APORT" >/dev/null 2>&1
is $? 2 "--api-listen without --slivers: usage error"

# ---- the node manager, its HTTPS API on 127.0.0.1:$APORT, renewed every 8 s
node_credential node5 52-54-00-00-00-05 >"$N/nc"
"$NM" join --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
	--host node5 --credential-file "$N/nc" --heartbeat 2 --renew 8 --poll 20 \
	--slivers "$N/cache" --keyset "$KEYS/keyset" --api-socket "$N/api/api.sock" \
	--api-listen "127.0.0.1:$APORT" 2>"$N/nm.log" &
NMPID=$!
log_wait "$N/nm.log" 'joined as node5' 300 || bail "node5 did not join" "$(tail -5 "$N/nm.log")"
# its first sliver set in hand: the lists compared below are of one set
log_wait "$N/nm.log" 'sliver set [0-9]+ of node5 verified' 300 ||
	bail "node5's first sliver set" "$(tail -5 "$N/nm.log")"
grep -q "local API over HTTPS on 127.0.0.1:$APORT" "$N/nm.log"
ok $? "the log names the HTTPS API's address"

# apitls_get PATH [CURL ARGS...]: "STATUS" of a request with the operator's certificate
apitls_get() {
	local p=$1; shift
	curl -sk --max-time 20 -o "$N/body" -w '%{http_code}' --cert "$P/ops.crt" --key "$P/ops.key" \
		"$@" "$URL$p"
}
is "$(apitls_get /list)" 200 "GET /list with the fleet CA's client certificate: 200"
grep -q '"node": *"node5"' "$N/body"; ok $? "...the plan of node5 as JSON" "$(head -c 200 "$N/body")"
"$NM" slivers --api-socket "$N/api/api.sock" >"$N/unix.json" 2>/dev/null
cmp -s "$N/body" "$N/unix.json"; ok $? "...the same body as the Unix socket's list"
is "$(apitls_get /usage)" 403 "GET /usage without --rootfs: 403 (the API's refusal)"
grep -q '^refused EPOXY-E3157 ' "$N/body"; ok $? "...with the Unix answer's line, E3157" "$(cat "$N/body")"
printf 'not a ticket' >"$N/tk"
is "$(apitls_get /redeem --data-binary @"$N/tk")" 403 "POST /redeem of a malformed ticket: 403"
grep -q '^refused EPOXY-E108' "$N/body"; ok $? "...with its ticket code" "$(cat "$N/body")"
is "$(apitls_get /list -X DELETE)" 400 "DELETE /list: 400"
grep -q '^refused EPOXY-E3165 ' "$N/body"; ok $? "...E3165" "$(cat "$N/body")"
is "$(apitls_get /list?all)" 400 "GET /list?all: 400"
is "$(apitls_get /nothing)" 400 "GET /nothing: 400"
head -c 5000 /dev/zero | tr '\0' x >"$N/big"
is "$(apitls_get /redeem -H 'Expect:' --data-binary @"$N/big")" 413 "POST /redeem of 5000 bytes: 413"
grep -q '^refused EPOXY-E3166 ' "$N/body"; ok $? "...E3166" "$(cat "$N/body")"
is "$(apitls_get /list -H "X-Pad: $(head -c 9000 /dev/zero | tr '\0' p)")" 413 "a head over 8 KiB: 413"
is "$(apitls_get /list)" 200 "served again after the refusals"

# ---- refused in the handshake, each with its code and the peer in the log
# apitls_refused NAME CODE CURL-ARGS...: curl fails, the log gains CODE
apitls_refused() {
	local name=$1 code=$2 before; shift 2
	before=$(grep -c "$code HTTPS API client 127.0.0.1:[0-9]* refused" "$N/nm.log")
	curl -sk --max-time 20 -o /dev/null "$@" "$URL/list" 2>/dev/null
	ok $((! $?)) "$name: no answer"
	log_wait "$N/nm.log" "$code HTTPS API client 127.0.0.1:[0-9]* refused" 50 &&
		[ "$(grep -c "$code HTTPS API client 127.0.0.1:[0-9]* refused" "$N/nm.log")" -gt "$before" ]
	ok $? "$name: $code in the log with the peer" "$(tail -2 "$N/nm.log")"
}
apitls_refused "no client certificate" EPOXY-E3167
apitls_refused "another CA's certificate" EPOXY-E3168 --cert "$P/stranger.crt" --key "$P/stranger.key"
apitls_refused "a certificate through an intermediate under the fleet CA" EPOXY-E3168 \
	--cert "$P/peer-chain.crt" --key "$P/peer.key"
apitls_refused "an expired certificate of the fleet CA" EPOXY-E3169 --cert "$P/old.crt" --key "$P/old.key"
is "$(apitls_get /list)" 200 "the operator is served after the refusals"
grep -qE 'PRIVATE KEY|BEGIN EC' "$N/nm.log"; ok $((! $?)) "no key in the log"

# ---- the server's certificate: the node's, switched at renewal
apitls_srv_cert() {
	openssl s_client -connect "127.0.0.1:$APORT" -cert "$P/ops.crt" -key "$P/ops.key" \
		</dev/null 2>/dev/null | openssl x509 2>/dev/null
}
apitls_srv_cert >"$N/srv1.pem"
is "$(openssl x509 -in "$N/srv1.pem" -noout -subject 2>/dev/null | sed 's/ //g')" "subject=CN=node5" \
	"the server certificate is the node's (CN=node5)"
openssl verify -purpose any -partial_chain -CAfile "$KEYS/node-ca.crt" "$N/srv1.pem" >/dev/null 2>&1
ok $? "...issued by the node CA"
# an OpenSSL client verifies the node by its name under the fleet CA
# that made the node CA (serverAuth on the node CA and its certificates)
cat "$O/keys/ca.crt" "$KEYS/node-ca.crt" >"$P/fleet+node-ca.pem"
is "$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' --cacert "$P/fleet+node-ca.pem" \
	--resolve "node5:$APORT:127.0.0.1" --cert "$P/ops.crt" --key "$P/ops.key" "https://node5:$APORT/list")" \
	200 "curl verifies the node's server certificate as node5 under the fleet CA (no -k)"
is "$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' --cacert "$P/fleet+node-ca.pem" \
	--resolve "node6:$APORT:127.0.0.1" --cert "$P/ops.crt" --key "$P/ops.key" "https://node6:$APORT/list")" \
	000 "...and refuses it under another node's name"
apitls_renewals() { grep -c '/v1/node/renew: certificate for node5' "$N/nm.log"; }
r0=$(apitls_renewals)
for _ in $(seq 1 300); do [ "$(apitls_renewals)" -gt "$r0" ] && break; sleep 0.1; done
[ "$(apitls_renewals)" -gt "$r0" ]; ok $? "the node renewed its certificate" "$(tail -3 "$N/nm.log")"
apitls_srv_cert >"$N/srv2.pem"
s1=$(openssl x509 -in "$N/srv1.pem" -noout -serial 2>/dev/null)
s2=$(openssl x509 -in "$N/srv2.pem" -noout -serial 2>/dev/null)
[ -n "$s2" ] && [ "$s1" != "$s2" ]; ok $? "after the renewal the server presents the new certificate" "$s1 / $s2"
is "$(apitls_get /list)" 200 "served with the renewed identity"

# ---- one connection at a time, each cut after 5 s
exec 3<>"/dev/tcp/127.0.0.1/$APORT" || bail "a silent connection"
t0=$(date +%s)
is "$(apitls_get /list)" 200 "a client behind a silent one is served"
dt=$(($(date +%s) - t0))
exec 3<&-
[ "$dt" -ge 3 ] && [ "$dt" -le 15 ]; ok $? "...after the silent one's 5 s ($dt s)"
kill -0 "$NMPID" 2>/dev/null; ok $? "the node manager still runs"
done_testing
