#!/bin/bash
# t_initramfs_boot.sh: the minimal and production images boot and their
# /init does its job, without firmware or server: QEMU (TCG) -kernel/-initrd
# with the built kernel, a virtio NIC on user networking that reaches
# nothing (restrict=on).  Checks the console: /init's banner, every module
# loaded (no EPOXY-E1510), a DHCP lease (no EPOXY-E1511), the agent
# started in the right stage, and, when the agent cannot boot on (no
# firmware credential, no handover), an EPOXY code and a reboot (QEMU runs
# with -no-reboot, so the machine must exit by itself) rather than a shell.
. "$(dirname "$0")/../lib/tap.sh"
I=$O/images
need_built "$I/stage1/vmlinuz" "$I/stage1/initramfs" "$I/stage1/cmdline" \
	"$I/release/1/kernel" "$I/release/1/initramfs" "$I/release/1/cmdline"
tmpdir epoxy-t-initramfs-boot; T=$T_DIR; qpid=''
qemu_kill() { if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; fi; }
at_exit qemu_kill
trap 'exit 1' TERM INT
# SECS bounds a hang, it is no speed check: in make check this boot shares
# two cores with another TCG guest and a build (tests/run.sh's lanes)
SECS=600
boot() { # log pattern secs kernel initrd cmdline: the pattern names what
	# the log must show; the run ends when the node exits by itself (or secs)
	local log=$1 secs=$3 i
	: >"$log"; rm -f "$log.exited"
	nice -n $((-$(nice))) qemu-system-x86_64 -accel tcg -m 512 -display none -serial "file:$log" \
		-monitor none -no-reboot -kernel "$4" -initrd "$5" -append "$6" \
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0 \
		</dev/null >/dev/null 2>&1 &
	qpid=$!
	for ((i = 0; i < secs * 2; i++)); do
		kill -0 "$qpid" 2>/dev/null || { touch "$log.exited"; break; }
		sleep 0.5
	done
	kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
}
# the minimal image, with the stage1 command line the UKI carries
t0=$(date +%s)
boot "$T/min.log" 'rebooting' "$SECS" "$I/stage1/vmlinuz" "$I/stage1/initramfs" "$(cat "$I/stage1/cmdline")"
t=$(($(date +%s) - t0))
check "minimal: /init ran (epoxy: stage1 initramfs)" quiet grep -aq '^epoxy: stage1 initramfs' "$T/min.log"
check "minimal: every module loaded (no EPOXY-E1510)" quiet bash -c "! grep -aq EPOXY-E1510 '$T/min.log'"
check "minimal: DHCP lease on eth0" quiet grep -aq 'lease of 10.0.2.15 obtained' "$T/min.log"
check "minimal: the agent started in stage 1" quiet grep -aq 'epoxy: stage start epoxy-agent .* stage 1' "$T/min.log"
check "minimal: the agent read the baked-in anchors" quiet grep -aq 'epoxy: stage anchors keyset serial' "$T/min.log"
check "minimal: no firmware credential: an EPOXY code on the console" quiet grep -aq '^EPOXY-E[0-9]\{4\} ' "$T/min.log"
check "minimal: the node rebooted by itself (${t} s)" quiet test -f "$T/min.log.exited"
check "minimal: no shell prompt on the console" quiet bash -c "! grep -aqE '^(/ )?# ?$|can.t access tty' '$T/min.log'"
# the production image, with the release command line and stage 2
t0=$(date +%s)
boot "$T/prod.log" 'rebooting' "$SECS" "$I/release/1/kernel" "$I/release/1/initramfs" \
	"$(cat "$I/release/1/cmdline") epoxy.stage=2 epoxy.session=0123456789abcdef"
t=$(($(date +%s) - t0))
check "production: /init ran (epoxy: production initramfs)" quiet grep -aq '^epoxy: production initramfs' "$T/prod.log"
check "production: its root moved to a tmpfs, cgroup v2 with cpu memory pids (no EPOXY-E1514)" quiet \
	grep -aq '^epoxy: production initramfs (root on tmpfs; cgroup v2: cpu memory pids)' "$T/prod.log"
check "production: every module loaded (no EPOXY-E1510)" quiet bash -c "! grep -aq EPOXY-E1510 '$T/prod.log'"
check "production: DHCP lease on eth0" quiet grep -aq 'lease of 10.0.2.15 obtained' "$T/prod.log"
check "production: the agent started in stage 2" quiet grep -aq 'epoxy: stage start epoxy-agent .* stage 2' "$T/prod.log"
check "production: without a handover: an EPOXY code on the console" quiet grep -aq '^EPOXY-E[0-9]\{4\} ' "$T/prod.log"
check "production: the node rebooted by itself (${t} s)" quiet test -f "$T/prod.log.exited"
check "production: the join script is not run without a handover" quiet bash -c "! grep -aq 'epoxy: join:' '$T/prod.log'"
# the slivers' BusyBox is a hard link to bin/busybox in the archive
# (initramfs/production.spec's hlink): Debian's kernel must unpack both
# names with the whole file.  Its init is the slivers' BusyBox itself,
# hashing both (the kernel hands what follows "--" to init), then the
# kernel panics (init exited) and panic=-1 ends the run
want=$(sha256sum </bin/busybox | cut -d' ' -f1)
boot "$T/link.log" '' "$SECS" "$I/release/1/kernel" "$I/release/1/initramfs" \
	"$(cat "$I/release/1/cmdline") panic=-1 rdinit=/var/lib/epoxy/rootfs/bin/busybox -- sha256sum /bin/busybox /var/lib/epoxy/rootfs/bin/busybox"
check "production: the slivers' BusyBox (a hard link in the archive) ran as init and hashed both names" quiet \
	grep -aqE '^[0-9a-f]{64}  /var/lib/epoxy/rootfs/bin/busybox' "$T/link.log"
n=$(grep -acE "^$want  (/bin/busybox|/var/lib/epoxy/rootfs/bin/busybox)" "$T/link.log")
is "$n" 2 "production: both names unpacked whole: the sha256 of /bin/busybox on the build machine, twice"
done_testing
