# tests/server/lib.sh: shared set-up of the epoxyd loopback tests.
# Source it, then: srv_setup PORT_BASE [extra config lines]; srv_start;
# use the curl helpers; srv_stop is called on exit.
# Every test prints TAP lines through t_ok / t_is.
set -u
cd "$(dirname "$0")/../.."
O=${O:-$PWD/build}
BIN=$O/bin
T_N=0
T_FAIL=0
T_DIR=$(mktemp -d /tmp/epoxyd-test.XXXXXX)
SRV_PID=

t_ok() { # cond-exit-status name
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAIL=$((T_FAIL + 1)); fi
}
t_is() { # got want name
	T_N=$((T_N + 1))
	if [ "$1" = "$2" ]; then echo "ok $T_N - $3"
	else echo "not ok $T_N - $3 (got '$1', want '$2')"; T_FAIL=$((T_FAIL + 1)); fi
}
t_done() { echo "1..$T_N"; [ "$T_FAIL" = 0 ]; }

srv_cleanup() {
	srv_stop
	[ -n "${KEEP:-}" ] || rm -rf "$T_DIR"
}
trap srv_cleanup EXIT

for b in epoxyd epoxyd-seed; do
	[ -x "$BIN/$b" ] || { echo "not ok 1 - $BIN/$b not built (make O=$O)"; exit 1; }
done
command -v curl >/dev/null && command -v openssl >/dev/null && command -v sqlite3 >/dev/null ||
	{ echo "not ok 1 - curl, openssl and sqlite3 are needed (make deps)"; exit 1; }

# A fleet CA and a server certificate for the DNS name epoxy.test.
srv_pki() {
	local d=$T_DIR/pki
	mkdir -p "$d"
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$d/ca.key" -subj /CN=epoxy-test-ca -days 2 \
		-out "$d/ca.crt" 2>/dev/null
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/server.key" 2>/dev/null
	openssl req -new -key "$d/server.key" -subj /CN=epoxy.test -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=DNS:epoxy.test\nextendedKeyUsage=serverAuth\n' >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
	chmod 0644 "$d/server.key"
}

# srv_setup BASEPORT [STOREURI]: keys, boot files, one release, host node1.
srv_setup() {
	HTTPS_PORT=$1; HTTP_PORT=$(($1 + 1))
	DATA=$T_DIR/data; BOOT=$T_DIR/boot; KEYS=$T_DIR/keys
	DB=$T_DIR/data/epoxy.db
	STORE=${2:-sqlite:$DB}
	mkdir -p "$DATA" "$BOOT/stage1" "$KEYS" "$T_DIR/art"
	chmod 0755 "$T_DIR" "$DATA" "$BOOT" "$BOOT/stage1"
	srv_pki
	"$BIN/epoxyd-seed" keys "$KEYS" || return 1
	chmod 0644 "$KEYS/online.key"
	head -c "${KERNEL_SIZE:-300000}" /dev/urandom >"$T_DIR/art/kernel"
	head -c 200000 /dev/urandom >"$T_DIR/art/initramfs"
	printf 'console=ttyS0 quiet' >"$T_DIR/art/cmdline"
	printf '#!/bin/sh\necho join\n' >"$T_DIR/art/join"
	printf 'EFI-stage0-test-bytes' >"$BOOT/stage0.efi"
	printf 'EFI-stage1-test-bytes' >"$BOOT/stage1.efi"
	printf 'vmlinuz' >"$BOOT/stage1/vmlinuz"
	printf 'initramfs' >"$BOOT/stage1/initramfs"
	printf 'console=ttyS0 epoxy.server=epoxy.test epoxy.addr=10.0.2.100 epoxy.port=8443 epoxy.stage=1\n' \
		>"$BOOT/stage1/cmdline"
	EXPIRES=$(( $(date +%s) + 86400 * 30 ))
	"$BIN/epoxyd-seed" release "$STORE" "$DATA" "$KEYS" qemu-x86_64 7 "$EXPIRES" \
		"$T_DIR/art/kernel" "$T_DIR/art/initramfs" "$T_DIR/art/cmdline" "$T_DIR/art/join" || return 1
	"$BIN/epoxyd-seed" host "$STORE" node1 52-54-00-12-34-56 || return 1
	"$BIN/epoxyd-seed" cred "$STORE" node1 "$T_DIR/cred.node1" || return 1
	cat >"$T_DIR/epoxyd.conf" <<EOF
# epoxyd test config
listen_addr 127.0.0.1
https_port $HTTPS_PORT
http_port $HTTP_PORT
tls_cert $T_DIR/pki/server.crt
tls_key $T_DIR/pki/server.key
server_name epoxy.test
boot_url http://127.0.0.1:$HTTP_PORT
store $STORE
data_dir $DATA
boot_dir $BOOT
online_key $KEYS/online.key
keyset $KEYS/keyset
user nobody
threads 2
# every loopback test sends all its requests from 127.0.0.1, many in a
# burst on a fast machine: the per-address limit (default 20/s, burst 60)
# would shed some with 503 EPOXY-E2231.  t_storm replaces these two lines
# to test the limiter itself.
rate_per_sec 100000
rate_burst 100000
EOF
	chmod 0600 "$KEYS/online.key"
	# epoxyd drops root to nobody: like /var/lib/epoxy, the data dir
	# belongs to the service user (keys stay root's: read before the drop)
	[ "$(id -u)" = 0 ] && chown -R nobody "$DATA"
	return 0
}

# srv_start [-o k=v ...]: starts epoxyd in the background, waits for healthz.
srv_start() {
	"$BIN/epoxyd" -c "$T_DIR/epoxyd.conf" "$@" 2>>"$T_DIR/epoxyd.log" &
	SRV_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$SRV_PID" 2>/dev/null || { SRV_PID=; return 1; }
		sleep 0.05
	done
	return 1
}
srv_stop() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; SRV_PID=
	fi
}

# HTTPS with the pinned CA and the DNS name; prints the body, status on fd 3
hs() { # path [curl args...]
	local p=$1; shift
	curl -s --cacert "$T_DIR/pki/ca.crt" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
		"$@" "https://epoxy.test:$HTTPS_PORT$p"
}
hs_code() { # path [curl args]: prints the status code only
	local p=$1; shift
	hs "$p" -o /dev/null -w '%{http_code}' "$@"
}
hp() { local p=$1; shift; curl -s "$@" "http://127.0.0.1:$HTTP_PORT$p"; }
hp_code() { local p=$1; shift; hp "$p" -o /dev/null -w '%{http_code}' "$@"; }

# open_session [host] [mac] [cred]: writes the answer to $T_DIR/session
open_session() {
	local host=${1:-node1} mac=${2:-52-54-00-12-34-56} cred=${3:-$(cat "$T_DIR/cred.node1")}
	local nonce
	nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$nonce" >"$T_DIR/nonce"
	hs /v1/session -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data "host=$host&mac=$mac&nonce=$nonce&agent=1&stage=1&credential=$cred" \
		-o "$T_DIR/session" -w '%{http_code}'
}
tok() { awk -v p="$1" '$1 == "token" && $2 == p {print $3}' "$T_DIR/session"; }

# a dump of the store without the audit log (which records refusals)
store_dump() {
	sqlite3 "$DB" ".dump hosts host_macs sessions tokens token_reissues releases release_artifacts channels group_pins reports sites admins" 2>&1
}
