#!/bin/bash
# t_epoxyd: the real agent against the real epoxyd on loopback (set up by
# tests/lib/epoxyd.sh: keys, one signed release, host node1 and its boot
# credential), only kexec recorded.  A fresh boot reaches kexec with the
# published bytes, its requests over one kept TLS connection; stage 2
# fetches the join credential and reports to epoxyd; spent tokens and a wrong credential are refused by the server
# and the agent stops with the matching code.  dbx (issue 13 point 10,
# efivarfs played by a directory): without a published update nothing is
# written; after `epoxyctl image retire` the agent fetches the update the
# signed statement names and writes it once to dbx with the APPEND
# attributes before the manifest; a dbx that already holds its hashes is
# left alone; bytes that differ from the statement's SHA-256 (E1251) or a
# dbx that cannot be written (E1253) stop the node with a report.  (The
# firmware's own refusal, E1252, needs firmware: tests/qemu dbx-*.scn.)
. "$(dirname "$0")/../lib/epoxyd.sh"
AGENT=$O/bin/epoxy-agent
need_built "$AGENT" "$O/agent-test/hostile" "$BIN/epoxyctl"
need sign-efi-sig-list hash-to-efi-sig-list
. tests/lib/flip.sh
epoxyd_setup || bail "epoxyd set-up failed"
{ "$BIN/epoxyd-seed" host "$STORE" node2 52-54-00-12-34-57 >/dev/null &&
  "$BIN/epoxyd-seed" cred "$STORE" node2 "$T_DIR/cred.node2" >/dev/null; } ||
  bail "seeding node2 failed"
if [ "$(id -u)" = 0 ]; then chown -R nobody "$DATA"; fi
epoxyd_start || bail "epoxyd did not start" "$(tail -5 "$T_DIR/epoxyd.log")"
E=$T_DIR/agent; mkdir -p "$E/etc" "$E/efi" "$E/rec"
cp "$T_DIR/pki/ca.crt" "$E/etc/ca.pem"; cp "$KEYS/keyset" "$E/etc/keyset"
echo 5 >"$E/etc/floor"; echo qemu-x86_64 >"$E/etc/hwclass"
efivar() { printf '\007\000\000\000epoxy-boot 1\nhost node1\ncredential %s\nend\n' "$1" \
  >"$E/efi/EpoxyBoot-2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13"; }
efivar "$(cat "$T_DIR/cred.node1")"
echo "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=127.0.0.1 epoxy.port=$HTTPS_PORT epoxy.stage=1" >"$E/cmdline"
run1() {
  rm -rf "$E/rec"; mkdir -p "$E/rec"
  timeout 120 "$AGENT" --cmdline "$E/cmdline" --efivars "$E/efi" --etc "$E/etc" \
    --kexec-record "$E/rec" --retries 2 --backoff-ms 50 --server-wait 0 \
    --mac 52-54-00-12-34-56 "$@" >"$E/out" 2>&1
  RC=$?
}
show() { sed 's/^/#   /' "$E/out" | tail -6; }
kexec_done() { { [ "$RC" = 0 ] && [ -e "$E/rec/exec" ]; } || { show; return 1; }; }
stopped_with() { { grep -q "^$1 " "$E/out" && [ ! -e "$E/rec/exec" ]; } || { show; return 1; }; }

run1
check "fresh boot against epoxyd reaches kexec" kexec_done
cmp -s "$E/rec/kernel" "$T_DIR/art/kernel"; ok $? "kexec'd kernel = published kernel"
cmp -s -n 200000 "$E/rec/initrd" "$T_DIR/art/initramfs"; ok $? "kexec'd initramfs starts with the published bytes"
grep -Eq '^console=ttyS0 quiet epoxy\.stage=2 epoxy\.session=[0-9a-f]{16}$' "$E/rec/cmdline"
ok $? "production cmdline = artifact + stage/session"
! grep -q "$(cat "$T_DIR/cred.node1")" "$E/out"; ok $? "credential never on the console"
grep -Eq 'stage connect [5-9] requests over 1 TLS handshakes' "$E/out"
ok $? "epoxyd keeps the connection: stage 1's requests over one TLS handshake" "$(grep 'stage connect' "$E/out")"
# the suite follows the CPU (net/tls.h): AES-GCM with AES-NI and
# carry-less multiplication, ChaCha20-Poly1305 without them
if grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo; then want='AES-[0-9]+-GCM'; else want=CHACHA20-POLY1305; fi
grep -Eq "stage connect [0-9]+ requests over 1 TLS handshakes \(TLS-ECDHE-[A-Z]+-WITH-$want-SHA[0-9]+\)" "$E/out"
ok $? "the suite for this CPU: $want" "$(grep 'stage connect' "$E/out")"

