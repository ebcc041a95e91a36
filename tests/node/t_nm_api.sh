#!/bin/bash
# t_nm_api: epoxy-nm's local API and tickets (issue 14 points 2 and 4,
# node side) against a real epoxyd over loopback: epoxyd issues real
# tickets (`epoxyctl slice ticket`), the real node manager redeems them
# through its Unix socket (`epoxy-nm redeem`) and runs the sliver with
# Debian's crun, as t_nm_run does (a private mount namespace with cgroup2
# over /sys/fs/cgroup, --cgroup-manager disabled: see t_nm_run.sh).
# Checks: the socket is 0600 root in a 0700 directory, a caller other
# than root cannot reach it, a malformed or oversized request is refused
# with its code; `epoxy-nm slivers`
# lists the plan as JSON; a ticket for another node, with a changed byte,
# signed by another key, or naming a sliver the set already has, is
# refused with its code and changes nothing (no container, no journal); a
# good one creates its sliver; replayed it is refused, also after an
# epoxy-nm restart; the next full sliver set destroys a ticket sliver it
# does not list and keeps one it lists (same process); an expired ticket
# is refused.  Installs crun and busybox-static with apt-get when missing.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
DEVKEYS=$O/keys
NM=$BIN/epoxy-nm
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$NM"
crun_install socat=socat
need crun unshare pgrep file openssl xxd stat socat setpriv
t_start=$(date +%s)

epoxyd_setup || bail "setup"
node_ca 900 || bail "node CA"
node5_seed || bail "admin, node5 and its credential"
"$BIN/epoxyd-seed" host "$STORE" node6 52-54-00-00-00-06 >/dev/null || bail "node6"
epoxyd_start || bail "epoxyd did not start"
ctl_env
N=$T_DIR/node; C=$N/cache; D=$N/slivers; S=$N/crun; R=$N/rootfs; K=$N/tickets
SOCK=$N/api/api.sock CRUN_ROOT=$S
mkdir -p "$N" "$K" "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/out" || bail "dirs"
cp /bin/busybox "$R/bin/busybox" || bail "busybox"
for a in sh sleep; do ln -s busybox "$R/bin/$a"; done
NMPID=''
api_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { diag "$(cat "$T_DIR/ctl.out")"; return 1; }; }
nm_start() {
	nm_join --ns "$1" --heartbeat 60 --poll 40 --api-socket "$SOCK" --rootfs "$R" --data "$D" \
		--runtime-root "$S" --cgroup-manager disabled
}
api_cleanup() {
	nm_stop
	crun_wipe
}
at_exit api_cleanup
# ticket SLICE FILE [NODE] [TTL]: a ticket from epoxyd into FILE
ticket() { api_ctl slice ticket "$1" --node "${3:-node5}" --ttl "${4:-600}" && cp "$T_DIR/ctl.out" "$2"; }
# redeem FILE: epoxy-nm redeem, its exit status; stdout in $N/out, stderr $N/err
redeem() { "$NM" redeem --api-socket "$SOCK" "$1" >"$N/out" 2>"$N/err"; }
journal() { cat "$C/tickets" 2>/dev/null; }
# the node manager's code in a refusal (after the client's own E3147)
code_of() { sed -n 's/.* redeem: \(EPOXY-E[0-9]*\) .*/\1/p' "$N/err" | head -1; }

"$NM" --help | grep -q -- '--api-socket PATH'; ok $? "epoxy-nm --help names --api-socket"
"$NM" slivers --api-socket relative.sock >/dev/null 2>&1
is $? 2 "slivers --api-socket with a relative path: usage error"
"$NM" slivers --api-socket "$N/none.sock" 2>"$N/err"
is $? 3 "slivers on a socket nobody serves: exit 3"
grep -q 'EPOXY-E3145' "$N/err"; ok $? "...with E3145" "$(cat "$N/err")"
redeem "$N/no-such-ticket"
is $? 1 "redeem of a missing file: exit 1"

