#!/bin/bash
# t_page_rollout: the status page's rollout view (/ui/rollout/CHANNEL,
# issue 16 point 1) and its refresh without a full reload, in Debian's
# headless Chromium driven through chromedriver's WebDriver API (curl + jq),
# as t_page does.  A real epoxyd with a simulated fleet of 12 hosts at 4
# sites (the storm simulator's join mode boots them, as t_rollout does)
# rolls release 8 out with 3 canaries, steps of 50% and one failure
# allowed; one canary fails the way the agent reports it (stage 2,
# EPOXY-E1322) with a console tail holding "<script>", quotes and entities.
#  - the rollout page: state, plan, counts, a table per wave with each
#    host's state, the failed canary with its code, its registry meaning and
#    its console tail as literal text; no script but /ui/refresh.js, no
#    alert, no console error; the same hosts, states and codes as GET
#    /admin/v1/rollouts/stable?hosts=1 (epoxyctl ... --json); a screenshot
#    in $O/test-logs/t_page_rollout/;
#  - refresh.js: after the hosts of wave 2 join and after a pause, the page
#    shows it without navigating (a marker variable set in the page
#    survives, data-refreshed counts the swaps); with the script blocked the
#    page is complete and its "refresh" link reloads it;
#  - with curl: no credential, a node certificate, a node token and the
#    plain-HTTP listener get no rollout page; an unknown channel is 404;
#    refresh.js is served as JavaScript and holds no eval.
# Installs chromium, chromium-driver and jq with apt-get when missing.
. "$(dirname "$0")/../lib/epoxyd.sh"
. "$(dirname "$0")/../lib/browser.sh"
STORM=$BIN/epoxyd-storm
SEED=$BIN/epoxyd-seed
need_built "$O/keys/node-ca.crt" "$BIN/epoxyctl" "$STORM"
apt_need chromium=chromium chromedriver=chromium-driver jq=jq
need chromium chromedriver jq base64
ART=$O/test-logs/t_page_rollout
mkdir -p "$ART"

epoxyd_setup || bail "setup"
cp -p "$O/keys/node-ca.crt" "$O/keys/node-ca.key" "$KEYS/" || bail "node CA"
printf 'node_ca_cert %s\nnode_ca_key %s\nnode_cert_ttl 900\nhousekeeping_interval 1\n' \
	"$KEYS/node-ca.crt" "$KEYS/node-ca.key" >>"$T_DIR/epoxyd.conf"
"$SEED" release "$STORE" "$DATA" "$KEYS" qemu-x86_64 8 "$EXPIRES" \
	"$T_DIR/art/kernel" "$T_DIR/art/initramfs" "$T_DIR/art/cmdline" "$T_DIR/art/join" \
	>/dev/null || bail "release 8"
"$SEED" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
"$SEED" fleet "$STORE" 12 "$T_DIR/fleet" >/dev/null || bail "fleet of 12"
{ for i in 0 1 2 3; do echo "INSERT INTO sites (name, description, created) VALUES ('s$i', 'rack', 0);"; done
  echo "UPDATE hosts SET site = 's' || CAST(CAST(substr(name, 2) AS INTEGER) % 4 AS TEXT) WHERE name LIKE 'n%' AND name <> 'node1';"
} | sqlite3 "$DB" || bail "sites"
[ "$(id -u)" = 0 ] && chown -R nobody "$DATA"
openssl ecparam -name prime256v1 -genkey -noout -out "$T_DIR/fleet.key" 2>/dev/null || bail "fleet key"
EVIL='<script>alert(1)</script> "q" '"'s'"' &amp; &lt;b&gt;'
printf 'stage2: join script failed\n%s\n' "$EVIL" >"$T_DIR/evil"
ADMIN=$(cat "$T_DIR/admin.cred")
AUTH="Authorization: Epoxy-Admin $ADMIN"

