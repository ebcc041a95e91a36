#!/bin/bash
# t_slice: the SliceDB through epoxyctl and a real epoxyd on loopback
# (issue 14 point 3): image publish/list (content-addressed, a changed byte
# refused), slice create/list/show/set/add-nodes/remove-nodes/renew/delete
# with --json; the attribute precedence (host over group over slice
# default) as epoxyd resolves it for a node; an expired slice gone from
# its nodes without an operator; an audit entry for every change; and
# tables of hostile input (names, numbers, unknown attributes, caps), each
# refused with its code and leaving the store unchanged.
. "$(dirname "$0")/lib.sh"
need xxd openssl

ctl_setup || bail "setup"
epoxyd_start || bail "epoxyd did not start" "$(cat "$T_DIR/epoxyd.log")"
if [ -n "$PG_CONN" ]; then
	grep -q 'store postgres' "$T_DIR/epoxyd.log"; ok $? "epoxyd runs on the PostgreSQL store"
fi
cred=$(cat "$T_DIR/admin.cred")
slice_adm() { hs "$@" -H "Authorization: Epoxy-Admin $cred" -o "$T_DIR/raw" -w '%{http_code}'; }
slice_dump() {
	local t
	for t in images slices slice_nodes slice_attrs; do
		echo "== $t"; sql "SELECT * FROM $t ORDER BY 1, 2, 3"
	done
	ls "$DATA/objects" 2>/dev/null
}
code() { grep -oE 'EPOXY-E[0-9]+' "$T_DIR/err" | head -1; }

# --- help, man page
ctl slice --help; is "$?/$(grep -c '^usage: epoxyctl slice' "$T_DIR/out")" "0/1" "slice --help"
man_txt=$(MANWIDTH=250 man -l docs/man/epoxyctl.1 2>/dev/null)
for v in create list show set add-nodes remove-nodes renew delete ticket; do
	grep -qF "slice $v" <<<"$man_txt"; ok $? "epoxyctl(1) documents slice $v"
done
for v in publish list; do
	grep -qF "image $v" <<<"$man_txt"; ok $? "epoxyctl(1) documents image $v"
done

ctl site add lab1 >/dev/null; ok $? "site lab1"
ctl host add node1 --hwclass q --group canary >/dev/null; ok $? "host node1 in group canary"
ctl host add node2 --hwclass q --group canary --group lab >/dev/null; ok $? "host node2 in canary, lab"
ctl host add node3 --hwclass q >/dev/null; ok $? "host node3"

# --- images
mkdir -p "$T_DIR/rootfs/bin" && printf '#!/bin/sh\necho hi\n' >"$T_DIR/rootfs/bin/hello"
tar -C "$T_DIR/rootfs" -cf "$T_DIR/rootfs.tar" . || bail "tar"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
ctl image publish "$T_DIR/rootfs.tar" --name debian-min --json; rc=$?
is "$rc/$(jq -r '.[0].vref' "$T_DIR/out")" "0/sha256:$sha" "image publish: its vref is sha256 of the file"
cmp -s "$T_DIR/rootfs.tar" "$DATA/objects/$sha"; ok $? "image publish: stored content-addressed, byte for byte"
ctl image list --json
is "$(jq -r '.[0].name + " " + .[0].length' "$T_DIR/out")" "debian-min $(stat -c %s "$T_DIR/rootfs.tar")" "image list --json"
ctl image publish "$T_DIR/rootfs.tar" --name again; is "$?/$(code)" "1/EPOXY-E2507" "image publish twice: refused"
: >"$T_DIR/empty"
ctl image publish "$T_DIR/empty" --name e; is "$?/$(code)" "1/EPOXY-E2608" "image publish of an empty file: refused by epoxyctl"
ctl image publish "$T_DIR/rootfs.tar"; is $? 2 "image publish without --name: usage"
ctl image list --name x; is $? 2 "image list --name: usage"
VREF=sha256:$sha
before=$(slice_dump)
other=$(printf 'other' | sha256sum | cut -d' ' -f1)
is "$(slice_adm "/admin/v1/images?name=x&sha256=$other" -X POST -H 'Content-Type: application/octet-stream' --data-binary 'changed')" \
	400 "image upload whose bytes do not have the named sha256: 400"
