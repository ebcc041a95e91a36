#!/bin/bash
# efisign.sh KEY CERT IN OUT: sign a PE/EFI image for Secure Boot with the
# fleet's db key (sbsign), reproducibly.
#
# Guarantees: OUT carries exactly one Authenticode signature by CERT,
# replacing any signature IN had (Debian's, for its kernel); the PKCS#7
# signing time is max(SOURCE_DATE_EPOCH, notBefore of CERT) (sbsign stamps
# the wall clock otherwise, which makes every build differ), so the same
# inputs and key give the same bytes.  The firmware ignores the time, but
# the kernel's kexec_file_load under lockdown refuses a signature made
# outside the certificate's validity (EKEYREJECTED, docs/kexec-lockdown.md),
# and dev keys are often made after the last commit.  OUT is verified with
# sbverify before it is moved into place.
set -euo pipefail
[ $# = 4 ] || { echo "usage: efisign.sh KEY CERT IN OUT" >&2; exit 2; }
key=$1 cert=$2 in=$3 out=$4
for f in "$key" "$cert" "$in"; do
  [ -f "$f" ] || { echo "efisign: missing $f" >&2; exit 1; }
done
epoch=${SOURCE_DATE_EPOCH:-0}
nb=$(date -u -d "$(openssl x509 -in "$cert" -noout -startdate | sed 's/^notBefore=//')" +%s) ||
  { echo "efisign: cannot read notBefore of $cert" >&2; exit 1; }
[ "$nb" -gt "$epoch" ] && epoch=$nb
when=$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/efisign.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$in" "$tmp/in"
# drop existing signatures so ours is the only one
while sbattach --remove "$tmp/in" >/dev/null 2>&1; do :; done
TZ=UTC faketime -f "$when" sbsign --key "$key" --cert "$cert" \
  --output "$tmp/out" "$tmp/in" >/dev/null 2>"$tmp/err" ||
  { cat "$tmp/err" >&2; echo "efisign: sbsign failed on $in" >&2; exit 1; }
sbverify --cert "$cert" "$tmp/out" >/dev/null 2>&1 ||
  { echo "efisign: $out does not verify with $cert" >&2; exit 1; }
chmod 0644 "$tmp/out"
mv "$tmp/out" "$out.tmp" && mv "$out.tmp" "$out"
