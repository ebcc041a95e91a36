#!/bin/bash
# t_nosecret.sh: no image holds a secret, and each initramfs holds exactly
# what its spec lists.  Every initramfs (minimal, production, enrollment,
# and the one inside the stage1 UKI) is unpacked and searched for private
# key material (PEM markers, and the first base64 line of every key file
# in $O/keys), boot credentials and tokens.  Images are shared by every
# node and readable by anyone (docs/protocol.md, SECURITY.md).
. "$(dirname "$0")/../lib/tap.sh"
need zstd cpio
I=$O/images
need_built "$I/stage1/initramfs" "$I/uki/initramfs" "$I/release/1/initramfs" "$I/enroll/initramfs" "$I/stage1.efi"
compgen -G "$O/keys/*.key" >/dev/null || bail "no keys in $O/keys"
tmpdir epoxy-t-nosecret; T=$T_DIR
objcopy -O binary --only-section=.initrd "$I/stage1.efi" "$T/uki-initrd"
# needles: one line of every private key (never the whole key in argv)
for k in "$O"/keys/*.key; do sed -n 2p "$k"; done | grep -v '^$' >"$T/needles"
check "$(wc -l <"$T/needles") private key files to look for" quiet test -s "$T/needles"
for img in stage1/initramfs uki/initramfs release/1/initramfs enroll/initramfs uki-initrd; do
	f=$I/$img; [ "$img" = uki-initrd ] && f=$T/uki-initrd
	# gzip (stage1, enrollment) or zstd (production: stage1/images.mk);
	# zstd -d reads both
	zstd -dcq "$f" >"$T/raw" 2>/dev/null
	check "$img unpacks (gzip or zstd, cpio newc)" quiet bash -c "cpio -it <'$T/raw' >'$T/list'"
	# a PEM private key: the BEGIN line followed by base64 (the marker alone
	# may be a string in a parser)
	check "$img holds no PEM private key" quiet \
		bash -c "! grep -a -A1 -- '-----BEGIN [A-Z ]*PRIVATE KEY-----\$' '$T/raw' | grep -aqE '^[A-Za-z0-9+/=]{40,}\$'"
	check "$img holds no line of any key in $O/keys" quiet bash -c "! grep -aqFf '$T/needles' '$T/raw'"
	check "$img holds no boot credential or token line" quiet \
		bash -c "! grep -aqE '^(credential|token [a-z]+) [0-9a-f]{64}$' '$T/raw'"
	check "$img has no owner but root" quiet bash -c "! cpio -itv <'$T/raw' 2>/dev/null | awk '\$3 != \"root\" || \$4 != \"root\"' | grep -q ."
	spec=initramfs/minimal.spec
	case $img in release/*) spec=initramfs/production.spec;; enroll/*) spec=initramfs/enroll.spec;; esac
	# the stage1 kernel is built from source with every driver built in:
	# stage1 and enrollment images are built from their specs without the
	# .ko lines (stage1/images.mk)
	case $img in release/*) ;; *)
		spec=$O/images-src/$(basename "$spec" .spec)-nomod.spec;;
	esac
	# the UKI's image: the minimal spec without the legacy-BIOS block
	# drivers, as stage1/images.mk derives it
	case $img in uki*) spec=$O/images-src/minimal-uefi.spec;; esac
	awk '!/^[ \t]*#/ && NF {print $2}' "$spec" | sort >"$T/want"
	sort "$T/list" >"$T/got"
	check "$img holds exactly the $(wc -l <"$T/want") entries of $spec" quiet cmp "$T/want" "$T/got"
done
check "the UKI's initramfs is images/uki/initramfs" quiet cmp "$T/uki-initrd" "$I/uki/initramfs"
# a UEFI node's stage1 carries no block driver: it never reads a disk (the
# modules are those of BLOCK_MODULES, as stage1/images.mk wrote them)
sed 's|.*|lib/modules/&.ko|' "$O/images-src/modules/block-order" >"$T/block"
echo lib/modules/block-order >>"$T/block"
check "$(wc -l <"$T/block") block-driver entries to look for" quiet test "$(wc -l <"$T/block")" -gt 1
check "the UKI's initramfs holds none of them" quiet \
	bash -c "! zcat '$T/uki-initrd' | cpio -it --quiet | grep -qxFf '$T/block'"
# the legacy-BIOS kernel has its block drivers built in
# (stage1/kernel-minimal.config): no image of stage1 carries a module
for f in stage1/initramfs uki/initramfs enroll/initramfs; do
	check "$f carries no kernel module" quiet bash -c "! zcat '$I/$f' | cpio -it --quiet | grep -q '\.ko\$'"
done
done_testing
