#!/bin/bash
# bench/agent/run.sh [MB]: in one run, on loopback, from the same server
# (tests/agent/hostile with the dev CA, honest mode):
#  1. the agent's download throughput (its own progress line for the
#     kernel artifact, TLS + hash-while-streaming + sealed memfd) against
#     curl fetching the same artifact with the same CA (best of 3 each);
#  2. what verification adds: the agent hashes in a second thread while it
#     receives; after the last byte it waits for the hasher to catch up
#     (the "hash tail" it prints).  Added time = tail / download time.  For
#     scale, the SHA-256 throughput of the agent's own build (musl + the
#     trimmed mbedTLS) and what hashing the file inline would have cost.
# Figures go to stdout and $O/bench/agent.txt.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
MB=${1:-128}
. tests/agent/lib.sh >/dev/null
P=18250
fixtures
head -c $((MB * 1048576)) /dev/urandom >"$W/srv/kernel"
mf "$W/srv" "$W/srv/manifest" 7 $(( $(date +%s) + 86400 ))
serve $P server
best_agent=0; best_curl=0; best_tail=999999
for i in 1 2 3; do
  agent1 $P --min-rate 1
  rate=$(grep -o "download kernel $((MB * 1048576))/[0-9]* bytes 100% [0-9]* KiB/s" "$W/out" |
         awk '{print $6}')
  [ -n "$rate" ] || { echo "agent run failed:"; tail -5 "$W/out"; exit 1; }
  tail=$(sed -n 's/.*stage verify kernel .*hash tail \([0-9]*\) ms.*/\1/p' "$W/out")
  if [ "$rate" -gt "$best_agent" ]; then best_agent=$rate; best_tail=$tail; fi
  c=$(curl -s -o /dev/null -w '%{speed_download}' --cacert "$W/ca.pem" \
      --resolve epoxy.test:$P:127.0.0.1 -H "Authorization: Bearer x" \
      https://epoxy.test:$P/v1/artifact/kernel)
  c=$(awk -v c="$c" 'BEGIN{printf "%d", c / 1024}')
  [ "$c" -gt "$best_curl" ] && best_curl=$c
  echo "run $i: agent $rate KiB/s (hash tail $tail ms), curl $c KiB/s"
done
stop
read -r sha shamb < <("$O/agent-test/sha256bench" 512)
mkdir -p "$O/bench"
awk -v a="$best_agent" -v c="$best_curl" -v s="$sha" -v smb="$shamb" -v mb="$MB" -v t="$best_tail" 'BEGIN {
  dl = mb * 1024 / a; h = mb / s;
  printf "file: %d MiB over TLS 1.2 on loopback from the same server\n", mb
  printf "agent download: %.1f MiB/s (best of 3)\n", a / 1024
  printf "curl download:  %.1f MiB/s (best of 3)\n", c / 1024
  printf "agent/curl: %.2f\n", a / c
  printf "agent download time: %.3f s; hash tail after the last byte: %.3f s = %.1f%% added by verification\n", dl, t / 1000, 100 * t / 1000 / dl
  printf "sha256 of the agent build: %.1f MiB/s (mbedTLS alone: %.1f MiB/s); inline (not overlapped) it would add %.3f s = %.1f%%\n", s, smb, h, 100 * h / dl
}' | tee "$O/bench/agent.txt"
