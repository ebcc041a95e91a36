#!/bin/bash
# t_harden: the holes of issue 13, each attacked from outside the way an
# attacker or a careless operator would (docs/threat-model.md, "Attacks on
# epoxyd and epoxyctl").  Every check here failed against the code before
# issue 13's fixes.  Sections: 1 unauthenticated uploads, 2 epoxyctl fails
# locally before it changes the server, 3 a refused download spends no
# token, 4 address binding on every node request, 5 node text escaped on
# every CLI output path, 8 the admin lockout, 9 rotate, %00, upper-case
# admin credential (static-RSA TLS: tests/server/t_tls.sh).
# shellcheck disable=SC2030,SC2031 # subshells set one epoxyctl run's environment
. "$(dirname "$0")/lib.sh"

ctl_setup - || bail "set-up"
epoxyd_start || bail "epoxyd did not start"
ADM=$(tr -d '\n' <"$T_DIR/admin.cred")
FORM='Content-Type: application/x-www-form-urlencoded'
nonce() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# session_with CRED [curl args]: opens a session of node1, answer in $T_DIR/session
session_with() {
	local c=$1; shift
	hs /v1/session -X POST "$@" --data "host=node1&mac=52-54-00-12-34-56&nonce=$(nonce)&agent=1&stage=1&credential=$c" \
		-o "$T_DIR/session" -w '%{http_code}'
}

ctl host add node1 --hwclass qemu-x86_64 --mac 52:54:00:12:34:56 >/dev/null || bail "host add"
ctl host credential node1 --out "$T_DIR/c1" || bail "credential"
make_release "$T_DIR/r7" 7
ctl release publish --manifest "$T_DIR/r7.manifest" --artifacts "$T_DIR/r7" || bail "publish"
ctl release promote 7 --channel stable >/dev/null
C1=$(tr -d '\n' <"$T_DIR/c1")

# --- 1: an unauthenticated upload is answered from its headers.  Without
# "Expect: 100-continue" (as an attacker sends it) curl counts what it got
# to send before the server answered and closed (socket buffers hold a few
# MiB at most; the answer itself may be lost to the reset of the close);
# with it (as epoxyctl and curl send large bodies) the answer comes clean.
truncate -s 64M "$T_DIR/big"
sent() { awk '{printf "%d", $NF / 1048576}' "$T_DIR/w"; }
up() { # curl args: prints "STATUS EPOXY-Exxxx"; bytes sent in $T_DIR/w
	hs /admin/v1/releases -X POST -H "$FORM" "$@" -o "$T_DIR/raw" \
		-w '%{http_code} %{size_upload}' >"$T_DIR/w" 2>/dev/null
	echo "$(cut -d' ' -f1 "$T_DIR/w") $(head -c 11 "$T_DIR/raw" 2>/dev/null)"
}
for auth in "" "Authorization: Epoxy-Admin $(printf '0%.0s' {1..64})" "Authorization: Bearer x"; do
	r=$(up -H 'Expect:' ${auth:+-H "$auth"} --data-binary @"$T_DIR/big")
	ok $(( $(sent) > 8 )) "upload with '${auth:0:24}': refused after $(sent) MiB of its 64 MiB (at most 8; ${r%% *})"
	is "$(up ${auth:+-H "$auth"} --data-binary @"$T_DIR/big")" "401 EPOXY-E2500" "... with Expect: 100-continue: 401 from the headers"
	ok $(( $(sent) > 8 )) "... and after $(sent) MiB (at most 8)"
done
r=$(up -H 'Expect:' -H 'Transfer-Encoding: chunked' -H "Authorization: Epoxy-Admin $(printf 'f%.0s' {1..64})" \
	--data-binary @"$T_DIR/big")
