#!/bin/bash
# t_keepalive: the agent's requests share one TLS connection (issue 17):
# against a server that keeps connections open, a whole stage 1 is one
# handshake and the server sees every request on it; a server that closes
# between requests without saying so, or drops a request on the kept
# connection unanswered, costs a new connection, never the boot; a
# Content-Length below the bytes sent on a kept connection is still
# EPOXY-E1115 (the extra bytes are never taken for the next answer); a
# cut download resumes on a new connection; a server that says
# "Connection: close" gets one connection per request.
. "$(dirname "$0")/lib.sh"
P=$(free_port 2) || bail "two free loopback ports"
fixtures
reqs() { sed -n 's/.*stage connect \([0-9]*\) requests over [0-9]* TLS handshakes.*/\1/p' "$W/out"; }
hss() { sed -n 's/.*stage connect [0-9]* requests over \([0-9]*\) TLS handshakes.*/\1/p' "$W/out"; }
closed() { sed -n 's/^hostile: connection closed after \([0-9]*\) requests$/\1/p' "$W/srv.log" | tr '\n' ' '; }

serve "$P" server keepalive
agent1 "$P"
check "keep-alive server: boots" booted
n=$(reqs)
check "the agent made its requests ($n)" test "${n:-0}" -ge 5
is "$(hss)" 1 "... over one TLS handshake"
stop
is "$(closed)" "$n " "the server saw all $n requests on one connection, closed by the agent"

serve "$P" server kaclose:2
agent1 "$P"
check "server closing every 2 requests without saying so: boots" booted
is "$(hss)" $(( (n + 1) / 2 )) "... over $(( (n + 1) / 2 )) handshakes (one per 2 requests)"
check "... without an error on the console" bash -c "! grep -q 'EPOXY-E' '$W/out'"

serve "$P" server kadrop:2
agent1 "$P" --retries 1
check "second request dropped unanswered on the kept connection: boots (one attempt)" booted
grep -q 'dropped request 2' "$W/srv.log"; ok $? "... the server did drop it"
is "$(hss)" 2 "... on a second connection"

serve "$P" server keepalive liecl:kernel
agent1 "$P" --retries 1
check "kept connection, Content-Length 100 below the bytes sent: EPOXY-E1115" refused EPOXY-E1115

serve "$P" server keepalive cut:kernel:100000
agent1 "$P"
check "kept connection cut inside the kernel: resumed, boots" booted
grep -q '^EPOXY-E1116 ' "$W/out"; ok $? "the cut was seen (EPOXY-E1116)"
is "$(hss)" 2 "... the resume on a new connection"

serve "$P" server
agent1 "$P"
check "server saying Connection: close: boots" booted
n2=$(reqs)
is "$(hss)" "${n2:-no count}" "... one handshake per request (${n2:-no count})"
stop
done_testing