# ---- the slices: web in the set, tk and conf by ticket only
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
api_ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
api_ctl site add lab1 || bail "site"
for s in web:86411 tk:86414 conf:86415; do
	api_ctl slice create "${s%%:*}" --site lab1 --image "sha256:$sha" --days 2 \
		--entry "exec sleep ${s##*:}" cpu_share=2 || bail "slice ${s%%:*}"
done
api_ctl slice add-nodes web --host node5 || bail "add-nodes web"
# every ticket now, while no node manager runs: epoxyd issues one only for
# a sliver the slice has on that node, so tk and conf are on node5 (and
# node6) for the issue and taken off node5 again before epoxy-nm starts
api_ctl slice add-nodes tk --host node5 --host node6 || bail "add-nodes tk"
api_ctl slice add-nodes conf --host node5 || bail "add-nodes conf"
ticket tk "$K/expiring" node5 60 || bail "ticket (60 s)"
t_expiring=$(date +%s)
for t in tk:good tk:good2 conf:conf; do ticket "${t%%:*}" "$K/${t#*:}" || bail "ticket ${t#*:}"; done
ticket tk "$K/node6" node6 || bail "ticket for node6"
ticket web "$K/web" || bail "ticket web"
api_ctl slice remove-nodes tk --host node5 || bail "remove-nodes tk"
api_ctl slice remove-nodes conf --host node5 || bail "remove-nodes conf"

nm_start "$N/nm.log"
log_wait "$N/nm.log" 'slivers of set [0-9]+: 1 created' || bail "first set" "$(cat "$N/nm.log")"
is "$(crun_list)" "web " "the set's sliver web runs"
is "$(stat -c '%a %U %F' "$SOCK")" "600 root socket" "the API socket: mode 0600, root's"
is "$(stat -c '%a %U' "$N/api")" "700 root" "its directory: mode 0700, root's"
"$NM" slivers --api-socket "$SOCK" >"$N/list" 2>"$N/err"
ok $? "slivers: exit 0" "$(cat "$N/err")"
grep -q '^{"node": "node5", "serial": [1-9][0-9]*, "slivers": \[{"name": "web", "source": "set", ' "$N/list"
ok $? "slivers: JSON, web from the set" "$(cat "$N/list")"

# ---- who may ask, and what: root only; a malformed or oversized request refused
setpriv --reuid=65534 --regid=65534 --clear-groups "$NM" slivers --api-socket "$SOCK" \
	>/dev/null 2>"$N/err"
is "$? $(grep -o 'EPOXY-E3145' "$N/err")" "3 EPOXY-E3145" "uid 65534 cannot reach the socket"
printf 'epoxy-nm-api 1\nlist all\n' | socat -t 5 - "UNIX-CONNECT:$SOCK" >"$N/raw" 2>/dev/null
grep -q '^refused EPOXY-E3140 ' "$N/raw"; ok $? "a malformed request: refused E3140" "$(cat "$N/raw")"
{ printf 'epoxy-nm-api 1\nredeem 4096\n'; head -c 4200 /dev/zero; } |
	socat -t 5 - "UNIX-CONNECT:$SOCK" >"$N/raw" 2>/dev/null
grep -q '^refused EPOXY-E3141 ' "$N/raw"; ok $? "a request over 4160 bytes: refused E3141" "$(cat "$N/raw")"

# ---- hostile tickets: each refused with its code, nothing changes
# a changed byte: one digit of the nonce
sed 's/^\(nonce .\)\(.\)/\1x/' "$K/good" >"$K/flipped"
cmp -s "$K/good" "$K/flipped"; is $? 1 "the changed-byte ticket differs from the good one"
# another key: the body signed again by a fresh P-256 key, with the online key's id
openssl ecparam -genkey -name prime256v1 -noout -out "$N/other.key" 2>/dev/null || bail "other key"
grep -v '^sig ' "$K/good" >"$N/body"
keyid=$(awk '$1 == "sig" {print $2}' "$K/good")
{ cat "$N/body"; printf 'sig %s %s\n' "$keyid" \
	"$(openssl dgst -sha256 -sign "$N/other.key" "$N/body" | xxd -p | tr -d '\n')"; } >"$K/otherkey"
