# shellcheck shell=bash
# tests/lib/crun.sh: crun helpers of the node manager's shell tests
# (sourced after epoxyd.sh or tap.sh; the tests/node/t_nm_* tests).
#
# CRUN_ROOT    crun's --root (the node manager's --runtime-root); set it
#              before calling these
# crun_list    the containers' names, sorted, each followed by a space
# crun_pid N   the pid of container N (empty when it has none)
# crun_wipe    deletes (--force) every container under CRUN_ROOT: a test's
#              clean-up at exit
# crun_install [CMD=PKG]...  crun, a static BusyBox and each CMD (from
#              Debian's PKG) installed by apt-get when missing, or the test
#              bails (never skips)
# log_wait FILE REGEX [TENTHS]  0 once REGEX is in FILE, 1 after TENTHS
#              tenths of a second (default 150)
# in_ns CMD... runs CMD (exec) in a private mount namespace whose
#              /sys/fs/cgroup is cgroup2: on this hybrid cgroup host crun
#              then sees a unified hierarchy (t_nm_run.sh says why); run
#              it in a subshell in the background and $! is CMD itself
# nm_join [--ns] LOG ARG...  node5's node credential (node_credential),
#              then `$NM join` against this test's epoxyd (epoxy.test,
#              $HTTPS_PORT, or NM_PORT when set: a relay's, $CA_CRT) as
#              node5 with the set cached in $C and the keyset
#              $KEYS/keyset, plus ARG..., in the background, stderr to
#              LOG; NMPID is its pid; --ns runs it in_ns
# nm_stop      stops NMPID (if any) and waits for it
# nm_node5 [APPLET]...  this test's epoxyd set up and started with node5
#              (epoxyd_setup, node_ca, node5_seed, epoxyd_start, ctl_env),
#              the node's paths N (its directory), C (the cached set), D
#              (--data), S (crun's root, CRUN_ROOT) and R (--rootfs: bin/
#              with a static BusyBox and each APPLET linked to it, proc,
#              dev, sys, tmp, out); bails on the first failure
crun_list() { crun --root "$CRUN_ROOT" list -q 2>/dev/null | sort | tr '\n' ' '; }
crun_pid() { crun --root "$CRUN_ROOT" state "$1" 2>/dev/null | sed -n 's/^ *"pid": \([0-9]*\),$/\1/p'; }
crun_wipe() {
	local c
	for c in $(crun --root "$CRUN_ROOT" list -q 2>/dev/null); do
		crun --root "$CRUN_ROOT" delete --force "$c" >/dev/null 2>&1
	done
}
in_ns() { exec unshare -m --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' in_ns "$@"; }
crun_install() { apt_need crun=crun /bin/busybox=busybox-static "$@"; }
log_wait() {
	local _
	for _ in $(seq 1 "${3:-150}"); do
		grep -qE -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
nm_join() {
	local ns=
	[ "$1" = --ns ] && { ns=in_ns; shift; }
	local log=$1; shift
	node_credential node5 52-54-00-00-00-05 >"$N/nc"
	(${ns:-exec} "$NM" join --server "https://epoxy.test:${NM_PORT:-$HTTPS_PORT}" --addr 127.0.0.1 --ca "$CA_CRT" \
		--host node5 --credential-file "$N/nc" --slivers "$C" --keyset "$KEYS/keyset" \
		"$@" 2>"$log") &
	NMPID=$!
}
nm_stop() { [ -z "${NMPID:-}" ] || { kill "$NMPID" 2>/dev/null; wait "$NMPID" 2>/dev/null; }; NMPID=''; }
nm_node5() {
	local a
	epoxyd_setup || bail "setup"
	node_ca 900 || bail "node CA"
	node5_seed || bail "admin, node5 and its credential"
	epoxyd_start || bail "epoxyd did not start"
	ctl_env
	# shellcheck disable=SC2034 # D: the sourcing test's
	N=$T_DIR/node C=$T_DIR/node/cache D=$T_DIR/node/slivers S=$T_DIR/node/crun R=$T_DIR/node/rootfs
	CRUN_ROOT=$S
	mkdir -p "$N" "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/out" || bail "dirs"
	cp /bin/busybox "$R/bin/busybox" || bail "busybox"
	for a in "$@"; do ln -s busybox "$R/bin/$a" || bail "busybox $a"; done
}