is "$(head -c 11 "$T_DIR/raw")" EPOXY-E2620 "  ... EPOXY-E2620"
for q in "name=x&sha256=ABC" "name=Bad%20Name&sha256=$other" "sha256=$other" "name=x&sha256=$other&evil=1"; do
	c=$(slice_adm "/admin/v1/images?$q" -X POST -H 'Content-Type: application/octet-stream' --data-binary 'x')
	is "$c" 400 "image upload ?$q: 400 ($(head -c 11 "$T_DIR/raw"))"
done
is "$(slice_dump | md5sum)" "$(echo "$before" | md5sum)" "refused image uploads: store and objects unchanged"

# --- create, list, show
ctl slice create mlab_ndt --site lab1 --image "$VREF" --entry '/bin/hello --port 3010' --days 7 cpu_share=4 mem_max=536870912
is $? 0 "slice create with slice defaults"
ctl slice show mlab_ndt --json; jq -e . "$T_DIR/out" >/dev/null; ok $? "slice show --json is valid JSON"
is "$(jq -r 'select(.name) | .site + " " + .image + " " + .cpu_share + " " + .mem_max + " " + .tasks_max + " " + .state' "$T_DIR/out")" \
	"lab1 $VREF 4 536870912 0 live" "slice show: fields, defaults, built-in default tasks_max 0"
ctl slice list; is "$?/$(awk 'NR == 2 {print $1 "/" $2 "/" $3}' "$T_DIR/out")" "0/mlab_ndt/lab1/live" "slice list: table"
ctl slice list --json; is "$(jq -r '.[0].name' "$T_DIR/out")" mlab_ndt "slice list --json"
ctl slice create mlab_ndt --site lab1 --image "$VREF" --entry /x --days 1; is "$?/$(code)" "1/EPOXY-E2048" "slice create twice: 409"

# --- hostile input: every refusal names its code and changes nothing
before=$(slice_dump)
long=$(printf 'a%.0s' $(seq 1 33))
# shellcheck disable=SC2016 # '$(reboot)' is a hostile name, never expanded
for n in 'A' '.x' '-x' '_x' 'a b' "$long" '../x' '..' '$(reboot)' 'x/y' 'a;b' "$(printf 'a\tb')" 'ü'; do
	ctl slice create --site lab1 --image "$VREF" --entry /x --days 1 -- "$n"; rc=$?
	is "$rc/$(code)" "1/EPOXY-E2100" "slice create '${n:0:12}': refused, EPOXY-E2100"
done
while IFS='|' read -r what args want; do
	[ -n "$what" ] || continue
	read -ra a <<<"$args"
	ctl slice create bad --site lab1 --image "$VREF" --entry /x "${a[@]}"; rc=$?
	is "$rc/$(code)" "$want" "slice create $what"
done <<'EOF'
cpu_share 0|--days 1 cpu_share=0|1/EPOXY-E2102
cpu_share 10001|--days 1 cpu_share=10001|1/EPOXY-E2102
cpu_share -1|--days 1 cpu_share=-1|1/EPOXY-E2102
cpu_share 1e3|--days 1 cpu_share=1e3|1/EPOXY-E2102
cpu_share 0x10|--days 1 cpu_share=0x10|1/EPOXY-E2102
cpu_share 007|--days 1 cpu_share=007|1/EPOXY-E2102
cpu_pct 25601|--days 1 cpu_pct=25601|1/EPOXY-E2102
mem_max 2^50+1|--days 1 mem_max=1125899906842625|1/EPOXY-E2102
mem_max 2^64|--days 1 mem_max=18446744073709551616|1/EPOXY-E2102
tasks_max 30 digits|--days 1 tasks_max=999999999999999999999999999999|1/EPOXY-E2102
net_max_rate over 400 Gbit/s|--days 1 net_max_rate=400000000001|1/EPOXY-E2102
net_min_rate with a space|--days 1 net_min_rate=1 0|2/
unknown attribute cpu_shares|--days 1 cpu_shares=1|2/EPOXY-E2101
attribute name=|--days 1 name=evil|2/EPOXY-E2101
attribute without value|--days 1 mem_max=|2/
ttl 0|--ttl 0|1/EPOXY-E2103
ttl 59|--ttl 59|1/EPOXY-E2103
ttl 56 days + 1 s|--ttl 4838401|1/EPOXY-E2103
ttl -1|--ttl -1|1/EPOXY-E2103
ttl abc|--ttl abc|1/EPOXY-E2103
days 57|--days 57|2/
days 0|--days 0|2/
no ttl|cpu_share=1|2/
ttl and days|--ttl 100 --days 1|2/
EOF
while IFS='|' read -r what site image entry want; do
	[ -n "$what" ] || continue
	ctl slice create bad --site "$site" --image "$image" --entry "$entry" --days 1; rc=$?
	is "$rc/$(code)" "$want" "slice create $what"
