# shellcheck shell=bash
# tests/node/pusher_s3.sh: the real epoxy-pusher through epoxyd's S3
# backend into Swift's S3 API; sourced at the end of
# tests/server/t_archive_s3.sh, whose Swift, epoxyd set-up, node1
# certificate (N/node1.*), S3OPTS and BUCKET it reuses (one Swift start
# for both: it is the slow part).  Swift is reached by nodes through a TLS
# front for the DNS name archive.test (net/'s client speaks only TLS;
# epoxyd signs upload URLs for s3_node_endpoint).
# Asserts: the pusher asks epoxyd, PUTs each bundle to its presigned URL
# and says done: every file lands in the archive exactly once, the local
# files leave only after that; an upload URL naming a host other than
# --archive, or an S3 answer without --archive, is refused before a byte
# is sent and the files stay; Swift's S3 API stopped for a while then
# back: retries, backlog reported, nothing deleted meanwhile, nothing
# lost, the backlog drains, and a URL that expired while its bundle waited
# is replaced (asked for again) and never sent (no PUT answered 403 in
# Swift's log); a URL still valid that Swift refuses (epoxyd signing with
# another secret) is dropped after its one 403, the files stay, and with
# the right secret again they arrive once; a bundle with a changed byte is refused by epoxyd after
# its read-back (E2341), rebuilt and sent good; kill -9 of the pusher at
# random points over 12 rounds with a writer running: every finished file
# in the archive exactly once, none left in incoming/, the spool empty; no
# URL query or signature, no secret and no key in the pusher's log.
PU=$BIN/epoxy-pusher
need tar gzip
need_built "$PU"
swift_tls_start archive.test || bail "the TLS front"
ARCHIVE=archive.test:$SWIFT_TLS_PORT
epoxyd_stop
epoxyd_start "${S3OPTS[@]}" -o "s3_node_endpoint=https://$ARCHIVE" -o "s3_public_endpoint=https://$ARCHIVE" ||
	bail "epoxyd with s3_node_endpoint" "$(tail -5 "$T_DIR/epoxyd.log")"
ctl experiment create tcpi --embargo 0; is $? 0 "pusher: experiment tcpi, no embargo"
# the public reaches the store by its TLS name too (s3_public_endpoint)
pub=$(hs "/v1/archive/$NA" | sed -n 's/^url //p')
case $pub in "https://$ARCHIVE/$BUCKET/public/$NA?"*) pass "s3_public_endpoint: the public GET URL names https://$ARCHIVE";;
  *) fail "s3_public_endpoint: the public GET URL names https://$ARCHIVE" "${pub%%\?*}";; esac
curl -s --cacert "$SWIFT_TLS_CA" --resolve "$ARCHIVE:127.0.0.1" "$pub" -o "$W/pub.tls"
cmp -s "$W/a" "$W/pub.tls"; ok $? "...and serves the bundle's bytes through that name"