export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
export HOME=$T_DIR/home
unset EPOXY_CONFIG
pr_ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/out" 2>"$T_DIR/err"; }
pr_status() { pr_ctl release rollout status --channel stable --json &&
	jq -rs "(.[0] | if type == \"array\" then .[0] else . end).$1" "$T_DIR/out" 2>/dev/null; }
# pr_boot NAMES-FILE: the storm simulator boots those hosts once (join on 8)
pr_boot() {
	grep -wFf "$1" "$T_DIR/fleet" >"$T_DIR/round"
	"$STORM" "$T_DIR/round" "$HTTPS_PORT" "$CA_CRT" 4 "$(wc -l <"$T_DIR/round")" 0.05 \
		join "$T_DIR/fleet.key" 8 9 >"$T_DIR/round.out" 2>>"$T_DIR/storm.err"
}
# pr_wait FIELD VALUE: up to 15 s for the rollout's FIELD to be VALUE
pr_wait() {
	local i
	for i in $(seq 1 30); do [ "$(pr_status "$1")" = "$2" ] && return 0; sleep 0.5; done
	return 1
}
wave_hosts() { sql "SELECT host FROM rollout_hosts WHERE rollout = (SELECT MAX(id) FROM rollouts) AND wave = $1 ORDER BY ord"; }

epoxyd_start || bail "epoxyd did not start"
pr_ctl release promote 7 --channel stable; ok $? "stable at release 7"
pr_ctl release pin node1 7; ok $? "node1 (not in the simulated fleet) pinned to 7"
pr_ctl release rollout 8 --channel stable --canary 3 --step 50% --max-failures 1
ok $? "rollout of 8 started: 3 canaries, steps of 50%, one failure allowed"
wave_hosts 0 >"$T_DIR/canaries"
BAD=$(head -1 "$T_DIR/canaries")
tail -n +2 "$T_DIR/canaries" >"$T_DIR/good"
# the bad canary fails as the agent reports it, with a hostile console tail
read -r _ BADMAC BADCRED < <(grep -w "^$BAD" "$T_DIR/fleet")
is "$(open_session "$BAD" "$BADMAC" "$BADCRED")" 200 "canary $BAD opens a session"
is "$(hs_code /v1/report -H "$(bearer "$(tok report)")" --data 'stage=2&status=fail&code=EPOXY-E1322' \
	--data-urlencode "tail@$T_DIR/evil")" 204 "canary $BAD reports stage 2 failed, EPOXY-E1322"
pr_boot "$T_DIR/good"
is "$(grep -c ' 8 joined$' "$T_DIR/round.out")" 2 "the other 2 canaries joined on 8"
pr_wait wave 1; ok $? "one failure allowed: wave 2 moved"
wave_hosts 1 >"$T_DIR/wave2"
is "$(pr_status state) $(pr_status failed) $(pr_status moved)" "running 1 6" \
	"the rollout runs with 1 failed host, 6 moved"

# ------------------------------------------------------------ curl checks
# pageless CODE NAME CURL-ARGS: status CODE and no row of the rollout
pageless() {
	local want=$1 name=$2 got; shift 2
	got=$("$@" -o "$T_DIR/ans" -w '%{http_code}')
	if [ "$got" = "$want" ] && ! grep -q 'rohost\|failure' "$T_DIR/ans" &&
	   ! grep -q "$BAD" "$T_DIR/ans"; then pass "$name"
	else fail "$name" "status $got (want $want); $(head -c 300 "$T_DIR/ans")"; fi
}
pageless 401 "rollout page, no credential: 401, the login form only" hs /ui/rollout/stable
grep -q 'id="login"' "$T_DIR/ans"; ok $? "rollout page, no credential: the answer is the login form"
pageless 401 "rollout page, a wrong admin credential: 401" \
	hs /ui/rollout/stable -H "Authorization: Epoxy-Admin $(printf '%064d' 7)"