# stage 2 with the handover
pad=$(( (4 - 200000 % 4) % 4 ))
mkdir -p "$E/root"
tail -c +$((200000 + pad + 1)) "$E/rec/initrd" | (cd "$E/root" && cpio -idm --quiet)
cp "$E/rec/cmdline" "$E/cmdline2"
timeout 60 "$AGENT" stage2 --cmdline "$E/cmdline2" --etc "$E/etc" --root "$E/root" \
  --no-reboot --retries 2 --backoff-ms 50 >"$E/out2" 2>&1
RC=$?
[ "$RC" = 0 ] || sed 's/^/#   /' "$E/out2" | tail -6
is "$RC" 0 "stage 2: join credential from epoxyd, join script, report"
grep -q 'epoxy: join: join' "$E/out2"; ok $? "verified join script ran"
grep -q 'stage report stage 2 ok sent' "$E/out2"; ok $? "epoxyd accepted the stage 2 report"
grep -q 'stage connect 2 requests over 1 TLS handshakes' "$E/out2"
ok $? "stage 2's join credential and report over one TLS handshake" "$(grep 'stage connect' "$E/out2")"

# the same handover again: its tokens are spent
timeout 60 "$AGENT" stage2 --cmdline "$E/cmdline2" --etc "$E/etc" --root "$E/root" \
  --no-reboot --retries 1 >"$E/out2" 2>&1
grep -q '^EPOXY-E1121 ' "$E/out2"; ok $? "replayed handover: spent join token refused (EPOXY-E1121)"

# a second fresh boot (new session, new nonce) still works
run1
check "second fresh boot succeeds" kexec_done

# a one-time boot token (epoxyctl token issue) instead of the credential
"$BIN/epoxyd-seed" boottoken "$STORE" node1 300 "$E/boottoken" >/dev/null 2>&1
run1 --token-file "$E/boottoken"
check "boot with a one-time boot token from epoxyd" kexec_done
run1 --token-file "$E/boottoken" --retries 1
check "the same boot token a second time: refused (EPOXY-E1121)" stopped_with EPOXY-E1121

# floor above the published release
echo 8 >"$E/etc/floor"
run1 --retries 1
check "release 7 below the floor 8: EPOXY-E1021, no kexec" stopped_with EPOXY-E1021
echo 5 >"$E/etc/floor"
got=$(sqlite3 "$DB" "SELECT stage || ' ' || status || ' ' || code FROM reports WHERE host = 'node1' ORDER BY id DESC LIMIT 1" 2>&1)
is "$got" "1 fail EPOXY-E1021" "epoxyd stored the node's failure report with its code (what epoxyctl why shows)"
got=$(sqlite3 "$DB" "SELECT count(*) FROM reports WHERE host = 'node1' AND stage = '2' AND status = 'ok'" 2>&1)
is "$got" 1 "epoxyd stored the stage 2 success report"

# a wrong credential
efivar 0000000000000000000000000000000000000000000000000000000000000000
run1 --retries 1
check "wrong boot credential: refused by epoxyd (EPOXY-E1121)" stopped_with EPOXY-E1121
run1 --retries 1 --server-wait 60
check "... a refusal is not an unreachable server: no waiting with --server-wait 60" \
  bash -c "grep -q '^EPOXY-E1121 ' '$E/out' && ! grep -q 'stage retry' '$E/out' && [ $RC != 0 ]"
