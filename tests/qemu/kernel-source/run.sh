#!/bin/bash
# run.sh: the checks of `make check-kernel-source` (TAP), on a build
# directory $O made with CONFIG_KERNEL_FROM_SOURCE=y and built (images,
# epoxyd, epoxyctl).  Not part of `make check`: the first build compiles a
# kernel.
#
# 1. the facts: the stage1 kernel is the bzImage built from Debian's source
#    (its build time, its size against Debian's vmlinuz, the UKI's size) and
#    the minimal and enrollment images carry no .ko;
# 2. tests/qemu/scenarios/happy-uefi.scn, unchanged, with this stage1; its
#    console must show the minimal kernel locked down from Secure Boot and
#    the UEFI db certificates loaded into its platform keyring;
# 3. tests/qemu/scenarios/bios.scn, unchanged: the legacy-BIOS path with
#    this kernel (its built-in block drivers read the token medium);
# 4. lockdown-unsigned.scn and lockdown-otherkey.scn: release 2 (3), a
#    correctly signed manifest whose production kernel has no signature
#    (is signed by a fresh key outside db), made here with `make images
#    RELEASE_VERSION=V`, sbattach --remove (sbsign), then the manifest
#    signed again by the same make, must be refused by the minimal
#    kernel's kexec_file_load under lockdown (EPOXY-E1300); both releases
#    are removed afterwards.
# Environment: O, QEMU_PORT_BASE (default 18480).
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
O=${O:?O must be the kernel-source build directory}; export O
export QEMU_PORT_BASE=${QEMU_PORT_BASE:-18480}
IMG=$O/images; K=$O/stage1/kbuild
n=0; fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
sz() { stat -c %s "$1" 2>/dev/null || echo 0; }

grep -qx 'CONFIG_KERNEL_FROM_SOURCE := 1' "$O/config.mk" ||
	{ echo "not ok 1 - $O is not configured with CONFIG_KERNEL_FROM_SOURCE"; echo "1..1"; exit 1; }

# ---- facts
deb=$(ls "$O"/stage1/kernel/boot/vmlinuz-* 2>/dev/null | head -1)
check "stage1/vmlinuz is the bzImage built from source ($(cat "$K/release" 2>/dev/null))" \
	'cmp -s "$K/bzImage" "$IMG/stage1/vmlinuz"'
echo "# kernel build: $(cat "$K/seconds" 2>/dev/null || echo '?') s (make -j$(nproc) bzImage; log $O/stage1/kbuild.log)"
echo "# sizes: bzImage $(sz "$K/bzImage") bytes, Debian's vmlinuz $(sz "$deb") bytes ($(basename "$deb")),"
echo "#        stage1.efi $(sz "$IMG/stage1.efi") bytes, its initramfs $(sz "$IMG/uki/initramfs") bytes, stage1 (BIOS) initramfs $(sz "$IMG/stage1/initramfs") bytes"
for f in stage1/initramfs uki/initramfs enroll/initramfs; do
	kos=$(gzip -dc "$IMG/$f" | cpio -it --quiet 2>/dev/null | grep -c '\.ko$')
	check "$f carries no kernel module ($kos .ko)" '[ "$kos" = 0 ]'
done
check "release kernel is Debian's package kernel, db-signed" \
	'sbverify --cert "$O/keys/db.crt" "$IMG/release/1/kernel" >/dev/null 2>&1'

# ---- happy path
t0=$(date +%s)
tests/qemu/run-scenario tests/qemu/scenarios/happy-uefi.scn | sed 's/^/# /'
rc=${PIPESTATUS[0]}
check "happy-uefi.scn with the stage1 kernel from source ($(( $(date +%s) - t0 )) s)" '[ "$rc" = 0 ]'
C=$O/qemu/happy-uefi/console.txt
# the first kernel's part of the console: up to the kexec
first=$(sed -n '1,/epoxy: stage kexec loaded; executing/p' "$C" 2>/dev/null)
for re in 'Linux version 6\.1\.[0-9]+ \(epoxy@epoxy\)' \
	  'Kernel is locked down from EFI Secure Boot' \
	  'integrity: Loading X\.509 certificate: UEFI:db' \
	  'integrity: Loaded X\.509 cert'; do
	line=$(echo "$first" | grep -E -m1 "$re")
	check "stage1 console: $re" '[ -n "$line" ]'
	[ -n "$line" ] && echo "#   $line"
