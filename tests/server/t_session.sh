#!/bin/bash
# t_session: one whole boot's worth of requests against a real epoxyd on
# loopback with curl (pinned CA, DNS name epoxy.test): firmware leg,
# session, manifest, artifacts with Range and resume tokens, join
# credential, reports, metrics (promtool), TLS floor, plain-HTTP refusals,
# privilege drop, and no live token in logs or store files.
. "$(dirname "$0")/../lib/epoxyd.sh"

epoxyd_setup || bail "setup"
epoxyd_start || bail "epoxyd did not start" "$(cat "$T_DIR/epoxyd.log")"

# --- process
uid=$(awk '/^Uid:/ {print $2}' /proc/$SRV_PID/status)
if [ "$(id -u)" = 0 ]; then is "$uid" "$(id -u nobody)" "root dropped to user nobody"; fi
is "$(hp /healthz)" ok "healthz on plain HTTP"
is "$(hs /healthz)" ok "healthz on HTTPS"

# --- firmware leg
is "$(hs /boot/stage0 -A UefiHttpBoot/1.0)" "EFI-stage0-test-bytes" "stage0 for UefiHttpBoot over HTTPS is the EFI binary"
is "$(hp_code /boot/stage0 -A UefiHttpBoot/1.0)" 403 "stage0 refused to the firmware over plain HTTP (its pinned-CA leg cannot be skipped)"
s0=$(hp /boot/stage0 -A 'iPXE/1.0.0+git-20190125.36a4c85f-5.1')
is "$(head -1 <<<"$s0")" '#!ipxe' "stage0 for iPXE is a script"
grep -q "chain --autofree http://127.0.0.1:$HTTP_PORT/boot/stage1.ipxe?mac=\${net0/mac:hexhyp}&uuid=\${uuid}" <<<"$s0"
ok $? "stage0 script chains stage1.ipxe with iPXE's settings"
is "$(hp_code /boot/stage0 -A curl/7)" 400 "stage0 for an unknown client refused"
s1=$(hp "/boot/stage1.ipxe?mac=52-54-00-12-34-56&uuid=x&serial=S1&platform=efi&buildarch=x86_64")
grep -q "^imgfetch --name stage1 http://127.0.0.1:$HTTP_PORT/boot/stage1.efi || goto fail0$" <<<"$s1" &&
grep -q "^imgexec --autofree stage1 || goto refused0$" <<<"$s1"
ok $? "stage1 script (efi) chains the signed UKI"
grep -q '^echo epoxy stage1 host=node1 mac=52-54-00-12-34-56 ' <<<"$s1"
ok $? "stage1 script names the host"
s1b=$(hp "/boot/stage1.ipxe?mac=52:54:00:12:34:56&platform=pcbios")
grep -q "^kernel http://127.0.0.1:$HTTP_PORT/boot/stage1/vmlinuz console=ttyS0 epoxy.server=epoxy.test epoxy.addr=10.0.2.100 epoxy.port=8443 epoxy.stage=1 epoxy.host=node1 || goto fail0$" <<<"$s1b"
ok $? "stage1 script (pcbios) boots kernel + initrd with the stage1 cmdline and epoxy.host"
is "$(hp_code '/boot/stage1.ipxe?mac=52-54-00-ff-ff-ff')" 404 "stage1 for an unregistered MAC refused"
is "$(hp '/boot/stage1.ipxe?mac=52-54-00-ff-ff-ff' | cut -c1-11)" EPOXY-E2220 "... with EPOXY-E2220"
is "$(hp_code '/boot/stage1.ipxe?mac=zz')" 400 "stage1 with a malformed MAC refused"
is "$(hp /boot/stage1.efi)" EFI-stage1-test-bytes "stage1.efi served"
is "$(hp /boot/stage1/cmdline | head -c 14)" "console=ttyS0 " "stage1/cmdline served"
len=$(hp /boot/stage1.efi -I | tr -d '\r' | awk 'tolower($1)=="content-length:" {print $2}')
is "$len" 21 "HEAD stage1.efi has the Content-Length"
v=$(curl -sv -o /dev/null -I "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi" -A iPXE/1.0 \
	--next -o /dev/null "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi" -A iPXE/1.0 2>&1)
grep -q 'Re-using existing connection' <<<"$v"
ok $? "HEAD then GET on one keep-alive connection (as OVMF does)"
u="https://epoxy.test:$HTTPS_PORT/boot/stage0"
v=$(curl -sv --cacert "$T_DIR/pki/ca.crt" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" -o /dev/null -I "$u" \
	-A UefiHttpBoot/1.0 --next --cacert "$T_DIR/pki/ca.crt" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
	-o "$T_DIR/s0" "$u" -A UefiHttpBoot/1.0 2>&1)