P=$T_DIR/pu; PD=$P/data; PS=$P/spool; PM=$P/metrics; PL=$P/pusher.log
mkdir -p "$PD" "$PS"; : >"$PL"
PU_PID=''
# ps3_wait SECONDS CMD...: CMD until it succeeds or SECONDS passed
ps3_wait() { local end=$((SECONDS + $1)); shift; until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.2; done; }
# ps3_start [ARGS...]: node1's pusher with --archive (PU_ARC: another
# one; PU_NOARC=1: none); waits for its first metrics unless PU_NOWAIT=1
ps3_start() {
	local a=(--archive "${PU_ARC:-https://$ARCHIVE}" --archive-ca "$SWIFT_TLS_CA"
		 --archive-addr 127.0.0.1)
	[ -n "${PU_NOARC:-}" ] && a=()
	rm -f "$PM"
	"$PU" --data "$PD" --spool "$PS" --server "https://epoxy.test:$HTTPS_PORT" --addr 127.0.0.1 \
		--ca "$CA_CRT" --cert "$N/node1.crt" --key "$N/node1.key" --metrics "$PM" \
		--scan-every 1 --scan-age 1 --quiet 0 --backoff-max 1 --grace 1 "${a[@]}" "$@" 2>>"$PL" &
	PU_PID=$!
	[ -n "${PU_NOWAIT:-}" ] || ps3_wait 10 test -s "$PM"
}
ps3_kill() { [ -n "$PU_PID" ] || return 0; kill -"${1:-TERM}" "$PU_PID" 2>/dev/null; wait "$PU_PID" 2>/dev/null; PU_PID=; }
at_exit ps3_kill KILL
ps3_metric() { awk -v k="$1" '$1 == k {print $2}' "$PM" 2>/dev/null; }
ps3_ge() { [ "$(ps3_metric "$1")" -ge "$2" ] 2>/dev/null; }
# ps3_mkf NAME [BYTES]: a data file whose first line is its own name
ps3_mkf() { mkdir -p "$(dirname "$PD/$1")"; { printf '%s\n' "$1"; head -c "${2:-1000}" /dev/urandom | od -An -tx1; } >"$PD/$1"; }
# ps3_fetch: public/tcpi/ into P/got.d; ps3_bundles: node1's bundles
# there (M-Lab's layout); ps3_names: the file names in those bundles
# (sorted, one a line); ps3_incoming: objects in incoming/
ps3_fetch() { rm -rf "$P/got.d"; mkdir -p "$P/got.d"; s3_fetch public/tcpi/ "$P/got.d"; }
ps3_bundles() { find "$P/got.d/public/tcpi" -type f -name '*-node1-tcpi.tgz' 2>/dev/null | sort; }
ps3_names() {
	local b
	ps3_bundles | while read -r b; do tar -tzf "$b"; done 2>/dev/null | sort
}
ps3_has() { ps3_fetch; [ "$(ps3_names | grep -c "$1")" = "$2" ]; }
ps3_incoming() { rm -rf "$P/in.d"; mkdir -p "$P/in.d"; s3_fetch incoming/ "$P/in.d"; find "$P/in.d" -type f | wc -l; }
ps3_recorded() { sql "SELECT count(*) FROM archive_bundles WHERE host = 'node1' AND experiment = 'tcpi'"; }
ps3_badsha() { # objects whose bytes are not the SHA-256 recorded for their name
	local b n=0
	while read -r b; do
		[ "$(sql "SELECT sha256 FROM archive_bundles WHERE name = '${b#"$P"/got.d/public/}'")" = \
		  "$(sha256sum "$b" | cut -d' ' -f1)" ] || n=$((n + 1))
	done < <(ps3_bundles)
	echo "$n"
}

# ---- usage
for a in "http://$ARCHIVE" "https://$ARCHIVE/path" "https://x@$ARCHIVE"; do
	"$PU" --data "$PD" --spool "$PS" --server "https://epoxy.test:$HTTPS_PORT" --ca a --cert b \
		--key c --archive "$a" >/dev/null 2>&1; is $? 2 "pusher: --archive $a: exit 2"
done
"$PU" --data "$PD" --spool "$PS" --server "https://epoxy.test:$HTTPS_PORT" --ca a --cert b --key c \
	--archive-addr 127.0.0.1 >/dev/null 2>&1; is $? 2 "pusher: --archive-addr without --archive: exit 2"

# ---- no --archive, or another host: nothing sent, the files stay
PU_NOARC=1 ps3_start --size 1
ps3_mkf tcpi/tcpinfo/n1 500
ps3_wait 15 grep -q EPOXY-E3322 "$PL"; ok $? "an S3 answer to a pusher without --archive: refused (E3322)" "$(tail -3 "$PL")"
ps3_kill
PU_ARC="https://other.test:$SWIFT_TLS_PORT" ps3_start --size 1
ps3_wait 15 grep -q EPOXY-E3321 "$PL"; ok $? "a URL naming a host other than --archive: refused (E3321)" "$(tail -3 "$PL")"
ps3_kill
[ -e "$PD/tcpi/tcpinfo/n1" ]; ok $? "...the file stays on the node"
is "$(ps3_recorded)" 0 "...nothing recorded by epoxyd"
is "$(ps3_incoming)" 0 "...and nothing reached the bucket"

# ---- the upload path: exactly once, the files deleted after
ps3_start --size 1
for i in 1 2 3 4; do ps3_mkf "tcpi/tcpinfo/a$i" 2000; done
ps3_wait 30 ps3_has 'tcpi/tcpinfo/[an][0-9]' 5; ok $? "the pusher's files land in public/ through presigned URLs" "$(ps3_names)"
ps3_wait 5 sh -c "[ -z \"\$(find '$PD/tcpi/tcpinfo' -type f)\" ]"; ok $? "...then leave the node"
is "$(ps3_names | uniq -d | wc -l)" 0 "...each exactly once"
is "$(ps3_badsha)" 0 "...every object holds the bytes its name says"
is "$(ps3_recorded)" "$(ps3_bundles | wc -l)" "...and each is recorded by epoxyd, by its name"
ps3_ge epoxy_pusher_upload_urls_total 1; ok $? "upload URLs counted ($(ps3_metric epoxy_pusher_upload_urls_total))"
grep -q "archive: upload URL for node1/tcpi/" "$T_DIR/epoxyd.log"; ok $? "...epoxyd signed them for node1"
ps3_kill

