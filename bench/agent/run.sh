#!/bin/bash
# bench/agent/run.sh [MB]: in one run, on loopback, from epoxyd (the server
# the agent really talks to, set up by tests/lib/epoxyd.sh with a release
# whose kernel is MB MiB of random bytes):
#  1. the agent's download throughput (its own progress line for the
#     kernel artifact, TLS + hash-while-streaming + sealed memfd) against
#     curl fetching the same artifact from the same epoxyd with the same
#     pinned CA and a token of its own session (best of 3 each, runs
#     interleaved so both see the same machine), printed side by side and
#     as the ratio agent/curl: a figure, never an assertion;
#  2. the agent's whole stage 1 (session, statements, four artifacts) in
#     wall-clock time and the TLS handshakes epoxyd saw for it;
#  3. what verification adds: the agent hashes in a second thread while it
#     receives; after the last byte it waits for the hasher to catch up
#     (the "hash tail" it prints).  Added time = tail / download time.  For
#     scale, the SHA-256 throughput of the agent's own build (musl + the
#     trimmed mbedTLS) and what hashing the file inline would have cost.
# Figures go to stdout and $O/bench/agent.txt.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
MB=${1:-128}
KERNEL_SIZE=$((MB * 1048576))
. tests/lib/epoxyd.sh >/dev/null
# BENCH_AGENT: another build of the agent to measure (before/after figures)
AGENT=${BENCH_AGENT:-$O/bin/epoxy-agent}
need_built "$AGENT" "$O/agent-test/sha256bench"
KERNEL_SIZE=$KERNEL_SIZE epoxyd_setup >/dev/null || bail "epoxyd set-up failed"
epoxyd_start || bail "epoxyd did not start" "$(tail -5 "$T_DIR/epoxyd.log")"
E=$T_DIR/agent; mkdir -p "$E/etc" "$E/efi" "$E/rec"
cp "$CA_CRT" "$E/etc/ca.pem"; cp "$KEYS/keyset" "$E/etc/keyset"
echo 5 >"$E/etc/floor"; echo qemu-x86_64 >"$E/etc/hwclass"
printf '\007\000\000\000epoxy-boot 1\nhost node1\ncredential %s\nend\n' "$(cat "$T_DIR/cred.node1")" \
  >"$E/efi/EpoxyBoot-2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13"
echo "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=127.0.0.1 epoxy.port=$HTTPS_PORT epoxy.stage=1" \
  >"$E/cmdline"

best_agent=0; best_curl=0; best_tail=999999; best_wall=999999
for i in 1 2 3; do
  rm -rf "$E/rec"; mkdir -p "$E/rec"
  n0=$(grep -c 'https$' "$T_DIR/epoxyd.log")
  t0=$(date +%s%N)
  timeout 300 "$AGENT" --cmdline "$E/cmdline" --efivars "$E/efi" --etc "$E/etc" \
    --kexec-record "$E/rec" --retries 2 --backoff-ms 50 --server-wait 0 \
    --mac 52-54-00-12-34-56 --min-rate 1 >"$E/out" 2>&1
  rc=$?
  wall=$(( ($(date +%s%N) - t0) / 1000000 ))
  reqs=$(( $(grep -c 'https$' "$T_DIR/epoxyd.log") - n0 ))
  rate=$(grep -o "download kernel $KERNEL_SIZE/[0-9]* bytes 100% [0-9]* KiB/s" "$E/out" |
         awk '{print $6}')
  if [ "$rc" != 0 ] || [ -z "$rate" ]; then echo "agent run failed (exit $rc):"; tail -5 "$E/out"; exit 1; fi
  hs=$(sed -n 's/.*stage connect [0-9]* requests over \([0-9]*\) TLS handshakes.*/\1/p' "$E/out")
  tail=$(sed -n 's/.*stage verify kernel .*hash tail \([0-9]*\) ms.*/\1/p' "$E/out")
  if [ "$rate" -gt "$best_agent" ]; then best_agent=$rate; best_tail=$tail; fi
  [ "$wall" -lt "$best_wall" ] && best_wall=$wall
  [ "$(open_session)" = 200 ] || bail "curl's session" "$(cat "$T_DIR/session")"
  c=$(hs /v1/artifact/kernel -o /dev/null -w '%{speed_download}' -H "$(bearer "$(tok kernel)")")
  c=$(awk -v c="$c" 'BEGIN{printf "%d", c / 1024}')
  [ "$c" -gt "$best_curl" ] && best_curl=$c
  echo "run $i: agent $rate KiB/s (hash tail $tail ms; stage 1 $wall ms, $reqs requests${hs:+, $hs TLS handshakes})," \
    "curl $c KiB/s"
done
epoxyd_stop
read -r sha shamb < <("$O/agent-test/sha256bench" 512)
mkdir -p "$O/bench"
awk -v a="$best_agent" -v c="$best_curl" -v s="$sha" -v smb="$shamb" -v mb="$MB" -v t="$best_tail" \
    -v w="$best_wall" 'BEGIN {
  dl = mb * 1024 / a; h = mb / s;
  printf "file: %d MiB over TLS 1.2 on loopback from epoxyd\n", mb
  printf "agent download: %.1f MiB/s (best of 3)\n", a / 1024
  printf "curl download:  %.1f MiB/s (best of 3)\n", c / 1024
  printf "agent/curl: %.2f\n", a / c
  printf "agent stage 1 (session to kexec record), best of 3: %.3f s\n", w / 1000
  printf "agent download time: %.3f s; hash tail after the last byte: %.3f s = %.1f%% added by verification\n", dl, t / 1000, 100 * t / 1000 / dl
  printf "sha256 of the agent build: %.1f MiB/s (mbedTLS alone: %.1f MiB/s); inline (not overlapped) it would add %.3f s = %.1f%%\n", s, smb, h, 100 * h / dl
}' | tee "$O/bench/agent.txt"
