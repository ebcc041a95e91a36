#!/bin/bash
# t_boot: fresh valid boots succeed end to end (stage 1 -> recorded kexec ->
# stage 2 join and report), resume after a cut, 503 backoff; no token or
# credential ever reaches the console or the production command line.
. "$(dirname "$0")/lib.sh"
P=$(free_port 1) || bail "a free loopback port"
fixtures
serve "$P" server

agent1 "$P"
check "fresh boot reaches kexec" booted
check "initramfs = verified bytes + handover archive" \
  cmp -s -n 1000001 "$W/rec/initrd" "$W/srv/initramfs"
check "production cmdline is the artifact + stage/session only" \
  grep -Eq '^console=ttyS0 quiet epoxy\.stage=2 epoxy\.session=[0-9a-f]{16}$' "$W/rec/cmdline"
check "console shows one line per stage" \
  bash -c "grep -q 'epoxy: stage session' '$W/out' && grep -q 'epoxy: stage manifest' '$W/out' && grep -q 'epoxy: stage kexec' '$W/out'"
check "console shows download progress" grep -Eq 'download kernel 3000000/3000000 bytes 100% [0-9]+ KiB/s' "$W/out"
check "no credential on the console" bash -c "! grep -q '$CRED' '$W/out'"
check "no 64-hex value on the console" bash -c "! grep -Eq '[0-9a-f]{64}' '$W/out'"

# unpack the appended archive as the kernel would
pad=$(( (4 - 1000001 % 4) % 4 ))
mkdir -p "$W/root"
tail -c +$((1000001 + pad + 1)) "$W/rec/initrd" >"$W/ho.cpio"
(cd "$W/root" && cpio -idm --quiet <"$W/ho.cpio")
check "handover file is mode 0600" test "$(stat -c %a "$W/root/run/epoxy/handover")" = 600
check "handover carries the session's tokens" grep -Eq '^token report [0-9a-f]{64}$' "$W/root/run/epoxy/handover"
check "handed-over manifest is the verified one" cmp -s "$W/root/run/epoxy/manifest" "$W/srv/manifest"
check "join script handed over" cmp -s "$W/root/epoxy/join" "$W/srv/join"
check "no token in the production cmdline" bash -c "! grep -Eq '[0-9a-f]{64}' '$W/rec/cmdline'"

# stage 2 against the same server
: >"$W/srv/reports"
cp "$W/rec/cmdline" "$W/cmdline2"
timeout 60 "$AGENT" stage2 --cmdline "$W/cmdline2" --etc "$W/etc" --root "$W/root" \
  --no-reboot --retries 2 --backoff-ms 50 >"$W/out2" 2>&1
rc=$?
check "stage 2 joins and exits 0" test "$rc" = 0
check "join script ran with the credential in a file" grep -q 'epoxy: join: joined' "$W/out2"
check "stage 2 reported ok" grep -q 'stage=2&status=ok' "$W/srv/reports"
check "join credential file removed after join" test ! -e "$W/root/run/epoxy/joincred"
check "credential never on the console" bash -c "! grep -q 'joincred-for-node1' '$W/out2'"

# tampered join script in stage 2
cp "$W/root/epoxy/join" "$W/join.orig"; echo 'echo evil' >>"$W/root/epoxy/join"
timeout 60 "$AGENT" stage2 --cmdline "$W/cmdline2" --etc "$W/etc" --root "$W/root" \
  --no-reboot --retries 1 >"$W/out2" 2>&1
check "tampered join script refused (EPOXY-E1321)" grep -q '^EPOXY-E1321 ' "$W/out2"
cp "$W/join.orig" "$W/root/epoxy/join"
chmod 644 "$W/root/run/epoxy/handover"
timeout 60 "$AGENT" stage2 --cmdline "$W/cmdline2" --etc "$W/etc" --root "$W/root" \
  --no-reboot --retries 1 >"$W/out2" 2>&1
