#!/usr/bin/env bash
# t_archive_s3: the archive's S3 backend (issue 15 point 3) against a real
# S3 API, OpenStack Swift with s3api on loopback (tests/lib/swift.sh),
# with nodes holding node certificates as joined nodes get them, and
# node1's archive-only certificate (OU=epoxy-archive, as the measurement
# sliver's pusher holds it).
# Asserts: epoxyd refuses to start on a key file readable by others
# (E2532); a node's upload URL names its own key only and works for the
# PUT it was made for; the same URL with another node's name in the path,
# or after it expired, is refused by Swift itself; "done" records exactly
# what arrived (size, location) and a bundle with a changed byte is
# refused (400 E2341) with nothing kept in the bucket or the store; a
# second upload through a reused URL changes nothing recorded; a PUT of a
# body to epoxyd is refused (409 E2531); an embargoed bundle sits under
# private/, which Swift serves to nobody without credentials, is in no
# public listing and has no public URL, also after its embargo ended until
# housekeeping moved it; then it is listed, and its public URL serves its
# bytes; the archive-only certificate gets presigned URLs for its node's
# objects and uploads through S3, gets none for another node's object,
# and is refused (403 E2391) by the node endpoints on this configuration;
# neither the secret nor a signature is ever in epoxyd's log;
# then the real epoxy-pusher through it (tests/node/pusher_s3.sh).
. "$(dirname "$0")/../ctl/lib.sh"
. tests/lib/swift.sh
need_built "$O/keys/node-ca.crt"
BUCKET=epoxy-archive

swift_setup || bail "Swift set-up"
swift_start || bail "Swift did not start"
is "$(s3 PUT "/$BUCKET" | head -1)" 200 "the bucket is made through Swift's S3 API"

epoxyd_setup || bail "setup"
node_ca || bail "node CA"
"$BIN/epoxyd-seed" host "$STORE" node2 52-54-00-00-00-02 >/dev/null || bail "node2"
"$BIN/epoxyd-seed" cred "$STORE" node2 "$T_DIR/cred.node2" >/dev/null || bail "node2 cred"
ctl admin init --store "$STORE" --name ops --out "$T_DIR/admin.cred" || bail "admin credential"
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
export HOME=$T_DIR/home
unset EPOXY_CONFIG
( umask 077 && printf '%s\n' "$SWIFT_AK" >"$KEYS/s3.access" &&
  cp "$SWIFT_SK_FILE" "$KEYS/s3.secret" ) || bail "key files"
S3OPTS=(-o archive_backend=s3 -o "s3_endpoint=$SWIFT_URL" -o "s3_bucket=$BUCKET"
	-o "s3_access_key_file=$KEYS/s3.access" -o "s3_secret_key_file=$KEYS/s3.secret"
	-o s3_url_ttl=10)

chmod 0644 "$KEYS/s3.secret"
not epoxyd_start "${S3OPTS[@]}"; ok $? "epoxyd refuses a secret key file readable by others"
grep -q 'EPOXY-E2532' "$T_DIR/epoxyd.log"; ok $? "...with EPOXY-E2532 in its log"
chmod 0600 "$KEYS/s3.secret"
epoxyd_start "${S3OPTS[@]}" || bail "epoxyd with the S3 backend" "$(tail -5 "$T_DIR/epoxyd.log")"
N=$T_DIR/node; W=$T_DIR/w; mkdir -p "$N" "$W"
is "$(node_cert node1 52-54-00-12-34-56 "$N")" 200 "node1 has a node certificate"
is "$(node_cert node2 52-54-00-00-00-02 "$N")" 200 "node2 has a node certificate"
ctl experiment create ndt --embargo 0; is $? 0 "experiment ndt, no embargo"
ctl experiment create wehe --embargo 2; is $? 0 "experiment wehe, 2-day embargo"

