#!/bin/bash
# build-kernel.sh PACKAGE FRAGMENT TRUST DIR: the minimal stage1 kernel,
# built from Debian's kernel source, trusting exactly the certificates of
# TRUST (PEM, the fleet's kexec-trust.pem) for kexec_file_load.
#
# Guarantees:
#  - the source is Debian's binary package PACKAGE (linux-source-6.1: the
#    Debian-patched tree as /usr/src/linux-source-6.1.tar.xz), fetched with
#    `apt-get download` into DIR/deb (apt checks it against the signed
#    archive index) and unpacked with dpkg -x and tar into DIR/ksrc;
#    nothing outside DIR is touched, nothing is installed;
#  - the configuration is `make tinyconfig` with FRAGMENT merged by the
#    tree's scripts/kconfig/merge_config.sh, then `make olddefconfig`; every
#    line of FRAGMENT (CONFIG_X=v or "# CONFIG_X is not set") must hold in
#    the final .config, or the build stops naming each symbol that did not;
#  - TRUST is copied into the tree as certs/epoxy-kexec-trust.pem and named
#    by CONFIG_SYSTEM_TRUSTED_KEYS (a relative path: the same bytes in any
#    build directory): the built-in trusted keyring, the only keyring the
#    fragment leaves to kexec_file_load (no platform keyring, no secondary
#    keyring), holds exactly those certificates; each must be a PEM X.509
#    certificate, and none may be the private key's file;
#  - bzImage is built with KBUILD_BUILD_TIMESTAMP from SOURCE_DATE_EPOCH
#    and fixed KBUILD_BUILD_USER/HOST/VERSION: same source, fragment and
#    SOURCE_DATE_EPOCH give the same bytes;
#  - DIR/kbuild/{bzImage,config,release,seconds} are the results, and
#    DIR/kbuild/.stamp (written last) names the package, the fragment's,
#    TRUST's and this script's hashes and SOURCE_DATE_EPOCH: with the same stamp
#    nothing is done again, so a half-done build is redone.
# The compiler's output goes to DIR/kbuild.log (its tail on failure).
set -euo pipefail
[ $# = 4 ] || { echo "usage: build-kernel.sh PACKAGE FRAGMENT TRUST DIR" >&2; exit 2; }
pkg=$1 frag=$2 trust=$3 dir=$4
case $pkg in
  linux-source-*) ;;
  *) echo "build-kernel: '$pkg' is not a linux-source package (CONFIG_KERNEL_SOURCE_PACKAGE)" >&2; exit 1;;
esac
[ -f "$frag" ] || { echo "build-kernel: no fragment $frag" >&2; exit 1; }
[ -f "$trust" ] || { echo "build-kernel: no kexec trust file $trust (keys/epoxy-pki kexec)" >&2; exit 1; }
grep -q 'PRIVATE KEY' "$trust" &&
  { echo "build-kernel: $trust holds a private key; give the certificates only" >&2; exit 1; }
ncert=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$trust" || true)
{ [ "$ncert" -ge 1 ] && openssl x509 -in "$trust" -noout 2>/dev/null; } ||
  { echo "build-kernel: $trust is not a PEM X.509 certificate list" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
frag=$(cd "$(dirname "$frag")" && pwd)/$(basename "$frag")
sde=${SOURCE_DATE_EPOCH:?build-kernel: SOURCE_DATE_EPOCH must be set}
# the epoxy Makefile's variables (O=, -j, jobserver, VERSION) must not
# reach the kernel's make
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL MAKE_TERMOUT MAKE_TERMERR O VERSION
jobs=${KERNEL_JOBS:-$(nproc)}

# ---- fetch
mkdir -p "$dir/deb"
if ! ls "$dir/deb/${pkg}_"*.deb >/dev/null 2>&1; then
  echo "build-kernel: apt-get download $pkg"
  (cd "$dir/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$dir/deb" && apt-get download -q "$pkg" >/dev/null)
  } || { echo "build-kernel: cannot download $pkg (network? package name?)" >&2; exit 1; }