done <<EOF
unknown site|nosite|$VREF|/x|1/EPOXY-E2108
hostile site|a;b|$VREF|/x|1/EPOXY-E2108
unpublished image|lab1|sha256:$other|/x|1/EPOXY-E2104
image without sha256:|lab1|$sha|/x|1/EPOXY-E2104
image in upper case|lab1|sha256:${sha^^}|/x|1/EPOXY-E2104
image truncated|lab1|${VREF:0:40}|/x|1/EPOXY-E2104
image overlong|lab1|${VREF}00|/x|1/EPOXY-E2104
entry with a leading space|lab1|$VREF| /x|1/EPOXY-E2106
EOF
ctl slice create bad --site lab1 --image "$VREF" --entry "$(printf '/x\001')" --days 1
is "$?/$(code)" "1/EPOXY-E2106" "slice create: entry with a control byte"
ctl slice create bad --site lab1 --image "$VREF" --entry "/$(printf 'x%.0s' $(seq 1 1024))" --days 1
is "$?/$(code)" "1/EPOXY-E2106" "slice create: entry of 1025 bytes"
# raw requests epoxyctl would not send
f="name=bad&site=lab1&image=$VREF&entry=%2Fx&ttl=3600"
is "$(slice_adm /admin/v1/slices -X POST --data "$f&evil=1")" 400 "create with an unknown field: 400"
is "$(head -c 11 "$T_DIR/raw")" EPOXY-E2509 "  ... EPOXY-E2509"
is "$(slice_adm /admin/v1/slices -X POST --data "$f&cpu_shares=1")" 400 "create with an unknown attribute: 400"
is "$(slice_adm /admin/v1/slices/mlab_ndt -X PATCH --data 'name=other')" 400 "set that tries to rename: 400"
is "$(slice_adm /admin/v1/slices/mlab_ndt -X PATCH --data 'host=node1&group=canary&mem_max=1')" 400 "set with host and group: 400"
is "$(slice_adm /admin/v1/slices/mlab_ndt -X PATCH --data 'host=node1&entry=%2Fy')" 400 "set of entry for one host: 400"
is "$(slice_adm /admin/v1/slices/mlab_ndt -X PUT --data x)" 405 "PUT a slice: 405"
is "$(slice_adm /admin/v1/slices/BAD)" 400 "GET a malformed slice name: 400"
is "$(slice_adm /admin/v1/slices/nosuch)" 404 "GET an unknown slice: 404"
is "$(head -c 11 "$T_DIR/raw")" EPOXY-E2109 "  ... EPOXY-E2109"
many=$(seq -f 'h%g' 1 257 | paste -sd, -)
is "$(slice_adm /admin/v1/slices/mlab_ndt/add-nodes -X POST --data "hosts=$many")" 400 "add-nodes of 257 hosts in one call: 400"
args=(); for i in $(seq 1 257); do args+=(--host "h$i"); done
ctl slice add-nodes mlab_ndt "${args[@]}"; is $? 2 "epoxyctl add-nodes of 257 hosts: usage"
ctl slice set mlab_ndt --host node1 --group canary mem_max=1; is $? 2 "set --host and --group: usage"
ctl slice set mlab_ndt; is $? 2 "set of nothing: usage"
ctl slice show mlab_ndt --ttl 5; is $? 2 "show --ttl: usage"
ctl slice delete; is $? 2 "delete without NAME: usage"
ctl slice frob x; is $? 2 "unknown subcommand: usage"
is "$(slice_dump | md5sum)" "$(echo "$before" | md5sum)" "store unchanged after every refusal"

