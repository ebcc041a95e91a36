#!/bin/bash
# t_nm_net: the slivers' network of epoxy-nm --uplink (node/nm/nmnet.h;
# issue 14 point 5), host side, all inside two network namespaces the
# test makes: "node" (where epoxy-nm runs, its uplink up0) and "out" (the
# sink, 192.0.2.2 on sink0, up0's veth peer).  The host's own interfaces
# are never touched.  A real epoxyd signs the sets; slivers are real crun
# containers (as t_nm_run.sh, same private mount namespace and
# --cgroup-manager disabled).  Checks: two slivers get veths epx0/epx1
# with their /30 and default route; each reaches the sink through NAT
# (the sink sees the node's address); a sliver reaches neither the node
# nor the other sliver; the HTB classes read back over netlink match the
# plan; a transfer from web (net_max_rate 8 Mbit/s) to the sink, measured
# by the sink's received byte count over 3 s, is at most R + 10 %; a rate
# change is applied in place (same class, same process) and measured
# again; a slice taken off the node loses its veth, class and rule; then
# rounds of `epoxy-nm apply` killed with SIGKILL at random points, each
# followed by a full run: veths, classes and nft rules match the wanted
# set exactly; a set with no sliver leaves none of them.
# Installs crun, busybox-static, nftables, socat, jq when missing.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
DEVKEYS=$O/keys
NM=$BIN/epoxy-nm
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$NM"
crun_install nft=nftables socat=socat jq=jq
need crun unshare nsenter pgrep file ip tc nft socat jq

NODE=epxt-node-$$; OUT=epxt-out-$$
NFT=$(command -v nft)
SINK=192.0.2.2; NODEADDR=192.0.2.1
cleanup_ns() {
	local p
	while read -r p; do kill "$p" 2>/dev/null; done <"$T_DIR/sinkpids"
	ip netns del "$NODE" 2>/dev/null
	ip netns del "$OUT" 2>/dev/null
}
at_exit cleanup_ns
: >"$T_DIR/sinkpids"
if ! ip netns add "$NODE" || ! ip netns add "$OUT"; then bail "ip netns add"; fi
ip -n "$NODE" link add up0 type veth peer name sink0 netns "$OUT" || bail "veth up0/sink0"
{ ip -n "$NODE" addr add "$NODEADDR/24" dev up0 && ip -n "$NODE" link set up0 up &&
	ip -n "$NODE" link set lo up && ip -n "$OUT" addr add "$SINK/24" dev sink0 &&
	ip -n "$OUT" link set sink0 up && ip -n "$OUT" link set lo up; } || bail "addresses"
# the sink: 5001 swallows bytes, 5002 answers with the peer's address
ip netns exec "$OUT" socat -u TCP-LISTEN:5001,reuseaddr,fork OPEN:/dev/null &
echo $! >>"$T_DIR/sinkpids"
# shellcheck disable=SC2016 # socat's shell expands it
ip netns exec "$OUT" socat TCP-LISTEN:5002,reuseaddr,fork SYSTEM:'echo peer $SOCAT_PEERADDR' &
echo $! >>"$T_DIR/sinkpids"