# ---- Swift's S3 API away for longer than a URL lives, then back
swift_proxy_stop
ps3_start --size 1
for i in $(seq 1 6); do ps3_mkf "tcpi/tcpinfo/out$i" 800; done
ps3_wait 15 ps3_ge epoxy_pusher_upload_retries_total 2; ok $? "S3 away: uploads retried ($(ps3_metric epoxy_pusher_upload_retries_total))"
ps3_wait 5 ps3_ge epoxy_pusher_backlog_files 6; ok $? "...backlog reported ($(ps3_metric epoxy_pusher_backlog_files) files)"
ps3_wait 20 grep -q "EPOXY-E3323 the upload URL of [0-9a-f]* expired while it waited" "$PL"
ok $? "...a URL expired in backoff: asked for again" "$(grep E3323 "$PL" | tail -2)"
is "$(find "$PD/tcpi/tcpinfo" -name 'out*' | wc -l)" 6 "...no file deleted meanwhile"
swift_proxy_start || bail "Swift's proxy did not start again"
ps3_wait 30 ps3_has 'tcpi/tcpinfo/out' 6; ok $? "S3 back: all 6 files arrive" "$(ps3_names | grep out)"
ps3_wait 5 sh -c "[ \"\$(awk '\$1 == \"epoxy_pusher_backlog_files\" {print \$2}' '$PM')\" = 0 ]"
ok $? "...the backlog drains to 0"
ps3_ge epoxy_pusher_upload_urls_expired_total 1; ok $? "...expired URLs counted ($(ps3_metric epoxy_pusher_upload_urls_expired_total))"
# proxy-logging's lines: "... PUT /<bucket>/incoming/...%3F<query> HTTP/1.0 <status> ..."
ps3_puts() { grep -cE " PUT /[^ ]*incoming/tcpi/[^ ]* HTTP/1\.[01] $1 " "$SWIFT_DIR/proxy.log"; }
[ "$(ps3_puts 200)" -ge 6 ]; ok $? "...Swift's log shows the pusher's PUTs answered 200 ($(ps3_puts 200))"
is "$(ps3_puts 403)" 0 "...and no expired URL was ever sent: none answered 403"
is "$(ps3_names | uniq -d | wc -l)" 0 "...each file once"
ps3_kill

