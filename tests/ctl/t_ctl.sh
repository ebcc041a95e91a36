#!/bin/bash
# t_ctl: every epoxyctl command against a real epoxyd on loopback (HTTPS,
# pinned CA, DNS name epoxy.test): hosts, boot credentials, boot tokens (used
# for a real session), releases (server-side verification), channels and
# pins, sessions, why, audit list/verify and tamper detection; --json is
# valid JSON; exit codes; hostile input leaves the store unchanged; no live
# secret in CLI output, epoxyd's log or the store files.
# shellcheck disable=SC2030,SC2031 # subshells set one epoxyctl run's environment
. "$(dirname "$0")/lib.sh"

ctl_setup || bail "setup"
epoxyd_start || bail "epoxyd did not start" "$(cat "$T_DIR/epoxyd.log")"

if [ -n "$PG_CONN" ]; then
	grep -q 'store postgres' "$T_DIR/epoxyd.log"; ok $? "epoxyd runs on the PostgreSQL store"
fi

# --- bootstrap credential file
is "$(stat -c %a "$T_DIR/admin.cred")" 600 "admin init: credential file is 0600"
is "$(tr -d '\n' <"$T_DIR/admin.cred" | grep -cE '^[0-9a-f]{64}$')" 1 "admin init: 64 hex digits"
ctl admin init --store "$STORE" --out "$T_DIR/admin.cred"
is $? 1 "admin init: never overwrites an existing file"
ctl admin init --out "$T_DIR/x"
is $? 2 "admin init without --store: usage (2)"
# the admin's name is checked by the store's own rule (LABEL_TAG) before
# anything is written: a name the store would refuse is a usage error
for n in Alice 'a@b' ''; do
	ctl admin init --store "$STORE" --out "$T_DIR/adm-x" --name "$n"; rc=$?
	is "$rc/$(grep -c -- '--name: want' "$T_DIR/err")/$(test -e "$T_DIR/adm-x"; echo $?)" "2/1/1" \
		"admin init --name '$n': usage (2), no file"
done

# --- help and usage
ctl --help; is $? 0 "epoxyctl --help"
for c in host site token release image session why audit admin keys; do
	ctl $c --help; rc=$?
	is "$rc/$(grep -c '^usage: epoxyctl' "$T_DIR/out")" "0/1" "$c --help prints usage, exit 0"
