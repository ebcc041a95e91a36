#!/bin/bash
# t_tamper: one byte flipped at many offsets of each artifact, of the
# manifest body and of its signatures: no run reaches kexec, each stops
# with its code (artifacts EPOXY-E1030; manifest: a parse or signature
# code of lib/, EPOXY-E10xx).  A fresh boot still succeeds afterwards.
. "$(dirname "$0")/lib.sh"
P=$(free_port 1) || bail "a free loopback port"
fixtures
for role in kernel initramfs cmdline join; do
  size=$(stat -c %s "$W/srv/$role")
  for off in 0 1 $((size / 3)) $((size / 2)) $((size - 2)) $((size - 1)); do
    serve "$P" server "flip:$role:$off"
    agent1 "$P" --retries 1
    check "$role byte $off flipped: refused with EPOXY-E1030" refused EPOXY-E1030
  done
done
msize=$(stat -c %s "$W/srv/manifest")
body=$(grep -bo '^end$' "$W/srv/manifest" | head -1 | cut -d: -f1)
for off in 0 5 16 40 80 120 $((body - 10)) $((body + 1)); do
  serve "$P" server "flip:manifest:$off"
  agent1 "$P" --retries 1
  check "manifest body byte $off flipped: refused (EPOXY-E10xx)" refused 'EPOXY-E10[0-9][0-9]'
done
for off in $((body + 10)) $((body + 30)) $((body + 60)) $((body + 100)) $((msize - 40)) $((msize - 3)); do
  serve "$P" server "flip:manifest:$off"
  agent1 "$P" --retries 1
  check "manifest signature byte $off flipped: refused (EPOXY-E10xx)" refused 'EPOXY-E10[0-9][0-9]'
done
serve "$P" server
agent1 "$P"
check "fresh boot still succeeds" booted
stop
done_testing
