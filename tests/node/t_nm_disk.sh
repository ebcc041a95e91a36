#!/bin/bash
# t_nm_disk: a sliver's disk_max as an ext4 project quota, and the node's
# data disk (node/nm/nmdisk.h; issue 14 point 5), on real ext4 file
# systems in loop devices the test makes (losetup; all detached at exit).
# A real epoxyd signs three sliver sets for node5: A (web, disk_max
# 1 MiB), B (web raised to 4 MiB), C (web gone).
#
# On this host's kernel: `epoxy-nm disk` refuses a device that holds
# another ext4, our label without the project feature, or a partition
# table (exit 1, E3180, not one byte changed), and formats a blank one
# (label epoxy-data, quota and project features); a --data on an ext4
# without project quotas refuses set A's sliver with E3175 and writes no
# bundle.
#
# The measurements need an ext4 with project quotas enforced, hence a
# kernel with CONFIG_QUOTA and quota_v2 (Debian's: the production node's
# 6.1).  This host's CI kernel has no quota_v2, so that part runs in
# Debian's User-Mode Linux (user-mode-linux: Debian's 6.1 kernel as a
# host process, the host's / as its root through hostfs; no QEMU): there
# the test makes a loop device on a blank image, `epoxy-nm disk` formats
# and mounts it with prjquota (and keeps it as it is on a second run, as
# after a reboot); `epoxy-nm apply` runs set A's sliver as a crun
# container whose entry writes 2 MiB into /out with dd: dd fails with
# "Disk quota exceeded" and at most 1 MiB lands; set B raises the limit
# in place (same pid) and the sliver's second 2 MiB write succeeds;
# repquota shows the sliver's project id at the limits; set C destroys
# it and the id has no limit left; then rounds of apply killed with
# SIGKILL at random points, each followed by a full run: the limits left
# are exactly those of the wanted set.
# Installs crun, busybox-static, user-mode-linux, kmod, quota, e2fsprogs.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
DEVKEYS=$O/keys
NM=$BIN/epoxy-nm
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$NM"
crun_install linux.uml=user-mode-linux insmod=kmod repquota=quota mke2fs=e2fsprogs
need crun linux.uml insmod repquota mke2fs losetup sha256sum file gcc
MKE2FS=$(command -v mke2fs)

