#!/bin/bash
# mkvars.sh (installed as $(O)/bin/epoxy-mkvars): enroll a node's UEFI
# variable store (OVMF VARS) for the epoxy chain.
#
# Guarantees: the VARS written to --vars holds the fleet's PK, KEK and db
# (Secure Boot on from the next boot), the fleet CA as TlsCaCertificate (the
# CA HTTPS boot trusts; no fw_cfg needed per boot), the boot option
# Boot0080 = PciRoot(0)/Pci(DEV,FN)/MAC(..)/IPv4(DHCP)/Uri(URL) with
# BootOrder = 0080, and, with --host, the boot credential EpoxyBoot-<GUID>
# (docs/protocol.md).  It is made by one enrollment boot of OVMF in QEMU
# (TCG) on a fresh copy of the template in setup mode; the variables go in
# through fw_cfg, so no image holds a secret.  The result is mode 0444 and
# replaces --vars only if the enrollment boot reported success.  The
# credential is read from a file or stdin, never from argv, and every
# temporary copy is overwritten and removed.
set -euo pipefail
umask 077

usage() {
	cat <<'EOF'
usage: epoxy-mkvars --vars OUT.fd [--host NAME --credential-file FILE|-]
                    [--keys DIR] [--mac MAC] [--pci DEV.FN]
                    [--url URL | --boot-path direct|ipxe] [--code OVMF_CODE] [--template OVMF_VARS]
                    [--kernel VMLINUZ] [--initrd ENROLL_INITRAMFS]
                    [--log FILE] [--timeout SECONDS]

Enrolls a node's OVMF variable store: Secure Boot keys (PK, KEK, db from
KEYS/{PK,KEK,db}.auth), the fleet CA for HTTPS boot (KEYS/ca.esl), the
HTTPS boot option Boot0080 and BootOrder, and the boot credential of HOST
(64 hex digits read from FILE, or stdin with '-').

Defaults come from $O/config.mk and $O (the build directory, default
./build): keys $O/keys, URL https://SERVER_ADDR:HTTPS_PORT/boot/stage0
(--boot-path ipxe: the signed iPXE, which then fetches the stage1 UKI) or
.../boot/stage1.efi (--boot-path direct: the firmware fetches the db-signed
stage1 UKI itself over HTTPS; no plain-HTTP leg, no iPXE),
MAC 52:54:00:12:34:56, PCI 02.0 (the NIC must sit at that slot: QEMU
-device virtio-net-pci,addr=02.0,mac=MAC), kernel $O/images/stage1/vmlinuz,
initrd $O/images/enroll/initramfs.  Exit 0 on success, 1 on failure (with
an EPOXY code), 2 on usage errors.
EOF
}

die() { echo "epoxy-mkvars: $*" >&2; exit 1; }
O=${O:-$PWD/build}
cfg() { sed -n "s/^CONFIG_$1 := //p" "$O/config.mk" 2>/dev/null; }

vars='' host='' credfile='' keys=${EPOXY_KEYS:-$O/keys} mac=52:54:00:12:34:56 pci=02.0
addr=$(cfg SERVER_ADDR); port=$(cfg SERVER_HTTPS_PORT)
url='' bootpath=ipxe
code=$(cfg OVMF_CODE); code=${code:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd}
template=$(cfg OVMF_VARS); template=${template:-/usr/share/OVMF/OVMF_VARS_4M.fd}
kernel=$O/images/stage1/vmlinuz initrd=$O/images/enroll/initramfs
log='' timeout=300
while [ $# -gt 0 ]; do
	case $1 in -h|--help) usage; exit 0;; esac
	[ $# -ge 2 ] || { usage >&2; exit 2; }
	case $1 in
	--vars) vars=$2;; --host) host=$2;; --credential-file) credfile=$2;;
	--keys) keys=$2;; --mac) mac=$2;; --pci) pci=$2;; --url) url=$2;;
	--boot-path) bootpath=$2;;
	--code) code=$2;; --template) template=$2;; --kernel) kernel=$2;;
	--initrd) initrd=$2;; --log) log=$2;; --timeout) timeout=$2;;
	*) usage >&2; exit 2;;
	esac
	shift 2
done
[ -n "$vars" ] || { usage >&2; exit 2; }
case $bootpath in
	ipxe) bootfile=stage0;; direct) bootfile=stage1.efi;;
	*) die "EPOXY-E1413 boot path '$bootpath' invalid (direct or ipxe)";;
esac
if [ -z "$url" ]; then
	url="https://${addr:-10.0.2.100}:${port:-8443}/boot/$bootfile"
elif [ "$bootpath" = direct ]; then
	die "EPOXY-E1413 give --url or --boot-path direct, not both"
fi
if [ -n "$host" ] || [ -n "$credfile" ]; then
	{ [ -n "$host" ] && [ -n "$credfile" ]; } || { usage >&2; exit 2; }
	[[ $host =~ ^[a-z0-9.-]{1,63}$ ]] || die "EPOXY-E1413 host name '$host' invalid ([a-z0-9.-]{1,63})"
