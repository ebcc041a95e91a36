#!/bin/bash
# t_nm_sensors: the node manager's sensors (issue 14 point 7) end to end
# on loopback: a real epoxyd, the real epoxy-nm running two slivers with
# Debian's crun (as t_nm_run: a private mount namespace with cgroup2 over
# /sys/fs/cgroup, --cgroup-manager disabled), and epoxyctl.  Checks:
# `epoxy-nm usage` prints the running slivers as JSON, with the disk bytes
# of each one's out/ measured (web writes 256 KiB there) and, since this
# host gives a sliver no cgroup of its own, cpu_us, mem_bytes and tasks
# null, never 0; no --uplink: tx and rx a measured 0 and net "off";
# `--prometheus` passes `promtool check metrics` (Debian's prometheus,
# installed when missing) and has no sample for an absent value; the
# heartbeat carries the snapshot, and `epoxyctl sliver list` shows where
# each sliver runs (running on node5, no-snapshot on node6, which never
# sent one), its usage and the snapshot's time, with --node, --slice and
# --json; raw heartbeats of node6 (curl with its client certificate): a
# good usage recorded as sent, a malformed one (E2590) or one over its cap
# (E2591) refused while the heartbeat is accepted, a body over its cap
# 413, and the recorded snapshot unchanged by them; a slice taken off
# node5 leaves the list at the next beat.
# Installs crun, busybox-static and prometheus with apt-get when missing.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
DEVKEYS=$O/keys
NM=$BIN/epoxy-nm
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$NM"
crun_install promtool=prometheus jq=jq
need crun unshare file promtool jq
t0=$(date +%s)

if [ -n "${SENSORS_PG:-}" ]; then
	epoxyd_pg || bail "PostgreSQL started"
	epoxyd_setup - "$STORE" || bail "setup"
else
	epoxyd_setup || bail "setup"
fi
node_ca || bail "node CA"
node5_seed || bail "admin, node5 and its credential"
"$BIN/epoxyd-seed" host "$STORE" node6 52-54-00-00-00-06 >/dev/null || bail "node6"
"$BIN/epoxyd-seed" cred "$STORE" node6 "$T_DIR/cred.node6" >/dev/null || bail "node6 cred"
epoxyd_start || bail "epoxyd did not start"
ctl_env
N=$T_DIR/node; C=$N/cache; D=$N/slivers; S=$N/crun; R=$N/rootfs
SOCK=$N/api/api.sock CRUN_ROOT=$S
mkdir -p "$N" "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/out" || bail "dirs"
cp /bin/busybox "$R/bin/busybox" || bail "busybox"
for a in sh sleep head; do ln -s busybox "$R/bin/$a"; done
NMPID=''
se_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { diag "$(cat "$T_DIR/ctl.out")"; return 1; }; }
se_stop() {
	nm_stop
	crun_wipe
}
at_exit se_stop
# the sliver list as JSON into $N/list; a field of one sliver's record
se_list() { se_ctl sliver list --json "$@" && cp "$T_DIR/ctl.out" "$N/list"; }
se_field() { jq -r --arg n "$1" --arg s "$2" '.[] | select(.node == $n and .sliver == $s) | .'"$3" "$N/list"; }

"$NM" --help | grep -q 'epoxy-nm usage \[--api-socket PATH\] \[--prometheus\]'
ok $? "epoxy-nm --help names usage [--prometheus]"
"$NM" usage --api-socket "$N/none.sock" 2>"$N/err"
is "$? $(grep -o 'EPOXY-E3145' "$N/err")" "3 EPOXY-E3145" "usage on a socket nobody serves: exit 3"
"$BIN/epoxyctl" sliver list --node node5 --slice web >/dev/null 2>&1
is $? 2 "sliver list with --node and --slice: usage error"

head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
se_ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
se_ctl site add lab1 || bail "site"
se_ctl slice create web --site lab1 --image "sha256:$sha" --days 2 \
	--entry 'head -c 262144 /dev/zero >/out/blob; exec sleep 86421' || bail "slice web"
se_ctl slice create db --site lab1 --image "sha256:$sha" --days 2 \
	--entry 'exec sleep 86422' || bail "slice db"
se_ctl slice add-nodes web --host node5 --host node6 || bail "add-nodes web"
se_ctl slice add-nodes db --host node5 || bail "add-nodes db"

nm_join --ns "$N/nm.log" --heartbeat 2 --poll 40 --api-socket "$SOCK" --rootfs "$R" --data "$D" \
	--runtime-root "$S" --cgroup-manager disabled
