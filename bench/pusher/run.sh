#!/bin/bash
# bench/pusher/run.sh [MB]: epoxy-pusher's throughput (issue 15), side by
# side in one run, on loopback, against one epoxyd (tests/lib/epoxyd.sh)
# and its embedded archive (PUT /v1/archive/<experiment>/<sha256>?name=
# <M-Lab name>, mutual TLS with node1's node certificate), on the same
# files:
#   pusher      epoxy-pusher --once: scan, bundle (tar.gz through
#               libarchive, in its spool, fsynced), SHA-256, upload,
#               archive's fsync and answer, delete the local files
#   tar czf     tar czf of the same tree + sha256sum + curl --upload-file
#               (the issue's anchor: gzip, as M-Lab's pusher made .tgz)
#   tar zstd    tar --zstd -cf + sha256sum + curl --upload-file (zstd's
#               default level 3, one thread: the pusher's codec until it
#               took M-Lab's .tgz)
# MB MiB (default 64; make bench-pusher BENCH_PUSHER_MB=N) of measurement-
# like data: 1 MiB files of
# JSON lines with random numbers (compressible about as tcp-info's
# records are).  Each way runs BENCH_RUNS times (default 3), interleaved
# so all see the same machine; the figure is the best run's MB/s of
# input (uncompressed) bytes, the bundle size and the compression ratio.
# A figure, never an assertion.  Output: stdout and $O/bench/pusher.txt.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
MB=${1:-64}
RUNS=${BENCH_RUNS:-3}
. tests/lib/epoxyd.sh >/dev/null
PU=$O/bin/epoxy-pusher
need_built "$PU" "$O/keys/node-ca.crt"
need zstd tar
epoxyd_setup >/dev/null || bail "epoxyd set-up failed"
node_ca || bail "node CA"
epoxyd_start || bail "epoxyd did not start" "$(tail -5 "$T_DIR/epoxyd.log")"
N=$T_DIR/node; mkdir -p "$N"
[ "$(node_cert node1 52-54-00-12-34-56 "$N")" = 200 ] || bail "node1's certificate"
ARC=$DATA/archive

# the data set, made once: MB files of 1 MiB of JSON lines
SRC=$T_DIR/src/ndt/tcpinfo/2026/12/04; mkdir -p "$SRC"
for i in $(seq 1 "$MB"); do
  awk -v seed="$i" 'BEGIN { srand(seed); n = 0
    while (n < 1048576) {
      l = sprintf("{\"UUID\":\"node1_%d_%08d\",\"Timestamp\":\"2026-12-04T10:%02d:%02d.%06dZ\",\"TCPInfo\":{\"State\":1,\"RTT\":%d,\"RTTVar\":%d,\"SndCwnd\":%d,\"BytesAcked\":%d,\"BytesReceived\":%d,\"Retrans\":%d}}\n",
        seed, n, int(rand() * 60), int(rand() * 60), int(rand() * 1e6), int(rand() * 90000),
        int(rand() * 20000), 10 + int(rand() * 500), int(rand() * 1e9), int(rand() * 1e8), int(rand() * 4))
      if (n + length(l) > 1048576) l = substr(l, 1, 1048576 - n)
      printf "%s", l; n += length(l)
    } }' >"$SRC/f$i.jsonl"
done
BYTES=$(du -cb "$T_DIR/src" | tail -1 | cut -f1)
MIB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')

