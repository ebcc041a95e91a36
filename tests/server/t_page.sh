#!/bin/bash
# t_page: the status page (issue 16 point 1) in a real browser.  A real
# epoxyd with a small fleet (three sites, hosts in each state, a failed
# host with an error code, a host whose console tail and site description
# hold "<script>alert(1)</script>", quotes and entities) is driven by
# Debian's headless Chromium through chromedriver's WebDriver API (curl +
# jq): the login form, the fleet page's rows, states, counts and error
# meanings in the DOM, the host and releases pages, hostile text rendered
# as text with no script element and no alert, the browser's console free
# of errors; screenshots of the fleet and a host page br_go to
# $O/test-logs/t_page/.  With curl: the cookie's flags, the security
# headers, and that no credential, a wrong one, a node token, a node
# certificate and the plain-HTTP listener get no page of the fleet.
# Installs chromium, chromium-driver and jq with apt-get when missing.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/browser.sh"
need_built "$O/keys/node-ca.crt"
apt_need chromium=chromium chromedriver=chromium-driver jq=jq
need chromium chromedriver jq base64
ART=$O/test-logs/t_page
mkdir -p "$ART"

epoxyd_setup || bail "setup"
cp -p "$O/keys/node-ca.crt" "$O/keys/node-ca.key" "$KEYS/" || bail "node CA"
printf 'node_ca_cert %s\nnode_ca_key %s\n' "$KEYS/node-ca.crt" "$KEYS/node-ca.key" \
	>>"$T_DIR/epoxyd.conf"
SEED=$BIN/epoxyd-seed
EVIL='<script>alert(1)</script> "q" '"'s'"' &amp; &lt;b&gt;'
printf '%s\n' "$EVIL" >"$T_DIR/evil"
printf 'Berlin rack 3\n' >"$T_DIR/desc.ber"
printf 'boot ok\n' >"$T_DIR/tail.ok"
printf 'stage2: manifest refused\nEPOXY-E1001\n' >"$T_DIR/tail.fail"
seed_fleet() {
	"$SEED" site "$STORE" ber01 "$T_DIR/desc.ber" &&
	"$SEED" site "$STORE" nyc02 "$T_DIR/evil" &&
	"$SEED" site "$STORE" syd03 "$T_DIR/desc.ber" &&
	"$SEED" host "$STORE" ber-a 52-54-00-00-01-01 &&
	"$SEED" host "$STORE" ber-b 52-54-00-00-01-02 &&
	"$SEED" host "$STORE" nyc-a 52-54-00-00-02-01 &&
	"$SEED" host "$STORE" syd-a 52-54-00-00-03-01 &&
	"$SEED" host "$STORE" node2 52-54-00-00-00-02 &&
	"$SEED" cred "$STORE" node2 "$T_DIR/cred.node2" &&
	"$SEED" place "$STORE" node1 ber01 canary joined &&
	"$SEED" place "$STORE" ber-a ber01 - booting &&
	"$SEED" place "$STORE" ber-b ber01 - enrolled &&
	"$SEED" place "$STORE" nyc-a nyc02 canary failed &&
	"$SEED" place "$STORE" syd-a syd03 - joined &&
	"$SEED" place "$STORE" node2 syd03 - enrolled &&
	"$SEED" boot "$STORE" node1 7 join ok - "$T_DIR/tail.ok" &&
	"$SEED" boot "$STORE" syd-a 7 join ok - "$T_DIR/tail.ok" &&
	"$SEED" boot "$STORE" ber-a 7 download ok - "$T_DIR/tail.ok" &&
	"$SEED" boot "$STORE" nyc-a 7 verify fail EPOXY-E1001 "$T_DIR/evil" &&
	"$SEED" admin "$STORE" ops "$T_DIR/admin.cred"
}
seed_fleet >"$T_DIR/seed.log" 2>&1 || bail "seed the fleet" "$(cat "$T_DIR/seed.log")"
ADMIN=$(cat "$T_DIR/admin.cred")
epoxyd_start || bail "epoxyd did not start" "$(tail -n 20 "$T_DIR/epoxyd.log")"