check "world-readable handover refused (EPOXY-E1312)" grep -q '^EPOXY-E1312 ' "$W/out2"
chmod 600 "$W/root/run/epoxy/handover"
sed 's/epoxy.session=[0-9a-f]*/epoxy.session=0123456789abcdef/' "$W/cmdline2" >"$W/cmdline3"
timeout 60 "$AGENT" stage2 --cmdline "$W/cmdline3" --etc "$W/etc" --root "$W/root" \
  --no-reboot --retries 1 >"$W/out2" 2>&1
check "handover of another session refused (EPOXY-E1314)" grep -q '^EPOXY-E1314 ' "$W/out2"
# stage 2 with the server away for 3 s: the join credential is waited for
serve_late 3 "$P" server
: >"$W/srv/reports"
timeout 60 "$AGENT" stage2 --cmdline "$W/cmdline2" --etc "$W/etc" --root "$W/root" \
  --no-reboot --retries 1 --backoff-ms 200 --server-wait 60 >"$W/out2" 2>&1
check "stage 2, server up 3 s late: join credential waited for, joined, reported" \
  bash -c "[ $? = 0 ] && grep -q '^EPOXY-E1100 ' '$W/out2' && grep -q 'stage retry server unreachable for' '$W/out2' && grep -q 'stage=2&status=ok' '$W/srv/reports'"
stop
timeout 60 "$AGENT" stage2 --cmdline "$W/cmdline2" --etc "$W/etc" --root "$W/root" \
  --no-reboot --retries 1 --server-wait 0 >"$W/out2" 2>&1
check "stage 2, server down, --server-wait 0: gives up with EPOXY-E1100" \
  bash -c "[ $? != 0 ] && grep -q '^EPOXY-E1100 ' '$W/out2' && ! grep -q 'stage retry' '$W/out2'"

# resume: the first kernel transfer is cut after 1 MB
serve "$P" server cut:kernel:1000000
agent1 "$P"
check "cut transfer resumes with Range and boots" booted
check "the cut was seen (EPOXY-E1116) and resumed" \
  bash -c "grep -q '^EPOXY-E1116 ' '$W/out' && grep -q 'stopped at byte 1000000' '$W/out'"

# a network cut at many offsets of each large artifact: resume and boot
# (262143/262144: around the end of the first 256 KiB the agent reads at
# once, net/https.h HTTPS_BUF; 2097152 and 2621440: further in)
for cut in kernel:0 kernel:1 kernel:16383 kernel:16384 kernel:262143 kernel:262144 \
  kernel:2097152 kernel:2621440 kernel:2999999 initramfs:1 initramfs:500000 initramfs:1000000; do
  serve "$P" server cut:$cut
  agent1 "$P" --retries 3
  check "link cut in $cut: retried and booted" booted
done

# overload: one 503 with Retry-After, then success
serve "$P" server busy:1
agent1 "$P"
check "503 + Retry-After is retried and the boot succeeds" booted
check "the 503 was reported (EPOXY-E1120)" grep -q '^EPOXY-E1120 ' "$W/out"

# the server is down when the agent starts and up 3 s later: with
# --retries 1 the agent still waits (--server-wait), uncounted, and boots
serve_late 3 "$P" server
agent1 "$P" --retries 1 --server-wait 60 --backoff-ms 200
check "server up 3 s after the agent: waited (uncounted) and booted" booted
check "... the wait is on the console (EPOXY-E1100, 'server unreachable for')" \
  bash -c "grep -q '^EPOXY-E1100 ' '$W/out' && grep -q 'epoxy: stage retry server unreachable for' '$W/out'"
# never up: the wait ends, the attempt is counted, the agent gives up
stop
agent1 "$P" --retries 1 --server-wait 2 --backoff-ms 200
check "server never up: gives up after --server-wait with EPOXY-E1100" refused EPOXY-E1100
check "... after several uncounted attempts" test "$(grep -c 'stage retry server unreachable for' "$W/out")" -ge 2
agent1 "$P" --retries 1 --server-wait 0
check "--server-wait 0: one attempt, no retry" \
  bash -c "grep -q '^EPOXY-E1100 ' '$W/out' && ! grep -q 'stage retry' '$W/out' && [ $AGENT_RC != 0 ]"

# a one-time boot token instead of the credential
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/token"
serve "$P" server
agent1 "$P" --token-file "$W/token"
check "boot with a one-time boot token" booted
stop
done_testing
