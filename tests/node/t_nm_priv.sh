#!/bin/bash
# t_nm_priv: privileged operations end to end (issue 14 point 6, issue 15
# point 1's last bullet), host side, with Debian's real crun and a real
# epoxy-priv: a real epoxyd holds the slices' grants (epoxyctl slice set
# --grant), signs them into the node's sliver set; epoxy-nm runs each
# sliver as its own uid, writes epoxy-priv's grants file and mounts the
# service's socket directory into the slivers whose slice holds grants.
#   - meas (sock_diag, file:, dir:/etc) receives a sock_diag socket of the
#     node's network namespace (it sees the test's listener, which its own
#     namespace does not have) and a read-only descriptor of a root-only
#     file; asking for /etc/epoxy/keyset beneath its dir:/etc grant is
#     refused (E3209) whatever the grant;
#   - web (a file grant only) is refused sock_diag (E3208), logged with its
#     uid and slice; db (no grants) has no socket to reach at all;
#   - each sliver runs as its own uid (>= --uid-base), its out/ that uid's,
#     the grants file names those uids; a restart keeps them;
#   - epoxy-tcpinfo --priv takes its socket from the service as meas's uid
#     and is refused as web's (E3010 with E3208, exit 1); a grant revoked
#     on the server reaches the service through the grants file;
#   - epoxyd refuses a grant of a node secret (E2111).
# crun needs a unified cgroup hierarchy: t_nm_run.sh says why each
# epoxy-nm runs in a private mount namespace (in_ns) with
# --cgroup-manager disabled.  Installs crun, busybox-static, socat.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/crun.sh"
DEVKEYS=$O/keys
NM=$BIN/epoxy-nm PRIV=$BIN/epoxy-priv TI=$BIN/epoxy-tcpinfo
need_built "$DEVKEYS/node-ca.crt" "$BIN/epoxyctl" "$NM" "$PRIV" "$TI"
crun_install socat=socat setpriv=util-linux
need crun unshare pgrep file setpriv socat jq
[ "$(id -u)" = 0 ] || bail "t_nm_priv runs as root"

nm_node5 sh sleep cat ls echo id stat touch
# epoxy-priv's paths are [a-z0-9._-] components: a lowercase directory
W=/tmp/epoxy-t-nmpriv-$$
P=$W/privdir G=$W/priv.grants LOG=$W/priv.log UBASE=230000
rm -rf "$W"
mkdir -m 0711 "$W" "$W/pub" || bail "dirs"
mkdir -m 0755 "$P" || bail "dirs"
mkdir -m 1777 "$W/ti" || bail "dirs"
mkdir -p "$R/run" || bail "dirs"
cp "$PRIV" "$R/bin/epoxy-priv" || bail "epoxy-priv"
SECRET="node-file-$RANDOM$RANDOM"
printf '%s\n' "$SECRET" >"$W/pub/hello.txt" && chmod 0600 "$W/pub/hello.txt"
PRIVPID=
np_cleanup() {
	nm_stop
	crun_wipe
	[ -n "$PRIVPID" ] && kill "$PRIVPID" 2>/dev/null
	rm -rf "$W"
}
at_exit np_cleanup
np_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { diag "$(cat "$T_DIR/ctl.out")"; return 1; }; }
RUNOPTS=(--rootfs "$R" --data "$D" --runtime-root "$S" --cgroup-manager disabled
	--uid-base "$UBASE" --priv-grants "$G" --priv-dir "$P")
np_start() { nm_join --ns "$1" --heartbeat 60 --poll 40 "${RUNOPTS[@]}"; }
np_uid() { stat -c %u "$D/$1/out" 2>/dev/null; }

# ---- usage
"$NM" --help | grep -q -- '--priv-grants FILE'; ok $? "epoxy-nm --help names --priv-grants"
"$NM" apply --host node5 --slivers "$C" --rootfs "$R" --priv-dir "$P" >/dev/null 2>"$N/e1"
is "$?/$(grep -o 'EPOXY-E3162' "$N/e1" | head -1)" "2/EPOXY-E3162" "--priv-dir without --priv-grants: usage"
"$NM" apply --host node5 --slivers "$C" --rootfs "$R" --priv-grants "$G" --priv-dir /run/epoxy \
	>/dev/null 2>"$N/e1"
is "$?/$(grep -o 'EPOXY-E3162' "$N/e1" | head -1)" "2/EPOXY-E3162" "--priv-dir /run/epoxy: usage (never in a sliver)"
"$NM" apply --host node5 --slivers "$C" --rootfs "$R" --priv-grants rel/g >/dev/null 2>"$N/e1"
is "$?/$(grep -o 'EPOXY-E3162' "$N/e1" | head -1)" "2/EPOXY-E3162" "--priv-grants relative: usage"
"$TI" --help | grep -q -- '--priv SOCKET'; ok $? "epoxy-tcpinfo --help names --priv"

