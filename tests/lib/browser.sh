# shellcheck shell=bash
# tests/lib/browser.sh: headless Chromium for the page tests (sourced after
# tests/lib/epoxyd.sh): Debian's chromium driven by its chromedriver through
# the WebDriver API, with curl and jq.
#
# Guarantees: the browser trusts exactly the certificate of the test's
# epoxyd (its SPKI, --ignore-certificate-errors-spki-list; no blanket
# insecure mode: acceptInsecureCerts is false) and reaches it only as
# epoxy.test mapped to loopback; chromedriver listens on loopback and
# answers only 127.0.0.1; the session and chromedriver are ended by
# at_exit on every exit path; a browser that does not start ends the test
# failing (bail), never skipping.
#
# browser_start WIDTHxHEIGHT   starts chromedriver and one session (needs
#                              T_DIR, TLS_CERT, HTTPS_PORT); sets BR_URL
# br_wd METHOD PATH [JSON]     a WebDriver call of the session: its .value
# br_js SCRIPT                 runs SCRIPT in the page, prints its result
# br_js_wait SCRIPT VALUE S    polls SCRIPT until it returns VALUE (S seconds)
# br_go PATH                   opens BR_URL PATH
# br_el SELECTOR               the element id of the first match
# br_shot NAME                 a screenshot into $ART/NAME.png
# br_cdp CMD PARAMS-JSON       a Chrome DevTools Protocol command
# br_console_log               the browser console's entries since the last call

browser_start() {
	local spki port caps sid _
	spki=$(openssl x509 -in "$TLS_CERT" -pubkey -noout | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | base64)
	port=$(free_port 1) || bail "a port for chromedriver"
	chromedriver --port="$port" --allowed-ips=127.0.0.1 >"$T_DIR/chromedriver.log" 2>&1 &
	at_exit kill "$!"
	BR_WD=http://127.0.0.1:$port
	for _ in $(seq 1 100); do curl -sf "$BR_WD/status" >/dev/null && break; sleep 0.1; done
	BR_URL=https://epoxy.test:$HTTPS_PORT
	caps=$(jq -n --arg spki "$spki" --arg dir "$T_DIR/chrome" --arg size "${1/x/,}" '{
	  capabilities: {alwaysMatch: {browserName: "chrome", acceptInsecureCerts: false,
	    "goog:loggingPrefs": {browser: "ALL"},
	    "goog:chromeOptions": {binary: "/usr/bin/chromium", args: [
	      "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
	      "--user-data-dir=" + $dir, "--window-size=" + $size, "--no-first-run",
	      "--host-resolver-rules=MAP epoxy.test 127.0.0.1",
	      "--ignore-certificate-errors-spki-list=" + $spki]}}}}')
	sid=$(curl -s -X POST -H 'Content-Type: application/json' -d "$caps" "$BR_WD/session" |
		jq -r '.value.sessionId // empty')
	[ -n "$sid" ] || bail "chromium started by chromedriver" "$(tail -n 20 "$T_DIR/chromedriver.log")"
	at_exit quiet curl -s -X DELETE "$BR_WD/session/$sid"
	BR_S=$BR_WD/session/$sid
}
br_wd() { curl -s -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "$BR_S$2" | jq -c '.value'; }
br_js() { br_wd POST /execute/sync "$(jq -n --arg s "$1" '{script: $s, args: []}')" | jq -r '.'; }
br_js_wait() {
	local _
	for _ in $(seq 1 $(($3 * 4))); do [ "$(br_js "$1")" = "$2" ] && return 0; sleep 0.25; done
	return 1
}
br_go() { br_wd POST /url "$(jq -n --arg u "$BR_URL$1" '{url: $u}')" >/dev/null; }
br_el() {
	br_wd POST /element "$(jq -n --arg s "$1" '{using: "css selector", value: $s}')" |
		jq -r '.[keys[0]]'
}
br_shot() { br_wd GET /screenshot | jq -r '.' | base64 -d >"$ART/$1.png"; }
br_cdp() { br_wd POST /goog/cdp/execute "$(jq -n --arg c "$1" --argjson p "$2" '{cmd: $c, params: $p}')"; }
br_console_log() { curl -s -X POST -H 'Content-Type: application/json' -d '{"type":"browser"}' "$BR_S/se/log"; }
