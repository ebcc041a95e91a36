#!/usr/bin/env bash
# t_experiment: `epoxyctl experiment` and `epoxyctl data` (issue 15 point 3)
# against a real epoxyd (SQLite; EXP_PG=1, as t_experiment_pg.sh sets it:
# a real PostgreSQL store), with bundles uploaded by two nodes over mutual
# TLS with node certificates got as a joined node gets them (node_cert,
# tests/lib/epoxyd.sh).  Asserts: create, list, show, set and delete, each
# audited with the admin's name; usage errors exit 2 and send nothing;
# every server refusal carries its stable code (E2345-E2350, E2520,
# E2509, E2340) and changes nothing; data list filters by experiment,
# node, time window, limit and public state, and says when each bundle
# becomes public; data get of an admin returns the bundle's bytes (audited
# data.get embargoed=yes) whatever its embargo, while data get without
# the admin credential, or with --public, and the public GET are refused
# (404 E2344) until the embargo ends on the server's clock; data get keeps
# nothing when the bytes received do not hash to the name (E2351); an
# experiment with bundles cannot be deleted (E2348).
. "$(dirname "$0")/../ctl/lib.sh"
need_built "$O/keys/node-ca.crt"

if [ -n "${EXP_PG:-}" ]; then epoxyd_pg || bail "a PostgreSQL store"; fi
epoxyd_setup - "${STORE:-}" || bail "setup"
node_ca || bail "node CA"
"$BIN/epoxyd-seed" host "$STORE" node2 52-54-00-00-00-02 >/dev/null || bail "node2"
"$BIN/epoxyd-seed" cred "$STORE" node2 "$T_DIR/cred.node2" >/dev/null || bail "node2 cred"
ctl admin init --store "$STORE" --name ops --out "$T_DIR/admin.cred" || bail "admin credential" "$(cat "$T_DIR/err")"
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
export HOME=$T_DIR/home
unset EPOXY_CONFIG
epoxyd_start || bail "epoxyd did not start"
diag "store: $STORE"
N=$T_DIR/node; W=$T_DIR/w; mkdir -p "$N" "$W"
is "$(node_cert node1 52-54-00-12-34-56 "$N")" 200 "node1 has a node certificate"
is "$(node_cert node2 52-54-00-00-00-02 "$N")" 200 "node2 has a node certificate"

# code: the EPOXY-E code in the last command's stderr
exp_code() { grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1; }
exp_audits() { sql "SELECT count(*) FROM audit WHERE action = '$1' AND subject = '$2'"; }
exp_nrows() { sql "SELECT count(*) FROM experiments"; }

# ---- usage errors: exit 2, nothing sent (the server's log sees nothing)
before=$(grep -c 'admin:' "$T_DIR/epoxyd.log")
while IFS='|' read -r args why; do
	# shellcheck disable=SC2086 # the table's arguments are words
	ctl $args; is $? 2 "usage: $why (epoxyctl $args)"
done <<'EOF'
experiment|no subcommand
experiment bogus|unknown subcommand
experiment create|create without a name
experiment list extra|list with an argument
experiment show|show without a name
experiment create x y|create with two names
experiment create x --embargo 3651|embargo over 3650 days
experiment create x --embargo -1|negative embargo
experiment create x --embargo 1x|unknown embargo unit
experiment create x --embargo 11y|embargo of 11 years
experiment create x --embargo 007|embargo with a leading zero
experiment create x --embargo d|embargo unit without a number
experiment list --slice s|an option list does not take
experiment delete x --embargo 1|an option delete does not take
experiment set x|set with nothing to set
experiment create x --bogus 1|an unknown option
data|no subcommand
data bogus|unknown subcommand
data get|get without a name
data get node1/ndt|a name without its hash
data get node1/ndt/abc|a short hash
data get Node1/ndt/0000000000000000000000000000000000000000000000000000000000000000|an uppercase node
data get node1/.x/0000000000000000000000000000000000000000000000000000000000000000|a hidden experiment
data get node1/ndt/000000000000000000000000000000000000000000000000000000000000000A|uppercase hex
data get node1/ndt/0000000000000000000000000000000000000000000000000000000000000000/x|a trailing part
data list --since yesterday|a time that is no time
data list --since 2026-02-31|a day that does not exist
data list --until 2026-13-01|a month that does not exist
data list --since -5|a negative time
data list x|list with an argument
data list --out f|an option list does not take
data show node1/ndt|show of a partial name
data show node1/ndt/0000000000000000000000000000000000000000000000000000000000000000 --public|an option show does not take
EOF
is "$(grep -c 'admin:' "$T_DIR/epoxyd.log")" "$before" "...none of them reached epoxyd"
is "$(exp_nrows)" 0 "...and no experiment exists"