# ------------------------------------------------------------ curl checks
FORM='Content-Type: application/x-www-form-urlencoded'
AUTH="Authorization: Epoxy-Admin $ADMIN"
# fleetless CODE NAME CURL-ARGS: the answer has status CODE and no host row
fleetless() {
	local want=$1 name=$2 got; shift 2
	got=$("$@" -o "$T_DIR/ans" -w '%{http_code}')
	if [ "$got" = "$want" ] && ! grep -q 'class="host' "$T_DIR/ans" &&
	   ! grep -q 'nyc-a' "$T_DIR/ans"; then pass "$name"
	else fail "$name" "status $got (want $want); $(head -c 300 "$T_DIR/ans")"; fi
}
fleetless 401 "no credential: 401, the login form only, no fleet" hs /ui/
grep -q 'id="login"' "$T_DIR/ans"; ok $? "no credential: the answer is the login form"
fleetless 401 "a wrong admin credential: 401, no fleet" \
	hs /ui/ -H "Authorization: Epoxy-Admin $(printf '%064d' 7)"
fleetless 403 "a node token: 403, no fleet" hs /ui/ -H "$(bearer "$(printf '%064d' 1)")"
fleetless 403 "the plain-HTTP listener: 403, no fleet" hp /ui/
fleetless 403 "the plain-HTTP listener with the admin credential: 403, no fleet" hp /ui/ -H "$AUTH"
fleetless 403 "the plain-HTTP listener, a login form: 403 from the headers" \
	hp /ui/login -H "$FORM" --data "credential=$(printf '%064d' 5)"
is "$(hs_code /ui)" 303 "/ui redirects to /ui/"
fleetless 401 "a forged session cookie: 401, no fleet" \
	hs /ui/ -H "Cookie: __Secure-epoxy-ui=$(printf '%064d' 3)"
fleetless 401 "a wrong credential in the login form: 401, no fleet" \
	hs /ui/login -H "$FORM" --data "credential=$(printf '%064d' 9)"
fleetless 400 "a bad filter: 400, no fleet" hs '/ui/?site=%3Cx%3E' -H "$AUTH"
fleetless 404 "an unknown host page: 404" hs /ui/host/nosuch -H "$AUTH"

# a node certificate (as t_nodeid gets one: session, join credential, CSR)
N=$T_DIR/node; mkdir -p "$N"
open_session node2 52-54-00-00-00-02 "$(cat "$T_DIR/cred.node2")" >/dev/null
hs /v1/joincred -X POST -H "$(bearer "$(tok joincred)")" -D "$N/jc.hdr" -o /dev/null
NC=$(tr -d '\r' <"$N/jc.hdr" | awk 'tolower($1) == "epoxy-node-credential:" {print $2}')
openssl ecparam -name prime256v1 -genkey -noout -out "$N/key" 2>/dev/null
CSR=$(openssl req -new -key "$N/key" -subj /CN=node2 -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n')
hs /v1/node/csr -H "$(bearer "$NC")" -H "$FORM" --data "host=node2&csr=$CSR" -o "$N/cert"
if openssl x509 -in "$N/cert" -noout 2>/dev/null; then
	fleetless 403 "a node certificate: 403, no fleet" hs /ui/ --cert "$N/cert" --key "$N/key"
	fleetless 403 "a node certificate on the host page: 403" \
		hs /ui/host/node2 --cert "$N/cert" --key "$N/key"
else
	fail "a node certificate for node2" "$(head -c 200 "$N/cert")"
fi

# the admin credential as the admin API takes it
is "$(hs_code /ui/ -H "$AUTH")" 200 "the admin credential in Authorization: 200"
hs /ui/ -H "$AUTH" -D "$T_DIR/ui.hdr" -o "$T_DIR/ui.html"
hdr() { tr -d '\r' <"$1" | awk -v k="$2" 'tolower($1) == tolower(k) ":" {sub(/^[^:]*: /, ""); print}'; }
is "$(hdr "$T_DIR/ui.hdr" Content-Security-Policy)" \
	"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" \
	"Content-Security-Policy: scripts and fetches from epoxyd only, no inline, no eval, no framing"
is "$(hdr "$T_DIR/ui.hdr" X-Content-Type-Options)" nosniff "X-Content-Type-Options: nosniff"
is "$(hdr "$T_DIR/ui.hdr" Cache-Control)" no-store "Cache-Control: no-store"
is "$(grep -oiE '<script[^>]*>' "$T_DIR/ui.html")" '<script src="/ui/refresh.js" defer>' \
	"the one script element is epoxyd's own /ui/refresh.js (no inline script)"
check "no inline script and no style attribute in any page" \
	not grep -qiE '<script>|<script [^>]*>[^<]|style=|javascript:|[[:space:]]on[a-z]+=' "$T_DIR/ui.html"
is "$(hs_code /ui/style.css)" 200 "the stylesheet is served by epoxyd"
is "$(hs /ui/style.css -o /dev/null -w '%{content_type}')" "text/css; charset=utf-8" \
	"the stylesheet is text/css"

# the login form: cookie flags
hs /ui/login -H "$FORM" --data "credential=$ADMIN" -D "$T_DIR/login.hdr" -o /dev/null \
	-w '%{http_code}' >"$T_DIR/login.code"
is "$(cat "$T_DIR/login.code")" 303 "login with the admin credential: 303 to the fleet"
is "$(hdr "$T_DIR/login.hdr" Location)" /ui/ "login: Location /ui/"
SC=$(hdr "$T_DIR/login.hdr" Set-Cookie)
for flag in HttpOnly Secure SameSite=Strict Path=/ui Max-Age=3600; do
	case "; $SC;" in *"; $flag;"*) pass "Set-Cookie has $flag" ;;
	*) fail "Set-Cookie has $flag" "$SC" ;; esac
