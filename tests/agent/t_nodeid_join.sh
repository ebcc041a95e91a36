#!/bin/bash
# t_nodeid_join: the whole join on loopback, the real programs in their
# real order: the agent boots from epoxyd (stage 1, kexec recorded), then
# in stage 2 fetches the join credential and, with node identity on, the
# one-time node credential, which it hands to the verified join script in
# a 0600 file (EPOXY_NODECRED_FILE); the script runs
# `epoxy-nm join --detach`, which gets the node certificate and returns;
# the agent reports; epoxy-nm's first heartbeat over mutual TLS makes the
# host joined.  The node credential is on no console and in no log, and
# the file is gone when the agent is done.
. "$(dirname "$0")/../lib/epoxyd.sh"
AGENT=$O/bin/epoxy-agent NM=$O/bin/epoxy-nm DEVKEYS=$O/keys
need_built "$AGENT" "$NM" "$DEVKEYS/node-ca.crt" "$BIN/epoxyd-seed"
epoxyd_setup || bail "epoxyd set-up failed"
cp -p "$DEVKEYS/node-ca.crt" "$DEVKEYS/node-ca.key" "$KEYS/" || bail "node CA"
printf 'node_ca_cert %s\nnode_ca_key %s\nnode_heartbeat 1\n' "$KEYS/node-ca.crt" "$KEYS/node-ca.key" \
	>>"$T_DIR/epoxyd.conf"
E=$T_DIR/agent; mkdir -p "$E/etc" "$E/efi" "$E/rec" "$T_DIR/art8"
# release 8: the same artifacts, a join script that runs the node manager
cp "$T_DIR/art/kernel" "$T_DIR/art/initramfs" "$T_DIR/art/cmdline" "$T_DIR/art8/"
cat >"$T_DIR/art8/join" <<EOS
#!/bin/sh
echo "join: node credential file \$(stat -c %a "\$EPOXY_NODECRED_FILE") \$(wc -c <"\$EPOXY_NODECRED_FILE") bytes"
exec $NM join --server "https://\$EPOXY_SERVER:\$EPOXY_SERVER_PORT" --addr "\$EPOXY_SERVER_ADDR" --ca $E/etc/ca.pem \\
	--host "\$EPOXY_HOST" --credential-file "\$EPOXY_NODECRED_FILE" --beats 5 --detach \\
	2>>$T_DIR/nm.log
EOS
"$BIN/epoxyd-seed" release "$STORE" "$DATA" "$KEYS" qemu-x86_64 8 "$EXPIRES" "$T_DIR/art8/kernel" \
	"$T_DIR/art8/initramfs" "$T_DIR/art8/cmdline" "$T_DIR/art8/join" >/dev/null || bail "release 8"
if [ "$(id -u)" = 0 ]; then chown -R nobody "$DATA"; fi
epoxyd_start || bail "epoxyd did not start" "$(tail -5 "$T_DIR/epoxyd.log")"
cp "$T_DIR/pki/ca.crt" "$E/etc/ca.pem"; cp "$KEYS/keyset" "$E/etc/keyset"
echo 5 >"$E/etc/floor"; echo qemu-x86_64 >"$E/etc/hwclass"
printf '\007\000\000\000epoxy-boot 1\nhost node1\ncredential %s\nend\n' "$(cat "$T_DIR/cred.node1")" \
	>"$E/efi/EpoxyBoot-2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13"
echo "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=127.0.0.1 epoxy.port=$HTTPS_PORT epoxy.stage=1" >"$E/cmdline"

timeout 120 "$AGENT" --cmdline "$E/cmdline" --efivars "$E/efi" --etc "$E/etc" --kexec-record "$E/rec" \
	--retries 2 --backoff-ms 50 --server-wait 0 --mac 52-54-00-12-34-56 >"$E/out" 2>&1
RC=$?
{ [ "$RC" = 0 ] && [ -e "$E/rec/exec" ]; }; ok $? "stage 1 against epoxyd reaches kexec (release 8)" "$(tail -5 "$E/out")"
pad=$(( (4 - 200000 % 4) % 4 ))
mkdir -p "$E/root"
tail -c +$((200000 + pad + 1)) "$E/rec/initrd" | (cd "$E/root" && cpio -idm --quiet)
timeout 60 "$AGENT" stage2 --cmdline "$E/rec/cmdline" --etc "$E/etc" --root "$E/root" \
	--no-reboot --retries 2 --backoff-ms 50 >"$E/out2" 2>&1
is "$?" 0 "stage 2: join credential, join script with epoxy-nm, report" "$(tail -8 "$E/out2")"
grep -q 'node credential too' "$E/out2"; ok $? "the agent received the node credential"
grep -q 'join: node credential file 600 65 bytes' "$E/out2"; ok $? "the join script got it in a 0600 file"
grep -q 'joined as node1' "$T_DIR/nm.log"; ok $? "epoxy-nm joined (certificate issued) and detached" "$(cat "$T_DIR/nm.log")"
[ ! -e "$E/root/run/epoxy/nodecred" ]; ok $? "the node credential file is gone after the join"
for _ in $(seq 1 50); do [ "$(host_state node1)" = joined ] && break; sleep 0.1; done
is "$(host_state node1)" joined "the host is joined after epoxy-nm's first heartbeat"
for _ in $(seq 1 50); do grep -q 'heartbeat every' "$T_DIR/nm.log" && break; sleep 0.1; done
grep -q "heartbeat every 1 s (the server's node_heartbeat)" "$T_DIR/nm.log"
ok $? "epoxy-nm heartbeats as often as the server's node_heartbeat says" "$(cat "$T_DIR/nm.log")"
NC=$(sql "SELECT count(*) FROM tokens WHERE host = 'node1' AND purpose = 'cluster' AND used_at IS NOT NULL")
is "$NC" 1 "the node credential was spent once"
for _ in $(seq 1 80); do grep -q 'heartbeat' "$T_DIR/nm.log" 2>/dev/null || true; pgrep -f "credential-file $E/root" >/dev/null || break; sleep 0.1; done
if grep -qE 'PRIVATE KEY|[0-9a-f]{64}' "$E/out" "$E/out2" "$T_DIR/nm.log" "$T_DIR/epoxyd.log"; then
	fail "no key and no 64-hex secret on the console or in a log"
else pass "no key and no 64-hex secret on the console or in a log"; fi
done_testing
