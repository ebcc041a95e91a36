#!/bin/bash
# t_sbsign: an EFI binary signed with epoxy-pki's db key verifies with
# sbverify against db.crt; a one-byte change, an unsigned binary and a
# binary signed by another fleet's db key all fail.  The .esl files carry
# the certificates and the .auth files are signed updates.
. "$(dirname "$0")/../lib/tap.sh"
. tests/lib/flip.sh
need sbsign sbverify openssl cert-to-efi-sig-list
efi=/usr/lib/ipxe/ipxe.efi
[ -f $efi ] || bail "$efi missing (package ipxe)"
tmpdir epoxy-t-sbsign; tmp=$T_DIR
check "epoxy-pki secureboot (fleet A)" quiet keys/epoxy-pki secureboot "$tmp/a"
check "epoxy-pki secureboot (fleet B)" quiet keys/epoxy-pki secureboot "$tmp/b"
check "sbsign with A's db key" quiet sbsign --key "$tmp/a/db.key" --cert "$tmp/a/db.crt" --output "$tmp/signed.efi" $efi
check "signed binary verifies against A's db.crt" quiet sbverify --cert "$tmp/a/db.crt" "$tmp/signed.efi"
check "unsigned binary fails" not quiet sbverify --cert "$tmp/a/db.crt" $efi
size=$(stat -c %s "$tmp/signed.efi")
for off in 64 $((size / 3)) $((size / 2)); do
  cp "$tmp/signed.efi" "$tmp/tampered.efi"; flip_byte "$tmp/tampered.efi" $off
  check "one byte changed at offset $off fails" not quiet sbverify --cert "$tmp/a/db.crt" "$tmp/tampered.efi"
done
check "sbsign with B's db key" quiet sbsign --key "$tmp/b/db.key" --cert "$tmp/b/db.crt" --output "$tmp/other.efi" $efi
check "binary signed by another key fails against A's db.crt" not quiet sbverify --cert "$tmp/a/db.crt" "$tmp/other.efi"
check "... and verifies against B's own db.crt" quiet sbverify --cert "$tmp/b/db.crt" "$tmp/other.efi"
for k in PK KEK db; do
  d=$(stat -c %s "$tmp/a/$k.der")
  check "$k.esl ends with $k's certificate (DER)" quiet cmp <(tail -c "$d" "$tmp/a/$k.esl") "$tmp/a/$k.der"
  check "$k.auth is a signed update larger than $k.esl" quiet test "$(stat -c %s "$tmp/a/$k.auth")" -gt "$(stat -c %s "$tmp/a/$k.esl")"
  check "$k.key is mode 0600" quiet test "$(stat -c %a "$tmp/a/$k.key")" = 600
done
guid=$(tr -d '-' <"$tmp/a/owner.guid")
check "db.esl names the fleet's owner GUID" quiet grep -q "$(echo "$guid" | cut -c1-8 | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')" <(od -An -tx1 -v "$tmp/a/db.esl" | tr -d ' \n')
check "rotate-db" quiet keys/epoxy-pki rotate-db "$tmp/a"
check "binary signed with the rotated db key verifies against the new db.crt" quiet \
  bash -c "sbsign --key '$tmp/a/db.key' --cert '$tmp/a/db.crt' --output '$tmp/rot.efi' $efi && sbverify --cert '$tmp/a/db.crt' '$tmp/rot.efi'"
