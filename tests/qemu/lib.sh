# shellcheck shell=bash
# lib.sh: the pieces of tests/qemu/run-scenario (sourced, bash).
#
# Guarantees: scenario files are parsed strictly (an unknown key is an
# error, so a typo never silently weakens a test); TAP lines are printed
# through tests/lib/tap.sh (pass / fail, each prefixed with the scenario's
# name by TAP_PREFIX), and TAP_FAILED counts the failures; every
# background process is recorded in PIDS and killed by chain_cleanup; the
# console is read from the serial log file, cleaned of CR and ANSI escapes,
# into $W/console.txt (console_follow), never from QEMU's stdout.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
shopt -s extglob   # console_follow's ANSI escape pattern
declare -A S=()
EXP_RE=(); EXP_LABEL=(); FORBID=(); SHOW=(); WHY=(); SRVLOG=(); SRVOPT=(); RESTART_OPT=(); SEEN=()
PIDS=()

QEMU_SCN_KEYS=" name about firmware host mac release pin tamper node_ca credential
  server linkcut timeout capture deadend reboot media boot_path "
# the replay= and clone_* keys (a cloned node replays its tokens)
. "$(dirname "${BASH_SOURCE[0]}")/replay.sh"
# the mitm= key (a man in the middle of the plain-HTTP leg)
. "$(dirname "${BASH_SOURCE[0]}")/mitm.sh"
# net= (slirp, or a site network with dnsmasq)
. "$(dirname "${BASH_SOURCE[0]}")/dhcpnet.sh"
# node_identity=, revoke=, revoke_after=, allow=, show_after= (the node manager's join)
. "$(dirname "${BASH_SOURCE[0]}")/nodeid.sh"
# the dbx= key (retired images, the firmware's forbidden-signature database)
. "$(dirname "${BASH_SOURCE[0]}")/dbx.sh"


# scn_read FILE DEPTH: FILE's lines into S and the lists, in order.
# include=NAME.scn (a file beside FILE; not in an included one) reads that
# scenario's lines in its place but for its name= and about=: a scenario
# that runs another's whole chain with all its checks on a different
# set-up (a key the other leaves unset, e.g. net=) says so in one line.
# A key given twice, here or there, is refused as within one file.
scn_read() {
  local f=$1 depth=$2 line key val n=0 dir
  [ -r "$f" ] || { echo "run-scenario: cannot read $f" >&2; return 1; }
  dir=$(dirname "$f")
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case $line in ''|\#*) continue;; esac
    [[ $line == *=* ]] || { echo "$f:$n: not key=value" >&2; return 1; }
    key=${line%%=*}; val=${line#*=}
    if [ "$depth" != 0 ]; then
      case $key in
        name|about) continue;;
        include) echo "$f:$n: include= in an included file" >&2; return 1;;
      esac
    fi
    case $key in
      include)
        [[ $val =~ ^[a-z0-9-]{1,40}\.scn$ ]] || { echo "$f:$n: include=NAME.scn" >&2; return 1; }
        scn_read "$dir/$val" 1 || return 1;;
      expect) EXP_LABEL+=("$val"); EXP_RE+=("$val");;
      mark)   [[ $val == *' '* ]] || { echo "$f:$n: mark=LABEL REGEX" >&2; return 1; }
              EXP_LABEL+=("${val%% *}"); EXP_RE+=("${val#* }");;
      forbid) FORBID+=("$val");;
      seen)   SEEN+=("$val");;
      show)   SHOW+=("$val");;
      why)    WHY+=("$val");;
      log)    SRVLOG+=("$val");;
      server_opt) SRVOPT+=("$val");;
      restart_opt) RESTART_OPT+=("$val");;
      clone_*) replay_scn_key "$key" "$val" || { echo "$f:$n: bad $key" >&2; return 1; };;
      allow|show_after) nodeid_scn_key "$key" "$val";;
      *)
        [[ $QEMU_SCN_KEYS == *" $key "* || $QEMU_SCN_KEYS == *" $key"$'\n'* ]] ||
          { echo "$f:$n: unknown key '$key'" >&2; return 1; }
        [ -z "${S[$key]+x}" ] || { echo "$f:$n: '$key' given twice" >&2; return 1; }
        S[$key]=$val;;
    esac
  done <"$f"
}

# scn_load FILE: fills S, EXP_RE/EXP_LABEL (ordered), FORBID, SHOW, WHY,
# SRVLOG, SRVOPT.  Returns 1 on any malformed or unknown line.
scn_load() {
  local f=$1 line
  scn_read "$f" 0 || return 1
  [ -n "${S[name]:-}" ] || { echo "$f: no name=" >&2; return 1; }
  [[ ${S[name]} =~ ^[a-z0-9-]{1,40}$ ]] || { echo "$f: bad name" >&2; return 1; }
  [ ${#EXP_RE[@]} -gt 0 ] || { echo "$f: no expect= or mark= line" >&2; return 1; }
  : "${S[firmware]:=uefi-sb}" "${S[host]:=node1}" "${S[mac]:=52:54:00:12:34:56}"
  : "${S[timeout]:=300}" "${S[node_ca]:=fleet}" "${S[credential]:=enrolled}"
  : "${S[server]:=up}" "${S[capture]:=yes}" "${S[tamper]:=}" "${S[boot_path]:=ipxe}"
  # console lines after which nothing more can happen (OVMF waits at its
  # menu forever after the last boot option failed; a panic is final)
  : "${S[deadend]:=Press any key to enter the Boot Manager Menu|Kernel panic - not syncing}"
  for line in ${QEMU_SERVER_OPTS:-}; do SRVOPT+=("$line"); done
  case ${S[firmware]} in uefi-sb|bios) ;; *) echo "$f: firmware uefi-sb|bios" >&2; return 1;; esac
  # boot_path=direct: the firmware's HTTPS boot fetches the stage1 UKI
  # itself (epoxyctl host enroll --boot-path direct), no iPXE, no plain HTTP
  case ${S[firmware]}:${S[boot_path]} in uefi-sb:ipxe|uefi-sb:direct|bios:ipxe) ;;
    *) echo "$f: boot_path ipxe|direct (direct: uefi-sb only)" >&2; return 1;; esac
  case ${S[media]:-none} in none|token|other-host|expired) ;;
    *) echo "$f: media none|token|other-host|expired" >&2; return 1;; esac
  [[ ${S[timeout]} =~ ^[0-9]{1,4}$ ]] || { echo "$f: timeout in seconds" >&2; return 1; }
  nodeid_check || { echo "$f: bad node_identity= or revoke=" >&2; return 1; }
  dhcpnet_check || { echo "$f: net slirp|dnsmasq" >&2; return 1; }
  return 0
}

