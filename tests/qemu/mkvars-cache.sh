#!/bin/bash
# mkvars-cache.sh: epoxy-mkvars for the QEMU scenario sets (t_qemu.sh sets
# it as the runner's EPOXY_MKVARS through QEMU_MKVARS), with the arguments
# `epoxyctl host enroll --vars` gives: --vars OUT --host H
# --credential-file FILE [--mac M] [--boot-path P].
#
# An enrollment boot (OVMF, the stage1 kernel, the enrollment image) costs
# about 8 CPU-s under TCG, and eight of make check's scenarios enroll the
# same node1 on the same boot path, each with its own boot credential.  So
# the first enrollment of a (host, MAC, boot path, inputs) runs the real
# epoxy-mkvars, and its VARS is kept in QEMU_VARS_CACHE; a later one copies
# it and writes its own credential over the kept one's, in place: the
# variable EpoxyBoot holds "credential " and 64 hex digits, the variable
# store keeps no checksum of a variable's data, and a credential of the
# same length changes no offset.  Every other byte is the firmware's own.
# The inputs in the key are epoxy-mkvars itself, the keys it enrolls, the
# firmware's code and template, the enrollment kernel and image and the
# build's server address and ports: a change of any is a miss.
#
# Guarantees: a hit holds the new credential at every place the kept VARS
# held the old one, and no other credential (checked after the write, or
# the enrollment fails); OUT is replaced only by a complete file (mode
# 0444, as epoxy-mkvars leaves it); the credential is read from its file,
# never from argv, and is never printed; without QEMU_VARS_CACHE this is
# epoxy-mkvars.
set -euo pipefail
MKVARS=$O/bin/epoxy-mkvars
[ -n "${QEMU_VARS_CACHE:-}" ] || exec "$MKVARS" "$@"
args=("$@")
vars='' host='' credfile='' mac=52:54:00:12:34:56 bootpath=ipxe
while [ $# -ge 2 ]; do
	case $1 in
	--vars) vars=$2;; --host) host=$2;; --credential-file) credfile=$2;;
	--mac) mac=$2;; --boot-path) bootpath=$2;;
	*) exec "$MKVARS" "${args[@]}";;	# anything else: no cache
	esac
	shift 2
done
if [ $# != 0 ] || [ -z "$vars" ] || [ -z "$host" ] || [ -z "$credfile" ] || [ "$credfile" = - ]; then
	exec "$MKVARS" "${args[@]}"
fi
cred=$(head -c 200 "$credfile" | head -n 1)
[[ $cred =~ ^[0-9a-f]{64}$ ]] || exec "$MKVARS" "${args[@]}"

mvc_cfg() { sed -n "s/^CONFIG_$1 := //p" "$O/config.mk" 2>/dev/null; }
code=$(mvc_cfg OVMF_CODE); code=${code:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd}
template=$(mvc_cfg OVMF_VARS); template=${template:-/usr/share/OVMF/OVMF_VARS_4M.fd}
keys=${EPOXY_KEYS:-$O/keys}
key=$({
	printf '%s\n' "$host" "$mac" "$bootpath" "$(mvc_cfg SERVER_ADDR)" "$(mvc_cfg SERVER_HTTPS_PORT)"
	cat "$MKVARS" "$keys/PK.auth" "$keys/KEK.auth" "$keys/db.auth" "$keys/ca.esl" \
		"$code" "$template" "$O/images/stage1/vmlinuz" "$O/images/enroll/initramfs"
} | sha256sum | cut -c1-32)
# a cache it cannot use is no cache, never a failed enrollment
mkdir -p "$QEMU_VARS_CACHE" 2>/dev/null || exec "$MKVARS" "${args[@]}"
kept=$QEMU_VARS_CACHE/$key.fd
tmp=$vars.cache-tmp
trap 'rm -f "$tmp" "$kept.$$"' EXIT

if [ ! -s "$kept" ]; then
	"$MKVARS" "${args[@]}"
	# kept for the next enrollment: the file as the firmware left it (a
	# full disk here costs the next one a boot, not this one its VARS)
	if cp "$vars" "$kept.$$" 2>/dev/null && mv -f "$kept.$$" "$kept"; then
		echo "epoxy-mkvars-cache: enrolled $vars by a boot; kept as $key" >&2
	else
		echo "epoxy-mkvars-cache: enrolled $vars by a boot; could not keep it in $QEMU_VARS_CACHE" >&2
	fi
	exit 0
fi
cp "$kept" "$tmp"
chmod 0600 "$tmp"
n=0
while IFS=: read -r off _; do
	printf '%s' "$cred" | dd of="$tmp" bs=1 seek=$((off + 11)) conv=notrunc status=none
	n=$((n + 1))
done < <(grep -aboE 'credential [0-9a-f]{64}' "$kept")
# the new credential wherever the old one was, and no other
others=$(grep -aoE 'credential [0-9a-f]{64}' "$tmp" | grep -cv "credential $cred$" || true)
if [ "$n" = 0 ] || [ "$others" != 0 ]; then
	echo "epoxy-mkvars-cache: the kept VARS $key held $n credentials; $others others after the write" >&2
	exit 1
fi
chmod 0444 "$tmp"
mv -f "$tmp" "$vars"
echo "epoxy-mkvars-cache: enrolled $vars from the VARS kept as $key ($n places)" >&2
