# shellcheck shell=bash
# tests/lib/swift.sh: a real S3 API on loopback for the shell tests:
# OpenStack Swift 2.30 (Debian 12's swift, swift-proxy, swift-account,
# swift-container, swift-object) with its s3api middleware and tempauth
# (sourced, bash, after tap.sh or epoxyd.sh; sources tap.sh itself when
# neither was).
#
# Guarantees: the packages are installed with apt-get when missing (a
# failure names the package and ends the test); everything Swift reads or
# writes is under T_DIR/swift (swift_dir with its own swift.conf and hash
# suffix, a one-replica ring set, one device directory, mount_check off:
# no root-only loop device and nothing of /etc/swift is used); four
# servers (account, container, object, proxy) on free loopback ports,
# each started in the foreground of its own process (workers = 0), whose
# pids are the only ones swift_stop ever signals; the tempauth user's key
# is 32 random bytes made per run (never printed); swift_start returns
# only when the proxy's /healthcheck answers and a signed S3 request
# works, else fails with the servers' last log lines.
#
# Set-up   swift_setup          packages, ports, configs, rings, the key
# Run      swift_start | swift_stop    (swift_stop is registered at exit);
#          swift_proxy_stop | swift_proxy_start: the proxy alone;
#          swift_tls_start NAME: a TLS front for the DNS name NAME
# S3       s3_fetch PREFIX DIR: every object under PREFIX of BUCKET into DIR
# S3       s3 METHOD PATH [FILE]   one S3 request to the proxy signed with
#              SigV4 by Debian's python3-botocore (the harness's own
#              client, never the code under test): prints "STATUS" on the
#              first line, the body after it; FILE is the body of a PUT
# Variables: SWIFT_DIR, SWIFT_PORT (the proxy, S3 at SWIFT_URL),
#            SWIFT_AK (access key "epoxy:archive"), SWIFT_SK_FILE (the
#            secret, mode 0600), SWIFT_REGION (us-east-1: s3api's default)
declare -F at_exit >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
[ -n "${T_DIR:-}" ] || tmpdir swift-test
SWIFT_PIDS=()
SWIFT_PKGS='swift swift-proxy swift-account swift-container swift-object python3-swift python3-botocore'
SWIFT_REGION=us-east-1
SWIFT_AK=epoxy:archive
SWIFT_PY=/usr/bin/python3   # Debian's python, where python3-swift and -botocore live
at_exit swift_stop

swift_install() {
  local p pkgs=()
  for p in $SWIFT_PKGS; do pkgs+=("dpkg:$p=$p"); done
  apt_need --no-recommends "${pkgs[@]}"
}

# swift_conf_server KIND PORT: the [DEFAULT] and pipeline of one backend
swift_conf_server() {
  cat >"$SWIFT_DIR/$1-server.conf" <<CONF
[DEFAULT]
swift_dir = $SWIFT_DIR
devices = $SWIFT_DIR/srv
mount_check = false
bind_ip = 127.0.0.1
bind_port = $2
workers = 0
user = $(id -un)
log_name = swift-$1

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$1
CONF
}

swift_conf_proxy() {
  # the pipeline of Swift's s3api documentation, trimmed to what S3 needs:
  # s3api before tempauth, copy for S3's server-side copy
  cat >"$SWIFT_DIR/proxy-server.conf" <<CONF
[DEFAULT]
swift_dir = $SWIFT_DIR
bind_ip = 127.0.0.1
bind_port = $SWIFT_PORT
workers = 0
user = $(id -un)
log_name = swift-proxy

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$SWIFT_MEMCACHE_PORT
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:s3api]
use = egg:swift#s3api
location = $SWIFT_REGION
[filter:tempauth]
use = egg:swift#tempauth
user_epoxy_archive = $(cat "$SWIFT_SK_FILE") .admin
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF
}

swift_rings() { # one ring per kind, one device each: Swift's RingBuilder
  # in one Python (swift-ring-builder is a Python start per command)
  "$SWIFT_PY" - "$SWIFT_DIR" "$SWIFT_PORT_A" "$SWIFT_PORT_C" "$SWIFT_PORT_O" \
    >>"$SWIFT_DIR/rings.log" 2>&1 <<'PY' || {
import os, sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for kind, port in zip(("account", "container", "object"), sys.argv[2:5]):
    b = RingBuilder(6, 1, 1)
    b.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
               "device": "d1", "weight": 1})
    b.rebalance()
    b.save(os.path.join(d, kind + ".builder"))
    b.get_ring().save(os.path.join(d, kind + ".ring.gz"))
    print(kind, "ring:", len(b.devs), "device, port", port)
