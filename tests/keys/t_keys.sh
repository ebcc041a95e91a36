#!/bin/bash
# t_keys: the key toolkit end to end (epoxy-keys = epoxyctl keys/release
# sign|verify offline, and epoxy-pki): private keys are 0600 and never
# printed, keys are never overwritten, multi-party threshold signing,
# rotation signed by old and new keys, forged rotation and revoked keys
# refused with their codes, exit statuses, server certificate names.
. "$(dirname "$0")/../lib/tap.sh"
K=$O/bin/epoxy-keys
need_built "$K"
tmpdir epoxy-t-keys; tmp=$T_DIR
log=$tmp/all-output.log
# run NAME WANT_EXIT cmd...: runs cmd, appends its output to the log, checks exit
run() {
  local name=$1 want=$2 rc; shift 2
  "$@" >"$tmp/out" 2>&1; rc=$?
  cat "$tmp/out" >>"$log"
  if [ "$rc" = "$want" ]; then pass "$name (exit $rc)"; else fail "$name: exit $rc, want $want" "$(head -c 300 "$tmp/out")"; fi
}
has() { # NAME PATTERN: last output contains PATTERN
  if grep -q -- "$2" "$tmp/out"; then pass "$1"; else fail "$1" "no '$2' in: $(head -c 300 "$tmp/out")"; fi
}
cd "$tmp" || bail "cd $tmp"
echo kernel-bytes >kernel; echo initramfs-bytes >initramfs; printf 'console=ttyS0' >cmdline; printf '#!/bin/sh\n' >'join'

