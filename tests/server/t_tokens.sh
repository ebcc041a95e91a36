#!/bin/bash
# t_tokens: the token promises over HTTPS: replayed, cross-purpose,
# cross-host, cross-session (closed session) and expired tokens (fake clock:
# epoxyd's documented clock_offset knob, set on a restart) are refused with
# their stable code and logged without the token; a boot token opens one
# session only.
. "$(dirname "$0")/../lib/epoxyd.sh"

epoxyd_setup || bail "setup"
sed -i 's/^threads 2/threads 4/' "$T_DIR/epoxyd.conf"
"$BIN/epoxyd-seed" host "$STORE" node2 52-54-00-00-00-02 || bail "seed node2"
"$BIN/epoxyd-seed" cred "$STORE" node2 "$T_DIR/cred.node2" || bail "seed node2's credential"
"$BIN/epoxyd-seed" boottoken "$STORE" node2 600 "$T_DIR/boot.node2" || bail "seed node2's boot token"
epoxyd_start || bail "epoxyd did not start"
FORM='Content-Type: application/x-www-form-urlencoded'
audits() { sqlite3 "$DB" "select count(*) from audit where action='token.refused'"; }

is "$(open_session)" 200 "node1 session A"
cp "$T_DIR/session" "$T_DIR/sessA"
is "$(open_session node2 52-54-00-00-00-02 "$(cat "$T_DIR/cred.node2")")" 200 "node2 session B"
cp "$T_DIR/session" "$T_DIR/sessB"
tokA() { awk -v p="$1" '$1 == "token" && $2 == p {print $3}' "$T_DIR/sessA"; }
tokB() { awk -v p="$1" '$1 == "token" && $2 == p {print $3}' "$T_DIR/sessB"; }

# cross-purpose: refused and NOT consumed
a0=$(audits)
is "$(answer /v1/manifest "$(tokA kernel)")" "403 EPOXY-E2006" "kernel token refused for the manifest (cross-purpose)"
is "$(answer /v1/artifact/initramfs "$(tokA kernel)")" "403 EPOXY-E2006" "kernel token refused for the initramfs"
is "$(answer /v1/joincred "$(tokA report)" -X POST)" "403 EPOXY-E2006" "report token refused for the join credential"
is "$(answer /v1/report "$(tokA joincred)" -X POST -H "$FORM" --data 'stage=1&status=ok')" "403 EPOXY-E2006" "joincred token refused for a report"
is "$(answer /v1/manifest "$(tokA manifest)" -o /dev/null)" "200 " "...manifest token works for its own purpose"
hs /v1/artifact/kernel -H "$(bearer "$(tokA kernel)")" -o "$T_DIR/k" -w '%{http_code}' >"$T_DIR/code"
is "$(cat "$T_DIR/code")" 200 "a token refused cross-purpose is not consumed"
is "$(( $(audits) - a0 ))" 4 "each refusal is in the audit log"

# replay
is "$(answer /v1/manifest "$(tokA manifest)")" "403 EPOXY-E2003" "replayed manifest token"
is "$(answer /v1/artifact/kernel "$(tokA kernel)")" "403 EPOXY-E2003" "replayed kernel token"

# cross-host at session open: node2's credential and boot token for node1
N1="host=node1&mac=52-54-00-12-34-56&nonce=$(printf 'cd%.0s' {1..32})&agent=1&stage=1"
b=$(hs /v1/session -H "$FORM" --data "$N1&credential=$(cat "$T_DIR/cred.node2")" -w '\n%{http_code}')
is "${b##*$'\n'} ${b:0:11}" "403 EPOXY-E2022" "node2's credential refused for node1 (cross-host)"
b=$(hs /v1/session -H "$FORM" --data "$N1&token=$(cat "$T_DIR/boot.node2")" -w '\n%{http_code}')
is "${b##*$'\n'} ${b:0:11}" "403 EPOXY-E2004" "node2's boot token refused for node1 (cross-host)"
# ... and still good for node2, once
N2="host=node2&mac=52-54-00-00-00-02&nonce=$(printf 'ef%.0s' {1..32})&agent=1&stage=1"
is "$(hs_code /v1/session -H "$FORM" --data "$N2&token=$(cat "$T_DIR/boot.node2")")" 200 "boot token opens a session for its host"
b=$(hs /v1/session -H "$FORM" --data "$N2&token=$(cat "$T_DIR/boot.node2")" -w '\n%{http_code}')
is "${b##*$'\n'} ${b:0:11}" "403 EPOXY-E2003" "boot token opens one session only"

# tokens name their host: node2's token tells epoxyd it is node2
hs /v1/report -X POST -H "$(bearer "$(tokB report)")" -H "$FORM" --data 'stage=2&status=ok' -o /dev/null
is "$(sqlite3 "$DB" "select host from reports order by id desc limit 1")" node2 "a report is filed under the token's host, not a claimed one"

# cross-session: session B is closed by its ok report; its other tokens die
is "$(answer /v1/manifest "$(tokB manifest)")" "403 EPOXY-E2007" "token of a closed session refused"
is "$(answer /v1/artifact/join "$(tokB join)")" "403 EPOXY-E2007" "artifact token of a closed session refused"
is "$(answer /v1/artifact/join "$(tokA join)" -o /dev/null)" "200 " "session A's tokens live on"

# the same token fired four times at once (four worker threads, four store
# connections): served exactly once
: >"$T_DIR/race"; N=25
for i in $(seq 1 $N); do
	open_session >/dev/null
	t=$(tok cmdline); pids=()
	for _ in 1 2 3 4; do
		( hs /v1/artifact/cmdline -H "$(bearer "$t")" -o /dev/null -w '%{http_code}\n' >>"$T_DIR/race" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
done
is "$(grep -c '^200$' "$T_DIR/race") $(grep -c '^403$' "$T_DIR/race")" "$N $((3 * N))" \
	"$N tokens each raced by 4 clients: $N served, $((3 * N)) refused, no double spend"

# expiry with the fake clock: restart 400 s later (token_ttl 300, long 1800)
epoxyd_stop
epoxyd_start -o clock_offset=400 || bail "restart"
is "$(answer /v1/artifact/cmdline "$(tokA cmdline)")" "403 EPOXY-E2002" "token expired after token_ttl (fake clock +400 s)"
is "$(answer /v1/joincred "$(tokA joincred)" -X POST -o /dev/null)" "200 " "joincred token (long TTL) still valid at +400 s"
epoxyd_stop
epoxyd_start -o clock_offset=2000 || bail "restart"
is "$(answer /v1/report "$(tokA report)" -X POST -H "$FORM" --data 'stage=1&status=fail')" "403 EPOXY-E2002" "report token expired after long_token_ttl (+2000 s)"
is "$(answer /v1/artifact/initramfs "$(tokA initramfs)")" "403 EPOXY-E2002" "unused initramfs token expired too"
epoxyd_stop

# refusals logged with their code, never with the token
for c in E2002 E2003 E2006 E2007 E2022; do
	grep -q "refused.*EPOXY-$c" "$T_DIR/epoxyd.log"; ok $? "refusal EPOXY-$c logged"
done
leak=0
for t in $(awk '$1=="token" {print $3}' "$T_DIR/sessA" "$T_DIR/sessB") $(cat "$T_DIR/boot.node2" "$T_DIR/cred.node2"); do
	grep -qa "$t" "$T_DIR/epoxyd.log" "$DB" "$DB-wal" 2>/dev/null && leak=1
	sqlite3 "$DB" .dump | grep -q "$t" && leak=1
done
is "$leak" 0 "no token or credential in the log, the store or the audit log"
done_testing
