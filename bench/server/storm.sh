#!/bin/bash
# storm.sh: a boot storm of BENCH_NODES (default 1000) registered hosts
# started at once by BENCH_THREADS (200) client threads, each node from its
# own loopback address, against one epoxyd with its default limits
# (max_sessions 32, max_downloads 64) over SQLite.  Reports request and boot
# latency p50/p99, 503s, epoxyd's peak RSS, and that every boot completed.
O=${O:-$(cd "$(dirname "$0")/../.." && pwd)/build}
. "$(dirname "$0")/../../tests/lib/epoxyd.sh"
N=${BENCH_NODES:-1000}; TH=${BENCH_THREADS:-200}; SCALE=${BENCH_RETRY_SCALE:-0.05}
[ -x "$BIN/epoxyd-storm" ] || { echo "storm: $BIN/epoxyd-storm not built"; exit 1; }
KERNEL_SIZE=65536 epoxyd_setup >/dev/null || { echo "setup failed"; exit 1; }
t0=$(date +%s)
"$BIN/epoxyd-seed" fleet "$STORE" "$N" "$T_DIR/fleet" || exit 1
echo "storm: seeded $N hosts with credentials in $(( $(date +%s) - t0 )) s"
epoxyd_start || { echo "epoxyd did not start"; exit 1; }
rss0=$(awk '/VmRSS/ {print $2}' /proc/$SRV_PID/status)
"$BIN/epoxyd-storm" "$T_DIR/fleet" "$HTTPS_PORT" "$T_DIR/pki/ca.crt" "$TH" "$N" "$SCALE"
rc=$?
echo "storm: epoxyd RSS before $rss0 kB, peak $(awk '/VmHWM/ {print $2}' /proc/$SRV_PID/status) kB"
echo "storm: sessions in the store: $(sqlite3 "$DB" 'select count(*) from sessions')"
exit $rc
