#!/bin/busybox sh
# shellcheck shell=dash # busybox ash: checked as dash, its closest dialect
# /init of the minimal (stage1) image, inside the signed stage1 UKI.
#
# Brings the node from the kernel to the agent and nothing more: mounts
# proc, sys, dev and, under UEFI, efivarfs (the boot credential lives
# there), or on legacy BIOS loads the block drivers of
# /lib/modules/block-order (the agent reads a token medium from a disk),
# loads the network modules in /lib/modules/order, brings eth0 up with DHCP
# and starts the agent, which verifies everything it fetches.  Every
# failure prints a stable EPOXY code.  It never offers a shell: when the
# agent gives up, the node reboots into a clean retry.
PATH=/bin
export PATH
# --install finds busybox through /proc/self/exe
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin

fail() { # code message
	echo "epoxy: $1 $2; rebooting in 10 s"
	sleep 10
	reboot -f
	while :; do sleep 60; done
}

mkdir -p /run/epoxy
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "epoxy: stage1 initramfs"

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m.ko" || fail EPOXY-E1510 "module $m did not load"
done < /lib/modules/order

if [ -d /sys/firmware/efi ]; then
	# a kernel built from source (KERNEL_FROM_SOURCE) has it built in
	grep -qw efivarfs /proc/filesystems || insmod /lib/modules/efivarfs.ko ||
		fail EPOXY-E1510 "module efivarfs did not load"
	mount -t efivarfs efivarfs /sys/firmware/efi/efivars ||
		fail EPOXY-E1512 "efivarfs could not be mounted"
else
	echo "epoxy: no UEFI (legacy BIOS boot): no boot credential in firmware; loading block drivers for a token medium"
	# the agent reads the one-time boot token from sector 0 of a disk
	# (stage2/media.c); a kernel with these drivers built in has no .ko
	while read -r m; do
		{ [ -n "$m" ] && [ -e "/lib/modules/$m.ko" ]; } || continue
		insmod "/lib/modules/$m.ko" || fail EPOXY-E1510 "module $m did not load"
	done < /lib/modules/block-order
fi

ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip link set eth0 up || fail EPOXY-E1511 "no eth0"
udhcpc -i eth0 -s /etc/udhcpc.script -q -f -n -t 10 -T 1 >/dev/null ||
	fail EPOXY-E1511 "no DHCP answer on eth0"

[ -x /bin/epoxy-agent ] || fail EPOXY-E1513 "agent missing"
/bin/epoxy-agent
fail EPOXY-E1513 "agent exited with status $?"
