#!/bin/bash
# t_media: a legacy-BIOS node (no firmware variable store) opens its boot
# session with the one-time boot token of a token medium (stage2/media.c):
# found by scanning the disks or named with --token-medium; no medium,
# a medium for another host, two media or a malformed one stop the agent
# with their codes; a UEFI node never looks at a medium; the token never
# reaches the console.
. "$(dirname "$0")/lib.sh"
P=$(free_port 1) || bail "a free loopback port"
fixtures
serve "$P" server

TOK=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
medium() { # file host token
  { printf 'epoxy-token-medium 1\nhost %s\ntoken %s\nend\n' "$2" "$3"; head -c 512 /dev/zero; } |
    head -c 512 >"$1"
}
mkdir -p "$W/sys/vda" "$W/sys/sda" "$W/dev"
head -c 4096 /dev/zero >"$W/dev/sda"                       # a blank disk
medium "$W/dev/vda" node1 "$TOK"
BIOS=(--efivars "$W/noefi" --sysblock "$W/sys" --devdir "$W/dev" --media-wait 0)
bioscl() { # cmdline file with epoxy.host=$1
  echo "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=127.0.0.1 epoxy.port=$P epoxy.stage=1${1:+ epoxy.host=$1}" >"$W/cmdline.bios"
}

bioscl node1
agent1 "$P" "${BIOS[@]}" --cmdline "$W/cmdline.bios"
check "BIOS: token medium found on vda, boot reaches kexec" booted
check "BIOS: console names the medium and the one-time token" \
  bash -c "grep -q 'epoxy: stage medium one-time boot token for host node1 on vda' '$W/out' &&
           grep -q 'epoxy: stage credential host node1 (one-time boot token)' '$W/out'"
check "BIOS: the token is not on the console" bash -c "! grep -q '$TOK' '$W/out'"
check "BIOS: no 64-hex value on the console" bash -c "! grep -Eq '[0-9a-f]{64}' '$W/out'"

bioscl ""
agent1 "$P" --efivars "$W/noefi" --token-medium "$W/dev/vda" --cmdline "$W/cmdline.bios"
check "BIOS: --token-medium FILE, no epoxy.host on the command line: boots" booted

rm -f "$W/dev/vda"
bioscl node1
agent1 "$P" "${BIOS[@]}" --cmdline "$W/cmdline.bios"
check "BIOS: no medium on any disk: EPOXY-E1201" refused EPOXY-E1201
check "BIOS: ... and the message says how to make one" grep -q 'epoxyctl token issue HOST --media FILE' "$W/out"

medium "$W/dev/vda" node2 "$TOK"
agent1 "$P" "${BIOS[@]}" --cmdline "$W/cmdline.bios"
check "BIOS: medium for another host: EPOXY-E1244" refused EPOXY-E1244
check "BIOS: ... naming the disk" grep -q 'token medium vda, epoxy.host=node1' "$W/out"

medium "$W/dev/vda" node1 "$TOK"
mkdir -p "$W/sys/vdb"; cp "$W/dev/vda" "$W/dev/vdb"
agent1 "$P" "${BIOS[@]}" --cmdline "$W/cmdline.bios"
check "BIOS: two media attached: EPOXY-E1245" refused EPOXY-E1245
rm -f "$W/dev/vdb"

medium "$W/dev/vda" node1 "$(echo "$TOK" | tr a-f A-F)"
agent1 "$P" "${BIOS[@]}" --cmdline "$W/cmdline.bios"
check "BIOS: upper-case token: EPOXY-E1243" refused EPOXY-E1243
{ printf 'epoxy-token-medium 2\nhost node1\ntoken %s\nend\n' "$TOK"; head -c 512 /dev/zero; } |
  head -c 512 >"$W/dev/vda"
agent1 "$P" "${BIOS[@]}" --cmdline "$W/cmdline.bios"
check "BIOS: medium format version 2: EPOXY-E1241" refused EPOXY-E1241
medium "$W/dev/vda" node1 "$TOK"; printf 'x' | dd of="$W/dev/vda" bs=1 seek=511 conv=notrunc status=none
agent1 "$P" "${BIOS[@]}" --cmdline "$W/cmdline.bios"
check "BIOS: non-zero padding: EPOXY-E1242" refused EPOXY-E1242

# UEFI: the firmware credential is used, a medium is never looked at
medium "$W/dev/vda" node2 "$TOK"
agent1 "$P" --sysblock "$W/sys" --devdir "$W/dev" --cmdline "$W/cmdline.bios"
check "UEFI: firmware credential used, the attached medium ignored" \
  bash -c "grep -q 'epoxy: stage credential host node1 (boot credential)' '$W/out' && ! grep -q 'stage medium' '$W/out'"
mkdir -p "$W/efi-empty"
agent1 "$P" --efivars "$W/efi-empty" --sysblock "$W/sys" --devdir "$W/dev" --cmdline "$W/cmdline.bios"
check "UEFI without its variable: EPOXY-E1201, no medium scan" \
  bash -c "grep -q '^EPOXY-E1201 ' '$W/out' && ! grep -q 'looking for a token medium' '$W/out'"
stop
done_testing