# nreq NODE EXP SHA OP NAME: the node's POST to epoxyd for the bundle
# named NAME; status line then body
nreq() {
	curl -s --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
		--cert "$N/$1.crt" --key "$N/$1.key" -X POST \
		"https://epoxy.test:$HTTPS_PORT/v1/archive/$2/$3/$4?name=$5" -o "$T_DIR/ans" -w '%{http_code}'
	printf ' %s' "$(head -c 11 "$T_DIR/ans")"
}
url() { sed -n 's/^url //p' "$T_DIR/ans"; }
# put URL FILE: Swift's status for the presigned PUT
put() { curl -s -X PUT --upload-file "$2" "$1" -o "$T_DIR/put" -w '%{http_code}'; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
for f in a b c d; do head -c $((3000 + RANDOM % 3000)) /dev/urandom >"$W/$f"; done
A=$(sha "$W/a"); B=$(sha "$W/b"); C=$(sha "$W/c")
NA=$(arc_name ndt tcpinfo node1); NB=$(arc_name wehe tcpinfo node1); NC=$(arc_name ndt tcpinfo node2)

# ---- a URL for one object of one node
is "$(nreq node1 ndt "$A" url "$(arc_name ndt tcpinfo node2)")" "403 EPOXY-E2388" \
	"a URL for a name of node2's: refused (the node part is the certificate's)"
is "$(nreq node1 ndt "$A" url "${NA%.tgz}.tar.zst")" "400 EPOXY-E2387" "...for a malformed name: refused"
is "$(nreq node1 ndt "$A" url "")" "400 EPOXY-E2387" "...without a name: refused"
is "$(nreq node1 ndt "$A" url "$NA")" "200 url http://" "node1 gets an upload URL for its ndt bundle"
U=$(url)
case $U in "$SWIFT_URL/$BUCKET/incoming/ndt/node1/$A.tgz?"*X-Amz-Signature=*) r=0;; *) r=1;; esac
ok $r "...for incoming/ndt/node1/<sha>.tgz, presigned" "$U"
grep -q "^expires $(($(date +%s) + 10))\$\|^expires $(($(date +%s) + 9))\$" "$T_DIR/ans"; ok $? "...expiring in s3_url_ttl (10 s)" "$(cat "$T_DIR/ans")"
OTHER=${U/\/node1\//\/node2\/}
is "$(put "$OTHER" "$W/a")" 403 "the URL with node2's name in its path: refused by Swift"
grep -q SignatureDoesNotMatch "$T_DIR/put"; ok $? "...SignatureDoesNotMatch" "$(cat "$T_DIR/put")"
MOVED=${U/\/incoming\//\/public\/}
is "$(put "$MOVED" "$W/a")" 403 "the URL pointed at public/: refused by Swift"
is "$(put "$U" "$W/a")" 200 "node1 PUTs its bundle to Swift with the URL"
is "$(nreq node1 ndt "$A" "done" "$NA")" "200 stored ndt/" "node1 says done: epoxyd checks and records it"
is "$(cat "$T_DIR/ans")" "stored $NA" "...under its name"
is "$(sql "SELECT size || ' ' || location FROM archive_bundles WHERE sha256 = '$A'")" \
	"$(stat -c %s "$W/a") s3-public" "...its size as it arrived, in public/ (no embargo)"
is "$(s3 GET "/$BUCKET/incoming/ndt/node1/$A.tgz" | head -1)" 404 "...the incoming object is gone"
is "$(put "$U" "$W/d")" 200 "the same URL again, other bytes, before it expired"
is "$(nreq node1 ndt "$A" "done" "$NA")" "200 exists ndt/" "...done again: 'exists', nothing copied"
is "$(s3 GET "/$BUCKET/public/$NA" | head -1)" 200 "the recorded object is public/<its name>"
s3 GET "/$BUCKET/public/$NA" | tail -n +2 >"$W/back.a"
cmp -s "$W/a" "$W/back.a"; ok $? "...the recorded object still holds the first bytes"
is "$(s3 GET "/$BUCKET/incoming/ndt/node1/$A.tgz" | head -1)" 404 "...and the reused upload was deleted"
# a retry after kill -9 that named the same bundle anew
NA2=$(arc_name ndt tcpinfo node1)
is "$(nreq node1 ndt "$A" url "$NA2")" "200 url http://" "the same bundle under a new name: a URL"
is "$(put "$(url)" "$W/a")" 200 "...uploaded"
is "$(nreq node1 ndt "$A" "done" "$NA2")" "200 exists ndt/" "...done: 'exists'"
is "$(cat "$T_DIR/ans")" "exists $NA" "...under the name it was stored under"
is "$(s3 GET "/$BUCKET/public/$NA2" | head -1)" 404 "...and no second copy under the new name"
is "$(sql "SELECT count(*) FROM archive_bundles WHERE sha256 = '$A'")" 1 "...one record"

# ---- node1's archive-only certificate (the measurement sliver's pusher)
is "$(arc_cert node1 "$N")" 200 "node1's certificate gets an archive-only certificate"
openssl x509 -in "$N/node1-arc.crt" -noout -subject -nameopt RFC2253 | grep -q 'OU=epoxy-archive'
ok $? "...marked OU=epoxy-archive"
head -c 5000 /dev/urandom >"$W/e"; E=$(sha "$W/e"); NE=$(arc_name ndt tcpinfo node1)
is "$(nreq node1-arc ndt "$E" url "$NE")" "200 url http://" "the archive certificate gets an upload URL"
U=$(url)
case $U in "$SWIFT_URL/$BUCKET/incoming/ndt/node1/$E.tgz?"*X-Amz-Signature=*) r=0;; *) r=1;; esac
ok $r "...for node1's incoming/ndt/node1/<sha>.tgz, presigned" "$U"
is "$(put "$U" "$W/e")" 200 "...and uploads through S3 with it"
is "$(nreq node1-arc ndt "$E" "done" "$NE")" "200 stored ndt/" "...done: epoxyd checks and records it"
is "$(sql "SELECT size || ' ' || location FROM archive_bundles WHERE sha256 = '$E'")" \
	"$(stat -c %s "$W/e") s3-public" "...its size as it arrived, in public/"
