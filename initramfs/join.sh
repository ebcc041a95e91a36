#!/bin/sh
# /epoxy/join: the cluster-join script of a release (its "join" artifact).
#
# The agent runs it in stage 2 after fetching the one-time join credential:
#   /epoxy/join [HOST]   host also from $EPOXY_HOST
# with the credential in the file named by $EPOXY_JOINCRED_FILE (mode 0600)
# or, without it, on standard input; never in argv or the environment,
# which other processes can read.
# It checks the credential's form, hands it to the node services in
# /run/epoxy/join-credential (mode 0600, tmpfs, gone at the next boot)
# and records /run/epoxy/joined.  With node identity on (epoxyd sent a
# node credential: $EPOXY_NODECRED_FILE), it runs the node manager's join:
# `epoxy-nm join --detach` makes the node's key in memory, trades the
# credential for a client certificate, returns and goes on heartbeating
# over mutual TLS in the background, following the node's signed sliver
# set (--slivers: verified with /etc/epoxy/keyset, cached in
# /run/epoxy/nm), its log on the console, and writing a second certificate
# of the node for its services (epoxy-pusher) to /run/epoxy/svc (0700,
# tmpfs).  The data disk: the node's first
# writable virtio, SCSI/SATA or NVMe disk, when it has one, goes through
# `epoxy-nm disk` before the join (blank: formatted ext4 with project
# quotas on first join; ours: kept; anything else refused untouched, its
# code on the console) and, mounted on /var/lib/epoxy/data, holds the
# slivers' bundles with their disk_max; without one they stay on the
# tmpfs root and a sliver with disk_max is refused.  With nft in the
# image, the slivers get their network (--uplink eth0: a veth each, NAT
# by nftables, HTB on eth0 for net_min_rate/net_max_rate).  Each sliver
# runs on its slice's image (--images: fetched from epoxyd by its SHA-256,
# a ticket sliver's with its ticket, unpacked into --data/.images).  The
# node manager's local API is also served over HTTPS on port 9443
# (--api-listen 0.0.0.0:9443: list, usage, metrics, redeem) to clients
# with a certificate issued by the fleet CA (/etc/epoxy/ca.pem).  Slivers
# run as their own uids; epoxy-priv hands a sliver what its slice's grants
# allow (a sock_diag socket, a read-only node file), knowing it by uid from
# /run/epoxy/priv.grants, which epoxy-nm writes (--priv-grants) and the
# service reads again when it changes; its socket's directory
# /run/epoxy-priv is the one a granted sliver sees (--priv-dir).  The server
# is the one the agent used: $EPOXY_SERVER (the name TLS checks),
# $EPOXY_SERVER_ADDR and $EPOXY_SERVER_PORT.  It never prints a
# credential.  Exit 0 when joined; non-zero with an EPOXY code otherwise
# (epoxy-nm's own: 1 refused, 3 server out of reach).
set -u
host=${1:-${EPOXY_HOST:-}}
case $host in
''|*[!a-z0-9.-]*) echo "epoxy: join: bad or missing host name"; exit 2;;
esac
umask 077
mkdir -p /run/epoxy
# at most 4 KiB, one line
if [ -n "${EPOXY_JOINCRED_FILE:-}" ]; then
	cred=$(head -c 4096 "$EPOXY_JOINCRED_FILE" | head -n 1)
else
	cred=$(head -c 4096 | head -n 1)
fi
case $cred in
''|*[!A-Za-z0-9+/=._-]*) cred=; echo "epoxy: join: malformed join credential"; exit 2;;
esac
printf '%s\n' "$cred" > /run/epoxy/join-credential.tmp &&
	mv /run/epoxy/join-credential.tmp /run/epoxy/join-credential || exit 1
cred=
# the slivers run when the image carries their runtime and root (crun
# pivots into each sliver's root: /init moved the node's root to a tmpfs)
run=
[ -x /usr/bin/crun ] && [ -d /var/lib/epoxy/rootfs ] && run="--rootfs /var/lib/epoxy/rootfs"
if [ -n "$run" ] && [ -x /sbin/mke2fs ]; then
	for b in /sys/block/vd? /sys/block/sd? /sys/block/nvme?n1; do
		# (a read-only token medium or a removable stick is no data disk)
		[ "$(cat "$b/ro" 2>/dev/null)$(cat "$b/removable" 2>/dev/null)" = 00 ] || continue
		/bin/epoxy-nm disk --device "/dev/${b##*/}" --mount /var/lib/epoxy/data \
			2>>/dev/console && run="$run --data /var/lib/epoxy/data/slivers"
		break
	done
fi
[ -n "$run" ] && [ -x /usr/sbin/nft ] && run="$run --uplink eth0"
# each sliver's root is its slice's published image (fetched over mutual
# TLS, verified, unpacked into --data/.images/<sha256>)
[ -n "$run" ] && run="$run --images"
if [ -n "$run" ] && [ -x /bin/epoxy-priv ]; then
	{ [ -d /run/epoxy-priv ] || mkdir -m 0755 /run/epoxy-priv; } && : >>/run/epoxy/priv.grants &&
		/bin/busybox setsid /bin/epoxy-priv serve --socket /run/epoxy-priv/priv.sock \
		--grants /run/epoxy/priv.grants --access all </dev/null >/dev/null 2>>/dev/console &
	run="$run --priv-grants /run/epoxy/priv.grants --priv-dir /run/epoxy-priv"
fi
if [ -n "${EPOXY_NODECRED_FILE:-}" ]; then
	[ -d /run/epoxy/svc ] || mkdir -m 0700 /run/epoxy/svc || exit 1
	# shellcheck disable=SC2086 # $run: its words
	/bin/epoxy-nm join --server "https://${EPOXY_SERVER:-}:${EPOXY_SERVER_PORT:-443}" \
		--addr "${EPOXY_SERVER_ADDR:-}" --ca /etc/epoxy/ca.pem --host "$host" \
		--credential-file "$EPOXY_NODECRED_FILE" --slivers /run/epoxy/nm $run \
		--service-cert /run/epoxy/svc --api-listen 0.0.0.0:9443 \
		--detach 2>>/dev/console || exit $?
else
	echo "epoxy: join: no node credential from the server (node identity off)"
fi
echo "$host" > /run/epoxy/joined
echo "epoxy: join: $host joined"
exit 0
