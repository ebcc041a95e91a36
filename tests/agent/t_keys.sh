#!/bin/bash
# t_keys: the keyset promises as the agent enforces them: a rotation
# signed by the threshold of old and new keys is followed (keyset.2 in the
# image); a forged rotation (new keys only) stops at the anchors (E1044);
# without the rotation, manifests of the new keys are refused; fewer valid
# signatures than the threshold (E1013), one key counted twice (E1014 or
# E1013), and a revoked key (E1015) are refused.
. "$(dirname "$0")/lib.sh"
P=$(free_port 1) || bail "a free loopback port"
KEYS=$O/bin/epoxy-keys
need_built "$KEYS"
fixtures
K=$W/srv; N=$W/newkeys; mkdir -p "$N"
{ "$KEYS" new "$N/new-1.key" >/dev/null && "$KEYS" new "$N/new-2.key" >/dev/null; } || bail "epoxy-keys new"
EXP=$(( $(date +%s) + 86400 ))
rot() { # out [extra keyset args...]
  local out=$1; shift
  "$KEYS" keyset --from "$K/keyset" "$@" --out "$out" >/dev/null 2>&1
}
# a proper rotation: old threshold (2 of release-1..3) and new (2 of new-1..2)
rot "$W/keyset.2" --threshold 2 --release "$N/new-1.key" --release "$N/new-2.key" \
  --online "$K/online.key" --key "$K/release-1.key" --key "$K/release-2.key" \
  --key "$N/new-1.key" --key "$N/new-2.key"
# forged: signed by the new keys only
rot "$W/forged.2" --threshold 2 --release "$N/new-1.key" --release "$N/new-2.key" \
  --online "$K/online.key" --key "$N/new-1.key" --key "$N/new-2.key"
# revocation: release-2 revoked, release-1 kept with new-1 and new-2; the
# rotation is approved by old keys that stay trusted (release-1, release-3)
rot "$W/revoke.2" --threshold 2 --release "$K/release-1.key" --release "$N/new-1.key" \
  --release "$N/new-2.key" --revoke "$K/release-2.key" --online "$K/online.key" \
  --key "$K/release-1.key" --key "$K/release-3.key" --key "$N/new-1.key" --key "$N/new-2.key"
check "rotation keysets made with epoxy-keys" test -s "$W/keyset.2" -a -s "$W/forged.2" -a -s "$W/revoke.2"

# manifests: by the new keys; by release-1 twice; by release-1 + release-2
mkdir -p "$W/kn" "$W/kdup"
cp "$N/new-1.key" "$W/kn/release-1.key"; cp "$N/new-2.key" "$W/kn/release-2.key"
cp "$K/release-1.key" "$W/kdup/release-1.key"; cp "$K/release-1.key" "$W/kdup/release-2.key"
mfk() { "$HOSTILE" manifest "$1" "$2" 7 $EXP qemu-x86_64 "$K/kernel" "$K/initramfs" \
          "$K/cmdline" "$K/join" 2 || bail "hostile manifest $2"; }
mfk "$W/kn" "$W/mf.new"; mfk "$W/kdup" "$W/mf.dup"

serve "$P" server manifest:"$W/mf.new"
agent1 "$P" --retries 1
check "new-key manifest without the rotation in the image: refused" refused 'EPOXY-E101[13]'
cp "$W/keyset.2" "$W/etc/keyset.2"
agent1 "$P"
check "new-key manifest with the rotation keyset.2: boots" booted
check "the agent followed the rotation to serial 2" grep -q 'keyset serial 2 threshold 2' "$W/out"
serve "$P" server
agent1 "$P" --retries 1
check "old-key manifest after the rotation: refused" refused 'EPOXY-E101[13]'
cp "$W/forged.2" "$W/etc/keyset.2"
agent1 "$P" --retries 1
check "forged rotation (new keys only): EPOXY-E1044" refused EPOXY-E1044
cp "$W/revoke.2" "$W/etc/keyset.2"
agent1 "$P" --retries 1
check "manifest signed by a revoked key: EPOXY-E1015" refused EPOXY-E1015
rm -f "$W/etc/keyset.2"
serve "$P" server manifest:"$W/mf.dup"
agent1 "$P" --retries 1
check "one key counted twice: refused (EPOXY-E1014/E1013)" refused 'EPOXY-E101[34]'
serve "$P" server
agent1 "$P"
check "the root keyset alone still boots the old-key release" booted
stop
done_testing
