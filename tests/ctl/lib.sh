# shellcheck shell=bash
# tests/ctl/lib.sh: what only the epoxyctl tests need (sourced, bash); the
# TAP checks and the epoxyd fixture are tests/lib/epoxyd.sh's, sourced here.
#
# ctl_setup [PORT|-]: an epoxyd configured with the dev keys of $O/keys
#   (server certificate for epoxy.test, release keys with threshold 2,
#   online key, keyset), a fresh store (SQLite, or with CTL_PG=1 a
#   throw-away PostgreSQL: epoxyd_pg), an admin credential made by
#   `epoxyctl admin init`, and the EPOXY_* environment epoxyctl reads.
#   Start it with epoxyd_start.
# ctl ARGS...: runs epoxyctl; stdout to T_DIR/out, stderr to T_DIR/err, both
#   appended to T_DIR/cli.log (which the secret scans read); returns its
#   exit status.
# make_release DIR VERSION [KEY...]: four artifacts in DIR and DIR.manifest
#   signed by the given release keys (default 1 and 2: the threshold).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/epoxyd.sh"
. tests/lib/flip.sh
DEVKEYS=$O/keys
need jq
need_built "$BIN/epoxyctl" "$DEVKEYS/.stamp"

ctl() {
  local rc
  "$BIN/epoxyctl" "$@" >"$T_DIR/out" 2>"$T_DIR/err"; rc=$?
  { echo "\$ epoxyctl $*"; cat "$T_DIR/out" "$T_DIR/err"; } >>"$T_DIR/cli.log"
  return $rc
}

ctl_setup() {
  epoxyd_ports "${1:-}" || return 1
  epoxyd_dirs || return 1
  STORE=sqlite:$DB
  if [ -n "${CTL_PG:-}" ]; then epoxyd_pg || return 1; fi
  cp -p "$DEVKEYS"/{ca.crt,server.crt,server.key,online.key,keyset,release-1.key,release-2.key,release-3.key} \
    "$KEYS/" || return 1
  # shellcheck disable=SC2034 # hs and epoxyd_conf read them
  CA_CRT=$KEYS/ca.crt TLS_CERT=$KEYS/server.crt TLS_KEY=$KEYS/server.key
  epoxyd_conf
  ctl admin init --store "$STORE" --out "$T_DIR/admin.cred" || return 1
  if [ "$(id -u)" = 0 ]; then chown -R nobody "$DATA"; fi
  export EPOXY_URL=https://epoxy.test:$HTTPS_PORT
  export EPOXY_CA=$KEYS/ca.crt
  export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred
  export EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
  unset EPOXY_CONFIG EPOXY_MKVARS
  export HOME=$T_DIR/home
}

make_release() {
  local dir=$1 v=$2 k; shift 2
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
