#!/bin/bash
# t_nm_run: epoxy-nm runs its sliver set with Debian's real crun (issue 14
# point 5 and the kill -9 point, host side).  A real epoxyd signs the
# sets; the node manager joins, long-polls them and, with --rootfs, makes
# each sliver a crun container (a static BusyBox root, read-only): two
# slices reach the node and run (crun list, their config.json values);
# the slivers cannot read /run/epoxy, /etc/epoxy, the node manager's
# cache or the test's keys (the entry tries and writes what it got into
# its out/); a limit change is applied in place (same pid); a slice taken
# off the node is destroyed (container, bundle, process); a restart
# recreates nothing.  Then 24 rounds of `epoxy-nm apply` killed with
# SIGKILL at a random point of its reconciliation, each followed by a
# full run: crun's list, the bundle directory and the sliver processes
# match the wanted set exactly; no crun call, mount or cgroup is left.
#
# This host has cgroup v1 controllers with a cgroup2 mount beside them
# (hybrid), which crun refuses to run in at all ("cgroups in hybrid mode
# not supported"), whatever its cgroup manager.  Each epoxy-nm therefore
# runs in a private mount namespace with cgroup2 mounted over
# /sys/fs/cgroup (crun then sees a unified host) and
# --cgroup-manager disabled: the limits are checked in config.json, not
# in the kernel (a QEMU node with real cgroup v2 measures them).
# Installs crun and busybox-static with apt-get when missing.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
DEVKEYS=$O/keys
NM=$BIN/epoxy-nm
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$NM"
crun_install
need crun unshare pgrep file

nm_node5 sh sleep cat ls echo
ps_slivers() { pgrep -fc '^sleep 8640[1-3]$'; }
before_procs=$(ps_slivers)
before_cg=$(find /sys/fs/cgroup -maxdepth 3 -type d 2>/dev/null | wc -l)
rc_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { diag "$(cat "$T_DIR/ctl.out")"; return 1; }; }
# sorted names of D (bundles) and of crun's state
rr_bundles() { find "$D" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort | tr '\n' ' '; }
RUNOPTS=(--rootfs "$R" --data "$D" --runtime-root "$S" --cgroup-manager disabled)

rr_start() { local log=$1; shift; nm_join --ns "$log" --heartbeat 60 --poll 40 "${RUNOPTS[@]}" "$@"; }
cleanup() {
	nm_stop
	crun_wipe
}
at_exit cleanup

"$NM" --help | grep -q -- '--rootfs DIR'; ok $? "epoxy-nm --help names --rootfs"
"$NM" join --server https://x --ca x --host node5 --credential-file x --slivers "$C" \
	--rootfs "$R" --cgroup-manager systemd >/dev/null 2>&1
is $? 2 "--cgroup-manager systemd: usage error (cgroupfs or disabled)"
"$NM" apply --host node5 --rootfs "$R" >/dev/null 2>&1
is $? 2 "apply without --slivers: usage error"
"$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" --rootfs /nonexistent \
	--data "$D" --runtime-root "$S" 2>"$N/norootfs"
is $? 1 "a missing --rootfs: exit 1"
grep -q 'EPOXY-E3114' "$N/norootfs"; ok $? "...with E3114" "$(cat "$N/norootfs")"
"$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" --rootfs "$R" --data "$D" \
	--runtime-root "$S" --crun /nonexistent/crun 2>"$N/nocrun"
is $? 1 "a missing --crun: exit 1"
grep -q 'EPOXY-E3115' "$N/nocrun"; ok $? "...with E3115" "$(cat "$N/nocrun")"

# ---- two slices reach the node and run
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
rc_ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
SECRETS="/run/epoxy /etc/epoxy/keyset $KEYS/online.key $C/slivers $T_DIR/admin.cred"
rc_ctl site add lab1 || bail "site"
rc_ctl slice create web --site lab1 --image "sha256:$sha" --days 2 \
	--entry "for f in $SECRETS; do cat \$f >>/out/secrets 2>&1 || echo \"unreadable \$f\" >>/out/secrets; done; exec sleep 86401" \
	cpu_share=3 cpu_pct=50 mem_max=67108864 tasks_max=32 || bail "slice web"
rc_ctl slice create db --site lab1 --image "sha256:$sha" --days 2 --entry 'exec sleep 86402' \
	cpu_share=1 || bail "slice db"
rr_start "$N/nm.log"
log_wait "$N/nm.log" 'slivers of set [0-9]+: 0 created' || bail "first set" "$(cat "$N/nm.log")"
t0=$(date +%s%N)
rc_ctl slice add-nodes web --host node5 || bail "add-nodes web"
rc_ctl slice add-nodes db --host node5 || bail "add-nodes db"
# The node may see web alone and then both, or both in one set: either way the
# last set ends with two slivers and nothing failed.
log_wait "$N/nm.log" \
	'slivers of set [0-9]+: (1 created, 0 updated, 0 destroyed, 1 kept|2 created, 0 updated, 0 destroyed, 0 kept), 0 failed' 200
