#!/bin/bash
# t_sbsign: an EFI binary signed with epoxy-pki's db key verifies with
# sbverify against db.crt; a one-byte change, an unsigned binary and a
# binary signed by another fleet's db key all fail.  The .esl files carry
# the certificates and the .auth files are signed updates.
set -u
cd "$(dirname "$0")/../.."
. tests/flip.sh
O=${O:-$PWD/build}
n=0; fail=0
t() { # name cmd...: expect success
  n=$((n + 1)); if "${@:2}" >/dev/null 2>&1; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi
}
f() { # name cmd...: expect failure
  n=$((n + 1)); if "${@:2}" >/dev/null 2>&1; then echo "not ok $n - $1"; fail=1; else echo "ok $n - $1"; fi
}
for c in sbsign sbverify openssl cert-to-efi-sig-list; do
  command -v $c >/dev/null || { echo "not ok 1 - $c missing (scripts/deps.sh installs it)"; exit 1; }
done
efi=/usr/lib/ipxe/ipxe.efi
[ -f $efi ] || { echo "not ok 1 - $efi missing (package ipxe)"; exit 1; }
tmp=$(mktemp -d /tmp/epoxy-t-sbsign.XXXXXX); trap 'rm -rf "$tmp"' EXIT
t "epoxy-pki secureboot (fleet A)" keys/epoxy-pki secureboot "$tmp/a"
t "epoxy-pki secureboot (fleet B)" keys/epoxy-pki secureboot "$tmp/b"
t "sbsign with A's db key" sbsign --key "$tmp/a/db.key" --cert "$tmp/a/db.crt" --output "$tmp/signed.efi" $efi
t "signed binary verifies against A's db.crt" sbverify --cert "$tmp/a/db.crt" "$tmp/signed.efi"
f "unsigned binary fails" sbverify --cert "$tmp/a/db.crt" $efi
size=$(stat -c %s "$tmp/signed.efi")
for off in 64 $((size / 3)) $((size / 2)); do
  cp "$tmp/signed.efi" "$tmp/tampered.efi"; flip_byte "$tmp/tampered.efi" $off
  f "one byte changed at offset $off fails" sbverify --cert "$tmp/a/db.crt" "$tmp/tampered.efi"
done
t "sbsign with B's db key" sbsign --key "$tmp/b/db.key" --cert "$tmp/b/db.crt" --output "$tmp/other.efi" $efi
f "binary signed by another key fails against A's db.crt" sbverify --cert "$tmp/a/db.crt" "$tmp/other.efi"
t "... and verifies against B's own db.crt" sbverify --cert "$tmp/b/db.crt" "$tmp/other.efi"
for k in PK KEK db; do
  d=$(stat -c %s "$tmp/a/$k.der")
  t "$k.esl ends with $k's certificate (DER)" cmp <(tail -c "$d" "$tmp/a/$k.esl") "$tmp/a/$k.der"
  t "$k.auth is a signed update larger than $k.esl" test "$(stat -c %s "$tmp/a/$k.auth")" -gt "$(stat -c %s "$tmp/a/$k.esl")"
  t "$k.key is mode 0600" test "$(stat -c %a "$tmp/a/$k.key")" = 600
done
guid=$(tr -d '-' <"$tmp/a/owner.guid")
t "db.esl names the fleet's owner GUID" grep -q "$(echo "$guid" | cut -c1-8 | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')" <(od -An -tx1 -v "$tmp/a/db.esl" | tr -d ' \n')
t "rotate-db" keys/epoxy-pki rotate-db "$tmp/a"
t "binary signed with the rotated db key verifies against the new db.crt" \
  bash -c "sbsign --key '$tmp/a/db.key' --cert '$tmp/a/db.crt' --output '$tmp/rot.efi' $efi && sbverify --cert '$tmp/a/db.crt' '$tmp/rot.efi'"
f "... and not against the previous db.crt" sbverify --cert "$tmp/a/db-prev.crt" "$tmp/rot.efi"
t "db-append.auth exists (append update signed by KEK)" test -s "$tmp/a/db-append.auth"
# signed variable updates, checked over the exact bundle the firmware checks
P=keys/epoxy-pki
t "PK.auth is a PK update signed by PK" $P verify-auth "$tmp/a" PK "$tmp/a/PK.auth" PK
t "KEK.auth is a KEK update signed by PK" $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK
f "... and not one signed by KEK" $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" KEK
f "... nor a db update" $P verify-auth "$tmp/a" db "$tmp/a/KEK.auth" PK
t "db.auth is a db update signed by KEK" $P verify-auth "$tmp/a" db "$tmp/a/db.auth" KEK
t "db-append.auth is an append update of db signed by KEK" $P verify-auth "$tmp/a" db "$tmp/a/db-append.auth" KEK --append
f "... and not a replacing one" $P verify-auth "$tmp/a" db "$tmp/a/db-append.auth" KEK
cp "$tmp/a/db.auth" "$tmp/db-tampered.auth"
sz=$(stat -c %s "$tmp/db-tampered.auth")
flip_byte "$tmp/db-tampered.auth" $((sz - 100))
f "db.auth with one byte of its certificate changed fails" $P verify-auth "$tmp/a" db "$tmp/db-tampered.auth" KEK
cp "$tmp/a/db.auth" "$tmp/db-time.auth"
# EFI_TIME.Second (offset 6), flipped (a fixed 1 was a no-op at second 1)
flip_byte "$tmp/db-time.auth" 6
t "the changed timestamp differs from the signed one" bash -c "! cmp -s '$tmp/a/db.auth' '$tmp/db-time.auth'"
f "db.auth with its timestamp changed fails" $P verify-auth "$tmp/a" db "$tmp/db-time.auth" KEK
t "rotate-kek" $P rotate-kek "$tmp/a"
t "new KEK.auth is signed by the (unchanged) PK" $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK
t "db.auth is re-signed by the new KEK" $P verify-auth "$tmp/a" db "$tmp/a/db.auth" KEK
f "... and no longer by the previous KEK" $P verify-auth "$tmp/a" db "$tmp/a/db.auth" KEK-prev
t "the stale db-append.auth (old KEK) is gone" test ! -e "$tmp/a/db-append.auth"
t "rotate-pk" $P rotate-pk "$tmp/a"
t "PK-update.auth (for enrolled nodes) is signed by the previous PK" $P verify-auth "$tmp/a" PK "$tmp/a/PK-update.auth" PK-prev
f "... not by the new one" $P verify-auth "$tmp/a" PK "$tmp/a/PK-update.auth" PK
t "PK.auth (for new nodes) is signed by the new PK" $P verify-auth "$tmp/a" PK "$tmp/a/PK.auth" PK
t "KEK.auth is re-signed by the new PK" $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK
f "... and no longer by the previous PK" $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK-prev
for k in PK PK-prev KEK KEK-prev; do
  t "$k.key is mode 0600" test "$(stat -c %a "$tmp/a/$k.key")" = 600
done
t "rotations print no private key" bash -c "! grep -rq 'PRIVATE KEY' <($P rotate-kek '$tmp/a' 2>&1; $P rotate-pk '$tmp/a' 2>&1)"
echo "1..$n"
exit $fail