ok $(( $(sent) > 8 )) "chunked upload without a valid credential: refused after $(sent) MiB (at most 8; ${r%% *})"
is "$(find "$DATA" -type f -newer "$T_DIR/big" ! -name "epoxy.db*" | wc -l)" 0 "no file left in data_dir"
# an authenticated admin over the free-space guard is refused before spooling
epoxyd_stop
echo "upload_min_free 1125899906842624" >>"$T_DIR/epoxyd.conf"
epoxyd_start || diag "epoxyd did not start with upload_min_free"
is "$(up -H "Authorization: Epoxy-Admin $ADM" --data-binary @"$T_DIR/big")" "507 EPOXY-E2245" \
	"upload while data_dir is below upload_min_free: 507 from the headers"
ok $(( $(sent) > 8 )) "... before its body is read ($(sent) MiB)"
epoxyd_stop
sed -i '/^upload_min_free/d' "$T_DIR/epoxyd.conf"
epoxyd_start || bail "epoxyd did not restart"
rm -f "$T_DIR/big"

# --- 2: epoxyctl checks what it can locally before the server acts; where
# the server acts first, a local failure leaves the host as it was
audit_n() { sql "SELECT count(*) FROM audit"; }
tok_n() { sql "SELECT count(*) FROM tokens"; }
touch "$T_DIR/exists"
a0=$(audit_n)
ctl host credential node1 --rotate --out "$T_DIR/exists"; rc=$?
is "$rc $(session_with "$C1")" "1 200" "credential --rotate --out EXISTING: refused, old credential still opens a session"
is "$(audit_n)" "$a0" "... and nothing audited"
a0=$(audit_n)
(export EPOXY_MKVARS=/nonexistent; ctl host credential node1 --rotate --vars "$T_DIR/none.fd"); rc=$?
is "$rc $(session_with "$C1")" "1 200" "credential --rotate --vars without the tool: refused, old credential still works"
is "$(audit_n)" "$a0" "... and nothing audited"
printf '#!/bin/sh\nexit 1\n' >"$T_DIR/failing-mkvars"; chmod +x "$T_DIR/failing-mkvars"
(export EPOXY_MKVARS=$T_DIR/failing-mkvars; ctl host credential node1 --rotate --vars "$T_DIR/n.fd"); rc=$?
is "$rc $(session_with "$C1")" "1 200" "credential --rotate whose tool fails after the server step: old credential still works"
is "$(ctl host show node1 --json; jq -r .credential "$T_DIR/out")" active "... and the host shows its credential active"
mkdir -p "$T_DIR/ro"; chmod 0555 "$T_DIR/ro"
ctl host credential node1 --rotate --out "$T_DIR/nodir/c"; rc=$?
is "$rc $(session_with "$C1")" "1 200" "credential --rotate --out into a missing directory: old credential still works"
t0=$(tok_n)
ctl token issue node1 --out "$T_DIR/exists"; rc=$?
is "$rc $(tok_n)" "1 $t0" "token issue --out EXISTING: refused, no token issued"
ctl token issue node1 --media "$T_DIR/exists"; rc=$?
is "$rc $(tok_n)" "1 $t0" "token issue --media EXISTING: refused, no token issued"
ctl host credential node1 --rotate --out "$T_DIR/c2"; rc=$?
C2=$(tr -d '\n' <"$T_DIR/c2" 2>/dev/null)
is "$rc $(session_with "$C2") $(session_with "$C1" | cut -c1-3)" "0 200 403" "a rotate that succeeds: new credential works, old one refused"

