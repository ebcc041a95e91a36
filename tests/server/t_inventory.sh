#!/bin/bash
# t_inventory: the node inventory of issue 16 point 3 against a real
# epoxyd, posted as the stage-1 agent posts it (the inventory field of
# POST /v1/session, lib/inventory.h's records): the first report is shown
# by `epoxyctl host show` (text and --json) and the host page; the same
# hardware in another order changes nothing; a changed disk and memory
# flag the host in host show, on the host page and on the fleet page, are
# audited and logged exactly once; malformed reports (oversized, bad
# numbers, control and non-ASCII bytes, a disk twice, too many NICs, no
# final newline) are refused with their stable code, open no session and
# change nothing; text from the node renders escaped; deleting the host
# deletes its inventory.  INVENTORY_PG=1 (t_inventory_pg.sh): the same on
# a real PostgreSQL store.
. "$(dirname "$0")/../lib/epoxyd.sh"
need_built "$BIN/epoxyctl"
need jq

if [ -n "${INVENTORY_PG:-}" ]; then
	epoxyd_pg || bail "PostgreSQL started"
	epoxyd_setup - "$STORE" || bail "setup"
else
	epoxyd_setup || bail "setup"
fi
SEED=$BIN/epoxyd-seed
"$SEED" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
epoxyd_start || bail "epoxyd did not start" "$(tail -n 20 "$T_DIR/epoxyd.log")"
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT \
	EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1 \
	HOME=$T_DIR/home
unset EPOXY_CONFIG
AUTH="Authorization: Epoxy-Admin $(cat "$T_DIR/admin.cred")"
CRED=$(cat "$T_DIR/cred.node1")

# inv_session FILE: a session of node1 carrying FILE as its inventory;
# prints "STATUS FIRST-11-BYTES" of the answer
inv_session() {
	local nonce b
	nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	b=$(hs /v1/session -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data "host=node1&mac=52-54-00-12-34-56&nonce=$nonce&agent=1&stage=1&credential=$CRED" \
		--data-urlencode "inventory@$1" -w '\n%{http_code}')
	echo "${b##*$'\n'} $(head -c 11 <<<"${b%$'\n'*}")"
}
inv_audits() { sql "SELECT COUNT(*) FROM audit WHERE action = 'host.inventory-changed' AND subject = 'node1'"; }
inv_sessions() { sql "SELECT COUNT(*) FROM sessions WHERE host = 'node1'"; }
inv_logged() { grep -c 'inventory changed since its previous boot' "$T_DIR/epoxyd.log"; }
inv_ctl() { "$BIN/epoxyctl" "$@" 2>&1; }
inv_field() { awk -v k="$1" '$1 == k {sub(/^[^ ]+ +/, ""); print; exit}'; } # KEY: first value

# ---- the first boot
printf '%s\n' 'kind=node&cpu_model=Xeon+%3Cb%3E%26amp%3B&cpus=4&mem=8589934592&fw_vendor=EDK+II&fw_version=1.0&secureboot=1' \
	'kind=disk&name=vda&size=10737418240&serial=QM00001' \
	'kind=disk&name=vdb&size=1073741824' \
	'kind=nic&name=eth0&mac=52:54:00:12:34:56&speed=1000' >"$T_DIR/inv1"
printf '%s\n' 'kind=node&secureboot=1&fw_version=1.0&fw_vendor=EDK%20II&mem=8589934592&cpus=4&cpu_model=Xeon%20%3Cb%3E%26amp%3B' \
	'kind=nic&speed=1000&mac=52:54:00:12:34:56&name=eth0' \
	'kind=disk&name=vdb&size=1073741824' \
	'kind=disk&serial=QM00001&size=10737418240&name=vda' >"$T_DIR/inv1-shuffled"