pageless 403 "rollout page, a node token: 403" hs /ui/rollout/stable -H "$(bearer "$(tok report)")"
pageless 403 "rollout page, the plain-HTTP listener: 403" hp /ui/rollout/stable
pageless 403 "rollout page, the plain-HTTP listener with the admin credential: 403" \
	hp /ui/rollout/stable -H "$AUTH"
pageless 401 "rollout page, a forged session cookie: 401" \
	hs /ui/rollout/stable -H "Cookie: __Secure-epoxy-ui=$(printf '%064d' 3)"
mkdir -p "$T_DIR/nc"
is "$(node_cert node1 52-54-00-12-34-56 "$T_DIR/nc")" 200 "node1 got a node certificate"
pageless 403 "rollout page, a node certificate: 403" \
	hs /ui/rollout/stable --cert "$T_DIR/nc/node1.crt" --key "$T_DIR/nc/node1.key"
pageless 403 "releases page, a node certificate: 403" \
	hs /ui/releases --cert "$T_DIR/nc/node1.crt" --key "$T_DIR/nc/node1.key"
pageless 404 "a channel without rollout: 404" hs /ui/rollout/beta -H "$AUTH"
grep -q 'EPOXY-E2382' "$T_DIR/ans"; ok $? "a channel without rollout: its code EPOXY-E2382"
pageless 404 "a malformed channel: 404" hs '/ui/rollout/%3Cb%3E' -H "$AUTH"
pageless 404 "a query on the rollout page: 404" hs '/ui/rollout/stable?x=1' -H "$AUTH"
hs /ui/rollout/stable -H "$AUTH" -D "$T_DIR/ro.hdr" -o "$T_DIR/ro.html"
grep -q "id=\"ro-$BAD\"" "$T_DIR/ro.html"; ok $? "the admin credential opens the rollout page"
pr_hdr() { tr -d '\r' <"$1" | awk -v k="$2" 'tolower($1) == tolower(k) ":" {sub(/^[^:]*: /, ""); print}'; }
is "$(pr_hdr "$T_DIR/ro.hdr" Content-Security-Policy)" \
	"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" \
	"rollout page: the strict Content-Security-Policy"
is "$(grep -oiE '<script[^>]*>' "$T_DIR/ro.html")" '<script src="/ui/refresh.js" defer>' \
	"rollout page: the one script element is /ui/refresh.js"
check "rollout page: the hostile tail is escaped in the HTML" \
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;s&#39; &amp;amp; &amp;lt;b&amp;gt;' "$T_DIR/ro.html"
check "rollout page: a plain refresh link (the page without its script)" \
	grep -qF '<a id="refresh" href="">refresh</a>' "$T_DIR/ro.html"
is "$(grep -c 'class="rohost' "$T_DIR/ro.html")" 12 "rollout page without script: all 12 hosts in the HTML"
hs /ui/refresh.js -D "$T_DIR/js.hdr" -o "$T_DIR/refresh.js"
is "$(pr_hdr "$T_DIR/js.hdr" Content-Type)" "text/javascript; charset=utf-8" "refresh.js is served as JavaScript"
check "refresh.js uses no eval, no Function, no innerHTML, no document.write" \
	not grep -qE 'eval|Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write' \
	"$T_DIR/refresh.js"
is "$(hs_code /ui/refresh.js -X POST)" 405 "refresh.js: POST refused"

# one source of truth: the page's hosts, states and codes are the admin API's
pr_ctl release rollout status --channel stable --hosts --json; ok $? "rollout status --hosts --json"
jq -rs '.[] | if type == "array" then .[] else . end | select(.host) |
	"\(.host):\(.state):\(.code)"' "$T_DIR/out" >"$T_DIR/api.rows"
grep -o '<tr class="rohost state-[a-z]*" id="ro-[^"]*">.*</tr>' "$T_DIR/ro.html" |
	sed -E 's#^<tr class="rohost state-([a-z]*)" id="ro-([^"]*)">.*<td class="error">(<code class="code">([^<]*)</code>)?.*#\2:\1:\4#' \
	>"$T_DIR/page.rows"
