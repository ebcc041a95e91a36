#!/bin/bash
# mkuki.sh STUB OSREL CMDLINE KERNEL INITRD OUT: assemble an unsigned
# unified kernel image (UKI) from systemd's EFI stub.
#
# Guarantees: OUT is the stub with .osrel, .cmdline, .linux and .initrd
# sections at the fixed addresses the systemd 252 stub expects, and its PE
# time stamp zeroed (objcopy writes the current time there), so the same
# inputs give the same bytes.  OUT is written atomically.  Sign it with
# boot/efisign.sh; one signature then covers kernel, initramfs and command
# line together.
set -euo pipefail
[ $# = 6 ] || { echo "usage: mkuki.sh STUB OSREL CMDLINE KERNEL INITRD OUT" >&2; exit 2; }
stub=$1 osrel=$2 cmdline=$3 kernel=$4 initrd=$5 out=$6
for f in "$stub" "$osrel" "$cmdline" "$kernel" "$initrd"; do
  [ -f "$f" ] || { echo "mkuki: missing input $f (EPOXY-E1506)" >&2; exit 1; }
done
# the kernel must fit below .initrd: 0x3000000 - 0x2000000 = 16 MiB
ksize=$(stat -c %s "$kernel")
[ "$ksize" -lt $((0x1000000)) ] ||
  { echo "mkuki: kernel $kernel is $ksize bytes, over the 16 MiB .linux slot (EPOXY-E1504)" >&2; exit 1; }
tmp=$(mktemp "$out.tmp.XXXXXX")
trap 'rm -f "$tmp"' EXIT
objcopy \
  --add-section .osrel="$osrel" --change-section-vma .osrel=0x20000 \
  --add-section .cmdline="$cmdline" --change-section-vma .cmdline=0x30000 \
  --add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
  --add-section .initrd="$initrd" --change-section-vma .initrd=0x3000000 \
  "$stub" "$tmp"
# COFF header: "PE\0\0" at e_lfanew (offset 0x3c), TimeDateStamp 8 bytes in
lfanew=$(od -A n -t u4 -j 60 -N 4 "$tmp" | tr -d ' ')
[ "$(head -c $((lfanew + 4)) "$tmp" | tail -c 4 | od -A n -t x1 | tr -d ' ')" = 50450000 ] ||
  { echo "mkuki: $tmp is not a PE image" >&2; exit 1; }
printf '\0\0\0\0' | dd of="$tmp" bs=1 seek=$((lfanew + 8)) conv=notrunc status=none
chmod 0644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