# ---- create, list, show, set
ctl experiment create ndt --datatypes tcpinfo,annotation --embargo 0; is $? 0 "create ndt"
grep -q '^datatypes *tcpinfo,annotation$' "$T_DIR/out"; ok $? "...answers its record" "$(cat "$T_DIR/out")"
ctl experiment create wehe --embargo 1w --slice wehe-slice --json; is $? 0 "create wehe (1 week, a slice)"
is "$(jq -r '.embargo_days + "/" + .slice' "$T_DIR/out")" "7/wehe-slice" "...--json: 1w is 7 days"
ctl experiment create empty; is $? 0 "create an experiment with no datatype and no embargo"
ctl experiment list --json; is $? 0 "list"
is "$(jq -r '[.[].name] | join(",")' "$T_DIR/out")" "empty,ndt,wehe" "...the three, by name"
ctl experiment list; grep -q '^name' "$T_DIR/out" && grep -q '^wehe .*7 .*wehe-slice' "$T_DIR/out"
ok $? "...as a table" "$(cat "$T_DIR/out")"
ctl experiment set wehe --embargo 2 --json; is $? 0 "set wehe's embargo to 2 days"
is "$(jq -r '.embargo_days + "/" + .slice' "$T_DIR/out")" "2/wehe-slice" "...the slice kept"
ctl experiment set wehe --slice '' --json; is "$(jq -r '.slice' "$T_DIR/out")" "" "set --slice '' clears it"
ctl experiment show ndt --json; is $? 0 "show ndt"
is "$(jq -r '.bundles + "/" + .public_bundles' "$T_DIR/out")" "0/0" "...no bundle yet"

# ---- the server's refusals, with their stable codes, changing nothing
n0=$(exp_nrows); a0=$(sql "SELECT count(*) FROM audit")
while IFS='|' read -r want args why; do
	# shellcheck disable=SC2086
	ctl $args; rc=$?
	is "$rc $(exp_code)" "1 $want" "refused: $why"
done <<'EOF'
EPOXY-E2347|experiment create ndt|create of an existing name
EPOXY-E2345|experiment create Upper|an uppercase name
EPOXY-E2345|experiment create .hidden|a hidden name
EPOXY-E2345|experiment create a!b|a name with a '!'
EPOXY-E2349|experiment create x --datatypes a,,b|an empty datatype
EPOXY-E2349|experiment create x --datatypes a,|a trailing comma
EPOXY-E2349|experiment create x --datatypes Tcp|an uppercase datatype
EPOXY-E2349|experiment create x --slice Bad|a malformed slice
EPOXY-E2346|experiment set nosuch --embargo 1|set of an unknown experiment
EPOXY-E2346|experiment show nosuch|show of an unknown experiment
EPOXY-E2346|experiment delete nosuch|delete of an unknown experiment
EOF
is "$(exp_nrows)" "$n0" "...no experiment added or removed"
is "$(sql "SELECT count(*) FROM audit")" "$a0" "...nothing audited"
is "$(sql "SELECT embargo_days FROM experiments WHERE name = 'wehe'")" 2 "...wehe unchanged"