ok $? "web and db created (one set or two)" "$(cat "$N/nm.log")"
diag "add-nodes -> both slivers running: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
is "$(crun_list)" "db web " "crun list: db and web"
is "$(rr_bundles)" "db web " "bundles: db and web"
crun --root "$S" state web 2>/dev/null | grep -q '"status": "running"'; ok $? "web is running"
is "$(ps_slivers)" "$((before_procs + 2))" "two sliver processes"
cp "$C/slivers" "$N/set.A"
cfg=$D/web/config.json
for want in '"cpu.weight": "3"' '"cpu.max": "50000 100000"' '"memory.max": "67108864"' \
	'"pids.max": "32"' '"noNewPrivileges": true' '"readonly": true'; do
	grep -qF "$want" "$cfg"; ok $? "web's config.json: $want"
done
grep -qF '"cpu.weight": "1"' "$D/db/config.json" && grep -qF '"memory.max": "max"' "$D/db/config.json"
ok $? "db's config.json: weight 1, no memory cap"
for _ in $(seq 1 30); do [ "$(grep -c unreadable "$D/web/out/secrets" 2>/dev/null)" -ge 5 ] && break; sleep 0.1; done
is "$(grep -c '^unreadable ' "$D/web/out/secrets")" 5 "the sliver could read none of $SECRETS" \
	|| diag "$(cat "$D/web/out/secrets")"
if grep -q 'PRIVATE KEY\|epoxy-slivers\|BEGIN' "$D/web/out/secrets"; then fail "no secret bytes in what it read"
else pass "no secret bytes in what it read"; fi
pid_web=$(crun_pid web)

# ---- a limit changes: in place, same process
rc_ctl slice set web --host node5 mem_max=134217728 || bail "set"
log_wait "$N/nm.log" '0 created, 1 updated, 0 destroyed, 1 kept, 0 failed' 100
ok $? "mem_max change: web updated in place" "$(tail -4 "$N/nm.log")"
grep -qF '"memory.max": "134217728"' "$cfg"; ok $? "web's config.json: the new memory.max"
is "$(crun_pid web)" "$pid_web" "web: same pid $pid_web after the update"
cp "$C/slivers" "$N/set.B"

# ---- a slice leaves the node: destroyed
rc_ctl slice remove-nodes db --host node5 || bail "remove-nodes"
log_wait "$N/nm.log" '0 created, 0 updated, 1 destroyed, 1 kept, 0 failed' 100
ok $? "db taken off the node: destroyed" "$(tail -4 "$N/nm.log")"
is "$(crun_list)" "web " "crun list: web alone"
is "$(rr_bundles)" "web " "bundles: web alone"
is "$(pgrep -fc '^sleep 86402$')" 0 "db's process is gone"
cp "$C/slivers" "$N/set.C"
nm_stop

# ---- a restart: nothing made again
rr_start "$N/nm.r1"
log_wait "$N/nm.r1" 'slivers of set [0-9]+: 0 created, 0 updated, 0 destroyed, 1 kept, 0 failed'
ok $? "restart: web kept, nothing created" "$(cat "$N/nm.r1")"
is "$(crun_pid web)" "$pid_web" "web: same pid after the restart"
nm_stop

# ---- kill -9 at random points of a reconciliation, 24 rounds
sets=(A B C A C B)
want_of() { case $1 in C) echo "web ";; *) echo "db web ";; esac; }
round_ok=0
for i in $(seq 1 24); do
	set=${sets[$((RANDOM % ${#sets[@]}))]}
	cp "$N/set.$set" "$C/slivers"
	(in_ns "$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" "${RUNOPTS[@]}" \
		2>>"$N/kill.log") &
	p=$!
	sleep "0.$(printf '%03d' $((RANDOM % 400)))"
	kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
	(in_ns "$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" "${RUNOPTS[@]}" \
		2>>"$N/kill.log")
	rc=$?
	want=$(want_of "$set")
	nw=$(wc -w <<<"$want")
	got="rc $rc crun [$(crun_list)] bundles [$(rr_bundles)] procs $(ps_slivers) crun-calls $(pgrep -fc "crun --root $S" || true)"
	exp="rc 0 crun [$want] bundles [$want] procs $((before_procs + nw)) crun-calls 0"
	if [ "$got" = "$exp" ]; then
		round_ok=$((round_ok + 1))
	else
		fail "kill -9 round $i (set $set)" "got  $got"$'\n'"want $exp"$'\n'"$(tail -5 "$N/kill.log")"
	fi
done
is "$round_ok" 24 "24 rounds of kill -9 mid-reconciliation: each time the wanted set exactly"
kills=$(grep -c 'created\|destroyed' "$N/kill.log")
diag "reconciliation lines in the kill log: $kills"
is "$(grep -c "$N" /proc/self/mountinfo)" 0 "no mount of the node's directories left on the host"
after_cg=$(find /sys/fs/cgroup -maxdepth 3 -type d 2>/dev/null | wc -l)
is "$after_cg" "$before_cg" "no cgroup directory left ($before_cg before and after)"
cleanup
is "$(crun_list)" "" "cleanup: crun list empty"
done_testing