# --- nodes
ctl slice add-nodes mlab_ndt --host node1 --host nosuch; is "$?/$(code)" "1/EPOXY-E2107" "add-nodes with an unknown host: refused"
is "$(sql "SELECT COUNT(*) FROM slice_nodes")" 0 "  ... and nothing added (all or none)"
ctl slice add-nodes mlab_ndt --host node1 --group canary; is $? 0 "add-nodes: host node1, group canary"
ctl slice add-nodes mlab_ndt --host node1; is "$?/$(code)" "1/EPOXY-E2107" "add-nodes of a node already in: refused"
ctl slice remove-nodes mlab_ndt --group lab; is "$?/$(code)" "1/EPOXY-E2107" "remove-nodes of a node not in: refused"

# --- precedence: per node over node group over slice default, as resolved for a node
resolved() { # NODE ATTR
	ctl slice show mlab_ndt --node "$1" --json && jq -r ".$2" "$T_DIR/out"
}
while IFS='|' read -r what setargs node want; do
	[ -n "$what" ] || continue
	read -ra a <<<"$setargs"
	if [ "${a[0]}" != - ]; then ctl slice set mlab_ndt "${a[@]}" || fail "set ${a[*]}"; fi
	is "$(resolved "$node" mem_max)" "$want" "precedence: $what"
done <<'EOF'
slice default on node1|-|node1|536870912
slice default on node2 (through canary)|-|node2|536870912
group canary over slice default|--group canary mem_max=1000|node2|1000
group canary on node1|-|node1|1000
a group node2 is in but not first|--group lab mem_max=3000|node2|1000
host node2 over its groups|--host node2 mem_max=2000|node2|2000
node1 keeps its group value|-|node1|1000
host value 0 (no limit) wins|--host node1 mem_max=0|node1|0
unset the host value: group again|--host node1 mem_max=|node1|1000
unset the group value: slice default|--group canary mem_max=|node1|536870912
lab is node2's second group: now it applies|--host node2 mem_max=|node2|3000
EOF
is "$(resolved node2 cpu_share)" 4 "precedence: cpu_share from the slice default"
ctl slice show mlab_ndt --node node3; is "$?/$(code)" "1/EPOXY-E2109" "node3 is not a node of the slice: no sliver"
ctl slice set mlab_ndt --host nosuch mem_max=1; is "$?/$(code)" "1/EPOXY-E2107" "set for an unknown host: refused"
ctl slice set mlab_ndt --entry '/bin/hello --port 3011'; is $? 0 "set the entry"
is "$(resolved node1 entry)" "/bin/hello --port 3011" "the node's sliver has the new entry"
ctl slice remove-nodes mlab_ndt --group canary; is $? 0 "remove-nodes: group canary"
ctl slice show mlab_ndt --node node2; is "$?/$(code)" "1/EPOXY-E2109" "node2 (only through canary) has no sliver now"
is "$(resolved node1 mem_max)" 536870912 "node1 (a node itself) keeps its sliver"

# --- expiry: no operator action; renew brings it back
ctl slice renew mlab_ndt --ttl 60; is $? 0 "renew --ttl 60"
sql "UPDATE slices SET expires = expires - 61 WHERE name = 'mlab_ndt'" >/dev/null  # a minute passes
ctl slice show mlab_ndt --node node1; is "$?/$(code)" "1/EPOXY-E2109" "expired: gone from its node without any call"
ctl slice list --json; is "$(jq -r '.[0].state' "$T_DIR/out")" expired "expired: listed as expired for the operator"
ctl slice renew mlab_ndt --days 1; is $? 0 "renew --days 1"
is "$(resolved node1 cpu_share)" 4 "renewed: the sliver is back"
ctl slice renew mlab_ndt --ttl 4838401; is "$?/$(code)" "1/EPOXY-E2103" "renew past 56 days: refused"