# ---- the service, then the node manager
: >"$G" && chmod 0600 "$G"
"$PRIV" serve --socket "$P/priv.sock" --grants "$G" --access all 2>"$LOG" &
PRIVPID=$!
log_wait "$LOG" 'serving' 50 || bail "epoxy-priv did not start" "$(cat "$LOG")"
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
np_ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
sha=$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)
np_ctl site add lab1 || bail "site"
# the node's own listener, which only the node's namespace has
socat TCP-LISTEN:47613,reuseaddr,fork /dev/null & LPID=$!
at_exit kill "$LPID"
# shellcheck disable=SC2016 # expanded by the sliver's shell
ASK='epoxy-priv ask --socket "$EPOXY_PRIV"'
MEAS="id -u >/out/uid; ls /run >/out/run; touch /run/epoxy-priv/x 2>/dev/null && echo writable >/out/run;"
MEAS+=" $ASK sock_diag >/out/diag 2>&1; echo rc=\$? >>/out/diag;"
MEAS+=" $ASK open $W/pub/hello.txt >/out/file 2>&1; echo rc=\$? >>/out/file;"
MEAS+=" cat $W/pub/hello.txt >/out/direct 2>&1;"
MEAS+=" $ASK open /etc/hostname >/out/etc 2>&1; echo rc=\$? >>/out/etc;"
MEAS+=" $ASK open /etc/epoxy/keyset >/out/secret 2>&1; echo rc=\$? >>/out/secret; exec sleep 86421"
WEB="id -u >/out/uid; $ASK sock_diag >/out/diag 2>&1; echo rc=\$? >>/out/diag; exec sleep 86422"
DB="id -u >/out/uid; ls /run >/out/run 2>&1; epoxy-priv ask --socket /run/epoxy-priv/priv.sock sock_diag >/out/diag 2>&1; echo rc=\$? >>/out/diag; exec sleep 86423"
np_ctl slice create meas --site lab1 --image "sha256:$sha" --days 2 --entry "$MEAS" || bail "slice meas"
np_ctl slice create web --site lab1 --image "sha256:$sha" --days 2 --entry "$WEB" || bail "slice web"
np_ctl slice create db --site lab1 --image "sha256:$sha" --days 2 --entry "$DB" || bail "slice db"
np_ctl slice set meas --grant sock_diag --grant "file:$W/pub/hello.txt" --grant dir:/etc
ok $? "epoxyctl slice set meas --grant sock_diag --grant file: --grant dir:/etc"
np_ctl slice set web --grant file:/etc/hostname; ok $? "web: a file grant only"
"$BIN/epoxyctl" slice set web --grant file:/etc/epoxy/keyset >/dev/null 2>"$N/e2"
is "$?/$(grep -o 'EPOXY-E2111' "$N/e2" | head -1)" "2/EPOXY-E2111" "a grant of a node secret: refused"
"$BIN/epoxyctl" slice show meas --json >"$N/meas.json"
is "$(jq -r 'select(.name) | .grants' "$N/meas.json")" "dir:/etc file:$W/pub/hello.txt sock_diag" \
	"slice show: meas's grants"
for s in meas web db; do np_ctl slice add-nodes "$s" --host node5 || bail "add-nodes $s"; done
np_start "$N/nm.log"
log_wait "$N/nm.log" 'slivers of set [0-9]+: 3 created, 0 updated, 0 destroyed, 0 kept, 0 failed' 300 ||
	log_wait "$N/nm.log" 'slivers of set [0-9]+: .*, 3 kept, 0 failed' 100
ok $? "three slivers run" "$(tail -5 "$N/nm.log")"
is "$(crun_list)" "db meas web " "crun list: db meas web"
for s in meas web db; do
	for _ in $(seq 1 50); do grep -q '^rc=' "$D/$s/out/diag" 2>/dev/null && break; sleep 0.1; done
done
grep -q '^rc=' "$D/meas/out/secret" 2>/dev/null || sleep 1

# ---- uids
um=$(np_uid meas) uw=$(np_uid web) ud=$(np_uid db)
ok $(( um < UBASE || uw < UBASE || ud < UBASE || um == uw || uw == ud || um == ud )) \
	"three uids of --uid-base's range, all different ($um $uw $ud)"
is "$(cat "$D/meas/out/uid") $(cat "$D/web/out/uid") $(cat "$D/db/out/uid")" "$um $uw $ud" \
	"each sliver's entry runs as its out/'s owner"
is "$(stat -c %a "$D/meas/out")" 700 "out/ mode 0700"
grep -q '"user": {"uid": '"$um"', "gid": '"$um"'}' "$D/meas/config.json"; ok $? "config.json: process.user $um"
is "$(stat -c %a "$G")" 600 "the grants file: mode 0600"
grep -qx "slice meas uid $um" "$G" && grep -qx "slice web uid $uw" "$G" && grep -qx "slice db uid $ud" "$G"
ok $? "the grants file names each sliver's uid" "$(cat "$G")"
grep -qx "grant meas sock_diag" "$G" && grep -qx "grant meas file $W/pub/hello.txt" "$G" &&
	grep -qx "grant meas dir /etc" "$G" && grep -qx "grant web file /etc/hostname" "$G" &&
	[ "$(grep -c '^grant ' "$G")" = 4 ]