done

# ---- legacy BIOS: the kernel from source boots from Debian's iPXE ROM and
# reads the token medium through its built-in virtio-blk
t0=$(date +%s)
tests/qemu/run-scenario tests/qemu/scenarios/bios.scn | sed 's/^/# /'
rc=${PIPESTATUS[0]}
check "bios.scn with the stage1 kernel from source: token medium, joined ($(( $(date +%s) - t0 )) s)" '[ "$rc" = 0 ]'
line=$(grep -E -m1 'Linux version 6\.1\.[0-9]+ \(epoxy@epoxy\)' "$O/qemu/bios/console.txt" 2>/dev/null)
check "bios console: the first kernel is the one built from source" '[ -n "$line" ]'

# ---- lockdown refuses a production kernel not signed with the db key
# mkrel V HOW: release V = release 1's parts under a correctly signed
# manifest, its kernel unsigned (HOW=unsigned) or signed with a fresh key
# outside db (HOW=otherkey); `make images RELEASE_VERSION=V` builds it and,
# once the kernel is replaced, signs the manifest over the new kernel.
mkrel() {
	local v=$1 how=$2 k=$IMG/release/$1/kernel log=$O/ksrc-release$1.log
	rm -rf "$IMG/release/$v"
	make --no-print-directory O="$O" RELEASE_VERSION="$v" "$IMG/release/$v/manifest" >"$log" 2>&1 || return 1
	while sbattach --remove "$k" >/dev/null 2>&1; do :; done
	if [ "$how" = otherkey ]; then
		mkdir -p "$O/ksrc-otherkey"
		openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
			-subj "/CN=not the fleet db/" -keyout "$O/ksrc-otherkey/db.key" \
			-out "$O/ksrc-otherkey/db.crt" 2>>"$log" || return 1
		sbsign --key "$O/ksrc-otherkey/db.key" --cert "$O/ksrc-otherkey/db.crt" \
			--output "$k.tmp" "$k" >>"$log" 2>&1 && mv "$k.tmp" "$k" || return 1
		sbverify --cert "$O/ksrc-otherkey/db.crt" "$k" >/dev/null 2>&1 || return 1
	fi
	sbverify --cert "$O/keys/db.crt" "$k" >/dev/null 2>&1 && return 1
	sleep 1; touch "$k"
	make --no-print-directory O="$O" RELEASE_VERSION="$v" "$IMG/release/$v/manifest" >>"$log" 2>&1
}
trap 'rm -rf "$IMG/release/2" "$IMG/release/3" "$O/ksrc-otherkey"' EXIT
for v in 2:unsigned 3:otherkey; do
	how=${v#*:}; v=${v%%:*}
	if mkrel "$v" "$how"; then
		ok "release $v: signed manifest, production kernel $how (not verifiable with db.crt)"
		t0=$(date +%s)
		tests/qemu/run-scenario "tests/qemu/kernel-source/lockdown-$how.scn" | sed 's/^/# /'
		rc=${PIPESTATUS[0]}
		check "lockdown-$how.scn: the minimal kernel's kexec_file_load refuses it ($(( $(date +%s) - t0 )) s)" '[ "$rc" = 0 ]'
		grep -E 'PEFILE|Lockdown: epoxy-agent|EPOXY-E1300 kexec' "$O/qemu/ksrc-lockdown-$how/console.txt" 2>/dev/null |
			head -3 | sed 's/^/#   /'
	else
		not_ok "release $v ($how) could not be made (see $O/ksrc-release$v.log)"
	fi
	rm -rf "$IMG/release/$v"
done
echo "1..$n"
exit $fail
