#!/bin/bash
# t_refuse: bad input on every endpoint (malformed, oversized, truncated,
# wrong method, wrong content type, unknown host, hostile names) gets a 4xx
# "EPOXY-Exxxx reason" answer and leaves the store unchanged (a dump of
# every table but the audit log, before and after each request, compared).
. "$(dirname "$0")/../lib/epoxyd.sh"

epoxyd_setup || bail "setup"
epoxyd_start || bail "epoxyd did not start"
"$BIN/epoxyd-seed" host "$STORE" node2 52-54-00-00-00-02 10.9.9.9 || bail "seed node2"
CRED=$(cat "$T_DIR/cred.node1")
NONCE=$(printf 'ab%.0s' {1..32})
FORM='Content-Type: application/x-www-form-urlencoded'
OK="host=node1&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=1"
H64=$(printf '0%.0s' {1..64})
BIG=$(head -c 70000 /dev/zero | tr '\0' a)
T4K=$(head -c 5000 /dev/zero | tr '\0' a)

# refuse WANTSTATUS WANTCODE NAME -- curl args (path first; "plain:" prefix
# sends it to the plain-HTTP listener)
refuse() {
	local want=$1 code=$2 name=$3 path before after got body; shift 4
	path=$1; shift
	before=$(store_dump)
	if [[ $path == plain:* ]]; then
		body=$(hp "${path#plain:}" -w '\n%{http_code}' "$@")
	else
		body=$(hs "$path" -w '\n%{http_code}' "$@")
	fi
	got=${body##*$'\n'}; body=${body%$'\n'*}
	after=$(store_dump)
	is "$got ${body:0:11}" "$want $code" "$name"
	[ "$before" = "$after" ]; ok $? "$name: store unchanged"
}

# --- session: form, fields, identity
refuse 415 EPOXY-E2203 "session: no Content-Type" -- /v1/session -X POST --data-binary "$OK&credential=$CRED" -H 'Content-Type:'
refuse 415 EPOXY-E2203 "session: JSON content type" -- /v1/session -H 'Content-Type: application/json' --data "{\"host\":\"node1\"}"
refuse 400 EPOXY-E2207 "session: empty body" -- /v1/session -X POST -H "$FORM"
refuse 413 EPOXY-E2204 "session: body over the session cap" -- /v1/session -H "$FORM" --data "$OK&credential=$CRED&x=${BIG:0:14000}"
refuse 413 EPOXY-E2204 "session: body over the request cap" -- /v1/session -H "$FORM" -H "Expect: 100-continue" --data "$BIG"
refuse 400 EPOXY-E2207 "session: truncated form" -- /v1/session -H "$FORM" --data "host=node1&mac"
refuse 400 EPOXY-E2207 "session: truncated nonce" -- /v1/session -H "$FORM" --data "host=node1&mac=52-54-00-12-34-56&nonce=${NONCE:0:40}&agent=1&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: unknown field" -- /v1/session -H "$FORM" --data "$OK&credential=$CRED&admin=1"
refuse 400 EPOXY-E2207 "session: duplicated field" -- /v1/session -H "$FORM" --data "$OK&host=node2&credential=$CRED"
refuse 400 EPOXY-E2207 "session: bad %-escape" -- /v1/session -H "$FORM" --data "$OK&credential=%zz"
refuse 400 EPOXY-E2207 "session: NUL in a value" -- /v1/session -H "$FORM" --data "host=node1%00x&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: hostile host name (newline)" -- /v1/session -H "$FORM" --data "host=node1%0aend&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: hostile host name (path)" -- /v1/session -H "$FORM" --data "host=..%2f..%2fetc&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: hostile host name (quote)" -- /v1/session -H "$FORM" --data "host=node1'%3b--&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: host name too long" -- /v1/session -H "$FORM" --data "host=$(printf 'a%.0s' {1..70})&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: stage 2 cannot open a session" -- /v1/session -H "$FORM" --data "host=node1&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=2&credential=$CRED"
refuse 400 EPOXY-E2207 "session: agent not a number" -- /v1/session -H "$FORM" --data "host=node1&mac=52-54-00-12-34-56&nonce=$NONCE&agent=x&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: neither credential nor token" -- /v1/session -H "$FORM" --data "$OK"
refuse 400 EPOXY-E2207 "session: both credential and token" -- /v1/session -H "$FORM" --data "$OK&credential=$CRED&token=$H64"
refuse 400 EPOXY-E2020 "session: credential of 63 hex" -- /v1/session -H "$FORM" --data "$OK&credential=${CRED:0:63}"
refuse 400 EPOXY-E2020 "session: credential with non-hex" -- /v1/session -H "$FORM" --data "$OK&credential=${CRED:0:63}g"
refuse 400 EPOXY-E2000 "session: boot token malformed" -- /v1/session -H "$FORM" --data "$OK&token=xyz"
refuse 403 EPOXY-E2220 "session: unknown host" -- /v1/session -H "$FORM" --data "host=ghost&mac=52-54-00-12-34-56&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 400 EPOXY-E2207 "session: malformed MAC" -- /v1/session -H "$FORM" --data "host=node1&mac=52-54-00-12-34&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 403 EPOXY-E2221 "session: MAC of another host" -- /v1/session -H "$FORM" --data "host=node1&mac=52-54-00-00-00-02&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 403 EPOXY-E2222 "session: registered address differs from the peer" -- /v1/session -H "$FORM" --data "host=node2&mac=52-54-00-00-00-02&nonce=$NONCE&agent=1&stage=1&credential=$CRED"
refuse 403 EPOXY-E2022 "session: wrong credential" -- /v1/session -H "$FORM" --data "$OK&credential=$H64"
refuse 403 EPOXY-E2001 "session: unknown boot token" -- /v1/session -H "$FORM" --data "$OK&token=$H64"
refuse 405 EPOXY-E2201 "session: GET" -- /v1/session
refuse 405 EPOXY-E2201 "session: PUT" -- /v1/session -X PUT -H "$FORM" --data "$OK&credential=$CRED"
refuse 405 EPOXY-E2201 "session: DELETE" -- /v1/session -X DELETE
refuse 405 EPOXY-E2201 "session: unknown method" -- /v1/session -X BREW
refuse 403 EPOXY-E2206 "session on plain HTTP" -- plain:/v1/session -H "$FORM" --data "$OK&credential=$CRED"

# --- token endpoints
for ep in GET:/v1/manifest GET:/v1/artifact/kernel POST:/v1/joincred POST:/v1/report; do
	m=${ep%%:*}; p=${ep#*:}
	if [ "$m" = POST ]; then d=(-H "$FORM" --data 'stage=1&status=ok'); else d=(); fi
	refuse 401 EPOXY-E2210 "$p: no Authorization" -- "$p" -X "$m" "${d[@]}"
	refuse 401 EPOXY-E2210 "$p: Basic instead of Bearer" -- "$p" -X "$m" "${d[@]}" -H "Authorization: Basic $H64"
	refuse 400 EPOXY-E2000 "$p: token of 63 hex" -- "$p" -X "$m" "${d[@]}" -H "Authorization: Bearer ${H64:0:63}"
	refuse 400 EPOXY-E2000 "$p: token with a space" -- "$p" -X "$m" "${d[@]}" -H "Authorization: Bearer ${H64:0:32} ${H64:0:31}"
	refuse 403 EPOXY-E2001 "$p: unknown token" -- "$p" -X "$m" "${d[@]}" -H "Authorization: Bearer $H64"
	refuse 403 EPOXY-E2206 "$p on plain HTTP with a token" -- "plain:$p" -X "$m" "${d[@]}" -H "Authorization: Bearer $H64"
done
refuse 405 EPOXY-E2201 "manifest: POST" -- /v1/manifest -X POST -H "Authorization: Bearer $H64"
refuse 405 EPOXY-E2201 "joincred: GET" -- /v1/joincred -H "Authorization: Bearer $H64"
refuse 404 EPOXY-E2202 "artifact: unknown role" -- /v1/artifact/bootloader -H "Authorization: Bearer $H64"
refuse 404 EPOXY-E2202 "artifact: empty role" -- /v1/artifact/ -H "Authorization: Bearer $H64"
refuse 404 EPOXY-E2202 "artifact: traversal" -- /v1/artifact/..%2f..%2fepoxy.db -H "Authorization: Bearer $H64"
refuse 416 EPOXY-E2208 "artifact: malformed Range" -- /v1/artifact/kernel -H "Authorization: Bearer $H64" -H 'Range: bytes=abc'
refuse 416 EPOXY-E2208 "artifact: multi-range" -- /v1/artifact/kernel -H "Authorization: Bearer $H64" -H 'Range: bytes=0-1,5-6'
refuse 416 EPOXY-E2208 "artifact: suffix range" -- /v1/artifact/kernel -H "Authorization: Bearer $H64" -H 'Range: bytes=-100'
# a report's body is read only with a live token: the body checks below
# use one (peeked, never spent by a refusal); an unknown one is refused first
is "$(open_session)" 200 "a session for the report token"
REP=$(tok report)
refuse 403 EPOXY-E2001 "report: unknown token, before its (bad) body" -- /v1/report -H "Authorization: Bearer $H64" -H "$FORM" --data 'stage=1&status=maybe'
refuse 415 EPOXY-E2203 "report: wrong content type" -- /v1/report -H "Authorization: Bearer $REP" -H 'Content-Type: text/plain' --data 'stage=1&status=ok'
refuse 400 EPOXY-E2207 "report: bad status" -- /v1/report -H "Authorization: Bearer $REP" -H "$FORM" --data 'stage=1&status=maybe'
refuse 400 EPOXY-E2207 "report: bad code" -- /v1/report -H "Authorization: Bearer $REP" -H "$FORM" --data 'stage=1&status=fail&code=E1;rm'
refuse 400 EPOXY-E2207 "report: hostile stage" -- /v1/report -H "Authorization: Bearer $REP" -H "$FORM" --data 'stage=%0a1&status=fail'
refuse 400 EPOXY-E2207 "report: tail over 4 KiB" -- /v1/report -H "Authorization: Bearer $REP" -H "$FORM" --data "stage=1&status=fail&tail=$T4K"
refuse 413 EPOXY-E2204 "report: body over its cap" -- /v1/report -H "Authorization: Bearer $H64" -H "$FORM" --data "stage=1&status=fail&tail=${BIG:0:20000}"
refuse 400 EPOXY-E2207 "report: missing status" -- /v1/report -H "Authorization: Bearer $REP" -H "$FORM" --data 'stage=1'

# --- firmware leg, router, caps
refuse 404 EPOXY-E2202 "unknown path" -- /etc/passwd
refuse 404 EPOXY-E2202 "unknown path on plain HTTP" -- plain:/boot/../data/epoxy.db --path-as-is
refuse 405 EPOXY-E2201 "healthz: DELETE" -- /healthz -X DELETE
refuse 405 EPOXY-E2201 "stage1.efi: POST" -- plain:/boot/stage1.efi -X POST --data x
refuse 400 EPOXY-E2207 "stage1.ipxe: no mac" -- plain:/boot/stage1.ipxe
refuse 400 EPOXY-E2207 "stage1.ipxe: hostile mac" -- plain:'/boot/stage1.ipxe?mac=%0achain%20http://evil/'
refuse 404 EPOXY-E2220 "stage1.ipxe: unknown mac" -- plain:'/boot/stage1.ipxe?mac=02-00-00-00-00-01'
refuse 400 EPOXY-E2200 "stage1.ipxe: duplicated argument" -- plain:'/boot/stage1.ipxe?mac=52-54-00-12-34-56&mac=52-54-00-00-00-02'
refuse 414 EPOXY-E2205 "too many query arguments" -- plain:"/boot/stage1.ipxe?$(for i in $(seq 1 20); do printf 'a%d=1&' "$i"; done)mac=1"
refuse 414 EPOXY-E2205 "path over its cap" -- "plain:/boot/$(printf 'x%.0s' {1..300})"
refuse 431 EPOXY-E2205 "User-Agent over its cap" -- plain:/boot/stage0 -A "iPXE/$(printf 'x%.0s' {1..600})"
refuse 400 EPOXY-E2200 "stage0 for an unknown client" -- plain:/boot/stage0 -A 'Mozilla/5.0'
refuse 403 EPOXY-E2206 "metrics on plain HTTP" -- plain:/metrics
refuse 403 EPOXY-E2206 "admin API on plain HTTP" -- plain:/admin/v1/hosts

# headers beyond libmicrohttpd's per-connection memory: refused by MHD
code=$(hp /boot/stage0 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' b)")
[[ $code == 431 || $code == 413 || $code == 400 ]]; ok $? "a 40 KB header is refused by the HTTP layer ($code)"

# a 1 GiB body is refused from its Content-Length without being read; a
# chunked one (no length) is cut off at the cap
truncate -s 1G "$T_DIR/huge"
t0=$(date +%s)
code=$(hs /v1/session -X POST -T "$T_DIR/huge" -H "$FORM" -o /dev/null -w '%{http_code}')
is "$code" 413 "1 GiB body with Content-Length: 413 before reading it"
code=$(hs /v1/report -X POST -T "$T_DIR/huge" -H "$FORM" -H 'Transfer-Encoding: chunked' -o /dev/null -w '%{http_code}')
[ "$code" != 200 ] && [ "$code" != 204 ]; ok $? "1 GiB chunked body cut off at the cap ($code)"
[ $(( $(date +%s) - t0 )) -le 10 ]; ok $? "...both within seconds"
rm -f "$T_DIR/huge"

# hostile values collected by iPXE cannot steer the stage1 script
s=$(hp '/boot/stage1.ipxe?mac=52-54-00-12-34-56&serial=x%0achain%20http://evil/%20%7C%7C%20shell&uuid=$%7Bnet0/ip%7D&platform=efi%20%26%26%20shell&buildarch=%23!ipxe')
words=$(grep -v '^#' <<<"$s" | grep -v '^:' | awk '{print $1}' | sort -u | tr '\n' ' ')
is "$words" "echo goto imgexec imgfetch imgfree reboot sleep " "hostile serial/uuid/platform add no command to the stage1 script"
is "$(grep '^echo epoxy stage1 host=' <<<"$s" | wc -w)" 9 "hostile values stay one word each, escaped"
sed 's/ || goto [a-z]*[0-9]*$//; s/ || exit 1$//' <<<"$s" | grep -v '^#' | grep -q '[$|&{}#]'
ok $(( $? == 0 )) "no iPXE special character survives in the script body"

is "$(hs_code /healthz)" 200 "server still healthy after all of the above"
grep -q "$CRED" "$T_DIR/epoxyd.log"; ok $(( $? == 0 )) "credential never logged"
done_testing
