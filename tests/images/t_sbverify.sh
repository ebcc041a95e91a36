#!/bin/bash
# t_sbverify.sh: the signed EFI images verify with the fleet's db
# certificate, the release kernel with the fleet's kexec certificate (and
# not with db: tests/images/t_signers.sh), and copies that are tampered (one
# byte), unsigned, or signed by another key do not.  Needs `make images`
# (stage0.efi, stage1.efi, release kernel) and the dev keys in $O/keys.
. "$(dirname "$0")/../lib/tap.sh"
. tests/lib/flip.sh
db=$O/keys/db.crt
need_built "$db" "$O/images/stage0.efi" "$O/images/stage1.efi"
tmpdir epoxy-t-sbverify; tmp=$T_DIR
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other.key" \
	-out "$tmp/other.crt" -days 30 -subj "/CN=not in db/" >/dev/null 2>&1

flip() { cp "$1" "$2" && flip_byte "$2" "$3"; } # in out offset: a copy with one byte changed
imgs="stage0.efi:$db stage1.efi:$db"
[ -f "$O/images/release/1/kernel" ] && imgs="$imgs release/1/kernel:$O/keys/kexec.crt"
for img in $imgs; do
	db=${img#*:}; img=${img%%:*}
	f=$O/images/$img; size=$(stat -c %s "$f")
	check "$img verifies with $(basename "$db")" quiet sbverify --cert "$db" "$f"
	check "$img has exactly one signature" quiet test "$(sbverify --list "$f" 2>/dev/null | grep -c '^signature ')" = 1
	check "$img does not verify with another certificate" not quiet sbverify --cert "$tmp/other.crt" "$f"
	# one byte flipped at several offsets spread over the signed bytes
	for off in 64 $((size / 3)) $((size / 2)) $((size * 2 / 3)); do
		flip "$f" "$tmp/x.efi" "$off"
		check "$img with byte $off flipped fails" not quiet sbverify --cert "$db" "$tmp/x.efi"
	done
	cp "$f" "$tmp/u.efi"; sbattach --remove "$tmp/u.efi" >/dev/null 2>&1
	check "$img unsigned fails" not quiet sbverify --cert "$db" "$tmp/u.efi"
	sbsign --key "$tmp/other.key" --cert "$tmp/other.crt" --output "$tmp/o.efi" "$tmp/u.efi" >/dev/null 2>&1
	check "$img signed by another key fails" not quiet sbverify --cert "$db" "$tmp/o.efi"
done
# the UKI carries the signed command line of docs/protocol.md
objcopy -O binary --only-section=.cmdline "$O/images/stage1.efi" "$tmp/cmdline" 2>/dev/null
check "stage1.efi .cmdline equals images/stage1/cmdline" quiet cmp "$tmp/cmdline" "$O/images/stage1/cmdline"
# random.trust_cpu=on: the stage1 kernel credits RDRAND (stage1/images.mk)
check "stage1 cmdline names the server and stage 1" quiet grep -Eq '^console=ttyS0 random\.trust_cpu=on epoxy\.server=[a-z0-9.-]+ epoxy\.addr=[0-9.]+ epoxy\.port=[0-9]+ epoxy\.stage=1$' "$O/images/stage1/cmdline"
objcopy -O binary --only-section=.initrd "$O/images/stage1.efi" "$tmp/initrd" 2>/dev/null
check "stage1.efi .initrd equals images/uki/initramfs" quiet cmp "$tmp/initrd" "$O/images/uki/initramfs"
done_testing
