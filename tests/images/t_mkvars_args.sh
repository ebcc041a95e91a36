#!/bin/bash
# t_mkvars_args.sh: epoxy-mkvars refuses bad input before it boots
# anything: host names, MACs, PCI slots, URLs, credentials, missing keys
# or images.  A table of cases, each with the exit status and the code the
# message must carry.  No QEMU runs (each case must end within 5 s).
. "$(dirname "$0")/../lib/tap.sh"
mk=boot/mkvars.sh
tmpdir epoxy-t-mkvars-args; tmp=$T_DIR
good=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
printf '%s\n' "$good" >"$tmp/good"
printf '%s\n' "${good^^}" >"$tmp/upper"
printf '%s\n' "${good:0:63}" >"$tmp/short"
printf '%sx\n' "$good" >"$tmp/long"
printf 'credential %s\n' "$good" >"$tmp/prefixed"
: >"$tmp/empty"
mkdir -p "$tmp/nokeys"
# name | want exit | want text | args...
cases=(
"no arguments|2||"
"unknown option|2||--vars x --bogus 1"
"option without value|2||--vars"
"host without credential|2||--vars $tmp/o --host node1"
"credential without host|2||--vars $tmp/o --credential-file $tmp/good"
"host upper case|1|EPOXY-E1413|--vars $tmp/o --host Node1 --credential-file $tmp/good"
"host with space|1|EPOXY-E1413|--vars $tmp/o --host node\ 1 --credential-file $tmp/good"
"host too long|1|EPOXY-E1413|--vars $tmp/o --host $(printf 'a%.0s' {1..64}) --credential-file $tmp/good"
"host with underscore|1|EPOXY-E1413|--vars $tmp/o --host node_1 --credential-file $tmp/good"
"MAC short|1|EPOXY-E1413|--vars $tmp/o --mac 52:54:00:12:34"
"MAC dashes|1|EPOXY-E1413|--vars $tmp/o --mac 52-54-00-12-34-56"
"MAC not hex|1|EPOXY-E1413|--vars $tmp/o --mac 52:54:00:12:34:zz"
"PCI without function|1|EPOXY-E1413|--vars $tmp/o --pci 02"
"PCI function 8|1|EPOXY-E1413|--vars $tmp/o --pci 02.8"
"PCI device 32|1|EPOXY-E1413|--vars $tmp/o --pci 20.0"
"URL ftp|1|EPOXY-E1413|--vars $tmp/o --url ftp://10.0.2.100/boot/stage0"
"URL with space|1|EPOXY-E1413|--vars $tmp/o --url https://10.0.2.100/a\ b"
"URL with quote|1|EPOXY-E1413|--vars $tmp/o --url https://10.0.2.100/a\\\"b"
"boot path pxe|1|EPOXY-E1413|--vars $tmp/o --boot-path pxe"
"boot path empty|1|EPOXY-E1413|--vars $tmp/o --boot-path ''"
"URL and direct boot path|1|EPOXY-E1413|--vars $tmp/o --boot-path direct --url https://10.0.2.100/boot/stage1.efi"
"timeout not a number|1|EPOXY-E1413|--vars $tmp/o --timeout 1m"
"keys missing|1|EPOXY-E1413|--vars $tmp/o --keys $tmp/nokeys"
)
for c in "${cases[@]}"; do
	IFS='|' read -r name want text args <<<"$c"
	t0=$(date +%s)
	eval "timeout 5 bash $mk $args" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ] && { [ -z "$text" ] || grep -q "$text" "$tmp/out"; } && [ ! -e "$tmp/o" ] &&
	   [ $(($(date +%s) - t0)) -lt 5 ]; then
		pass "$name: exit $rc${text:+, $text}"
	else
		fail "$name: exit $rc (want $want${text:+, $text})" "$(head -1 "$tmp/out")"
	fi
done
# credentials: checked after keys and images exist, still before QEMU
if [ -f "$O/keys/PK.auth" ] && [ -f "$O/images/enroll/initramfs" ]; then
	for f in upper short long prefixed empty; do
		timeout 5 bash "$mk" --vars "$tmp/o" --host node1 --credential-file "$tmp/$f" >"$tmp/out" 2>&1
		rc=$?
		if [ "$rc" = 1 ] && grep -q 'EPOXY-E1413 credential' "$tmp/out" && [ ! -e "$tmp/o" ] &&
		   ! grep -q "$good" "$tmp/out"; then
			pass "credential '$f' refused without echoing it"
		else
			fail "credential '$f': exit $rc" "$(head -1 "$tmp/out")"
		fi
	done
	check "credential on stdin is checked too" not quiet \
		timeout 5 bash "$mk" --vars "$tmp/o" --host node1 --credential-file - <"$tmp/short"
else
	fail "$O/keys or $O/images/enroll missing (make images)"
fi
bash "$mk" --help | grep -q 'usage: epoxy-mkvars'; ok $? "--help prints the usage"
done_testing