fi
[[ $mac =~ ^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$ ]] || die "EPOXY-E1413 MAC '$mac' invalid"
[[ $pci =~ ^([0-9a-fA-F]{1,2})\.([0-7])$ ]] || die "EPOXY-E1413 PCI slot '$pci' invalid (DEV.FN)"
pcidev=$((16#${BASH_REMATCH[1]})) pcifn=${BASH_REMATCH[2]}
[ "$pcidev" -le 31 ] || die "EPOXY-E1413 PCI device $pcidev > 31"
{ [[ $url =~ ^https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._~/?=\&%-]*)?$ ]] && [ ${#url} -le 512 ]; } ||
	die "EPOXY-E1413 URL '$url' invalid"
[[ $timeout =~ ^[0-9]{1,4}$ ]] || die "EPOXY-E1413 timeout '$timeout' invalid"
for f in "$keys/PK.auth" "$keys/KEK.auth" "$keys/db.auth" "$keys/ca.esl" \
	 "$code" "$template" "$kernel" "$initrd"; do
	[ -f "$f" ] || die "EPOXY-E1413 missing $f (make dev-keys images?)"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make deps)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/epoxy-mkvars.XXXXXX")
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	# overwrite the credential payload before removing it
	[ -f "$tmp/EpoxyBoot" ] && dd if=/dev/zero of="$tmp/EpoxyBoot" bs=256 count=1 conv=notrunc status=none
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- binary helpers (little endian, UCS-2)
hexbytes() { local h=$1; while [ -n "$h" ]; do printf '%b' "\\x${h:0:2}"; h=${h:2}; done; }
le16() { hexbytes "$(printf '%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)))"; }
le32() { hexbytes "$(printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
ucs2z() { local s=$1 i; for ((i = 0; i < ${#s}; i++)); do printf '%s\0' "${s:i:1}"; done; printf '\0\0'; }
zeros() { head -c "$1" /dev/zero; }

# device path: PciRoot(0)/Pci(dev,fn)/MAC(mac,1)/IPv4(DHCP)/Uri(url)/End
devpath() {
	printf '\x02\x01'; le16 12; le32 $((0x0A0341D0)); le32 0
	printf '\x01\x01'; le16 6; hexbytes "$(printf '%02x%02x' "$pcifn" "$pcidev")"
	printf '\x03\x0b'; le16 37; hexbytes "${mac//:/}"; zeros 26; printf '\x01'
	printf '\x03\x0c'; le16 27; zeros 23
	printf '\x03\x18'; le16 $((4 + ${#url})); printf '%s' "$url"
	printf '\x7f\xff'; le16 4
}
devpath >"$tmp/devpath"
dplen=$(stat -c %s "$tmp/devpath")
# EFI_LOAD_OPTION: attributes (ACTIVE), path length, description, path
{ le32 7; le32 1; le16 "$dplen"; ucs2z "epoxy HTTPS boot"; cat "$tmp/devpath"; } >"$tmp/Boot0080"
{ le32 7; le16 $((0x80)); } >"$tmp/BootOrder"
{ le32 7; cat "$keys/ca.esl"; } >"$tmp/TlsCaCertificate"
for k in PK KEK db; do { le32 $((0x27)); cat "$keys/$k.auth"; } >"$tmp/$k"; done
fwcfg=()
for k in db KEK PK Boot0080 BootOrder TlsCaCertificate; do
	fwcfg+=(-fw_cfg "name=opt/epoxy/$k,file=$tmp/$k")
done
if [ -n "$host" ]; then
	if [ "$credfile" = - ]; then cred=$(head -c 200 | head -n 1)
	else cred=$(head -c 200 "$credfile" | head -n 1); fi
	[[ $cred =~ ^[0-9a-f]{64}$ ]] || { cred=; die "EPOXY-E1413 credential must be 64 lowercase hex digits"; }
	{ le32 7; printf 'epoxy-boot 1\nhost %s\ncredential %s\nend\n' "$host" "$cred"; } >"$tmp/EpoxyBoot"
	cred=
	fwcfg+=(-fw_cfg "name=opt/epoxy/EpoxyBoot,file=$tmp/EpoxyBoot")
fi

cp "$template" "$tmp/vars.fd"
chmod 0600 "$tmp/vars.fd"
: "${log:=$tmp/console.log}"
echo "epoxy-mkvars: enrollment boot (QEMU TCG, OVMF setup mode)..." >&2
t0=$(date +%s)
: >"$log"
qemu-system-x86_64 -accel tcg -machine q35,smm=on -m 512 \
	-global driver=cfi.pflash01,property=secure,value=on \
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
	-drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd" \
	-display none -serial "file:$log" -monitor none -nic none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet" \
	"${fwcfg[@]}" </dev/null >"$tmp/qemu.err" 2>&1 &
qpid=$!
# the image powers off when done; the firmware, when it refuses the kernel
# (an enrolled store), waits at its boot menu forever: stop it there
for ((i = 0; i < timeout * 2; i++)); do
	kill -0 "$qpid" 2>/dev/null || break
	grep -aq 'Boot Manager Menu' "$log" && break
	sleep 0.5
done
# (set -e: QEMU may be gone and reaped already, and its status is not ours)
kill "$qpid" 2>/dev/null || true
wait "$qpid" 2>/dev/null || true
qpid=
# the payload files are no longer needed, whatever happened
[ -f "$tmp/EpoxyBoot" ] && dd if=/dev/zero of="$tmp/EpoxyBoot" bs=256 count=1 conv=notrunc status=none
if ! grep -q '^epoxy-enroll: done' "$log"; then
	grep -a 'epoxy-enroll\|EPOXY-E' "$log" >&2 || tail -5 "$log" >&2 || true
	cat "$tmp/qemu.err" >&2
	die "EPOXY-E1414 enrollment boot did not finish (log: $log)"
fi
grep -q '^epoxy-enroll: SetupMode=0' "$log" ||
	die "EPOXY-E1412 firmware still in setup mode after writing PK (log: $log)"
chmod 0444 "$tmp/vars.fd"
mv -f "$tmp/vars.fd" "$vars"
echo "epoxy-mkvars: enrolled $vars in $(($(date +%s) - t0)) s" \
	"(PK KEK db, TlsCaCertificate, Boot0080 -> $url${host:+, EpoxyBoot for $host})" >&2
