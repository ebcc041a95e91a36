#!/bin/bash
# t_fleetsd: the Prometheus file_sd document of the joined nodes (issue 15
# point 4) on a real epoxyd over loopback: GET /admin/v1/fleet/sd lists
# exactly the hosts in state joined (one joined through its certificate
# and first heartbeat, others placed by the seed helper), sorted by site
# then name, each with its target HOST:sd_metrics_port and labels site,
# host and release; a site holding quotes, a backslash, control bytes,
# markup and a non-ASCII letter (written into the store behind the
# store's own checks) still gives valid JSON with no extra target; the
# document passes promtool check config as a file_sd file; `epoxyctl
# fleet sd --out FILE` replaces FILE atomically and leaves it as it was
# on a failure; no admin credential, a node certificate alone and the
# plain-HTTP listener are refused.
. "$(dirname "$0")/../lib/epoxyd.sh"
need_built "$O/keys/node-ca.crt" "$BIN/epoxyctl"
need jq python3 promtool

epoxyd_setup || bail "setup"
node_ca || bail "node CA"
SEED=$BIN/epoxyd-seed
"$SEED" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
printf 'lab one\n' >"$T_DIR/desc"
"$SEED" site "$STORE" lab1 "$T_DIR/desc" || bail "site lab1"
"$SEED" site "$STORE" lab2 "$T_DIR/desc" || bail "site lab2"
"$SEED" fleet "$STORE" 6 "$T_DIR/fleet" >/dev/null || bail "fleet"
for p in "n0 lab1 joined" "n1 lab2 joined" "n2 lab1 booted" "n3 lab2 joined" "n4 - enrolled" \
	"n5 lab1 enrolled" "node1 lab2 enrolled"; do
	read -r h s st <<<"$p"
	"$SEED" place "$STORE" "$h" "$s" - "$st" || bail "place $h"
done
epoxyd_start || bail "epoxyd did not start"
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
export HOME=$T_DIR/home
unset EPOXY_CONFIG
N=$T_DIR/n; mkdir -p "$N"
ADM="Authorization: Epoxy-Admin $(cat "$T_DIR/admin.cred")"
sd() { hs /admin/v1/fleet/sd -H "$ADM" -o "$N/sd.json" -D "$N/sd.hdr" -w '%{http_code}' "$@"; }
# rows: "TARGET SITE HOST RELEASE" per group, in document order
rows() { jq -r '.[] | "\(.targets | join(",")) \(.labels.site) \(.labels.host) \(.labels.release // "-")"' "$1" |
	paste -sd'|'; }
promok() { # FILE: promtool accepts FILE as a file_sd file of a scrape config
	printf 'scrape_configs:\n  - job_name: fleet\n    file_sd_configs:\n      - files: [%s]\n' "$1" >"$N/prom.yml"
	promtool check config "$N/prom.yml" >"$N/promtool.out" 2>&1
}

# ---- three joined hosts placed by the seed; node1 not yet joined
is "$(sd)" 200 "GET /admin/v1/fleet/sd with the admin credential: 200"
is "$(tr -d '\r' <"$N/sd.hdr" | awk 'tolower($1) == "content-type:" {print $2}')" application/json \
	"...as application/json"
python3 -m json.tool "$N/sd.json" >/dev/null; ok $? "...valid JSON (python3 -m json.tool)"
is "$(rows "$N/sd.json")" "n0:9100 lab1 n0 -|n1:9100 lab2 n1 -|n3:9100 lab2 n3 -" \
	"exactly the joined hosts, by site then name, port 9100 by default, no release without a session"
is "$(jq -c '[.[] | keys, (.labels | keys)] | unique' "$N/sd.json")" '[["host","site"],["labels","targets"]]' \
	"each group has targets and labels only; labels site and host"
promok "$N/sd.json"; ok $? "promtool check config accepts it as a file_sd file" "$(cat "$N/promtool.out")"

# ---- node1 joins for real: certificate, then its first heartbeat
is "$(node_cert node1 52-54-00-12-34-56 "$N")" 200 "node1 gets its node certificate"
sd >/dev/null
is "$(jq -r '.[].labels.host' "$N/sd.json" | paste -sd,)" "n0,n1,n3" "a certificate alone does not list node1"
is "$(hs /v1/node/heartbeat -X POST --cert "$N/node1.crt" --key "$N/node1.key" --data uptime=1 | head -n 1)" \
	joined "node1's first heartbeat"
sd >/dev/null
is "$(rows "$N/sd.json")" "n0:9100 lab1 n0 -|n1:9100 lab2 n1 -|n3:9100 lab2 n3 -|node1:9100 lab2 node1 7" \
	"node1 listed once joined, with release 7 (its session's)"
"$SEED" place "$STORE" n0 lab1 - booted || bail "n0 booted"
sd >/dev/null
is "$(jq -r '.[].labels.host' "$N/sd.json" | paste -sd,)" "n1,n3,node1" "a host no longer joined leaves the list"

# ---- refusals
is "$(hs /admin/v1/fleet/sd -o "$N/r" -w '%{http_code}') $(head -c 11 "$N/r")" "401 EPOXY-E2500" \
	"no admin credential: 401"
is "$(hs /admin/v1/fleet/sd --cert "$N/node1.crt" --key "$N/node1.key" -o "$N/r" -w '%{http_code}') $(head -c 11 "$N/r")" \
	"401 EPOXY-E2500" "node1's certificate alone: 401"
