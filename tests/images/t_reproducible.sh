#!/bin/bash
# t_reproducible.sh: two builds of the images give byte-identical images.
#
# With one SOURCE_DATE_EPOCH pinned for both (the tree's commit time moves
# whenever anyone commits): the first build is the one make already did
# (`make images` brings it up to date: in make check, the images the image
# build just made; in a developer's tree, images of an older commit's epoch
# are made again, stage1/images.mk's $O/images-src/epoch).  The test
# records the SHA-256 of every file, removes $O/images and every staged
# input ($O/images-src), builds again from scratch (another wall-clock
# second, another TMPDIR) and compares file by file: initramfs images,
# UKI, signed stage0, release kernel and manifest.  Any difference (a time
# stamp, a signing time, an ordering, an input make does not know about)
# fails with the file's name.
. "$(dirname "$0")/../lib/tap.sh"
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH
tmpdir epoxy-t-reproducible; tmp=$T_DIR
build() { # label [scratch]
	[ -z "${2:-}" ] || rm -rf "$O/images" "$O/images-src"
	local t0; t0=$(date +%s)
	if TMPDIR=$tmp make --no-print-directory O="$O" images >"$tmp/make.log" 2>&1; then
		pass "$1 build in $(($(date +%s) - t0)) s"
	else
		bail "$1 build failed" "$(tail -5 "$tmp/make.log")"
	fi
}
build "first (make's own, brought up to date)"
(cd "$O/images" && find . -type f ! -name '*.tmp*' | sort | xargs sha256sum) >"$tmp/first"
[ "$(wc -l <"$tmp/first")" -ge 10 ]; ok $? "first build has $(wc -l <"$tmp/first") image files (10 or more)"
sleep 1
build "second, from scratch," scratch
(cd "$O/images" && find . -type f ! -name '*.tmp*' | sort | xargs sha256sum) >"$tmp/second"
while read -r sum name; do
	other=$(awk -v f="$name" '$2 == f {print $1}' "$tmp/second")
	if [ "$sum" = "$other" ]; then pass "${name#./} identical ($(stat -c %s "$O/images/$name") bytes)"
	else fail "${name#./} differs between two builds"; fi
done <"$tmp/first"
[ "$(wc -l <"$tmp/first")" = "$(wc -l <"$tmp/second")" ]; ok $? "same set of files" "the two builds made different sets of files"
# make knows the epoch is an input of the images: with the same one a
# make remakes nothing (the epoch file is rewritten only on a change);
# another one would remake each initramfs (4), each signed file (3) and
# the manifest (`make -n`: nothing is made)
imgcmds() { grep -c 'efisign\.sh\|epoxy-mkinitramfs \|epoxy-keys release sign'; }
n=$(TMPDIR=$tmp make --no-print-directory O="$O" images 2>&1 | imgcmds)
is "$n" 0 "make images again with the same SOURCE_DATE_EPOCH: no image made again"
n=$(SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH + 1)) TMPDIR=$tmp \
	make --no-print-directory -n O="$O" images 2>&1 | imgcmds)
[ "$n" -ge 8 ]; ok $? "another SOURCE_DATE_EPOCH: make would remake $n images (8 or more)"
done_testing