is "$(cat "$T_DIR/page.rows")" "$(cat "$T_DIR/api.rows")" \
	"the page's hosts, states and codes are GET /admin/v1/rollouts/stable?hosts=1's"
grep -qx "$BAD:failed:EPOXY-E1322" "$T_DIR/api.rows"
ok $? "the admin API gives the failed canary's code" "$(cat "$T_DIR/api.rows")"

# ------------------------------------------------------------ the browser
browser_start 1200x1100

br_go /ui/login
br_wd POST "/element/$(br_el '#credential')/value" "$(jq -n --arg t "$ADMIN" '{text: $t}')" >/dev/null
br_wd POST "/element/$(br_el '#submit')/click" '{}' >/dev/null
br_js_wait 'return document.title' "epoxy: fleet" 5; ok $? "browser: logged in"
quiet br_console_log   # drained: nothing before the rollout pages counts
br_go /ui/releases
is "$(br_js 'return document.querySelector("#rollout-stable a").getAttribute("href") + " " + document.querySelector("#rollout-stable progress").getAttribute("value") + "/" + document.querySelector("#rollout-stable progress").getAttribute("max")')" \
	"/ui/rollout/stable 3/12" "browser: the releases page links the rollout, progress 3 of 12 hosts"
br_wd POST "/element/$(br_el '#rollout-stable a')/click" '{}' >/dev/null
br_js_wait 'return document.title' "epoxy: rollout" 5; ok $? "browser: the link opens the rollout page"
is "$(br_js 'return document.getElementById("ro-state").textContent + " | " + document.getElementById("ro-release").textContent + " | " + document.getElementById("ro-wave").textContent')" \
	"running | 7 → 8 | 2 of 3 (6 hosts, 6 still moving)" "browser: the rollout's state, release and wave"
is "$(br_js 'return document.getElementById("ro-counts").textContent')" \
	"12: 3 waiting, 6 moved, 2 joined, 1 failed, 0 gone" "browser: the rollout's hosts by state"
is "$(br_js 'return [...document.querySelectorAll("h3.wave")].map(h => h.textContent + ":" + h.nextElementSibling.querySelectorAll("tr.rohost").length).join(" ")')" \
	"Wave 1 (canaries):3 Wave 2:6 Wave 3:3" "browser: a table per wave with its hosts"
is "$(br_js 'return [...document.querySelectorAll("#wave-1 + table tr.rohost")].map(r => r.id + ":" + r.querySelector(".state").textContent).join(" ")')" \
	"$({ echo "ro-$BAD:failed"; sed 's/^/ro-/; s/$/:joined/' "$T_DIR/good"; } | paste -sd' ')" \
	"browser: the canaries' states, the failed one first"
