#!/bin/bash
# bench/nm/crunloop.sh STEP BUNDLES CRUNROOT NAME...: the anchor of
# bench/nm/run.sh, what a shell loop over Debian's crun does for one
# step of a reconciliation, each container's bundle in BUNDLES/NAME (the
# config.json epoxy-nm wrote for that step), crun's state in CRUNROOT:
#   create    crun create + crun start
#   nochange  crun state
#   change    config.json.c becomes config.json (--cgroup-manager disabled:
#             no cgroup to update, as epoxy-nm)
#   destroy   crun kill KILL, crun delete --force, the bundle removed
# Exit 1 at the first call that fails.
set -u
step=$1 b=$2 root=$3
shift 3
cr() { crun --root "$root" --cgroup-manager=disabled "$@"; }
for n in "$@"; do
  case $step in
    create) cr create --bundle "$b/$n" "$n" >/dev/null || exit 1; cr start "$n" || exit 1 ;;
    nochange) cr state "$n" >/dev/null || exit 1 ;;
    change) cp "$b/$n/config.json.c" "$b/$n/config.json" || exit 1 ;;
    destroy) cr kill "$n" KILL; cr delete --force "$n" >/dev/null || exit 1; rm -rf "${b:?}/$n" ;;
    *) exit 2 ;;
  esac
done
