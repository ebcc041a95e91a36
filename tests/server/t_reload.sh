#!/bin/bash
# t_reload: SIGHUP (systemctl reload) re-reads the configuration and the
# TLS certificate without dropping a connection (issue 12):
#   - a download in flight over HTTPS finishes whole across the reload;
#   - new connections get the new certificate, requests the new per-request
#     keys (boot_url in the stage1 script);
#   - a changed start-only key (a port) refuses the reload with E2315 naming
#     it, and the server goes on as it was;
#   - with EPOXYD_LOG_PRIORITY=1 (as under journald) every line carries a
#     <N> priority prefix, errors <3>.
. "$(dirname "$0")/../lib/epoxyd.sh"
epoxyd_setup >/dev/null || bail "set-up"
head -c 6000000 /dev/urandom >"$BOOT/stage1.efi"
EPOXYD_LOG_PRIORITY=1 epoxyd_start; ok $? "epoxyd starts"
fp() { # the certificate's fingerprint the server presents now
	openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername epoxy.test </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
fp1=$(fp)
mac=52-54-00-12-34-56
url1=$(hp "/boot/stage1.ipxe?mac=$mac" | grep -q "http://127.0.0.1:$HTTP_PORT"; echo $?)

# a slow download (about 6 s) across the reload
hs /boot/stage1.efi --limit-rate 1000k -o "$T_DIR/slow.bin" -w '%{http_code}' >"$T_DIR/slow.code" &
slow=$!
sleep 1.5
# a new certificate (same CA, same name) and a new boot_url
openssl ecparam -name prime256v1 -genkey -noout -out "$T_DIR/pki/new.key" 2>/dev/null
openssl req -new -key "$T_DIR/pki/new.key" -subj /CN=epoxy.test -out "$T_DIR/pki/new.csr" 2>/dev/null
openssl x509 -req -in "$T_DIR/pki/new.csr" -CA "$T_DIR/pki/ca.crt" -CAkey "$T_DIR/pki/ca.key" \
	-CAcreateserial -days 2 -extfile "$T_DIR/pki/ext" -out "$T_DIR/pki/new.crt" 2>/dev/null
chmod 0644 "$T_DIR/pki/new.key"
sed -i "s|^tls_cert .*|tls_cert $T_DIR/pki/new.crt|; s|^tls_key .*|tls_key $T_DIR/pki/new.key|;
	s|^boot_url .*|boot_url http://10.9.9.9:8080|" "$T_DIR/epoxyd.conf"
kill -HUP "$SRV_PID"; sleep 0.5
is "$(grep -c 'reloaded the configuration and the TLS certificate' "$T_DIR/epoxyd.log")" 1 "SIGHUP: reloaded"
ok "$(kill -0 "$SRV_PID"; echo $?)" "...the same process goes on"
fp2=$(fp)
ok "$([ -n "$fp1" ] && [ -n "$fp2" ] && [ "$fp1" != "$fp2" ]; echo $?)" "new connections get the new certificate"
is "$(hs /healthz)" ok "...which the fleet CA verifies"
is "$(hp "/boot/stage1.ipxe?mac=$mac" | grep -q 'http://10.9.9.9:8080'; echo $?)/$url1" "0/0" \
	"the stage1 script had the old boot_url, has the new one"
wait "$slow"; rc=$?
is "$rc/$(cat "$T_DIR/slow.code")" "0/200" "the download in flight finished (no connection dropped)"
cmp -s "$T_DIR/slow.bin" "$BOOT/stage1.efi"; ok $? "...with every byte"

# reloads in a row: each new HTTPS daemon's threads find a pool entry (the
# stopped daemons' threads gave theirs back); a reload while the previous
# certificate still serves a download is refused
for i in 1 2 3 4; do
	kill -HUP "$SRV_PID"; sleep 1.5
	codes=$(for _ in 1 2 3 4 5 6; do hs_code /healthz & done; wait)
	is "$(tr -d '\n ' <<<"$codes")" 200200200200200200 "reload $i more: six parallel HTTPS requests answered"
done
hs /boot/stage1.efi --limit-rate 2000k -o /dev/null &
slow=$!
sleep 0.5; kill -HUP "$SRV_PID"; sleep 0.3; kill -HUP "$SRV_PID"; sleep 0.3
grep -q 'EPOXY-E2315 reload: the previous certificate.s connections are still finishing' "$T_DIR/epoxyd.log"
ok $? "a reload while the previous certificate still serves a download: refused (E2315)"
wait "$slow"

# a start-only key: refused, nothing changes
sed -i "s|^http_port .*|http_port $((HTTP_PORT + 10))|" "$T_DIR/epoxyd.conf"
kill -HUP "$SRV_PID"; sleep 0.5
grep -q 'EPOXY-E2315 reload: http_port changed; it takes a restart' "$T_DIR/epoxyd.log"
ok $? "a changed http_port refuses the reload (E2315, names the key)"
is "$(hp /healthz)/$(hs /healthz)" "ok/ok" "...and both listeners go on"
sed -i "s|^http_port .*|http_port $HTTP_PORT|" "$T_DIR/epoxyd.conf"
printf 'bogus_key 1\n' >>"$T_DIR/epoxyd.conf"
kill -HUP "$SRV_PID"; sleep 0.5
is "$(grep -c 'EPOXY-E2302' "$T_DIR/epoxyd.log")/$(hs /healthz)" "1/ok" "a broken file refuses the reload, the server goes on"

# journald form: one line per event, each with its priority
is "$(grep -cv '^<[0-7]>epoxyd: ' "$T_DIR/epoxyd.log")" 0 "every log line has a <N> priority prefix"
ok "$(grep -q '^<3>epoxyd: EPOXY-E2315' "$T_DIR/epoxyd.log"; echo $?)" "...errors are <3>"
ok "$(grep -q '^<6>epoxyd: req ' "$T_DIR/epoxyd.log"; echo $?)" "...requests are <6>"
epoxyd_stop
done_testing