is "$(br_js 'return document.querySelector("#ro-'"$BAD"' .error").textContent')" \
	"EPOXY-E1322 $(grep -o 'E_[A-Z0-9_]*, *1322, *[0-9]*, "[^"]*"' lib/errors.def | sed 's/^[^"]*"//; s/"$//; s/\\"/"/g')" \
	"browser: the failed canary's code with its registry meaning"
is "$(br_js 'return [...document.querySelectorAll("tr.failure")].map(r => r.querySelector(".name").textContent + ":" + r.querySelector("code").textContent).join(" ")')" \
	"$BAD:EPOXY-E1322" "browser: the failures table lists the canary with its code"
is "$(br_js 'return document.querySelector("tr.failure pre.tail").textContent')" "$(cat "$T_DIR/evil")" \
	"browser: the hostile console tail is shown as its literal text"
is "$(br_js 'return [...document.querySelectorAll("script")].map(e => e.getAttribute("src") + ":" + e.textContent.length).join(" ")')" \
	"/ui/refresh.js:0" "browser: the only script is /ui/refresh.js, no injected one"
is "$(br_wd GET /alert/text | jq -r '.error // "an alert"')" "no such alert" "browser: no alert opened"
br_shot rollout

# refresh.js: the page follows the rollout without navigating
br_js 'window.epoxyMarker = "kept"; return 1' >/dev/null
T0=$(br_js 'return String(performance.timeOrigin)')
pr_boot "$T_DIR/wave2"
is "$(grep -c ' 8 joined$' "$T_DIR/round.out")" 6 "the 6 hosts of wave 2 joined on 8"
br_js_wait 'return [...document.querySelectorAll("#wave-2 + table .state")].map(e => e.textContent).join(" ")' \
	"joined joined joined joined joined joined" 20
ok $? "browser: wave 2's hosts turn joined on the page by themselves"
br_js_wait 'return document.getElementById("ro-wave").textContent.slice(0, 6)' "3 of 3" 20
ok $? "browser: the page shows wave 3 moving"
is "$(br_js 'return (window.epoxyMarker || "reloaded") + " " + (String(performance.timeOrigin) === "'"$T0"'")')" \
	"kept true" "browser: no reload (the page's marker and time origin are the same)"
N1=$(br_js 'return Number(document.documentElement.getAttribute("data-refreshed"))')
[ "$N1" -ge 1 ] 2>/dev/null; ok $? "browser: refresh.js swapped the live part ($N1 times)"
pr_ctl release rollout pause --channel stable; ok $? "pause"
br_js_wait 'return document.getElementById("ro-state").textContent' paused 15
ok $? "browser: the pause shows without a reload"
is "$(br_js 'return window.epoxyMarker || "reloaded"')" kept "browser: still the same document"
check "browser: the note says how to resume" test -n "$(br_js 'return document.getElementById("ro-note").textContent' | grep 'rollout resume')"
br_go /ui/
br_js 'window.epoxyMarker = "fleet"; return 1' >/dev/null
br_js_wait 'return document.documentElement.getAttribute("data-refreshed")' 1 15
ok $? "browser: the fleet page refreshes itself too"
is "$(br_js 'return (window.epoxyMarker || "reloaded") + " " + document.querySelectorAll("tr.host").length')" \
	"fleet 13" "browser: the fleet page's rows after a refresh, no reload"
LOG=$(br_console_log | jq -r '.value[]? | select(.level == "SEVERE" or (.message | test("alert|Content Security Policy"))) |
	select(.message | test("/favicon.ico .*404") | not) | .message')
is "$LOG" "" "browser: the console shows no error, no CSP violation, no alert (but /favicon.ico's 404)"

# without the script: the page is whole, the refresh link reloads it
br_cdp Network.enable '{}' >/dev/null
br_cdp Network.setBlockedURLs '{"urls": ["*/ui/refresh.js"]}' >/dev/null
br_go /ui/rollout/stable
br_js 'window.epoxyMarker = "noscript"; return 1' >/dev/null
is "$(br_js 'return document.getElementById("ro-state").textContent + " " + document.querySelectorAll("tr.rohost").length')" \
	"paused 12" "no script: the rollout page is complete"
pr_ctl release rollout resume --channel stable; ok $? "resume"
sleep 6
is "$(br_js 'return document.getElementById("ro-state").textContent + " " + document.documentElement.hasAttribute("data-refreshed")')" \
	"paused false" "no script: nothing changes the page by itself"
br_wd POST "/element/$(br_el '#refresh')/click" '{}' >/dev/null
br_js_wait 'return (window.epoxyMarker || "reloaded") + " " + document.getElementById("ro-state").textContent' \
	"reloaded running" 5
ok $? "no script: the refresh link reloads the page, which shows the rollout running"
br_cdp Network.setBlockedURLs '{"urls": []}' >/dev/null
quiet br_console_log
SZ=$(stat -c %s "$ART/rollout.png" 2>/dev/null || echo 0)
[ "$SZ" -gt 1000 ] && [ "$(head -c 8 "$ART/rollout.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
ok $? "the rollout page's screenshot saved as PNG in $ART ($SZ bytes)"
done_testing
