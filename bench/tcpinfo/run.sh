#!/bin/bash
# run.sh [N...]: epoxy-tcpinfo against `ss -tin` at N open loopback
# connections (default 1000 10000 50000), side by side in one run, in a
# private network namespace made here (unshare -n; root).
#
# For each N, tcpinfo-conns holds N connections (2N sockets) and writes one
# byte on N/100 of them every 100 ms, so about one socket in 500 changes
# between two 10 ms polls.  Measured:
#   ss        CPU (user+sys) of one `ss -tin` (average of SS_RUNS runs)
#   tcpinfo   CPU of one steady poll: (CPU of 1+POLLS polls - CPU of 1 poll)
#             / POLLS, both runs paying the same first poll (2N opens) and
#             the final flush; also the poll's wall time (its histogram)
#   bytes     compressed bytes per record, all records of the long run, and
#             per changed record: (bytes, records) of the long run minus
#             those of the one-poll run
# A last row holds 20 connections that all change every 100 ms for 500
# polls (--flush 60): the bytes of a changed record inside a long stream.
# Needs $O/bin/epoxy-tcpinfo and $O/bench/tcpinfo-conns (make bench-tcpinfo).
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}
if [ -z "${TCPINFO_BENCH_NS:-}" ]; then
  exec unshare -n env TCPINFO_BENCH_NS=1 O="$O" bash "$0" "$@"
fi
BIN=$O/bin/epoxy-tcpinfo CONNS=$O/bench/tcpinfo-conns
POLLS=${POLLS:-200} SS_RUNS=${SS_RUNS:-10} PORT=7000
for f in "$BIN" "$CONNS"; do [ -x "$f" ] || { echo "$f missing: make bench-tcpinfo" >&2; exit 1; }; done
ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
W=$(mktemp -d /tmp/bench-tcpinfo.XXXXXX)
HOLDER=
cleanup() { [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

cpu() { # command...: user+sys seconds
  local TIMEFORMAT='%3U %3S'
  { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%.3f", $1 + $2 }'
}
ss_runs() { local _; for _ in $(seq "$SS_RUNS"); do ss -tin; done; }
metric() { sed -n "s/^$1 //p" "$2"; }
ms() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.3f", (a - b) * 1000 / n }'; }

row() { # conns busy_per_tick polls flush_seconds
  local n1=$1 busy=$2 polls=$3 flush=$4 sock s c1 c2 r1 b1 r2 b2 wsum wcnt
  rm -rf "${W:?}"/*
  "$CONNS" "$n1" $PORT "$busy" >"$W/ready" 2>"$W/conns.err" &
  HOLDER=$!
  for _ in $(seq 600); do grep -q ready "$W/ready" && break; sleep 0.1; done
  grep -q ready "$W/ready" || { echo "tcpinfo-conns $n1: $(cat "$W/conns.err")"; exit 1; }
  sock=$(ss -tn state established | tail -n +2 | wc -l)
  s=$(cpu ss_runs)
  c1=$(cpu "$BIN" -d "$W/a" -M "$W/a.prom" -c 1 -i 10 -f "$flush")
  c2=$(cpu "$BIN" -d "$W/b" -M "$W/b.prom" -c $((polls + 1)) -i 10 -f "$flush")
  r1=$(metric tcpinfo_snapshots_total "$W/a.prom"); b1=$(metric tcpinfo_bytes_written_total "$W/a.prom")
  r2=$(metric tcpinfo_snapshots_total "$W/b.prom"); b2=$(metric tcpinfo_bytes_written_total "$W/b.prom")
  wsum=$(metric tcpinfo_poll_duration_seconds_sum "$W/b.prom")
  wcnt=$(metric tcpinfo_poll_duration_seconds_count "$W/b.prom")
  printf '%-8s %-9s %-6s %12s %14s %14s %10s %10s %10s\n' "$n1" "$sock" "$busy" \
    "$(ms "$s" 0 "$SS_RUNS")" "$(ms "$c2" "$c1" "$polls")" "$(ms "$wsum" 0 "$wcnt")" "$r2" \
    "$(awk -v b="$b2" -v r="$r2" 'BEGIN { printf "%.1f", b / r }')" \
    "$(awk -v b="$((b2 - b1))" -v r="$((r2 - r1))" 'BEGIN { if (r > 0) printf "%.1f", b / r; else print "-" }')"
  kill "$HOLDER"; wait "$HOLDER" 2>/dev/null; HOLDER=
}

printf '%-8s %-9s %-6s %12s %14s %14s %10s %10s %10s\n' conns sockets busy "ss ms/dump" \
  "tcpinfo ms/poll" "poll wall ms" records B/record B/changed
[ $# -gt 0 ] || set -- 1000 10000 50000
for n1 in "$@"; do
  row "$n1" $((n1 / 100 > 0 ? n1 / 100 : 1)) "$POLLS" 10
done
# long-lived busy connections: every one changes every 100 ms, so each
# connection's frame holds many records (the steady state of a transfer)
row 20 20 500 60
