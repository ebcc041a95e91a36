#!/bin/busybox sh
# shellcheck shell=dash # busybox ash: checked as dash, its closest dialect
# /init of the enrollment image: the one-off boot that writes a node's UEFI
# variables, run by boot/mkvars.sh on a fresh OVMF variable store (setup
# mode, so this unsigned image boots; it never boots once PK is enrolled).
#
# The variables come from QEMU fw_cfg items opt/epoxy/<name> (4 attribute
# bytes + value, efivarfs layout); the image itself holds no key and no
# credential.  Order: db, KEK, then the boot option, boot order, TLS CA and
# boot credential, and PK last (writing PK leaves setup mode).  Prints
# "epoxy-enroll: done" and powers off; any failure prints an EPOXY code
# and powers off without "done".
PATH=/bin
export PATH
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp/vars

off() { # message
	echo "epoxy-enroll: $1"
	rm -rf /tmp/vars
	sync
	poweroff -f
	while :; do sleep 60; done
}

echo "epoxy-enroll: enrollment image"
[ -d /sys/firmware/efi ] || off "EPOXY-E1411 not booted by UEFI"
# a kernel built from source (KERNEL_FROM_SOURCE) has both built in
grep -qw efivarfs /proc/filesystems || insmod /lib/modules/efivarfs.ko ||
	off "EPOXY-E1411 efivarfs module did not load"
[ -d /sys/firmware/qemu_fw_cfg ] || insmod /lib/modules/qemu_fw_cfg.ko ||
	off "EPOXY-E1413 qemu_fw_cfg module did not load"
mount -t efivarfs efivarfs /sys/firmware/efi/efivars ||
	off "EPOXY-E1411 efivarfs could not be mounted"
EV=/sys/firmware/efi/efivars
FW=/sys/firmware/qemu_fw_cfg/by_name/opt/epoxy
[ -d "$FW" ] || off "EPOXY-E1413 no opt/epoxy items in fw_cfg"

GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c
# SetupMode: 4 attribute bytes, then 1 = setup mode (efivarfs files do not
# seek: read the five bytes and take the last)
setup_mode() {
	# shellcheck disable=SC2046 # the five numbers become $1 .. $5
	set -- $(od -A n -t u1 -N 5 "$EV/SetupMode-$GLOBAL" 2>/dev/null)
	echo "${5:-unknown}"
}
mode=$(setup_mode)
[ "$mode" = 1 ] || off "EPOXY-E1412 firmware not in setup mode (SetupMode=$mode)"

for v in db:d719b2cb-3d3a-4596-a3bc-dad00e67656f KEK:$GLOBAL \
	 Boot0080:$GLOBAL BootOrder:$GLOBAL \
	 TlsCaCertificate:fd2340d0-3dab-4349-a6c7-3b4f12b48eae \
	 EpoxyBoot:2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13 PK:$GLOBAL; do
	name=${v%%:*}
	[ -e "$FW/$name/raw" ] || continue
	# sysfs reads come in pieces; efivarfs wants one write: stage in tmpfs
	cat "$FW/$name/raw" >"/tmp/vars/$name" || off "EPOXY-E1413 cannot read fw_cfg $name"
	/bin/efiwrite "$EV/$name-${v#*:}" "/tmp/vars/$name" || off "EPOXY-E1410 $name not written"
	rm -f "/tmp/vars/$name"
	echo "epoxy-enroll: wrote $name"
done
mode=$(setup_mode)
echo "epoxy-enroll: SetupMode=$mode"
off "done"
