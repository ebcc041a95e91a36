#!/usr/bin/env bash
# t_pusher: epoxy-pusher (issue 15 point 2) against a real epoxyd's archive
# (PUT /v1/archive/<experiment>/<sha256>, mutual TLS with a node
# certificate got through the node-identity endpoints, as t_nodeid does).
# Asserts: bundles by size and by age (test clock, EPOXY_PUSHER_TEST_CLOCK);
# a file still open by its writer is not taken; archive down then back:
# nothing lost, the backlog drains; a bundle with a changed byte is refused
# by the archive and sent again as a good one; kill -9 at random moments
# over 30 rounds with a writer running: every file the writer finished is
# in the archive exactly once, with its bytes, and gone from the node;
# the archive keeps each node's objects under its own name, refuses a
# changed body, an unknown name and a request without a certificate; every
# stored bundle is recorded in the store; public reads (no credential) list
# and serve only bundles of a registered experiment out of its embargo by
# the server's clock (moved with clock_offset), 404 otherwise as for an
# unknown name; --config (node/pusher/pusher_conf.h): malformed files
# refused with their codes and line, and only the listed experiments and
# datatypes taken, uploaded to the file's server.
. "$(dirname "$0")/../lib/epoxyd.sh"
. tests/lib/flip.sh
DEVKEYS=$O/keys
PU=$BIN/epoxy-pusher
need tar gzip
need_built "$DEVKEYS/node-ca.crt" "$PU"

epoxyd_setup || bail "setup"
node_ca || bail "node CA"
"$BIN/epoxyd-seed" host "$STORE" node2 52-54-00-00-00-02 >/dev/null || bail "node2"
"$BIN/epoxyd-seed" cred "$STORE" node2 "$T_DIR/cred.node2" >/dev/null || bail "node2 cred"
epoxyd_start || bail "epoxyd did not start"
N=$T_DIR/node; mkdir -p "$N"
is "$(node_cert node1 52-54-00-12-34-56 "$N")" 200 "node1 has a node certificate"
is "$(node_cert node2 52-54-00-00-00-02 "$N")" 200 "node2 has a node certificate"

W=$T_DIR/w; D=$W/data; S=$W/spool; CLK=$W/clock; M=$W/metrics
mkdir -p "$D" "$S"; echo 0 >"$CLK"
ARC=$DATA/archive
PU_PID=''
# wait_for SECONDS CMD...: polls CMD every 0.2 s
wait_for() { local t=$(( $1 * 5 )); shift; while [ "$t" -gt 0 ]; do "$@" && return 0; sleep 0.2; t=$((t - 1)); done; return 1; }
# pusher_start [ARGS...]: epoxy-pusher for node1 in the background; waits
# for its first metrics (its watches are set: a file written before them
# is found by the scan only, and waits --scan-age), unless PU_NOWAIT=1
pusher_start() {
	rm -f "$M"
	EPOXY_PUSHER_TEST_CLOCK=$CLK "$PU" --data "$D" --spool "$S" \
		--server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
		--cert "$N/node1.crt" --key "$N/node1.key" --metrics "$M" --scan-every 1 \
		--quiet 0 --backoff-max 1 "$@" 2>>"$W/pusher.log" &
	PU_PID=$!
	[ -n "${PU_NOWAIT:-}" ] || wait_for 10 test -s "$M"
}
pusher_kill() { [ -n "$PU_PID" ] || return 0; kill -"${1:-TERM}" "$PU_PID" 2>/dev/null; wait "$PU_PID" 2>/dev/null; PU_PID=; }
at_exit pusher_kill KILL
# arc_files [EXP]: node1's bundles in the archive, M-Lab's layout
# (data_dir/archive/<exp>/<datatype>/YYYY/MM/DD/<time>-<dt>-node1-<exp>.tgz)
arc_files() { find "$ARC/${1:-}" -type f -name '*-node1-*.tgz' 2>/dev/null | sort; }
# names_sync: NAMES_OF["mtime path"] holds the file names of each bundle
# now in node1's archive (BUNDLES_NOW), each version of a bundle listed by
# tar once: epoxyd renames a bundle into place whole, and wait_for polls
# five times a second (listing every bundle each time was 1,380 tar and
# gzip pairs in a make check)
declare -A NAMES_OF=(); BUNDLES_NOW=()
names_sync() {
	local b l
	mapfile -t BUNDLES_NOW < <(find "$ARC" -type f -name '*-node1-*.tgz' -printf '%T@ %p\n' 2>/dev/null | sort -k2)
	for b in "${BUNDLES_NOW[@]}"; do
		[ -z "${NAMES_OF[$b]+x}" ] || continue
		l=$(tar -tzf "${b#* }" 2>/dev/null) && NAMES_OF[$b]=$l
	done
}
# names: every file name in every bundle of node1's archive (one a line)
names() {
	local b
	names_sync
	for b in "${BUNDLES_NOW[@]}"; do [ -z "${NAMES_OF[$b]:-}" ] || printf '%s\n' "${NAMES_OF[$b]}"; done | sort
}
unbundle() { tar -xzf "$1" -C "$2" 2>/dev/null; }
bundles() { arc_files | wc -l; }
# rec_sha NAME: the SHA-256 the store recorded for the bundle of that name
rec_sha() { sql "SELECT sha256 FROM archive_bundles WHERE name = '$1'"; }
pu_metric() { awk -v k="$1" '$1 == k {print $2}' "$M" 2>/dev/null; }
# has_names REGEX N: N file names match (names_sync in this shell, no
# subshell: the listings stay for the next poll)
has_names() {
	local b l n=0
	names_sync
	for b in "${BUNDLES_NOW[@]}"; do
		while IFS= read -r l; do [[ -n $l && $l =~ $1 ]] && n=$((n + 1)); done <<<"${NAMES_OF[$b]:-}"
	done
	[ "$n" = "$2" ]
}
mkf() { mkdir -p "$(dirname "$D/$1")"; head -c "${2:-1000}" /dev/urandom >"$D/$1"; }