PY
    fail "Swift's rings" "$(tail -n 5 "$SWIFT_DIR/rings.log")"; return 1; }
}

swift_setup() {
  local p
  swift_install || return 1
  need swift-proxy-server swift-object-server "$SWIFT_PY" curl
  SWIFT_DIR=$T_DIR/swift
  mkdir -p "$SWIFT_DIR/srv/d1" || return 1
  # five ports: proxy, account, container, object, and a memcache port on
  # which nothing listens (no memcached: the cache filter finds none)
  p=$(free_port 5) || return 1
  SWIFT_PORT=$p SWIFT_PORT_A=$((p + 1)) SWIFT_PORT_C=$((p + 2)) SWIFT_PORT_O=$((p + 3))
  SWIFT_MEMCACHE_PORT=$((p + 4))
  SWIFT_URL=http://127.0.0.1:$SWIFT_PORT
  SWIFT_SK_FILE=$SWIFT_DIR/secret
  ( umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SWIFT_SK_FILE" ) ||
    return 1
  printf '[swift-hash]\nswift_hash_path_suffix = %s\nswift_hash_path_prefix = %s\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' \
    "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$SWIFT_DIR/swift.conf"
  swift_conf_server account "$SWIFT_PORT_A"
  swift_conf_server container "$SWIFT_PORT_C"
  swift_conf_server object "$SWIFT_PORT_O"
  swift_conf_proxy
  chmod 0600 "$SWIFT_DIR/proxy-server.conf"
  swift_rings
}

swift_logs() { tail -n 8 "$SWIFT_DIR"/*.log 2>/dev/null; }

swift_start() {
  local kind _
  for kind in account container object proxy; do
    "$SWIFT_PY" "/usr/bin/swift-$kind-server" "$SWIFT_DIR/$kind-server.conf" -v \
      >"$SWIFT_DIR/$kind.log" 2>&1 &
    SWIFT_PIDS+=("$!")
  done
  for _ in $(seq 150); do
    [ "$(curl -s -m 2 "$SWIFT_URL/healthcheck" 2>/dev/null)" = OK ] &&
      ! port_free "$SWIFT_PORT_A" && ! port_free "$SWIFT_PORT_C" &&
      ! port_free "$SWIFT_PORT_O" && break
    sleep 0.2
  done
  [ "$(curl -s -m 2 "$SWIFT_URL/healthcheck" 2>/dev/null)" = OK ] || {
    fail "Swift's proxy answers /healthcheck" "$(swift_logs)"; return 1; }
}

# swift_proxy_stop | swift_proxy_start: the proxy alone (the S3 API goes
# away and comes back; the storage servers keep running)
swift_proxy_stop() {
  [ -n "${SWIFT_PIDS[3]:-}" ] || return 0
  kill "${SWIFT_PIDS[3]}" 2>/dev/null; wait "${SWIFT_PIDS[3]}" 2>/dev/null
}
swift_proxy_start() {
  local _
  "$SWIFT_PY" /usr/bin/swift-proxy-server "$SWIFT_DIR/proxy-server.conf" -v \
    >>"$SWIFT_DIR/proxy.log" 2>&1 &
  SWIFT_PIDS[3]=$!
  for _ in $(seq 150); do
    [ "$(curl -s -m 2 "$SWIFT_URL/healthcheck" 2>/dev/null)" = OK ] && return 0
    sleep 0.2
  done
  fail "Swift's proxy answers /healthcheck again" "$(swift_logs)"; return 1
}

swift_stop() {
  local p
  for p in "${SWIFT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${SWIFT_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  SWIFT_PIDS=()
}

# s3 METHOD PATH [FILE]: "STATUS" then the body, signed by botocore
s3() {
  SWIFT_SK_FILE=$SWIFT_SK_FILE "$SWIFT_PY" - "$SWIFT_URL" "$SWIFT_AK" "$SWIFT_REGION" "$@" <<'PY'
import os, sys, urllib.request, urllib.error
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, ak, region, method, path = sys.argv[1:6]
body = open(sys.argv[6], 'rb').read() if len(sys.argv) > 6 else b''
sk = open(os.environ['SWIFT_SK_FILE']).read().strip()
req = AWSRequest(method=method, url=url + path, data=body)
S3SigV4Auth(Credentials(ak, sk), 's3', region).add_auth(req)
r = urllib.request.Request(url + path, data=body if method in ('PUT', 'POST') else None,
                           method=method, headers=dict(req.headers.items()))
try:
    with urllib.request.urlopen(r, timeout=20) as a:
        st, out = a.status, a.read()
except urllib.error.HTTPError as e:
    st, out = e.code, e.read()
sys.stdout.write('%d\n' % st)
sys.stdout.flush()
sys.stdout.buffer.write(out)
PY
}

# swift_tls_start NAME: a TLS front for the proxy (tests/lib/relay.py --tls:
# python3's ssl module, a byte pipe: the Host header a client signed with
# reaches Swift unchanged)
# on a free loopback port, with a certificate for the DNS name NAME from a
# CA made for it; sets SWIFT_TLS_PORT and SWIFT_TLS_CA.  Its pid is the
# only one swift_tls_stop signals (registered at exit).  Swift itself may
# stop and start behind it: a connection then finds no backend and closes.
SWIFT_TLS_PID=''
swift_tls_start() {
  local d=$SWIFT_DIR/tls _
  mkdir -p "$d" || return 1
  if ! { openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" &&
    openssl req -x509 -new -key "$d/ca.key" -subj /CN=archive-test-ca -days 2 -out "$d/ca.crt" &&
    openssl ecparam -name prime256v1 -genkey -noout -out "$d/front.key" &&
    openssl req -new -key "$d/front.key" -subj "/CN=$1" -out "$d/front.csr" &&
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$1" >"$d/ext" &&
    openssl x509 -req -in "$d/front.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
      -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/front.crt"; } 2>/dev/null; then
    fail "a certificate for the TLS front"; return 1
  fi
  SWIFT_TLS_PORT=$(free_port 1) || return 1
  # shellcheck disable=SC2034 # the sourcing test reads it (--archive-ca)
  SWIFT_TLS_CA=$d/ca.crt
  "$SWIFT_PY" "$(dirname "${BASH_SOURCE[0]}")/relay.py" "$SWIFT_TLS_PORT" "$SWIFT_PORT" --tls "$d/front.crt" "$d/front.key" \
    --idle 30 >"$SWIFT_DIR/tls.log" 2>&1 &
  SWIFT_TLS_PID=$!
  at_exit swift_tls_stop
  for _ in $(seq 50); do port_free "$SWIFT_TLS_PORT" || return 0; sleep 0.1; done
  fail "the TLS front listens" "$(cat "$SWIFT_DIR/tls.log")"; return 1
}
swift_tls_stop() {
  [ -n "$SWIFT_TLS_PID" ] || return 0
  kill "$SWIFT_TLS_PID" 2>/dev/null; wait "$SWIFT_TLS_PID" 2>/dev/null; SWIFT_TLS_PID=''
}

# s3_fetch PREFIX DIR: every object under PREFIX of bucket BUCKET into
# DIR/<its key>, in one python run (botocore-signed list and GETs)
s3_fetch() {
  SWIFT_SK_FILE=$SWIFT_SK_FILE "$SWIFT_PY" - "$SWIFT_URL" "$SWIFT_AK" "$SWIFT_REGION" \
    "$BUCKET" "$1" "$2" <<'PY'
import os, sys, urllib.parse, urllib.request, xml.etree.ElementTree as ET
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, ak, region, bucket, prefix, out = sys.argv[1:7]
sk = open(os.environ['SWIFT_SK_FILE']).read().strip()
def get(path):
    req = AWSRequest(method='GET', url=url + path)
    S3SigV4Auth(Credentials(ak, sk), 's3', region).add_auth(req)
    r = urllib.request.Request(url + path, headers=dict(req.headers.items()))
    with urllib.request.urlopen(r, timeout=20) as a:
        return a.read()
ns = '{http://s3.amazonaws.com/doc/2006-03-01/}'
keys = [k.text for k in ET.fromstring(get('/%s?prefix=%s' % (bucket, urllib.parse.quote(prefix, safe='')))).iter(ns + 'Key')]
for k in keys:
    p = os.path.join(out, k)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, 'wb').write(get('/%s/%s' % (bucket, k)))
PY
}