epoxyd_setup || bail "setup"
node_ca 900 || bail "node CA"
node5_seed || bail "admin, node5 and its credential"
epoxyd_start || bail "epoxyd did not start"
ctl_env
N=$T_DIR/node; C=$N/cache; R=$N/rootfs
mkdir -p "$N" "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/out" || bail "dirs"
cp /bin/busybox "$R/bin/busybox" || bail "busybox"
for a in sh sleep dd rm cat; do ln -s busybox "$R/bin/$a"; done
# setprj FILE ID: FS_IOC_FSSETXATTR, what a sliver would use to move its
# files out of its project (static: the sliver's root has no libc)
cat >"$N/setprj.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
struct fsx { unsigned xflags, extsize, nextents, projid, cowextsize; unsigned char pad[8]; };
int main(int argc, char **argv)
{
	struct fsx x;
	int fd = argc == 3 ? open(argv[1], O_RDONLY) : -1;

	if (fd < 0 || ioctl(fd, 0x801c581fu, &x) < 0)
		return perror("FS_IOC_FSGETXATTR"), 2;
	x.projid = (unsigned)atoi(argv[2]);
	if (ioctl(fd, 0x401c5820u, &x) < 0)
		return perror("FS_IOC_FSSETXATTR"), 1;
	return 0;
}
EOF
gcc -static -O2 -o "$R/bin/setprj" "$N/setprj.c" || bail "setprj"
dq_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { diag "$(cat "$T_DIR/ctl.out")"; return 1; }; }
# dq_wait FILE REGEX [TENTHS]: 0 once FILE has a line matching REGEX
dq_wait() {
	local i
	for i in $(seq 1 "${3:-150}"); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
LOOPS=()
dq_cleanup() {
	local l
	nm_stop
	grep -F " $N/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount "$m" 2>/dev/null; done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
}
at_exit dq_cleanup
# dq_loop NAME: a 64 MiB blank image N/NAME.img on a new loop device (LOOP)
dq_loop() {
	truncate -s 64M "$N/$1.img" && LOOP=$(losetup -f --show "$N/$1.img") || return 1
	LOOPS+=("$LOOP")
}

"$NM" --help | grep -q 'epoxy-nm disk --device DEV'; ok $? "epoxy-nm --help names disk"
"$NM" disk --help | grep -q -- '--mount DIR'; ok $? "epoxy-nm disk --help"
"$NM" disk --device "$N/x" >/dev/null 2>&1; is $? 2 "disk without --mount: usage error"
"$NM" disk --device relative --mount "$N/m" >/dev/null 2>&1; is $? 2 "a relative device: usage error"
"$NM" disk --device "$N" --mount "$N/m" 2>"$N/notblk"
is $? 1 "a directory as the device: exit 1"
grep -q 'EPOXY-E3179' "$N/notblk"; ok $? "...with E3179" "$(cat "$N/notblk")"

# ---- the three signed sets, from a real epoxyd
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
dq_ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
dq_ctl site add lab1 || bail "site"
# the entry: 2 MiB into /out (the quota: 1 MiB), then, once /out/go
# exists, 2 MiB more; each dd's status and message kept in /out
ENTRY='dd if=/dev/zero of=/out/a bs=65536 count=32 2>/out/a.err; echo $? >/out/a.rc;'
ENTRY+=' while [ ! -e /out/go ]; do sleep 0.2; done;'
ENTRY+=' dd if=/dev/zero of=/out/b bs=65536 count=32 2>/out/b.err; echo $? >/out/b.rc;'
ENTRY+=' /bin/setprj /out/b 0 2>/out/p.err; echo $? >/out/p.rc;'
ENTRY+=' exec sleep 86405'
dq_ctl slice create web --site lab1 --image "sha256:$sha" --days 2 --entry "$ENTRY" \
	cpu_share=1 disk_max=1048576 || bail "slice web"
nm_join "$N/join.log" --heartbeat 60 --poll 40
dq_wait "$N/join.log" 'sliver set [0-9]+ of node5 verified: 0 slivers' || bail "first set" "$(cat "$N/join.log")"
dq_ctl slice add-nodes web --host node5 || bail "add-nodes"
dq_wait "$N/join.log" 'verified: 1 slivers; plan: create web' || bail "set A" "$(cat "$N/join.log")"
cp "$C/slivers" "$N/set.A"
dq_ctl slice set web --host node5 disk_max=4194304 || bail "set disk_max"
dq_wait "$N/join.log" 'verified: 1 slivers; plan: update web' || bail "set B" "$(cat "$N/join.log")"
cp "$C/slivers" "$N/set.B"
dq_ctl slice remove-nodes web --host node5 || bail "remove-nodes"
dq_wait "$N/join.log" 'verified: 0 slivers; plan: destroy web' || bail "set C" "$(cat "$N/join.log")"
cp "$C/slivers" "$N/set.C"
nm_stop
grep -q '^ disk_max 1048576$' "$N/set.A" && grep -q '^ disk_max 4194304$' "$N/set.B"
ok $? "sets A and B carry disk_max 1 MiB and 4 MiB" "$(grep disk_max "$N"/set.*)"

# ---- on this host's kernel: refusals, and a blank disk formatted
dq_loop other || bail "losetup"
mkfs.ext4 -q -L rootfs "$LOOP" || bail "mkfs other"
dq_loop noprj || bail "losetup"
mkfs.ext4 -q -O quota -L epoxy-data "$LOOP" || bail "mkfs noprj"
dq_loop mbr || bail "losetup"
printf '\x55\xaa' | dd of="$LOOP" bs=1 seek=510 conv=notrunc status=none || bail "mbr"
for d in other noprj mbr; do
	l=$(losetup -j "$N/$d.img" | cut -d: -f1)
	before=$(sha256sum <"$N/$d.img")
	"$NM" disk --device "$l" --mount "$N/m-$d" --mke2fs "$MKE2FS" 2>"$N/$d.log"
	rc=$?
	is "$rc $(grep -o 'EPOXY-E3180' "$N/$d.log")" "1 EPOXY-E3180" "disk refuses $d: exit 1, E3180" ||
		diag "$(cat "$N/$d.log")"
	is "$(sha256sum <"$N/$d.img")" "$before" "...and $d's image is unchanged"
done
is "$(grep -c " $N/m-" /proc/self/mountinfo)" 0 "none of them mounted"
# can this kernel mount an ext4 with project quotas at all?
dq_loop probe || bail "losetup"
mkfs.ext4 -q -O quota,project "$LOOP" || bail "mkfs probe"
mkdir -p "$N/probe"
if mount -o prjquota "$LOOP" "$N/probe" 2>/dev/null; then HOSTQ=1; umount "$N/probe"; else HOSTQ=0; fi
diag "this host's kernel $(uname -r): ext4 project quotas $([ $HOSTQ = 1 ] && echo on || echo off)"
dq_loop blank || bail "losetup"
BLANK=$LOOP
"$NM" disk --device "$BLANK" --mount "$N/m-blank" --mke2fs "$MKE2FS" 2>"$N/blank.log"
rc=$?
lbl=$(blkid -o value -s LABEL "$BLANK" 2>/dev/null)
feat=$(dumpe2fs -h "$BLANK" 2>/dev/null | grep -o 'quota\|project' | sort -u | tr '\n' ' ')
is "$lbl / $feat" "epoxy-data / project quota " "a blank disk is formatted: label, quota, project"
if [ "$HOSTQ" = 1 ]; then
	is "$rc" 0 "...and mounted with prjquota" || diag "$(cat "$N/blank.log")"
	umount "$N/m-blank" 2>/dev/null
else
	is "$rc $(grep -o 'EPOXY-E3182' "$N/blank.log")" "1 EPOXY-E3182" \
		"...and, with no quota_v2 in this kernel, not mounted: E3182" || diag "$(cat "$N/blank.log")"
fi
# a killed node manager leaves no mke2fs formatting on (nmrun_fork_tied)
dq_loop slowfs || bail "losetup"
printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 97\n' "$N/slow-mke2fs.pid" >"$N/slow-mke2fs"
chmod +x "$N/slow-mke2fs"
"$NM" disk --device "$LOOP" --mount "$N/m-slow" --mke2fs "$N/slow-mke2fs" 2>"$N/slow.log" &
p=$!
for _ in $(seq 100); do [ -s "$N/slow-mke2fs.pid" ] && break; sleep 0.1; done
mp=$(cat "$N/slow-mke2fs.pid" 2>/dev/null)
kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
gone=no; pid_gone "${mp:-0}" && gone=yes
is "${mp:+started} $gone" "started yes" "kill -9 of the node manager mid-mke2fs: its mke2fs is killed too" ||
	diag "$(cat "$N/slow.log")"
[ "$gone" = yes ] || kill -9 "$mp" 2>/dev/null
# a --data without project quotas refuses a sliver with disk_max
dq_loop plain || bail "losetup"
{ mkfs.ext4 -q "$LOOP" && mkdir -p "$N/plain" && mount "$LOOP" "$N/plain"; } || bail "plain ext4"
cp "$N/set.A" "$C/slivers"
(in_ns "$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" --rootfs "$R" \
	--data "$N/plain/slivers" --runtime-root "$N/crun-plain" --cgroup-manager disabled \
	2>"$N/plain.log")
is "$?" 1 "apply on an ext4 without project quotas: exit 1"
grep -q 'EPOXY-E3175 sliver web' "$N/plain.log"; ok $? "...web refused with E3175" "$(cat "$N/plain.log")"
is "$(find "$N/plain/slivers" -mindepth 1 | wc -l)" 0 "...and no bundle written"
umount "$N/plain"

# ---- in User-Mode Linux: the quota measured
dq_loop uml || bail "losetup"
losetup -d "$LOOP"      # made again inside UML, on the same blank image
U=$N/uml.out
: >"$U"
cat >"$N/uml.env" <<EOF
NM=$NM; C=$C; R=$R; N=$N; KEYS=$KEYS; MKE2FS=$MKE2FS; U=$U
EOF
cat >"$N/uml.sh" <<'EOF'
#!/bin/sh
# init of the User-Mode Linux run: results as "key value" lines in $U
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
. "$(dirname "$0")/uml.env"
dq_say() { echo "$*" >>"$U"; }
mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t cgroup2 none /sys/fs/cgroup
K=/usr/lib/uml/modules/$(uname -r)/kernel
for m in fs/quota/quota_tree fs/quota/quota_v2 drivers/block/loop; do insmod "$K/$m.ko" 2>>"$U"; done
mount -t tmpfs tmpfs "$N/umlrun"
L=$(losetup -f --show "$N/uml.img")
dq_say "loop $L"
"$NM" disk --device "$L" --mount "$N/disk" --mke2fs "$MKE2FS" 2>>"$N/uml.log"; dq_say "disk1 $?"
umount "$N/disk"
"$NM" disk --device "$L" --mount "$N/disk" --mke2fs "$MKE2FS" 2>>"$N/uml.log"; dq_say "disk2 $?"
dq_say "mount $(grep " $N/disk " /proc/mounts | cut -d' ' -f3,4)"
D=$N/disk/slivers
dq_apply() {
	cp "$N/set.$1" "$C/slivers"
	"$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" --rootfs "$R" --data "$D" \
		--runtime-root "$N/umlrun/crun" --cgroup-manager disabled 2>>"$N/uml.log"
}
dq_until() { i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; }
dq_limits() { repquota -P -n "$N/disk" 2>>"$N/uml.log" | awk '$1 ~ /^#/ && $5 != 0 {print $1, $5}' | tr '\n' ' '; }
dq_apply A; dq_say "applyA $?"
dq_until "$D/web/out/a.rc"
dq_say "a.rc $(cat "$D/web/out/a.rc")"
dq_say "a.err $(head -1 "$D/web/out/a.err")"
dq_say "a.bytes $(stat -c %s "$D/web/out/a")"
dq_say "projid $(lsattr -p -d "$D/web/out" | awk '{print $1}')"
dq_say "limitsA $(dq_limits)"
pid=$(cat "$D/web/pid")
dq_apply B; dq_say "applyB $?"
dq_say "samepid $([ "$(cat "$D/web/pid")" = "$pid" ] && kill -0 "$pid" && echo yes)"
dq_say "limitsB $(dq_limits)"
: >"$D/web/out/go"
dq_until "$D/web/out/b.rc"
dq_say "b.rc $(cat "$D/web/out/b.rc")"
dq_say "b.bytes $(stat -c %s "$D/web/out/b")"
dq_until "$D/web/out/p.rc"
dq_say "p.rc $(cat "$D/web/out/p.rc") $(cat "$D/web/out/p.err")"
dq_say "b.projid $(lsattr -p "$D/web/out/b" | awk '{print $1}')"
: >"$D/web/out/ctl"
"$R/bin/setprj" "$D/web/out/ctl" 0 2>>"$N/uml.log"
dq_say "ctl $? $(lsattr -p "$D/web/out/ctl" | awk '{print $1}')"
# a reboot: the container and crun's state gone, the disk unmounted and
# mounted again by epoxy-nm disk; web must come back on its kept out/
echo kept-across-reboot >"$D/web/out/keep"
crun --root "$N/umlrun/crun" kill web KILL 2>>"$N/uml.log"
crun --root "$N/umlrun/crun" delete --force web 2>>"$N/uml.log"
umount "$N/umlrun"; mount -t tmpfs tmpfs "$N/umlrun"
umount "$N/disk" || dq_say "umount failed"
"$NM" disk --device "$L" --mount "$N/disk" --mke2fs "$MKE2FS" 2>>"$N/uml.log"; dq_say "disk3 $?"
dq_apply B; dq_say "applyR $?"
dq_say "reboot $(cat "$D/web/out/keep") $(lsattr -p -d "$D/web/out" | awk '{print $1}') $(dq_limits)"
dq_say "rerun $(crun --root "$N/umlrun/crun" list -q)"
dq_say "restarted $(grep -c 'sliver web: started again on its kept bundle' "$N/uml.log")"
dq_apply C; dq_say "applyC $?"
dq_say "limitsC [$(dq_limits)]"
dq_say "bundlesC [$(ls "$D")]"
# kill -9 at random points of a reconciliation, then a full one
ok=0
for i in 1 2 3 4 5 6; do
	s=$(case $((i % 3)) in 0) echo A;; 1) echo B;; *) echo C;; esac)
	cp "$N/set.$s" "$C/slivers"
	"$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" --rootfs "$R" --data "$D" \
		--runtime-root "$N/umlrun/crun" --cgroup-manager disabled 2>>"$N/uml.log" &
	p=$!
	sleep "0.$(( ($(od -An -N2 -tu2 /dev/urandom) % 400) + 100 ))"
	kill -9 $p 2>/dev/null; wait $p 2>/dev/null
	dq_apply "$s"
	got=$(dq_limits)
	case $s in A) want="#1701838848 1024 ";; B) want="#1701838848 4096 ";; C) want="";; esac
	[ "$got" = "$want" ] && ok=$((ok + 1)) || dq_say "round$i set $s limits [$got] want [$want]"