# --- grants (issue 14 point 6): whole slice only, checked, audited, in the set
grants() { ctl slice show mlab_ndt --json && jq -r 'select(.name) | .grants' "$T_DIR/out"; }
ctl slice set mlab_ndt --grant sock_diag; is $? 0 "set --grant sock_diag"
is "$(grants)" sock_diag "show: the slice holds sock_diag"
ctl slice set mlab_ndt --grant file:/etc/hostname --grant dir:/var/log; is $? 0 "set --grant file: --grant dir:"
is "$(grants)" "dir:/var/log file:/etc/hostname sock_diag" "show: three grants, in their one order"
is "$(resolved node1 grants)" "dir:/var/log file:/etc/hostname sock_diag" "the node's sliver carries the grants"
ctl slice set mlab_ndt --revoke dir:/var/log; is $? 0 "set --revoke dir:/var/log"
is "$(grants)" "file:/etc/hostname sock_diag" "show: revoked"
before=$(slice_dump)
while IFS='|' read -r what args want; do
	# shellcheck disable=SC2086 # the table's arguments are words
	ctl slice set mlab_ndt $args; is "$?/$(code)" "$want" "grant refused: $what"
done <<'EOF2'
a node secret (the node key)|--grant file:/run/epoxy/node.key|2/EPOXY-E2111
/etc/epoxy as a directory|--grant dir:/etc/epoxy|2/EPOXY-E2111
a relative path|--grant file:etc/hostname|2/EPOXY-E2110
dot-dot|--grant file:/etc/../run/epoxy|2/EPOXY-E2110
unknown kind|--grant raw_socket|2/EPOXY-E2110
revoke of one not held|--revoke file:/nope|1/EPOXY-E2112
grant with --host|--host node1 --grant sock_diag|1/EPOXY-E2540
EOF2
is "$(slice_dump | md5sum)" "$(echo "$before" | md5sum)" "refused grants: store unchanged"
is "$(slice_adm /admin/v1/slices/mlab_ndt -X PATCH --data-urlencode 'grant=file:/root/x')" 400 \
	"the API itself refuses a secret path: 400"
is "$(head -c 11 "$T_DIR/raw")" EPOXY-E2111 "  ... EPOXY-E2111"
is "$(slice_adm /admin/v1/slices/mlab_ndt -X PATCH --data-urlencode 'grant=file:/a,file:/b,file:/c,file:/d,file:/e,file:/f,file:/g')" 400 \
	"a ninth grant: 400"
is "$(head -c 11 "$T_DIR/raw")" EPOXY-E2113 "  ... EPOXY-E2113"
ctl slice ticket mlab_ndt --node node1; grep -qx ' grants file:/etc/hostname sock_diag' "$T_DIR/out"
ok $? "slice ticket: the sliver's grants line"
ctl slice set mlab_ndt --revoke file:/etc/hostname --revoke sock_diag; is "$?/$(grants)" "0/" "revoke all"

