#!/bin/bash
# t_rollout: release rollouts (issue 16 point 2) on a real epoxyd with a
# simulated fleet of ROLLOUT_HOSTS (default 1,000) hosts at 100 sites,
# booted by the storm simulator's join mode (epoxyd-storm ... join): a
# host served the new release fetches its join credential, gets a node
# certificate and heartbeats (so it is `joined`), a host served a bad
# release reports stage 2 failed.  Each round boots every host that has
# not joined on the new release yet, the way an operator reboots them.
#  - a good release reaches every unpinned host in waves: canaries from
#    distinct sites first; no host had a session of the new release before
#    it was moved or before the wave before its own had completed; the
#    pinned host never moves; the channel ends on the new release; the
#    audit log has one entry per wave and their counts add up to the fleet;
#  - a release that makes 3 canaries fail (max-failures 2) halts: every
#    host but the canaries boots the old release, resume is refused, abort
#    sends the canaries back;
#  - kill -9 of epoxyd with a wave in flight, restart: the rollout goes on
#    to the end, each wave moved once;
#  - the status page (/ui/releases) shows the rollout's progress;
#  - with ROLLOUT_PG=1 (t_rollout_pg.sh) the store is PostgreSQL and two
#    epoxyd share it, both advancing rollouts: every wave moved once, no
#    host moved twice.
. "$(dirname "$0")/../lib/epoxyd.sh"
DEVKEYS=$O/keys
STORM=$BIN/epoxyd-storm
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$STORM"
N=${ROLLOUT_HOSTS:-1000}
SEED=$BIN/epoxyd-seed

if [ -n "${ROLLOUT_PG:-}" ]; then
	need psql
	epoxyd_pg || bail "PostgreSQL started"
	epoxyd_setup - "$STORE" || bail "setup"
else
	epoxyd_setup || bail "setup"
fi
cp -p "$DEVKEYS/node-ca.crt" "$DEVKEYS/node-ca.key" "$KEYS/" || bail "node CA"
printf 'node_ca_cert %s\nnode_ca_key %s\nnode_cert_ttl 900\nhousekeeping_interval 1\n' \
	"$KEYS/node-ca.crt" "$KEYS/node-ca.key" >>"$T_DIR/epoxyd.conf"
for v in 8 9 10 11; do
	"$SEED" release "$STORE" "$DATA" "$KEYS" qemu-x86_64 "$v" "$EXPIRES" \
		"$T_DIR/art/kernel" "$T_DIR/art/initramfs" "$T_DIR/art/cmdline" "$T_DIR/art/join" \
		>/dev/null || bail "release $v"
done
"$SEED" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
t0=$(date +%s)
"$SEED" fleet "$STORE" "$N" "$T_DIR/fleet" >/dev/null || bail "fleet of $N"
diag "seeded $N hosts in $(( $(date +%s) - t0 )) s"
# 100 sites; host n<i> at site s<i mod 100>
for i in $(seq 0 99); do echo "INSERT INTO sites (name, description, created) VALUES ('s$i', 'rollout', 0);"; done \
	>"$T_DIR/sites.sql"
echo "UPDATE hosts SET site = 's' || CAST(CAST(substr(name, 2) AS INTEGER) % 100 AS TEXT) WHERE name LIKE 'n%' AND name <> 'node1';" \
	>>"$T_DIR/sites.sql"
if [ -n "$PG_CONN" ]; then psql "$PG_CONN" -qAt -v ON_ERROR_STOP=1 -f "$T_DIR/sites.sql" >/dev/null
else sqlite3 "$DB" <"$T_DIR/sites.sql"; fi
is "$(sql "SELECT COUNT(DISTINCT site) FROM hosts WHERE site <> ''")" 100 "100 sites"
[ "$(id -u)" = 0 ] && chown -R nobody "$DATA"
openssl ecparam -name prime256v1 -genkey -noout -out "$T_DIR/fleet.key" 2>/dev/null || bail "fleet key"

export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
export HOME=$T_DIR/home
unset EPOXY_CONFIG
ro_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/out" 2>"$T_DIR/err"; }
# ro_field FIELD: FIELD of the first record of `rollout status --json` output
ro_field() { jq -rs "(.[0] | if type == \"array\" then .[0] else . end).$1" "$T_DIR/out" 2>/dev/null; }
status() { ro_ctl release rollout status --channel stable --json && ro_field "$1"; }