# ---- uploads: node1 to ndt and wehe, node2 to ndt
exp_up() { # NODE EXPERIMENT FILE: the status of the node's PUT, named as M-Lab's
	curl -s --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
		--cert "$N/$1.crt" --key "$N/$1.key" -X PUT --data-binary @"$3" \
		"https://epoxy.test:$HTTPS_PORT/v1/archive/$2/$(sha256sum "$3" | cut -d' ' -f1)?name=$(arc_name "$2" tcpinfo "$1")" \
		-o /dev/null -w '%{http_code}'
}
for f in a b c; do head -c $((3000 + RANDOM % 3000)) /dev/urandom >"$W/$f"; done
A=$(sha256sum "$W/a" | cut -d' ' -f1); B=$(sha256sum "$W/b" | cut -d' ' -f1); C=$(sha256sum "$W/c" | cut -d' ' -f1)
t0=$(date +%s)
is "$(exp_up node1 ndt "$W/a")" 200 "node1 uploads a bundle of ndt"
is "$(exp_up node1 wehe "$W/b")" 200 "node1 uploads a bundle of wehe (2-day embargo)"
is "$(exp_up node2 ndt "$W/c")" 200 "node2 uploads a bundle of ndt"
head -c 100 /dev/urandom >"$W/dt"
st=$(curl -s --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
	--cert "$N/node1.crt" --key "$N/node1.key" -X PUT --data-binary @"$W/dt" -o "$W/ans" -w '%{http_code}' \
	"https://epoxy.test:$HTTPS_PORT/v1/archive/ndt/$(sha256sum "$W/dt" | cut -d' ' -f1)?name=$(arc_name ndt ndt7 node1)")
is "$st $(head -c 11 "$W/ans")" "403 EPOXY-E2390" "a datatype ndt does not list (ndt7): refused"

# ---- data list and show
ctl data list --json; is $? 0 "data list"
is "$(jq -r '[.[] | .node + "/" + .experiment] | join(" ")' "$T_DIR/out")" "node1/ndt node1/wehe node2/ndt" \
	"...the three bundles, oldest first"
is "$(jq -r --arg b "$B" '.[] | select(.sha256 == $b) | .state' "$T_DIR/out")" embargoed "...wehe's is embargoed"
stored=$(jq -r --arg b "$B" '.[] | select(.sha256 == $b) | .stored' "$T_DIR/out")
is "$(jq -r --arg b "$B" '.[] | select(.sha256 == $b) | .public_at' "$T_DIR/out")" $((stored + 2 * 86400)) \
	"...public_at = stored + 2 days"
[ "$stored" -ge "$t0" ]; ok $? "...stored at the upload's time ($stored >= $t0)"
NA=$(jq -r --arg a "$A" '.[] | select(.sha256 == $a) | .name' "$T_DIR/out")
[[ $NA =~ ^ndt/tcpinfo/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-tcpinfo-node1-ndt\.tgz$ ]]
ok $? "...ndt's bundle has its M-Lab name" "$NA"
is "$(jq -r --arg a "$A" '.[] | select(.sha256 == $a) | .state + " " + .url' "$T_DIR/out")" \
	"public /v1/archive/$NA" "...ndt's is public, with its URL (its name)"