done
# every subcommand a --help names is in the man page
man_txt=$(MANWIDTH=250 man -l docs/man/epoxyctl.1 2>/dev/null)
for c in host site token release image session why audit admin keys; do
	"$BIN/epoxyctl" $c --help 2>/dev/null | sed -n 's/^\(usage:\)\? *epoxyctl \([a-z]*\) \([a-z]*\).*/\2 \3/p' | sort -u >"$T_DIR/verbs"
	missing=$(while read -r v; do grep -qF "$v" <<<"$man_txt" || echo "$v"; done <"$T_DIR/verbs")
	n=$(wc -l <"$T_DIR/verbs")
	ok $(( n == 0 || ${#missing} > 0 )) "$c --help: all $n forms are in epoxyctl(1) ${missing:+(missing: $missing)}"
done
ctl frobnicate; is $? 2 "unknown command: exit 2"
ctl host; is $? 2 "host without subcommand: exit 2"
ctl host add; is $? 2 "host add without NAME: exit 2"
ctl host list extra; is $? 2 "host list with an argument: exit 2"
ctl host show node1 --rotate; is $? 2 "credential option on show: exit 2"
ctl release promote 7; is $? 2 "promote without --channel: exit 2"
ctl host list --bogus; is $? 2 "unknown option: exit 2"
(unset EPOXY_URL; ctl host list); is $? 2 "no server URL: exit 2"

# --- hosts
ctl host add node1 --hwclass qemu-x86_64 --mac 52:54:00:12:34:56 --addr 10.0.2.15 --addr 127.0.0.1 --group canary
is $? 0 "host add node1"
grep -q '^macs *52-54-00-12-34-56$' "$T_DIR/out"; ok $? "host add: shows the canonical MAC"
ctl host add node2 --hwclass qemu-x86_64 --mac 52-54-00-00-00-02 --channel beta
is $? 0 "host add node2"
ctl host list; is $? 0 "host list"
is "$(awk 'NR > 1 {print $1}' "$T_DIR/out" | tr '\n' ' ')" "node1 node2 " "host list: table of both hosts"
ctl host list --json; jq -e . "$T_DIR/out" >/dev/null; ok $? "host list --json is valid JSON"
is "$(jq -r '[.[].name] | join(",")' "$T_DIR/out")" "node1,node2" "host list --json: names"
ctl host show node1 --json; jq -e . "$T_DIR/out" >/dev/null; ok $? "host show --json is valid JSON"
is "$(jq -r .groups "$T_DIR/out")" canary "host show --json: groups"
ctl host update node1 --channel beta --reinstall 1
is $? 0 "host update"
ctl host show node1 --json
is "$(jq -r '.channel + "/" + .reinstall' "$T_DIR/out")" "beta/1" "host update: changed"
ctl host update node1; is $? 2 "host update with nothing to change: exit 2"
ctl host show node1 --json
# unless set: epoxyd's boot_path_default, compiled from Kconfig BOOT_PATH_DIRECT
bp_default=ipxe; grep -qx 'CONFIG_BOOT_PATH_DIRECT := 1' "$O/config.mk" && bp_default=direct
is "$(jq -r .boot_path "$T_DIR/out")" "$bp_default" "host show: boot_path $bp_default (boot_path_default) unless set"
ctl host update node1 --boot-path pxe; is $? 2 "host update --boot-path pxe: usage (2)"
ctl host update node1 --boot-path direct; is $? 0 "host update --boot-path direct"
ctl host show node1 --json
is "$(jq -r '.boot_path + "/" + .channel' "$T_DIR/out")" "direct/beta" "host show: boot_path direct, the rest kept"
ctl host update node1 --boot-path ipxe; is $? 0 "host update --boot-path ipxe"
ctl host show node1 --json
is "$(jq -r .boot_path "$T_DIR/out")" ipxe "host show: boot_path back to ipxe"
ctl host list --boot-path direct; is $? 2 "host list --boot-path: usage (2)"
ctl host show nosuch; rc=$?
is "$rc/$(grep -o 'EPOXY-E2505' "$T_DIR/err")" "1/EPOXY-E2505" "host show unknown host: exit 1, EPOXY-E2505"
ctl host add node3 --hwclass x --mac 52:54:00:12:34:56; rc=$?
is "$rc/$(grep -o 'HTTP 409' "$T_DIR/err")" "1/HTTP 409" "host add with another host's MAC: 409, exit 1"

# hostile names and values: refused with a reason, store unchanged
before=$(store_dump)
long=$(printf 'a%.0s' $(seq 1 300))
# shellcheck disable=SC2016 # '$(reboot)' is a hostile name, never expanded
for n in 'a;reboot' '../x' '..' 'A' '-x' 'a b' "$long" '$(reboot)' 'x/y' '%2e%2e' 'a\nb' "$(printf 'a\tb')"; do
	ctl host add --hwclass qemu-x86_64 -- "$n"; rc=$?
	code=$(grep -oE 'EPOXY-E[0-9]+' "$T_DIR/err" | head -1)
	ok $(( rc != 1 || ${#code} == 0 )) "host add '${n:0:20}': refused by the server (exit $rc, $code)"
	ctl host show -- "$n"; rc=$?
	# a name too long for a URL path is refused by epoxyctl itself (usage)
	ok $(( rc != 1 && !(rc == 2 && ${#n} > 255) )) "host show '${n:0:20}': refused (exit $rc)"
done
ctl host add x1 --hwclass 'a;b'; is $? 1 "hostile hwclass refused"
ctl host add x1 --hwclass q --mac zz; is $? 1 "malformed MAC refused"
ctl host add x1 --hwclass q --pin -1; is $? 1 "negative pin refused"
ctl host add x1 --hwclass q --site nosuch; is $? 1 "unknown site refused"
ctl host update node2 --group 'a b'; is $? 1 "hostile group refused"
# one address check (lib/label.h LABEL_ADDR) for the admin API and the store:
# the API refuses what the store would refuse, naming the field
for a in 1 10.0.2.g fe80::1%eth0 'host.example'; do
	ctl host update node2 --addr "$a"; rc=$?
	is "$rc/$(grep -o 'EPOXY-E2508' "$T_DIR/err" | head -1)/$(grep -c 'addrs: not an address' "$T_DIR/err")" \
		"1/EPOXY-E2508/1" "address '$a' refused by the admin API (addrs, EPOXY-E2508)"
done
ctl host delete nosuch; is $? 1 "delete unknown host: exit 1"
is "$(store_dump | md5sum)" "$(echo "$before" | md5sum)" "store unchanged after every refusal"
ctl site add lab1 --description 'Lab one'; is $? 0 "site add"
ctl site add lab1; is $? 1 "site add twice: exit 1"
ctl site add 'a;b'; is $? 1 "hostile site name refused"
ctl site list --json; is "$(jq -r '.[0].name + "/" + .[0].description' "$T_DIR/out")" "lab1/Lab one" "site list --json"
ctl host update node2 --site lab1; is $? 0 "host joins a site"
ctl site delete lab1; is $? 1 "site with hosts is not deleted"
ctl host update node2 --site ''; is $? 0 "host leaves the site"

# raw requests the CLI cannot send: wrong method, type, oversized, garbage
before=$(store_dump)
cred=$(cat "$T_DIR/admin.cred")
adm() { hs "$@" -H "Authorization: Epoxy-Admin $cred" -o "$T_DIR/raw" -w '%{http_code}'; }
is "$(adm /admin/v1/hosts -X PUT --data x)" 405 "PUT /hosts: 405"
is "$(adm /admin/v1/hosts -X POST -H 'Content-Type: application/json' --data '{"name":"x"}')" 415 "JSON body: 415"
is "$(adm /admin/v1/hosts -X POST --data 'name=x&hwclass=y&evil=1')" 400 "unknown field: 400"
is "$(head -c 11 "$T_DIR/raw")" EPOXY-E2509 "unknown field: reason EPOXY-E2509"
is "$(adm /admin/v1/hosts -X POST --data 'name=%zz')" 400 "bad escape: 400"
head -c 200000 /dev/zero | tr '\0' a >"$T_DIR/big"
is "$(adm /admin/v1/hosts -X POST --data-binary @"$T_DIR/big")" 413 "200 KB form: 413"
is "$(adm /admin/v1/nothing)" 404 "unknown resource: 404"
is "$(hs /admin/v1/hosts -o /dev/null -w '%{http_code}')" 401 "no credential: 401"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/admin/v1/hosts" -H "Authorization: Epoxy-Admin $cred")" 403 "admin API over plain HTTP: 403"
is "$(store_dump | md5sum)" "$(echo "$before" | md5sum)" "store unchanged after raw refusals"

# --- boot credentials
ctl host credential node1; is $? 2 "credential without destination: exit 2"
ctl host credential node1 --out "$T_DIR/node1.cred"; is $? 0 "credential issue --out"
c1=$(tr -d '\n' <"$T_DIR/node1.cred")
is "$(stat -c %a "$T_DIR/node1.cred")/${#c1}" "600/64" "credential file 0600 with 64 hex digits"
is "$(grep -c "$c1" "$T_DIR/out" "$T_DIR/err" | awk -F: '{s+=$2} END {print s}')" 0 "credential not printed"
ctl host credential node1 --out "$T_DIR/node1.cred2"; rc=$?
is "$rc/$(grep -o 'EPOXY-E2507' "$T_DIR/err")" "1/EPOXY-E2507" "second issue refused (use --rotate)"
ctl host credential node1 --rotate --out "$T_DIR/node1.cred"; is $? 1 "--out never overwrites a file"
ctl host credential node1 --rotate --out "$T_DIR/node1.cred3"; is $? 0 "credential rotate"
c3=$(tr -d '\n' <"$T_DIR/node1.cred3")
[ "$c3" != "$c1" ] && [ ${#c3} = 64 ]; ok $? "rotate: a new value"
nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
sess() { # cred-or-token-field [host mac]
	hs /v1/session -X POST --data "host=${2:-node1}&mac=${3:-52-54-00-12-34-56}&nonce=$nonce&agent=1&stage=1&$1" \
		-o "$T_DIR/session" -w '%{http_code}'
}
ctl host show node1 --json
is "$(jq -r .credential "$T_DIR/out")" active "host show: credential state only"
ctl host credential node2 --stdout; rc=$?
c2=$(cat "$T_DIR/out")
is "$rc/$(grep -cE '^[0-9a-f]{64}$' "$T_DIR/out")" "0/1" "credential --stdout prints it when asked"
ctl host credential node2 --revoke; is $? 0 "credential revoke"
ctl host credential node2 --revoke --out "$T_DIR/x"; is $? 2 "--revoke with --out: usage"
(export EPOXY_MKVARS=/nonexistent; ctl host credential node1 --rotate --vars "$T_DIR/none.fd"); rc=$?
is "$rc/$(grep -o 'EPOXY-E2604' "$T_DIR/err")" "1/EPOXY-E2604" "--vars with a missing EPOXY_MKVARS: clear failure"
cat >"$T_DIR/fake-mkvars" <<'EOS'
#!/bin/sh
# records what epoxyctl hands over: --vars F --host H --credential-file C --mac M
[ "$1" = --vars ] && [ "$3" = --host ] && [ "$5" = --credential-file ] && [ "$7" = --mac ] || exit 2
stat -c %a "$6" >"$2.mode"; cp "$6" "$2.cred"; echo "$4 $8" >"$2.host"; echo "${9:-} ${10:-}" >"$2.path"
EOS
chmod +x "$T_DIR/fake-mkvars"
mkdir -p "$T_DIR/tmp"
(export EPOXY_MKVARS=$T_DIR/fake-mkvars TMPDIR=$T_DIR/tmp; ctl host credential node1 --rotate --vars "$T_DIR/n1.fd"); rc=$?
c4=$(tr -d '\n' <"$T_DIR/n1.fd.cred" 2>/dev/null)
is "$rc/$(cat "$T_DIR/n1.fd.host" 2>/dev/null)/$(cat "$T_DIR/n1.fd.mode" 2>/dev/null)/${#c4}" "0/node1 52:54:00:12:34:56/600/64" \
	"--vars runs EPOXY_MKVARS with the host, its MAC and a 0600 credential file"
is "$(find "$T_DIR/tmp" -mindepth 1 | wc -l)" 0 "--vars removes its temporary credential file"
ctl host enroll node1; is $? 2 "enroll without --vars: usage (2)"
ctl host enroll node1 --vars "$T_DIR/e.fd" --out "$T_DIR/e.cred"; is $? 2 "enroll with --out: usage (2)"
ctl host enroll node1 --vars "$T_DIR/e.fd" --revoke; is $? 2 "enroll with --revoke: usage (2)"
(export EPOXY_MKVARS=$T_DIR/fake-mkvars TMPDIR=$T_DIR/tmp; ctl host enroll node1 --vars "$T_DIR/e.fd"); rc=$?
is "$rc/$(grep -o 'EPOXY-E2507' "$T_DIR/err")/$(find "$T_DIR" -maxdepth 1 -name 'e.fd*' | wc -l)" "1/EPOXY-E2507/0" \
	"enroll of a host with an active credential: refused (say --rotate), no store written"
(export EPOXY_MKVARS=$T_DIR/fake-mkvars TMPDIR=$T_DIR/tmp; ctl host enroll node1 --rotate --vars "$T_DIR/e.fd"); rc=$?
c5=$(tr -d '\n' <"$T_DIR/e.fd.cred" 2>/dev/null)
is "$rc/$(cat "$T_DIR/e.fd.host" 2>/dev/null)/$(cat "$T_DIR/e.fd.mode" 2>/dev/null)/${#c5}" "0/node1 52:54:00:12:34:56/600/64" \
	"enroll --rotate runs EPOXY_MKVARS with the host, its MAC and a new 0600 credential"
[ "$c5" != "$c4" ]; ok $? "enroll --rotate hands out a credential other than the last one"
is "$(cat "$T_DIR/e.fd.path" 2>/dev/null)" "--boot-path ipxe" "enroll without --boot-path: the host's (ipxe)"
c_e=$c5
ctl host enroll node1 --rotate --vars "$T_DIR/b.fd" --boot-path pxe; is $? 2 "--boot-path pxe: usage (2)"
ctl host credential node1 --rotate --out "$T_DIR/b.cred" --boot-path direct; is $? 2 "--boot-path without --vars: usage (2)"
[ ! -e "$T_DIR/b.cred" ] && [ ! -e "$T_DIR/b.fd.cred" ]; ok $? "a refused --boot-path writes nothing"
(export EPOXY_MKVARS=$T_DIR/fake-mkvars TMPDIR=$T_DIR/tmp; ctl host enroll node1 --rotate --vars "$T_DIR/d.fd" --boot-path direct); rc=$?
c5=$(tr -d '\n' <"$T_DIR/d.fd.cred" 2>/dev/null)
is "$rc/$(cat "$T_DIR/d.fd.path" 2>/dev/null)/${#c5}" "0/--boot-path direct/64" \
	"enroll --boot-path direct hands the boot path to EPOXY_MKVARS"
ctl host update node1 --boot-path direct; is $? 0 "host node1 on the direct path"
(export EPOXY_MKVARS=$T_DIR/fake-mkvars TMPDIR=$T_DIR/tmp; ctl host enroll node1 --rotate --vars "$T_DIR/h.fd"); rc=$?
is "$rc/$(cat "$T_DIR/h.fd.path" 2>/dev/null)" "0/--boot-path direct" "enroll without --boot-path: the host's (direct)"
(export EPOXY_MKVARS=$T_DIR/fake-mkvars TMPDIR=$T_DIR/tmp; ctl host enroll node1 --rotate --vars "$T_DIR/i.fd" --boot-path ipxe); rc=$?
is "$rc/$(cat "$T_DIR/i.fd.path" 2>/dev/null)" "0/--boot-path ipxe" "enroll --boot-path ipxe: for that VARS, over the host's"
ctl host show node1 --json
is "$(jq -r .boot_path "$T_DIR/out")" direct "enroll --boot-path does not change the host's"
c_h=$(tr -d '\n' <"$T_DIR/h.fd.cred" 2>/dev/null)
c5=$(tr -d '\n' <"$T_DIR/i.fd.cred" 2>/dev/null)
c4_old=$c4; c4=$c5   # the node's credential from here on

# --- boot tokens
ctl token issue node1 --ttl 600; rc=$?
tok=$(cat "$T_DIR/out")
is "$rc/${#tok}/$(grep -cE '^[0-9a-f]{64}$' "$T_DIR/out")" "0/64/1" "token issue prints one 64-hex token"
echo "$tok" >"$T_DIR/node-token"
(export EPOXY_ADMIN_CREDENTIAL=$T_DIR/node-token; ctl host list); rc=$?
is "$rc/$(grep -o 'EPOXY-E2500' "$T_DIR/err")" "3/EPOXY-E2500" "a node boot token is no admin credential (exit 3)"
ctl token issue node1 --json; jq -e '.token | length == 64' "$T_DIR/out" >/dev/null; ok $? "token issue --json is valid JSON"
json_tok=$(jq -r .token "$T_DIR/out")
ctl token issue node1 --ttl 0; is $? 1 "token ttl 0 refused"
ctl token issue node1 --ttl 604801; is $? 1 "token ttl over 7 days refused"
ctl token issue nosuch; is $? 1 "token for unknown host refused"
ctl token issue node1 --out "$T_DIR/tok2"; is $? 0 "token issue --out"
is "$(stat -c %a "$T_DIR/tok2")/$(wc -c <"$T_DIR/out")" "600/0" "token --out: 0600 file, nothing on stdout"
# token medium for a legacy-BIOS node (docs/protocol.md, "Token medium")
ctl token issue node1 --ttl 600 --media "$T_DIR/medium.img"; rc=$?
is "$rc/$(stat -c '%a %s' "$T_DIR/medium.img")/$(wc -c <"$T_DIR/out")" "0/600 512/0" \
	"token issue --media: new 0600 file of 512 bytes, nothing on stdout"
mtok=$(grep -aoE '^token [0-9a-f]{64}$' "$T_DIR/medium.img" | cut -d' ' -f2)
printf 'epoxy-token-medium 1\nhost node1\ntoken %s\nend\n' "$mtok" >"$T_DIR/medium.want"
head -c "$(wc -c <"$T_DIR/medium.want")" "$T_DIR/medium.img" | cmp -s - "$T_DIR/medium.want"
ok $? "token medium: magic and version, host, 64 hex digits, end"
is "$(tail -c +$(( $(wc -c <"$T_DIR/medium.want") + 1 )) "$T_DIR/medium.img" | tr -d '\0' | wc -c)" 0 \
	"token medium: zeros to the end of the sector"
is "$(grep -c -- "$mtok" "$T_DIR/err")" 0 "token medium: the token is not printed"
cp "$T_DIR/medium.img" "$T_DIR/medium.copy"
ctl token issue node1 --media "$T_DIR/medium.img"; rc=$?
cmp -s "$T_DIR/medium.img" "$T_DIR/medium.copy"
is "$rc/$?/$(grep -o 'EPOXY-E2605' "$T_DIR/err")" "1/0/EPOXY-E2605" "token medium: an existing file is never overwritten"
ctl token issue node1 --media "$T_DIR/medium2.img" --out "$T_DIR/tok3"; rc=$?
is "$rc/$(find "$T_DIR" -maxdepth 1 \( -name medium2.img -o -name tok3 \) | wc -l)" "2/0" "token --media with --out: usage (2), no file"
ctl token issue nosuch --media "$T_DIR/medium3.img"; rc=$?
is "$rc/$(find "$T_DIR" -maxdepth 1 -name medium3.img | wc -l)" "1/0" "token --media for an unknown host: refused, no file left"

# --- releases (needs a session-able release before the token test below)
make_release "$T_DIR/r7" 7; ok $? "release sign (threshold 2 of 3)"
ctl release publish --manifest "$T_DIR/r7.manifest" --artifacts "$T_DIR/r7"; is $? 0 "release publish 7"
k7=$(sha256sum "$T_DIR/r7/kernel" | cut -c1-64)
cmp -s "$DATA/objects/$k7" "$T_DIR/r7/kernel"; ok $? "publish: kernel stored at objects/<sha256>"
ctl release publish --manifest "$T_DIR/r7.manifest" --artifacts "$T_DIR/r7"; is $? 1 "publish same version again: exit 1"
ctl release list --json; jq -e . "$T_DIR/out" >/dev/null; ok $? "release list --json is valid JSON"
is "$(jq -r '.[0].version + " " + .[0].hwclass' "$T_DIR/out")" "7 qemu-x86_64" "release list: version 7"
before=$(store_dump)
make_release "$T_DIR/r8" 8
flip_byte "$T_DIR/r8/kernel" 1000
ctl release publish --manifest "$T_DIR/r8.manifest" --artifacts "$T_DIR/r8"; rc=$?
is "$rc/$(grep -o 'EPOXY-E1030' "$T_DIR/err")" "1/EPOXY-E1030" "tampered kernel: refused by the server (EPOXY-E1030)"
make_release "$T_DIR/r9" 9
head -c 10 /dev/zero >>"$T_DIR/r9/initramfs"
ctl release publish --manifest "$T_DIR/r9.manifest" --artifacts "$T_DIR/r9"; rc=$?
is "$rc/$(grep -o 'EPOXY-E1031' "$T_DIR/err")" "1/EPOXY-E1031" "longer initramfs: refused (EPOXY-E1031)"
make_release "$T_DIR/r10" 10 1
ctl release publish --manifest "$T_DIR/r10.manifest" --artifacts "$T_DIR/r10"; rc=$?
is "$rc/$(grep -o 'EPOXY-E1013' "$T_DIR/err")" "1/EPOXY-E1013" "one signature of threshold 2: refused (EPOXY-E1013)"
make_release "$T_DIR/r11" 11
sed -i 's/^version 11$/version 12/' "$T_DIR/r11.manifest"
ctl release publish --manifest "$T_DIR/r11.manifest" --artifacts "$T_DIR/r11"; rc=$?
is "$rc/$(grep -o 'EPOXY-E1012' "$T_DIR/err")" "1/EPOXY-E1012" "edited manifest: signature refused"
ctl release publish --manifest "$T_DIR/r7.manifest" --artifacts "$T_DIR/nonexistent"; is $? 1 "missing artifacts dir: exit 1"
is "$(store_dump | md5sum)" "$(echo "$before" | md5sum)" "refused publishes leave store and objects unchanged"
# two operators publish the same release at once: exactly one wins
make_release "$T_DIR/r13" 13
race_pids=()
for i in 1 2; do
	"$BIN/epoxyctl" release publish --manifest "$T_DIR/r13.manifest" --artifacts "$T_DIR/r13" \
		>"$T_DIR/race$i.out" 2>&1 &
	race_pids+=($!)
done
wait "${race_pids[0]}"; r1=$?; wait "${race_pids[1]}"; r2=$?
is "$(( r1 + r2 ))/$(( r1 * r2 ))" "1/0" "concurrent publish of one version: one succeeds, one is refused ($r1, $r2)"
is "$(sql "SELECT count(*) FROM releases WHERE version = 13")" 1 "... and the store holds it once"
ctl release promote 7 --channel stable; is $? 0 "release promote 7 --channel stable"
ctl release promote 7 --channel beta; is $? 0 "release promote 7 --channel beta"
ctl release promote 99 --channel stable; rc=$?
is "$rc/$(grep -o 'EPOXY-E2511' "$T_DIR/err")" "1/EPOXY-E2511" "promote an unknown version: refused"
ctl release pin node2 7; is $? 0 "release pin host"
ctl host show node2 --json; is "$(jq -r .pin "$T_DIR/out")" 7 "pin visible on the host"
ctl release pin node2 0; is $? 0 "release pin 0 removes it"
ctl release pin --group canary --channel beta 7; is $? 0 "release pin --group"
ctl release pin --group canary 7 extra; is $? 2 "pin --group with a host too: usage"

# --- the boot token opens exactly one session; old credentials do not
is "$(sess "credential=$c1")/$(head -c 11 "$T_DIR/session")" "403/EPOXY-E2022" "credential replaced by --rotate: refused by /v1/session"
is "$(sess "credential=$c2" node2 52-54-00-00-00-02)/$(head -c 11 "$T_DIR/session")" "403/EPOXY-E2023" "revoked credential: refused by /v1/session"
is "$(sess "token=$tok")" 200 "boot token opens a session"
is "$(sess "token=$tok")" 403 "the same boot token again: refused"
is "$(sess "credential=$c4")" 200 "the credential written by --vars opens a session"
sid=$(awk '$1 == "session" {print $2; exit}' "$T_DIR/session")
rtok=$(awk '$1 == "token" && $2 == "report" {print $3}' "$T_DIR/session")
ctl session list; is $? 0 "session list"
grep -q "^$sid " "$T_DIR/out"; ok $? "session list shows the session"
ctl session list --json --host node1 --limit 5; jq -e . "$T_DIR/out" >/dev/null; ok $? "session list --json is valid JSON"
is "$(jq -r --arg s "$sid" '[.[] | select(.id == $s)] | length' "$T_DIR/out")" 1 "session list --json has the session"
ctl session list --limit 0; is $? 1 "session list --limit 0 refused"

# --- why: a failure report from the node
code=$(hs /v1/report -X POST -H "Authorization: Bearer $rtok" \
	--data-urlencode stage=verify --data-urlencode status=fail --data-urlencode code=EPOXY-E1030 \
	--data-urlencode "tail=loading kernel
EPOXY-E1030 artifact SHA-256 does not match the manifest" -o /dev/null -w '%{http_code}')
is "$code" 204 "node reports a failure"
ctl why node1; is $? 0 "why node1"
grep -q '^last stage:  verify (fail)' "$T_DIR/out"; ok $? "why: last stage and status"
grep -q '^error:       EPOXY-E1030 artifact SHA-256 does not match the manifest' "$T_DIR/out"; ok $? "why: code with its text from lib/errors.def"
grep -q "^session:     $sid" "$T_DIR/out"; ok $? "why: the session"
grep -q '^  verify .*fail *+[0-9]*s EPOXY-E1030' "$T_DIR/out"; ok $? "why: per-stage timing line"
grep -q '^  | loading kernel' "$T_DIR/out"; ok $? "why: console tail"
ctl why node1 --json; jq -e . "$T_DIR/out" >/dev/null; ok $? "why --json is valid JSON"
is "$(jq -r '.error.code + "|" + .reports[0].stage' "$T_DIR/out")" "EPOXY-E1030|verify" "why --json: code and report"
ctl why node2; is $? 0 "why of a host that never booted"
grep -q 'session:     none' "$T_DIR/out"; ok $? "why: says no session"
ctl why nosuch; is $? 1 "why of an unknown host: exit 1"

# --- host delete
ctl site delete lab1; is $? 0 "site delete"
ctl host add gone --hwclass x; ctl host delete gone; is $? 0 "host delete"
ctl host show gone; is $? 1 "deleted host is gone"

# --- audit
ctl audit list --json --limit 1000; jq -e . "$T_DIR/out" >/dev/null; ok $? "audit list --json is valid JSON"
for a in admin.issue site.add site.delete host.add host.update host.delete host.credential.issue host.credential.rotate \
	host.credential.revoke token.issue release.publish release.promote release.pin.host release.pin.group; do
	is "$(jq -r --arg a "$a" '[.[] | select(.action == $a)] | length > 0' "$T_DIR/out")" true "audit has $a"
done
is "$(jq -r '[.[] | select(.action == "host.add")][0].actor' "$T_DIR/out")" "admin:admin" "audit names the admin"
ctl audit list --after 2 --limit 1 --json
is "$(jq -r '"\(length) \(.[0].seq)"' "$T_DIR/out")" "1 3" "audit list --after/--limit"
ctl audit list; is $? 0 "audit list (table)"
ctl audit verify; is $? 0 "audit verify: intact chain"
grep -q '^audit chain ok: [0-9]* entries' "$T_DIR/out"; ok $? "audit verify: says ok"
ctl audit verify --json; is "$(jq -r .status "$T_DIR/out")" ok "audit verify --json"

# --- no secret where it does not belong
for s in "$c1" "$c3" "$c4_old" "$c_e" "$c_h" "$c4" "$tok" "$(tr -d '\n' <"$T_DIR/tok2")" "$cred" "$rtok"; do
	[ ${#s} = 64 ] || { fail "secret of 64 hex digits"; continue; }
	grep -q "$s" "$T_DIR/epoxyd.log"; ok $(( $? == 0 )) "secret ${s:0:4}.. not in epoxyd's log"
	store_has "$s"; ok $(( $? == 0 )) "secret ${s:0:4}.. not in the store files"
done
# the CLI printed only what it was asked to hand out: the --stdout credential
# and the boot token (once each)
is "$(grep -c "$c1\|$c3\|$c4_old\|$c_e\|$c_h\|$c4\|$cred\|$rtok" "$T_DIR/cli.log")" 0 "CLI output never shows a credential it wrote to a file"
is "$(grep -c "$tok" "$T_DIR/cli.log")/$(grep -c "$json_tok" "$T_DIR/cli.log")" "1/1" "each boot token appears once (token issue's output)"
is "$(grep -c "$c2" "$T_DIR/cli.log")" 1 "the --stdout credential appears once"

# --- config file instead of the environment, and failures to connect
mkdir -p "$T_DIR/home/.config/epoxy"
printf 'url %s\nca %s\ncredential %s\nresolve %s\n' "$EPOXY_URL" "$EPOXY_CA" "$EPOXY_ADMIN_CREDENTIAL" "$EPOXY_RESOLVE" \
	>"$T_DIR/home/.config/epoxy/epoxyctl.conf"
(unset EPOXY_URL EPOXY_CA EPOXY_ADMIN_CREDENTIAL EPOXY_RESOLVE; ctl host list); is $? 0 "\$HOME/.config/epoxy/epoxyctl.conf"
printf 'url https://x\nbogus y\n' >"$T_DIR/bad.conf"
ctl host list --config "$T_DIR/bad.conf"; is $? 2 "bad config line: exit 2"
ctl host list --url "https://epoxy.test:$((HTTPS_PORT + 50))" --resolve "epoxy.test:$((HTTPS_PORT + 50)):127.0.0.1"
is $? 3 "nothing listening: exit 3"
ctl host list --ca "$KEYS/server.crt"; rc=$?
is "$rc/$(grep -c 'EPOXY-E2602' "$T_DIR/err")" "3/1" "wrong pinned CA: exit 3"
ctl host list --url "https://127.0.0.1:$HTTPS_PORT" --resolve x:1:127.0.0.1; is $? 0 "the certificate's IP SAN 127.0.0.1 also verifies"
ctl host list --url "http://epoxy.test:$HTTP_PORT"; is $? 2 "plain http URL refused by epoxyctl"
printf '%064d\n' 0 >"$T_DIR/wrong.cred"
ctl host list --credential "$T_DIR/wrong.cred"; is $? 3 "wrong admin credential: exit 3"
ctl host list --credential "$T_DIR/nonexistent"; is $? 3 "unreadable credential file: exit 3"

# --- tamper with the audit log behind the server's back
sql "UPDATE audit SET detail = 'nothing to see' WHERE seq = 3" >"$T_DIR/sql.out"
is "$?/$(sql "SELECT detail FROM audit WHERE seq = 3")" "0/nothing to see" "tamper: entry 3 edited behind the server's back"
ctl audit verify; rc=$?
is "$rc/$(grep -oE 'EPOXY-E(2060|2516)' "$T_DIR/err" | head -1)" "1/EPOXY-E2060" "audit verify: tampering detected (exit 1)"
grep -q 'entry 3' "$T_DIR/err"; ok $? "audit verify: names the first bad entry"
done_testing
