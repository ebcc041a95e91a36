#!/bin/bash
# t_reproducible.sh: `make images` twice gives byte-identical images.
#
# With one SOURCE_DATE_EPOCH pinned for both (the tree's commit time moves
# whenever anyone commits): builds the images from scratch (removing
# $O/images and every staged input, $O/images-src), records the SHA-256 of
# every file, removes them again, rebuilds a second later (another
# wall-clock second, another TMPDIR) and compares file by file: initramfs
# images, UKI, signed stage0, release kernel and manifest.  Any difference
# (a time stamp, a signing time, an ordering) fails with the file's name.
. "$(dirname "$0")/../lib/tap.sh"
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH
tmpdir epoxy-t-reproducible; tmp=$T_DIR
build() { # label
	rm -rf "$O/images" "$O/images-src"
	local t0; t0=$(date +%s)
	if TMPDIR=$tmp make --no-print-directory O="$O" images >"$tmp/make.log" 2>&1; then
		pass "$1 build in $(($(date +%s) - t0)) s"
	else
		bail "$1 build failed" "$(tail -5 "$tmp/make.log")"
	fi
}
build first
(cd "$O/images" && find . -type f ! -name '*.tmp*' | sort | xargs sha256sum) >"$tmp/first"
[ "$(wc -l <"$tmp/first")" -ge 10 ]; ok $? "first build has $(wc -l <"$tmp/first") image files (10 or more)"
sleep 1
build second
(cd "$O/images" && find . -type f ! -name '*.tmp*' | sort | xargs sha256sum) >"$tmp/second"
while read -r sum name; do
	other=$(awk -v f="$name" '$2 == f {print $1}' "$tmp/second")
	if [ "$sum" = "$other" ]; then pass "${name#./} identical ($(stat -c %s "$O/images/$name") bytes)"
	else fail "${name#./} differs between two builds"; fi
done <"$tmp/first"
[ "$(wc -l <"$tmp/first")" = "$(wc -l <"$tmp/second")" ]; ok $? "same set of files" "the two builds made different sets of files"
done_testing