# ------------------------------------------------------------------ pieces
# What the chain needs from the other parts of the build.  Names follow
# docs/protocol.md and the images/keys fragments.
IMG=$O/images; KEYS=$O/keys
EPOXYD=$O/bin/epoxyd; EPOXYCTL=$O/bin/epoxyctl
pieces_check() {
  local p; PIECES_MISSING=""
  for p in "$EPOXYD" "$EPOXYCTL" "$IMG/stage0.efi" "$IMG/stage1.efi" \
           "$IMG/stage1/vmlinuz" "$IMG/stage1/initramfs" "$IMG/uki/initramfs" \
           "$KEYS/ca.crt" "$KEYS/server.crt" "$KEYS/server.key" "$KEYS/kexec.crt"; do
    [ -e "$p" ] || PIECES_MISSING="$PIECES_MISSING ${p#"$O"/}"
  done
  ls "$IMG"/release/*/manifest >/dev/null 2>&1 || PIECES_MISSING="$PIECES_MISSING images/release/<v>/manifest"
  for p in qemu-system-x86_64 socat tshark sbsign sbattach openssl; do
    command -v $p >/dev/null || PIECES_MISSING="$PIECES_MISSING $p(package)"
  done
  nodeid_pieces
  dhcpnet_pieces
  [ -z "$PIECES_MISSING" ] || { PIECES_MISSING="missing:$PIECES_MISSING"; return 1; }
  signing_time_check || return 1
}
# signing_time_check: the stage1 kernel refuses a kexec kernel whose
# PKCS#7 signing time lies outside the kexec certificate's validity
# (EKEYREJECTED, "Message signed outside of X.509 validity window";
# docs/kexec-lockdown.md).  Say so before booting, not after.
signing_time_check() {
  local k sig st nb
  nb=$(date -d "$(openssl x509 -in "$KEYS/kexec.crt" -noout -startdate | cut -d= -f2)" +%s) || return 0
  for k in "$IMG"/release/*/kernel; do
    sig=$(mktemp)
    sbattach --detach "$sig" "$k" >/dev/null 2>&1 || { rm -f "$sig"; continue; }
    st=$(openssl pkcs7 -inform DER -in "$sig" -print 2>/dev/null |
         grep -A2 'signingTime' | sed -n 's/.*UTCTIME://p' | head -1)
    rm -f "$sig"
    [ -n "$st" ] || continue
    if [ "$(date -d "$st" +%s)" -lt "$nb" ]; then
      PIECES_MISSING="${k#"$O"/} is signed at $st, before the kexec certificate's notBefore"
      PIECES_MISSING+=" ($(date -u -d @"$nb")): the kernel's kexec check will refuse it (EPOXY-E1300,"
      PIECES_MISSING+=" errno 129). Sign at max(SOURCE_DATE_EPOCH, notBefore) or backdate the dev certificates."
      return 1
    fi
  done
  return 0
}

# ------------------------------------------------------------------ fixture
. "$(dirname "${BASH_SOURCE[0]}")/../lib/flip.sh"   # flip_byte FILE OFFSET
# other_key: a scratch db-like key pair that is NOT in the node's db.
other_key() {
  [ -f "$W/other/db.key" ] && return 0
  mkdir -p "$W/other"
  openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=not the fleet db/" \
    -keyout "$W/other/db.key" -out "$W/other/db.crt" 2>/dev/null
}
# tamper_efi FILE how: unsigned | byte | otherkey
tamper_efi() {
  local f=$1 how=$2 size
  case $how in
    unsigned) while sbattach --remove "$f" >/dev/null 2>&1; do :; done;;
    byte) # inside the signed sections, far from the certificate table
      size=$(stat -c %s "$f"); flip_byte "$f" $(( size / 3 ));;
    otherkey)
      other_key && while sbattach --remove "$f" >/dev/null 2>&1; do :; done &&
      sbsign --key "$W/other/db.key" --cert "$W/other/db.crt" --output "$f.o" "$f" >/dev/null 2>&1 &&
      mv "$f.o" "$f";;
    *) return 1;;
  esac
}
fixture_prepare() {
  local t
  {
    mkdir -p "$W/boot" "$W/data"
    cp "$IMG/stage0.efi" "$IMG/stage1.efi" "$W/boot/"
    # bench only: another signed stage0 (bench/chain/run.sh, snponly variant)
    [ -n "${STAGE0_OVERRIDE:-}" ] && cp "$STAGE0_OVERRIDE" "$W/boot/stage0.efi"
    mkdir -p "$W/boot/stage1"
    cp "$IMG"/stage1/{vmlinuz,initramfs} "$W/boot/stage1/"
    [ -f "$IMG/stage1/cmdline" ] && cp "$IMG/stage1/cmdline" "$W/boot/stage1/"
    for t in ${S[tamper]//,/ }; do
      case $t in
        stage1-floor2) stage1_floor 2 || { echo "stage1 with floor 2 failed"; return 1; };;
        stage0-*|stage1-*) tamper_efi "$W/boot/${t%%-*}.efi" "${t#*-}" ||
                             { echo "tamper $t failed"; return 1; };;
        prod-*) ;;  # applied to the store after publishing (host_enroll)
        *) echo "unknown tamper '$t'"; return 1;;
      esac
      echo "tampered: $t"
    done
    dbx_prepare || { echo "dbx=${S[dbx]:-} failed"; return 1; }
    if [ "${S[node_ca]}" = other ]; then
      mkdir -p "$W/otherca"
      openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=some other CA/" -keyout "$W/otherca/ca.key" -out "$W/otherca/ca.crt" 2>/dev/null &&
      openssl x509 -in "$W/otherca/ca.crt" -outform DER -out "$W/otherca/ca.der" &&
      cert-to-efi-sig-list "$W/otherca/ca.crt" "$W/otherca/ca.esl" >/dev/null || return 1
    fi
  } >"$W/fixture.log" 2>&1
}

