# tests/ctl/lib.sh: set-up shared by the epoxyctl loopback tests.
# Source it, then ctl_setup PORT_BASE; ctl_start.  Runs a real epoxyd from
# $O/bin with the dev keys of $O/keys (server certificate for epoxy.test,
# release keys with threshold 2, online key, keyset), a fresh store (SQLite,
# or with CTL_PG=1 a throw-away PostgreSQL from tests/store/pg.sh) and an
# admin credential made by `epoxyctl admin init`.  Every epoxyctl run
# through `ctl` appends its stdout and stderr to $T_DIR/cli.log, which the
# secret scans read.
set -u
cd "$(dirname "$0")/../.."
. tests/flip.sh
O=${O:-$PWD/build}
BIN=$O/bin
DEVKEYS=$O/keys
T_N=0
T_FAIL=0
T_DIR=$(mktemp -d /tmp/epoxyctl-test.XXXXXX)
SRV_PID=

t_ok() { # exit-status name
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAIL=$((T_FAIL + 1)); fi
}
t_is() { # got want name
	T_N=$((T_N + 1))
	if [ "$1" = "$2" ]; then echo "ok $T_N - $3"
	else echo "not ok $T_N - $3 (got '$1', want '$2')"; T_FAIL=$((T_FAIL + 1)); fi
}
t_done() { echo "1..$T_N"; [ "$T_FAIL" = 0 ]; }

ctl_cleanup() {
	ctl_stop
	[ -n "${PG_CONN:-}" ] && tests/store/pg.sh stop "$T_DIR/pg" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T_DIR"
}
trap ctl_cleanup EXIT

for b in epoxyd epoxyctl; do
	[ -x "$BIN/$b" ] || { echo "not ok 1 - $BIN/$b not built (make O=$O)"; exit 1; }
done
[ -f "$DEVKEYS/.stamp" ] || { echo "not ok 1 - no dev keys in $DEVKEYS (make O=$O dev-keys)"; exit 1; }
for c in curl jq sqlite3; do
	command -v $c >/dev/null || { echo "not ok 1 - $c is needed (make deps)"; exit 1; }
done

# ctl ARGS...: runs epoxyctl, output to $T_DIR/out and $T_DIR/err (and the
# log); returns its exit status.
ctl() {
	"$BIN/epoxyctl" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	local rc=$?
	{ echo "\$ epoxyctl $*"; cat "$T_DIR/out" "$T_DIR/err"; } >>"$T_DIR/cli.log"
	return $rc
}

# ctl_setup BASEPORT: keys, config, store with an admin credential.
ctl_setup() {
	HTTPS_PORT=$1; HTTP_PORT=$(($1 + 1))
	DATA=$T_DIR/data; BOOT=$T_DIR/boot; KEYS=$T_DIR/keys
	DB=$DATA/epoxy.db; STORE=sqlite:$DB; PG_CONN=
	mkdir -p "$DATA" "$BOOT/stage1" "$KEYS"
	chmod 0755 "$T_DIR" "$DATA" "$BOOT" "$BOOT/stage1"
	if [ -n "${CTL_PG:-}" ]; then
		[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "# PostgreSQL 15 missing (make deps)"; return 1; }
		PG_CONN=$(tests/store/pg.sh start "$T_DIR/pg" 15435) || return 1
		STORE="postgres:$PG_CONN"
	fi
	cp -p "$DEVKEYS"/{ca.crt,server.crt,server.key,online.key,keyset,release-1.key,release-2.key,release-3.key} "$KEYS/"
	printf 'EFI-stage0' >"$BOOT/stage0.efi"
	printf 'EFI-stage1' >"$BOOT/stage1.efi"
	printf 'console=ttyS0 epoxy.stage=1\n' >"$BOOT/stage1/cmdline"
	printf 'vmlinuz' >"$BOOT/stage1/vmlinuz"
	printf 'initramfs' >"$BOOT/stage1/initramfs"
	cat >"$T_DIR/epoxyd.conf" <<EOC
listen_addr 127.0.0.1
https_port $HTTPS_PORT
http_port $HTTP_PORT
tls_cert $KEYS/server.crt
tls_key $KEYS/server.key
server_name epoxy.test
boot_url http://127.0.0.1:$HTTP_PORT
store $STORE
data_dir $DATA
boot_dir $BOOT
online_key $KEYS/online.key
keyset $KEYS/keyset
user nobody
threads 2
EOC
	ctl admin init --store "$STORE" --out "$T_DIR/admin.cred" || return 1
	[ "$(id -u)" = 0 ] && chown -R nobody "$DATA"
	export EPOXY_URL=https://epoxy.test:$HTTPS_PORT
	export EPOXY_CA=$KEYS/ca.crt
	export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred
	export EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
	unset EPOXY_CONFIG EPOXY_MKVARS
	export HOME=$T_DIR/home
	return 0
}

ctl_start() {
	"$BIN/epoxyd" -c "$T_DIR/epoxyd.conf" 2>>"$T_DIR/epoxyd.log" &
	SRV_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$SRV_PID" 2>/dev/null || { SRV_PID=; return 1; }
		sleep 0.05
	done
	return 1
}
ctl_stop() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; SRV_PID=
	fi
}

# HTTPS with the pinned CA, as a node would
hs() { # path [curl args...]
	local p=$1; shift
	curl -s --cacert "$KEYS/ca.crt" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
		"$@" "https://epoxy.test:$HTTPS_PORT$p"
}

# make_release DIR VERSION [KEY...]: four artifacts in DIR and DIR.manifest
# signed by the given release keys (default 1 and 2: the threshold).
make_release() {
	local dir=$1 v=$2; shift 2
	local keys=("$@") args=()
	[ ${#keys[@]} -gt 0 ] || keys=(1 2)
	mkdir -p "$dir"
	head -c 70000 /dev/urandom >"$dir/kernel"
	head -c 50000 /dev/urandom >"$dir/initramfs"
	printf 'console=ttyS0 quiet v=%s' "$v" >"$dir/cmdline"
	printf '#!/bin/sh\necho join %s\n' "$v" >"$dir/join"
	for k in "${keys[@]}"; do args+=(--key "$KEYS/release-$k.key"); done
	"$BIN/epoxyctl" release sign --artifacts "$dir" --version "$v" --expires +30 \
		--hwclass qemu-x86_64 "${args[@]}" --out "$dir.manifest" >/dev/null 2>&1
}

# sql STATEMENT: runs one statement on the store, prints rows '|'-separated
sql() {
	if [ -n "$PG_CONN" ]; then
		psql "$PG_CONN" -qAt -c "$1" 2>&1
	else
		sqlite3 "$DB" "$1" 2>&1
	fi
}
# store_dump: every table but the audit log (which records refusals)
store_dump() {
	local t
	for t in hosts host_macs sessions tokens releases release_artifacts channels group_pins reports sites admins; do
		echo "== $t"; sql "SELECT * FROM $t ORDER BY 1, 2"
	done
	ls "$DATA/objects" 2>/dev/null
}
# store_has STRING: 0 if STRING occurs in any file of the store (database,
# WAL, PostgreSQL's data directory)
store_has() {
	if [ -n "$PG_CONN" ]; then
		grep -rqaF "$1" "$T_DIR/pg/data"
	else
		cat "$DB" "$DB-wal" 2>/dev/null | grep -qaF "$1"
	fi
}