fi
# shellcheck disable=SC2012 # Debian package file names; ls fails loudly on none
deb=$(ls "$dir/deb/${pkg}_"*.deb | sort | tail -1)
key="$(basename "$deb") $(sha256sum <"$frag" | cut -c1-16) $(sha256sum <"$trust" | cut -c1-16) $(sha256sum <"$0" | cut -c1-16) $sde"
if [ -f "$dir/kbuild/.stamp" ] && [ "$(cat "$dir/kbuild/.stamp")" = "$key" ]; then
  exit 0
fi

# ---- unpack (again only when the .deb changed)
if [ "$(cat "$dir/ksrc/.epoxy-unpacked" 2>/dev/null)" != "$(basename "$deb")" ]; then
  echo "build-kernel: unpacking $(basename "$deb")"
  rm -rf "$dir/ksrc" "$dir/ksrc.tmp"
  mkdir -p "$dir/ksrc.tmp/pkg"
  dpkg -x "$deb" "$dir/ksrc.tmp/pkg"
  # shellcheck disable=SC2012 # one Debian source tarball, or none
  tarball=$(ls "$dir"/ksrc.tmp/pkg/usr/src/linux-source-*.tar.xz 2>/dev/null | head -1)
  [ -n "$tarball" ] || { echo "build-kernel: $deb has no usr/src/linux-source-*.tar.xz" >&2; exit 1; }
  tar -xJf "$tarball" -C "$dir/ksrc.tmp"
  top=$(find "$dir/ksrc.tmp" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*')
  [ -f "$top/Makefile" ] || { echo "build-kernel: no kernel tree in $tarball" >&2; exit 1; }
  mv "$top" "$dir/ksrc"
  rm -rf "$dir/ksrc.tmp"
  basename "$deb" >"$dir/ksrc/.epoxy-unpacked"
fi

# ---- configure
k=$dir/ksrc
log=$dir/kbuild.log
: >"$log"
kmake() { make -C "$k" -s "$@" >>"$log" 2>&1 || { tail -40 "$log" >&2; echo "build-kernel: make $* failed (log: $log)" >&2; exit 1; }; }
rm -f "$k/.config"
install -m 0644 "$trust" "$k/certs/epoxy-kexec-trust.pem"
# the fragment plus the trust line, checked like every other line
full=$dir/kbuild-fragment.config
{ cat "$frag"; echo 'CONFIG_SYSTEM_TRUSTED_KEYS="certs/epoxy-kexec-trust.pem"'; } >"$full"
kmake tinyconfig
(cd "$k" && scripts/kconfig/merge_config.sh -m .config "$full") >>"$log" 2>&1 ||
  { tail -20 "$log" >&2; echo "build-kernel: merge_config.sh failed" >&2; exit 1; }
kmake olddefconfig
bad=
while IFS= read -r line; do
  case $line in
    CONFIG_*=*)
      grep -qxF -- "$line" "$k/.config" ||
        bad="$bad ${line%%=*} (wanted ${line#*=}, got $(grep -E "^(${line%%=*}=|# ${line%%=*} is not set)" "$k/.config" | sed 's/^# .* is not set/n/; s/^[^=]*=//' || true))" ;;
    "# CONFIG_"*" is not set")
      s=${line#\# }; s=${s%% *}
      ! grep -q "^$s=" "$k/.config" || bad="$bad $s (wanted n, got $(sed -n "s/^$s=//p" "$k/.config"))" ;;
  esac
done <"$full"
[ -z "$bad" ] || {
  echo "build-kernel: symbols of $frag not as requested in the final .config:" >&2
  echo "$bad" | sed 's/) /)\n/g; s/^ //' | sed 's/^/  /' >&2
  echo "build-kernel: add their dependencies to the fragment (make -C $k menuconfig shows them)" >&2
  exit 1
}

# ---- build
echo "build-kernel: make -j$jobs bzImage ($(sed -n 's/^VERSION = //p;s/^PATCHLEVEL = //p;s/^SUBLEVEL = //p' "$k/Makefile" | paste -sd.), $pkg)"
start=$(date +%s)
# shellcheck disable=SC2155 # as before: a failing date leaves it empty, set -e or not
export KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$sde" '+%Y-%m-%d %H:%M:%S UTC')"
export KBUILD_BUILD_USER=epoxy KBUILD_BUILD_HOST=epoxy KBUILD_BUILD_VERSION=1
# the built-in default initramfs (usr/initramfs_data.cpio: /dev, /root)
# carries KBUILD_BUILD_TIMESTAMP as its mtime, but kbuild does not remake
# it when only the time stamp changes: an incremental build after a new
# epoch kept the old one and differed from a fresh build (measured)
rm -f "$k/usr/initramfs_data.cpio"
# cmd_check_local_export= (empty): Linux 6.1 runs scripts/check-local-export
# (nm and awk) on every object to catch an EXPORT_SYMBOL of a static
# symbol, a module-export check; with CONFIG_MODULES off it guards nothing
# here (EXPORT_SYMBOL expands to nothing), writes nothing, and cost 1,483
# nm runs, 155-165 CPU-s, per build
kargs=(cmd_check_local_export=)
# cmd: Kbuild runs every line of a rule through sh, those whose command is
# empty too ("set -e;" alone for checksrc, checkdoc, record_mcount ...:
# seven shells an object, and a process costs milliseconds of CPU on a
# virtual machine).  This cmd (on the command line, so every sub-make has
# it) is Kbuild's own but makes an empty command "@:", which make does
# without a process.  Same commands, same objects and .cmd files, byte for
# byte (drivers/acpi/acpica: 1,541 shells to 456, 73.7 to 61.8 CPU-s).
# Only over the definition it was written for, which it wraps as it is:
# another is left alone.
# shellcheck disable=SC2016 # make's $(...), expanded by make
kcmd_of='cmd = @set -e; $(echo-cmd) $($(quiet)redirect) $(delete-on-interrupt) $(cmd_$(1))'
if grep -qxF -- "$kcmd_of" "$k/scripts/Kbuild.include"; then
  # shellcheck disable=SC2016
  kargs+=('cmd=$(if $(strip $(cmd_$(1))),'"${kcmd_of#cmd = }"',@:)')
else
  echo "build-kernel: scripts/Kbuild.include's cmd is not the one of Linux 6.1: built with it as it is"
fi
# SHA-256 at -O2 (the rest at tinyconfig's -Os): kexec_file_load and
# purgatory each hash the production kernel's whole init_size (66.7 MB for
# Debian's 6.1, 58 MB of it zeros) and the initramfs with this one file,
# lib/crypto/sha256.c, and the kernel's signature check hashes the image
# again; at -Os it is 1.27 times slower (user-mode TCG, bench/chain/README.md).
# A per-object flag of Kbuild's own, after the tree's, in both Makefiles
# that build the file.  A reused tree is unpacked only for a new .deb, so
# every line this script ever added (marked) is taken out first and the
# current ones put back: the tree holds exactly what this version says.
mark='# epoxy: stage1/build-kernel.sh'
for mf in lib/crypto/Makefile arch/x86/purgatory/Makefile; do
  sed -i "\|$mark\$|d" "$k/$mf"
  echo "CFLAGS_sha256.o += -O2 $mark" >>"$k/$mf"
done
kmake -j"$jobs" bzImage "${kargs[@]}"
release=$(make -C "$k" -s kernelrelease)
rm -rf "$dir/kbuild"
mkdir -p "$dir/kbuild"
cp "$k/arch/x86/boot/bzImage" "$dir/kbuild/bzImage"
cp "$k/.config" "$dir/kbuild/config"
cp "$trust" "$dir/kbuild/kexec-trust.pem"
echo "$release" >"$dir/kbuild/release"
echo $(( $(date +%s) - start )) >"$dir/kbuild/seconds"
echo "$key" >"$dir/kbuild/.stamp"
echo "build-kernel: $release bzImage $(stat -c %s "$dir/kbuild/bzImage") bytes in $(cat "$dir/kbuild/seconds") s"