log_wait "$N/nm.log" 'slivers of set [0-9]+: 2 created' || bail "slivers run" "$(cat "$N/nm.log")"
is "$(crun_list)" "db web " "db and web run"
for i in $(seq 1 50); do [ "$(stat -c %s "$D/web/out/blob" 2>/dev/null)" = 262144 ] && break; sleep 0.1; done

# ---- the node's own view: JSON and Prometheus text
"$NM" usage --api-socket "$SOCK" >"$N/usage.json" 2>"$N/err"
ok $? "epoxy-nm usage: exit 0" "$(cat "$N/err")"
jq -e . "$N/usage.json" >/dev/null; ok $? "usage: valid JSON" "$(cat "$N/usage.json")"
is "$(jq -r '[.cgroup, .net, (.slivers | map(.name) | join(","))] | join(" ")' "$N/usage.json")" \
	"off off db,web" "usage: cgroup off, net off, slivers db and web"
at=$(jq -r .at "$N/usage.json")
[ "$at" -ge "$t0" ] && [ "$at" -le "$(date +%s)" ]; ok $? "usage: at is now ($at)"
is "$(jq -r '.slivers[] | [.cpu_us, .mem_bytes, .tasks] | map(tostring) | join(",")' "$N/usage.json" | sort -u)" \
	"null,null,null" "no per-sliver cgroup: cpu_us, mem_bytes, tasks null, not 0"
is "$(jq -r '.slivers[] | [.tx_bytes, .rx_bytes] | map(tostring) | join(",")' "$N/usage.json" | sort -u)" \
	"0,0" "no sliver network: tx and rx a measured 0"
web_disk=$(jq -r '.slivers[] | select(.name == "web") | .disk_bytes' "$N/usage.json")
[ "$web_disk" -ge 262144 ] && [ "$web_disk" -lt 1048576 ]
ok $? "web's disk_bytes counts its 256 KiB blob ($web_disk)"
is "$(jq -r '.slivers[] | select(.name == "db") | .disk_bytes' "$N/usage.json")" "$(du -B1 -s "$D/db/out" | cut -f1)" \
	"db's disk_bytes is du's"
"$NM" usage --prometheus --api-socket "$SOCK" >"$N/metrics" 2>"$N/err"
ok $? "usage --prometheus: exit 0" "$(cat "$N/err")"
promtool check metrics <"$N/metrics" >"$N/promtool" 2>&1
ok $? "promtool check metrics accepts it" "$(cat "$N/promtool" "$N/metrics")"
grep -q "^epoxy_sliver_disk_bytes{sliver=\"web\"} $web_disk\$" "$N/metrics"
ok $? "metrics: web's disk bytes" "$(cat "$N/metrics")"
grep -q '^epoxy_slivers 2$' "$N/metrics"; ok $? "metrics: 2 slivers"
grep -q '^epoxy_sliver_cpu_seconds_total{' "$N/metrics"
is $? 1 "metrics: no CPU sample where it was not measured"
grep -q '^# TYPE epoxy_sliver_cpu_seconds_total counter$' "$N/metrics"; ok $? "metrics: the CPU counter declared"

# ---- epoxyd's view: the heartbeat's snapshot, where each sliver runs
for i in $(seq 1 100); do
	se_list && [ "$(se_field node5 web state)" = running ] && [ "$(se_field node5 db state)" = running ] && break
	sleep 0.2
done
is "$(se_field node5 web state) $(se_field node5 db state)" "running running" "sliver list: web and db run on node5"
is "$(se_field node6 web state)" "no-snapshot" "sliver list: web on node6, which never sent a snapshot"
d=$(se_field node5 web disk_bytes)
[ "$d" -ge 262144 ] && [ "$d" -lt 1048576 ]; ok $? "sliver list: web's disk bytes ($d)"
is "$(se_field node5 web cpu_us)|$(se_field node5 web mem_bytes)|$(se_field node5 web tasks)" "||" \
	"sliver list: absent values empty, not 0"
is "$(se_field node5 web tx_bytes) $(se_field node5 web rx_bytes) $(se_field node5 web net)" "0 0 off" \
	"sliver list: tx, rx 0 with net off"
