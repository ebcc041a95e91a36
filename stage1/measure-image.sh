#!/bin/sh
# stage1/measure-image.sh OUT.tar ISRC CA.crt: the measurement slice's
# image (stage1/measure-image.mk): a root of Debian's busybox-static
# (/bin/sh and the start script's applets), the stripped epoxy-tcpinfo
# and epoxy-pusher of ISRC with the shared libraries ldd names for them
# and the loader, the fleet CA as /etc/epoxy-ca.pem (public; the pusher
# checks epoxyd with it), and /bin/measure (node/measure/measure.sh).
# Guarantees: nothing of the node's secrets (no key, no credential: the
# archive certificate reaches the sliver by the node manager's mount);
# owner 0:0, names sorted, every time SOURCE_DATE_EPOCH: the same inputs
# give the same bytes; a library ldd cannot resolve fails the build.
set -eu
out=$1 isrc=$2 ca=$3
r=$out.root
rm -rf "$r" && mkdir -p "$r/bin" "$r/dev" "$r/etc" "$r/lib64" "$r/out" "$r/proc" "$r/run" \
	"$r/sys" "$r/tmp"
chmod 1777 "$r/tmp"
if [ ! -x /bin/busybox ] || ldd /bin/busybox 2>/dev/null | grep -q '=>'; then
	echo "measure-image: /bin/busybox is not Debian's busybox-static" >&2; exit 1
fi
cp /bin/busybox "$r/bin/busybox"
for a in sh mkdir sleep id cat ls kill rm tail; do ln -sf busybox "$r/bin/$a"; done
cp "$isrc/epoxy-tcpinfo" "$isrc/epoxy-pusher" "$r/bin/"
install -m 0755 node/measure/measure.sh "$r/bin/measure"
for b in "$r/bin/epoxy-tcpinfo" "$r/bin/epoxy-pusher"; do
	ldd "$b" | grep -q 'not found' && { echo "measure-image: $b: a library not found" >&2; exit 1; }
	for l in $(ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
		mkdir -p "$r$(dirname "$l")"
		cp -L "$l" "$r$l"
	done
done
# the loader where the binaries look for it
[ -e "$r/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"
openssl x509 -in "$ca" -out "$r/etc/epoxy-ca.pem"
tar -C "$r" --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime="@${SOURCE_DATE_EPOCH:-0}" -cf "$out.tmp" .
mv "$out.tmp" "$out"
rm -rf "$r"