efivar "$(cat "$T_DIR/cred.node1")"

# another trust root: epoxyd's statements do not verify
cp "$E/etc/keyset" "$E/keyset.good"
"$O/agent-test/hostile" keygen "$E/otherkeys" >/dev/null && cp "$E/otherkeys/keyset" "$E/etc/keyset"
run1 --retries 1
check "statement signed by a key outside the baked-in keyset: refused (EPOXY-E1055)" stopped_with EPOXY-E1055
cp "$E/keyset.good" "$E/etc/keyset"


# --- dbx: retiring images (issue 13 point 10)
"$BIN/epoxyctl" admin init --store "$STORE" --out "$T_DIR/admin.cred" >/dev/null || bail "admin init"
DBX=$E/efi/dbx-d719b2cb-3d3a-4596-a3bc-dad00e67656f
last_report() { sql "SELECT stage || ' ' || status || ' ' || code FROM reports WHERE host = 'node1' ORDER BY id DESC LIMIT 1"; }
run1 --retries 1
check "no dbx update published: the boot reaches kexec" kexec_done
check "... and writes no dbx" test ! -e "$DBX"
grep -q 'stage dbx' "$E/out"; ok $(( ! $? )) "... and prints no dbx stage"

pki=$T_DIR/sb
keys/epoxy-pki secureboot "$pki" >/dev/null || bail "epoxy-pki secureboot"
keys/epoxy-pki dbx-append "$pki" "sha256:$(printf '5a%.0s' {1..32})" "sha256:$(printf 'c3%.0s' {1..32})" \
  >/dev/null || bail "dbx-append"
upd=$pki/dbx-append.auth
sha=$(sha256sum "$upd" | cut -c1-64)
EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred \
  EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1 HOME=$T_DIR "$BIN/epoxyctl" image retire "$upd" \
  >/dev/null 2>"$T_DIR/retire.err"
ok $? "image retire" "$(cat "$T_DIR/retire.err")"

run1 --retries 1
check "with a dbx update published: the boot reaches kexec" kexec_done
grep -q "stage dbx update ${sha:0:16}: 2 retired image hashes appended to the firmware's dbx" "$E/out"
ok $? "the agent says it appended the update (2 hashes)" "$(show)"
is "$(od -An -tx1 -N4 "$DBX" | tr -d ' ')" 67000000 "written with NV|BS|RT|TIME_BASED_AUTH|APPEND (0x67)"
check "... followed by the update's exact bytes" cmp <(tail -c +5 "$DBX") "$upd"
dbx_line=$(grep -n 'stage dbx' "$E/out" | cut -d: -f1); mf_line=$(grep -n 'stage manifest' "$E/out" | cut -d: -f1)
dbx_line=${dbx_line:-99} mf_line=${mf_line:-0}
ok $(( ! (dbx_line < mf_line) )) "dbx is applied before the manifest is fetched ($dbx_line < $mf_line)"

# what real efivarfs reads back: the attributes and the signature lists
{ printf '\047\000\000\000'; cat "$pki/dbx-append.esl"; } >"$DBX"
cp "$DBX" "$T_DIR/dbx.before"
run1 --retries 1
check "dbx holding every hash already: the boot reaches kexec" kexec_done
grep -q "stage dbx update ${sha:0:16}: 2 retired image hashes already in the firmware's dbx" "$E/out"
ok $? "... the agent says so" "$(show)"
check "... and writes nothing" cmp "$DBX" "$T_DIR/dbx.before"

# the stored update changed behind the statement's back
cp "$upd" "$T_DIR/changed.auth"; flip_byte "$T_DIR/changed.auth" 700
is "$(sql "UPDATE dbx_updates SET body = readfile('$T_DIR/changed.auth') WHERE sha256 = '$sha'")" "" \
  "the stored update gets one byte changed"