grep -q 'Re-using existing connection' <<<"$v" && cmp -s "$T_DIR/s0" "$BOOT/stage0.efi"
ok $? "...and over HTTPS, where the firmware fetches stage0"

# --- plain HTTP refuses everything with a token or secret
for p in /v1/session /v1/manifest /v1/artifact/kernel /v1/joincred /v1/report /metrics /admin/v1/hosts; do
	body=$(hp "$p" -X POST)
	is "$(hp_code "$p")/${body:0:11}" "403/EPOXY-E2206" "plain HTTP refuses $p"
done

# --- TLS
curl -s --tls-max 1.1 --cacert "$T_DIR/pki/ca.crt" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
	"https://epoxy.test:$HTTPS_PORT/healthz" >/dev/null 2>&1
is $? 35 "TLS 1.1 refused (handshake fails)"
is "$(hs /healthz --tlsv1.2 --tls-max 1.2)" ok "TLS 1.2 accepted"
curl -s "https://epoxy.test:$HTTPS_PORT/healthz" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" >/dev/null 2>&1
ok $(( $? == 0 )) "a client without the fleet CA cannot connect"

# --- session
is "$(open_session)" 200 "session opened with the boot credential"
is "$(head -1 "$T_DIR/session")" "epoxy-session 1" "session answer format"
is "$(grep -c '^token ' "$T_DIR/session")" 7 "seven single-use tokens"
for p in manifest kernel initramfs cmdline join joincred report; do
	[[ $(tok $p) =~ ^[0-9a-f]{64}$ ]]; ok $? "token $p is 64 hex"
done
sed -n '/^epoxy-statement 1$/,$p' "$T_DIR/session" >"$T_DIR/statement"
is "$(awk '$1=="nonce" {print $2}' "$T_DIR/statement")" "$(cat "$T_DIR/nonce")" "statement carries the agent's nonce"
is "$(awk '$1=="host" {print $2}' "$T_DIR/statement")" node1 "statement names the host"
is "$(grep -c '^sig [0-9a-f]\{16\} [0-9a-f]*$' "$T_DIR/statement")" 1 "statement has one signature"
"$BIN/epoxyd-seed" statement "$KEYS/keyset" "$T_DIR/statement" "$(cat "$T_DIR/nonce")" node1
ok $? "statement verifies with the trust library against the keyset's online key"
"$BIN/epoxyd-seed" statement "$KEYS/keyset" "$T_DIR/statement" "$(printf '0%.0s' {1..64})" node1 2>/dev/null
ok $(( $? == 0 )) "...and not for another nonce"
"$BIN/epoxyd-seed" statement "$KEYS/keyset" "$T_DIR/statement" "$(cat "$T_DIR/nonce")" node2 2>/dev/null
ok $(( $? == 0 )) "...nor for another host"
sid=$(awk '$1=="session" {print $2; exit}' "$T_DIR/session")
is "$(awk '$1=="session" {print $2}' "$T_DIR/statement")" "$sid" "statement names the session"

hs /v1/manifest -H "Authorization: Bearer $(tok manifest)" -o "$T_DIR/manifest"
is "$(head -1 "$T_DIR/manifest")" "epoxy-manifest 1" "manifest served with its token"
is "$(sha256sum <"$T_DIR/manifest" | cut -d' ' -f1)" "$(awk '$1=="manifest" {print $2}' "$T_DIR/statement")" \
	"statement names the SHA-256 of the manifest served"
is "$(hs_code /v1/manifest -H "Authorization: Bearer $(tok manifest)")" 403 "manifest token replay refused"
is "$(hs /v1/manifest -H "Authorization: Bearer $(tok manifest)" | cut -c1-11)" EPOXY-E2003 "... as EPOXY-E2003 token already used"

# --- artifacts
for r in initramfs cmdline join; do
	hs /v1/artifact/$r -H "Authorization: Bearer $(tok $r)" -o "$T_DIR/got.$r"
	cmp -s "$T_DIR/got.$r" "$T_DIR/art/$r"; ok $? "artifact $r served whole and intact"