done
COOKIE=${SC%%;*}
[[ $COOKIE =~ ^__Secure-epoxy-ui=[0-9a-f]{64}$ ]]; ok $? "the session cookie is 256 random bits in hex"
is "$(hs_code /ui/ -H "Cookie: $COOKIE")" 200 "the session cookie opens the fleet page"
check "the session cookie is not in epoxyd's log" not grep -q "${COOKIE#*=}" "$T_DIR/epoxyd.log"
check "the session cookie is not in the store" not store_has "${COOKIE#*=}"
check "the admin credential is not in epoxyd's log" not grep -q "$ADMIN" "$T_DIR/epoxyd.log"
is "$(hs_code /admin/v1/hosts -H "Cookie: $COOKIE")" 401 "the page's cookie opens no admin API"
is "$(hs_code /ui/logout -X POST -H "Cookie: $COOKIE")" 303 "logout: 303"
is "$(hs_code /ui/ -H "Cookie: $COOKIE")" 401 "after logout the cookie opens nothing"
is "$(sql "SELECT count(*) FROM audit WHERE action IN ('page.login', 'page.logout')" 2>/dev/null)" 2 \
	"login and logout are audited"

# the same data on the admin API: one query behind both
hs '/admin/v1/fleet?state=failed' -H "$AUTH" -o "$T_DIR/fleet.rec"
grep -q 'name=nyc-a' "$T_DIR/fleet.rec" && grep -q 'last_code=EPOXY-E1001' "$T_DIR/fleet.rec" &&
	[ "$(grep -c '^name=' "$T_DIR/fleet.rec")" = 1 ]
ok $? "GET /admin/v1/fleet?state=failed: the one failed host with its code" "$(cat "$T_DIR/fleet.rec")"
is "$(hs_code '/admin/v1/fleet?colour=red' -H "$AUTH")" 400 "admin fleet: an unknown filter is 400"
hs /admin/v1/channels -H "$AUTH" | grep -q 'channel=stable'
ok $? "GET /admin/v1/channels lists stable"
hs /admin/v1/hosts/node2/audit -H "$AUTH" | grep -q 'action=joincred.issued'
ok $? "GET /admin/v1/hosts/node2/audit: the host's audit entries"

# ------------------------------------------------------------ the browser
browser_start 1200x900

br_go /ui/
is "$(br_js 'return document.title')" "epoxy: log in" "browser: /ui/ without a session shows the login form"
is "$(br_js 'return document.querySelectorAll("tr.host").length')" 0 "browser: no host row before login"
CRED_EL=$(br_el '#credential')
br_wd POST "/element/$CRED_EL/value" "$(jq -n --arg t "$ADMIN" '{text: $t}')" >/dev/null
br_wd POST "/element/$(br_el '#submit')/click" '{}' >/dev/null
# drained: the 401 of the login form itself is an expected console entry
quiet br_console_log
for _ in $(seq 1 50); do [ "$(br_js 'return document.title')" = "epoxy: fleet" ] && break; sleep 0.1; done
is "$(br_js 'return document.title')" "epoxy: fleet" "browser: login lands on the fleet page"
is "$(br_js 'return [...document.querySelectorAll("tr.host")].map(r => r.id + ":" + r.querySelector(".state").textContent).join(" ")')" \
	"host-ber-a:booting host-ber-b:enrolled host-node1:joined host-nyc-a:failed host-node2:booting host-syd-a:joined" \
	"browser: the fleet page lists every host, by site, with its state"