done
dq_say "killrounds $ok"
dq_apply C
crun --root "$N/umlrun/crun" list -q >>"$N/uml.log" 2>&1
umount "$N/disk"; losetup -d "$L"
dq_say "end"
poweroff -f
EOF
chmod +x "$N/uml.sh"
mkdir -p "$N/umlrun" "$N/disk"
t0=$(date +%s)
timeout 300 linux.uml mem=384M root=/dev/root rootfstype=hostfs rootflags=/ rw \
	init="$N/uml.sh" con=null con0=fd:0,fd:1 </dev/null >"$N/uml.console" 2>&1
diag "User-Mode Linux run: $(( $(date +%s) - t0 )) s"
dq_uml() { sed -n "s/^$1 //p" "$U" | head -1; }
grep -q '^end$' "$U"; ok $? "the User-Mode Linux run went to its end" \
	"$(cat "$U"; tail -20 "$N/uml.log"; tail -20 "$N/uml.console")"
is "$(dq_uml disk1) $(dq_uml disk2)" "0 0" "disk: a blank loop device formatted and mounted, then kept"
grep -q 'formatted' "$N/uml.log" && grep -q '(kept): project quotas on' "$N/uml.log"
ok $? "...the log says formatted, then kept" "$(grep 'data disk' "$N/uml.log")"
case "$(dq_uml mount)" in ext4*prjquota*) pass "mounted ext4 with prjquota";;
	*) fail "mounted ext4 with prjquota" "$(dq_uml mount)";; esac
