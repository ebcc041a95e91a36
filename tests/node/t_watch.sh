#!/bin/bash
# t_watch: the production node's watch over its daemons (initramfs/watch.sh,
# /bin/epoxy-watch in the image), run as on the node: BusyBox's sh and
# pidof, in a private mount namespace whose /run is a fresh tmpfs (the
# watch's /run/epoxy/maintenance), against stand-in daemons named epoxy-nm
# and epoxy-priv (copies of sleep: pidof finds them by name).
#  - usage errors exit 2: no daemon, --every/--grace 0, not a number, over
#    3600, a name that is no program's name, an unknown option; --help 0;
#  - both daemons alive: the watch goes on;
#  - one killed: it exits 1 with "epoxy: watch: epoxy-nm gone for N s",
#    not before the grace period;
#  - a daemon gone and back within the grace period: the watch goes on;
#  - /run/epoxy/maintenance: a killed daemon is waited for; the file
#    removed, the watch ends;
#  - the production /init runs it over the daemons the join left and
#    fails with EPOXY-E1515 when it ends (the QEMU scenario happy-uefi
#    sees it on the console after its host's revocation).
# The test runs in a PID namespace of its own: pidof reads /proc, and the
# real epoxy-nm of other tests running beside it (make check's other
# lane) would stand in for a stand-in the test killed.
if [ -z "${T_WATCH_NS:-}" ]; then
	T_WATCH_NS=1 exec unshare --pid --fork --mount-proc "$0" "$@"
fi
. "$(dirname "$0")/../lib/tap.sh"
need unshare
[ -x /bin/busybox ] || bail "a static BusyBox at /bin/busybox (apt-get install busybox-static)"
W=$PWD/initramfs/watch.sh
tmpdir epoxy-watch; B=$T_DIR/bin
mkdir -p "$B" || bail "dirs"
for a in sh pidof sleep; do ln -s /bin/busybox "$B/$a"; done
{ cp /bin/sleep "$B/epoxy-nm" && cp /bin/sleep "$B/epoxy-priv"; } || bail "stand-in daemons"
PIDS=()
tw_cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
at_exit tw_cleanup
# daemon NAME: starts the stand-in NAME; its pid in DPID
daemon() { "$B/$1" 3600 & DPID=$!; PIDS+=("$DPID"); }
# watch OUT ARG...: the watch in the background, as on the node; its pid in WPID
watch() {
	local out=$1; shift
	unshare -m --propagation private /bin/busybox sh -c \
		'mount -t tmpfs none /run && mkdir /run/epoxy && touch /run/epoxy/ready && exec "$@"' \
		watch env PATH="$B" /bin/busybox sh "$W" "$@" >"$out" 2>&1 &
	WPID=$!; PIDS+=("$WPID")
}
# alive PID TENTHS: 0 if PID is still running after TENTHS tenths of a second
alive() { local _; for _ in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 1; sleep 0.1; done; }
# ended PID TENTHS: 0 once PID ended within TENTHS tenths of a second; its status in WRC
ended() {
	local _
	for _ in $(seq 1 "$2"); do
		if ! kill -0 "$1" 2>/dev/null; then wait "$1"; WRC=$?; return 0; fi
		sleep 0.1
	done
	return 1
}

# ---- usage
for bad in "" "--every 0" "--every x epoxy-nm" "--grace 3601 epoxy-nm" "--grace -1 epoxy-nm" \
	"--every 05 epoxy-nm" "a/b" "--tick 1 epoxy-nm" "--every"; do
	# shellcheck disable=SC2086 # the words of one case
	PATH="$B" /bin/busybox sh "$W" $bad >/dev/null 2>&1
	is $? 2 "usage error: '$bad'"
done
out=$(PATH="$B" /bin/busybox sh "$W" --help); rc=$?
is "$rc:$(head -1 <<<"$out")" "0:usage: epoxy-watch [--every SECONDS] [--grace SECONDS] DAEMON..." "--help: exit 0, usage"

# ---- both alive: it goes on; one killed: it ends after the grace period
daemon epoxy-nm; NM=$DPID
daemon epoxy-priv
watch "$T_DIR/w1" --every 1 --grace 3 epoxy-nm epoxy-priv
alive "$WPID" 40; ok $? "both daemons alive: the watch goes on (4 s)" "$(cat "$T_DIR/w1")"
kill "$NM"; wait "$NM" 2>/dev/null
alive "$WPID" 20; ok $? "epoxy-nm killed: the watch waits out its grace period (2 of 3 s)" "$(cat "$T_DIR/w1")"
ended "$WPID" 60; ok $? "...and ends within 6 s more" "$(cat "$T_DIR/w1")"
is "${WRC:-}" 1 "...with status 1"
grep -qx 'epoxy: watch: epoxy-nm gone for [34] s' "$T_DIR/w1"; ok $? "...naming the daemon and how long" "$(cat "$T_DIR/w1")"
is "$(grep -c . "$T_DIR/w1")" 1 "...in one line, and nothing else"

# ---- gone and back within the grace period: it goes on
daemon epoxy-nm; NM=$DPID
watch "$T_DIR/w2" --every 1 --grace 4 epoxy-nm epoxy-priv
sleep 1.5; kill "$NM"; wait "$NM" 2>/dev/null; sleep 1.5
daemon epoxy-nm; NM=$DPID
alive "$WPID" 60; ok $? "epoxy-nm gone 1.5 s and back (grace 4 s): the watch goes on" "$(cat "$T_DIR/w2")"
kill "$WPID"; wait "$WPID" 2>/dev/null

# ---- maintenance: a killed daemon is waited for, until the file goes
watch "$T_DIR/w3" --every 1 --grace 2 epoxy-nm
sleep 0.5
# the watch's namespace: its /run/epoxy through /proc/PID/root
R=/proc/$WPID/root/run/epoxy
for _ in $(seq 1 50); do [ -e "$R/ready" ] && break; sleep 0.1; done
touch "$R/maintenance" || bail "maintenance file in the watch's namespace"
kill "$NM"; wait "$NM" 2>/dev/null
alive "$WPID" 50; ok $? "/run/epoxy/maintenance: a killed daemon is waited for (5 s, grace 2 s)" "$(cat "$T_DIR/w3")"
rm -f "$R/maintenance"
ended "$WPID" 50; ok $? "maintenance over: the watch ends within 5 s" "$(cat "$T_DIR/w3")"
is "${WRC:-}" 1 "...with status 1"

# ---- the production /init: the daemons the join left, E1515 when the watch ends
grep -q '^for d in epoxy-nm epoxy-priv; do$' initramfs/init-prod.sh &&
	grep -qF "/bin/epoxy-watch --every 2 --grace 10 \$watch || fail EPOXY-E1515 " initramfs/init-prod.sh
ok $? "init-prod runs epoxy-watch over epoxy-nm and epoxy-priv and fails with EPOXY-E1515"
grep -qx 'file bin/epoxy-watch images-src/epoxy-watch 0755' initramfs/production.spec
ok $? "the production image carries /bin/epoxy-watch"
done_testing