# ---- usage
out=$("$PU" --help); rc=$?
[ $rc = 0 ] && grep -q "^usage: epoxy-pusher" <<<"$out"; ok $? "--help exits 0 with a usage"
"$PU" --data "$D" >/dev/null 2>&1; is $? 2 "missing options: exit 2"
"$PU" --data "$D" --spool "$S" --server http://x --ca a --cert b --key c >/dev/null 2>&1
is $? 2 "a plain-HTTP server URL: exit 2"

# ---- size threshold
pusher_start --size 3500 --age-min 100000 --age-max 100000
mkf ndt/tcpinfo/2026/12/04/a1 1000; mkf ndt/tcpinfo/2026/12/04/a2 1000
sleep 3
is "$(bundles)" 0 "2000 bytes under a 3500-byte threshold: no bundle"
mkf ndt/tcpinfo/2026/12/04/a3 1000; mkf ndt/tcpinfo/2026/12/04/a4 1000
wait_for 15 has_names 'ndt/tcpinfo/2026/12/04/a' 4; ok $? "4000 bytes: one bundle with the 4 files" "$(names)"
is "$(bundles)" 1 "...exactly one bundle"
wait_for 5 test ! -e "$D/ndt/tcpinfo/2026/12/04/a1"; ok $? "...its files deleted after the archive's answer"
b=$(arc_files | head -1); bn=${b#"$ARC"/}
[[ $bn =~ ^ndt/tcpinfo/([0-9]{4})/([0-9]{2})/([0-9]{2})/([0-9]{8})T[0-9]{6}\.[0-9]{6}Z-tcpinfo-node1-ndt\.tgz$ ]] &&
	[ "${BASH_REMATCH[1]}${BASH_REMATCH[2]}${BASH_REMATCH[3]}" = "${BASH_REMATCH[4]}" ]
ok $? "the bundle is named as M-Lab's: <exp>/<dt>/<YYYY/MM/DD>/<UTC time>-<dt>-<node>-<exp>.tgz" "$bn"
[ "$(( $(date -u +%s) - $(date -u -d "$(sed -E 's#.*/([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2}).*#\1-\2-\3 \4:\5:\6#' <<<"$bn")" +%s) ))" -lt 120 ]
ok $? "...its time the bundle's (UTC, within 2 minutes)"
is "$(rec_sha "$bn")" "$(sha256sum "$b" | cut -d' ' -f1)" "...recorded with the SHA-256 of its bytes"
gzip -t "$b"; ok $? "...a gzip stream (.tgz)"
pusher_kill

# ---- age threshold, on the test clock
pusher_start --size 1000000000 --age-min 600 --age-max 900
mkf ndt/tcpinfo/b1 100; mkf ndt/tcpinfo/b2 100
sleep 3
has_names ndt/tcpinfo/b 0; ok $? "young files under the size threshold: not bundled"
echo 300 >"$CLK"; sleep 2
has_names ndt/tcpinfo/b 0; ok $? "...still not at 300 s (age threshold 600..900 s)"
echo 1000 >"$CLK"
wait_for 15 has_names ndt/tcpinfo/b 2; ok $? "at 1000 s on the test clock: bundled" "$(names)"
pusher_kill; echo 0 >"$CLK"

# ---- a file still being written is not taken
pusher_start --size 1
mkdir -p "$D/ndt/tcpinfo"
exec 7>"$D/ndt/tcpinfo/open1"
printf 'first half\n' >&7
mkf ndt/tcpinfo/closed1 100
wait_for 15 has_names ndt/tcpinfo/closed1 1; ok $? "the closed file is uploaded"
sleep 2
has_names ndt/tcpinfo/open1 0; ok $? "a file its writer still holds (written, not closed): not taken"
[ -e "$D/ndt/tcpinfo/open1" ]; ok $? "...and still in the data directory"
printf 'second half\n' >&7; exec 7>&-
wait_for 15 has_names ndt/tcpinfo/open1 1; ok $? "once closed: taken"
d=$(mktemp -d "$W/x.XXXX")
while read -r b; do unbundle "$b" "$d"; done < <(arc_files ndt)
is "$(tr '\n' ' ' <"$d/ndt/tcpinfo/open1" 2>/dev/null)" "first half second half " "...whole"
pusher_kill

# ---- the day's first file: written before the pusher watched its directory
# (epoxy-tcpinfo makes each day's directory and writes into it at once): a
# directory moved in whole holds files whose close-write came before any
# watch.  Taken after --quiet (0 here) as closed, not after --scan-age (an
# hour), but never while a writer holds one open.
mkdir -p "$D/ndt/tcpinfo" "$W/newday/05"
pusher_start --size 1 --scan-age 3600
head -c 800 /dev/urandom >"$W/newday/05/first1"
exec 8>"$W/newday/05/open2"
printf 'early\n' >&8
mv "$W/newday" "$D/ndt/tcpinfo/2026-12"
wait_for 15 has_names ndt/tcpinfo/2026-12/05/first1 1
ok $? "a file in a brand-new directory: bundled after --quiet, not --scan-age" "$(names | grep 2026-12)"
sleep 2
has_names ndt/tcpinfo/2026-12/05/open2 0; ok $? "...its neighbour still open for writing: not taken"
[ -e "$D/ndt/tcpinfo/2026-12/05/open2" ]; ok $? "...and still in the data directory"
printf 'late\n' >&8; exec 8>&-
wait_for 15 has_names ndt/tcpinfo/2026-12/05/open2 1; ok $? "...taken once its writer closed it"
d=$(mktemp -d "$W/x.XXXX")
while read -r b; do unbundle "$b" "$d"; done < <(arc_files ndt)
is "$(tr '\n' ' ' <"$d/ndt/tcpinfo/2026-12/05/open2" 2>/dev/null)" "early late " "...whole"
pusher_kill

# ---- archive down, then back
epoxyd_stop
before=$(bundles)
pusher_start --size 1
for i in $(seq 1 10); do mkf "ndt/tcpinfo/out$i" 500; done
wait_for 15 sh -c "[ \"\$(awk '\$1 == \"epoxy_pusher_upload_retries_total\" {print \$2}' '$M')\" -ge 2 ]"
ok $? "archive away: uploads retried" "$(cat "$M" 2>/dev/null)"
wait_for 10 sh -c "[ \"\$(awk '\$1 == \"epoxy_pusher_backlog_files\" {print \$2}' '$M')\" -ge 10 ]"
ok $? "...backlog reported ($(pu_metric epoxy_pusher_backlog_files) files)"
is "$(find "$D/ndt/tcpinfo" -name 'out*' | wc -l)" 10 "...no file deleted meanwhile"
epoxyd_start || bail "epoxyd did not start again"
wait_for 20 has_names 'ndt/tcpinfo/out' 10; ok $? "archive back: all 10 files arrive" "$(names)"
wait_for 5 sh -c "[ \"\$(awk '\$1 == \"epoxy_pusher_backlog_files\" {print \$2}' '$M')\" = 0 ]"
ok $? "...the backlog drains to 0"
[ "$(pu_metric epoxy_pusher_last_success_timestamp_seconds)" -gt 0 ]; ok $? "...last success time set"
[ "$(bundles)" -gt "$before" ]; ok $? "...in new bundles"
pusher_kill

# ---- a bundle with a changed byte: refused by the archive, then sent good
epoxyd_stop
pusher_start --size 1
mkf ndt/tcpinfo/flip1 3000; mkf ndt/tcpinfo/flip2 3000
# both files in the spool's bundles before the kill: a file not bundled
# then is found after the restart by a scan only, after --scan-age (an
# hour); seen when tests ran two at once
flips_spooled() {
	[ "$(for b in "$S"/*.tgz; do [ -f "$b" ] && tar -tzf "$b"; done 2>/dev/null |
		grep -c '/flip[12]$')" = 2 ]
}
wait_for 15 flips_spooled
ok $? "archive away: both files wait in the spool's bundles"
pusher_kill KILL
bad=$(find "$S" -name '*.tgz' | head -1)
badsha=$(basename "$bad" .tgz)
flip_byte "$bad" 200
[ "$(sha256sum "$bad" | cut -d' ' -f1)" != "$badsha" ]; ok $? "one byte of it changed on disk"
code=$(curl -s --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
	--cert "$N/node1.crt" --key "$N/node1.key" -T "$bad" 2>/dev/null \
	"https://epoxy.test:$HTTPS_PORT/v1/archive/ndt/$badsha" -o /dev/null -w '%{http_code}')
epoxyd_start || bail "epoxyd did not start again"
pusher_start --size 1
wait_for 60 has_names 'ndt/tcpinfo/flip' 2; ok $? "the files arrive in a rebuilt bundle" "$(names)"
bad=0; while read -r b; do [ "$(rec_sha "${b#"$ARC"/}")" = "$(sha256sum "$b" | cut -d' ' -f1)" ] || bad=$((bad + 1)); done < <(arc_files)
is "$bad" 0 "every object in the archive is the bytes recorded for its name (the changed ones never kept)"
[ "$(pu_metric epoxy_pusher_bundles_refused_total)" -ge 1 ]; ok $? "the archive refused it ($(pu_metric epoxy_pusher_bundles_refused_total))"
[ "$(pu_metric epoxy_pusher_bundles_rebuilt_total)" -ge 1 ]; ok $? "...and the pusher rebuilt it"
grep -q "EPOXY-E2341" "$W/pusher.log"; ok $? "...the archive's code EPOXY-E2341 in the pusher's log"
pusher_kill
[ "$code" = 000 ]; ok $? "(while epoxyd was down, curl could not reach it: $code)"

# ---- the archive's own checks, by hand
pu_up() { # CERT KEY PATH FILE: the status and the first word of the answer
	local a=()
	[ -n "$1" ] && a=(--cert "$1" --key "$2")
	curl -s --path-as-is --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" "${a[@]}" \
		-X PUT --data-binary @"$4" "https://epoxy.test:$HTTPS_PORT$3" -o "$W/ans" -w '%{http_code}'
	echo " $(head -c 11 "$W/ans")"
}
head -c 5000 /dev/urandom >"$W/obj"; sha=$(sha256sum "$W/obj" | cut -d' ' -f1)
head -c 5000 /dev/urandom >"$W/obj2"; sha2=$(sha256sum "$W/obj2" | cut -d' ' -f1)
cp "$W/obj" "$W/obj.bad"; flip_byte "$W/obj.bad" 10
N1=$(arc_name exp1 x node1); N1b=$(arc_name exp1 x node1); N2=$(arc_name exp1 x node2)
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha?name=$N1" "$W/obj.bad")" "400 EPOXY-E2341" "a body with a changed byte: refused"
[ ! -e "$ARC/$N1" ]; ok $? "...nothing kept"
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha?name=$N1" "$W/obj")" "200 stored exp1" "node1 stores an object under its name"
is "$(cat "$W/ans")" "stored $N1" "...the answer names it"
cmp -s "$W/obj" "$ARC/$N1"; ok $? "...data_dir/archive/<name> holds the body's bytes"
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha?name=$N1" "$W/obj")" "200 exists exp1" "...again: idempotent"
# a retry after kill -9 of a pusher that named the same bundle anew
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha?name=$N1b" "$W/obj")" "200 exists exp1" \
	"the same bytes under a new name: 'exists'"
is "$(cat "$W/ans")" "exists $N1" "...answered with the name it was stored under"
[ ! -e "$ARC/$N1b" ]; ok $? "...and no second copy under the new name"
is "$(sql "SELECT count(*) FROM archive_bundles WHERE sha256 = '$sha'")" 1 "...one record"
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha2?name=$N1" "$W/obj2")" "409 EPOXY-E2389" \
	"another bundle under a name taken: refused"
cmp -s "$W/obj" "$ARC/$N1"; ok $? "...the named object unchanged"
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha2?name=$N2" "$W/obj2")" "403 EPOXY-E2388" \
	"node1 naming a bundle of node2: refused (the node part is the certificate's)"
[ ! -e "$ARC/$N2" ]; ok $? "...nothing written under node2's name"
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/ndt/$sha2?name=$(arc_name exp1 x node1)" "$W/obj2")" \
	"403 EPOXY-E2388" "a name of another experiment than the path's: refused"
is "$(pu_up "$N/node2.crt" "$N/node2.key" "/v1/archive/exp1/$sha?name=$N2" "$W/obj.bad")" "400 EPOXY-E2341" "node2, same hash, other bytes: refused"
is "$(pu_up "$N/node2.crt" "$N/node2.key" "/v1/archive/exp1/$sha?name=$N2" "$W/obj")" "200 stored exp1" "node2, same bytes: stored under node2's own name"
[ -f "$ARC/$N2" ]; ok $? "...its own object, never node1's"
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha2" "$W/obj2")" "400 EPOXY-E2387" "no name: refused"
t=$(date -u +%Y%m%dT%H%M%S.%6NZ); d="${t:0:4}/${t:4:2}/${t:6:2}"
for nm in "exp1/x/$d/$t-x-node1-exp1.tar.gz" "exp1/x/2020/01/01/$t-x-node1-exp1.tgz" \
	"exp1/x/$d/$t-y-node1-exp1.tgz" "exp1/../$d/$t-..-node1-exp1.tgz" "exp1/x/$d/$t-x-Node1-exp1.tgz" \
	"exp1/x/$d/${t:0:15}Z-x-node1-exp1.tgz" "exp1/x/$d/$t-x--exp1.tgz"; do
	is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$sha2?name=$nm" "$W/obj2")" "400 EPOXY-E2387" \
		"malformed name refused: ${nm:0:50}"
done
[ ! -e "$ARC/exp1/x/2020" ] && [ ! -e "$ARC/exp1/y" ]; ok $? "...no directory made for any"
for p in "/v1/archive/exp1/${sha^^}" "/v1/archive/../$sha" "/v1/archive/node1/exp1/$sha" \
	"/v1/archive/exp1/$sha/x" "/v1/archive/.x/$sha" "/v1/archive/exp1/${sha:1}" "/v1/archive/Exp/$sha"; do
	is "$(pu_up "$N/node1.crt" "$N/node1.key" "$p?name=$N1" "$W/obj" | cut -c1-15)" "400 EPOXY-E2340" "malformed path refused: ${p:0:40}"
done
is "$(pu_up "" "" "/v1/archive/exp1/$sha?name=$N1" "$W/obj")" "401 EPOXY-E2275" "no client certificate: refused"
: >"$W/empty"; e=$(sha256sum "$W/empty" | cut -d' ' -f1)
is "$(pu_up "$N/node1.crt" "$N/node1.key" "/v1/archive/exp1/$e?name=$(arc_name exp1 x node1)" "$W/empty")" "400 EPOXY-E2343" "an empty body: refused"
c=$(curl -s --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" \
	"https://epoxy.test:$HTTPS_PORT/v1/archive/exp1/$sha" -o "$W/ans" -w '%{http_code}')
is "$c $(head -c 11 "$W/ans")" "400 EPOXY-E2340" "GET of PUT's path (no host, no name): refused, nothing served"

# ---- the store's record and the embargo: public listing and reads
pub() { # PATH [CURL ARGS]: status; the body in W/pub; no credential unless given
	local p=$1; shift
	curl -s --path-as-is --cacert "$CA_CRT" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" "$@" \
		"https://epoxy.test:$HTTPS_PORT$p" -o "$W/pub" -w '%{http_code}'
}
nobj=$(arc_files ndt | wc -l)
is "$(sql "SELECT count(*) FROM archive_bundles WHERE host = 'node1' AND experiment = 'ndt'")" "$nobj" \
	"every stored ndt bundle recorded in the store ($nobj)"
is "$(sql "SELECT count(*) - count(DISTINCT sha256) FROM archive_bundles WHERE host = 'node1'")" 0 \
	"...no two records of one bundle"
is "$(sql "SELECT size FROM archive_bundles WHERE host = 'node2' AND sha256 = '$sha'")" 5000 \
	"...with its node and size"
ndt1=$(arc_files ndt | head -1); ndt1=${ndt1#"$ARC"/}
is "$(pub /v1/archive/)" 200 "public listing: answers without a credential"
is "$(wc -c <"$W/pub")" 0 "...and lists nothing of an experiment nobody registered"
is "$(pub "/v1/archive/$ndt1") $(head -c 11 "$W/pub")" "404 EPOXY-E2344" \
	"an object of an unregistered experiment: not served"
sql "INSERT INTO experiments (name, datatypes, embargo_days, slice, created, updated) VALUES ('ndt', 'tcpinfo', 0, '', 0, 0)" >/dev/null
sql "INSERT INTO experiments (name, datatypes, embargo_days, slice, created, updated) VALUES ('exp1', 'x', 2, '', 0, 0)" >/dev/null
is "$(pub /v1/archive/)" 200 "registered: public listing"
is "$(grep -cE '^ndt/tcpinfo/[0-9/]{11}[0-9T.]{22}Z-tcpinfo-node1-ndt\.tgz [0-9a-f]{64} ' "$W/pub")" "$nobj" \
	"...lists every ndt bundle by its name and SHA-256 (no embargo)"
grep -q '^exp1/' "$W/pub"; is $? 1 "...and none of exp1 (2-day embargo)"
is "$(pub "/v1/archive/$ndt1")" 200 "an ndt bundle: served by its name without a credential"
cmp -s "$W/pub" "$ARC/$ndt1"; ok $? "...its bytes"
is "$(pub "/v1/archive/node1/ndt/$(rec_sha "$ndt1")")" 200 "...and by node/experiment/SHA-256"
is "$(pub "/v1/archive/$N1") $(head -c 11 "$W/pub")" "404 EPOXY-E2344" "an embargoed bundle: 404, as an unknown one"
is "$(pub "/v1/archive/node1/exp1/$sha") $(head -c 11 "$W/pub")" "404 EPOXY-E2344" "...by node/experiment/SHA-256 too"
is "$(pub "/v1/archive/$N1" --cert "$N/node1.crt" --key "$N/node1.key") $(head -c 11 "$W/pub")" \
	"404 EPOXY-E2344" "...even to its own node's certificate"
is "$(pub "/v1/archive/$N1b") $(head -c 11 "$W/pub")" "404 EPOXY-E2344" "a name nothing was stored under: 404"
for p in "/v1/archive/node1/exp1/../../../epoxy.db" "/v1/archive/node1/../node1/exp1/$sha" \
	"/v1/archive/node1/exp1/$sha/" "/v1/archive/NODE1/exp1/$sha" "/v1/archive/node1/exp1" \
	"/v1/archive/${N1%.tgz}.tar" "/v1/archive/${N1/exp1\/x/exp1\/..}"; do
	c=$(pub "$p"); is "$c $(head -c 11 "$W/pub")" "400 EPOXY-E2340" "read of a malformed name refused: ${p:0:44}"
done
epoxyd_stop
epoxyd_start -o clock_offset=$((3 * 86400)) || bail "epoxyd with a clock 3 days ahead"
is "$(pub "/v1/archive/$N1")" 200 "3 days later on the server's clock: the exp1 bundle is public"
cmp -s "$W/pub" "$W/obj"; ok $? "...with its bytes"
pub /v1/archive/ >/dev/null
grep -q "^$N2 $sha 5000 " "$W/pub"; ok $? "...and listed, node2's copy too, by its name"
epoxyd_stop
epoxyd_start || bail "epoxyd again"

# ---- a bundle keeps its name through kill -9 (the spool's journal)
epoxyd_stop
pusher_start --size 1
mkf ndt/tcpinfo/jn1 700
wait_for 15 sh -c "grep -q '^name ' '$S'/*.list 2>/dev/null"; ok $? "epoxyd away: the bundle's name is in its journal"
jname=$(sed -n 's/^name //p' "$S"/*.list | head -1)
pusher_kill KILL
epoxyd_start || bail "epoxyd again"
sleep 1.1
pusher_start --size 1
wait_for 15 test -f "$ARC/$jname"; ok $? "after kill -9 and a restart: uploaded under the name chosen before" "$jname"
is "$(find "$ARC/ndt" -newer "$ARC/$jname" -name '*-node1-ndt.tgz' | wc -l)" 0 "...and under no other"
pusher_kill

# ---- kill -9 at random moments with a writer running, 30 rounds
WL=$W/written
writer() { # writes files one after another; names each finished one in WL
	local i=0 f
	while [ ! -e "$W/stop" ]; do
		i=$((i + 1)); f=ndt/tcpinfo/k/$(( i / 50 ))/w$i
		mkdir -p "$D/$(dirname "$f")"
		{ printf '%s\n' "$f"; head -c $(( (RANDOM % 4000) + 1 )) /dev/urandom | od -An -tx1; } >"$D/$f"
		echo "$f" >>"$WL"
		sleep 0.0$(( RANDOM % 5 ))
	done
}
: >"$WL"; rm -f "$W/stop"
writer & WPID=$!
for r in $(seq 1 30); do
	PU_NOWAIT=1 pusher_start --size $(( (RANDOM % 20000) + 1 )) --scan-age 1 --max-files $(( (RANDOM % 40) + 1 ))
	sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
	[ $((r % 10)) = 0 ] && sleep 1
	pusher_kill KILL
done
touch "$W/stop"; wait "$WPID"
diag "writer finished $(wc -l <"$WL") files during 30 kill -9 rounds"
pusher_start --size 1 --scan-age 1 --once
wait_for 60 sh -c "! kill -0 $PU_PID 2>/dev/null"; ok $? "after the rounds, a run with --once drains everything"
pusher_kill
names | grep '^ndt/tcpinfo/k/' >"$W/got"
sort "$WL" >"$W/want"
is "$(uniq -d "$W/got" | wc -l)" 0 "no file in the archive twice" "$(uniq -d "$W/got" | head)"
is "$(comm -23 "$W/want" "$W/got" | wc -l)" 0 "every finished file is in the archive ($(wc -l <"$W/want"))" "$(comm -23 "$W/want" "$W/got" | head)"
is "$(find "$D/ndt/tcpinfo/k" -type f | wc -l)" 0 "...and gone from the node"
d=$(mktemp -d "$W/x.XXXX")
while read -r b; do unbundle "$b" "$d"; done < <(arc_files ndt)
bad=0
while read -r f; do [ "$(head -n 1 "$d/$f")" = "$f" ] || bad=$((bad + 1)); done <"$W/want"
is "$bad" 0 "each file's bytes are its own (first line names it)"
is "$(find "$S" -type f | wc -l)" 0 "the spool is empty at the end"

# ---- a renewed node certificate is read again (epoxy-nm --service-cert
# renews /run/epoxy/svc before node_cert_ttl ends).  A certificate issued
# with node_cert_ttl=300, then epoxyd's clock moved 280 s ahead: it ends
# 20 s later; uploads stop, and go on once new files replace it.
R=$T_DIR/renew; mkdir -p "$R/old" "$R/new"
epoxyd_stop
epoxyd_start -o node_cert_ttl=300 || bail "epoxyd with node_cert_ttl=300"
t0=$(date +%s)
is "$(node_cert node1 52-54-00-12-34-56 "$R/old")" 200 "a node certificate of 300 s"
cp "$R/old/node1.crt" "$R/old/node1.key" "$R/"
epoxyd_stop
epoxyd_start -o node_cert_ttl=300 -o clock_offset=280 || bail "epoxyd 280 s ahead"
rm -f "$M"
EPOXY_PUSHER_TEST_CLOCK=$CLK "$PU" --data "$D" --spool "$S" \
	--server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 --ca "$CA_CRT" \
	--cert "$R/node1.crt" --key "$R/node1.key" --metrics "$M" --scan-every 1 \
	--quiet 0 --backoff-max 1 --size 1 2>>"$W/pusher.log" &
PU_PID=$!
mkf ndt/tcpinfo/renew1 300
wait_for 15 has_names ndt/tcpinfo/renew1 1; ok $? "with the certificate before its end: uploaded"
while [ "$(date +%s)" -le $((t0 + 22)) ]; do sleep 0.5; done
mkf ndt/tcpinfo/renew2 300
sleep 4
has_names ndt/tcpinfo/renew2 0; ok $? "...once it ended (epoxyd's clock): refused, not uploaded"
grep -q "upload of .*EPOXY-E\|refused" "$W/pusher.log"; ok $? "...the refusal logged"
is "$(node_cert node1 52-54-00-12-34-56 "$R/new")" 200 "a renewed certificate"
# as the node manager writes them: a new file renamed over each
cp "$R/new/node1.key" "$R/key.tmp"; mv "$R/key.tmp" "$R/node1.key"
cp "$R/new/node1.crt" "$R/crt.tmp"; mv "$R/crt.tmp" "$R/node1.crt"
wait_for 20 has_names ndt/tcpinfo/renew2 1; ok $? "...read again by the running pusher: uploads go on"
# (the metrics file is rewritten after the upload's answer, not with it)
reloaded() { [ "$(pu_metric epoxy_pusher_cert_reloads_total)" -ge 1 ] 2>/dev/null; }
wait_for 10 reloaded; ok $? "...counted ($(pu_metric epoxy_pusher_cert_reloads_total))"
pusher_kill
grep -q "BEGIN\|PRIVATE" "$W/pusher.log"; is $? 1 "...and no key or certificate in its log"
epoxyd_stop
epoxyd_start || bail "epoxyd again"

# ---- --config: only the listed experiments and datatypes, their limits
CF=$W/pusher.conf
while IFS='|' read -r want conf why; do
	printf '%b' "$conf" >"$CF"
	[ -n "$conf" ] || rm -f "$CF"
	"$PU" --data "$D" --spool "$S" --config "$CF" --ca "$CA_CRT" --cert "$N/node1.crt" \
		--key "$N/node1.key" --once 2>"$W/conf.err" >/dev/null
	is "$? $(grep -o 'EPOXY-E[0-9]*' "$W/conf.err" | head -1)" "2 $want" "--config refused: $why"
done <<'CONFS'
EPOXY-E3310|# nothing\n|a file without server and experiment
EPOXY-E3307|server https://epoxy.test\nexperiment ndt\nbogus 1\n|an unknown key
EPOXY-E3308|server https://epoxy.test\nexperiment ndt\nsize 0\n|size 0
EPOXY-E3309|server https://epoxy.test\nexperiment ndt\nexperiment ndt\n|an experiment twice
EPOXY-E3306|server https://epoxy.test\nexperiment\tndt\n|a tab
EPOXY-E3312||a missing file
CONFS
printf 'server https://epoxy.test\nexperiment ndt\nsize 0\n' >"$CF"
"$PU" --data "$D" --spool "$S" --config "$CF" --ca "$CA_CRT" --cert a --key b 2>"$W/conf.err"
grep -q "pusher.conf, line 3" "$W/conf.err"; ok $? "...naming the file and the line" "$(cat "$W/conf.err")"
printf 'server https://epoxy.test:%s\nexperiment ndt\ndatatypes tcpinfo\nsize 1\n' "$HTTPS_PORT" >"$CF"
mkf ndt/tcpinfo/cf1 100; mkf ndt/other/cf2 100; mkf exp9/tcpinfo/cf3 100
EPOXY_PUSHER_TEST_CLOCK=$CLK "$PU" --data "$D" --spool "$S" --config "$CF" --addr 127.0.0.1 \
	--ca "$CA_CRT" --cert "$N/node1.crt" --key "$N/node1.key" --quiet 0 --scan-age 1 --once \
	2>>"$W/pusher.log" & PU_PID=$!
wait_for 30 sh -c "! kill -0 $PU_PID 2>/dev/null"; ok $? "--config (its server), --once: done"
pusher_kill
has_names ndt/tcpinfo/cf1 1; ok $? "...the listed experiment and datatype uploaded" "$(names | grep cf)"
[ -e "$D/ndt/other/cf2" ] && [ -e "$D/exp9/tcpinfo/cf3" ]; ok $? "...an unlisted datatype and experiment left alone"
has_names 'cf[23]' 0; ok $? "...and not in the archive"
! grep -q "PRIVATE KEY" "$W/pusher.log" "$T_DIR/epoxyd.log"; ok $? "no key material in the logs"

done_testing