is "$(br_js 'return ["enrolled","booting","joined","failed"].map(s => document.getElementById("count-" + s).textContent).join(" ")')" \
	"1 2 2 1" "browser: counts per state"
is "$(br_js 'return document.querySelector("#host-nyc-a .error").textContent')" \
	"EPOXY-E1001 manifest line malformed" "browser: the failed host's code with its registry meaning"
is "$(br_js 'return document.querySelector("#host-node1 .release").textContent')" 7 \
	"browser: the release a host booted"
is "$(br_js 'return document.querySelectorAll("h2.site .desc")[1].textContent')" "$EVIL" \
	"browser: a hostile site description is shown as its literal text"
is "$(br_js 'return [...document.querySelectorAll("script")].map(e => e.getAttribute("src") + ":" + e.textContent.length).join(" ")')" \
	"/ui/refresh.js:0" "browser: the fleet page's only script is /ui/refresh.js, no inline one"
is "$(br_js 'return getComputedStyle(document.querySelector("header")).display')" flex \
	"browser: the stylesheet applied (CSP allows 'self')"
br_shot fleet
br_go '/ui/?site=ber01&state=booting'
is "$(br_js 'return [...document.querySelectorAll("tr.host")].map(r => r.id).join(" ")')" host-ber-a \
	"browser: filter by site and state"
br_go '/ui/?group=canary&release=7'
is "$(br_js 'return [...document.querySelectorAll("tr.host")].map(r => r.id).join(" ")')" \
	"host-node1 host-nyc-a" "browser: filter by group and release"

br_go /ui/host/nyc-a
is "$(br_js 'return document.getElementById("hostname").textContent')" nyc-a "browser: the host page renders"
is "$(br_js 'return document.getElementById("tail").textContent')" "$EVIL" \
	"browser: a hostile console tail is shown as its literal text"
is "$(br_js 'return [...document.querySelectorAll("script")].map(e => e.getAttribute("src") + ":" + e.textContent.length).join(" ")')" \
	"/ui/refresh.js:0" "browser: the host page's only script is /ui/refresh.js, no inline one"
is "$(br_js 'return [...document.querySelectorAll("svg.timeline rect")].map(r => r.getAttribute("class") + ":" + r.getAttribute("width")).join(" ")')" \
	"ok:18 ok:261 fail:280" "browser: the session's timeline: a bar per stage, widths by time"
is "$(br_wd GET /alert/text | jq -r '.error // "an alert"')" "no such alert" "browser: no alert opened"
br_shot host
br_go /ui/host/node2
is "$(br_js 'return document.getElementById("cert").textContent.split(" ")[0]')" good \
	"browser: the host page shows its node certificate status"
is "$(br_js 'return [...document.querySelectorAll("tr.audit .action")].map(e => e.textContent).join(" ")')" \
	"nodecert.issued joincred.issued credential.issue" "browser: the host page shows its audit entries, newest first"
br_go /ui/releases
is "$(br_js 'return document.querySelectorAll("tr.release").length + " " + document.querySelector("tr.channel").textContent')" \
	"1 stable7" "browser: the releases page lists the release and the channel"
LOG=$(br_console_log |
	jq -r '.value[]? | select(.level == "SEVERE" or (.message | test("alert|Content Security Policy"))) |
	select(.message | test("/favicon.ico .*404") | not) | .message')
is "$LOG" "" "browser: the console shows no error, no CSP violation, no alert (but /favicon.ico's 404)"
SZ=$(stat -c %s "$ART/fleet.png" 2>/dev/null || echo 0)
[ "$SZ" -gt 1000 ] && [ "$(head -c 8 "$ART/fleet.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
ok $? "screenshots saved as PNG in $ART ($SZ bytes)"
done_testing
