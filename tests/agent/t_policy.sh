#!/bin/bash
# t_policy: rollback, freeze and mix-and-match, each with its own code:
# older release than the floor (E1021), expired manifest (E1020), stale
# nonce (E1051), a replayed session answer (E1051), a statement for
# another host (E1052), a manifest other than the statement names (E1053),
# another hardware class (E1022), fewer signatures than the threshold
# (E1013), kernel of another release (E1030).  Fresh boots still succeed.
. "$(dirname "$0")/lib.sh"
P=$(free_port 1) || bail "a free loopback port"
fixtures
EXP=$(( $(date +%s) + 86400 ))
mf "$W/srv" "$W/old" 3 $EXP
mf "$W/srv" "$W/expired" 9 $(( $(date +%s) - 60 ))
mf "$W/srv" "$W/samever" 7 $(( EXP + 5 ))
mf "$W/srv" "$W/hw" 9 $EXP other-class
mf "$W/srv" "$W/onesig" 9 $EXP qemu-x86_64 1

serve "$P" server manifest:"$W/old"
agent1 "$P" --retries 1
check "older release (3 < floor 5): EPOXY-E1021" refused EPOXY-E1021
check "the failure was reported to the server with its code" \
  grep -q 'stage=1&status=fail&code=EPOXY-E1021&tail=' "$W/srv/reports"
serve "$P" server manifest:"$W/expired"
agent1 "$P" --retries 1
check "expired manifest (statement time past expiry): EPOXY-E1020" refused EPOXY-E1020
serve "$P" server manifest:"$W/srv/manifest" time:$(( EXP + 10 ))
agent1 "$P" --retries 1
check "server clock past expiry: EPOXY-E1020" refused EPOXY-E1020
serve "$P" server stalenonce
agent1 "$P" --retries 1
check "statement with a stale nonce: EPOXY-E1051" refused EPOXY-E1051
serve "$P" server record:"$W/recorded"
agent1 "$P"
check "recording a valid session" booted
serve "$P" server replay:"$W/recorded"
agent1 "$P" --retries 1
check "replayed session answer (same release replayed): EPOXY-E1051" refused EPOXY-E1051
serve "$P" server otherhost
agent1 "$P" --retries 1
check "statement for another host: EPOXY-E1052" refused EPOXY-E1052
serve "$P" server stmtmf:"$W/samever"
agent1 "$P" --retries 1
check "same version, other manifest than the statement names: EPOXY-E1053" refused EPOXY-E1053
serve "$P" server manifest:"$W/hw"
agent1 "$P" --retries 1
check "manifest for another hardware class: EPOXY-E1022" refused EPOXY-E1022
serve "$P" server manifest:"$W/onesig"
agent1 "$P" --retries 1
check "one signature, threshold 2: EPOXY-E1013" refused EPOXY-E1013
serve "$P" server mix:kernel:"$W/srvb/kernel"
agent1 "$P" --retries 1
check "kernel of another release, 1 byte shorter (mix-and-match): EPOXY-E1221" refused EPOXY-E1221
head -c 3000000 /dev/urandom >"$W/k3"
serve "$P" server mix:kernel:"$W/k3"
agent1 "$P" --retries 1
check "same-length kernel of another build: EPOXY-E1030" refused EPOXY-E1030
serve "$P" server mix:initramfs:"$W/srvb/initramfs"
agent1 "$P" --retries 1
check "initramfs of release 8 with release 7 (same length): EPOXY-E1030" refused EPOXY-E1030
echo 7 >"$W/etc/floor"
serve "$P" server
agent1 "$P"
check "release at the floor (7 = 7) boots" booted
echo 5 >"$W/etc/floor"
stop
done_testing