show=$(inv_ctl host show node1)
is "$(inv_field inventory <<<"$show")" none "host show before any report: inventory none"
is "$(inv_session "$T_DIR/inv1" | cut -d' ' -f1)" 200 "a session with an inventory is opened"
show=$(inv_ctl host show node1)
is "$(inv_field inventory <<<"$show")" reported "host show: inventory reported"
is "$(inv_field cpu_model <<<"$show")" "Xeon <b>&amp;" "host show: the CPU model"
is "$(inv_field cpus <<<"$show")/$(inv_field mem <<<"$show")" "4/8589934592" "host show: CPUs and memory"
is "$(inv_field fw_vendor <<<"$show")/$(inv_field secureboot <<<"$show")" "EDK II/on" \
	"host show: firmware vendor and Secure Boot"
grep -qx 'serial *QM00001' <<<"$show"; ok $? "host show: the disk's serial"
grep -qx 'mac *52:54:00:12:34:56' <<<"$show" && grep -qx 'speed *1000' <<<"$show"
ok $? "host show: the NIC's MAC and speed"
is "$(inv_field changed <<<"$show")" "-" "host show: never changed"
json=$(inv_ctl host show node1 --json)
is "$(jq -rs '.[0].inventory' <<<"$json")" reported "--json: the host record says reported"
is "$(jq -rs '[.[] | select(.kind == "disk") | .name + "=" + .size] | join(",")' <<<"$json")" \
	"vda=10737418240,vdb=1073741824" "--json: one record per disk, sorted"
is "$(jq -rs '[.[] | select(.kind == "nic")][0].mac' <<<"$json")" 52:54:00:12:34:56 "--json: the NIC"
is "$(jq -rs '[.[] | select(.kind == "disk")][1].serial' <<<"$json")" "" "--json: an absent serial is empty"
hs /ui/host/node1 -H "$AUTH" -o "$T_DIR/host1.html"
grep -q 'id="inventory"' "$T_DIR/host1.html" && grep -q '<td class="cpus">4</td>' "$T_DIR/host1.html"
ok $? "host page: the inventory table"
grep -q 'Xeon &lt;b&gt;&amp;amp;' "$T_DIR/host1.html" && ! grep -q 'Xeon <b>' "$T_DIR/host1.html"
ok $? "host page: the node's text escaped"
grep -q '<td>QM00001</td>' "$T_DIR/host1.html" && grep -q '<code>52:54:00:12:34:56</code>' "$T_DIR/host1.html"
ok $? "host page: disks and NICs"
check "host page: no change flag yet" not grep -q 'id="inventory-changed"' "$T_DIR/host1.html"

# ---- the same hardware, listed in another order: no change
is "$(inv_session "$T_DIR/inv1-shuffled" | cut -d' ' -f1)" 200 "the next boot, same hardware in another order"
is "$(inv_audits)" 0 "no change audited"
is "$(inv_field inventory <<<"$(inv_ctl host show node1)")" reported "host show: still just reported"

# ---- a disk swapped and memory changed
sed -e 's/mem=8589934592/mem=17179869184/' -e 's/name=vdb&size=1073741824/name=vdc\&size=2147483648/' \
	"$T_DIR/inv1" >"$T_DIR/inv2"
is "$(inv_session "$T_DIR/inv2" | cut -d' ' -f1)" 200 "a boot with other hardware: the session opens"
show=$(inv_ctl host show node1)
is "$(inv_field inventory <<<"$show")" changed "host show: inventory changed"
is "$(inv_field changes <<<"$show")" "mem, disk vdb, disk vdc" "host show: what changed"
check "host show: when" grep -qE '^changed +[0-9]{10}$' <<<"$show"
is "$(inv_audits)" 1 "the change audited once"
is "$(inv_logged)" 1 "the change inv_logged once"
grep -q 'inventory changed since its previous boot: mem, disk vdb, disk vdc (EPOXY-E2405)' \
	"$T_DIR/epoxyd.log"; ok $? "the log line names the change and its code"
hs /ui/host/node1 -H "$AUTH" -o "$T_DIR/host2.html"
grep -q 'id="inventory-changed"' "$T_DIR/host2.html" &&
	grep -q 'since the boot before: mem, disk vdb, disk vdc' "$T_DIR/host2.html"
