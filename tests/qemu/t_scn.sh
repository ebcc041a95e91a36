#!/bin/bash
# t_scn.sh: the scenario files' parser (scn_load of tests/qemu/lib.sh),
# without booting anything:
#   - every tests/qemu/scenarios/*.scn loads (the full set's too, which
#     only `make check-qemu-full` boots: a broken one fails here first);
#   - dhcp-ipxe.scn, which includes happy-uefi.scn, has its own name,
#     about and net=, and exactly happy-uefi's marks, forbids, allows,
#     shows, logs, seen lines and keys besides (make check's quick set
#     runs happy-uefi's checks there);
#   - include= refuses a missing file, a name that is not NAME.scn beside
#     the file (a path, another suffix, empty), an include inside an
#     included file, a key the two files both give, and an unknown key of
#     the included file (named with its file and line); each malformed
#     file exits with status 1 and a message naming it.
cd "$(dirname "$0")/../.." || exit 1
# (lib.sh sources tests/lib/tap.sh)
. tests/qemu/lib.sh
tmpdir t_scn; T=$T_DIR

# tscn_dump FILE: what scn_load made of FILE, one line per value (a subshell:
# each load starts from lib.sh's empty lists); its status is scn_load's
tscn_dump() {
  (
    set -u
    scn_load "$1" || exit 1
    local k i
    for k in $(printf '%s\n' "${!S[@]}" | sort); do printf 'S %s=%s\n' "$k" "${S[$k]}"; done
    for i in "${!EXP_RE[@]}"; do printf 'mark %s %s\n' "${EXP_LABEL[$i]}" "${EXP_RE[$i]}"; done
    printf 'forbid %s\n' "${FORBID[@]}"; printf 'show %s\n' "${SHOW[@]}"
    printf 'log %s\n' "${SRVLOG[@]}"; printf 'seen %s\n' "${SEEN[@]}"
    printf 'why %s\n' "${WHY[@]}"; printf 'opt %s\n' "${SRVOPT[@]}"
    printf 'allow %s\n' "${ALLOW[@]}"; printf 'show_after %s\n' "${SHOW_AFTER[@]}"
  )
}

n=0 bad=''
for f in tests/qemu/scenarios/*.scn; do
  n=$((n + 1))
  tscn_dump "$f" >/dev/null 2>"$T/err" || bad+=" $f ($(head -1 "$T/err"))"
done
[ -z "$bad" ] && [ "$n" -ge 18 ]
ok $? "every scenario file loads ($n)" "failed:$bad"

# ---- dhcp-ipxe includes happy-uefi
tscn_dump tests/qemu/scenarios/happy-uefi.scn >"$T/uefi" 2>&1; ok $? "happy-uefi.scn loads"
tscn_dump tests/qemu/scenarios/dhcp-ipxe.scn >"$T/dhcp" 2>&1; ok $? "dhcp-ipxe.scn loads"
is "$(grep -E '^S (name|net)=' "$T/dhcp" | tr '\n' ' ')" "S name=dhcp-ipxe S net=dnsmasq " \
  "dhcp-ipxe keeps its own name and sets net=dnsmasq"
grep -q '^S about=iPXE path on a dnsmasq site network' "$T/dhcp"
ok $? "dhcp-ipxe keeps its own about="
diff <(grep -vE '^S (name|about|net)=' "$T/uefi") <(grep -vE '^S (name|about|net)=' "$T/dhcp") >"$T/diff"
ok $? "dhcp-ipxe has happy-uefi's marks, forbids, shows, logs, seen lines and keys, in order" \
  "$(head -5 "$T/diff")"
[ "$(grep -c '^mark ' "$T/dhcp")" -ge 20 ] && grep -q '^S revoke=' "$T/dhcp"
ok $? "... which are the whole chain and the revocation ($(grep -c '^mark ' "$T/dhcp") marks)"

# ---- malformed includes: FILE LINES... -> status 1 and a message
mkdir -p "$T/s"
printf 'name=base\nfirmware=uefi-sb\nmark=a x\n' >"$T/s/base.scn"
printf 'include=twice.scn\nmark=b y\n' >"$T/s/nested.scn"
printf 'name=twice\nmark=c z\n' >"$T/s/twice.scn"
printf 'name=typo\nmark=a x\nfirmwar=bios\n' >"$T/s/typo.scn"
tscn_refused() { # LABEL WANT-RE LINE...: a scenario of those lines is refused
  local label=$1 want=$2 rc; shift 2
  printf '%s\n' "$@" >"$T/s/t.scn"
  tscn_dump "$T/s/t.scn" >/dev/null 2>"$T/err"; rc=$?
  [ "$rc" = 1 ] && grep -qE -- "$want" "$T/err"
  ok $? "refused: $label" "status $rc: $(head -2 "$T/err")"
}
tscn_refused "an include of a missing file" "cannot read .*/none\\.scn" name=t include=none.scn
tscn_refused "an include with a path" "t\\.scn:2: include=NAME\\.scn" name=t include=../s/base.scn
tscn_refused "an include of another suffix" "t\\.scn:2: include=NAME\\.scn" name=t include=base.txt
tscn_refused "an empty include" "t\\.scn:2: include=NAME\\.scn" name=t include=
tscn_refused "an include in an included file" "nested\\.scn:1: include= in an included file" \
  name=t include=nested.scn
tscn_refused "a key both files give" "base\\.scn:2: 'firmware' given twice" \
  name=t firmware=bios include=base.scn
tscn_refused "an unknown key of the included file" "typo\\.scn:3: unknown key 'firmwar'" \
  name=t include=typo.scn
# the included file's name= and about= are not the includer's
printf 'include=base.scn\n' >"$T/s/noname.scn"
tscn_dump "$T/s/noname.scn" >/dev/null 2>"$T/err"
is "$?:$(grep -c 'no name=' "$T/err")" "1:1" "refused: a name= only in the included file"
printf 'name=mine\nabout=mine\ninclude=base.scn\n' >"$T/s/mine.scn"
tscn_dump "$T/s/mine.scn" >"$T/mine" 2>&1
is "$(grep -E '^S (name|about|firmware)=' "$T/mine" | tr '\n' ' ')" \
  "S about=mine S firmware=uefi-sb S name=mine " "an includer's name= and about= stay, the rest comes in"
done_testing
