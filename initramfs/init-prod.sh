#!/bin/busybox sh
# shellcheck shell=dash # busybox ash: checked as dash, its closest dialect
# /init of the production image, booted by the agent's kexec.
#
# Mounts proc, sys and dev, loads the network modules of
# /lib/modules/order, brings eth0 up with DHCP and runs the agent in stage
# 2: it reads the handover the stage1 agent appended (/run/epoxy/handover),
# fetches the join credential, runs the verified join script /epoxy/join
# and reports to epoxyd.  Then the node services in /etc/epoxy/services.d
# start (room for the node manager and measurement services), and the
# daemons the join started are watched (epoxy-watch: one gone, EPOXY-E1515
# and a reboot).  Never a shell: on failure the node reboots into a clean
# retry.
PATH=/bin
export PATH
# A root the slivers can pivot away from: pivot_root(2) refuses the
# initramfs rootfs (EINVAL), and crun's --no-pivot would leave the node's
# root reachable from a sliver's mount namespace.  So the first /init
# copies the unpacked image (with the agent's handover) into a tmpfs and
# switch_root's into it (which empties the rootfs); the second finds the
# mark and goes on.  docs/slivers.md.
if [ ! -e /.epoxy-tmpfs-root ]; then
	/bin/busybox mkdir -p /.root
	/bin/busybox mount -t tmpfs -o mode=0755 root /.root || {
		echo "epoxy: EPOXY-E1514 no tmpfs root; rebooting in 10 s"
		/bin/busybox sleep 10; /bin/busybox reboot -f; exit 1; }
	for f in /* /.[!.]*; do
		[ -e "$f" ] && [ "$f" != /.root ] && /bin/busybox cp -a "$f" /.root/
	done
	: >/.root/.epoxy-tmpfs-root
	exec /bin/busybox switch_root /.root /init
fi
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
# the links devtmpfs lacks (nft -f - reads "/dev/stdin")
ln -sf /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do ln -sf "/proc/self/fd/${i%%:*}" "/dev/${i#*:}"; done
# cgroup v2 alone (no v1 hierarchy is ever mounted): the slivers' limits
# (epoxy-nm, crun's cgroupfs manager under /sys/fs/cgroup/epoxy), the
# controllers handed down from the root
if ! { mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup &&
	echo '+cpu +memory +pids' > /sys/fs/cgroup/cgroup.subtree_control; }; then
	fail EPOXY-E1514 "cgroup v2 with cpu, memory and pids could not be set up"
fi
echo "epoxy: production initramfs (root on tmpfs; cgroup v2: $(cat /sys/fs/cgroup/cgroup.subtree_control))"

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m.ko" || fail EPOXY-E1510 "module $m did not load"
done < /lib/modules/order

ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip link set eth0 up || fail EPOXY-E1511 "no eth0"
udhcpc -i eth0 -s /etc/udhcpc.script -q -f -n -t 10 -T 1 >/dev/null ||
	fail EPOXY-E1511 "no DHCP answer on eth0"

[ -x /bin/epoxy-agent ] || fail EPOXY-E1513 "agent missing"
/bin/epoxy-agent || fail EPOXY-E1513 "agent exited with status $?"

for s in /etc/epoxy/services.d/*; do
	[ -x "$s" ] && "$s" &
done
echo "epoxy: node up"
# the daemons the join left running are watched (/bin/epoxy-watch): one
# gone for 10 s (the node manager crashed, or stopped when its host was
# revoked) reboots the node into a clean retry
watch=
for d in epoxy-nm epoxy-priv; do
	pidof "$d" >/dev/null 2>&1 && watch="$watch $d"
done
if [ -n "$watch" ]; then
	# shellcheck disable=SC2086 # the daemons' names, one word each
	/bin/epoxy-watch --every 2 --grace 10 $watch || fail EPOXY-E1515 "a node daemon is gone"
fi
while :; do sleep 3600; done
