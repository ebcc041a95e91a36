#!/bin/bash
# t_prebody: siblings of issue 13's holes on the node endpoints.  A node
# POST without a live token (or over its endpoint's cap) is answered from
# its headers, its body never read; wrong credentials and unknown tokens
# cost at most 5 full audit entries per kind and minute plus one summary
# with the count; a session refused after its checks (its statement cannot
# be made) spends no boot token and leaves no open session.
. "$(dirname "$0")/../lib/epoxyd.sh"
need timeout

FORM='Content-Type: application/x-www-form-urlencoded'
H64=$(printf 'ab%.0s' {1..32})
# headers_only PATH LENGTH [HEADER...]: sends a POST's headers announcing
# LENGTH body bytes, sends no body, and prints the status line that came
# back within 3 s ("" if epoxyd waited for the body)
headers_only() {
  local path=$1 len=$2 h req; shift 2
  req="POST $path HTTP/1.1\r\nHost: epoxy.test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
  for h in "$@"; do req+="$h\r\n"; done
  req+="Content-Length: $len\r\n\r\n"
  { printf "%b" "$req"; sleep 3; } |
    timeout 6 openssl s_client -quiet -connect "127.0.0.1:$HTTPS_PORT" -servername epoxy.test \
      2>/dev/null | head -1 | cut -c1-12
}

epoxyd_setup || bail "set-up"
"$BIN/epoxyd-seed" boottoken "$STORE" node1 600 "$T_DIR/boot.node1" || bail "seed a boot token"
epoxyd_start || bail "epoxyd did not start" "$(cat "$T_DIR/epoxyd.log")"
is "$(open_session)" 200 "node1 opens a session"
REP=$(tok report)

# --- a node POST is checked from its headers before its body is read
# (bodies announced under each endpoint's cap, so only the token refuses)
is "$(headers_only /v1/report 1000 "Authorization: Bearer $H64")" "HTTP/1.1 403" \
  "report with an unknown token: answered before its body"
is "$(headers_only /v1/report 1000)" "HTTP/1.1 401" \
  "report without a token: answered before its body"
is "$(headers_only /v1/joincred 1000 "Authorization: Bearer $H64")" "HTTP/1.1 403" \
  "joincred with an unknown token: answered before its body"
is "$(headers_only /v1/node/heartbeat 1000)" "HTTP/1.1 404" \
  "heartbeat (node identity off here, E2270): answered before its body"
is "$(headers_only /v1/report 60000 "Authorization: Bearer $REP")" "HTTP/1.1 413" \
  "report with its token but a body over the report cap (not 64 KiB): answered from the headers"
is "$(headers_only /v1/session 60000)" "HTTP/1.1 413" \
  "session with a body over the session cap (not 64 KiB): answered from the headers"
is "$(answer /v1/report "$REP" -X POST -H "$FORM" --data 'stage=1&status=ok' -o /dev/null)" "204 " \
  "the report token refused for its body's size still works"
grep -q 'refused report.*EPOXY-E2001' "$T_DIR/epoxyd.log"; ok $? "the unknown token is logged" \
  "$(tail -5 "$T_DIR/epoxyd.log")"

# --- node-supplied bytes reach epoxyd's log only as printable ASCII
hp_code '/boot/x%9b%1b%5b31m%c2%9b' >/dev/null
hs_code /v1/report -X POST -H "$FORM" -H "Authorization: Bearer $H64" -H $'User-Agent: a\x9bb' \
  --data 'stage=1&status=ok' >/dev/null
LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f-\xff]' "$T_DIR/epoxyd.log" >"$T_DIR/raw"
is "$(cat "$T_DIR/raw")" 0 "no control or 8-bit byte from a request in epoxyd's log"

# --- refusals cost a bounded number of audit entries, and the counts add up
audit_full() { sql "SELECT count(*) FROM audit WHERE action = '$1' AND subject != 'summary'"; }
audit_summed() { sql "SELECT detail FROM audit WHERE action = '$1' AND subject = 'summary'" |
  awk '{n += $1} END {print n + 0}'; }
t0=$(audit_full token.refused) c0=$(audit_full credential.refused)
for i in $(seq 1 30); do
  answer /v1/manifest "$(printf '%02x' "$i")${H64:2}" --interface "127.0.0.$((i % 8 + 10))" >/dev/null
done
WRONG=$(printf 'cd%.0s' {1..32})
for i in $(seq 1 20); do
  hs /v1/session -H "$FORM" --interface "127.0.0.$((i % 8 + 20))" -o /dev/null \
    --data "host=node1&mac=52-54-00-12-34-56&nonce=$H64&agent=1&stage=1&credential=$WRONG"
done
# 5 in full per 60-s window (the loops may straddle two windows: 10)
t1=$(( $(audit_full token.refused) - t0 )) c1=$(( $(audit_full credential.refused) - c0 ))
ok $(( t1 < 5 || t1 > 10 )) "30 unknown tokens: $t1 audit entries in full (5, or 10 across two windows)"
ok $(( c1 < 5 || c1 > 10 )) "20 wrong credentials for node1: $c1 audit entries in full (5 or 10)"
epoxyd_stop    # flushes the counts of the window
is "$(( t1 + $(audit_summed token.refused) ))" 30 "... and summaries count the other unknown tokens: 30 in all"
is "$(( c1 + $(audit_summed credential.refused) ))" 20 "... and summaries count the other wrong credentials: 20 in all"
epoxyd_start || bail "epoxyd did not restart" "$(tail -5 "$T_DIR/epoxyd.log")"

# --- a session whose statement cannot be made spends no boot token
# (the release row's manifest hash made unusable behind epoxyd's back)
MH=$(sql "SELECT manifest_sha256 FROM releases WHERE version = 7")
sql "UPDATE releases SET manifest_sha256 = '$(printf 'zz%.0s' {1..32})' WHERE version = 7" >/dev/null
N1="host=node1&mac=52-54-00-12-34-56&nonce=$(printf 'cd%.0s' {1..32})&agent=1&stage=1"
open_n() { sql "SELECT count(*) FROM sessions WHERE state = 'open'"; }
o0=$(open_n)
b=$(hs /v1/session -H "$FORM" --data "$N1&token=$(cat "$T_DIR/boot.node1")" -w '\n%{http_code}')
is "${b##*$'\n'} ${b:0:11}" "500 EPOXY-E2243" "no statement can be made: the session is refused"
is "$(open_n)" "$o0" "... and no session is left open"
is "$(sql "SELECT count(*) FROM tokens WHERE purpose = 'boot' AND used_at IS NULL")" 1 \
  "... and the boot token is not spent"
sql "UPDATE releases SET manifest_sha256 = '$MH' WHERE version = 7" >/dev/null
is "$(hs_code /v1/session -H "$FORM" --data "$N1&token=$(cat "$T_DIR/boot.node1")")" 200 \
  "the same boot token opens a session once the release is whole again"
done_testing
