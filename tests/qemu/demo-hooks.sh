# shellcheck shell=bash
# demo-hooks.sh: sourced by run-scenario for `make demo` (QEMU_HOOKS):
# prints each stage as the console shows it, and the node's state at the end.
declare -A DESC=(
  [firmware-https]="UEFI firmware (Secure Boot on, fleet keys) starts HTTPS boot of stage0"
  [stage0-ipxe]="stage0: the db-signed iPXE passed Secure Boot and runs"
  [stage1-script]="stage1 script fetched from epoxyd (no secret in it)"
  [uki-kernel]="signed stage1 UKI passed Secure Boot; minimal kernel starts"
  [lockdown]="minimal kernel locked down from Secure Boot"
  [kexec-cert]="minimal kernel trusts the fleet's kexec certificate (built in), not db"
  [stage1-run-init]="minimal kernel runs /init"
  [prod-run-init]="production kernel runs /init"
  [stage1-init]="minimal initramfs: modules, network, efivarfs"
  [session]="agent: boot session opened over HTTPS, statement verified (nonce, host, manifest)"
  [manifest]="agent: release manifest verified (threshold signatures, floor, expiry)"
  [verified]="agent: artifacts downloaded and checked against signed lengths and SHA-256"
  [kexec]="agent: kexec_file_load of the verified bytes (kernel's kexec signature checked); executing"
  [prod-kernel]="production kernel starts"
  [prod-agent]="production agent: handover read (session tokens, verified manifest)"
  [joined]="join credential fetched, join script ran"
  [reported]="success reported to epoxyd"
)
demo_mark() { printf '  [%7.1f s] %-14s %s\n' "$2" "$1" "${DESC[$1]:-}"; }
demo_done() {
  echo
  echo "== epoxyctl host show ${S[host]}"
  chain_ctl host show "${S[host]}" 2>&1 | sed 's/^/   /'
  echo
  echo "== epoxyctl session list --host ${S[host]}"
  chain_ctl session list --host "${S[host]}" 2>&1 | sed 's/^/   /'
  echo
  echo "== epoxyctl why ${S[host]}"
  chain_ctl why "${S[host]}" 2>&1 | sed 's/^/   /'
  echo
  echo "== per-stage timings on the node's console (seconds since QEMU started; stage = time since the previous mark)"
  # (timeline.ts: each mark when its line was read, run-scenario's
  # timeline_stamp; the runner's own half-second passes if it is missing)
  local tl=$W/timeline.ts
  [ -s "$tl" ] || tl=$W/timeline
  awk '{ printf "   %-16s at %7.2f s   stage %6.2f s\n", $1, $2, $2 - p; p = $2 }' "$tl"
  echo
  echo "console log: $W/console.log   epoxyd log: $W/epoxyd.log"
}
# shellcheck disable=SC2034 # run-scenario calls them
ON_MARK=demo_mark ON_DONE=demo_done
