#!/bin/bash
# bench/agent/uki.sh OUT: for bench/agent/run.sh's part 4, the stage1 UKI
# as it was before the minimal kernel: the same stub, command line,
# os-release and initramfs contents as $O/images/stage1.efi, but Debian's
# kernel ($O/stage1/kernel, CONFIG_KERNEL_PACKAGE, the release's kernel)
# and, since that kernel builds its drivers as modules, the UEFI
# initramfs with the network modules and efivarfs (initramfs/minimal.spec
# without the legacy-BIOS block drivers).  Signed with the build's db key
# like the real one, so the two differ only by kernel and modules.
# Benchmark only: nothing boots it (Debian's kernel is no stage1 option,
# stage1/README.md).  Needs `make images` done in $O.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}
[ $# = 1 ] || { echo "usage: uki.sh OUT" >&2; exit 2; }
out=$1
cfg=$O/config.mk
kpkg=$(sed -n 's/^CONFIG_KERNEL_PACKAGE := //p' "$cfg")
stub=$(sed -n 's/^CONFIG_UEFI_STUB := //p' "$cfg")
kernel=$O/stage1/kernel/boot/vmlinuz-${kpkg#linux-image-}
for f in "$kernel" "$stub" "$O/images-src/osrel" "$O/images/stage1/cmdline" \
         "$O/images-src/modules/order" "$O/bin/epoxy-mkinitramfs" "$O/keys/db.key"; do
  [ -f "$f" ] || { echo "uki.sh: missing $f (make images)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the block drivers and their order file out, as stage1/images.mk's
# minimal-uefi.spec leaves them out (its BLOCK_MODULES)
blocks=$(sed -n '/^BLOCK_MODULES := /,/[^\\]$/p' stage1/images.mk |
         sed -e 's/^BLOCK_MODULES := //' -e 's/\\$//' | tr -s ' \n' '\n' | sed '/^$/d')
filter=(-e '/^file lib\/modules\/block-order /d')
for m in $blocks; do filter+=(-e "/^file lib\\/modules\\/$m\\.ko /d"); done
sed "${filter[@]}" initramfs/minimal.spec >"$tmp/uefi.spec"
"$O/bin/epoxy-mkinitramfs" -r "$O" -c gzip -o "$tmp/initramfs" "$tmp/uefi.spec"
stage1/mkuki.sh "$stub" "$O/images-src/osrel" "$O/images/stage1/cmdline" "$kernel" \
  "$tmp/initramfs" "$tmp/uki.efi"
boot/efisign.sh "$O/keys/db.key" "$O/keys/db.crt" "$tmp/uki.efi" "$out" >/dev/null
echo "uki.sh: $out $(stat -c %s "$out") bytes (kernel $(stat -c %s "$kernel"), initramfs $(stat -c %s "$tmp/initramfs"))"
