#!/bin/bash
# bench/nm/run.sh [N...]: epoxy-nm's reconciliation of N slivers
# (default "1 10 100", issue 14's figures; at most SLIVERSET_MAX_SLIVERS,
# 128, the most one node's set holds) with Debian's real crun, against a shell loop of the same crun
# calls on the same bundles, in one run (issue 14's bench).
#
#  1. A real epoxyd signs the sets: max(N) slices of one image, each a
#     `sleep` entry; `epoxy-nm join --slivers` (no --rootfs: it only
#     verifies and caches) follows node5's set while the slices are added
#     to it (1, then 10, then 100) and their mem_max changed, and the signed
#     sets are kept: set.0 (empty), set.N, set.N.c (every sliver's limit
#     changed).
#  2. For each N, BENCH_NM_ROUNDS rounds (default 3), each timing four
#     steps of `epoxy-nm apply` (one process: verify the cached set,
#     reconcile, exit), then the same four steps as the anchor, a bash loop
#     over the same crun with the same bundles (epoxy-nm's config.json of
#     that step):
#       create   set.0 -> set.N   crun create + start of each (the nm also
#                                 writes, fsyncs the bundle and its state)
#       nochange set.N again      crun state of each (the nm also verifies
#                                 the set, renders and hashes each config)
#       change   set.N -> set.N.c config.json rewritten for each (with
#                                 --cgroup-manager disabled the nm applies
#                                 no crun update: see below)
#       destroy  set.N.c -> set.0 crun kill KILL + delete --force, bundle
#                                 removed, for each
#     Both run in one private mount namespace per step (tests/lib/crun.sh's
#     in_ns): this host is cgroup v1 with a cgroup2 mount beside it, which
#     crun refuses; in_ns mounts cgroup2 over /sys/fs/cgroup and both sides
#     run --cgroup-manager disabled (as tests/node/t_nm_run.sh), so no
#     cgroup is written by either and `change` is the config rewrite only.
#  3. Prints, per N and step, the median of the rounds (ms) for epoxy-nm and
#     the loop and their ratio; every round's figures in
#     $O/bench/nm/reconcile.txt.  A figure, never an assertion; exit 1 when
#     a step left another set of containers than it should.
# Installs crun and busybox-static with apt-get when missing.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
[ $# -gt 0 ] || set -- 1 10 100
ROUNDS=${BENCH_NM_ROUNDS:-3}
. tests/lib/epoxyd.sh >/dev/null
. tests/lib/crun.sh
NM=$BIN/epoxy-nm
need_built "$NM" "$BIN/epoxyctl" "$O/keys/node-ca.crt"
if ! command -v crun >/dev/null || ! file -L /bin/busybox 2>/dev/null | grep -q 'statically'; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
    crun busybox-static >"$T_DIR/apt.log" 2>&1 || bail "apt-get install crun busybox-static"
fi
need crun unshare file
max=0
for n in "$@"; do [ "$n" -gt "$max" ] && max=$n; done
SMAX=$(sed -n 's/^#define SLIVERSET_MAX_SLIVERS \([0-9]*\)$/\1/p' lib/sliverset.h)
[ "$max" -le "${SMAX:-0}" ] || bail "at most ${SMAX:-?} slivers: SLIVERSET_MAX_SLIVERS (lib/sliverset.h)"

epoxyd_setup >/dev/null || bail "epoxyd set-up"
node_ca || bail "node CA"
node5_seed || bail "admin, node5"
epoxyd_start || bail "epoxyd did not start"
ctl_env
W=$T_DIR/nm; C=$W/cache; SETS=$W/sets; R=$W/rootfs
D=$W/slivers; S=$W/crun            # epoxy-nm's bundles and crun root
BD=$W/loop; BS=$W/loop-crun        # the loop's
mkdir -p "$C" "$SETS" "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/out" "$BD" || bail "dirs"
cp /bin/busybox "$R/bin/busybox" || bail "busybox"
for a in sh sleep; do ln -s busybox "$R/bin/$a"; done
ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { cat "$T_DIR/ctl.out"; return 1; }; }
cleanup() {
  [ -n "${NMPID:-}" ] && kill "$NMPID" 2>/dev/null
  local c r
  for r in "$S" "$BS"; do
    for c in $(crun --root "$r" list -q 2>/dev/null); do
      crun --root "$r" delete --force "$c" >/dev/null 2>&1
    done
  done
}
at_exit cleanup

# ---- 1. the signed sets
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
ctl site add lab1 || bail "site"
slice() { printf 's%03d' "$1"; }
for i in $(seq 1 "$max"); do
  ctl slice create "$(slice "$i")" --site lab1 --image "sha256:$sha" --days 2 \
    --entry "exec sleep $((86500 + i))" cpu_share=2 mem_max=67108864 tasks_max=32 || bail "slice $i"
done
node_credential node5 52-54-00-00-00-05 >"$W/nc"
"$NM" join --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
  --host node5 --credential-file "$W/nc" --heartbeat 60 --poll 20 \
  --slivers "$C" --keyset "$KEYS/keyset" 2>"$W/join.log" &