done
# kernel: three ranged pieces, each with the previous answer's next token
t=$(tok kernel); off=0; : >"$T_DIR/got.kernel"
for piece in 0 1 2; do
	end=$(( piece == 2 ? 299999 : off + 99999 ))
	code=$(hs /v1/artifact/kernel -H "Authorization: Bearer $t" -r "$off-$( [ $piece = 2 ] || echo $end)" \
		-D "$T_DIR/hdr" -o "$T_DIR/piece" -w '%{http_code}')
	is "$code" 206 "kernel piece $piece answered 206"
	cat "$T_DIR/piece" >>"$T_DIR/got.kernel"
	t=$(tr -d '\r' <"$T_DIR/hdr" | awk 'tolower($1)=="epoxy-next-token:" {print $2}')
	off=$((end + 1))
done
cmp -s "$T_DIR/got.kernel" "$T_DIR/art/kernel"; ok $? "kernel reassembled from ranges equals the artifact"
grep -qi '^content-range: bytes 200000-299999/300000' "$T_DIR/hdr"; ok $? "Content-Range of the last piece"
# resume tokens are capped per artifact per session
n=3
while [ -n "$t" ] && [ $n -lt 20 ]; do
	hs /v1/artifact/kernel -H "Authorization: Bearer $t" -r 0-0 -D "$T_DIR/hdr" -o /dev/null
	t=$(tr -d '\r' <"$T_DIR/hdr" | awk 'tolower($1)=="epoxy-next-token:" {print $2}')
	n=$((n + 1))
done
is "$n" 9 "resume tokens stop after 8 per artifact per session"
is "$(hs_code /v1/artifact/kernel -H "Authorization: Bearer $(tok kernel)")" 403 "first kernel token is spent"

# --- join credential
jc=$(hs /v1/joincred -X POST -H "Authorization: Bearer $(tok joincred)")
[[ $jc =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]; ok $? "builtin join credential has the bootstrap-token shape"
is "$(hs_code /v1/joincred -X POST -H "Authorization: Bearer $(tok joincred)")" 403 "join credential is single use"
grep -q "$jc" "$T_DIR/epoxyd.log"; ok $(( $? == 0 )) "join credential not in the log"

# --- reports
form='Content-Type: application/x-www-form-urlencoded'
hs /v1/report -X POST -H "$form" -H "Authorization: Bearer $(tok report)" \
	--data 'stage=1&status=fail&code=EPOXY-E1220&tail=line1%0aline2' -D "$T_DIR/hdr" -o /dev/null
is "$(head -1 "$T_DIR/hdr" | cut -d' ' -f2)" 204 "fail report accepted (204)"
rt=$(tr -d '\r' <"$T_DIR/hdr" | awk 'tolower($1)=="epoxy-next-token:" {print $2}')
[[ $rt =~ ^[0-9a-f]{64}$ ]]; ok $? "fail report answers a new report token"
is "$(sqlite3 "$DB" "select status||' '||code from reports order by id desc limit 1")" "fail EPOXY-E1220" "report stored"
is "$(sqlite3 "$DB" "select state from hosts where name='node1'")" failed "a fail report marks the host failed"
is "$(hs_code /v1/report -X POST -H "$form" -H "Authorization: Bearer $rt" --data 'stage=2&status=ok')" 204 "ok report with the new token"
is "$(sqlite3 "$DB" "select state from sessions where id='$sid'")" ok "ok report closes the session"
is "$(sqlite3 "$DB" "select state from hosts where name='node1'")" booted \
	"the stage-2 ok report marks the host booted (joined comes with its first mTLS heartbeat: t_nodeid)"

# --- metrics
hs /metrics -o "$T_DIR/metrics"
grep -q '^epoxyd_sessions_opened_total 1$' "$T_DIR/metrics"; ok $? "metrics count the session"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T_DIR/metrics" >"$T_DIR/promtool.out" 2>&1
	ok $? "promtool check metrics accepts the exposition"
else
	ok 1 "promtool missing (make deps installs prometheus)"
fi

# --- no live token anywhere it must not be
epoxyd_stop
leak=0
for t in $(awk '$1=="token" {print $3}' "$T_DIR/session") $rt; do
	for f in "$T_DIR/epoxyd.log" "$DB" "$DB-wal" "$DB-shm"; do
		[ -f "$f" ] && grep -qa "$t" "$f" && { leak=1; echo "# token found in $f"; }
	done
done
is "$leak" 0 "no token in the log, the store, its WAL or SHM"
grep -qa "$(cat "$T_DIR/cred.node1")" "$T_DIR/epoxyd.log" "$DB" "$DB-wal" 2>/dev/null
ok $(( $? == 0 )) "boot credential not in the log or the store"
done_testing