check "... and not against the previous db.crt" not quiet sbverify --cert "$tmp/a/db-prev.crt" "$tmp/rot.efi"
check "db-append.auth exists (append update signed by KEK)" quiet test -s "$tmp/a/db-append.auth"
# signed variable updates, checked over the exact bundle the firmware checks
P=keys/epoxy-pki
check "PK.auth is a PK update signed by PK" quiet $P verify-auth "$tmp/a" PK "$tmp/a/PK.auth" PK
check "KEK.auth is a KEK update signed by PK" quiet $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK
check "... and not one signed by KEK" not quiet $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" KEK
check "... nor a db update" not quiet $P verify-auth "$tmp/a" db "$tmp/a/KEK.auth" PK
check "db.auth is a db update signed by KEK" quiet $P verify-auth "$tmp/a" db "$tmp/a/db.auth" KEK
check "db-append.auth is an append update of db signed by KEK" quiet $P verify-auth "$tmp/a" db "$tmp/a/db-append.auth" KEK --append
check "... and not a replacing one" not quiet $P verify-auth "$tmp/a" db "$tmp/a/db-append.auth" KEK
cp "$tmp/a/db.auth" "$tmp/db-tampered.auth"
sz=$(stat -c %s "$tmp/db-tampered.auth")
flip_byte "$tmp/db-tampered.auth" $((sz - 100))
check "db.auth with one byte of its certificate changed fails" not quiet $P verify-auth "$tmp/a" db "$tmp/db-tampered.auth" KEK
cp "$tmp/a/db.auth" "$tmp/db-time.auth"
# EFI_TIME.Second (offset 6), flipped (a fixed 1 was a no-op at second 1)
flip_byte "$tmp/db-time.auth" 6
check "the changed timestamp differs from the signed one" quiet bash -c "! cmp -s '$tmp/a/db.auth' '$tmp/db-time.auth'"
check "db.auth with its timestamp changed fails" not quiet $P verify-auth "$tmp/a" db "$tmp/db-time.auth" KEK
# dbx-append: retire images by their Authenticode hash, an append update of
# dbx signed by KEK (the same signing path as the db/KEK/PK updates)
need osslsigncode hash-to-efi-sig-list
check "dbx-append of the signed binary" quiet $P dbx-append "$tmp/a" "$tmp/signed.efi"
want=$(osslsigncode verify -in "$tmp/signed.efi" 2>/dev/null | sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' | tr A-F a-f)
check "dbx.hashes holds the image's Authenticode digest (osslsigncode's)" quiet grep -qx "$want" "$tmp/a/dbx.hashes"
check "dbx-append.auth is an append update of dbx signed by KEK" quiet $P verify-auth "$tmp/a" dbx "$tmp/a/dbx-append.auth" KEK --append
check "... not a replacing one" not quiet $P verify-auth "$tmp/a" dbx "$tmp/a/dbx-append.auth" KEK
check "... not an update of db" not quiet $P verify-auth "$tmp/a" db "$tmp/a/dbx-append.auth" KEK --append
check "... not signed by PK" not quiet $P verify-auth "$tmp/a" dbx "$tmp/a/dbx-append.auth" PK --append
check "... nor by fleet B's KEK" not quiet $P verify-auth "$tmp/b" dbx "$tmp/a/dbx-append.auth" KEK --append
esl_hex=$(od -An -tx1 -v "$tmp/a/dbx-append.esl" | tr -d ' \n')
check "the list is EFI_CERT_SHA256, 28 + 48 bytes, entry size 48" quiet \
  test "${esl_hex:0:56}" = "2616c4c14c509240aca941f9369343284c0000000000000030000000"
check "... its entry is the image's digest" quiet test "${esl_hex:88:64}" = "$want"
check "dbx-append by hash, again the same image" quiet $P dbx-append "$tmp/a" "sha256:$(printf 'AB%.0s' {1..32})" "$tmp/signed.efi"
check "dbx.hashes is cumulative without duplicates (2 lines)" quiet test "$(wc -l <"$tmp/a/dbx.hashes")" = 2
check "... the update carries both (28 + 2 * 48 bytes)" quiet test "$(stat -c %s "$tmp/a/dbx-append.esl")" = 124
check "... and still verifies" quiet $P verify-auth "$tmp/a" dbx "$tmp/a/dbx-append.auth" KEK --append
check "dbx-append refuses a short hash" not quiet $P dbx-append "$tmp/a" sha256:abcd
check "dbx-append refuses a file that is not a PE image" not quiet $P dbx-append "$tmp/a" "$tmp/a/owner.guid"
check "dbx-append refuses a directory without KEK" not quiet $P dbx-append "$tmp/none" "$tmp/signed.efi"
check "dbx-append prints no private key" quiet bash -c "! $P dbx-append '$tmp/a' '$tmp/signed.efi' 2>&1 | grep -q 'PRIVATE KEY'"
check "rotate-kek" quiet $P rotate-kek "$tmp/a"
check "dbx-append.auth is re-signed by the new KEK" quiet $P verify-auth "$tmp/a" dbx "$tmp/a/dbx-append.auth" KEK --append
check "... and no longer by the previous KEK" not quiet $P verify-auth "$tmp/a" dbx "$tmp/a/dbx-append.auth" KEK-prev --append
check "new KEK.auth is signed by the (unchanged) PK" quiet $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK
check "db.auth is re-signed by the new KEK" quiet $P verify-auth "$tmp/a" db "$tmp/a/db.auth" KEK
check "... and no longer by the previous KEK" not quiet $P verify-auth "$tmp/a" db "$tmp/a/db.auth" KEK-prev
check "the stale db-append.auth (old KEK) is gone" quiet test ! -e "$tmp/a/db-append.auth"
check "rotate-pk" quiet $P rotate-pk "$tmp/a"
check "PK-update.auth (for enrolled nodes) is signed by the previous PK" quiet $P verify-auth "$tmp/a" PK "$tmp/a/PK-update.auth" PK-prev
check "... not by the new one" not quiet $P verify-auth "$tmp/a" PK "$tmp/a/PK-update.auth" PK
check "PK.auth (for new nodes) is signed by the new PK" quiet $P verify-auth "$tmp/a" PK "$tmp/a/PK.auth" PK
check "KEK.auth is re-signed by the new PK" quiet $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK
check "... and no longer by the previous PK" not quiet $P verify-auth "$tmp/a" KEK "$tmp/a/KEK.auth" PK-prev
for k in PK PK-prev KEK KEK-prev; do
  check "$k.key is mode 0600" quiet test "$(stat -c %a "$tmp/a/$k.key")" = 600
done
check "rotations print no private key" quiet bash -c "! grep -rq 'PRIVATE KEY' <($P rotate-kek '$tmp/a' 2>&1; $P rotate-pk '$tmp/a' 2>&1)"
done_testing
