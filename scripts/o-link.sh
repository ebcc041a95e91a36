#!/bin/sh
# o-link.sh DIR: the absolute build directory the Makefile uses for DIR.
# make cannot name a file whose path holds a space, so a build directory
# whose absolute path has one (a clone in "~/my work/epoxy", or
# O="/srv/build dir") is reached through a symbolic link without one,
# /tmp/epoxy-o-<16 hex digits of the path's SHA-256>, made (again) here;
# every file still lands in DIR.  Any other path is printed as it is.
set -eu
d=$(realpath -m -- "$1")
case $d in
  *' '*) ;;
  *) printf '%s\n' "$d"; exit 0 ;;
esac
mkdir -p -- "$d"
l=/tmp/epoxy-o-$(printf '%s' "$d" | sha256sum | cut -c1-16)
[ "$(readlink -- "$l" 2>/dev/null)" = "$d" ] || ln -sfn -- "$d" "$l"
printf '%s\n' "$l"