# ---- a URL still valid by its time that the store refuses (403): epoxyd
# signs with a secret Swift does not hold (a key rotation half done). The
# pusher asks for a new URL, never sends a refused one again, backs off,
# deletes nothing; with the right secret again everything arrives once.
epoxyd_stop
( umask 077 && head -c 30 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEYS/s3.wrong" ) || bail "wrong key file"
epoxyd_start "${S3OPTS[@]//s3.secret/s3.wrong}" -o "s3_node_endpoint=https://$ARCHIVE" -o s3_url_ttl=600 ||
	bail "epoxyd with another S3 secret" "$(tail -5 "$T_DIR/epoxyd.log")"
r403=$(ps3_puts 403)
ps3_start --size 1
for i in 1 2 3; do ps3_mkf "tcpi/tcpinfo/rot$i" 700; done
ps3_wait 20 grep -q "EPOXY-E3323 the object store refused the upload URL of [0-9a-f]* (https://$ARCHIVE/" "$PL"
ok $? "a valid URL refused by the store (403): the pusher asks for a new one (E3323)" "$(tail -3 "$PL")"
ps3_wait 15 ps3_ge epoxy_pusher_upload_retries_total 1; ok $? "...then backs off and retries ($(ps3_metric epoxy_pusher_upload_retries_total))"
is "$(find "$PD/tcpi/tcpinfo" -name 'rot*' | wc -l)" 3 "...no file deleted meanwhile"
ps3_kill
# Swift's proxy writes its log line after its answer: wait for the last
ps3_dropped() { [ "$(( $(ps3_puts 403) - r403 ))" = "$(grep -c 'the object store refused the upload URL' "$PL")" ]; }
ps3_wait 10 ps3_dropped
is "$(( $(ps3_puts 403) - r403 ))" "$(grep -c 'the object store refused the upload URL' "$PL")" \
	"...each 403 in Swift's log is one URL the pusher dropped: none sent again"
epoxyd_stop
epoxyd_start "${S3OPTS[@]}" -o "s3_node_endpoint=https://$ARCHIVE" || bail "epoxyd with the right secret"
ps3_start --size 1
ps3_wait 30 ps3_has 'tcpi/tcpinfo/rot' 3; ok $? "the right secret again: the 3 files arrive, once each" "$(ps3_names | grep rot)"
ps3_kill

# ---- a changed byte: refused after epoxyd's read-back, rebuilt, sent good
epoxyd_stop
ps3_start --size 1
ps3_mkf tcpi/tcpinfo/flip1 3000; ps3_mkf tcpi/tcpinfo/flip2 3000
ps3_wait 15 sh -c "ls '$PS'/*.tgz >/dev/null 2>&1"; ok $? "epoxyd away: a bundle waits in the spool"
ps3_kill KILL
bad=$(find "$PS" -name '*.tgz' | head -1)
flip_byte "$bad" 200
[ "$(sha256sum "$bad" | cut -d' ' -f1)" != "$(basename "$bad" .tgz)" ]; ok $? "one byte of it changed on disk"
epoxyd_start "${S3OPTS[@]}" -o "s3_node_endpoint=https://$ARCHIVE" || bail "epoxyd did not start again"
ps3_start --size 1
ps3_wait 30 ps3_has 'tcpi/tcpinfo/flip' 2; ok $? "the files arrive in a rebuilt bundle" "$(ps3_names | grep flip)"
grep -q "EPOXY-E2341" "$PL"; ok $? "...after epoxyd refused the changed one (E2341)"
ps3_ge epoxy_pusher_bundles_rebuilt_total 1; ok $? "...which the pusher rebuilt"
is "$(ps3_badsha)" 0 "...nothing with the changed byte kept"
ps3_kill

# ---- kill -9 at random moments with a writer running, 12 rounds
PW=$P/written
ps3_writer() {
	local i=0 f
	while [ ! -e "$P/stop" ]; do
		i=$((i + 1)); f=tcpi/tcpinfo/k/$(( i / 40 ))/w$i
		ps3_mkf "$f" $(( (RANDOM % 1500) + 1 ))
		echo "$f" >>"$PW"
		sleep 0.0$(( RANDOM % 5 ))
	done
}
: >"$PW"; rm -f "$P/stop"
ps3_writer & WPID=$!
for _ in $(seq 1 12); do
	PU_NOWAIT=1 ps3_start --size $(( (RANDOM % 20000) + 1 )) --max-files $(( (RANDOM % 30) + 1 ))
	sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
	ps3_kill KILL
done
touch "$P/stop"; wait "$WPID"
diag "the writer finished $(wc -l <"$PW") files during 12 kill -9 rounds"
ps3_start --size 1 --once
ps3_wait 60 sh -c "! kill -0 $PU_PID 2>/dev/null"; ok $? "after the rounds, a run with --once drains everything"
ps3_kill
ps3_fetch; ps3_names | grep '^tcpi/tcpinfo/k/' >"$P/got"
sort "$PW" >"$P/want"
is "$(uniq -d "$P/got" | wc -l)" 0 "no file in the archive twice" "$(uniq -d "$P/got" | head)"
is "$(comm -23 "$P/want" "$P/got" | wc -l)" 0 "every finished file is in the archive ($(wc -l <"$P/want"))" "$(comm -23 "$P/want" "$P/got" | head)"
is "$(find "$PD/tcpi/tcpinfo/k" -type f | wc -l)" 0 "...and gone from the node"
rm -rf "$P/x.d"; mkdir -p "$P/x.d"
while read -r b; do tar -xzf "$b" -C "$P/x.d" 2>/dev/null; done < <(ps3_bundles)
bad=0
while read -r f; do [ "$(head -n 1 "$P/x.d/$f")" = "$f" ] || bad=$((bad + 1)); done <"$P/want"
is "$bad" 0 "each file's bytes are its own (first line names it)"
is "$(ps3_incoming)" 0 "no copy left behind in incoming/"
is "$(find "$PS" -type f | wc -l)" 0 "the spool is empty at the end"

# ---- what the pusher's log never holds
grep -q "https://$ARCHIVE/$BUCKET/incoming/tcpi/node1/" "$PL"; ok $? "the pusher's log names upload URLs by host and path"
grep -qi 'X-Amz-\|Signature' "$PL"; is $? 1 "...never their query or signature" "$(grep -i 'X-Amz\|Signature' "$PL" | head -2)"
grep -qF "$(cat "$SWIFT_SK_FILE")" "$PL"; is $? 1 "...nor the S3 secret"
grep -q "PRIVATE KEY" "$PL"; is $? 1 "...nor key material"
