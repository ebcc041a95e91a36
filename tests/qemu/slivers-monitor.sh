# shellcheck shell=dash # busybox ash on the node: checked as dash
# slivers-monitor.sh: the measuring eye of tests/qemu/run-slivers inside
# the node.  run-slivers appends it to a test release's join script (the
# production image never carries it): once the node has joined, it runs in
# the background and prints to the console, prefixed "epoxy-test:", what
# the kernel says about the slivers epoxy-nm runs, never their configs:
#   slivers NAMES          crun's list, each time it changes;
#   NAME: LINE             each new line a sliver writes to its /out/r;
#   cpu A UA B UB          microseconds of CPU (cpu.stat usage_usec) the
#                          slivers A and B used over the same 10 s, once
#                          both print "hog start";
#   cpucap hogc U us over W us throttled T max Q P
#                          the microseconds of CPU hogc used over W
#                          microseconds of the node's uptime (about 10 s)
#                          and its throttled periods (cpu.stat), with its
#                          cpu.max, once it prints "hog start";
#   NAME memory oom_kill N max M   its memory.events and memory.max, once
#                          it prints its "mem" line;
#   NAME pids max N limit M   its pids.events and pids.max, once it prints
#                          its "fork" line;
#   node has PATH          the node's own files the slivers must not see
#                          (so that their refusal means something);
#   kill9 ...              once the ticket's sliver tk runs alone: the node
#                          manager killed with SIGKILL, then 12 rounds
#                          of `epoxy-nm apply` killed with SIGKILL at
#                          0-3.9 s, each after tk's container was killed
#                          (so each apply has work), then one whole apply:
#                          its status, then crun's list, the cgroups, the
#                          bundles, tk's processes, the crun processes and
#                          the mounts left;
#   root NAME image SHA    once per sliver: the slice image whose unpacked
#                          directory (DATA/.images/SHA) is the root of the
#                          sliver's first process (/proc/PID/root: the
#                          same device and inode), "none" when no image is;
#   ticket rc N            `epoxy-nm redeem` of the ticket the runner hands
#                          through the forwarded port 10.0.2.100:8091
#                          (its bytes, none until there is one).
# It ends the hogs it measured: an empty "stop" in the out directory of
# hoga and hogb once their shares are measured, and of hogc once its cap
# is, and a "go" in hogc's once both other hogs ended (each hog's loop
# ends at its stop, or at its timeout); a hog that burns on after its
# measurement only slows the node's next steps.
# Guarantees: beside those three empty files it only reads (cgroup
# files, crun's list, the slivers' out directories) and redeems the one
# ticket; it never prints a credential.
epoxy_test_monitor() {
	D=/var/lib/epoxy/slivers; CG=/sys/fs/cgroup/epoxy; P=/tmp/epoxy-test
	# (the bundles are on the data disk when the node has one)
	[ -d /var/lib/epoxy/data/slivers ] && D=/var/lib/epoxy/data/slivers
	mkdir -p $P
	for f in /run/epoxy/join-credential /run/epoxy/handover /etc/epoxy/keyset; do
		[ -e $f ] && echo "epoxy-test: node has $f"
	done
	last= ; cpu_done= ; cap_done= ; ticket_rc= ; rooted=' '
	while :; do
		now=$(crun --root /run/epoxy-crun list -q 2>/dev/null | sort | tr '\n' ' ')
		if [ "$now" != "$last" ]; then
			echo "epoxy-test: slivers ${now:-none}"; last=$now
		fi
		for n in $now; do
			case $rooted in *" $n "*) continue;; esac
			epoxy_test_root "$n" && rooted="$rooted$n "
		done
		for r in "$D"/*/out/r; do
			[ -f "$r" ] || continue
			n=${r#"$D"/}; n=${n%%/*}
			seen=$(cat "$P/$n.seen" 2>/dev/null || echo 0)
			# what was read is what counts as seen (a line the sliver
			# adds meanwhile waits for the next pass)
			tail -n +$((seen + 1)) "$r" >"$P/$n.new" 2>/dev/null
			while IFS= read -r l; do
				echo "epoxy-test: $n: $l"
				case $l in
				mem*) echo "epoxy-test: $n memory $(grep oom_kill "$CG/$n/memory.events") max $(cat "$CG/$n/memory.max")";;
				fork*) echo "epoxy-test: $n pids $(cat "$CG/$n/pids.events") limit $(cat "$CG/$n/pids.max")";;
				esac
			done <"$P/$n.new"
			echo $((seen + $(wc -l <"$P/$n.new"))) >"$P/$n.seen"
		done
		if [ -z "$cpu_done" ] && grep -qs 'hog start' "$D/hoga/out/r" &&
			grep -qs 'hog start' "$D/hogb/out/r"; then
			cpu_done=1
			sleep 2
			a0=$(sed -n 's/^usage_usec //p' "$CG/hoga/cpu.stat")
			b0=$(sed -n 's/^usage_usec //p' "$CG/hogb/cpu.stat")
			sleep 10
			a1=$(sed -n 's/^usage_usec //p' "$CG/hoga/cpu.stat")
			b1=$(sed -n 's/^usage_usec //p' "$CG/hogb/cpu.stat")
			echo "epoxy-test: cpu hoga $((a1 - a0)) hogb $((b1 - b0)) weights $(cat "$CG/hoga/cpu.weight") $(cat "$CG/hogb/cpu.weight")"
			# measured: both hogs stop now, not at their 40 s bound
			: >"$D/hoga/out/stop"; : >"$D/hogb/out/stop"
		fi
		# hogc hogs alone: its go once both other hogs ended
		if [ -n "$cpu_done" ] && [ -d "$D/hogc/out" ] && [ ! -e "$D/hogc/out/go" ] &&
			grep -qs 'hog end' "$D/hoga/out/r" && grep -qs 'hog end' "$D/hogb/out/r"; then
			: >"$D/hogc/out/go"
		fi
		if [ -z "$cap_done" ] && grep -qs 'hog start' "$D/hogc/out/r"; then
			cap_done=1
			sleep 2
			epoxy_test_cpucap hogc
			: >"$D/hogc/out/stop"
		fi
		# (BusyBox's static wget crashes without NSS files; nc does not)
		if [ -z "$ticket_rc" ] && nc 10.0.2.100 8091 </dev/null >$P/ticket 2>/dev/null &&
			[ -s $P/ticket ]; then
			epoxy-nm redeem $P/ticket >$P/redeem 2>&1
			ticket_rc=$?
			echo "epoxy-test: ticket rc $ticket_rc $(grep -o 'EPOXY-E[0-9]*' $P/redeem | head -1)"
		fi
		if [ "$ticket_rc" = 0 ] && [ "$now" = "tk " ] && [ -z "${kill9_done:-}" ]; then
			kill9_done=1
			epoxy_test_kill9
		fi
		sleep 1
	done
}

# the image whose directory is the root of sliver $1's first process
# (the kernel's view: /proc/PID/root's device and inode); 1 while it has
# no process yet
epoxy_test_root() {
	pid=$(crun --root /run/epoxy-crun state "$1" 2>/dev/null | sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	r=$(stat -L -c %d:%i "/proc/$pid/root/" 2>/dev/null) || return 1
	img=none
	for i in "$D"/.images/*; do
		[ "$(stat -c %d:%i "$i/" 2>/dev/null)" = "$r" ] && img=${i##*/}
	done
	echo "epoxy-test: root $1 image $img"
}

