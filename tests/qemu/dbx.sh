# shellcheck shell=bash
# dbx.sh: the `dbx=` scenario key of tests/qemu/run-scenario (sourced by
# lib.sh, bash): retiring images through the firmware's dbx (issue 13
# point 10; docs/threat-model.md).
#
#   dbx=retire-old    an older stage1 (the same UKI with floor 1, signed by
#                     the fleet's db key: validly signed, another Authenticode
#                     hash) is retired with `epoxy-pki dbx-append` (the
#                     fleet's KEK, in a copy of its key directory) and
#                     `epoxyctl image retire`.  When the node's agent says it
#                     appended the update and the node has reported its
#                     production boot, the runner serves the retired UKI
#                     as stage1.efi from then on (an attacker on the
#                     plain-HTTP leg) and power-cycles the node (QEMU quits
#                     and starts again on the same VARS, dbx included): the
#                     firmware must refuse it.
#   dbx=changed-byte  the published update has one byte of its hash list
#                     changed after the KEK signed it (its shape still
#                     passes epoxyctl and epoxyd): the firmware must refuse
#                     the write and the agent stop with EPOXY-E1252.
#   dbx=other-key     the update is signed by a fresh KEK that no node holds.
#
# Guarantees: the fleet's key directory is never written (epoxy-pki runs on
# a copy holding KEK.key, KEK.crt and owner.guid); the runner touches the
# node only as a hypervisor operator could (a power cycle).
#
# Why a power cycle and not QMP system_reset: Debian's signed iPXE picks the
# same TCP source port on every boot (44102 under OVMF here: its random()
# is seeded from a tick count that is the same at each start), and a reset
# keeps QEMU's user-mode network, slirp, with its TCP state.  When slirp
# still held the first boot's plain-HTTP connection (closed by epoxyd but
# never acknowledged by the guest), the second iPXE's SYN on the same four
# tuple went unanswered and iPXE gave up: "Connection timed out" (CI, twice).
# A new QEMU process starts a new slirp; the node's VARS are all it keeps.

QEMU_SCN_KEYS+=" dbx "
DBX_SWAPPED=""

# dbx_prepare: the update of S[dbx] in $W/pki/dbx-append.auth (fixture).
dbx_prepare() {
  local p=$W/pki h
  [ -n "${S[dbx]:-}" ] || return 0
  h=sha256:$(printf '6d%.0s' {1..32})
  mkdir -p "$p" "$W/old"
  case ${S[dbx]} in
    retire-old)
      cp "$KEYS"/{KEK.key,KEK.crt,owner.guid} "$p/" || return 1
      cp "$W/boot/stage1.efi" "$W/old/current.efi" && stage1_floor 1 &&
        mv "$W/boot/stage1.efi" "$W/old/stage1.efi" &&
        mv "$W/old/current.efi" "$W/boot/stage1.efi" || return 1
      keys/epoxy-pki dbx-append "$p" "$W/old/stage1.efi";;
    changed-byte)
      cp "$KEYS"/{KEK.key,KEK.crt,owner.guid} "$p/" &&
        keys/epoxy-pki dbx-append "$p" "$h" || return 1
      # the last byte: inside the hash, after the signature
      flip_byte "$p/dbx-append.auth" $(( $(stat -c %s "$p/dbx-append.auth") - 1 ));;
    other-key)
      keys/epoxy-pki secureboot "$p" && keys/epoxy-pki dbx-append "$p" "$h";;
    *) echo "dbx: retire-old|changed-byte|other-key"; return 1;;
  esac
}

# dbx_publish: epoxyctl image retire (host_enroll_steps, after publishing).
dbx_publish() {
  [ -n "${S[dbx]:-}" ] || return 0
  chain_ctl image retire "$W/pki/dbx-append.auth"
}

dbx_retires() { [ "${S[dbx]:-}" = retire-old ]; }

# dbx_on_console: once the agent has appended the update and the node has
# finished its boot (its production agent reported), serve the retired UKI
# and power-cycle the node (console_watch, each pass).  The power cycle
# waits for the report so that no request of the first boot is in flight:
# what the scenario checks is the next boot, not a cut mid-download.
dbx_on_console() {
  dbx_retires && [ -z "$DBX_SWAPPED" ] || return 0
  grep -aqE 'epoxy: stage dbx update [0-9a-f]{16}: [0-9]+ retired image hashes appended' \
    "$W/console.txt" || return 0
  grep -aqE 'epoxy: stage report stage 2 ok sent' "$W/console.txt" || return 0
  DBX_SWAPPED=1
  cp "$W/old/stage1.efi" "$W/boot/stage1.efi" || { fail "dbx: retired stage1 served"; return 0; }
  qemu_stop
  if QEMU_KEEP_VARS=1 qemu_start; then
    diag "dbx: the retired stage1 is served from now on; node power-cycled (VARS kept)"
  else
    fail "dbx: node power-cycled on its VARS" "see $W/qemu.log"
  fi
}
