#!/bin/bash
# t_housekeeping: epoxyd's periodic housekeeping (housekeeping_interval).
#   - a session a node left open (it died mid-boot) is closed as "expired"
#     once it is older than session_max_age, and its tokens are refused;
#   - a fresh session is left alone;
#   - tokens spent or expired longer than token_retention ago are deleted;
#     a replay of one is then refused as unknown (E2001) instead of E2003;
#   - a session_max_age shorter than the token lifetimes is refused by -n.
# The clock moves with epoxyd's documented clock_offset knob, set on a
# restart, as in t_tokens.
. "$(dirname "$0")/../lib/epoxyd.sh"

epoxyd_setup || bail "setup"
echo "housekeeping_interval 1" >>"$T_DIR/epoxyd.conf"
epoxyd_start || bail "epoxyd did not start"
session_state() { sqlite3 "$DB" "select state from sessions where id = '$1'"; }
ntok() { sqlite3 "$DB" "select count(*) from tokens where session = '$1'"; }

# session A: the node fetches its manifest, then dies
is "$(open_session)" 200 "session A opened"
A=$(sqlite3 "$DB" "select id from sessions order by opened desc, rowid desc limit 1")
MT=$(tok manifest); KT=$(tok kernel)
is "$(answer /v1/manifest "$MT" | cut -c1-4)" "200 " "session A's manifest token spent"
sleep 2.5
is "$(session_state "$A")" open "a session younger than session_max_age stays open"

# an hour and a bit later (session_max_age 3600)
epoxyd_stop
epoxyd_start -o clock_offset=3700 || bail "restart"
for i in $(seq 1 40); do [ "$(session_state "$A")" = expired ] && break; sleep 0.1; done
is "$(session_state "$A")" expired "housekeeping closed the abandoned session as expired"
ok "$(grep -q 'housekeeping: 1 sessions expired' "$T_DIR/epoxyd.log"; echo $?)" "and said so in the log"
is "$(answer /v1/artifact/kernel "$KT")" "403 EPOXY-E2002" "its unspent kernel token is dead (tokens expire before session_max_age)"
is "$(open_session)" 200 "session B opened (now)"
B=$(sqlite3 "$DB" "select id from sessions order by opened desc, rowid desc limit 1")
sleep 2.5
is "$(session_state "$B")" open "a fresh session is not expired"
ok "$([ "$(ntok "$A")" -gt 0 ]; echo $?)" "session A's tokens are kept within token_retention"
is "$(answer /v1/manifest "$MT")" "403 EPOXY-E2003" "a replay within token_retention reads 'already used'"

# past token_retention (86400 s): A's tokens are gone, B's (younger) too
# only once they are older than the retention
epoxyd_stop
epoxyd_start -o clock_offset=95000 || bail "restart"
for i in $(seq 1 40); do [ "$(ntok "$A")" = 0 ] && break; sleep 0.1; done
is "$(ntok "$A")" 0 "tokens spent or expired longer than token_retention ago are purged"
is "$(answer /v1/manifest "$MT")" "403 EPOXY-E2001" "a replay of a purged token is refused as unknown"
is "$(session_state "$B")" expired "session B, abandoned too, expired in its turn"
ok "$(grep -q 'secret\|[0-9a-f]\{64\}' "$T_DIR/epoxyd.log"; [ $? = 1 ]; echo $?)" "no token in the log"

# a session_max_age that tokens could outlive is a configuration error
out=$("$BIN/epoxyd" -c "$T_DIR/epoxyd.conf" -o session_max_age=600 -n 2>&1); rc=$?
is "$rc $(grep -o 'session_max_age' <<<"$out" | head -1)" "1 session_max_age" \
	"-n refuses session_max_age below long_token_ttl + token_ttl"
out=$("$BIN/epoxyd" -c "$T_DIR/epoxyd.conf" -o housekeeping_interval=0 -n 2>&1); rc=$?
is "$rc" 0 "housekeeping_interval 0 (off) is a valid configuration"
done_testing
