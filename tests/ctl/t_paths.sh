#!/bin/bash
# t_paths: epoxyd never fails late on a path it cannot use (issue 12).
#   - state under a 0700 parent (root's home): epoxyd opened data_dir and
#     boot_dir before its drop to nobody, so publishing (an upload spooled
#     into data_dir, objects written) and boot files work;
#   - a data_dir nobody cannot write: epoxyd exits at once, and `epoxyd -n`
#     says the same, naming the path, the user and the reason (E2313);
#     a missing boot_dir or store directory likewise;
#   - no upload is answered with a wrong status: a spool that fails at run
#     time is 500 EPOXY-E2244, an object that cannot be written 500
#     EPOXY-E2071, and only a body really over its cap is 413 EPOXY-E2204.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || bail "t_paths needs root (it drops to nobody)"
ctl_setup || bail "set-up"

# move the state under a 0700 parent that nobody cannot search
P=$T_DIR/private
mkdir -m 0700 "$P"
mv "$DATA" "$P/data"; mv "$BOOT" "$P/boot"
DATA=$P/data; BOOT=$P/boot; DB=$DATA/epoxy.db
sed -i "s|^store .*|store sqlite:$DB|; s|^data_dir .*|data_dir $DATA|; s|^boot_dir .*|boot_dir $BOOT|" \
	"$T_DIR/epoxyd.conf"
CONF=$T_DIR/epoxyd.conf

"$BIN/epoxyd" -n -c "$CONF" 2>"$T_DIR/err"; rc=$?
is "$rc/$(grep -c 'paths checked as user nobody' "$T_DIR/err")" "0/1" "-n: state under a 0700 parent is usable by nobody"
epoxyd_start; ok $? "epoxyd starts with its state under a 0700 parent"
make_release "$T_DIR/r7" 7; ok $? "release signed"
ctl release publish --manifest "$T_DIR/r7.manifest" --artifacts "$T_DIR/r7"
is "$?/$(find "$DATA/objects" -type f | wc -l)" "0/4" "publish (70 KB kernel: spooled upload) stores 4 objects"
is "$(curl -s "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi")" "EFI-stage1-test-bytes" "boot file served from boot_dir"

# run-time failures of ours: 500 with their own codes, never 413
chmod 0555 "$DATA"
make_release "$T_DIR/r8" 8
ctl release publish --manifest "$T_DIR/r8.manifest" --artifacts "$T_DIR/r8"; rc=$?
is "$rc/$(grep -o 'HTTP [0-9]*' "$T_DIR/err")/$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" \
	"1/HTTP 500/EPOXY-E2244" "spool fails (data_dir read-only): 500 EPOXY-E2244"
grep -q "cannot spool the upload into data_dir $DATA: Permission denied" "$T_DIR/epoxyd.log"
ok $? "...logged with the path and the errno"
is "$(grep -c 'over its cap' "$T_DIR/epoxyd.log")" 0 "...never as a body over its cap"
chmod 0755 "$DATA"; chmod 0555 "$DATA/objects"
ctl release publish --manifest "$T_DIR/r8.manifest" --artifacts "$T_DIR/r8"; rc=$?
is "$rc/$(grep -o 'HTTP [0-9]*' "$T_DIR/err")/$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" \
	"1/HTTP 500/EPOXY-E2071" "object write fails (objects/ read-only): 500 EPOXY-E2071"
grep -q "data_dir $DATA/objects/[0-9a-f]*: Permission denied" "$T_DIR/epoxyd.log"
ok $? "...logged with the path and the errno"
chmod 0755 "$DATA/objects"
ctl release publish --manifest "$T_DIR/r8.manifest" --artifacts "$T_DIR/r8"
is "$?" 0 "the same publish succeeds once data_dir is writable again"
epoxyd_stop

# an upload really over its cap: 413 EPOXY-E2204
echo "admin_upload_max 100000" >>"$CONF"
epoxyd_start; ok $? "epoxyd restarts with admin_upload_max 100000"
make_release "$T_DIR/r9" 9
ctl release publish --manifest "$T_DIR/r9.manifest" --artifacts "$T_DIR/r9"; rc=$?
is "$rc/$(grep -o 'HTTP [0-9]*' "$T_DIR/err")/$(grep -o 'EPOXY-E[0-9]*' "$T_DIR/err" | head -1)" \
	"1/HTTP 413/EPOXY-E2204" "a body over admin_upload_max: 413 EPOXY-E2204"
epoxyd_stop
sed -i '/^admin_upload_max /d' "$CONF"

# start-up refusals: at once, exit 1, path + user + reason, the same with -n
start_refused() { # name want-regex [epoxyd args...]
	local name=$1 want=$2 t0 rc; shift 2
	t0=$(date +%s%N)
	timeout 10 "$BIN/epoxyd" -c "$CONF" "$@" 2>"$T_DIR/err"; rc=$?
	is "$rc/$(( ($(date +%s%N) - t0) / 1000000 < 3000 ))" "1/1" "$name: epoxyd exits 1 at once"
	grep -qE -- "$want" "$T_DIR/err"; ok $? "...saying '$want'"
	is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")" 000 "...serving nothing"
	"$BIN/epoxyd" -n -c "$CONF" "$@" 2>"$T_DIR/err.n"; rc=$?
	is "$rc/$(grep -cE -- "$want" "$T_DIR/err.n")" "1/1" "$name: epoxyd -n reports the same"
}
chown root "$DATA"; chmod 0755 "$DATA"
start_refused "data_dir not writable by nobody" \
	"EPOXY-E2313 data_dir $DATA: user nobody \(uid [0-9]+\) cannot create a file in it: Permission denied"
chown nobody "$DATA"; chmod 0700 "$DATA"; chown root "$DATA/objects"
start_refused "data_dir/objects not writable by nobody" \
	"EPOXY-E2313 data_dir $DATA/objects: user nobody \(uid [0-9]+\) cannot create a file in it: Permission denied"
chown nobody "$DATA/objects"
start_refused "boot_dir missing" "EPOXY-E2313 boot_dir $T_DIR/nosuch: .*No such file or directory" \
	-o "boot_dir=$T_DIR/nosuch"
chmod 0700 "$BOOT"
start_refused "boot_dir unreadable by nobody" \
	"EPOXY-E2313 boot_dir $BOOT: user nobody \(uid [0-9]+\) cannot search it: Permission denied"
chmod 0755 "$BOOT"
start_refused "store in a missing directory" "EPOXY-E2042 store sqlite:$T_DIR/nosuch/x.db: cannot open it" \
	-o "store=sqlite:$T_DIR/nosuch/x.db"
start_refused "TLS key missing" "EPOXY-E2312 tls_key $T_DIR/nosuch.key: cannot read it: No such file or directory" \
	-o "tls_key=$T_DIR/nosuch.key"
start_refused "keyset missing" "EPOXY-E2314 keyset $T_DIR/nosuch.ks: cannot read it: No such file or directory" \
	-o "keyset=$T_DIR/nosuch.ks"
"$BIN/epoxyd" -n -c "$CONF" 2>"$T_DIR/err"; is "$?" 0 "all put back: -n is content again"
done_testing