ok $? "host page: the change flagged, with what changed"
hs /ui/ -H "$AUTH" -o "$T_DIR/fleet.html"
grep -q 'node1</a> <span class="flag inv-changed">inventory changed</span>' "$T_DIR/fleet.html"
ok $? "fleet page: node1 flagged"
hs /admin/v1/fleet -H "$AUTH" | grep -q '^name=node1&.*&inventory_changed=[1-9][0-9]*$'
ok $? "the admin API's fleet records carry inventory_changed"
is "$(inv_session "$T_DIR/inv2" | cut -d' ' -f1)" 200 "the boot after, same new hardware"
is "$(inv_audits)/$(inv_logged)" 1/1 "no second audit entry or log line"
is "$(inv_field inventory <<<"$(inv_ctl host show node1)")" changed "host show: the flag stays"

# ---- malformed reports: refused with their code, no session, nothing changed
inv_bad() { # NAME WANT-CODE CONTENT (printf %b)
	local name=$1 want=$2 n0 got
	printf '%b' "$3" >"$T_DIR/bad"
	n0=$(inv_sessions)
	got=$(inv_session "$T_DIR/bad")
	is "$got" "400 $want" "$name: refused with $want"
	is "$(inv_sessions)" "$n0" "$name: no session opened"
}
inv_bad "no final newline" EPOXY-E2401 'kind=node'
inv_bad "a raw control byte" EPOXY-E2401 'kind=node&cpu_model=a\001b\n'
inv_bad "an escaped control byte" EPOXY-E2402 'kind=node&cpu_model=a%1B%5B2J\n'
inv_bad "a non-UTF-8 byte" EPOXY-E2402 'kind=node&fw_vendor=a%FFb\n'
inv_bad "UTF-8 text" EPOXY-E2402 'kind=node&fw_vendor=caf%C3%A9\n'
inv_bad "cpus 0" EPOXY-E2402 'kind=node&cpus=0\n'
inv_bad "cpus with a leading zero" EPOXY-E2402 'kind=node&cpus=04\n'
inv_bad "mem over its cap" EPOXY-E2402 'kind=node&mem=99999999999999999999\n'
inv_bad "an unknown field" EPOXY-E2402 'kind=node&gpu=1\n'
inv_bad "a inv_field twice" EPOXY-E2401 'kind=node&cpus=1&cpus=2\n'
inv_bad "a disk twice" EPOXY-E2404 'kind=node\nkind=disk&name=vda\nkind=disk&name=vda\n'
inv_bad "no node record" EPOXY-E2404 'kind=disk&name=vda\n'
inv_bad "an uppercase MAC" EPOXY-E2402 'kind=node\nkind=nic&name=e&mac=52:54:00:AB:CD:EF\n'
nics='kind=node\n'
for i in $(seq 10 26); do nics+="kind=nic&name=n$i&mac=00:00:00:00:00:$i\\n"; done
inv_bad "17 NICs" EPOXY-E2403 "$nics"
big="kind=node\\nkind=disk&name=vda&serial=$(printf 'a%.0s' $(seq 1 4200))\\n"
inv_bad "4.2 KB: over the report's cap" EPOXY-E2400 "$big"
head -c 6000 /dev/zero | tr '\0' 'a' >"$T_DIR/huge"
n0=$(inv_sessions)
got=$(inv_session "$T_DIR/huge" | cut -d' ' -f1)
check "6 KB of inventory: refused ($got)" test "$got" -ge 400 -a "$got" -lt 500
is "$(inv_sessions)" "$n0" "6 KB: no session opened"
is "$(inv_audits)/$(inv_field changes <<<"$(inv_ctl host show node1)")" "1/mem, disk vdb, disk vdc" \
	"the refused reports changed nothing"
grep -q 'refused session: EPOXY-E2403' "$T_DIR/epoxyd.log"; ok $? "refusals logged with their code"

# ---- a session without an inventory (an older agent) keeps the stored one
is "$(open_session)" 200 "a session without an inventory"
is "$(inv_field inventory <<<"$(inv_ctl host show node1)")" changed "the stored inventory stays"

# ---- the inventory goes with the host
inv_ctl host delete node1 >/dev/null; ok $? "delete node1"
is "$(sql "SELECT COUNT(*) FROM host_inventory WHERE host = 'node1'")" 0 "its inventory is deleted"
done_testing