rm -f "$DBX"
run1 --retries 1
check "bytes that differ from the statement's SHA-256: EPOXY-E1251, no kexec" stopped_with EPOXY-E1251
check "... nothing written to dbx" test ! -e "$DBX"
grep -q 'stage manifest' "$E/out"; ok $(( ! $? )) "... and no manifest fetched"
is "$(last_report)" "1 fail EPOXY-E1251" "... reported to epoxyd"

# a dbx that cannot be written (efivarfs failing, not a firmware refusal)
is "$(sql "UPDATE dbx_updates SET body = readfile('$upd') WHERE sha256 = '$sha'")" "" "the stored update restored"
mkdir "$DBX"
run1 --retries 1
check "dbx not writable: EPOXY-E1253, no kexec" stopped_with EPOXY-E1253
is "$(last_report)" "1 fail EPOXY-E1253" "... reported to epoxyd"
rmdir "$DBX"
: >"$DBX"   # what efivarfs shows after the firmware refused to create dbx
run1 --retries 1
check "an empty dbx (a refused create left it): written again, the boot goes on" kexec_done
# later boots find dbx as efivarfs would show it: holding the update
{ printf '\047\000\000\000'; cat "$pki/dbx-append.esl"; } >"$DBX"

# the same misbehaviours as t_tamper/t_transport/t_policy, now on epoxyd's
# real answers through a hostile TLS proxy (same dev CA and certificate)
PX=$(free_port 1) || bail "a free port for the proxy"; PXPID=''
proxy_stop() {
  [ -n "$PXPID" ] || return 0
  kill "$PXPID"; wait "$PXPID" 2>/dev/null; PXPID=''
}
at_exit proxy_stop
proxy() {
  proxy_stop
  "$O/agent-test/hostile" proxy "$PX" "$T_DIR/pki/server.crt" "$T_DIR/pki/server.key" \
    "$HTTPS_PORT" "$T_DIR/pki/ca.crt" "$@" 2>"$E/px.log" &
  PXPID=$!
  for _ in $(seq 50); do grep -q listening "$E/px.log" 2>/dev/null && break; sleep 0.1; done
}
echo "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=127.0.0.1 epoxy.port=$PX epoxy.stage=1" >"$E/cmdline"
proxy
run1
check "through the transparent proxy: boots" kexec_done
proxy flip:kernel:1000
run1 --retries 1
check "epoxyd's kernel with one byte flipped: EPOXY-E1030" stopped_with EPOXY-E1030
proxy flip:manifest:40
run1 --retries 1
check "epoxyd's manifest with one byte flipped: refused (EPOXY-E10xx)" stopped_with 'EPOXY-E10[0-9][0-9]'
proxy flip:initramfs:199999
run1 --retries 1
check "epoxyd's initramfs, last byte flipped: EPOXY-E1030" stopped_with EPOXY-E1030
proxy cut:kernel:100000
run1
check "cut after 100000 bytes: resumed with epoxyd's Range + Epoxy-Next-Token, boots" kexec_done
grep -q '^EPOXY-E1116 ' "$E/out"; ok $? "the cut was seen (EPOXY-E1116)"
proxy liecl:kernel
run1 --retries 1
check "Content-Length below the bytes sent: EPOXY-E1115" stopped_with EPOXY-E1115
proxy long:kernel
run1 --retries 1
check "body longer than signed: EPOXY-E1113" stopped_with EPOXY-E1113
proxy trickle:kernel
run1 --retries 1
check "trickled kernel: EPOXY-E1119" stopped_with EPOXY-E1119
proxy record:session:"$E/session.rec"
run1
check "recording a real session" kexec_done
proxy replay:"$E/session.rec"
run1 --retries 1
check "replayed epoxyd session answer (stale nonce): EPOXY-E1051" stopped_with EPOXY-E1051
proxy "reqsub:host=node1>host=node2" "reqsub:mac=52-54-00-12-34-56>mac=52-54-00-12-34-57" \
  "reqsub:$(cat "$T_DIR/cred.node1")>$(cat "$T_DIR/cred.node2")"
run1 --retries 1
check "epoxyd's statement for another host: EPOXY-E1052" stopped_with EPOXY-E1052
proxy_stop
epoxyd_stop
done_testing