# --- 3: a refused download never spends its token
is "$(session_with "$C2")" 200 "session for the download checks"
K=$(tok kernel)
ksize=$(stat -c %s "$T_DIR/r7/kernel")
code=$(hs /v1/artifact/kernel -H "Authorization: Bearer $K" -H "Range: bytes=$ksize-" -o "$T_DIR/raw" -w '%{http_code}')
is "$code $(head -c 11 "$T_DIR/raw")" "416 EPOXY-E2208" "Range starting at the artifact's end: 416"
code=$(hs /v1/artifact/kernel -H "Authorization: Bearer $K" -H "Range: bytes=$((ksize + 5000))-" -o /dev/null -w '%{http_code}')
is "$code" 416 "Range starting past the end: 416"
code=$(hs /v1/artifact/kernel -H "Authorization: Bearer $K" -o "$T_DIR/k" -w '%{http_code}')
is "$code" 200 "... the token still works after both refusals"
cmp -s "$T_DIR/k" "$T_DIR/r7/kernel"; ok $? "... and fetches the kernel"
# a failing join-credential plug-in does not spend the token either
J=$(tok joincred)
epoxyd_stop
printf 'joincred command\njoincred_command /bin/false\n' >>"$T_DIR/epoxyd.conf"
epoxyd_start || bail "epoxyd with a failing join-credential plug-in did not start"
jc() { hs /v1/joincred -X POST -H "$FORM" -H "Authorization: Bearer $J" --data '' -o /dev/null -w '%{http_code}'; }
is "$(jc)" 502 "join-credential plug-in fails: 502"
epoxyd_stop
sed -i '/^joincred/d' "$T_DIR/epoxyd.conf"
epoxyd_start || bail "epoxyd did not restart"
is "$(jc)" 200 "... and the same token then gets the join credential"

# --- 4: a host bound to addresses is served only there, on every request
ctl host update node1 --addr 127.0.0.2 >/dev/null
is "$(session_with "$C2")" 403 "session from 127.0.0.1 of a host bound to 127.0.0.2: refused (as before)"
is "$(session_with "$C2" --interface 127.0.0.2)" 200 "session from 127.0.0.2: opened"
for p in manifest artifact/kernel artifact/cmdline; do
	t=$(tok "${p#artifact/}")
	code=$(hs "/v1/$p" -H "Authorization: Bearer $t" -o "$T_DIR/raw" -w '%{http_code}')
	is "$code $(head -c 11 "$T_DIR/raw")" "403 EPOXY-E2226" "$p of a bound session from another address: 403"
	code=$(hs "/v1/$p" -H "Authorization: Bearer $t" --interface 127.0.0.2 -o /dev/null -w '%{http_code}')
	is "$code" 200 "... from the bound address the same token works"
done
for p in joincred report; do
	t=$(tok $p)
	code=$(hs "/v1/$p" -X POST -H "$FORM" -H "Authorization: Bearer $t" --data 'stage=1&status=ok' \
		-o "$T_DIR/raw" -w '%{http_code}')
	is "$code $(head -c 11 "$T_DIR/raw")" "403 EPOXY-E2226" "$p of a bound session from another address: 403"
done
grep -q 'EPOXY-E2226' "$T_DIR/epoxyd.log"; ok $? "the refusals are logged with their code"
ok $(( $(sql "SELECT count(*) FROM audit WHERE action = 'node.refused' AND detail LIKE '%E2226%'") == 0 )) \
	"... and audited"
# ... at a bounded cost: 11 of one kind give 5 full entries a minute
# (10 if the loop straddles two minutes), the rest counted into a summary
is "$(session_with "$C2" --interface 127.0.0.2)" 200 "another session from 127.0.0.2"
t=$(tok manifest)
for i in $(seq 1 11); do hs /v1/manifest -H "Authorization: Bearer $t" -o /dev/null; done
n=$(sql "SELECT count(*) FROM audit WHERE action = 'node.refused' AND subject = 'node1' AND detail LIKE '%purpose=manifest %'")
ok $(( n < 5 || n > 10 )) "11 refusals of one kind from one address: $n audited in full (5, or 10 across two minutes)"
ctl host update node1 --addr '' >/dev/null

# --- 5: node text reaches the operator's terminal only escaped
is "$(session_with "$C2")" 200 "session for the report checks"
R=$(tok report)
code=$(hs /v1/report -X POST -H "Authorization: Bearer $R" --data-urlencode stage=verify \
	--data-urlencode status=fail --data-urlencode code=EPOXY-E1030 \
	--data-urlencode "tail=$(printf 'loading\033]0;pwned\007\033[2J\033[1;31mred\rover\bX\x9b31m\x7f end')" \
	-o /dev/null -w '%{http_code}')