grep -q targets "$N/r"; is $? 1 "...and no target in the refusal"
is "$(hs /admin/v1/fleet/sd -H "Authorization: Epoxy-Admin $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	-o /dev/null -w '%{http_code}')" 401 "a wrong admin credential: 401"
c=$(hp /admin/v1/fleet/sd -H "$ADM" -o "$N/r" -w '%{http_code}')
[ "$c" = 403 ] || [ "$c" = 401 ]; ok $? "plain HTTP, even with the credential: refused ($c)"
grep -q targets "$N/r"; is $? 1 "...and no target over plain HTTP"
is "$(sd -X POST)" 405 "POST: 405"
is "$(sd -G --data site=lab1) $(head -c 11 "$N/sd.json")" "400 EPOXY-E2509" "a query (site=): refused"

# ---- hostile bytes in a label (behind the store's checks): still JSON
sql "UPDATE hosts SET site = 'x\"},{\"targets\":[\"evil:1\"]}' || char(92) || char(10) || char(1) || '</script>' || char(233) WHERE name = 'n3'" \
	>/dev/null
sd >/dev/null
python3 -m json.tool "$N/sd.json" >/dev/null; ok $? "hostile site name: the document is still valid JSON"
is "$(jq -r '.[] | .targets[]' "$N/sd.json" | paste -sd,)" "n1:9100,node1:9100,n3:9100" \
	"...with no target added (the quote cannot close the string)"
is "$(jq -r '.[] | select(.labels.host == "n3") | .labels.site' "$N/sd.json" | od -An -c | tr -s ' ' | tr -d '\n')" \
	"$(printf 'x"},{"targets":["evil:1"]}\\\n\001</script>\357\277\275\357\277\275\n' | od -An -c | tr -s ' ' | tr -d '\n')" \
	"...the value escaped byte for byte (each non-ASCII byte as U+FFFD)"
grep -q '</script>' "$N/sd.json"; ok $? "...(JSON, not HTML: markup stays text)"
iconv -f UTF-8 -t UTF-8 "$N/sd.json" >/dev/null; ok $? "...valid UTF-8"
promok "$N/sd.json"; ok $? "...and promtool still accepts it" "$(cat "$N/promtool.out")"
sql "UPDATE hosts SET site = 'lab2' WHERE name = 'n3'" >/dev/null

# ---- epoxyctl fleet sd
"$BIN/epoxyctl" fleet sd >"$N/ctl.json" 2>"$N/ctl.err"; ok $? "epoxyctl fleet sd" "$(cat "$N/ctl.err")"
sd >/dev/null
cmp -s "$N/ctl.json" "$N/sd.json"; ok $? "...prints the document as served"
OUT=$T_DIR/prom/fleet.json; mkdir -p "$T_DIR/prom"
echo old >"$OUT"; ino=$(stat -c %i "$OUT")
"$BIN/epoxyctl" fleet sd --out "$OUT" 2>"$N/ctl.err"; ok $? "fleet sd --out FILE" "$(cat "$N/ctl.err")"
cmp -s "$OUT" "$N/sd.json"; ok $? "...FILE holds the document"
[ "$(stat -c %i "$OUT")" != "$ino" ]; ok $? "...replaced by a rename (a new inode), never rewritten in place"
is "$(ls "$T_DIR/prom")" fleet.json "...no temporary file left"
promok "$OUT"; ok $? "...promtool accepts FILE" "$(cat "$N/promtool.out")"
cp "$OUT" "$N/before"
EPOXY_ADMIN_CREDENTIAL=$N/node1.key "$BIN/epoxyctl" fleet sd --out "$OUT" 2>"$N/ctl.err"; rc=$?
ok $(( rc == 0 )) "a refused request (bad credential): exit $rc"
cmp -s "$OUT" "$N/before"; ok $? "...FILE keeps its previous document"
chmod 0555 "$T_DIR/prom"
if [ "$(id -u)" != 0 ]; then
	"$BIN/epoxyctl" fleet sd --out "$OUT" 2>"$N/ctl.err"; rc=$?
	is "$rc $(grep -o 'EPOXY-E[0-9]*' "$N/ctl.err")" "1 EPOXY-E2561" "a directory it cannot write: exit 1, EPOXY-E2561"
fi
chmod 0755 "$T_DIR/prom"
"$BIN/epoxyctl" fleet >/dev/null 2>&1; is $? 2 "fleet without sd: usage (2)"
"$BIN/epoxyctl" fleet sd --json >/dev/null 2>&1; is $? 2 "fleet sd --json: usage (2)"
"$BIN/epoxyctl" fleet --help | grep -q 'usage: epoxyctl fleet sd'; ok $? "fleet --help"

# ---- sd_metrics_port
epoxyd_stop
epoxyd_start -o sd_metrics_port=19100 || bail "restart"
sd >/dev/null
is "$(jq -r '.[].targets[]' "$N/sd.json" | paste -sd,)" "n1:19100,n3:19100,node1:19100" \
	"sd_metrics_port=19100 names the port of every target"
epoxyd_stop
"$BIN/epoxyd" -c "$T_DIR/epoxyd.conf" -o sd_metrics_port=0 2>"$N/bad.err"; rc=$?
[ "$rc" != 0 ]; ok $? "sd_metrics_port=0: epoxyd refuses to start (exit $rc)"
done_testing