run "keys dev" 0 "$K" dev d
run "pki all" 0 "$OLDPWD/keys/epoxy-pki" all d
for f in d/*.key; do
  m=$(stat -c %a "$f"); [ "$m" = 600 ]; ok $? "$f is mode 0600" "$f is mode $m"
done
run "keyset verifies as root" 0 "$K" verify d/keyset
has "keyset has threshold 2 of 3" "threshold 2 of 3"
cp d/release-1.key saved.key
run "keys new refuses to overwrite" 1 "$K" new d/release-1.key
cmp -s saved.key d/release-1.key; ok $? "existing key unchanged" "existing key changed"
run "keys new" 0 "$K" new r4.key
run "keys new" 0 "$K" new r5.key
run "keys new" 0 "$K" new on2.key
run "keys pub of a private key" 0 "$K" pub r4.key
has "pub prints ID and 130-hex key" "^[0-9a-f]\{16\} 04[0-9a-f]\{128\}$"
cmp -s "$tmp/out" r4.key.pub; ok $? "pub output equals r4.key.pub" "pub output differs from r4.key.pub"

A=(--kernel kernel --initramfs initramfs --cmdline cmdline --join join --version 7 --hwclass qemu-x86_64)
run "release sign by one holder" 0 "$K" release sign "${A[@]}" --expires +30 --key d/release-1.key --out m7
run "one signature is below the threshold" 1 "$K" release verify --keyset d/keyset m7
has "... with EPOXY-E1013" "EPOXY-E1013"
run "the same holder cannot sign twice" 1 "$K" release sign --manifest m7 --key d/release-1.key
has "... refused as a duplicate (E1014)" "EPOXY-E1014"
run "second holder adds a signature" 0 "$K" release sign --manifest m7 --key d/release-2.key --keyset d/keyset
has "... and is told the threshold is reached" "carries the threshold"
run "verify with artifacts" 0 "$K" release verify --keyset d/keyset m7 --kernel kernel --initramfs initramfs --cmdline cmdline --join join --floor 7 --hwclass qemu-x86_64 --agent 1
mkdir byhash; for f in kernel initramfs cmdline join; do cp "$f" "byhash/$(sha256sum "$f" | cut -c1-64)"; done
run "verify with DIR/<sha256> artifacts (publish layout)" 0 "$K" release verify --keyset d/keyset m7 --artifacts byhash
has "... all four checked" "join .*: ok"
echo tampered >>kernel
run "artifact changed" 1 "$K" release verify --keyset d/keyset m7 --kernel kernel
has "... E1031 (length)" "EPOXY-E1031"
echo kernel-bytes >kernel; printf 'console=ttyS1' >cmdline
run "artifact changed, same length" 1 "$K" release verify --keyset d/keyset m7 --cmdline cmdline
has "... E1030 (hash)" "EPOXY-E1030"
printf 'console=ttyS0' >cmdline
run "below the floor" 1 "$K" release verify --keyset d/keyset m7 --floor 8
has "... E1021" "EPOXY-E1021"
run "other hardware class" 1 "$K" release verify --keyset d/keyset m7 --hwclass rack-amd64
has "... E1022" "EPOXY-E1022"
run "expired manifest" 0 "$K" release sign "${A[@]}" --expires 1000 --key d/release-1.key --key d/release-2.key --out mold
run "... refused at verify" 1 "$K" release verify --keyset d/keyset mold
has "... E1020" "EPOXY-E1020"
run "signed by an outsider + one holder" 0 "$K" release sign "${A[@]}" --expires +1 --key d/release-1.key --key r4.key --out mout
run "... refused" 1 "$K" release verify --keyset d/keyset mout
has "... E1011 unknown key" "EPOXY-E1011"
sed 's/^version 7$/version 9/' m7 >m9
run "version edited after signing" 1 "$K" release verify --keyset d/keyset m9
has "... E1012 bad signature" "EPOXY-E1012"
chmod 644 d/release-3.key
run "group/other-readable key refused" 1 "$K" release sign --manifest m7 --key d/release-3.key
has "... E1061" "EPOXY-E1061"
chmod 600 d/release-3.key

# rotation: serial 2 = r4, r5, release-1; threshold 2; revokes release-3
R=(--threshold 2 --release r4.key.pub --release r5.key.pub --release d/release-1.key.pub --online on2.key.pub --revoke d/release-3.key)
run "rotation signed by new keys only is written" 0 "$K" keyset --from d/keyset "${R[@]}" --key r4.key --key r5.key --out forged
has "... but reported not valid" "not valid yet"
run "forged rotation refused" 1 "$K" verify d/keyset forged
has "... E1044" "EPOXY-E1044"
run "rotation: holders sign in turn (new keys)" 0 "$K" keyset --from d/keyset "${R[@]}" --key r4.key --key r5.key --out ks2
run "rotation: old holders add theirs" 0 "$K" sign ks2 --from d/keyset --key d/release-1.key --key d/release-2.key
has "... now a valid successor" "valid successor"
run "chain root -> 2 verifies" 0 "$K" verify d/keyset ks2
has "... serial 2, 1 revoked" "serial 2, threshold 2 of 3 release keys, 1 revoked"
run "serial 2 also loads alone as a root (self-signed by its threshold)" 0 "$K" verify ks2
run "chain cannot be replayed (2 -> 2)" 1 "$K" verify d/keyset ks2 ks2
has "... E1045" "EPOXY-E1045"
run "release under the new keys" 0 "$K" release sign "${A[@]}" --expires +30 --key r4.key --key r5.key --out m8
run "... verifies through the rotation" 0 "$K" release verify --keyset d/keyset --rotation ks2 m8
run "... but not against the old keyset alone" 1 "$K" release verify --keyset d/keyset m8
has "... E1011" "EPOXY-E1011"
run "revoked key + new key" 0 "$K" release sign "${A[@]}" --expires +30 --key r4.key --key d/release-3.key --out mrev
run "... refused" 1 "$K" release verify --keyset d/keyset --rotation ks2 mrev
has "... E1015 revoked" "EPOXY-E1015"
run "old release under the old keys after rotation" 1 "$K" release verify --keyset d/keyset --rotation ks2 m7
has "... E1015 (release-2 no longer listed, release-3 revoked) or unknown" "EPOXY-E101[15]"

# usage errors
run "verify without arguments" 2 "$K" release verify
run "sign without key" 2 "$K" release sign --manifest m7
run "unknown option" 2 "$K" release verify --bogus x m7
run "--help" 0 "$K" release sign --help
run "keys --help" 0 "$K" dev --help
run "unknown verb" 2 "$K" frobnicate

# epoxyctl runs the same functions (server/ctl_sign.c, keys/ctl_keys.c)
C=$O/bin/epoxyctl
if [ -x "$C" ]; then
  run "epoxyctl keys --help" 0 "$C" keys --help
  run "epoxyctl release verify (valid)" 0 "$C" release verify --keyset d/keyset m7
  run "epoxyctl release verify (forged rotation)" 1 "$C" release verify --keyset d/keyset --rotation forged m8
  has "... E1044" "EPOXY-E1044"
  run "epoxyctl keys verify chain" 0 "$C" keys verify d/keyset ks2
else
  fail "epoxyctl not built ($C)"
fi

# the server certificate and the CA
cd "$OLDPWD" || bail "cd $OLDPWD"
P=keys/epoxy-pki
run "server cert verifies under the CA" 0 openssl verify -CAfile "$tmp/d/ca.crt" "$tmp/d/server.crt"
run "server cert names epoxy.test" 0 openssl x509 -in "$tmp/d/server.crt" -noout -checkhost epoxy.test
has "... (checkhost)" "does match"
run "server cert names 10.0.2.100" 0 openssl x509 -in "$tmp/d/server.crt" -noout -checkip 10.0.2.100
has "... (checkip)" "does match"
run "server cert names 127.0.0.1" 0 openssl x509 -in "$tmp/d/server.crt" -noout -checkip 127.0.0.1
has "... (checkip loopback)" "does match"
run "server cert is not for another name" 0 openssl x509 -in "$tmp/d/server.crt" -noout -checkhost evil.test
has "... (does NOT match)" "does NOT match"
cp "$tmp/d/ca.crt" "$tmp/ca-old.crt"
run "rotate-ca" 0 "$P" rotate-ca "$tmp/d"
run "new server cert verifies under the new CA" 0 openssl verify -CAfile "$tmp/d/ca.crt" "$tmp/d/server.crt"
run "new server cert does not verify under the old CA" 2 openssl verify -CAfile "$tmp/ca-old.crt" "$tmp/d/server.crt"
run "ca-bundle.pem (transition) verifies it" 0 openssl verify -CAfile "$tmp/d/ca-bundle.pem" "$tmp/d/server.crt"
c=$(grep -c 'BEGIN CERTIFICATE' "$tmp/d/ca-bundle.pem")
[ "$c" = 2 ]; ok $? "transition bundle holds 2 CAs" "transition bundle holds $c CAs"
run "retire-ca" 0 "$P" retire-ca "$tmp/d"
c=$(grep -c 'BEGIN CERTIFICATE' "$tmp/d/ca-bundle.pem")
[ "$c" = 1 ]; ok $? "after retire-ca the bundle holds 1 CA" "after retire-ca: $c CAs"
# the kexec key: made by "pki all", never a Secure Boot key, rotated with a
# transition trust file
for f in kexec.key kexec.crt kexec.der kexec-trust.pem; do
  [ -f "$tmp/d/$f" ]; ok $? "pki all made $f" "pki all did not make $f"
done
run "kexec certificate is for code signing" 0 openssl x509 -in "$tmp/d/kexec.crt" -noout -ext extendedKeyUsage
has "... (extendedKeyUsage codeSigning)" "Code Signing"
for v in PK KEK db; do
  ! cmp -s "$tmp/d/kexec.der" "$tmp/d/$v.der"; ok $? "kexec certificate is not $v" "kexec certificate equals $v"
done
cp "$tmp/d/kexec.key" "$tmp/kexec-saved.key"
run "pki kexec keeps the existing key" 0 "$P" kexec "$tmp/d"
has "... and says so" "exists, kept"
cmp -s "$tmp/kexec-saved.key" "$tmp/d/kexec.key"; ok $? "kexec key unchanged" "kexec key changed"
cp "$tmp/d/kexec.crt" "$tmp/kexec-old.crt"
run "rotate-kexec" 0 "$P" rotate-kexec "$tmp/d"
cmp -s "$tmp/kexec-old.crt" "$tmp/d/kexec-prev.crt"; ok $? "the previous kexec certificate is kexec-prev.crt" "kexec-prev.crt is not the old certificate"
! cmp -s "$tmp/kexec-old.crt" "$tmp/d/kexec.crt"; ok $? "rotate-kexec made a new certificate" "rotate-kexec kept the old certificate"
c=$(grep -c 'BEGIN CERTIFICATE' "$tmp/d/kexec-trust.pem")
[ "$c" = 2 ]; ok $? "transition kexec-trust.pem holds 2 certificates" "transition kexec-trust.pem holds $c"
m=$(stat -c %a "$tmp/d/kexec.key"); [ "$m" = 600 ]; ok $? "new kexec.key is mode 0600" "new kexec.key is mode $m"
run "retire-kexec" 0 "$P" retire-kexec "$tmp/d"
c=$(grep -c 'BEGIN CERTIFICATE' "$tmp/d/kexec-trust.pem")
[ "$c" = 1 ]; ok $? "after retire-kexec kexec-trust.pem holds 1 certificate" "after retire-kexec: $c"
! [ -e "$tmp/d/kexec-prev.key" ]; ok $? "retire-kexec deleted kexec-prev.key" "retire-kexec left kexec-prev.key"
run "retire-kexec again has nothing to retire" 1 "$P" retire-kexec "$tmp/d"
! grep -q 'PRIVATE' "$tmp/d/kexec-trust.pem"; ok $? "kexec-trust.pem holds no private key" "kexec-trust.pem holds a private key"
run "pki show" 0 "$P" show "$tmp/d"
has "... lists the kexec key" "^kexec "
run "pki --help" 0 "$P" --help

# the agent's side of the library (LIB_VERIFY_SRCS) holds no signing code
objs=0
for o in "$O"/host/lib/{err,hex,num,rand,sha256,doc,sig,keyset,manifest,statement}.o; do
  if [ -f "$o" ]; then objs=$((objs + 1)); fi
done
if [ "$objs" = 10 ]; then
  bad=$(for o in "$O"/host/lib/{err,hex,num,rand,sha256,doc,sig,keyset,manifest,statement}.o; do nm -u "$o"; done |
        grep -E 'write_signature|ecdsa_sign|gen_key|pk_parse_key|pk_write|ctr_drbg|sign_(hash|load|generate)' | sort -u | tr -s ' \n' ' ')
  [ -z "$bad" ]
  ok $? "verification objects reference no signing, key-loading or DRBG function" "they reference: $bad"
  nm -u "$O/host/lib/sign.o" | grep -q mbedtls_ecdsa_write_signature
  ok $? "... while sign.o does (the check sees symbols)" "sign.o does not reference mbedtls_ecdsa_write_signature?"
else
  fail "host objects of lib/ not built in $O/host/lib ($objs of 10)"
fi

# no command printed private key material
if grep -q "PRIVATE KEY" "$log"; then fail "a command printed a PEM private key"; else pass "no PEM private key in any output"; fi
leak=0
for k in "$tmp"/d/*.key "$tmp"/*.key; do
  [ -f "$k" ] || continue
  # every base64 line of the key body, and the private scalar as hex
  while read -r line; do
    [ ${#line} -ge 40 ] && grep -qF -- "$line" "$log" && leak=1
  done < <(grep -v -- '-----' "$k")
  priv=$(openssl pkey -in "$k" -noout -text 2>/dev/null | sed -n '/^priv/,/^pub/p' | grep -v '^p' | tr -d ' :\n')
  [ -n "$priv" ] && grep -qi -- "${priv:0:32}" "$log" && leak=1
done
[ $leak = 0 ]; ok $? "no private key bytes (base64 or scalar) in any output ($(wc -l <"$log") lines checked)" "private key material found in output"
done_testing
