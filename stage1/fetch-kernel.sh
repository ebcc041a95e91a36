#!/bin/bash
# fetch-kernel.sh PACKAGE DIR: Debian's kernel package, unpacked.
#
# Guarantees: DIR/kernel holds the unpacked package (boot/vmlinuz-<ver>,
# lib/modules/<ver>/...) of exactly PACKAGE, fetched with `apt-get
# download` (apt checks the .deb against the signed archive index) and
# unpacked with dpkg -x; DIR/kernel/.stamp names the package and is written
# last, so a half-done fetch is redone.  Nothing outside DIR is touched.
set -euo pipefail
[ $# = 2 ] || { echo "usage: fetch-kernel.sh PACKAGE DIR" >&2; exit 2; }
pkg=$1 dir=$2
case $pkg in
  linux-image-*) ;;
  *) echo "fetch-kernel: '$pkg' is not a linux-image package (CONFIG_KERNEL_PACKAGE)" >&2; exit 1;;
esac
if [ -f "$dir/kernel/.stamp" ] && [ "$(cat "$dir/kernel/.stamp")" = "$pkg" ]; then
  exit 0
fi
mkdir -p "$dir/deb"
if ! ls "$dir/deb/${pkg}_"*.deb >/dev/null 2>&1; then
  echo "fetch-kernel: apt-get download $pkg"
  (cd "$dir/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$dir/deb" && apt-get download -q "$pkg" >/dev/null)
  } || { echo "fetch-kernel: cannot download $pkg (network? package name?)" >&2; exit 1; }
fi
# shellcheck disable=SC2012 # Debian package file names; ls fails loudly on none
deb=$(ls "$dir/deb/${pkg}_"*.deb | sort | tail -1)
rm -rf "$dir/kernel.tmp" "$dir/kernel"
mkdir -p "$dir/kernel.tmp"
dpkg -x "$deb" "$dir/kernel.tmp"
ver=${pkg#linux-image-}
[ -f "$dir/kernel.tmp/boot/vmlinuz-$ver" ] ||
  { echo "fetch-kernel: $deb has no boot/vmlinuz-$ver" >&2; exit 1; }
echo "$pkg" >"$dir/kernel.tmp/.stamp"
mv "$dir/kernel.tmp" "$dir/kernel"
echo "fetch-kernel: $pkg unpacked ($(stat -c %s "$dir/kernel/boot/vmlinuz-$ver") bytes vmlinuz)"