# stage1_floor N: the fleet raises its version floor: the same minimal
# initramfs plus an overlay archive whose /etc/epoxy/floor says N (the
# kernel unpacks concatenated archives, later entries win), packed into a
# UKI and signed with the fleet's db key like the real one.
stage1_floor() {
  local d=$W/floor$1
  mkdir -p "$d/root/etc/epoxy"
  echo "$1" >"$d/root/etc/epoxy/floor"
  (cd "$d/root" && printf 'etc/epoxy/floor\n' | cpio -o -H newc --quiet -R 0:0) >"$d/overlay.cpio" &&
  cat "$IMG/uki/initramfs" "$d/overlay.cpio" >"$d/initramfs" &&
  stage1/mkuki.sh "${UEFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}" "$O/images-src/osrel" \
    "$IMG/stage1/cmdline" "$IMG/stage1/vmlinuz" "$d/initramfs" "$d/stage1-unsigned.efi" &&
  boot/efisign.sh "$KEYS/db.key" "$KEYS/db.crt" "$d/stage1-unsigned.efi" "$W/boot/stage1.efi"
}

# ------------------------------------------------------------------ server
server_config() {
  cat <<CFG
# epoxyd for QEMU scenario ${S[name]} (generated by tests/qemu/run-scenario)
listen_addr 127.0.0.1
https_port $HTTPS_PORT
http_port $HTTP_PORT
tls_cert $KEYS/server.crt
tls_key $KEYS/server.key
server_name ${SERVER_NAME:-epoxy.test}
boot_url http://10.0.2.100:8080
store sqlite:$W/store/epoxy.sqlite
data_dir $W/data
boot_dir $W/boot
online_key $KEYS/online.key
keyset $KEYS/keyset
user $SRV_USER
CFG
  nodeid_config
}
# epoxyd's service user (started as root, it drops to it): its state, the
# store and data_dir, is its own and private (0700), so nothing depends on
# the modes of the directories above the clone (root's 0700 home works:
# epoxyd opens its directories before the drop); EPOXYD_USER overrides.
SRV_USER=${EPOXYD_USER:-nobody}
# ports: the first start takes the first free pair from QEMU_PORT_BASE up
# (another run, e.g. a CI check of another clone, may hold some); restarts
# keep the pair, since the node's forwarders point at it
server_start() {
  [ -n "${PORTS_FIXED:-}" ] && { server_start_once; return; }
  for _ in 1 2 3 4 5 6 7 8; do
    while [ "$HTTPS_PORT" -le 18498 ] && ! { port_free "$HTTPS_PORT" && port_free "$HTTP_PORT"; }; do
      HTTPS_PORT=$((HTTPS_PORT + 2)); HTTP_PORT=$((HTTP_PORT + 2))
    done
    [ "$HTTPS_PORT" -le 18498 ] || return 1
    if server_start_once; then PORTS_FIXED=1; return 0; fi
    grep -q 'Address already in use' "$W/epoxyd.log" || return 1
    HTTPS_PORT=$((HTTPS_PORT + 2)); HTTP_PORT=$((HTTP_PORT + 2))
  done
  return 1
}
server_start_once() {
  local i o args=()
  server_config >"$W/epoxyd.conf"
  if [ ! -f "$W/admin.cred" ]; then
    mkdir -p "$W/store" "$W/data"
    "$EPOXYCTL" admin init --store "sqlite:$W/store/epoxy.sqlite" --out "$W/admin.cred" \
      >>"$W/ctl.log" 2>&1 || return 1
    # epoxyd started as root drops to $SRV_USER: its store and objects are its own
    if [ "$(id -u)" = 0 ]; then
      chown -R "$SRV_USER:" "$W/store" "$W/data" && chmod 0700 "$W/store" "$W/data" || return 1
    fi
  fi
  for o in "${SRVOPT[@]}"; do args+=(-o "$o"); done
  "$EPOXYD" -c "$W/epoxyd.conf" "${args[@]}" >>"$W/epoxyd.log" 2>&1 &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  for i in $(seq 1 100); do
    # healthy, and it is ours (not another run's server on that port)
    kill -0 $SERVER_PID 2>/dev/null || return 1
    curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null &&
      sleep 0.2 && kill -0 $SERVER_PID 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
server_stop() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
}
chain_ctl() {
  EPOXY_URL="https://${SERVER_NAME:-epoxy.test}:$HTTPS_PORT" EPOXY_CA="$KEYS/ca.crt" \
  EPOXY_ADMIN_CREDENTIAL="$W/admin.cred" \
  EPOXY_RESOLVE="${SERVER_NAME:-epoxy.test}:$HTTPS_PORT:127.0.0.1" \
  EPOXY_MKVARS="${QEMU_MKVARS:-$O/bin/epoxy-mkvars}" "$EPOXYCTL" "$@"
}
# release_dir NAME: the artifacts and manifest of one fixture release:
# a built release version (a number), "expired" (release 1's artifacts
# under a manifest signed by the release keys that expired a day before
# the build's SOURCE_DATE_EPOCH), or kernel-unsigned / kernel-otherkey /
# kernel-db (release 1's artifacts with the production kernel stripped of
# its kexec signature, then left unsigned, signed with a fresh key, or
# signed with the fleet's db key, under a correctly signed manifest: only
# the stage1 kernel's kexec check can refuse them).
release_dir() {
  local r=$1 src d expires
  if [[ $r =~ ^[0-9]+$ ]]; then echo "$IMG/release/$r"; return; fi
  src=$(printf '%s\n' "$IMG"/release/* | sort -V | head -1)
  d=$W/rel-$r
  mkdir -p "$d"; cp "$src"/{kernel,initramfs,cmdline,join} "$d/"
  expires=$(sed -n 's/^expires //p' "$src/manifest")
  case $r in
    expired) expires=$(( ${SOURCE_DATE_EPOCH:-$(date +%s)} - 86400 ));;
    kernel-unsigned|kernel-otherkey|kernel-db)
      while sbattach --remove "$d/kernel" >/dev/null 2>&1; do :; done
      case $r in
        kernel-otherkey) other_key && sbsign --key "$W/other/db.key" --cert "$W/other/db.crt" \
                           --output "$d/kernel.s" "$d/kernel" >&2 && mv "$d/kernel.s" "$d/kernel" || return 1;;
        kernel-db) boot/efisign.sh "$KEYS/db.key" "$KEYS/db.crt" "$d/kernel" "$d/kernel.s" >&2 &&
                     mv "$d/kernel.s" "$d/kernel" || return 1;;
      esac
      ! sbverify --cert "$KEYS/kexec.crt" "$d/kernel" >/dev/null 2>&1 || return 1;;
    *) echo "unknown release fixture $r" >&2; return 1;;
  esac
  [ -n "$expires" ] || return 1
  "$EPOXYCTL" release sign --kernel "$d/kernel" --initramfs "$d/initramfs" \
    --cmdline "$d/cmdline" --join "$d/join" --version "$(basename "$src")" \
    --expires "$expires" --hwclass "${HWCLASS:-qemu-x86_64}" \
    --min-agent 1 --key "$KEYS/release-1.key" --key "$KEYS/release-2.key" \
    --out "$d/manifest" >&2 || return 1
  echo "$d"
}
# host_enroll: admin credential, host, release(s), the node's VARS with its
# boot credential (via epoxyctl host enroll --vars and epoxy-mkvars).
host_enroll() {
  local rc
  # the steps trace themselves (set -x) into ctl.log, never into the TAP
  exec {XTRACE_FD}>>"$W/ctl.log"; BASH_XTRACEFD=$XTRACE_FD
  host_enroll_steps >>"$W/ctl.log" 2>&1; rc=$?
  set +x
  [ $rc = 0 ] || return $rc
  # restart_opt: the server comes back with other options after publishing
  # (e.g. its clock moved past the manifest's expiry)
  if [ ${#RESTART_OPT[@]} -gt 0 ]; then
    server_stop; SRVOPT+=("${RESTART_OPT[@]}")
    server_start || return 1
  fi
}
host_enroll_steps() {
  local r d sha obj
  {
    set -x
    chain_ctl host add "${S[host]}" --hwclass "${HWCLASS:-qemu-x86_64}" --mac "${S[mac]}" \
      --boot-path "${S[boot_path]}" || return 1
    for r in ${S[release]:-$(printf '%s\n' "$IMG"/release/* | sed 's#.*/##' | sort -n | tail -1)}; do
      d=$(release_dir "$r") || return 1
      chain_ctl release publish --manifest "$d/manifest" --artifacts "$d" || return 1
      mkdir -p "$W/published/$r"; cp "$d/manifest" "$W/published/$r/manifest"
    done
    # hosts follow the 'stable' channel: point it at the last one published
    chain_ctl release promote "$(sed -n 's/^version //p' "$d/manifest")" --channel stable || return 1
    [ -n "${S[pin]:-}" ] && { chain_ctl release pin "${S[host]}" "${S[pin]}" || return 1; }
    if [ "${S[firmware]}" = uefi-sb ]; then
      chain_ctl host enroll "${S[host]}" --vars "$W/node-vars.fd" --boot-path "${S[boot_path]:-ipxe}" || return 1
      NODE_VARS=$W/node-vars.fd
      NODE_CRED=$(grep -aoE 'credential [0-9a-f]{64}' "$NODE_VARS" | head -1 | cut -d' ' -f2)
    fi
    media_issue || return 1
    dbx_publish || return 1
    if [ "${S[credential]}" = stale ]; then
      chain_ctl host credential "${S[host]}" --rotate --out "$W/rotated.cred" || return 1
      rm -f "$W/rotated.cred"
    fi
    for t in ${S[tamper]//,/ }; do
      case $t in
        prod-*-byte)
          r=${t#prod-}; r=${r%-byte}
          sha=$(sha256sum "$d/$r" | cut -d' ' -f1)
          obj=$(find "$W/data" -type f -name "$sha*" | head -1)
          [ -n "$obj" ] || { echo "no stored object for $r ($sha)"; return 1; }
          flip_byte "$obj" $(( $(stat -c %s "$obj") / 2 ));;
      esac
    done
  }
}

# media_issue: media= (BIOS nodes): a one-time boot token on a token
# medium, written by epoxyctl into the work dir: for this host (token), for
# another enrolled host (other-host), or with a 1 s lifetime that is over
# long before the agent uses it (expired).  MEDIA_TOKEN is what the capture
# check must never find on the plain-HTTP leg.
media_issue() {
  local h=${S[host]} ttl=900
  case ${S[media]:-none} in
    none) return 0;;
    other-host) h=${S[host]}-other
      chain_ctl host add "$h" --hwclass "${HWCLASS:-qemu-x86_64}" --mac 52:54:00:12:34:99 || return 1;;
    expired) ttl=1;;
  esac
  chain_ctl token issue "$h" --ttl $ttl --media "$W/token-medium.img" || return 1
  [ "$(stat -c '%a %s' "$W/token-medium.img")" = "600 512" ] || return 1
  { set +x; } 2>/dev/null   # the token stays out of ctl.log's trace
  MEDIA_TOKEN=$(grep -aoE '^token [0-9a-f]{64}$' "$W/token-medium.img" | cut -d' ' -f2)
  set -x
  [ ${#MEDIA_TOKEN} = 64 ]
}

# ------------------------------------------------------------------ QEMU
. "$(dirname "${BASH_SOURCE[0]}")/cpu.sh"   # QEMU_CPU_ARGS
qemu_net() { # the restricted user network: only epoxyd's two ports
  dhcpnet_on && { dhcpnet_netdev; return; }
  local fwd="$ROOT/tests/qemu/fwd.sh"
  local net="user,id=n0,restrict=on"
  # (slirp splits the command with g_shell_parse_argv: paths quoted, so a
  # clone or build dir with a space in its path works)
  net+=",guestfwd=tcp:10.0.2.100:8443-cmd:'$fwd' $HTTPS_PORT ${S[linkcut]:-0} '$W/linkcut'"
  # mitm=: the plain-HTTP leg goes through the attacker's proxy
  net+=",guestfwd=tcp:10.0.2.100:8080-cmd:'$fwd' ${MITM_PORT:-$HTTP_PORT} 0 '$W/linkcut'"
  # the site DHCP server names the plain-HTTP stage0 URL: the firmware
  # ignores it (its boot option holds the HTTPS URL), iPXE follows it.
  # Not for the direct path: when the enrolled option fails, OVMF goes on
  # to the HTTP boot options it makes for each NIC, which follow the DHCP
  # boot file, and would fetch stage0 over plain HTTP (seen in
  # direct-wrong-ca); a site of direct-path nodes announces the HTTPS URL
  if [ "${S[boot_path]:-ipxe}" = direct ]; then
    net+=",bootfile=https://10.0.2.100:8443/boot/stage1.efi"
  else
    net+=",bootfile=http://10.0.2.100:8080/boot/stage0"
  fi
  # a runner's own forwarders (run-slivers: the ticket's door)
  echo "$net${QEMU_NET_EXTRA:-}"
}
qemu_start() {
  # a QEMU on an emptied console (all but a power cycle on the same one)
  [ "${QEMU_KEEP_VARS:-0}" = 1 ] || console_reset
  local args=(-accel tcg "${QEMU_CPU_ARGS[@]}" -m 1536 -smp 1 -display none -vga none -monitor none
              -chardev "file,id=con0,path=$CONSOLE,append=on" -serial chardev:con0
              -netdev "$(qemu_net)")
  # a node that gives up reboots into a clean retry; by default the run
  # ends there (QEMU exits), with reboot=yes the node starts over
  [ "${S[reboot]:-no}" = yes ] || args+=(-no-reboot)
  if [ "${S[firmware]}" = uefi-sb ]; then
    # (a power cycle, QEMU_KEEP_VARS=1, boots on what the node wrote)
    [ "${QEMU_KEEP_VARS:-0}" = 1 ] || cp "$NODE_VARS" "$W/vars.fd" || return 1
    local esl=$W/otherca/ca.esl
    # shellcheck disable=SC2054 # the commas are QEMU's, inside one argument
    args+=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
      -drive "if=pflash,format=raw,unit=0,file=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd},readonly=on"
      -drive "if=pflash,format=raw,unit=1,file=$W/vars.fd"
      -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n
      -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n
      -device "virtio-net-pci,netdev=n0,addr=02.0,mac=${S[mac]},romfile=,bootindex=1")
    # the enrolled VARS holds the fleet CA (TlsCaCertificate); a node with
    # another CA gets it through fw_cfg, which OVMF copies over that variable
    [ "${S[node_ca]}" = other ] && args+=(-fw_cfg "name=etc/edk2/https/cacerts,file=$esl")
  else
    # QEMU's default NIC ROM is Debian's iPXE (ipxe-qemu); an explicit
    # romfile= (IPXE_BIOS_ROM) never network-booted under QEMU 7.2's SeaBIOS.
    # iPXE prints to VGA only, so the serial console starts with the kernel
    local dev="virtio-net-pci,netdev=n0,mac=${S[mac]},bootindex=1"
    [ -n "${IPXE_BIOS_ROM:-}" ] && dev+=",romfile=$IPXE_BIOS_ROM"
    args+=(-machine pc -device "$dev")
    # media=: the token medium (epoxyctl token issue --media) as a virtio disk
    [ "${S[media]:-none}" = none ] ||
      args+=(-drive "file=$W/token-medium.img,format=raw,if=virtio,readonly=on")
  fi
  replay_args; args+=("${QEMU_EXTRA_ARGS[@]}")   # QMP / -incoming (replay.sh)
  # a runner's own drives (run-slivers: the blank data disk); none unless set
  args+=("${QEMU_DRIVE_EXTRA[@]}")
  # the guest's side of the network, for a failure's post-mortem (the
  # capture shows iPXE's source ports; a power cycle starts a new file)
  args+=(-object "filter-dump,id=gd0,netdev=n0,file=$W/guest${QEMU_KEEP_VARS:+-again}.pcap,maxlen=256")
  # QEMU_HMP=1: a human monitor on $W/hmp.sock (bench/chain/kexec-profile.sh
  # samples the vCPU's registers through it)
  [ "${QEMU_HMP:-0}" = 1 ] && args+=(-monitor "unix:$W/hmp.sock,server=on,wait=off")
  printf '%q ' qemu-system-x86_64 "${args[@]}" >"$W/qemu.cmd"
  QEMU_T0=$(date +%s.%N)
  # net=dnsmasq: QEMU runs inside the site network's namespace
  # shellcheck disable=SC2046 # the prefix's words
  # the guest at nice 0 whatever the lane's niceness (tests/run.sh runs
  # the QEMU lanes at nice 5 beside builds): a TCG vCPU starved in the
  # kernel's first 50 ms panics ("IO-APIC + timer doesn't work!"); nice
  # only warns when it may not raise the priority
  $(dhcpnet_on && dhcpnet_exec) nice -n $((-$(nice))) qemu-system-x86_64 "${args[@]}" >"$W/qemu.log" 2>&1 &
  QEMU_PID=$!; PIDS+=("$QEMU_PID")
  console_stamp &
  STAMP_PID=$!; PIDS+=("$STAMP_PID")
  sleep 0.3
  kill -0 $QEMU_PID 2>/dev/null
}
# qemu_reap PID: SIGTERM, then SIGKILL if QEMU is still there after 10 s.
# QEMU 7.2 can deadlock on SIGTERM while the firmware writes its flash:
# the vCPU, inside a pflash write, waits for the main loop's I/O, and the
# main loop, in vm_shutdown, waits for the vCPU to pause (seen in the
# final run of 2026-12-04, stage0-unsigned: OVMF retrying its boot
# options).  Every pflash write that completed is in the file already.
qemu_reap() {
  local _
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}
qemu_stop() {
  [ -n "${QEMU_PID:-}" ] || return 0
  qemu_reap "$QEMU_PID"; QEMU_PID=""
  console_clean   # its last line, newline or not
}

