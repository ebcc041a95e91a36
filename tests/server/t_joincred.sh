#!/bin/bash
# t_joincred: the join-credential plug-ins on a real epoxyd: an operator
# command (stdout is the credential; environment without secrets; failure,
# garbage and timeout answered 502 EPOXY-E2250 in time) and an operator URL
# (a POST of host/session/hwclass answered by a socat-run HTTP responder);
# resume_tokens caps Epoxy-Next-Token below the store's cap.
. "$(dirname "$0")/../lib/epoxyd.sh"

epoxyd_setup || bail "setup"
cp "$T_DIR/epoxyd.conf" "$T_DIR/base.conf"
J=$T_DIR/jc; mkdir -p "$J"; chmod 0777 "$J"
cat >"$J/ok.sh" <<EOF
#!/bin/sh
env | sort >$J/env
echo "\$@" >$J/args
echo abcdef.0123456789abcdef
EOF
printf '#!/bin/sh\necho nope\nexit 3\n' >"$J/fail.sh"
printf '#!/bin/sh\nsleep 20\necho late.0123456789abcdef\n' >"$J/slow.sh"
printf '#!/bin/sh\nprintf "a\\001b"\n' >"$J/garbage.sh"
chmod 0755 "$J"/*.sh

joincred() { # config lines... : starts epoxyd with them, one joincred request
	cp "$T_DIR/base.conf" "$T_DIR/epoxyd.conf"
	printf '%s\n' "$@" >>"$T_DIR/epoxyd.conf"
	epoxyd_start || { diag "epoxyd did not start"; return 1; }
	open_session >/dev/null
	local t0
	t0=$(date +%s)
	hs /v1/joincred -X POST -H "Authorization: Bearer $(tok joincred)" -w '\n%{http_code}' >"$T_DIR/jc.out"
	echo $(( $(date +%s) - t0 )) >"$T_DIR/jc.secs"
	epoxyd_stop
	tr '\n' ' ' <"$T_DIR/jc.out" | sed 's/ $//'
}

is "$(joincred 'joincred command' "joincred_command $J/ok.sh --ttl 1h")" "abcdef.0123456789abcdef 200" \
	"command plug-in: stdout is the credential"
is "$(cat "$J/args")" "--ttl 1h" "command gets its fixed arguments"
is "$(cut -d= -f1 "$J/env" | tr '\n' ' ')" "EPOXY_HOST EPOXY_HWCLASS EPOXY_SESSION PATH PWD " \
	"command environment holds no secret (host, session, hwclass, PATH only)"
is "$(grep EPOXY_HOST "$J/env")" "EPOXY_HOST=node1" "command told which host"
grep -q abcdef.0123456789abcdef "$T_DIR/epoxyd.log"; ok $(( $? == 0 )) "credential not logged"
r=$(joincred 'joincred command' "joincred_command $J/fail.sh")
is "${r:0:11} ${r##* }" "EPOXY-E2250 502" "failing command: 502 EPOXY-E2250"
r=$(joincred 'joincred command' "joincred_command $J/garbage.sh")
is "${r:0:11} ${r##* }" "EPOXY-E2250 502" "control bytes in the output refused"
r=$(joincred 'joincred command' "joincred_command $J/slow.sh" 'joincred_timeout 2')
is "${r:0:11} ${r##* }" "EPOXY-E2250 502" "command over joincred_timeout killed"
JC_SECS=$(cat "$T_DIR/jc.secs")
[ "$JC_SECS" -le 6 ]; ok $? "...within the timeout ($JC_SECS s)"

# URL plug-in: a one-shot HTTP responder that records the request
need socat
cat >"$J/http.sh" <<EOF
#!/bin/sh
timeout 0.5 cat >$J/req
printf 'HTTP/1.1 200 OK\r\nContent-Length: 24\r\nConnection: close\r\n\r\nuvwxyz.0123456789abcdef\n'
EOF
chmod 0755 "$J/http.sh"
JP=$(free_port 2) || bail "two free ports"
socat TCP-LISTEN:"$JP",bind=127.0.0.1,reuseaddr SYSTEM:"$J/http.sh" & SOC=$!
sleep 0.3
is "$(joincred 'joincred url' "joincred_url http://127.0.0.1:$JP/token")" "uvwxyz.0123456789abcdef 200" \
	"URL plug-in: the answer body is the credential"
kill $SOC 2>/dev/null; wait $SOC 2>/dev/null
grep -q '^POST /token' "$J/req"; ok $? "URL plug-in POSTs"
grep -q 'host=node1&session=[0-9a-f]\{16\}&hwclass=qemu-x86_64' "$J/req"; ok $? "...host, session and hwclass"
r=$(joincred 'joincred url' "joincred_url http://127.0.0.1:$((JP + 1))/none")
is "${r:0:11} ${r##* }" "EPOXY-E2250 502" "unreachable URL: 502 EPOXY-E2250"

# resume_tokens below the store's cap
cp "$T_DIR/base.conf" "$T_DIR/epoxyd.conf"; echo 'resume_tokens 2' >>"$T_DIR/epoxyd.conf"
epoxyd_start || bail "epoxyd with resume_tokens 2 did not start"
open_session >/dev/null
t=$(tok cmdline); n=0
while [ -n "$t" ] && [ $n -lt 10 ]; do
	hs /v1/artifact/cmdline -H "Authorization: Bearer $t" -D "$T_DIR/hdr" -o /dev/null
	t=$(tr -d '\r' <"$T_DIR/hdr" | awk 'tolower($1)=="epoxy-next-token:" {print $2}')
	n=$((n + 1))
done
is "$n" 3 "resume_tokens 2: the session's token plus two resume tokens"
done_testing
