#!/bin/bash
# t_nm_slivers: epoxy-nm --slivers against a real epoxyd over loopback
# (issue 14 point 2, the node's side of the sliver set): the node manager
# joins, then long-polls its sliver set between heartbeats; a slice added
# on the server reaches it within seconds (the long poll, not the
# heartbeat: the heartbeat here is 60 s), verified and cached as the exact
# signed bytes; a limit change plans an update, a deletion a destroy; a
# restart verifies the cache again and plans from nothing; a cache with a
# changed byte or another node's cache is refused with its code and the
# node fetches the set again; a revoked host stops it; its key is on no
# disk and in no log.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
DEVKEYS=$O/keys
NM=$BIN/epoxy-nm
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$NM"
need openssl xxd

epoxyd_setup || bail "setup"
node_ca 900 || bail "node CA"
node5_seed || bail "admin, node5 and its credential"
epoxyd_start || bail "epoxyd did not start"
ctl_env
N=$T_DIR/node; mkdir -p "$N"
C=$N/cache
ns_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { diag "$(cat "$T_DIR/ctl.out")"; return 1; }; }

# ns_start LOG [ARGS]: epoxy-nm for node5 with a fresh node credential, in
# the background (NMPID), heartbeat 60 s, polls held up to 40 s
ns_start() { local log=$1; shift; nm_join "$log" --heartbeat 60 --poll 40 "$@"; }
at_exit nm_stop
ns_serial() { awk '$1 == "serial" {print $2; exit}' "$C/slivers"; }

"$NM" --help | grep -q -- '--slivers DIR'; ok $? "epoxy-nm --help names --slivers"
"$NM" join --server https://x --ca x --host node5 --credential-file x --poll 0 >/dev/null 2>&1
is $? 2 "--poll 0: usage error"
"$NM" join --server https://x --ca x --host node5 --credential-file x --poll 56 >/dev/null 2>&1
is $? 2 "--poll over the server's 55 s: usage error"
node_credential node5 52-54-00-00-00-05 >"$N/nc0"
"$NM" join --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" --host node5 \
	--credential-file "$N/nc0" --slivers "$C" --keyset /nonexistent 2>"$N/nm.noks"
is $? 1 "a missing keyset: exit 1 before the join"
grep -q 'EPOXY-E3106' "$N/nm.noks"; ok $? "...with E3106" "$(cat "$N/nm.noks")"

# ---- join; the first set (no slice yet) at once
ns_start "$N/nm.log"
log_wait "$N/nm.log" 'sliver set [0-9]+ of node5 verified: 0 slivers; plan: nothing to change'
ok $? "joined; the first set verified at once: no sliver" "$(cat "$N/nm.log")"
s1=$(ns_serial)
ok $(( s1 < 1 )) "the cache holds it (serial $s1)"

# ---- a slice reaches the node through the long poll
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
ns_ctl image publish "$T_DIR/rootfs.tar" --name img; ok $? "image published"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
ns_ctl site add lab1 && ns_ctl slice create web --site lab1 --image "sha256:$sha" \
	--entry '/bin/httpd -f' --days 2 cpu_share=3 mem_max=1000
ok $? "slice web created"
t0=$(date +%s%N)
ns_ctl slice add-nodes web --host node5; ok $? "node5 added to web"
log_wait "$N/nm.log" 'verified: 1 slivers; plan: create web' 100
ok $? "the new set reaches the node: plan create web" "$(tail -5 "$N/nm.log")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "slice added -> node's plan: $ms ms (heartbeat 60 s, poll 40 s)"
s2=$(ns_serial)
ok $(( s2 <= s1 )) "the cache moved to serial $s2"
grep -q '^sliver web$' "$C/slivers"; ok $? "the cache names web"
# the cache is the exact signed document: its last line verifies over the rest
openssl pkey -in "$KEYS/online.key" -pubout -out "$N/online.pub" 2>/dev/null || bail "online public key"
head -n -1 "$C/slivers" >"$N/body"
tail -n 1 "$C/slivers" | awk '{print $3}' | xxd -r -p >"$N/sig.der"
openssl dgst -sha256 -verify "$N/online.pub" -signature "$N/sig.der" "$N/body" >/dev/null 2>&1
ok $? "the cached set verifies with openssl against the online key"
is "$(stat -c %a "$C") $(stat -c %a "$C/slivers")" "700 600" "cache directory 0700, file 0600"

ns_ctl slice set web --host node5 mem_max=2000; ok $? "mem_max changed for node5"
log_wait "$N/nm.log" 'verified: 1 slivers; plan: update web' 100
ok $? "a limit change plans an update in place" "$(tail -3 "$N/nm.log")"
s3=$(ns_serial)
ok $(( s3 <= s2 )) "serial $s3 after $s2"
nm_stop

# ---- restarts: the cache verified again, then the server's set
ns_start "$N/nm.r1"
log_wait "$N/nm.r1" "cached sliver set $s3 verified"; ok $? "restart: cached set $s3 verified" "$(cat "$N/nm.r1")"
grep -q 'verified: 1 slivers; plan: create web' "$N/nm.r1"
ok $? "...and planned from nothing (after a reboot nothing runs)"
nm_stop
cp "$C/slivers" "$N/good"
sed -i 's/^ cpu_share 3$/ cpu_share 4/' "$C/slivers"
ns_start "$N/nm.r2"
log_wait "$N/nm.r2" "sliver set $s3 of node5 verified" 100
ok $? "a cache with a changed byte: the set fetched again" "$(cat "$N/nm.r2")"
grep -q 'EPOXY-E1082 cached sliver set (ignored)' "$N/nm.r2"; ok $? "...the cache refused with E1082"
is "$(ns_serial) $(grep -c '^ cpu_share 3$' "$C/slivers")" "$s3 1" "...and replaced by the verified set"
nm_stop
sed 's/^node node5$/node node6/' "$N/good" >"$C/slivers"
ns_start "$N/nm.r3"
log_wait "$N/nm.r3" "sliver set $s3 of node5 verified" 100
grep -qE 'EPOXY-E108[23] cached sliver set \(ignored\)' "$N/nm.r3"
ok $? "another node's cache refused" "$(cat "$N/nm.r3")"

# ---- the slice goes: destroy
ns_ctl slice delete web; ok $? "slice web deleted"
log_wait "$N/nm.r3" 'verified: 0 slivers; plan: destroy web' 100
ok $? "deletion reaches the node: plan destroy web" "$(tail -3 "$N/nm.r3")"

# ---- revoked: the node manager stops
ns_ctl host credential node5 --revoke; ok $? "node5 revoked"
for _ in $(seq 1 700); do kill -0 "$NMPID" 2>/dev/null || break; sleep 0.1; done
wait "$NMPID"; rc=$?
is "$rc" 1 "revoked: epoxy-nm exits 1 (its poll refused, then its heartbeat)"
grep -q 'EPOXY-E3108 sliver set' "$N/nm.r3"; ok $? "...the refused poll said E3108" "$(tail -4 "$N/nm.r3")"

# ---- secrets
KEYS_ON_DISK=$(grep -rlE 'BEGIN (EC )?PRIVATE KEY' "$T_DIR" 2>/dev/null | grep -v "^$N/\|$T_DIR/pki/\|$KEYS/")
is "$KEYS_ON_DISK" "" "no private key file under the test directory"
if grep -q 'PRIVATE KEY' "$N"/nm.* "$T_DIR/epoxyd.log"; then fail "no key in epoxy-nm's or epoxyd's log"
else pass "no key in epoxy-nm's or epoxyd's log"; fi
done_testing