# ------------------------------------------------------------------ console
# console_stamp: $W/console.ts, every console line with the seconds since
# QEMU started when its first bytes were there (within about 20 ms: OVMF
# prints "Start HTTP Boot" and its newline only seconds later, after its
# DHCP), CR and ANSI escapes removed; for finding where the time goes
# (bench/chain, make demo), never asserted.  It reads the console file on a
# descriptor of its own (bash reads a regular file a block at a time; a
# pipe from tail costs it a read per byte) and polls with cw_sleep, no
# process per pass; it ends after QEMU, with the last bytes QEMU wrote.
console_stamp() {
  local t0 l us part='' pt='' fd gone=''
  qemu_t0_us; t0=$QEMU_T0_US
  exec {fd}<"$CONSOLE" || return 0
  while :; do
    if IFS= read -r -u "$fd" l; then
      [ -n "$pt" ] || pt=${EPOCHREALTIME/./}
      l=$part$l; part=''
    else
      # all QEMU wrote so far: a line begun starts now, or did before
      part+=$l
      [ -z "$part" ] || [ -n "$pt" ] || pt=${EPOCHREALTIME/./}
      if [ -z "$gone" ]; then
        kill -0 "$QEMU_PID" 2>/dev/null || gone=1   # one more pass after it
        cw_sleep 0.02; continue
      fi
      [ -n "$part" ] || break
      l=$part; part=''
    fi
    us=$(( pt - t0 )); pt=''
    cw_clean "$l"
    printf '%d.%02d %s\n' $((us / 1000000)) $((us % 1000000 / 10000)) "$CW_L"
  done >"$W/console.ts"
  exec {fd}<&-
}
# timeline_stamp: $W/timeline.ts, the timeline again from console.ts: each
# mark at the time console_stamp saw its line start (within about 20 ms), not
# at the half-second pass of console_watch that met it; the same rule (the
# marks in order, each met by a line after the one that met the one
# before).  For bench/chain; call it after qemu_stop (console_stamp ends
# with QEMU; it is given up to 5 s here to write its last lines).
timeline_stamp() {
  local i=0 n=${#EXP_RE[@]} t l LC_ALL=C
  for ((t = 0; t < 50; t++)); do
    { [ -n "${STAMP_PID:-}" ] && kill -0 "$STAMP_PID" 2>/dev/null; } || break
    sleep 0.1
  done
  : >"$W/timeline.ts"
  [ -f "$W/console.ts" ] || return 0
  while [ "$i" -lt "$n" ] && IFS= read -r l; do
    t=${l%% *}; l=${l#* }
    [[ $l =~ ${EXP_RE[$i]} ]] || continue
    printf '%s %s\n' "${EXP_LABEL[$i]}" "$t" >>"$W/timeline.ts"
    i=$((i + 1))
  done <"$W/console.ts"
}
# console_follow: reads what QEMU appended to $CONSOLE since the last call,
# from a descriptor kept open on it (one per console file: the replay's
# clone has its own), removes CR and ANSI escapes from each line, appends
# the complete lines to $W/console.txt and to CW_NEW (for its reader to
# take and empty: console_watch, cw); a last line still without its
# newline stays in CW_PART[$CONSOLE] (CW_PARTC: it cleaned).  New lines
# that no allow= pattern exempts are checked against FORBID: the first hit
# sets CW_BAD (the pattern) and CW_BAD_LINE.  A call
# starts no process: the watch used to start about sixteen per half second
# (tr, sed, tail, grep, cut, date, one grep per forbid=), a tenth of a core
# of make check's two beside the node's QEMU.  Never call it from a
# subshell ($(...)): the descriptor's offset would move without the state.
declare -A CW_FD=() CW_PART=() CW_OUT=()
CW_NEW=(); CW_PARTC=''; CW_BAD=''; CW_BAD_LINE=''; CW_SLEEP_FD=''
cw_clean() { # LINE: sets CW_L to LINE without CR and ANSI escapes
  CW_L=${1//$'\r'/}
  [[ $CW_L != *$'\e'* ]] || CW_L=${CW_L//$'\e['*([0-9;=?])[A-Za-z]/}
}
cw_forbidden() { # LINE: sets CW_BAD/CW_BAD_LINE if LINE is forbidden and not allowed
  local r
  [ -z "$CW_BAD" ] || return 0
  for r in "${ALLOW[@]}"; do [[ $1 =~ $r ]] && return 0; done
  for r in "${FORBID[@]}"; do
    [[ $1 =~ $r ]] && { CW_BAD=$r; CW_BAD_LINE=$1; return 0; }
  done
  return 0
}
console_follow() {
  local c=$CONSOLE l fd k=${#CW_NEW[@]} LC_ALL=C
  if [ -z "${CW_FD[$c]:-}" ]; then
    exec {fd}<"$c" || return 1
    CW_FD[$c]=$fd; CW_PART[$c]=''; CW_OUT[$c]=$W/console.txt
    : >"${CW_OUT[$c]}"
  fi
  fd=${CW_FD[$c]}
  while :; do
    if IFS= read -r -u "$fd" l; then
      cw_clean "${CW_PART[$c]}$l"; CW_PART[$c]=''
      CW_NEW+=("$CW_L"); cw_forbidden "$CW_L"
    else
      CW_PART[$c]+=$l; break
    fi
  done
  [ ${#CW_NEW[@]} = "$k" ] || printf '%s\n' "${CW_NEW[@]:k}" >>"${CW_OUT[$c]}"
  cw_clean "${CW_PART[$c]}"; CW_PARTC=$CW_L
  [ -z "$CW_PARTC" ] || cw_forbidden "$CW_PARTC"
}
# console_reset: forget $CONSOLE's descriptor (QEMU starts on it emptied):
# the next console_follow reads it from its first byte into an empty
# console.txt
console_reset() {
  local c=$CONSOLE
  local fd=${CW_FD[$c]:-}
  [ -n "$fd" ] || return 0
  exec {fd}<&-
  unset "CW_FD[$c]" "CW_PART[$c]" "CW_OUT[$c]"
  CW_BAD=''; CW_BAD_LINE=''
}
# console_clean: $W/console.txt up to date; once QEMU is gone its last line
# goes in too, newline or not
console_clean() {
  console_follow || return 0
  if [ -n "${CW_PART[$CONSOLE]}" ] && ! { [ -n "${QEMU_PID:-}" ] && kill -0 "$QEMU_PID" 2>/dev/null; }; then
    printf '%s\n' "$CW_PARTC" >>"${CW_OUT[$CONSOLE]}"; CW_NEW+=("$CW_PARTC")
    CW_PART[$CONSOLE]=''; CW_PARTC=''
  fi
}
cw_sleep() { # SECONDS: sleeps without starting a process
  [ -n "$CW_SLEEP_FD" ] || exec {CW_SLEEP_FD}<> <(:)
  read -r -t "$1" -u "$CW_SLEEP_FD" _
  return 0
}
qemu_t0_us() { # sets QEMU_T0_US: QEMU_T0 (date +%s.%N) in microseconds
  local t=${QEMU_T0%.*}${QEMU_T0#*.}
  QEMU_T0_US=$(( 10#${t:0:16} ))
}
cw_elapsed() { # sets CW_EL: seconds since QEMU_T0, two decimals
  local d
  qemu_t0_us
  d=$(( ${EPOCHREALTIME/./} - QEMU_T0_US ))
  printf -v CW_EL '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}
console_forbidden() { # prints the first forbidden pattern found (allow= lines exempt)
  local r
  nodeid_unallowed "$W/console.txt" >"$W/console.forbid"
  for r in "${FORBID[@]}"; do
    grep -aqE -- "$r" "$W/console.forbid" && { echo "$r"; return 0; }
  done
  return 1
}
# console_watch: waits for the ordered expectations; handles the server
# events (stop-at:REGEX:SECONDS); records each match's time in
# $W/timeline (label seconds-since-QEMU-start).  Returns 0 when all matched
# and nothing forbidden appeared.  Each expectation is met by a line after
# the one that met the one before it (a line meets at most one); a last
# line without its newline yet counts, once.  Follows the console
# (console_follow) every half second.
console_watch() {
  local i=0 n=${#EXP_RE[@]} l m now stop_re="" stop_for=0 restart_at="" LC_ALL=C
  local deadline=$(( EPOCHSECONDS + S[timeout] )) done_at="" exited="" stop_seen="" dead=""
  local part_used="" lines full
  if [[ ${S[server]} == stop-at:* ]]; then
    stop_re=${S[server]#stop-at:}; stop_for=${stop_re##*:}; stop_re=${stop_re%:*}
  fi
  : >"$W/timeline"
  # from the console's first line (console.txt is written again)
  console_reset; CW_NEW=()
  while :; do
    console_follow
    lines=("${CW_NEW[@]}"); CW_NEW=(); full=${#lines[@]}
    [ -z "$CW_PARTC" ] || lines+=("$CW_PARTC")
    for m in "${!lines[@]}"; do
      l=${lines[$m]}
      [ -n "$stop_re" ] && [[ $l =~ $stop_re ]] && stop_seen=1
      [ -z "$dead" ] && [ -n "${S[deadend]}" ] && [[ $l =~ ${S[deadend]} ]] && dead=${BASH_REMATCH[0]}
      # the line QEMU is still writing: once it met an expectation it is
      # spent, now and when its newline comes
      if [ "$m" = 0 ] && [ -n "$part_used" ]; then
        [ "$m" -lt "$full" ] && part_used=""
        continue
      fi
      if [ "$i" -ge "$n" ] || ! [[ $l =~ ${EXP_RE[$i]} ]]; then continue; fi
      [ "$m" -ge "$full" ] && part_used=1
      cw_elapsed
      printf '%s %s\n' "${EXP_LABEL[$i]}" "$CW_EL" >>"$W/timeline"
      [ -n "${ON_MARK:-}" ] && $ON_MARK "${EXP_LABEL[$i]}" "$CW_EL"
      pass "console (${CW_EL%?} s): ${EXP_LABEL[$i]}"
      replay_on_mark "${EXP_LABEL[$i]}"
      nodeid_on_mark "${EXP_LABEL[$i]}"
      i=$((i + 1))
    done
    dbx_on_console
    if [ -n "$CW_BAD" ]; then
      fail "console never shows: $CW_BAD" "$CW_BAD_LINE"
      console_tail; return 1
    fi
    if [ -n "$stop_seen" ]; then
      diag "server event: '$stop_re' seen, epoxyd stopped for $stop_for s"
      server_stop; restart_at=$(( EPOCHSECONDS + stop_for )); stop_re=""; stop_seen=""
    fi
    if [ -n "$restart_at" ] && [ "$EPOCHSECONDS" -ge "$restart_at" ]; then
      restart_at=""
      if server_start; then diag "server event: epoxyd restarted"
      else fail "epoxyd restarted" "see $W/epoxyd.log"; fi
    fi
    now=$EPOCHSECONDS
    if [ "$i" -ge "$n" ]; then
      # all seen: a short grace period for late forbidden lines
      [ -n "$done_at" ] || done_at=$now
      [ $((now - done_at)) -ge "${GRACE:-3}" ] && return 0
    elif [ -n "$dead" ]; then
      console_pending $i "dead end: $dead"; return 1
    elif ! kill -0 "$QEMU_PID" 2>/dev/null; then
      # its last lines may have come after this pass read the console
      [ -z "$exited" ] && { exited=1; continue; }
      console_pending $i "QEMU exited"; return 1
    elif [ "$now" -ge "$deadline" ]; then
      console_pending $i "timeout after ${S[timeout]} s"; return 1
    fi
    cw_sleep 0.5
  done
}
console_pending() { # first-unmatched reason
  local i=$1
  while [ "$i" -lt ${#EXP_RE[@]} ]; do
    fail "console: ${EXP_LABEL[$i]}" "$2; pattern: ${EXP_RE[$i]}"
    i=$((i + 1))
  done
  console_tail
}
# console_tail: what a failure shows (CI keeps only run.sh's summary): the
# console's last lines and epoxyd's, so a hang says where it hung
console_tail() {
  tail -n "${TAIL_LINES:-15}" "$W/console.txt" | cut -c1-200 | sed 's/^/#   | /'
  echo "#   epoxyd.log, last lines:"
  tail -n 8 "$W/epoxyd.log" 2>/dev/null | cut -c1-200 | sed 's/^/#   e /'
}

# ------------------------------------------------------------------ capture
capture_start() {
  local filter="tcp port $HTTP_PORT"
  # mitm=: both plain-HTTP legs, node to proxy and proxy to epoxyd
  [ -n "$MITM_PORT" ] && filter+=" or tcp port $MITM_PORT"
  tshark -i lo -f "$filter" -w "$W/http.pcapng" -q >"$W/tshark.log" 2>&1 &
  CAPTURE_PID=$!; PIDS+=("$CAPTURE_PID")
  local i
  for i in $(seq 1 50); do grep -q 'Capturing on' "$W/tshark.log" && return 0; sleep 0.1; done
  diag "tshark did not report 'Capturing on' within 5 s"
}
capture_stop() {
  [ -n "${CAPTURE_PID:-}" ] || return 0
  sleep 0.5; kill -INT "$CAPTURE_PID" 2>/dev/null; wait "$CAPTURE_PID" 2>/dev/null; CAPTURE_PID=""
}
# capture_check: the plain-HTTP leg holds no credential and no token.
# Public 64-hex values (artifact and manifest hashes of the published
# releases) are allowed; any other 64-hex word is a failure.
capture_check() {
  capture_stop
  [ -s "$W/http.pcapng" ] || { fail "plain-HTTP capture recorded" "no $W/http.pcapng"; return; }
  local reqs leaks allowed
  tshark -r "$W/http.pcapng" -Y http.request -T fields -e http.request.method \
    -e http.request.uri -e http.user_agent 2>/dev/null >"$W/http-requests.txt"
  reqs=$(wc -l <"$W/http-requests.txt")
  allowed=$(cat "$W"/published/*/manifest 2>/dev/null | grep -oE '[0-9a-f]{64}' | sort -u)
  strings -a -n 16 "$W/http.pcapng" | grep -oE '(^|[^0-9a-fA-F])[0-9a-fA-F]{64}([^0-9a-fA-F]|$)' |
    grep -oE '[0-9a-fA-F]{64}' | sort -u >"$W/http-hex64.txt"
  leaks=$(comm -23 "$W/http-hex64.txt" <(echo "$allowed") | head -5)
  if [ -n "${NODE_CRED:-}" ] && strings -a "$W/http.pcapng" | grep -qi -- "$NODE_CRED"; then
    fail "plain-HTTP leg holds no credential" "the node's boot credential is in $W/http.pcapng"
  elif [ -n "${MEDIA_TOKEN:-}" ] && strings -a "$W/http.pcapng" | grep -qi -- "$MEDIA_TOKEN"; then
    fail "plain-HTTP leg holds no boot token" "the token medium's token is in $W/http.pcapng"
  elif strings -a "$W/http.pcapng" | grep -qiE 'authorization:|bearer [0-9a-f]|credential=|token=[0-9a-f]'; then
    fail "plain-HTTP leg holds no credential or token" "$(strings -a "$W/http.pcapng" | grep -iE -m1 'authorization:|bearer|credential=|token=')"
  elif [ -n "$leaks" ]; then
    fail "plain-HTTP leg holds no unknown 64-hex value" "$(tr '\n' ' ' <<<"$leaks" | sed 's/ *$//')"
  elif [ "${S[boot_path]:-ipxe}" = direct ] && [ "$reqs" != 0 ]; then
    fail "a node on the direct path fetches nothing over plain HTTP" "$(head -3 "$W/http-requests.txt" | tr '\n' ' ')"
  else
    pass "plain-HTTP leg ($reqs requests captured) holds no credential or token"
  fi
}

# ------------------------------------------------------------------ state
state_check() {
  local r out
  if [ -n "${S[revoke]:-}" ]; then
    nodeid_show_check
  elif [ ${#SHOW[@]} -gt 0 ]; then
    out=$(chain_ctl host show "${S[host]}" 2>&1); echo "$out" >"$W/host-show.txt"
    for r in "${SHOW[@]}"; do
      if grep -qE -- "$r" <<<"$out"; then pass "host show: $r"
      else fail "host show: $r" "$(echo "$out" | head -12 | tr '\n' '|')"; fi
    done
  fi
  if [ ${#WHY[@]} -gt 0 ]; then
    out=$(chain_ctl why "${S[host]}" 2>&1); echo "$out" >"$W/why.txt"
    for r in "${WHY[@]}"; do
      if grep -qE -- "$r" <<<"$out"; then pass "why: $r"
      else fail "why: $r" "$(echo "$out" | head -8 | tr '\n' '|')"; fi
    done
  fi
  for r in "${SEEN[@]}"; do
    if grep -aqE -- "$r" "$W/console.txt"; then pass "console (any time): $r"
    else fail "console (any time): $r" "see $W/console.txt"; fi
  done
  for r in "${SRVLOG[@]}"; do
    if grep -qE -- "$r" "$W/epoxyd.log"; then pass "epoxyd log: $r"
    else fail "epoxyd log: $r" "see $W/epoxyd.log"; fi
  done
}

chain_cleanup() {
  local p
  [ -n "${QEMU_PID:-}" ] && qemu_stop
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  dhcpnet_cleanup
  [ "${KEEP:-0}" = 1 ] || [ "$TAP_FAILED" != 0 ] || rm -f "$W/vars.fd" "$W/http.pcapng"
}
