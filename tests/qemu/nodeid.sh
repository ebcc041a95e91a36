# shellcheck shell=bash
# nodeid.sh: the node-identity keys of tests/qemu/run-scenario (sourced by
# lib.sh, bash): `node_identity=`, `revoke=`, `revoke_after=`, `allow=`,
# `show_after=`.
#
# node_identity=yes gives the scenario's epoxyd the build's node CA
# ($O/keys/node-ca.{crt,key}, epoxy-pki node-ca): the production boot's
# join credential then comes with a node credential, and the release's
# join script runs `epoxy-nm join --detach`, whose log is on the console.
# revoke=LABEL credential|delete: when the console mark LABEL matches, the
# runner saves `epoxyctl host show HOST` and its --json form (the host as
# it is while joined) in $W/host-show-joined.{txt,json}, then revokes the
# host's boot credential (`host credential HOST --revoke`) or deletes the
# host (`host delete HOST`); the scenario's later marks then expect the
# node manager's refused heartbeat.  revoke_after=REGEX: the revoke first
# waits (the console followed, at most 60 s) for a line matching REGEX: a
# state the node must reach while still trusted that runs beside the mark's
# own process (the node manager's first sliver set beside the agent's
# report), so that the scenario does not depend on which comes first.
# With revoke=, the scenario's show= lines are checked against that saved
# answer (text and JSON) and show_after= lines against the final one.  allow=REGEX exempts console
# lines matching it from every forbid= (the refusal's own code).
#
# Guarantees: the revoke is an operator's epoxyctl command on the running
# server, nothing else; it happens once, at the first match of LABEL.

QEMU_SCN_KEYS+=" node_identity revoke revoke_after "
ALLOW=(); SHOW_AFTER=()
REVOKE_DONE=""

# nodeid_scn_key KEY VALUE: the allow= and show_after= lines.
nodeid_scn_key() {
  case $1 in
    allow) ALLOW+=("$2");;
    show_after) SHOW_AFTER+=("$2");;
    *) return 1;;
  esac
}

# nodeid_check: the values of node_identity= and revoke=.
nodeid_check() {
  case ${S[node_identity]:=no} in yes|no) ;;
    *) echo "node_identity yes|no" >&2; return 1;; esac
  [ -z "${S[revoke]:-}" ] && return 0
  [[ ${S[revoke]} =~ ^[a-z0-9-]+\ (credential|delete)$ ]] ||
    { echo "revoke=LABEL credential|delete" >&2; return 1; }
  [ "${S[node_identity]}" = yes ] || { echo "revoke= needs node_identity=yes" >&2; return 1; }
}

# nodeid_config: epoxyd's node-identity lines (server_config).
nodeid_config() {
  [ "${S[node_identity]}" = yes ] || return 0
  printf 'node_ca_cert %s\nnode_ca_key %s\n' "$KEYS/node-ca.crt" "$KEYS/node-ca.key"
}

# nodeid_pieces: what node_identity=yes needs (pieces_check).
nodeid_pieces() {
  [ "${S[node_identity]}" = yes ] || return 0
  local p
  for p in "$KEYS/node-ca.crt" "$KEYS/node-ca.key"; do
    [ -e "$p" ] || PIECES_MISSING="$PIECES_MISSING ${p#"$O"/}"
  done
  zstd -dcq "$IMG"/release/*/initramfs 2>/dev/null | cpio -it --quiet 2>/dev/null |
    grep -qx 'bin/epoxy-nm' || PIECES_MISSING="$PIECES_MISSING images/release/<v>/initramfs:bin/epoxy-nm"
}

# nodeid_unallowed FILE: FILE's lines that no allow= pattern matches.
nodeid_unallowed() {
  local args=() r
  for r in "${ALLOW[@]}"; do args+=(-e "$r"); done
  if [ ${#args[@]} = 0 ]; then cat "$1"; else grep -avE "${args[@]}" "$1"; fi
}

# nodeid_on_mark LABEL: revoke= at its mark.
nodeid_on_mark() {
  [ -n "${S[revoke]:-}" ] && [ -z "$REVOKE_DONE" ] || return 0
  [ "$1" = "${S[revoke]%% *}" ] || return 0
  REVOKE_DONE=1
  local how=${S[revoke]#* } h=${S[host]} until=$((EPOCHSECONDS + 60))
  if [ -n "${S[revoke_after]:-}" ]; then
    until grep -aqE -- "${S[revoke_after]}" "$W/console.txt"; do
      if [ "$EPOCHSECONDS" -ge "$until" ]; then
        fail "at mark $1: the revoke waits for ${S[revoke_after]}" "not within 60 s"; break
      fi
      cw_sleep 0.5; console_follow
    done
  fi
  chain_ctl host show "$h" >"$W/host-show-joined.txt" 2>&1
  chain_ctl host show "$h" --json >"$W/host-show-joined.json" 2>&1
  if [ "$how" = delete ]; then
    chain_ctl host delete "$h" >>"$W/ctl.log" 2>&1
  else
    chain_ctl host credential "$h" --revoke >>"$W/ctl.log" 2>&1
  fi
  ok $? "at mark $1: epoxyctl host ${how/credential/credential --revoke} $h" "see $W/ctl.log"
}

# nodeid_show_check: show= against the answer saved at the revoke,
# show_after= against the host now (state_check).
nodeid_show_check() {
  local r out
  out=$(cat "$W/host-show-joined.txt" "$W/host-show-joined.json" 2>/dev/null)
  for r in "${SHOW[@]}"; do
    if grep -qE -- "$r" <<<"$out"; then pass "host show while joined: $r"
    else fail "host show while joined: $r" "$(head -30 <<<"$out" | tr '\n' '|')"; fi
  done
  out=$(chain_ctl host show "${S[host]}" 2>&1); echo "$out" >"$W/host-show.txt"
  for r in "${SHOW_AFTER[@]}"; do
    if grep -qE -- "$r" <<<"$out"; then pass "host show after the revoke: $r"
    else fail "host show after the revoke: $r" "$(head -30 <<<"$out" | tr '\n' '|')"; fi
  done
}