# boot_round PORT NEW FAIL [NAMES-FILE]: boots every host of the fleet not in
# T_DIR/joined (or the hosts named in NAMES-FILE) once; appends the joined
# ones to T_DIR/joined; the simulator's lines to T_DIR/boots
boot_round() {
	local port=$1 new=$2 fail=$3 names=${4:-} n
	if [ -n "$names" ]; then grep -wFf "$names" "$T_DIR/fleet" >"$T_DIR/round"
	else grep -vwFf "$T_DIR/joined" "$T_DIR/fleet" >"$T_DIR/round"; fi
	n=$(wc -l <"$T_DIR/round")
	[ "$n" -gt 0 ] || return 0
	"$STORM" "$T_DIR/round" "$port" "$CA_CRT" 16 "$n" 0.05 join "$T_DIR/fleet.key" "$new" "$fail" \
		>"$T_DIR/round.out" 2>>"$T_DIR/storm.err"
	grep '^boot ' "$T_DIR/round.out" >>"$T_DIR/boots"
	awk '$4 == "joined" {print $2}' "$T_DIR/round.out" >>"$T_DIR/joined"
	grep -c ' error$' "$T_DIR/round.out" >>"$T_DIR/errors"
}
# until_state STATE NEW FAIL ROUNDS [PORT...]: boot rounds (alternating over
# the ports) until the rollout is in STATE; 0 if it got there
until_state() {
	local want=$1 new=$2 fail=$3 rounds=$4 r p; shift 4
	local ports=("$@")
	[ ${#ports[@]} -gt 0 ] || ports=("$HTTPS_PORT")
	for r in $(seq 1 "$rounds"); do
		p=${ports[$((r % ${#ports[@]}))]}
		boot_round "$p" "$new" "$fail"
		sleep 2    # housekeeping (every second) advances the rollout
		[ "$(status state)" = "$want" ] && return 0
	done
	return 1
}
ver() { sql "SELECT version FROM channels WHERE name = 'stable'"; }
rid() { sql "SELECT MAX(id) FROM rollouts"; }
# waves_once ID: "WAVES ENTRIES DISTINCT MOVED": the rollout's wave count,
# its rollout.wave audit entries, distinct waves among them, hosts they moved
waves_once() {
	local waves d
	waves=$(sql "SELECT waves FROM rollouts WHERE id = $1")
	d=$(sql "SELECT detail FROM audit WHERE action = 'rollout.wave' AND detail LIKE 'rollout=$1 %'")
	echo "$waves $(grep -c . <<<"$d") $(grep -o 'wave=[0-9]*' <<<"$d" | sort -u | wc -l)" \
		"$(grep -o 'moved=[0-9]*' <<<"$d" | cut -d= -f2 | paste -sd+ | bc)"
}
# wave_order ID VERSION: hosts that had a session of VERSION before their
# move, or before the wave ahead of theirs completed (both must be 0)
wave_order() {
	local id=$1 v=$2 w waves early=0 done_at first
	early=$(sql "SELECT COUNT(*) FROM rollout_hosts rh WHERE rh.rollout = $id AND EXISTS
		(SELECT 1 FROM sessions s WHERE s.host = rh.host AND s.version = $v AND s.opened < rh.moved_at)")
	waves=$(sql "SELECT waves FROM rollouts WHERE id = $id")
	for w in $(seq 1 $((waves - 1))); do
		done_at=$(sql "SELECT MAX(done_at) FROM rollout_hosts WHERE rollout = $id AND wave = $((w - 1))")
		first=$(sql "SELECT COUNT(*) FROM rollout_hosts rh WHERE rh.rollout = $id AND rh.wave = $w
			AND EXISTS (SELECT 1 FROM sessions s WHERE s.host = rh.host AND s.version = $v
			AND s.opened < $done_at)")
		early=$((early + first))
	done
	echo "$early"
}
: >"$T_DIR/joined"; : >"$T_DIR/boots"; : >"$T_DIR/errors"

epoxyd_start || bail "epoxyd did not start"
ro_ctl release promote 7 --channel stable; ok $? "stable at release 7"
ro_ctl release pin n3 7; ok $? "n3 pinned to 7"
ro_ctl release pin node1 7; ok $? "node1 (the fixture's host, not in the simulated fleet) pinned to 7"
H=$((N - 1))   # the hosts a rollout takes: n0..n<N-1> but n3
# waves STEP-PERCENT: the wave count of a rollout of H hosts with 10 canaries
waves() { local step=$(( (H * $1 + 99) / 100 )); echo $(( 1 + (H - 10 + step - 1) / step )); }

# ---- refusals, nothing started
ro_ctl release rollout 8 --channel stable --canary 0
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2380" "canary 0: refused"
ro_ctl release rollout 8 --channel stable --wait 1w
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2380" "wait 1w: refused"
ro_ctl release rollout 8 --channel stable --step 30
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2380" "step without %: refused"
ro_ctl release rollout 7 --channel stable
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2385" "rollout of the channel's own release: refused"
ro_ctl release rollout 99 --channel stable
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2511" "unpublished release: refused"
ro_ctl release rollout status --channel stable
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2382" "no rollout yet"
ro_ctl release rollout pause --channel stable --canary 3
is "$?" 2 "pause --canary: usage"
is "$(sql 'SELECT COUNT(*) FROM rollouts')" 0 "refusals started nothing"

# ---- a good release in waves
ro_ctl release rollout 8 --channel stable --canary 10 --step 25% --json
ok $? "rollout 8 started"
is "$(ro_field state) $(ro_field hosts) $(ro_field waves) $(ro_field moved)" "running $H $(waves 25) 10" \
	"running: $H unpinned hosts, $(waves 25) waves, 10 canaries moved"
ro_ctl release rollout 8 --channel stable
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2381" "a second rollout on the channel: refused"
R1=$(rid)
is "$(sql "SELECT COUNT(DISTINCT site) FROM rollout_hosts WHERE rollout = $R1 AND wave = 0")" 10 \
	"the 10 canaries come from 10 sites"
sql "SELECT host FROM rollout_hosts WHERE rollout = $R1 AND wave = 0" >"$T_DIR/canaries"
grep -vwFf "$T_DIR/canaries" "$T_DIR/fleet" | cut -d' ' -f1 >"$T_DIR/others"
boot_round "$HTTPS_PORT" 8 0 "$T_DIR/others"
is "$(awk '$3 == 7' "$T_DIR/round.out" | wc -l)" $((N - 10)) "before the canaries joined every other host boots 7"
boot_round "$HTTPS_PORT" 8 0 "$T_DIR/canaries"
is "$(grep -c ' 8 joined$' "$T_DIR/round.out")" 10 "the 10 canaries joined on 8"
t0=$(date +%s)
until_state "done" 8 0 12; ok $? "the rollout of 8 is done"
diag "rollout of 8 to $N hosts: $(( $(date +%s) - t0 )) s after the canaries, $(wc -l <"$T_DIR/boots") boots"
is "$(ver)" 8 "channel stable now at 8"
is "$(status joined) $(status failed)" "$H 0" "every unpinned host joined, none failed"
is "$(wave_order "$R1" 8)" 0 "no host had release 8 before its move or before the wave ahead completed"
is "$(sql "SELECT COUNT(*) FROM sessions WHERE host = 'n3' AND version <> 7")" 0 "the pinned host never moved"
is "$(sql "SELECT COUNT(*) FROM rollout_hosts WHERE host IN ('n3', 'node1')")" 0 "pinned hosts are in no rollout"
is "$(sql "SELECT COUNT(DISTINCT host) FROM sessions WHERE version = 8")" "$H" "release 8 reached every unpinned host"
W=$(waves 25)
is "$(waves_once "$R1")" "$W $W $W $H" "audit: one entry per wave, $H hosts moved once"
is "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'rollout.start' AND subject = 'stable' AND actor = 'admin:ops'")" 1 \
	"audit: the start, by the admin"
is "$(paste -sd+ "$T_DIR/errors" | bc)" 0 "no simulated boot failed on the way"
hs /ui/releases -H "Authorization: Epoxy-Admin $(cat "$T_DIR/admin.cred")" -o "$T_DIR/page"
grep -qF "<tr class=\"rollout\" id=\"rollout-stable\"><td><a href=\"/ui/rollout/stable\">stable</a></td><td>7 &rarr; 8</td><td class=\"state-done\">done</td><td>$W / $W</td><td>$H</td><td>0</td><td>0</td><td>$H</td><td>0</td>" \
	"$T_DIR/page"
ok $? "the status page's releases show the rollout done, $H joined"

# ---- a bad release: 3 canaries fail, halt
ro_ctl release rollout 9 --channel stable --canary 10 --max-failures 2; ok $? "rollout 9 started"
R2=$(rid)
sql "SELECT host FROM rollout_hosts WHERE rollout = $R2 AND wave = 0 ORDER BY ord" >"$T_DIR/canaries"
head -3 "$T_DIR/canaries" >"$T_DIR/three"
boot_round "$HTTPS_PORT" 0 9 "$T_DIR/three"
is "$(grep -c ' 9 failed$' "$T_DIR/round.out")" 3 "3 canaries failed on 9"
sleep 3
is "$(status state) $(status failed)" "halted 3" "halted with 3 failed"
: >"$T_DIR/joined"
boot_round "$HTTPS_PORT" 0 9
is "$(awk '$3 == 9' "$T_DIR/round.out" | wc -l)" 10 "after the halt the 10 canaries, and only they, boot 9"
is "$(awk '$3 == 8' "$T_DIR/round.out" | wc -l)" $((N - 11)) "every host not moved boots 8 (n3: 7)"
is "$(sql "SELECT COUNT(*) FROM sessions s WHERE s.version = 9 AND s.host NOT IN
	(SELECT host FROM rollout_hosts WHERE rollout = $R2 AND wave = 0)")" 0 "no other host ever had release 9"
is "$(ver)" 8 "channel stable stays at 8"
is "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'rollout.halt' AND detail LIKE 'rollout=$R2 %'")" 1 \
	"audit: the halt"
ro_ctl release rollout resume --channel stable
is "$?:$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" "1:EPOXY-E2386" "resume of a halted rollout: refused"
ro_ctl why "$(head -1 "$T_DIR/canaries")"
grep -q 'EPOXY-E1322' "$T_DIR/out"; ok $? "epoxyctl why shows the canary's failure code"
ro_ctl release rollout abort --channel stable; ok $? "abort"
boot_round "$HTTPS_PORT" 0 9 "$T_DIR/canaries"
is "$(awk '$3 == 8' "$T_DIR/round.out" | wc -l)" 10 "after the abort the canaries boot 8 again"
is "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'rollout.abort' AND actor = 'admin:ops'")" 1 "audit: the abort"

# ---- kill -9 mid-rollout, restart, it goes on
: >"$T_DIR/joined"
ro_ctl release rollout 10 --channel stable --canary 10 --step 50%; ok $? "rollout 10 started"
R3=$(rid)
boot_round "$HTTPS_PORT" 10 0
for i in $(seq 1 20); do [ "$(status wave)" = 1 ] && break; sleep 0.5; done
is "$(status wave)" 1 "canaries joined: wave 1 moved"
kill -9 "$SRV_PID"; wait "$SRV_PID" 2>/dev/null; SRV_PID=
epoxyd_start || bail "epoxyd did not restart"
until_state "done" 10 0 10; ok $? "after kill -9 and restart the rollout of 10 is done"
W=$(waves 50)
is "$(waves_once "$R3")" "$W $W $W $H" "each wave moved once, every host once"
is "$(wave_order "$R3" 10)" 0 "wave order kept across the restart"
is "$(ver)" 10 "channel stable at 10"

# ---- two epoxyd on one PostgreSQL
if [ -n "$PG_CONN" ]; then
	: >"$T_DIR/joined"
	PORT2=$(free_port 2) || bail "second port"
	sed -e "s/^https_port .*/https_port $PORT2/" -e "s/^http_port .*/http_port $((PORT2 + 1))/" \
		"$T_DIR/epoxyd.conf" >"$T_DIR/epoxyd2.conf"
	"$BIN/epoxyd" -c "$T_DIR/epoxyd2.conf" 2>>"$T_DIR/epoxyd2.log" &
	PID2=$!
	at_exit kill "$PID2"
	for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT2 + 1))/healthz" >/dev/null && break; sleep 0.05; done
	ro_ctl release rollout 11 --channel stable --canary 10 --step 20%; ok $? "rollout 11 started (two epoxyd)"
	R4=$(rid)
	until_state "done" 11 0 16 "$HTTPS_PORT" "$PORT2"; ok $? "two epoxyd on one store finish the rollout of 11"
	W=$(waves 20)
	is "$(waves_once "$R4")" "$W $W $W $H" "each of $W waves moved once, every host once"
	is "$(wave_order "$R4" 11)" 0 "wave order kept with two epoxyd"
	# which epoxyd moves a wave is a race each second; neither may fail at it
	! grep -q 'rollouts: EPOXY-E' "$T_DIR/epoxyd.log" "$T_DIR/epoxyd2.log"
	ok $? "neither epoxyd's rollout tick failed (both ticked every second)"
	kill "$PID2"; wait "$PID2" 2>/dev/null
fi
epoxyd_stop
done_testing
