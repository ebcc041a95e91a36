# shellcheck shell=bash
# tests/agent/lib.sh: fixtures of the agent's loopback tests (sourced by
# tests/agent/t_*.sh; the TAP checks are
# tests/lib/tap.sh's, sourced here).
#
# Makes, under $W: a dev CA and server certificate for epoxy.test, a second
# CA and a wrong-name certificate; release/online keys and the keyset (via
# the hostile tool, which links lib/sign.c); two releases of random
# artifacts and their signed manifests; the efivar file; /etc/epoxy.
# Runs the real static agent ($O/bin/epoxy-agent) against the hostile
# server ($O/agent-test/hostile) on 127.0.0.1, with only kexec recorded.
#   fixtures | serve PORT CERT [FAULT...] | serve_late SECONDS PORT CERT |
#   stop | agent1 PORT [ARGS] | booted | refused CODE-REGEX | mf ...
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
AGENT=$O/bin/epoxy-agent
HOSTILE=$O/agent-test/hostile
need_built "$AGENT" "$HOSTILE"
tmpdir epoxy-agent-test
W=$T_DIR
HOSTILE_PID=''
at_exit stop

mkcert() { # name cn ca
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$W/$1.key" -out "$W/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$2" >"$W/$1.ext"
  openssl x509 -req -in "$W/$1.csr" -CA "$W/$3.pem" -CAkey "$W/$3.key" -CAcreateserial \
    -days 30 -extfile "$W/$1.ext" -out "$W/$1.pem" 2>/dev/null
}
fixtures() {
  for ca in ca otherca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj "/CN=epoxy test $ca" -keyout "$W/$ca.key" -out "$W/$ca.pem" 2>/dev/null
  done
  mkcert server epoxy.test ca
  mkcert wrongca epoxy.test otherca
  mkcert wrongname other.test ca
  mkdir -p "$W/srv" "$W/srvb" "$W/etc" "$W/efi"
  "$HOSTILE" keygen "$W/srv" || bail "hostile keygen"
  cp "$W/srv"/*.key "$W/srv/keyset" "$W/srvb/"
  head -c 3000000 /dev/urandom >"$W/srv/kernel"
  head -c 1000001 /dev/urandom >"$W/srv/initramfs"
  printf 'console=ttyS0 quiet\n' >"$W/srv/cmdline"
  # shellcheck disable=SC2016 # the join script's own variables, expanded when it runs
  printf '#!/bin/sh\necho "joining as $EPOXY_HOST session $EPOXY_SESSION"\ntest -s "$EPOXY_JOINCRED_FILE" || exit 3\ncase "$*" in *cred*) exit 4;; esac\necho joined\n' >"$W/srv/join"
  printf 'joincred-for-node1 5f1d0c\n' >"$W/srv/joincred"
  head -c 2999999 /dev/urandom >"$W/srvb/kernel"
  head -c 1000001 /dev/urandom >"$W/srvb/initramfs"
  cp "$W/srv/cmdline" "$W/srv/join" "$W/srv/joincred" "$W/srvb/"
  EXP=$(( $(date +%s) + 86400 ))
  mf "$W/srv" "$W/srv/manifest" 7 $EXP
  mf "$W/srvb" "$W/srvb/manifest" 8 $EXP
  cp "$W/srv/keyset" "$W/etc/keyset"; cp "$W/ca.pem" "$W/etc/ca.pem"
  echo 5 >"$W/etc/floor"; echo qemu-x86_64 >"$W/etc/hwclass"
  CRED=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '\007\000\000\000epoxy-boot 1\nhost node1\ncredential %s\nend\n' "$CRED" \
    >"$W/efi/EpoxyBoot-2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13"
}
mf() { # dir out version expires [hwclass] [nkeys]
  "$HOSTILE" manifest "$W/srv" "$2" "$3" "$4" "${5:-qemu-x86_64}" "$1/kernel" \
    "$1/initramfs" "$1/cmdline" "$1/join" "${6:-2}" || bail "hostile manifest $2"
}

# serve PORT CERTNAME [FAULT...]: start the hostile server, wait for it
serve() {
  local port=$1 cert=$2; shift 2
  stop
  "$HOSTILE" serve "$port" "$W/$cert.pem" "$W/$cert.key" "$W/srv" "$@" 2>"$W/srv.log" &
  HOSTILE_PID=$!
  for _ in $(seq 50); do
    grep -q listening "$W/srv.log" 2>/dev/null && return 0; sleep 0.1
  done
  diag "server did not start" "$(cat "$W/srv.log")"
}
# serve_late SECONDS PORT CERTNAME: the server stopped now, started after SECONDS
serve_late() {
  stop
  (sleep "$1"; exec "$HOSTILE" serve "$2" "$W/$3.pem" "$W/$3.key" "$W/srv" 2>"$W/srv.log") &
  HOSTILE_PID=$!
}
stop() {
  [ -n "$HOSTILE_PID" ] || return 0
  kill "$HOSTILE_PID" 2>/dev/null; wait "$HOSTILE_PID" 2>/dev/null; HOSTILE_PID=
}

# agent PORT [extra args]: run stage 1 with the recorder; output in $W/out
agent1() {
  local port=$1; shift
  rm -rf "$W/rec"; mkdir -p "$W/rec"
  echo "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=127.0.0.1 epoxy.port=$port epoxy.stage=1" >"$W/cmdline"
  timeout 120 "$AGENT" --cmdline "$W/cmdline" --efivars "$W/efi" --etc "$W/etc" \
    --kexec-record "$W/rec" --retries 2 --backoff-ms 50 --server-wait 0 \
    --mac 52-54-00-12-34-56 "$@" \
    >"$W/out" 2>&1
  AGENT_RC=$?
}
# has CODE: the console shows the code and no kexec was recorded
refused() {
  { grep -q "^$1 " "$W/out" && [ "$AGENT_RC" != 0 ] && [ ! -e "$W/rec/exec" ] &&
    [ ! -e "$W/rec/kernel" ]; } || { sed 's/^/#   /' "$W/out" | tail -8; return 1; }
}
booted() {
  { [ "$AGENT_RC" = 0 ] && [ -e "$W/rec/exec" ] && cmp -s "$W/rec/kernel" "$W/srv/kernel"; } ||
    { sed 's/^/#   /' "$W/out" | tail -8; return 1; }
}