ctl data list --node node1 --json; is "$(jq length "$T_DIR/out")" 2 "--node node1: 2"
ctl data list --experiment ndt --json; is "$(jq length "$T_DIR/out")" 2 "--experiment ndt: 2"
ctl data list --experiment ndt --node node2 --json
is "$(jq -r '.[0].sha256' "$T_DIR/out")" "$C" "--experiment ndt --node node2: node2's bundle"
ctl data list --public --json; is "$(jq -r '[.[].experiment] | join(",")' "$T_DIR/out")" "ndt,ndt" "--public: the two ndt ones"
ctl data list --limit 1 --json; is "$(jq length "$T_DIR/out")" 1 "--limit 1: 1"
ctl data list --since $((t0 + 86400)) --json; is "$(jq length "$T_DIR/out")" 0 "--since tomorrow: none"
ctl data list --since 2000-01-01 --until $((t0 + 86400)) --json; is "$(jq length "$T_DIR/out")" 3 "--since 2000-01-01 --until tomorrow: 3"
ctl data list --until 2000-01-01 --json; is "$(jq length "$T_DIR/out")" 0 "--until 2000-01-01: none"
ctl data list; grep -q "^node  *experiment" "$T_DIR/out" && grep -q "node1 *wehe *$B .*embargoed" "$T_DIR/out"
ok $? "data list as a table" "$(cat "$T_DIR/out")"
ctl data show "node1/wehe/$B" --json; is "$(jq -r '.state + " " + .size' "$T_DIR/out")" "embargoed $(wc -c <"$W/b")" "data show: one record"
ctl data show "node2/wehe/$B"; is "$? $(exp_code)" "1 EPOXY-E2350" "data show of a bundle node2 never sent: refused"
ctl experiment show ndt --json
is "$(jq -r '.bundles + "/" + .public_bundles + "/" + .bytes' "$T_DIR/out")" \
	"2/2/$(( $(wc -c <"$W/a") + $(wc -c <"$W/c") ))" "experiment show counts ndt's bundles and bytes"

# ---- data get: admin, public, embargo
ctl data get "node1/wehe/$B" --out "$W/got.b"; is $? 0 "an admin gets the embargoed bundle"
cmp -s "$W/b" "$W/got.b"; ok $? "...its bytes"
is "$(sql "SELECT count(*) FROM audit WHERE action = 'data.get' AND subject = 'node1/wehe' AND detail LIKE '%embargoed=yes%' AND actor = 'admin:ops'")" 1 \
	"...audited: data.get, embargoed=yes, by the admin"
ctl data get "node1/wehe/$B" --out "$W/got.b"; is $? 2 "--out an existing file: refused (usage)"
ctl data get "node1/wehe/$B" --public --out "$W/pub.b"; is "$? $(exp_code)" "1 EPOXY-E2344" "data get --public of the embargoed bundle: 404 E2344"
[ ! -e "$W/pub.b" ] && [ ! -e "$W/pub.b.part" ]; ok $? "...no file left"
EPOXY_ADMIN_CREDENTIAL='' ctl data get "node1/wehe/$B" --out "$W/pub.b"; is "$? $(exp_code)" "1 EPOXY-E2344" \
	"data get without an admin credential: the public path, refused the same"
ctl data get "node9/wehe/$B" --out "$W/x"; is "$? $(exp_code)" "1 EPOXY-E2350" "an admin's get of an unknown bundle: E2350"
is "$(hs_code "/v1/archive/node1/wehe/$B")" 404 "the public GET of it: 404"
hs /v1/archive/ | grep -q "/wehe/"; is $? 1 "...nor in the public listing"
EPOXY_ADMIN_CREDENTIAL='' ctl data get "node1/ndt/$A" --out "$W/pub.a"; is $? 0 "data get without credential of a public bundle"
cmp -s "$W/a" "$W/pub.a"; ok $? "...its bytes"
ctl data get "node2/ndt/$C"; cmp -s "$W/c" "$T_DIR/out"; ok $? "data get to standard output"
# the archive's copy changed on disk: the bytes do not hash to the name
cp -p "$DATA/archive/$NA" "$W/keep.a"
flip_byte "$DATA/archive/$NA" 100
ctl data get "node1/ndt/$A" --out "$W/bad.a"; is "$? $(exp_code)" "1 EPOXY-E2351" "bytes that do not hash to the name: refused"
[ ! -e "$W/bad.a" ] && [ ! -e "$W/bad.a.part" ]; ok $? "...nothing kept"
cp -p "$W/keep.a" "$DATA/archive/$NA"

# ---- malformed admin requests, by hand
exp_adm() { # METHOD PATH: "status first-11-bytes"
	hs "$2" -X "$1" -H "Authorization: Epoxy-Admin $(cat "$T_DIR/admin.cred")" -o "$W/ans" -w '%{http_code}'
	echo " $(head -c 11 "$W/ans")"
}
while IFS='|' read -r want m p; do
	is "$(exp_adm "$m" "$p")" "$want" "admin API refuses $m ${p:0:60}"