for c in "node6:another node's:E1083" "flipped:a changed byte:E1082" \
	"otherkey:signed by another key:E1082" "web:naming the set's own sliver:E3153"; do
	IFS=: read -r f what code <<<"$c"
	redeem "$K/$f"
	rc=$?
	got="rc $rc code $(code_of) crun [$(crun_list)] journal $(journal | wc -l)"
	is "$got" "rc 1 code EPOXY-$code crun [web ] journal 0" "a ticket $what: refused, nothing changed" \
		|| diag "$(cat "$N/err")"
done

# ---- a good ticket: the sliver is created
redeem "$K/good"
ok $? "a good ticket: redeemed" "$(cat "$N/err")"
is "$(cat "$N/out")" '{"redeemed": "tk", "run": "ok"}' "...the answer names it and its run"
is "$(crun_list)" "tk web " "crun list: tk beside web"
is "$(pgrep -fc '^sleep 86414$')" 1 "tk's process runs"
is "$(journal | grep -c '^nonce ')" 1 "the journal holds its nonce"
"$NM" slivers --api-socket "$SOCK" >"$N/list" 2>/dev/null
grep -q '{"name": "tk", "source": "ticket", ' "$N/list"; ok $? "slivers: tk from a ticket" "$(cat "$N/list")"
redeem "$K/good"
is "$? $(code_of)" "1 EPOXY-E3150" "the same ticket again: replay refused"
is "$(crun_list)" "tk web " "...nothing changed"

# ---- a restart: the ticket sliver, unconfirmed, is dropped; the nonce is not
nm_stop
nm_start "$N/nm.r1"
log_wait "$N/nm.r1" 'local API on' && log_wait "$N/nm.r1" 'slivers of set [0-9]+: .* 1 destroyed, 1 kept'
ok $? "restart: the unconfirmed ticket sliver destroyed, web kept" "$(cat "$N/nm.r1")"
redeem "$K/good"
is "$? $(code_of)" "1 EPOXY-E3150" "after the restart: the replay still refused"
is "$(crun_list)" "web " "...nothing created"

# ---- the next full set: a ticket sliver it lists stays, one it does not is destroyed
redeem "$K/good2"; ok $? "a second tk ticket: redeemed" "$(cat "$N/err")"
redeem "$K/conf"; ok $? "a conf ticket: redeemed" "$(cat "$N/err")"
is "$(crun_list)" "conf tk web " "crun list: conf, tk, web"
pid_conf=$(crun_pid conf)
api_ctl slice add-nodes conf --host node5 || bail "add-nodes conf"
log_wait "$N/nm.r1" 'set [0-9]+: 2 ticket slivers end' 100 &&
	log_wait "$N/nm.r1" 'slivers of set [0-9]+: 0 created, 0 updated, 1 destroyed, 2 kept' 100
ok $? "the next set (conf added): tk destroyed, conf and web kept" "$(tail -5 "$N/nm.r1")"
is "$(crun_list)" "conf web " "crun list: conf, web"
is "$(crun_pid conf)" "$pid_conf" "conf: the same process, now the set's"
is "$(pgrep -fc '^sleep 86414$')" 0 "tk's process is gone"
is "$(journal | grep -c '^nonce ')" 3 "the journal: three nonces"

# ---- the expiring ticket, once its 60 s are over
left=$((t_expiring + 61 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
redeem "$K/expiring"
is "$? $(code_of)" "1 EPOXY-E1085" "an expired ticket: refused"
is "$(crun_list)" "conf web " "...nothing changed"
grep -q 'EPOXY-E1085 ticket refused' "$N/nm.r1"; ok $? "the node manager logs the refusal with its code"
diag "t_nm_api: $(($(date +%s) - t_start)) s"
api_cleanup
is "$(crun_list)" "" "cleanup: crun list empty"
done_testing
