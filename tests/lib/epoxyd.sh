# shellcheck shell=bash
# tests/lib/epoxyd.sh: a real epoxyd on loopback for the shell tests
# (sourced, bash; sources tap.sh, so a test sources only this).
#
# Guarantees: every test gets its own T_DIR (tmpdir), its own ports (two
# free loopback ports unless the caller names them), its own store (SQLite
# in T_DIR, or a throw-away PostgreSQL from tests/store/pg.sh); the
# epoxyd started by epoxyd_start and the PostgreSQL of epoxyd_pg are
# stopped on every exit path.  Requests go to 127.0.0.1 only.
#
# Set-up   epoxyd_setup [PORT|-] [STORE]  the seeded fixture: a fleet CA and
#              server certificate for epoxy.test (epoxyd_pki), release keys,
#              release 7 of four random artifacts (in T_DIR/art), host node1
#              with MAC 52-54-00-12-34-56 and its boot credential in
#              T_DIR/cred.node1 (all through epoxyd-seed), a config
#              (PKI_RSA=1: an RSA server key)
#          epoxyd_ports [PORT|-]  HTTPS_PORT (PORT, or a free one), HTTP_PORT+1
#          epoxyd_dirs            DATA, BOOT (with test boot files), KEYS, DB
#          epoxyd_conf            writes T_DIR/epoxyd.conf from the variables
#          epoxyd_pg              a PostgreSQL store; sets PG_CONN and STORE
# Run      epoxyd_start [-o KEY=VALUE ...] (waits for /healthz) | epoxyd_stop
# Requests hs PATH [CURL ARGS]    HTTPS to epoxy.test pinned to CA_CRT; body
#          hs_code PATH [ARGS]    ... status code only
#          hp PATH [ARGS] | hp_code PATH [ARGS]   the plain-HTTP listener
#          open_session [HOST] [MAC] [CRED]  POST /v1/session; prints the
#              status, the answer in T_DIR/session, the nonce in T_DIR/nonce
#          tok PURPOSE            a token of T_DIR/session
#          bearer TOKEN           the Authorization header line
#          answer PATH TOKEN [CURL ARGS]  "STATUS FIRST-11-BYTES-OF-BODY"
# Nodes    node_ca [TTL]          the build's node CA ($O/keys) in KEYS and in
#              epoxyd.conf, certificates of TTL s (3600) (before epoxyd_start)
#          node5_seed             the node manager's fixture: admin ops (its
#              credential in T_DIR/admin.cred), host node5 with MAC
#              52-54-00-00-00-05 and its boot credential in T_DIR/cred.node5
#          ctl_env                epoxyctl's environment for this epoxyd, as
#              ops (after epoxyd_start)
#          node_cert HOST MAC DIR HOST's node certificate as a joined node
#              gets it (node_credential, then the CSR of a fresh P-256
#              key): DIR/HOST.key and
#              DIR/HOST.crt; prints the CSR answer's status (200)
#          csr_hex KEY SUBJECT    a certificate request of KEY, DER in hex
#          arc_cert HOST DIR      HOST's archive-only certificate asked with
#              DIR/HOST.crt on a fresh key: DIR/HOST-arc.key and
#              DIR/HOST-arc.crt; prints the answer's status (200)
# Store    sql STATEMENT | store_dump (every table but the audit log) |
#          store_has STRING (in any file of the store) |
#          host_state HOST (its state: enrolled, booting, booted, joined ...)
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
BIN=$O/bin
SRV_PID='' PG_CONN=''
need curl openssl sqlite3
need_built "$BIN/epoxyd"
tmpdir epoxyd-test
at_exit epoxyd_stop

