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
set -u
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; fail=0
build() { # label
	rm -rf "$O/images" "$O/images-src"
	local t0; t0=$(date +%s)
	n=$((n + 1))
	if TMPDIR=$tmp make --no-print-directory O="$O" images >"$tmp/make.log" 2>&1; then
		echo "ok $n - $1 build in $(($(date +%s) - t0)) s"
	else
		echo "not ok $n - $1 build failed:"; tail -5 "$tmp/make.log" | sed 's/^/# /'
		echo "1..$n"; exit 1
	fi
}
build first
(cd "$O/images" && find . -type f ! -name '*.tmp*' | sort | xargs sha256sum) >"$tmp/first"
n=$((n + 1))
if [ "$(wc -l <"$tmp/first")" -ge 10 ]; then echo "ok $n - first build has $(wc -l <"$tmp/first") image files"
else echo "not ok $n - first build has only $(wc -l <"$tmp/first") image files"; fail=1; fi
sleep 1
build second
(cd "$O/images" && find . -type f ! -name '*.tmp*' | sort | xargs sha256sum) >"$tmp/second"
while read -r sum name; do
	n=$((n + 1))
	other=$(awk -v f="$name" '$2 == f {print $1}' "$tmp/second")
	if [ "$sum" = "$other" ]; then echo "ok $n - ${name#./} identical ($(stat -c %s "$O/images/$name") bytes)"
	else echo "not ok $n - ${name#./} differs between two builds"; fail=1; fi
done <"$tmp/first"
n=$((n + 1))
if [ "$(wc -l <"$tmp/first")" = "$(wc -l <"$tmp/second")" ]; then echo "ok $n - same set of files"
else echo "not ok $n - the two builds made different sets of files"; fail=1; fi
echo "1..$n"
exit $fail
