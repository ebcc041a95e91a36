#!/bin/bash
# deps.sh [--quick|--first]: make this Debian 12 machine able to build and
# test epoxy.
#  - installs the packages of scripts/packages.txt that are missing
#    (quiet when none is);
#  - fetches the Debian source packages of scripts/sources.txt into
#    $O/src with apt-get source, adding a deb-src entry if the machine has
#    none; dpkg-source checks every file against the .dsc checksums, and
#    apt checks the .dsc against the signed Sources index.
# --quick only checks packages (for plain `make`).
# --first installs only the lines marked "first:" (the keys' and the stage1
# kernel's packages) and adds the deb-src entry if a source is still to be
# fetched, so that make check can start the kernel's download and build
# (stage1/build-kernel.sh, whose apt-get download needs no lock) while a
# second run installs the rest; no apt-get update then runs beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-$PWD/build}
export DEBIAN_FRONTEND=noninteractive
quick=0 first=0
case ${1:-} in --quick) quick=1 ;; --first) first=1 ;; esac

need() {
  if [ $first = 1 ]; then sed -n 's/^first://p' scripts/packages.txt
  else sed -e '/^#/d' -e 's/^first://' scripts/packages.txt; fi | tr ' ' '\n' | sed '/^$/d'
}
mapfile -t pkgs < <(need)
# one dpkg-query for the whole list (each run of it costs tens of ms of
# CPU; `make` runs this script every time): a package is missing unless
# dpkg reports it "install ok installed"; packages dpkg has never heard
# of are left out of its output, so they count as missing too
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null |
  awk '$2 == "install" && $3 == "ok" && $4 == "installed" {print $1}' || true)
missing=$(printf '%s\n' "${pkgs[@]}" | grep -vxF -f <(printf '%s\n' "$installed") || true)
# shellcheck disable=SC2086 # $missing is a list of package names, split on purpose
missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
# shellcheck disable=SC2086 # the same list, one apt-get argument per name
if [ -n "${missing// /}" ]; then
  [ "$(id -u)" = 0 ] || { echo "deps: missing packages ($missing) and not root" >&2; exit 1; }
  echo "deps: installing:$missing"
  apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  }
  # the PostgreSQL package starts a cluster; tests run their own
fi
[ $quick = 1 ] && exit 0

ensure_deb_src() {
  if grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  echo "deps: adding a deb-src entry (/etc/apt/sources.list.d/epoxy-src.sources)"
  cat >/etc/apt/sources.list.d/epoxy-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq >/dev/null
}

mkdir -p "$O/src"
while read -r pkg ver dir; do
  case $pkg in ''|\#*) continue;; esac
  [ -f "$O/src/$dir/.epoxy-fetched" ] && continue
  ensure_deb_src
  [ $first = 1 ] && break   # the sources are the second run's
  echo "deps: fetching Debian source $pkg=$ver"
  rm -rf "$O/src/dl-$pkg" "$O/src/$dir"; mkdir -p "$O/src/dl-$pkg"
  (cd "$O/src/dl-$pkg" && apt-get source -qq --download-only "$pkg=$ver" >/dev/null 2>&1) || {
    apt-get update -qq >/dev/null
    (cd "$O/src/dl-$pkg" && apt-get source -qq --download-only "$pkg=$ver" >/dev/null)
  }
  # dpkg-source verifies sizes and checksums of every file named in the .dsc
  (cd "$O/src/dl-$pkg" && dpkg-source -x ./*.dsc "$O/src/$dir" >/dev/null 2>&1) || {
     echo "deps: dpkg-source rejected $pkg (checksum mismatch?)" >&2; exit 1; }
  touch "$O/src/$dir/.epoxy-fetched"
done < scripts/sources.txt