ok $? "the grants file holds the slices' grants and no other" "$(cat "$G")"
grep -q 'grants re-read (the file changed): 3 slices, 4 grants' "$LOG"
ok $? "epoxy-priv read the file the node manager wrote" "$(cat "$LOG")"

# ---- meas: granted
grep -q "^tcp4 LISTEN 47613$" "$D/meas/out/diag"; ok $? "meas: the sock_diag socket sees the node's listener" \
	"$(head -5 "$D/meas/out/diag")"
grep -q '^rc=0$' "$D/meas/out/diag"; ok $? "meas: sock_diag granted"
is "$(head -1 "$D/meas/out/file")/$(tail -1 "$D/meas/out/file")" "$SECRET/rc=0" \
	"meas: a read-only descriptor of a root-only file it is granted"
grep -q "$SECRET" "$D/meas/out/direct"; is $? 1 "meas: the file itself is not in its root: only the descriptor reads it"
grep -q '^rc=0$' "$D/meas/out/etc"; ok $? "meas: /etc/hostname beneath its dir:/etc grant"
grep -q 'EPOXY-E3209' "$D/meas/out/secret" && grep -q '^rc=1$' "$D/meas/out/secret"
ok $? "meas: /etc/epoxy/keyset beneath dir:/etc: refused E3209 whatever the grant" "$(cat "$D/meas/out/secret")"
is "$(cat "$D/meas/out/run")" "epoxy-priv" "meas: /run holds the socket's directory alone, read-only"

# ---- web: refused and logged; db: nothing to reach
grep -q 'EPOXY-E3208' "$D/web/out/diag" && grep -q '^rc=1$' "$D/web/out/diag"
ok $? "web: sock_diag refused (E3208)" "$(cat "$D/web/out/diag")"
grep -q "^epoxy-priv: refuse EPOXY-E3208 uid=$uw pid=[0-9]* slice=web op=sock_diag" "$LOG"
ok $? "log: web's refusal with its uid and slice"
grep -q "^epoxy-priv: grant uid=$um pid=[0-9]* slice=meas op=sock_diag" "$LOG" &&
	grep -q "^epoxy-priv: grant uid=$um pid=[0-9]* slice=meas op=open path=$W/pub/hello.txt" "$LOG"
ok $? "log: meas's grants"
grep -q "^epoxy-priv: refuse EPOXY-E3209 uid=$um .*slice=meas op=open path=/etc/epoxy/keyset" "$LOG"
ok $? "log: meas's secret refused"
grep -q 'EPOXY-E3217' "$D/db/out/diag" && [ ! -s "$D/db/out/run" ]
ok $? "db (no grants): no /run/epoxy-priv, the service out of reach (E3217)" "$(cat "$D/db/out/diag")"
grep -q "uid=$ud " "$LOG"; is $? 1 "log: nothing from db"
! grep -q "$SECRET" "$LOG"; ok $? "log: no byte of a file"

# ---- epoxy-tcpinfo --priv as the slices' uids
setpriv --reuid="$um" --regid="$um" --clear-groups "$TI" --priv "$P/priv.sock" -c 3 -i 10 \
	-d "$W/ti/a" 2>"$N/ti.meas"
is "$?" 0 "tcpinfo --priv as meas's uid: polls with the granted socket" "$(cat "$N/ti.meas")"
grep -q "sock_diag socket from epoxy-priv" "$N/ti.meas"; ok $? "...and says where its socket came from"
setpriv --reuid="$uw" --regid="$uw" --clear-groups "$TI" --priv "$P/priv.sock" -c 3 -d "$W/ti/b" 2>"$N/ti.web"
is "$?/$(grep -o 'EPOXY-E3208' "$N/ti.web" | head -1)/$(grep -o 'EPOXY-E3010' "$N/ti.web" | head -1)" \
	"1/EPOXY-E3208/EPOXY-E3010" "tcpinfo --priv as web's uid: refused, both codes printed, exit 1"

# ---- a grant revoked on the server reaches the service
np_ctl slice set meas --revoke sock_diag; ok $? "revoke meas's sock_diag"
for _ in $(seq 1 100); do grep -q 'grant meas sock_diag' "$G" || break; sleep 0.1; done
grep -q 'grant meas sock_diag' "$G"; is $? 1 "the grants file lost it"
setpriv --reuid="$um" --regid="$um" --clear-groups "$TI" --priv "$P/priv.sock" -c 1 -d "$W/ti/c" 2>"$N/ti.rev"
is "$?/$(grep -o 'EPOXY-E3208' "$N/ti.rev" | head -1)" "1/EPOXY-E3208" "tcpinfo as meas after the revoke: refused"
is "$(crun_list)" "db meas web " "the slivers kept running"
nm_stop

# ---- a restart keeps each uid
np_start "$N/nm.r1"
log_wait "$N/nm.r1" 'slivers of set [0-9]+: 0 created, 0 updated, 0 destroyed, 3 kept, 0 failed'
ok $? "restart: the three kept" "$(tail -3 "$N/nm.r1")"
is "$(np_uid meas) $(np_uid web) $(np_uid db)" "$um $uw $ud" "restart: the same uids"
nm_stop
done_testing