is "$code" 204 "a report whose tail holds terminal control bytes is stored"
raw() { LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f\x80-\xff]' "$T_DIR/out"; }
for cmd in "why node1" "host show node1" "host list" "audit list" "session list"; do
	# shellcheck disable=SC2086 # $cmd is a command and its words
	ctl $cmd; rc=$?
	is "$rc $(raw)" "0 0" "epoxyctl $cmd: no raw control byte"
	# shellcheck disable=SC2086 # the same
	ctl $cmd --json; rc=$?
	ok $(( rc != 0 || $(raw) != 0 )) "epoxyctl $cmd --json: no raw control byte"
	[ "$rc" != 0 ] || jq -e . "$T_DIR/out" >/dev/null; ok $? "... and valid JSON"
done
ctl why node1
grep -qF '\x1b]0;pwned\x07\x1b[2J' "$T_DIR/out"; ok $? "why shows the escape bytes as \\xNN"
ctl why node1 --json
is "$(jq -r '.reports[0].tail' "$T_DIR/out" | head -c 9 | od -An -c | tr -s ' ')" " l o a d i n g 033 ]" \
	"why --json keeps the bytes, escaped per JSON"

# --- 8: the admin lockout cannot be dodged with many addresses
# FNV-1a mod 256 of the old table: find an address colliding with 127.0.0.3
fnv() { local s=$1 h=2166136261 i c; for ((i = 0; i < ${#s}; i++)); do
	printf -v c '%d' "'${s:i:1}"; h=$(( ((h ^ c) * 16777619) & 0xffffffff )); done; echo $((h % 256)); }
want=$(fnv 127.0.0.3); other=
for i in $(seq 4 250); do [ "$(fnv "127.0.0.$i")" = "$want" ] && { other=127.0.0.$i; break; }; done
bad=$(printf 'e%.0s' {1..64})
adm_from() { hs /admin/v1/hosts --interface "$1" -H "Authorization: Epoxy-Admin $2" -o /dev/null -w '%{http_code}'; }
for i in $(seq 1 10); do adm_from 127.0.0.3 "$bad" >/dev/null; done
is "$(adm_from 127.0.0.3 "$bad")" 429 "10 refused admin credentials from one address: 429"
for i in 1 2 3; do adm_from "${other:-127.0.0.9}" "$bad" >/dev/null; done
is "$(adm_from 127.0.0.3 "$bad")" 429 "... still 429 after refusals from a colliding address ($other)"
a0=$(sql "SELECT count(*) FROM audit WHERE action LIKE 'admin%refused%'")
for a in $(seq 20 39); do for i in $(seq 1 10); do adm_from "127.0.0.$a" "$bad" >/dev/null; done; done
a1=$(sql "SELECT count(*) FROM audit WHERE action LIKE 'admin%refused%'")
ok $(( a1 - a0 > 40 )) "200 refused admin attempts from 20 addresses: $(( a1 - a0 )) audit rows (at most 40)"
is "$(adm_from 127.0.0.4 "$ADM")" 200 "a valid admin from a clean address is served"

# --- 9: smaller promises
is "$(session_with "$C2")" 200 "a session with the current credential"
J=$(tok joincred)
ctl host credential node1 --rotate --out "$T_DIR/c3" >/dev/null
code=$(hs /v1/joincred -X POST -H "$FORM" -H "Authorization: Bearer $J" --data '' -o /dev/null -w '%{http_code}')
is "$code" 403 "credential --rotate closes the sessions of the old credential (join credential refused)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi%00.txt")
ok $(( code == 200 )) "/boot/stage1.efi%00.txt is not stage1.efi ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi%00")
ok $(( code == 200 )) "/boot/stage1.efi%00 is not stage1.efi ($code)"
UP=$(tr 'a-f' 'A-F' <<<"$ADM")
is "$(adm_from 127.0.0.5 "$UP")" 401 "the admin credential in upper-case hex: refused (one canonical form)"
# TLS 1.2 only with forward secrecy (ECDHE, or DHE-RSA for OVMF): tests/server/t_tls.sh
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")" 200 "epoxyd healthy at the end"
grep -qF "$C2" "$T_DIR/epoxyd.log" "$T_DIR/cli.log"; ok $(( $? == 0 )) "no credential in logs"
done_testing
