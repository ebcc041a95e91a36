#!/bin/bash
# t_sbverify.sh: the signed EFI images verify with the fleet's db
# certificate, the release kernel with the fleet's kexec certificate (and
# not with db: tests/images/t_signers.sh), and copies that are tampered (one
# byte), unsigned, or signed by another key do not.  Needs `make images`
# (stage0.efi, stage1.efi, release kernel) and the dev keys in $O/keys.
set -u
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}
n=0; fail=0
t() { # name cmd...: ok if cmd succeeds
	local name=$1; shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then echo "ok $n - $name"; else echo "not ok $n - $name"; fail=1; fi
}
tn() { # name cmd...: ok if cmd fails
	local name=$1; shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then echo "not ok $n - $name"; fail=1; else echo "ok $n - $name"; fi
}
db=$O/keys/db.crt
for f in "$db" "$O/images/stage0.efi" "$O/images/stage1.efi"; do
	[ -f "$f" ] || { echo "not ok 1 - missing $f (run make images)"; exit 1; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other.key" \
	-out "$tmp/other.crt" -days 30 -subj "/CN=not in db/" >/dev/null 2>&1

. tests/flip.sh
flip() { cp "$1" "$2" && flip_byte "$2" "$3"; } # in out offset: a copy with one byte changed
imgs="stage0.efi:$db stage1.efi:$db"
[ -f "$O/images/release/1/kernel" ] && imgs="$imgs release/1/kernel:$O/keys/kexec.crt"
for img in $imgs; do
	db=${img#*:}; img=${img%%:*}
	f=$O/images/$img; size=$(stat -c %s "$f")
	t "$img verifies with $(basename "$db")" sbverify --cert "$db" "$f"
	t "$img has exactly one signature" test "$(sbverify --list "$f" 2>/dev/null | grep -c '^signature ')" = 1
	tn "$img does not verify with another certificate" sbverify --cert "$tmp/other.crt" "$f"
	# one byte flipped at several offsets spread over the signed bytes
	for off in 64 $((size / 3)) $((size / 2)) $((size * 2 / 3)); do
		flip "$f" "$tmp/x.efi" "$off"
		tn "$img with byte $off flipped fails" sbverify --cert "$db" "$tmp/x.efi"
	done
	cp "$f" "$tmp/u.efi"; sbattach --remove "$tmp/u.efi" >/dev/null 2>&1
	tn "$img unsigned fails" sbverify --cert "$db" "$tmp/u.efi"
	sbsign --key "$tmp/other.key" --cert "$tmp/other.crt" --output "$tmp/o.efi" "$tmp/u.efi" >/dev/null 2>&1
	tn "$img signed by another key fails" sbverify --cert "$db" "$tmp/o.efi"
done
# the UKI carries the signed command line of docs/protocol.md
objcopy -O binary --only-section=.cmdline "$O/images/stage1.efi" "$tmp/cmdline" 2>/dev/null
t "stage1.efi .cmdline equals images/stage1/cmdline" cmp "$tmp/cmdline" "$O/images/stage1/cmdline"
t "stage1 cmdline names the server and stage 1" grep -Eq '^console=ttyS0 epoxy\.server=[a-z0-9.-]+ epoxy\.addr=[0-9.]+ epoxy\.port=[0-9]+ epoxy\.stage=1$' "$O/images/stage1/cmdline"
objcopy -O binary --only-section=.initrd "$O/images/stage1.efi" "$tmp/initrd" 2>/dev/null
t "stage1.efi .initrd equals images/uki/initramfs" cmp "$tmp/initrd" "$O/images/uki/initramfs"
echo "1..$n"
exit $fail
