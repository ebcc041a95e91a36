#!/bin/bash
# t_capture.sh: the runner's plain-HTTP leak check can fail.  Without QEMU:
# sends requests to a throw-away loopback listener while capture_start /
# capture_check (tests/qemu/lib.sh) watch the port, and checks that a clean
# exchange passes and that a token in the URL, an Authorization header, a
# known credential and an unknown 64-hex word are each reported.
. "$(dirname "$0")/lib.sh"
S[name]=capture-selftest
need socat tshark curl
port=$(free_port 1) || bail "a free loopback port"
hex=$(head -c 32 /dev/urandom | od -A n -t x1 | tr -d ' \n')
cred=$(head -c 32 /dev/urandom | od -A n -t x1 | tr -d ' \n')
case_run() { # name expect(ok|leak) curl-args...
  local name=$1 want=$2 out got; shift 2
  W=$(mktemp -d); HTTP_PORT=$port; PIDS=()
  mkdir -p "$W/published/1"
  echo "artifact kernel 1 $PUB" >"$W/published/1/manifest"
  printf '#!/bin/sh\nread l\nprintf "HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"\n' >"$W/answer"
  chmod +x "$W/answer"
  socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" EXEC:"$W/answer" 2>/dev/null &
  local lpid=$!
  capture_start >/dev/null
  sleep 0.3
  curl -s -o /dev/null "$@" "http://127.0.0.1:$port/boot/stage1.ipxe?mac=52-54-00-12-34-56" || true
  out=$(NODE_CRED=$cred capture_check)
  kill $lpid 2>/dev/null; wait $lpid 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  case $out in "ok "*) got=ok;; "not ok "*) got=leak;; *) got="none: $out";; esac
  if [ "$got" = "$want" ]; then pass "capture check: $name -> $want"
  else fail "capture check: $name: want $want, got $got" "$out"; fi
  rm -rf "$W"
}
PUB=$(head -c 32 /dev/urandom | od -A n -t x1 | tr -d ' \n')
case_run "clean request" ok -A iPXE/1.0.0
case_run "public manifest hash in a header" ok -A iPXE/1.0.0 -H "X-Hash: $PUB"
case_run "token in the URL query" leak -G --data-urlencode "token=$hex"
case_run "Authorization header" leak -H "Authorization: Bearer $hex"
case_run "the node's credential" leak -H "X-C: $cred"
case_run "unknown 64-hex word" leak -H "X-Thing: $hex"
done_testing