is "$(dq_uml applyA)" 0 "apply A: web created on the data disk"
is "$(dq_uml projid)" 1701838848 "web's out/ has the first project id (0x65700000)"
is "$(dq_uml limitsA)" "#1701838848 1024 " "repquota: its hard limit is 1024 KiB"
ok "$([ "$(dq_uml a.rc)" != 0 ] && [ -n "$(dq_uml a.rc)" ]; echo $?)" "the sliver's 2 MiB dd fails" \
	"rc $(dq_uml a.rc)"
case "$(dq_uml a.err)" in *"quota exceeded"*) pass "...with EDQUOT: $(dq_uml a.err)";;
	*) fail "...with EDQUOT" "$(dq_uml a.err)";; esac
b=$(dq_uml a.bytes)
ok "$([ -n "$b" ] && [ "$b" -le 1048576 ] && [ "$b" -ge 786432 ]; echo $?)" \
	"...after writing at most 1 MiB ($b bytes)"
is "$(dq_uml applyB) $(dq_uml samepid)" "0 yes" "apply B: limit raised in place, same process"
is "$(dq_uml limitsB)" "#1701838848 4096 " "repquota: the hard limit is now 4096 KiB"
is "$(dq_uml b.rc) $(dq_uml b.bytes)" "0 2097152" "the sliver's second 2 MiB write succeeds"
is "$(dq_uml p.rc)" "1 FS_IOC_FSSETXATTR: Operation not permitted" \
	"the sliver cannot move its file to project 0 (the seccomp filter)"
is "$(dq_uml b.projid)" 1701838848 "...its file stays in its project"
is "$(dq_uml ctl)" "0 0" "control: the same call without the filter (the node's root) moves a file"
is "$(dq_uml disk3) $(dq_uml applyR) $(dq_uml rerun)" "0 0 web" \
	"a reboot (container, crun state and mount gone): disk kept, web runs again"
is "$(dq_uml reboot)" "kept-across-reboot 1701838848 #1701838848 4096 " \
	"...on its kept out/: its file, its project id, its limit"
ok "$([ "$(dq_uml restarted)" -ge 1 ]; echo $?)" "...started again on its kept bundle, not made afresh"
is "$(dq_uml applyC) $(dq_uml limitsC) $(dq_uml bundlesC)" "0 [] []" \
	"apply C: web destroyed, its id has no limit left, no bundle"
diag "kill rounds: $(grep -c 'created\|destroyed' "$N/uml.log") reconciliation lines in the log"
is "$(dq_uml killrounds)" 6 "6 rounds of kill -9 mid-apply: the limits left are the wanted set's" ||
	diag "$(grep '^round' "$U")"
done_testing