W=$T_DIR/w
# run_pusher: the whole tree through epoxy-pusher --once; prints "MS BUNDLE_BYTES"
run_pusher() {
  local t0 t1 rc
  rm -rf "$W" "$ARC"; sql "DELETE FROM archive_bundles" >/dev/null
  mkdir -p "$W/spool" "$W/data"; echo 100000 >"$W/clock"
  cp -a "$T_DIR/src/." "$W/data/"; sync
  t0=$(date +%s%N)
  EPOXY_PUSHER_TEST_CLOCK=$W/clock "$PU" --data "$W/data" --spool "$W/spool" \
    --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
    --cert "$N/node1.crt" --key "$N/node1.key" --quiet 0 --scan-age 1 \
    --size 1 --max-bytes 250000000 --once 2>"$W/pusher.log"
  rc=$?; t1=$(date +%s%N)
  [ "$rc" = 0 ] || { echo "epoxy-pusher failed (exit $rc): $(tail -3 "$W/pusher.log")" >&2; return 1; }
  [ -z "$(find "$W/data" -type f)" ] || { echo "epoxy-pusher left files" >&2; return 1; }
  echo "$(( (t1 - t0) / 1000000 )) $(find "$ARC" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')"
}
# run_tar EXT FLAGS...: tar -c FLAGS + sha256sum + curl --upload-file; prints "MS BUNDLE_BYTES"
run_tar() {
  local ext=$1 t0 t1 sha code b; shift
  rm -rf "$W" "$ARC"; sql "DELETE FROM archive_bundles" >/dev/null; mkdir -p "$W"; sync
  t0=$(date +%s%N)
  b=$W/bundle.$ext
  tar -C "$T_DIR/src" -c "$@" -f "$b" ndt || return 1
  sync -d "$b"   # the pusher fsyncs its bundle before it uploads it
  sha=$(sha256sum "$b" | cut -d' ' -f1)
  code=$(hs "/v1/archive/ndt/$sha?name=$(arc_name ndt tcpinfo node1)" --cert "$N/node1.crt" --key "$N/node1.key" \
    --upload-file "$b" -o "$W/ans" -w '%{http_code}')
  t1=$(date +%s%N)
  case $code in 200|201|204) ;; *) echo "curl upload: $code $(head -c 100 "$W/ans")" >&2; return 1 ;; esac
  echo "$(( (t1 - t0) / 1000000 )) $(stat -c %s "$b")"
}
best() { sort -n | head -1; }
: >"$T_DIR/p"; : >"$T_DIR/g"; : >"$T_DIR/z"
for r in $(seq 1 "$RUNS"); do
  p=$(run_pusher) || bail "pusher run $r"
  g=$(run_tar tgz -z) || bail "tar czf run $r"
  z=$(run_tar tzst --zstd) || bail "tar zstd run $r"
  echo "$p" >>"$T_DIR/p"; echo "$g" >>"$T_DIR/g"; echo "$z" >>"$T_DIR/z"
  echo "run $r: pusher ${p% *} ms, tar czf + curl ${g% *} ms, tar --zstd + curl ${z% *} ms"
done
epoxyd_stop
mkdir -p "$O/bench"
{
  echo "data: $MB files, $MIB MiB of JSON lines ($BYTES bytes), one bundle each way," \
    "uploaded over TLS on loopback to epoxyd's local archive; best of $RUNS"
  for w in "p epoxy-pusher (tar.gz, libarchive)" "g tar czf + sha256sum + curl" \
           "z tar --zstd + sha256sum + curl"; do
    read -r ms size < <(best <"$T_DIR/${w%% *}")
    awk -v n="${w#* }" -v ms="$ms" -v s="$size" -v b="$BYTES" 'BEGIN {
      printf "%-40s %8.1f MB/s  (%6.3f s; bundle %d bytes, ratio %.2f)\n", n, b / 1e6 / (ms / 1000), ms / 1000, s, b / s }'
  done
  pm=$(best <"$T_DIR/p" | cut -d' ' -f1); gm=$(best <"$T_DIR/g" | cut -d' ' -f1); zm=$(best <"$T_DIR/z" | cut -d' ' -f1)
  awk -v p="$pm" -v g="$gm" -v z="$zm" 'BEGIN {
    printf "pusher / (tar czf + curl): %.2f;  pusher / (tar --zstd + curl): %.2f  (throughput ratios)\n", g / p, z / p }'
} | tee "$O/bench/pusher.txt"