epoxyd_ports() {
  if [ -n "${1:-}" ] && [ "$1" != - ]; then HTTPS_PORT=$1
  else HTTPS_PORT=$(free_port 2) || return 1; fi
  HTTP_PORT=$((HTTPS_PORT + 1))
}
epoxyd_dirs() {
  DATA=$T_DIR/data; BOOT=$T_DIR/boot; KEYS=$T_DIR/keys; DB=$DATA/epoxy.db
  mkdir -p "$DATA" "$BOOT/stage1" "$KEYS" || return 1
  chmod 0755 "$T_DIR" "$DATA" "$BOOT" "$BOOT/stage1"
  printf 'EFI-stage0-test-bytes' >"$BOOT/stage0.efi"
  printf 'EFI-stage1-test-bytes' >"$BOOT/stage1.efi"
  printf 'vmlinuz' >"$BOOT/stage1/vmlinuz"
  printf 'initramfs' >"$BOOT/stage1/initramfs"
  printf 'console=ttyS0 epoxy.server=epoxy.test epoxy.addr=10.0.2.100 epoxy.port=8443 epoxy.stage=1\n' \
    >"$BOOT/stage1/cmdline"
}
# epoxyd_conf: needs HTTPS_PORT HTTP_PORT TLS_CERT TLS_KEY STORE DATA BOOT KEYS
epoxyd_conf() {
  cat >"$T_DIR/epoxyd.conf" <<EOF
# epoxyd test config (tests/lib/epoxyd.sh)
listen_addr 127.0.0.1
https_port $HTTPS_PORT
http_port $HTTP_PORT
tls_cert $TLS_CERT
tls_key $TLS_KEY
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
}
# epoxyd_pki: a fleet CA and a server certificate for the DNS name epoxy.test
# (P-256; PKI_RSA=1: an RSA-2048 server key, the kind OVMF's HTTPS boot needs)
epoxyd_pki() {
  local d=$T_DIR/pki
  mkdir -p "$d"
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$d/ca.key" -subj /CN=epoxy-test-ca -days 2 \
    -out "$d/ca.crt" 2>/dev/null
  if [ "${PKI_RSA:-0}" = 1 ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/server.key" 2>/dev/null
  else
    openssl ecparam -name prime256v1 -genkey -noout -out "$d/server.key" 2>/dev/null
  fi
  openssl req -new -key "$d/server.key" -subj /CN=epoxy.test -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:epoxy.test\nextendedKeyUsage=serverAuth\n' >"$d/ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
    -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null || return 1
  chmod 0644 "$d/server.key"
  # shellcheck disable=SC2034 # epoxyd_conf reads TLS_CERT and TLS_KEY
  CA_CRT=$d/ca.crt TLS_CERT=$d/server.crt TLS_KEY=$d/server.key
}
epoxyd_pg() {
  [ -x /usr/lib/postgresql/15/bin/initdb ] || { diag "PostgreSQL 15 missing (make deps)"; return 1; }
  chmod 0755 "$T_DIR"   # the server runs as user postgres
  PG_CONN=$(tests/store/pg.sh start "$T_DIR/pg") || { PG_CONN=; return 1; }
  at_exit quiet tests/store/pg.sh stop "$T_DIR/pg"
  at_exit epoxyd_stop   # before its store goes
  STORE=postgres:$PG_CONN
}

epoxyd_setup() {
  local seed=$BIN/epoxyd-seed
  need_built "$seed"
  epoxyd_ports "${1:-}" || return 1
  epoxyd_dirs || return 1
  STORE=${2:-sqlite:$DB}
  mkdir -p "$T_DIR/art"
  epoxyd_pki || return 1
  "$seed" keys "$KEYS" || return 1
  head -c "${KERNEL_SIZE:-300000}" /dev/urandom >"$T_DIR/art/kernel"
  head -c 200000 /dev/urandom >"$T_DIR/art/initramfs"
  printf 'console=ttyS0 quiet' >"$T_DIR/art/cmdline"
  printf '#!/bin/sh\necho join\n' >"$T_DIR/art/join"
  EXPIRES=$(( $(date +%s) + 86400 * 30 ))
  "$seed" release "$STORE" "$DATA" "$KEYS" qemu-x86_64 7 "$EXPIRES" \
    "$T_DIR/art/kernel" "$T_DIR/art/initramfs" "$T_DIR/art/cmdline" "$T_DIR/art/join" || return 1
  "$seed" host "$STORE" node1 52-54-00-12-34-56 || return 1
  "$seed" cred "$STORE" node1 "$T_DIR/cred.node1" || return 1
  epoxyd_conf
  chmod 0600 "$KEYS/online.key"
  # epoxyd drops root to nobody: like /var/lib/epoxy, the data dir
  # belongs to the service user (keys stay root's: read before the drop)
  if [ "$(id -u)" = 0 ]; then chown -R nobody "$DATA"; fi
}

# epoxyd_start [-o k=v ...]: epoxyd in the background, its stderr appended
# to T_DIR/epoxyd.log; returns when /healthz answers, 1 when it exited
epoxyd_start() {
  local i
  "$BIN/epoxyd" -c "$T_DIR/epoxyd.conf" "$@" 2>>"$T_DIR/epoxyd.log" &
  SRV_PID=$!
  for i in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SRV_PID" 2>/dev/null || { SRV_PID=; return 1; }
    sleep 0.05
  done
  diag "epoxyd pid $SRV_PID: no /healthz on port $HTTP_PORT after $i tries"
  return 1
}
epoxyd_stop() {
  [ -n "$SRV_PID" ] || return 0
  kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; SRV_PID=
}

# ------------------------------------------------------------ requests
hs() {
  local p=$1; shift
  curl -s --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
    "$@" "https://epoxy.test:$HTTPS_PORT$p"
}
hs_code() { local p=$1; shift; hs "$p" -o /dev/null -w '%{http_code}' "$@"; }
hp() { local p=$1; shift; curl -s "$@" "http://127.0.0.1:$HTTP_PORT$p"; }
hp_code() { local p=$1; shift; hp "$p" -o /dev/null -w '%{http_code}' "$@"; }
open_session() {
  local host=${1:-node1} mac=${2:-52-54-00-12-34-56} cred=${3:-} nonce
  [ -n "$cred" ] || read -r cred <"$T_DIR/cred.node1"
  # 32 random bytes in hex (SRANDOM: getrandom(2)), no process started
  printf -v nonce '%08x' "$SRANDOM" "$SRANDOM" "$SRANDOM" "$SRANDOM" \
    "$SRANDOM" "$SRANDOM" "$SRANDOM" "$SRANDOM"
  echo "$nonce" >"$T_DIR/nonce"
  hs /v1/session -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "host=$host&mac=$mac&nonce=$nonce&agent=1&stage=1&credential=$cred" \
    -o "$T_DIR/session" -w '%{http_code}'
}
tok() { # PURPOSE: the session's token for it
  local a b c
  while read -r a b c _ || [ -n "$a" ]; do
    [ "$a" = token ] && [ "$b" = "$1" ] && echo "$c"
  done <"$T_DIR/session"
}
# node_credential HOST MAC: a session for HOST (its boot credential in
# $T_DIR/cred.HOST, epoxyd-seed cred), then its join credential request;
# prints the one-time node credential of the Epoxy-Node-Credential header
# (what epoxy-nm join trades for its certificate)
node_credential() {
  local cred
  cred=$(tr -d '\n' <"$T_DIR/cred.$1")
  open_session "$1" "$2" "$cred" >/dev/null
  hs /v1/joincred -X POST -H "$(bearer "$(tok joincred)")" -D "$T_DIR/jc.hdr" -o /dev/null
  tr -d '\r' <"$T_DIR/jc.hdr" | awk 'tolower($1) == "epoxy-node-credential:" {print $2}'
}
bearer() { echo "Authorization: Bearer $1"; }
answer() {
  local p=$1 t=$2 b body; shift 2
  b=$(hs "$p" -H "$(bearer "$t")" -w '\n%{http_code}' "$@")
  body=${b%$'\n'*}
  echo "${b##*$'\n'} ${body:0:11}"
}

# ------------------------------------------------------------ nodes
node_ca() {
  cp -p "$O/keys/node-ca.crt" "$O/keys/node-ca.key" "$KEYS/" || return 1
  printf 'node_ca_cert %s\nnode_ca_key %s\nnode_cert_ttl %s\n' \
    "$KEYS/node-ca.crt" "$KEYS/node-ca.key" "${1:-3600}" >>"$T_DIR/epoxyd.conf"
}
node5_seed() {
  "$BIN/epoxyd-seed" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null &&
    "$BIN/epoxyd-seed" host "$STORE" node5 52-54-00-00-00-05 >/dev/null &&
    "$BIN/epoxyd-seed" cred "$STORE" node5 "$T_DIR/cred.node5" >/dev/null
}
ctl_env() {
  export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
  export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
  unset EPOXY_CONFIG
}
node_cert() {
  local host=$1 mac=$2 dir=$3 nc
  nc=$(node_credential "$host" "$mac")
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$host.key" 2>/dev/null
  hs /v1/node/csr -H "$(bearer "$nc")" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "host=$host&csr=$(csr_hex "$dir/$host.key" "/CN=$host")" -o "$dir/$host.crt" \
    -w '%{http_code}'
}
# csr_hex KEY SUBJECT: a certificate request of KEY, DER in hex
csr_hex() { openssl req -new -key "$1" -subj "$2" -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'; }
# arc_cert HOST DIR: HOST's archive-only certificate (OU=epoxy-archive),
# asked with its node certificate DIR/HOST.crt (node_cert) on a fresh key,
# as DIR/HOST-arc.key and DIR/HOST-arc.crt; prints the HTTP status
arc_cert() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$2/$1-arc.key" 2>/dev/null
  hs /v1/node/archive-cert -X POST --cert "$2/$1.crt" --key "$2/$1.key" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "csr=$(csr_hex "$2/$1-arc.key" "/CN=$1")" -o "$2/$1-arc.crt" -w '%{http_code}'
}

# arc_name EXP DATATYPE NODE: an archive bundle name of now, M-Lab's
# layout (lib/bundlename.h), the time to the microsecond
arc_name() {
  local t; t=$(date -u +%Y%m%dT%H%M%S.%6NZ)
  echo "$1/$2/${t:0:4}/${t:4:2}/${t:6:2}/$t-$2-$3-$1.tgz"
}

# ------------------------------------------------------------ store
sql() {
  if [ -n "$PG_CONN" ]; then psql "$PG_CONN" -qAt -c "$1" 2>&1
  else sqlite3 "$DB" "$1" 2>&1; fi
}
store_dump() { # the store's tables and objects, in one client run (t_refuse dumps twice a request)
  local t q=() a=()
  for t in hosts host_macs sessions tokens token_reissues releases release_artifacts channels \
           group_pins reports sites admins; do
    q+=("SELECT '== $t'" "SELECT * FROM $t ORDER BY 1, 2")
  done
  if [ -n "$PG_CONN" ]; then
    for t in "${q[@]}"; do a+=(-c "$t"); done
    psql "$PG_CONN" -qAt "${a[@]}" 2>&1
  else
    printf -v t '%s; ' "${q[@]}"; sqlite3 "$DB" "$t" 2>&1
  fi
  ls "$DATA/objects" 2>/dev/null
}
host_state() { sql "SELECT state FROM hosts WHERE name = '$1'"; }
store_has() {
  if [ -n "$PG_CONN" ]; then grep -rqaF "$1" "$T_DIR/pg/data"
  else cat "$DB" "$DB-wal" 2>/dev/null | grep -qaF "$1"; fi
}