done <<EOF
400 EPOXY-E2520|GET|/admin/v1/data?since=abc
400 EPOXY-E2520|GET|/admin/v1/data?limit=0
400 EPOXY-E2520|GET|/admin/v1/data?limit=10001
400 EPOXY-E2520|GET|/admin/v1/data?node=Node1
400 EPOXY-E2520|GET|/admin/v1/data?since=10&until=10
400 EPOXY-E2520|GET|/admin/v1/data?public=2
400 EPOXY-E2520|GET|/admin/v1/data?experiment=.x
400 EPOXY-E2520|GET|/admin/v1/data?sha256=abc
400 EPOXY-E2509|GET|/admin/v1/data?bogus=1
400 EPOXY-E2340|GET|/admin/v1/data/node1/wehe/xyz
400 EPOXY-E2340|GET|/admin/v1/data/node1/wehe/${B^^}
404 EPOXY-E2350|GET|/admin/v1/data/node1/ndt/$B
404 EPOXY-E2504|GET|/admin/v1/data/node1/wehe
405 EPOXY-E2503|POST|/admin/v1/data
405 EPOXY-E2503|PUT|/admin/v1/experiments
405 EPOXY-E2503|POST|/admin/v1/experiments/ndt
400 EPOXY-E2345|GET|/admin/v1/experiments/Bad
404 EPOXY-E2504|GET|/admin/v1/experiments/ndt/x
EOF
is "$(hs_code /admin/v1/experiments -H "Authorization: Epoxy-Admin $(printf '0%.0s' $(seq 64))")" 401 "a wrong admin credential: 401"
is "$(hs_code /admin/v1/data --cert "$N/node1.crt" --key "$N/node1.key")" 401 "a node certificate is no admin credential: 401"

# ---- delete
ctl experiment delete ndt; is "$? $(exp_code)" "1 EPOXY-E2348" "delete of an experiment with bundles: refused"
is "$(sql "SELECT count(*) FROM experiments WHERE name = 'ndt'")" 1 "...ndt kept"
ctl experiment delete empty --json; is "$? $(jq -r .deleted "$T_DIR/out")" "0 1" "delete of an experiment with no bundle"
ctl experiment show empty; is "$? $(exp_code)" "1 EPOXY-E2346" "...gone"

# ---- the audit log: every change, by the admin
is "$(sql "SELECT actor FROM audit WHERE action = 'experiment.create' AND subject = 'ndt'")" admin:ops \
	"experiment.create audited by the admin who asked (admin:ops)"
is "$(exp_audits experiment.create wehe) $(exp_audits experiment.set wehe) $(exp_audits experiment.delete empty)" "1 2 1" \
	"create, both sets and the delete audited once each"
is "$(sql "SELECT count(*) FROM audit WHERE action = 'archive.stored'")" 3 "each stored bundle audited"
ctl audit verify; is $? 0 "the audit chain verifies"

# ---- the embargo ends on the server's clock
epoxyd_stop
epoxyd_start -o clock_offset=$((3 * 86400)) || bail "epoxyd 3 days ahead"
EPOXY_ADMIN_CREDENTIAL='' ctl data get "node1/wehe/$B" --public --out "$W/pub.b"; is $? 0 "3 days later: data get --public of wehe's bundle"
cmp -s "$W/b" "$W/pub.b"; ok $? "...its bytes"
ctl data list --public --json; is "$(jq length "$T_DIR/out")" 3 "...and data list --public shows all three"
ctl experiment set wehe --embargo 30; is $? 0 "wehe's embargo raised to 30 days"
is "$(hs_code "/v1/archive/node1/wehe/$B")" 404 "...private again at once"
! grep -qE "$(cut -c1-20 "$T_DIR/admin.cred")" "$T_DIR/epoxyd.log"; ok $? "no admin credential in epoxyd's log"
done_testing
