#!/bin/sh
# shellcheck shell=dash # busybox ash on the node: checked as dash
# /bin/epoxy-watch: the production node's watch over its daemons.
#
#   epoxy-watch [--every SECONDS] [--grace SECONDS] DAEMON...
#
# The production /init runs it once the join is over, naming the node's
# daemons that the join left running (epoxy-nm, epoxy-priv).  It looks for
# each by name (pidof) every --every seconds (default 5).  When one has
# been gone for --grace seconds (default 30; counted from the first look
# that missed it, so the end comes grace to grace + every seconds after
# the daemon's) it prints
#   epoxy: watch: DAEMON gone for N s
# and exits 1; /init then prints EPOXY-E1515 and reboots the node into a
# clean retry, the ePoxy way: the node manager's key lived in its memory
# only and the join credential was single-use, so nothing else could bring
# it back, and without it a node would go on running its slivers with
# nobody to change or stop them (a revoked host's node manager stops: its
# slivers stop with the reboot).
# While /run/epoxy/maintenance exists the watch never ends: an operator on
# the node's console who stops a daemon on purpose creates it first.
# Exit 2 on a usage error (no daemon, a bad number).  It reads nothing
# else and writes only that line.
set -u
every=5 grace=30
while [ $# -gt 0 ]; do
	case $1 in
	--every|--grace)
		case ${2:-} in
		''|*[!0-9]*|0*) echo "epoxy-watch: $1 wants a whole number of seconds, 1 to 3600" >&2; exit 2;;
		esac
		[ "$2" -le 3600 ] || { echo "epoxy-watch: $1 wants 1 to 3600 seconds" >&2; exit 2; }
		if [ "$1" = --every ]; then every=$2; else grace=$2; fi
		shift 2;;
	--help|-h)
		echo "usage: epoxy-watch [--every SECONDS] [--grace SECONDS] DAEMON..."
		sed -n '6,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
	-*) echo "epoxy-watch: unknown option $1" >&2; exit 2;;
	*) break;;
	esac
done
[ $# -gt 0 ] || { echo "usage: epoxy-watch [--every S] [--grace S] DAEMON..." >&2; exit 2; }
for d in "$@"; do
	case $d in
	''|*[!A-Za-z0-9_.-]*) echo "epoxy-watch: bad daemon name '$d'" >&2; exit 2;;
	esac
done
# down: seconds since a look first found a daemon gone (empty: none is)
down=
while :; do
	sleep "$every"
	gone=
	for d in "$@"; do
		pidof "$d" >/dev/null 2>&1 || gone="$gone $d"
	done
	if [ -z "$gone" ] || [ -e /run/epoxy/maintenance ]; then
		down=
		continue
	fi
	if [ -z "$down" ]; then down=0; else down=$((down + every)); fi
	if [ "$down" -ge "$grace" ]; then
		echo "epoxy: watch:$gone gone for $down s"
		exit 1
	fi
done