s3 GET "/$BUCKET/public/$NE" | tail -n +2 >"$W/back.e"
cmp -s "$W/e" "$W/back.e"; ok $? "...public/<its name> holds its bytes"
head -c 5000 /dev/urandom >"$W/f"; F=$(sha "$W/f"); NF=$(arc_name ndt tcpinfo node2)
is "$(nreq node1-arc ndt "$F" url "$NF")" "403 EPOXY-E2388" \
	"the archive certificate gets no URL for node2's object"
is "$(nreq node1-arc ndt "$F" "done" "$NF")" "403 EPOXY-E2388" "...nor records one as node2's"
is "$(sql "SELECT count(*) FROM archive_bundles WHERE sha256 = '$F'")" 0 "...nothing recorded"
# node endpoints, not the archive's, on this S3 configuration
while IFS='|' read -r m p extra what; do
	args=()
	[ -n "$extra" ] && args=(-H 'Content-Type: application/x-www-form-urlencoded' --data "$extra")
	r=$(hs "$p" -X "$m" --cert "$N/node1-arc.crt" --key "$N/node1-arc.key" "${args[@]}" \
		-o "$T_DIR/ans" -w '%{http_code}')
	is "$r $(head -c 11 "$T_DIR/ans")" "403 EPOXY-E2391" "the archive certificate on $what: refused"
done <<ENDPOINTS
POST|/v1/node/heartbeat|uptime=1|the heartbeat
POST|/v1/node/archive-cert|csr=$(csr_hex "$N/node1-arc.key" /CN=node1)|archive-cert
GET|/v1/node/slivers||the sliver set
ENDPOINTS
is "$(nreq node1 ndt "$F" url "$(arc_name ndt tcpinfo node1)")" "200 url http://" \
	"node1's own certificate still gets URLs"

# ---- an expired URL
is "$(nreq node2 ndt "$C" url "$NC")" "200 url http://" "node2 gets a URL"
U2=$(url)
sleep 12
is "$(put "$U2" "$W/c")" 403 "...12 s later (ttl 10 s) Swift refuses it"
grep -q 'expired' "$T_DIR/put"; ok $? "...as expired" "$(cat "$T_DIR/put")"
is "$(nreq node2 ndt "$C" "done" "$NC")" "404 EPOXY-E2533" "done without an upload: 404 E2533"
is "$(sql "SELECT count(*) FROM archive_bundles WHERE sha256 = '$C'")" 0 "...nothing recorded"

# ---- a changed byte: the SHA-256 does not match the name
is "$(nreq node2 ndt "$C" url "$NC")" "200 url http://" "node2 gets a new URL"
cp "$W/c" "$W/c.bad"; flip_byte "$W/c.bad" 100
is "$(put "$(url)" "$W/c.bad")" 200 "node2 PUTs a bundle with a changed byte"
is "$(nreq node2 ndt "$C" "done" "$NC")" "400 EPOXY-E2341" "done: refused, the SHA-256 is not its name's"
is "$(sql "SELECT count(*) FROM archive_bundles WHERE sha256 = '$C'")" 0 "...nothing recorded"
is "$(s3 GET "/$BUCKET/public/$NC" | head -1)" 404 "...and nothing kept in public/"
is "$(s3 GET "/$BUCKET/incoming/ndt/node2/$C.tgz" | head -1)" 404 "...nor in incoming/"
# another bundle under a name taken
is "$(nreq node2 ndt "$C" url "$NC")" "200 url http://" "node2 gets a URL for its bundle"
is "$(put "$(url)" "$W/c")" 200 "...uploads it"
is "$(nreq node2 ndt "$C" "done" "$NC")" "200 stored ndt/" "...recorded"
D=$(sha "$W/d")
is "$(nreq node2 ndt "$D" url "$NC")" "200 url http://" "another bundle under the same name: a URL"
is "$(put "$(url)" "$W/d")" 200 "...uploaded to incoming/"
is "$(nreq node2 ndt "$D" "done" "$NC")" "409 EPOXY-E2389" "...done: refused, the name is taken"
s3 GET "/$BUCKET/public/$NC" | tail -n +2 >"$W/back.c"
cmp -s "$W/c" "$W/back.c"; ok $? "...the named object keeps its bytes"
is "$(s3 GET "/$BUCKET/incoming/ndt/node2/$D.tgz" | head -1)" 404 "...and the refused upload was deleted"

