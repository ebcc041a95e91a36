#!/bin/bash
# bench/run.sh [NAME...]: run benchmarks (default: all of them), each side by
# side with its anchor as its own script does, and collect one report.
# `make bench` / `make bench-NAME` build what they need first and call this.
#
#   NAME     script                 anchor
#   agent    bench/agent/run.sh     curl on the same artifact from epoxyd
#   server   bench/server/run.sh    nginx on the same file; a boot storm
#   store    bench/store/run.sh     SQLite against PostgreSQL
#   tcpinfo  bench/tcpinfo/run.sh   ss -tin at the same connections
#   pusher   bench/pusher/run.sh    tar czf + curl --upload-file, same files
#   slivers  bench/slivers/run.sh   none: 5,000 nodes' held polls, p50/p99
#   nm       bench/nm/run.sh        a shell loop of the same crun calls
#   chain    bench/chain/run.sh     the -kernel/-initrd floor (QEMU, minutes)
#
# Report: $O/bench/report/NAME.txt (a bench's whole output, with its
# status), the plots a bench made (NAME-*.png), and report.txt: every
# section in the order above, each saying when it ran.  Running one bench
# replaces only its section.  Exit status: 1 if any bench named failed.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-$PWD/build}; export O
ALL="agent server store tcpinfo pusher slivers nm chain"
R=$O/bench/report; mkdir -p "$R"

bench_cmd() { # NAME -> the command line of its script
  case $1 in
    agent) echo "bench/agent/run.sh ${BENCH_MB:-}" ;;
    server) echo "bench/server/run.sh" ;;
    store) echo "bench/store/run.sh" ;;
    tcpinfo) echo "bench/tcpinfo/run.sh ${BENCH_CONNS:-}" ;;
    pusher) echo "bench/pusher/run.sh ${BENCH_PUSHER_MB:-}" ;;
    slivers) echo "bench/slivers/run.sh ${BENCH_SLIVER_NODES:-}" ;;
    nm) echo "bench/nm/run.sh ${BENCH_NM_SLIVERS:-}" ;;
    chain) echo "bench/chain/run.sh" ;;
    *) return 1 ;;
  esac
}

bench_plots() { # NAME: the plots its script leaves under $O/bench
  case $1 in
    chain) ls "$O"/bench/chain/*.png 2>/dev/null ;;
  esac
}

bench_one() { # NAME: runs it into $R/NAME.txt; returns its status
  local name=$1 cmd t0 rc p
  cmd=$(bench_cmd "$name") || { echo "bench: unknown benchmark '$name' (one of: $ALL)" >&2; return 2; }
  echo "== bench $name: $cmd"
  t0=$(date +%s)
  {
    echo "== $name: $cmd"
    echo "started $(date -u +%FT%TZ); version $(git describe --always --dirty 2>/dev/null);" \
      "$(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$R/$name.txt"
  # shellcheck disable=SC2086 # cmd holds the script and its optional argument
  $cmd 2>&1 | tee -a "$R/$name.txt"; rc=${PIPESTATUS[0]}
  rm -f "$R/$name"-*.png
  for p in $(bench_plots "$name"); do cp "$p" "$R/$name-$(basename "$p")"; done
  if [ "$rc" = 0 ]; then
    echo "-- $name: ok in $(( $(date +%s) - t0 )) s" >>"$R/$name.txt"
  else
    echo "-- $name: FAILED (exit $rc) after $(( $(date +%s) - t0 )) s" >>"$R/$name.txt"
  fi
  return "$rc"
}

bench_report() { # every section that ever ran, in the order of $ALL
  local name p
  {
    echo "epoxy benchmark report, written $(date -u +%FT%TZ)"
    echo "each bench runs side by side with its anchor; see bench/run.sh"
    for name in $ALL; do
      echo
      if [ -f "$R/$name.txt" ]; then
        cat "$R/$name.txt"
        for p in "$R/$name"-*.png; do [ -f "$p" ] && echo "plot: $p"; done
      else
        echo "== $name: not run (make bench-$name)"
      fi
    done
  } >"$R/report.txt"
}

failed=""
# shellcheck disable=SC2086 # the list of names
[ $# -gt 0 ] || set -- $ALL
for name in "$@"; do
  bench_one "$name" || failed+=" $name"
done
bench_report
echo "report: $R/report.txt"
[ -z "$failed" ] || { echo "bench: failed:$failed" >&2; exit 1; }