# --- tickets: signed by the online key, for one node, expiring, a fresh nonce each
openssl pkey -in "$KEYS/online.key" -pubout -out "$T_DIR/online.pub" 2>/dev/null
slice_sigok() { # FILE: the last line's signature verifies over the lines before it
	head -n -1 "$1" >"$T_DIR/tbody"
	tail -n 1 "$1" | awk '{print $3}' | xxd -r -p >"$T_DIR/tsig"
	openssl dgst -sha256 -verify "$T_DIR/online.pub" -signature "$T_DIR/tsig" "$T_DIR/tbody" >/dev/null 2>&1
}
ctl slice ticket mlab_ndt --node node1 --ttl 600; rc=$?; cp "$T_DIR/out" "$T_DIR/t1"
is "$rc/$(head -n 2 "$T_DIR/t1" | tr '\n' ' ')" "0/epoxy-ticket 1 node node1 " "slice ticket: a ticket for node1"
slice_sigok "$T_DIR/t1"; ok $? "slice ticket: signed by the online key over its exact bytes (openssl)"
cp "$T_DIR/t1" "$T_DIR/t1.x"
sed -i 's/^ cpu_share 4$/ cpu_share 9/' "$T_DIR/t1.x"; slice_sigok "$T_DIR/t1.x"; is $? 1 "slice ticket: a changed byte does not verify"
exp=$(awk '$1 == "expires" {print $2; exit}' "$T_DIR/t1"); now=$(date +%s)
ok $(( exp < now + 590 || exp > now + 610 )) "slice ticket: expires in --ttl 600 s ($(( exp - now )))"
is "$(awk '$1 == "cpu_share" || $1 == "mem_max" {printf "%s=%s ", $1, $2}' "$T_DIR/t1")" "cpu_share=4 mem_max=536870912 " \
	"slice ticket: the sliver as resolved for node1"
ctl slice ticket mlab_ndt --node node1 --json; rc=$?
n1=$(awk '$1 == "nonce" {print $2}' "$T_DIR/t1"); n2=$(jq -r .ticket "$T_DIR/out" | awk '$1 == "nonce" {print $2}')
is "$rc/${#n1}/$([ "$n1" != "$n2" ] && echo differ)" "0/64/differ" "slice ticket --json: another random nonce each time"
ctl slice ticket mlab_ndt --node node3; is "$?/$(code)" "1/EPOXY-E2109" "slice ticket for a node not in the slice: refused"
ctl slice ticket nosuch --node node1; is "$?/$(code)" "1/EPOXY-E2109" "slice ticket of an unknown slice: refused"
ctl slice ticket mlab_ndt --node node1 --ttl 59; is "$?/$(code)" "1/EPOXY-E2508" "slice ticket --ttl 59: refused"
ctl slice ticket mlab_ndt --node node1 --ttl 604801; is "$?/$(code)" "1/EPOXY-E2508" "slice ticket --ttl over 7 days: refused"
ctl slice ticket mlab_ndt; is $? 2 "slice ticket without --node: usage"
ctl slice ticket mlab_ndt --node 'No Such'; is "$?/$(code)" "1/EPOXY-E2506" "slice ticket --node malformed: refused"

# --- audit and delete
ctl slice delete mlab_ndt; is $? 0 "slice delete"
ctl slice show mlab_ndt; is "$?/$(code)" "1/EPOXY-E2109" "deleted: gone"
is "$(sql "SELECT COUNT(*) FROM slice_nodes") $(sql "SELECT COUNT(*) FROM slice_attrs")" "0 0" "deleted: its nodes and values too"
ctl slice delete mlab_ndt; is "$?/$(code)" "1/EPOXY-E2109" "delete twice: refused"
ctl audit list --limit 1000 --json
for a in image.publish slice.create slice.set slice.grant slice.add-nodes slice.remove-nodes slice.renew slice.ticket slice.delete; do
	n=$(jq -r "[.[] | select(.action == \"$a\")] | length" "$T_DIR/out")
	ok $(( n == 0 )) "audit: $a entries ($n), naming the admin"
done
is "$(jq -r '[.[] | select(.action == "slice.set")] | length' "$T_DIR/out")" 8 "audit: one slice.set per set"
is "$(jq -r '[.[] | select(.action | startswith("slice.")) | .actor] | unique | join(",")' "$T_DIR/out")" admin:admin "audit: slice changes name their admin"
is "$(jq -r '[.[] | select(.action == "slice.grant")] | length' "$T_DIR/out")" 4 "audit: one slice.grant per grant change"
jq -r '.[] | select(.action == "slice.grant") | .detail' "$T_DIR/out" | grep -q 'grant=sock_diag revoke=- now=sock_diag'
ok $? "audit: slice.grant names what was asked and what the slice holds"
ctl audit verify; is $? 0 "audit chain verifies"
done_testing
