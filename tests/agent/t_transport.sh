#!/bin/bash
# t_transport: endless data, slow retrieval and TLS: a body longer than
# signed (E1220/E1113), a lying Content-Length (E1115), a trickle (E1119),
# a wrong CA (E1102), a wrong name (E1106), TLS 1.1 (E1103), no server
# (E1100): no connection or no use of the bytes, never a kexec.
. "$(dirname "$0")/lib.sh"
P=$(free_port 2) || bail "two free loopback ports"
fixtures
serve "$P" server long:kernel
agent1 "$P" --retries 1
check "chunked body longer than signed: stopped (EPOXY-E1113)" refused EPOXY-E1113
serve "$P" server liecl:kernel
agent1 "$P" --retries 1
check "Content-Length below the bytes sent: EPOXY-E1115" refused EPOXY-E1115
serve "$P" server bigcl:initramfs
agent1 "$P" --retries 1
check "Content-Length above the signed length: EPOXY-E1115" refused EPOXY-E1115
serve "$P" server trickle:kernel
t0=$(date +%s)
agent1 "$P" --retries 2 --min-rate 8192
t1=$(date +%s)
check "trickling server: EPOXY-E1119" refused EPOXY-E1119
check "trickle abandoned within its limits ($((t1 - t0)) s)" test $((t1 - t0)) -le 20
check "retried with the next token after the trickle" grep -q 'attempt 2 of 2' "$W/out"
serve "$P" wrongca
agent1 "$P" --retries 1
check "certificate from another CA: EPOXY-E1102" refused EPOXY-E1102
serve "$P" wrongname
agent1 "$P" --retries 1
check "certificate for another name: EPOXY-E1106" refused EPOXY-E1106
stop
openssl s_server -accept "127.0.0.1:$P" -cert "$W/server.pem" -key "$W/server.key" \
  -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -quiet -www >"$W/s11.log" 2>&1 &
S11=$!
sleep 0.5
agent1 "$P" --retries 1
kill $S11 2>/dev/null; wait $S11 2>/dev/null
# the agent offers only TLS 1.2 AEAD suites: a TLS 1.1-only server finds no
# suite to answer with and aborts the handshake (E1101); a server that
# answered with TLS 1.1 anyway gets E1103 (next test)
check "TLS 1.1-only server: no connection (EPOXY-E1101/E1103)" refused 'EPOXY-E110[13]'
check "TLS 1.1 server saw no request" bash -c "! grep -q 'GET\|POST' '$W/s11.log'"
# a server that answers the ClientHello with a TLS 1.1 ServerHello
# (ECDHE-ECDSA-AES128-GCM offered back): the agent refuses the version
{ printf '\x16\x03\x02\x00\x2a\x02\x00\x00\x26\x03\x02'; printf 'A%.0s' $(seq 32)
  printf '\x00\xc0\x2b\x00'; } >"$W/sh11.bin"
socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr" SYSTEM:"sleep 0.3; cat '$W/sh11.bin'; sleep 2" &
S11=$!
sleep 0.3
agent1 "$P" --retries 1
kill $S11 2>/dev/null; wait $S11 2>/dev/null
check "server answering with TLS 1.1: EPOXY-E1103" refused EPOXY-E1103
agent1 "$((P + 1))" --retries 1
check "no server: EPOXY-E1100" refused EPOXY-E1100
serve "$P" server
agent1 "$P"
check "fresh boot still succeeds" booted
stop
done_testing