# ---- no bundle through epoxyd
st=$(curl -s --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
	--cert "$N/node1.crt" --key "$N/node1.key" -X PUT --data-binary @"$W/b" \
	"https://epoxy.test:$HTTPS_PORT/v1/archive/ndt/$B" -o "$T_DIR/ans" -w '%{http_code}')
is "$st $(head -c 11 "$T_DIR/ans")" "409 EPOXY-E2531" "a PUT of the body to epoxyd: 409 E2531"
is "$(nreq node1 ndt "$B" bogus "$NB")" "400 EPOXY-E2340" "an unknown operation: 400 E2340"

# ---- the embargo
is "$(nreq node1 wehe "$B" url "$NB")" "200 url http://" "node1 gets a URL for a wehe bundle"
is "$(put "$(url)" "$W/b")" 200 "...uploads it"
is "$(nreq node1 wehe "$B" "done" "$NB")" "200 stored wehe" "...done: recorded"
is "$(sql "SELECT location FROM archive_bundles WHERE sha256 = '$B'")" s3-private "...in private/"
is "$(s3 GET "/$BUCKET/private/$NB" | head -1)" 200 "...as private/<its name>"
is "$(curl -s -o /dev/null -w '%{http_code}' "$SWIFT_URL/$BUCKET/private/$NB")" \
	400 "Swift serves private/ to nobody without credentials"
is "$(curl -s -o /dev/null -w '%{http_code}' "$SWIFT_URL/$BUCKET/public/$NB")" \
	400 "...nor a guessed public/ name"
is "$(hs_code "/v1/archive/$NB")" 404 "epoxyd gives no public URL for it"
is "$(hs_code "/v1/archive/node1/wehe/$B")" 404 "...by node/experiment/SHA-256 neither"
hs /v1/archive/ >"$W/list"
grep -q "^$NA $A " "$W/list"; ok $? "the public listing shows the ndt bundle by its name"
grep -q "^wehe/" "$W/list"; is $? 1 "...and not the embargoed one"
is "$(hs "/v1/archive/$NA" | head -c 11)" "url http://" "the public GET of ndt's bundle by its name: a URL"
case $(hs "/v1/archive/$NA" | sed -n 's/^url //p') in "$SWIFT_URL/$BUCKET/public/$NA?"*) r=0;; *) r=1;; esac
ok $r "...of public/<its name>"
curl -s "$(hs "/v1/archive/$NA" | sed -n 's/^url //p')" -o "$W/pub.a"
cmp -s "$W/a" "$W/pub.a"; ok $? "...that serves its bytes"
is "$(hs "/v1/archive/node1/ndt/$A" | head -c 11)" "url http://" "...by node/experiment/SHA-256 too"

epoxyd_stop
epoxyd_start "${S3OPTS[@]}" -o clock_offset=$((3 * 86400)) -o housekeeping_interval=0 ||
	bail "epoxyd 3 days ahead"
hs /v1/archive/ | grep -q "^wehe/"; is $? 1 "3 days later, not moved yet: still not listed"
is "$(hs_code "/v1/archive/$NB")" 404 "...and no public URL"
epoxyd_stop
epoxyd_start "${S3OPTS[@]}" -o clock_offset=$((3 * 86400)) -o housekeeping_interval=1 ||
	bail "epoxyd 3 days ahead, with housekeeping"
for _ in $(seq 100); do
	[ "$(sql "SELECT location FROM archive_bundles WHERE sha256 = '$B'")" = s3-public ] && break
	sleep 0.2
done
is "$(sql "SELECT location FROM archive_bundles WHERE sha256 = '$B'")" s3-public "housekeeping moved it to public/"
is "$(sql "SELECT count(*) FROM audit WHERE action = 'archive.moved'")" 1 "...audited once"
is "$(s3 GET "/$BUCKET/private/$NB" | head -1)" 404 "...and deleted the private copy"
is "$(s3 GET "/$BUCKET/public/$NB" | head -1)" 200 "...to public/<its name>"
hs /v1/archive/ | grep -q "^$NB $B "; ok $? "now the public listing shows it"
curl -s "$(hs "/v1/archive/$NB" | sed -n 's/^url //p')" -o "$W/pub.b"
cmp -s "$W/b" "$W/pub.b"; ok $? "...and its public URL serves its bytes"

grep -qF "$(cat "$KEYS/s3.secret")" "$T_DIR/epoxyd.log"; is $? 1 "the secret is not in epoxyd's log"
grep -q 'X-Amz-Signature' "$T_DIR/epoxyd.log"; is $? 1 "...nor any signed URL"

# the real epoxy-pusher through this epoxyd and this Swift
. tests/node/pusher_s3.sh
grep -q 'X-Amz-Signature' "$T_DIR/epoxyd.log"; is $? 1 "...after it too, no signed URL in epoxyd's log"
done_testing