nm_node5 sh sleep
net_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/net_ctl.out" 2>&1 || { diag "$(cat "$T_DIR/net_ctl.out")"; return 1; }; }
# node_ns CMD...: in the node namespace and a private mount namespace whose
# /sys/fs/cgroup is cgroup2 (t_nm_run.sh says why)
node_ns() {
	exec ip netns exec "$NODE" unshare -m --propagation private \
		sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' node_ns "$@"
}
NETOPTS=(--uplink up0 --node-rate 100000000 --nft "$NFT")
RUNOPTS=(--rootfs "$R" --data "$D" --runtime-root "$S" --cgroup-manager disabled "${NETOPTS[@]}")
sliver_pid() { cat "$D/$1/pid" 2>/dev/null; }
in_sliver() { local p; p=$(sliver_pid "$1"); shift; nsenter -t "$p" -n "$@"; }
# the aliases of the node's epx veths, sorted: "db web "
veths() { ip -n "$NODE" -j link show 2>/dev/null | jq -r '.[] | select(.ifname|test("^epx[0-9]+$")) | .ifalias // "-"' | sort | tr '\n' ' '; }
nveth() { ip -n "$NODE" -j link show | jq '[.[] | select(.ifname|test("^epx"))] | length'; }
# htb_classes DEV: "HANDLE PARENT RATE CEIL" (bytes/s) per HTB class, read
# by an RTM_GETTCLASS dump over netlink (this iproute2's `tc -j class`
# prints no JSON); in the node namespace
htb_classes() {
	ip netns exec "$NODE" python3 - "$1" <<'PY'
import socket, struct, sys
idx = socket.if_nametoindex(sys.argv[1])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
tcm = struct.pack('=BxxxiIII', 0, idx, 0, 0, 0)
s.send(struct.pack('=IHHII', 16 + len(tcm), 42, 0x301, 1, 0) + tcm)  # GETTCLASS, dump
h2s = lambda h: '%x:%x' % (h >> 16, h & 0xffff)
def attrs(d, a, end):
    while a + 4 <= end:
        alen, atyp = struct.unpack_from('=HH', d, a)
        if alen < 4:
            return
        yield atyp, a + 4, a + alen
        a += (alen + 3) & ~3
done = False
while not done:
    d = s.recv(1 << 16)
    off = 0
    while off + 16 <= len(d):
        ln, typ = struct.unpack_from('=IH', d, off)
        if typ == 3:
            done = True
            break
        if typ == 2:
            sys.exit('netlink error')
        if typ == 40:
            _, ifi, h, par, _ = struct.unpack_from('=BxxxiIII', d, off + 16)
            kind, rate, ceil = '', 0, 0
            for t, b, e in attrs(d, off + 36, off + ln):
                if t == 1:
                    kind = d[b:e].rstrip(b'\0').decode()
                if t == 2:
                    for u, c, _ in attrs(d, b, e):
                        if u == 1:
                            rate, ceil = struct.unpack_from('=I', d, c + 8)[0], struct.unpack_from('=I', d, c + 20)[0]
                        if u == 6:
                            rate = struct.unpack_from('=Q', d, c)[0]
                        if u == 7:
                            ceil = struct.unpack_from('=Q', d, c)[0]
            if kind == 'htb' and ifi == idx:
                print(h2s(h), h2s(par), rate, ceil)
        off += (ln + 3) & ~3
PY
}
# sliver classes 1:100.. of up0
classes() { htb_classes up0 | awk '$1 ~ /^1:1[0-9a-f][0-9a-f]$/ {print $1}' | sort | tr '\n' ' '; }
nclass() { htb_classes up0 | awk '$1 ~ /^1:1[0-9a-f][0-9a-f]$/' | wc -l; }
class_of() { htb_classes up0 | awk -v h="$1" '$1 == h {print $2, $3, $4}'; }
# the per-sliver rules of table ip epoxy_nm (mangle meta priority)
nrules() { ip netns exec "$NODE" nft -j list table ip epoxy_nm 2>/dev/null | jq '[.nftables[] | select(.rule) | .rule.expr[] | select(.mangle)] | length'; }
sink_rx() { ip netns exec "$OUT" cat /proc/net/dev | awk '$1 == "sink0:" {print $2}'; }
# The sets: a join in the host's namespace (epoxyd listens on its
# loopback) keeps the verified set in $C; the slivers are made by
# `epoxy-nm apply` in the node namespace.
NMPID=
join_start() {
	node_credential node5 52-54-00-00-00-05 >"$N/nc"
	("$NM" join --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
		--host node5 --credential-file "$N/nc" --heartbeat 60 --poll 40 \
		--slivers "$C" --keyset "$KEYS/keyset" 2>>"$N/join.log") &
	NMPID=$!
}
join_stop() { [ -n "$NMPID" ] && kill "$NMPID" 2>/dev/null; wait "$NMPID" 2>/dev/null; NMPID=; }
set_wait() { # CMD...: until it holds of the cached set (15 s)
	local i
	for i in $(seq 1 150); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
nsl() { [ "$(grep -c '^sliver ' "$C/slivers" 2>/dev/null)" = "$1" ]; }
apply() { # LOG: one reconciliation in the node namespace
	(node_ns "$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" "${RUNOPTS[@]}" \
		2>"$1")
}
net_cleanup() {
	join_stop
	crun_wipe
}
at_exit net_cleanup

"$NM" --help | grep -q -- '--uplink IFACE'; ok $? "epoxy-nm --help names --uplink"
"$NM" --help | grep -q 'off without it'; ok $? "...and says the network is off without it"
"$NM" apply --host node5 --slivers "$C" --rootfs "$R" --node-rate 1000000 >/dev/null 2>&1
is $? 2 "--node-rate without --uplink: usage error"
"$NM" apply --host node5 --slivers "$C" --rootfs "$R" --uplink up0 --net-range 10.0.0.1/22 \
	>/dev/null 2>"$N/badrange"
is $? 2 "--net-range with host bits: usage error"

# ---- two slivers with their network
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
net_ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
net_ctl site add lab1 || bail "site"
RATE=8000000
net_ctl slice create web --site lab1 --image "sha256:$sha" --days 2 --entry 'exec sleep 86411' \
	cpu_share=3 net_min_rate=1000000 net_max_rate=$RATE || bail "slice web"
net_ctl slice create db --site lab1 --image "sha256:$sha" --days 2 --entry 'exec sleep 86412' \
	cpu_share=1 || bail "slice db"
net_ctl slice add-nodes web --host node5 || bail "add-nodes web"
net_ctl slice add-nodes db --host node5 || bail "add-nodes db"
join_start
set_wait nsl 2 || bail "the set of two slivers" "$(cat "$N/join.log")"
apply "$N/nm.log"
grep -qE 'slivers of set [0-9]+: 2 created, 0 updated, 0 destroyed, 0 kept, 0 failed' "$N/nm.log"
ok $? "web and db created with their network" "$(cat "$N/nm.log")"
cp "$C/slivers" "$N/set.A"
is "$(veths)" "db web " "veths epx0 and epx1 carry the aliases db and web"
for s in db web; do
	addr=$(in_sliver $s ip -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')
	case $addr in 10.213.0.2/30 | 10.213.0.6/30) pass "$s: eth0 has $addr of the plan" ;;
		*) fail "$s: eth0 has $addr" ;; esac
	ip4=${addr%/*}
	gw=$(in_sliver $s ip -j route show default | jq -r '.[0].gateway')
	is "$gw" "${ip4%.*}.$(( ${ip4##*.} - 1 ))" "$s: default route via its host side"
	ans=$(in_sliver $s timeout 5 socat -T3 - "TCP:$SINK:5002" </dev/null 2>&1)
	is "$ans" "peer $NODEADDR" "$s reaches the sink, which sees the node's address (NAT)"
done
web_addr=$(in_sliver web ip -j addr show eth0 | jq -r '.[0].addr_info[0].local')
db_addr=$(in_sliver db ip -j addr show eth0 | jq -r '.[0].addr_info[0].local')
web_gw=${web_addr%.*}.$(( ${web_addr##*.} - 1 ))
ip netns exec "$NODE" socat TCP-LISTEN:5003,reuseaddr,fork OPEN:/dev/null >/dev/null 2>&1 &
lp=$!
in_sliver db socat TCP-LISTEN:5004,reuseaddr,fork OPEN:/dev/null >/dev/null 2>&1 &
lp2=$!
sleep 0.3
# controls: the node itself reaches both listeners
ip netns exec "$NODE" timeout 3 socat -T2 /dev/null "TCP:$web_gw:5003,connect-timeout=2" &&
	ip netns exec "$NODE" timeout 3 socat -T2 /dev/null "TCP:$db_addr:5004,connect-timeout=2"
ok $? "control: the node reaches its own port and db's"
not in_sliver web timeout 3 socat -T2 /dev/null "TCP:$web_gw:5003,connect-timeout=2" 2>/dev/null
ok $? "web cannot reach a port of the node ($web_gw)"
not in_sliver web timeout 3 socat -T2 /dev/null "TCP:$db_addr:5004,connect-timeout=2" 2>/dev/null
ok $? "web cannot reach db ($db_addr)"
kill "$lp" "$lp2" 2>/dev/null; wait "$lp" "$lp2" 2>/dev/null

# ---- the classes match the plan (netlink, for the check alone)
web_slot=$(( (${web_addr##*.} - 2) / 4 ))
web_class=$(printf '1:%x' $((0x100 + web_slot)))
is "$(classes)" "$(printf '1:%x\n1:%x\n' 0x100 0x101 | sort | tr '\n' ' ')" "two sliver classes 1:100 1:101"
is "$(class_of 1:1)" "ffff:ffff 12500000 12500000" "root class 1:1: rate = ceil = --node-rate (bytes/s)"
is "$(class_of "$web_class")" "1:1 125000 1000000" \
	"web's class $web_class: rate net_min_rate, ceil net_max_rate"
db_class=$(printf '1:%x' $((0x100 + (${db_addr##*.} - 2) / 4)))
is "$(class_of "$db_class")" "1:1 1000 12500000" \
	"db's class $db_class: the floor rate, ceil the node rate"
is "$(nrules)" 2 "two classifying rules in table ip epoxy_nm"

# ---- a transfer from web runs at most R + 10 %
measure() { # SLIVER: bit/s seen by the sink over 3 s, after 1 s of warm-up
	local s=$1 p a b t0 t1
	(in_sliver "$s" sh -c "head -c 200000000 /dev/zero | timeout 8 socat -u - TCP:$SINK:5001" \
		>/dev/null 2>&1) &
	p=$!
	sleep 1
	a=$(sink_rx); t0=$(date +%s%N)
	sleep 3
	b=$(sink_rx); t1=$(date +%s%N)
	kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
	pkill -f "socat -u - TCP:$SINK:5001" 2>/dev/null
	echo $(( (b - a) * 8 * 1000000000 / (t1 - t0) ))
}
got=$(measure web)
diag "web at net_max_rate $RATE bit/s: $got bit/s measured at the sink"
[ "$got" -le $((RATE * 110 / 100)) ]; ok $? "web: $got <= $RATE + 10 %"
[ "$got" -ge $((RATE / 2)) ]; ok $? "web: $got >= half the rate (the transfer ran)"
pid_web=$(sliver_pid web)

# ---- a rate change: in place
RATE2=4000000
net_ctl slice set web --host node5 net_max_rate=$RATE2 || bail "set"
set_wait grep -q "net_max_rate $RATE2" "$C/slivers" || bail "the set with the new rate"
apply "$N/nm.log"
grep -q '0 created, 1 updated, 0 destroyed, 1 kept, 0 failed' "$N/nm.log"
ok $? "net_max_rate change: web updated in place" "$(tail -4 "$N/nm.log")"
is "$(sliver_pid web)" "$pid_web" "web: same process"
is "$(class_of "$web_class")" "1:1 125000 500000" "web's class $web_class: the new ceil"
got2=$(measure web)
diag "web at net_max_rate $RATE2 bit/s: $got2 bit/s measured at the sink"
[ "$got2" -le $((RATE2 * 110 / 100)) ]; ok $? "web after the change: $got2 <= $RATE2 + 10 %"
[ "$got2" -ge $((RATE2 / 2)) ]; ok $? "web after the change: $got2 >= half the rate"
cp "$C/slivers" "$N/set.B"

# ---- a slice leaves the node: its veth, class and rule go
net_ctl slice remove-nodes db --host node5 || bail "remove-nodes"
set_wait nsl 1 || bail "the set without db"
apply "$N/nm.log"
grep -q '0 created, 0 updated, 1 destroyed, 1 kept, 0 failed' "$N/nm.log"
ok $? "db taken off the node: destroyed" "$(tail -4 "$N/nm.log")"
is "$(veths)" "web " "veths: web's alone"
is "$(classes)" "$web_class " "classes: web's alone"
is "$(nrules)" 1 "one classifying rule left"
cp "$C/slivers" "$N/set.C"
join_stop

# ---- kill -9 at random points of a reconciliation
sets=(A B C A C B)
net_want() { case $1 in C) echo "web ";; *) echo "db web ";; esac; }
rounds=8 round_ok=0
for i in $(seq 1 $rounds); do
	set=${sets[$((RANDOM % ${#sets[@]}))]}
	cp "$N/set.$set" "$C/slivers"
	(node_ns "$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" "${RUNOPTS[@]}" \
		2>>"$N/kill.log") &
	p=$!
	sleep "0.$(printf '%03d' $((RANDOM % 500)))"
	kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
	pkill -9 -f "^$NM apply --host node5 --slivers $C " 2>/dev/null  # this test's only
	(node_ns "$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" "${RUNOPTS[@]}" \
		2>>"$N/kill.log")
	rc=$?
	want=$(net_want "$set")
	nw=$(wc -w <<<"$want")
	got="rc $rc veths [$(veths)] classes $(nclass) rules $(nrules)"
	exp="rc 0 veths [$want] classes $nw rules $nw"
	if [ "$got" = "$exp" ]; then
		round_ok=$((round_ok + 1))
	else
		fail "kill -9 round $i (set $set)" "got  $got"$'\n'"want $exp"$'\n'"$(tail -5 "$N/kill.log")"
	fi
done
is "$round_ok" $rounds "$rounds rounds of kill -9 mid-reconciliation: veths, classes, rules as wanted"

# ---- a killed node manager leaves no nft running on (nmrun_fork_tied):
# nft would apply whatever part of the ruleset had reached its stdin
printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 96\n' "$N/slow-nft.pid" >"$N/slow-nft"
chmod +x "$N/slow-nft"; rm -f "$N/slow-nft.pid"
SLOWOPTS=("${RUNOPTS[@]}"); SLOWOPTS[${#SLOWOPTS[@]}-1]=$N/slow-nft  # --nft comes last
(node_ns "$NM" apply --host node5 --slivers "$C" --keyset "$KEYS/keyset" "${SLOWOPTS[@]}" \
	2>>"$N/kill.log") &
p=$!
for _ in $(seq 100); do [ -s "$N/slow-nft.pid" ] && break; sleep 0.1; done
np=$(cat "$N/slow-nft.pid" 2>/dev/null)
kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
pkill -9 -f "^$NM apply --host node5 --slivers $C " 2>/dev/null  # this test's only
gone=no; pid_gone "${np:-0}" && gone=yes
is "${np:+started} $gone" "started yes" "kill -9 of the node manager while nft runs: nft is killed too"
[ "$gone" = yes ] || kill -9 "$np" 2>/dev/null

# ---- no sliver: nothing of theirs left
net_ctl slice remove-nodes web --host node5 || bail "remove-nodes web"
join_start
set_wait nsl 0 || bail "the empty set"
join_stop
apply "$N/nm.end"
grep -qE 'slivers of set [0-9]+: 0 created, 0 updated, [0-9] destroyed, 0 kept, 0 failed' "$N/nm.end"
ok $? "the empty set applied" "$(cat "$N/nm.end")"
is "$(nveth)" 0 "no epx veth left"
is "$(nclass)" 0 "no sliver class left"
is "$(nrules)" 0 "no sliver rule left"
is "$(ip -n "$NODE" -j link show | jq '[.[] | select(.ifname|test("^epx"))] | length')" 0 \
	"the node namespace holds up0 and lo alone"
net_cleanup
done_testing