NMPID=$!
# until the cached set holds $1 slivers, $2 of them (default all) with
# mem_max $3 (default any): 30 s at most
set_wait() {
  local i
  for i in $(seq 1 300); do
    if [ -f "$C/slivers" ] && [ "$(grep -c '^sliver ' "$C/slivers")" = "$1" ] &&
      { [ -z "${3:-}" ] || [ "$(grep -c " mem_max $3$" "$C/slivers")" = "${2:-$1}" ]; }; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
set_wait 0 || bail "node5's first (empty) set" "$(tail -3 "$W/join.log")"
cp "$C/slivers" "$SETS/set.0"
have=0
for n in $(printf '%s\n' "$@" | sort -n); do
  for i in $(seq $((have + 1)) "$n"); do ctl slice add-nodes "$(slice "$i")" --host node5 || bail "add $i"; done
  have=$n
  set_wait "$n" || bail "the set of $n slivers" "$(tail -3 "$W/join.log")"
  cp "$C/slivers" "$SETS/set.$n"
  mem=$((67108864 + n * 4096))
  for i in $(seq 1 "$n"); do ctl slice set "$(slice "$i")" mem_max=$mem || bail "set $i"; done
  set_wait "$n" "$n" "$mem" || bail "the changed set of $n slivers" "$(tail -3 "$W/join.log")"
  cp "$C/slivers" "$SETS/set.$n.c"
done
kill "$NMPID"; wait "$NMPID" 2>/dev/null; NMPID=''
epoxyd_stop

# ---- 2. the rounds
RUNOPTS=(--host node5 --slivers "$C" --keyset "$KEYS/keyset" --rootfs "$R" --data "$D"
  --runtime-root "$S" --cgroup-manager disabled)
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
nm_step() { # SET: the cached set becomes SET, one epoxy-nm apply; prints ms
  local t0 rc
  cp "$SETS/$1" "$C/slivers" || return 1
  t0=$(ms_now)
  (in_ns "$NM" apply "${RUNOPTS[@]}" 2>>"$W/apply.log")
  rc=$?
  echo $(( $(ms_now) - t0 ))
  return "$rc"
}
loop_step() { # STEP NAMES...: bench/nm/crunloop.sh in one namespace; prints ms
  local t0 rc
  t0=$(ms_now)
  (in_ns bench/nm/crunloop.sh "$@")
  rc=$?
  echo $(( $(ms_now) - t0 ))
  return "$rc"
}
count_is() { # ROOT N WHAT: crun lists N containers there, or the run is bad
  [ "$(crun --root "$1" list -q 2>/dev/null | grep -c .)" = "$2" ] && return 0
  bad=1; echo "$3: $(crun --root "$1" list -q 2>/dev/null | grep -c .) containers, not $2" >&2
}
mkdir -p "$O/bench/nm"
OUT=$O/bench/nm/reconcile.txt
echo "round N step epoxy-nm_ms loop_ms (load $(cut -d' ' -f1-3 /proc/loadavg))" >"$OUT"
bad=0
STEPS="create nochange change destroy"
declare -A T
for n in "$@"; do
  names=()
  for i in $(seq 1 "$n"); do names+=("$(slice "$i")"); done
  for r in $(seq 1 "$ROUNDS"); do
    # epoxy-nm; its bundles (config.json) of create and change feed the loop
    a=$(nm_step "set.$n"); count_is "$S" "$n" "epoxy-nm create $n"
    rm -rf "$BD"; mkdir -p "$BD"
    for s in "${names[@]}"; do
      mkdir -p "$BD/$s/out" && cp "$D/$s/config.json" "$BD/$s/" &&
        sed -i "s#$D/$s/#$BD/$s/#g" "$BD/$s/config.json"
    done
    b=$(nm_step "set.$n"); count_is "$S" "$n" "epoxy-nm nochange $n"
    c=$(nm_step "set.$n.c"); count_is "$S" "$n" "epoxy-nm change $n"
    for s in "${names[@]}"; do
      cp "$D/$s/config.json" "$BD/$s/config.json.c" && sed -i "s#$D/$s/#$BD/$s/#g" "$BD/$s/config.json.c"
    done
    d=$(nm_step set.0); count_is "$S" 0 "epoxy-nm destroy $n"
    e=$(loop_step create "$BD" "$BS" "${names[@]}"); count_is "$BS" "$n" "loop create $n"
    f=$(loop_step nochange "$BD" "$BS" "${names[@]}"); count_is "$BS" "$n" "loop nochange $n"
    g=$(loop_step change "$BD" "$BS" "${names[@]}"); count_is "$BS" "$n" "loop change $n"
    h=$(loop_step destroy "$BD" "$BS" "${names[@]}"); count_is "$BS" 0 "loop destroy $n"
    printf '%s %s create %s %s\n%s %s nochange %s %s\n%s %s change %s %s\n%s %s destroy %s %s\n' \
      "$r" "$n" "$a" "$e" "$r" "$n" "$b" "$f" "$r" "$n" "$c" "$g" "$r" "$n" "$d" "$h" >>"$OUT"
    T[$n.create]+="$a/$e " T[$n.nochange]+="$b/$f " T[$n.change]+="$c/$g " T[$n.destroy]+="$d/$h "
  done
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT"

# ---- 3. medians
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
echo "reconcile: epoxy-nm apply against a bash loop of the same crun calls, median of $ROUNDS rounds (ms)"
printf '%-8s %-9s %10s %10s %7s\n' slivers step epoxy-nm loop nm/loop
for n in "$@"; do
  for s in $STEPS; do
    x=$(tr ' ' '\n' <<<"${T[$n.$s]}" | grep . | cut -d/ -f1 | median)
    y=$(tr ' ' '\n' <<<"${T[$n.$s]}" | grep . | cut -d/ -f2 | median)
    printf '%-8s %-9s %10s %10s %7s\n' "$n" "$s" "$x" "$y" "$(awk -v a="$x" -v b="$y" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
  done
done
echo "every round: $OUT; load $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$bad" = 0 ] || { echo "some step left the wrong containers: see above and $W (KEEP=1)"; exit 1; }