# (cpu.stat's usage_usec and nr_throttled, /proc/uptime in 1/100 s)
epoxy_test_cpucap() {
	c=$CG/$1
	read -r t0 _ </proc/uptime
	u0=$(sed -n 's/^usage_usec //p' "$c/cpu.stat")
	n0=$(sed -n 's/^nr_throttled //p' "$c/cpu.stat")
	sleep 10
	read -r t1 _ </proc/uptime
	u1=$(sed -n 's/^usage_usec //p' "$c/cpu.stat")
	n1=$(sed -n 's/^nr_throttled //p' "$c/cpu.stat")
	t0=$(echo "$t0" | tr -d .); t1=$(echo "$t1" | tr -d .)
	echo "epoxy-test: cpucap $1 $((u1 - u0)) us over $(((t1 - t0) * 10000)) us" \
		"throttled $((n1 - n0)) max $(cat "$c/cpu.max")"
}

epoxy_test_kill9() {
	# the daemon first (it would reconcile beside the applies: two
	# reconcilers never run at once on a node; BusyBox here has no pkill),
	# on purpose: the node's watch (epoxy-watch) must not reboot the node
	: >/run/epoxy/maintenance
	for d in /proc/[0-9]*; do
		case $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) in
		"/bin/epoxy-nm join "*) kill -9 "${d#/proc/}" && echo "epoxy-test: kill9 the node manager killed";;
		esac
	done
	# (as the join script runs it: the data disk, the slice images)
	set -- --host "$(cat /run/epoxy/joined)" --slivers /run/epoxy/nm --rootfs /var/lib/epoxy/rootfs \
		--data "$D" --images
	i=0
	while [ $i -lt 12 ]; do
		crun --root /run/epoxy-crun kill tk KILL 2>/dev/null
		epoxy-nm apply "$@" >"$P/apply.$i" 2>&1 &
		a=$!
		sleep "$((i % 4)).$((i * 7 % 10))"
		kill -9 $a 2>/dev/null
		wait $a 2>/dev/null
		i=$((i + 1))
	done
	epoxy-nm apply "$@" >"$P/apply.final" 2>&1
	rc=$?
	echo "epoxy-test: kill9 rounds $i apply rc $rc" \
		"crun [$(crun --root /run/epoxy-crun list -q | sort | tr '\n' ' ')]" \
		"cgroups [$(find /sys/fs/cgroup/epoxy -mindepth 1 -maxdepth 1 -type d | sed 's#.*/##' | sort | tr '\n' ' ')]" \
		"bundles [$(find "$D" -mindepth 1 -maxdepth 1 ! -name .images | sed 's#.*/##' | sort | tr '\n' ' ')]" \
		"images [$(find "$D/.images" -mindepth 1 -maxdepth 1 | sed 's#.*/##' | sort | tr '\n' ' ')]" \
		"tk-procs $(wc -l </sys/fs/cgroup/epoxy/tk/cgroup.procs)" \
		"crun-procs $(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^crun$')" \
		"mounts $(grep -c "$D" /proc/mounts)"
}