sat=$(se_field node5 web at); rcv=$(se_field node5 web received)
[ "$sat" -ge "$t0" ] && [ "$rcv" -ge "$sat" ] && [ "$rcv" -le "$(date +%s)" ]
ok $? "sliver list: the snapshot's time ($sat) and when it came ($rcv)"
se_list --node node5 || fail "list --node node5"
is "$(jq -r 'map(.node + "/" + .sliver) | join(" ")' "$N/list")" "node5/db node5/web" "--node node5: its two"
se_list --slice web || fail "list --slice web"
is "$(jq -r 'map(.node + "/" + .sliver) | join(" ")' "$N/list")" "node5/web node6/web" "--slice web: on both nodes"
se_ctl sliver list --node node5; ok $? "the table"
head -1 "$T_DIR/ctl.out" | grep -q 'node.*sliver.*state.*cpu_s.*mem_bytes.*disk_bytes.*at'
ok $? "the table's header" "$(cat "$T_DIR/ctl.out")"
"$BIN/epoxyctl" sliver list --node nosuch >"$N/out" 2>&1
is "$? $(grep -o 'EPOXY-E2505' "$N/out")" "1 EPOXY-E2505" "--node of an unknown host: refused"
"$BIN/epoxyctl" sliver list --slice 'Bad!' >"$N/out" 2>&1
is "$? $(grep -o 'EPOXY-E2592' "$N/out")" "1 EPOXY-E2592" "--slice with a bad name: refused"

# ---- raw heartbeats of node6 (a client certificate of the node CA, curl):
# a malformed or oversized usage is refused, the heartbeat counts all the same
is "$(node_cert node6 52-54-00-00-00-06 "$N")" 200 "node6's certificate"
beat() { hs /v1/node/heartbeat --cert "$N/node6.crt" --key "$N/node6.key" "$@" \
	-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@-" -o "$N/beat" -w '%{http_code}'; }
now=$(date +%s)
printf 'uptime=5&usage=usage+1+at%%3D%s+net%%3Doff+web%%3D-%%2C-%%2C-%%2C8192%%2C0%%2C0' "$now" | beat >"$N/code"
is "$(cat "$N/code") $(grep -c usage-refused "$N/beat")" "200 0" "node6: a good usage accepted"
se_list --node node6 || fail "list --node node6"
is "$(se_field node6 web state) $(se_field node6 web disk_bytes) $(se_field node6 web at)" \
	"running 8192 $now" "node6: its snapshot recorded, as sent"
for bad in 'usage+2+at%3D1+net%3Doff' 'usage+1+at%3D1+net%3Doff+b%3D0%2C0%2C0%2C0%2C0%2C0+a%3D0%2C0%2C0%2C0%2C0%2C0' \
	'usage+1+at%3D1+net%3Doff+web%3D01%2C0%2C0%2C0%2C0%2C0'; do
	printf 'usage=%s' "$bad" | beat >"$N/code"
	is "$(cat "$N/code") $(grep -o 'usage-refused=EPOXY-E2590' "$N/beat")" "200 usage-refused=EPOXY-E2590" \
		"node6: malformed usage refused, the heartbeat accepted (${bad:0:40})"
done
{ printf 'usage=usage+1+at%%3D1+net%%3Doff'; for i in $(seq 100 228); do printf '+s%s%%3D0%%2C0%%2C0%%2C0%%2C0%%2C0' "$i"; done; } |
	beat >"$N/code"
is "$(cat "$N/code") $(grep -o 'usage-refused=EPOXY-E[0-9]*' "$N/beat")" "200 usage-refused=EPOXY-E2590" \
	"node6: 129 slivers refused (the cap is 128)"
{ printf 'usage=usage+1+at%%3D1+net%%3Doff'; head -c 20000 /dev/zero | tr '\0' x; } | beat >"$N/code"
is "$(cat "$N/code") $(grep -o 'usage-refused=EPOXY-E[0-9]*' "$N/beat")" "200 usage-refused=EPOXY-E2591" \
	"node6: a usage over 19776 bytes refused with E2591"
# (Expect: 100-continue: the body waits for the answer, which epoxyd
# gives from the headers, so curl never writes into a closed connection)
head -c 70000 /dev/zero | tr '\0' x | sed 's/^/usage=/' | beat -H 'Expect: 100-continue' >"$N/code"
is "$(cat "$N/code")" 413 "node6: a heartbeat body over its cap: 413"
se_list --node node6 || fail "list --node node6"
is "$(se_field node6 web disk_bytes) $(se_field node6 web at)" "8192 $now" \
	"node6: the recorded snapshot unchanged by the refused ones"

# ---- a slice taken off node5 leaves its list
se_ctl slice remove-nodes db --host node5 || fail "remove-nodes db"
log_wait "$N/nm.log" 'slivers of set [0-9]+: 0 created, 0 updated, 1 destroyed' 200 ||
	fail "db destroyed" "$(cat "$N/nm.log")"
for i in $(seq 1 100); do
	se_list --node node5 && [ "$(jq -r 'map(.sliver) | join(" ")' "$N/list")" = web ] && break
	sleep 0.2
done
is "$(jq -r 'map(.sliver) | join(" ")' "$N/list")" "web" "after db left node5: web alone"
grep -q 'usage refused\|E3155\|E3156' "$N/nm.log"; is $? 1 "no sensor error in the node manager's log"
se_stop
done_testing
