#!/bin/bash
# t_firmware.sh: the firmware leg of the chain in QEMU (TCG), against
# nginx on loopback standing in for epoxyd's two listeners:
#   - epoxy-mkvars enrolls a node's VARS (PK/KEK/db, TlsCaCertificate,
#     Boot0080 HTTPS option, boot credential);
#   - OVMF with Secure Boot on fetches stage0 (signed iPXE) over HTTPS with
#     only the enrolled CA (no fw_cfg), iPXE fetches the stage1 script over
#     HTTP, is told 503 + Retry-After twice and retries by itself, then the
#     script (boot/stage1.ipxe.in) gets a one-byte-tampered stage1.efi: the
#     firmware refuses it (EPOXY-E1401), the script retries, and the signed
#     UKI boots into the minimal initramfs;
#   - a stage0 signed by a key outside db is refused by the firmware.
# Uses ports 18310-18311 on 127.0.0.1; every process it starts is stopped.
. "$(dirname "$0")/../lib/tap.sh"
. tests/lib/flip.sh
HTTPS_PORT=18310 HTTP_PORT=18311
I=$O/images K=$O/keys
need_built "$I/stage0.efi" "$I/stage1.efi" "$I/stage1/vmlinuz" "$I/enroll/initramfs" \
	"$O/bin/epoxy-mkvars" "$K/db.key" "$K/server.crt" "$O/config.mk"
need nginx socat qemu-system-x86_64 sbsign
cfg() { sed -n "s/^CONFIG_$1 := //p" "$O/config.mk"; }
code=$(cfg OVMF_CODE) addr=$(cfg SERVER_ADDR) hport=$(cfg SERVER_HTTPS_PORT) pport=$(cfg SERVER_HTTP_PORT)

tmpdir t_firmware; T=$T_DIR
chmod 0755 "$T"	# nginx workers (www-data) read www/ and the flag files
qpid=''
firmware_cleanup() {
	if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; fi
	if [ -f "$T/nginx.pid" ]; then kill "$(cat "$T/nginx.pid")" 2>/dev/null; fi
}
at_exit firmware_cleanup
trap "exit 1" TERM INT
mkdir -p "$T/www/boot" "$T/tmp"
W=$T/www/boot

# ---- what the server serves
cp "$I/stage0.efi" "$W/stage0.efi"
cp "$I/stage1.efi" "$W/stage1-good.efi"
cp "$I/stage1.efi" "$W/stage1-bad.efi"
flip_byte "$W/stage1-bad.efi" $(( $(stat -c %s "$I/stage1.efi") / 2 ))
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.crt" \
	-days 30 -subj "/CN=not in db/" >/dev/null 2>&1
sbsign --key "$T/other.key" --cert "$T/other.crt" --output "$W/stage0-other.efi" \
	/usr/lib/ipxe/ipxe.efi >/dev/null 2>&1
cat >"$W/stage0.ipxe" <<EOF
#!ipxe
chain --autofree http://$addr:$pport/boot/stage1.ipxe?mac=\${net0/mac:hexhyp}&uuid=\${uuid}&serial=\${serial:uristring}&platform=\${platform}&buildarch=\${buildarch}
EOF
sed -e "s|@HOST@|node1|g; s|@BASE@|http://$addr:$pport|; s|@DELAY@|2|; s|@STEP@|1|; s|@TRIES@|4|" \
    -e "s|@CMDLINE@|$(cat "$I/stage1/cmdline")|" boot/stage1.ipxe.in >"$W/stage1.ipxe"
cat >"$T/nginx.conf" <<EOF
worker_processes 1;
pid $T/nginx.pid;
error_log $T/error.log;
events {}
http {
  client_body_temp_path $T/tmp; proxy_temp_path $T/tmp; fastcgi_temp_path $T/tmp;
  uwsgi_temp_path $T/tmp; scgi_temp_path $T/tmp;
  default_type application/octet-stream;
  types { application/efi efi; }
  log_format p '\$msec \$server_port "\$request" \$status \$body_bytes_sent "\$http_user_agent"';
  access_log $T/access.log p;
  map \$http_user_agent \$stage0 { ~^UefiHttpBoot stage0.efi; ~^iPXE stage0.ipxe; default none; }
  server {
    listen 127.0.0.1:$HTTPS_PORT ssl;
    ssl_certificate $K/server.crt; ssl_certificate_key $K/server.key;
    root $T/www;
    location = /boot/stage0 {
      if (-f $T/other) { rewrite ^ /boot/stage0-other.efi last; }
      try_files /boot/\$stage0 =404;
    }
  }
  server {
    listen 127.0.0.1:$HTTP_PORT;
    root $T/www;
    location = /boot/stage0 { try_files /boot/\$stage0 =404; }
    location = /boot/stage1.ipxe {
      if (-f $T/busy) { add_header Retry-After 2 always; return 503; }
    }
    location = /boot/stage1.efi {
      if (-f $T/tamper) { rewrite ^ /boot/stage1-bad.efi last; }
      try_files /boot/stage1-good.efi =404;
    }
  }
}
EOF
if nginx -c "$T/nginx.conf" 2>"$T/nginx.err"; then pass "nginx on 127.0.0.1:$HTTPS_PORT/$HTTP_PORT"
else bail "nginx did not start" "$(head -1 "$T/nginx.err")"; fi

# ---- enrollment
(umask 077; head -c 32 /dev/urandom | od -A n -t x1 | tr -d ' \n' >"$T/cred")
t0=$(date +%s)
if "$O/bin/epoxy-mkvars" --vars "$T/node1.fd" --host node1 --credential-file "$T/cred" \
	--log "$T/enroll.log" 2>"$T/mkvars.err"; then
	pass "enrollment boot in $(($(date +%s) - t0)) s"
else
	bail "enrollment failed" "$(tail -1 "$T/mkvars.err")"
fi
check "enrolled VARS is read-only (0444)" quiet test "$(stat -c %a "$T/node1.fd")" = 444
check "enrolled VARS holds the boot credential" quiet grep -qa "credential $(cat "$T/cred")" "$T/node1.fd"
check "enrollment console never shows the credential" quiet bash -c "! grep -qa '$(cat "$T/cred")' '$T/enroll.log'"
check "enrollment wrote PK last and left setup mode" quiet grep -qa 'epoxy-enroll: SetupMode=0' "$T/enroll.log"
# a second enrollment of the enrolled store must refuse (not in setup mode)
if "$O/bin/epoxy-mkvars" --vars "$T/again.fd" --template "$T/node1.fd" --log "$T/again.log" --timeout 60 \
	>/dev/null 2>&1; then fail "re-enrolling an enrolled VARS was accepted"
else check "re-enrolling an enrolled VARS refused (unsigned enrollment image, Access Denied or EPOXY-E1412)" quiet \
	bash -c "! grep -qa 'epoxy-enroll: done' '$T/again.log'"; fi

# ---- boots
netdev() { # the user network: only the two listeners are reachable
	echo "user,id=n0,restrict=on,bootfile=http://$addr:$pport/boot/stage0,guestfwd=tcp:$addr:$hport-cmd:socat - TCP:127.0.0.1:$HTTPS_PORT,guestfwd=tcp:$addr:$pport-cmd:socat - TCP:127.0.0.1:$HTTP_PORT"
}
qemu_run() { # log pattern timeout qemu-args...: run QEMU until pattern (or exit)
	local log=$1 pat=$2 secs=$3 i
	shift 3
	: >"$log"
	nice -n $((-$(nice))) qemu-system-x86_64 -accel tcg -m 1024 -display none -serial "file:$log" \
		-monitor none -no-reboot "$@" </dev/null >/dev/null 2>&1 &
	qpid=$!
	for ((i = 0; i < secs * 2; i++)); do
		grep -aq "$pat" "$log" && break
		kill -0 "$qpid" 2>/dev/null || break
		# the helper of boot A: lift the 503 after two, the tamper after the refusal
		[ -f "$T/busy" ] && [ "$(grep -c '/boot/stage1.ipxe.* 503 ' "$T/access.log")" -ge 2 ] && rm -f "$T/busy"
		[ -f "$T/tamper" ] && grep -aq 'EPOXY-E1401' "$log" && rm -f "$T/tamper"
		sleep 0.5
	done
	kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
	sed -i 's/\x1b\[[0-9;=?]*[a-zA-Z]//g' "$log"
}
uefi_boot() { # log pattern timeout: UEFI node on a copy of the enrolled VARS
	cp "$T/node1.fd" "$T/run.fd"; chmod 0600 "$T/run.fd"
	qemu_run "$1" "$2" "$3" -machine q35,smm=on \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
		-drive "if=pflash,format=raw,unit=1,file=$T/run.fd" \
		-netdev "$(netdev)" \
		-device virtio-net-pci,netdev=n0,addr=02.0,mac=52:54:00:12:34:56,romfile= \
		-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n \
		-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n
}

# boot A: 503 + Retry-After, tampered UKI refused, then the signed UKI boots
touch "$T/busy" "$T/tamper"; : >"$T/access.log"
t0=$(date +%s)
uefi_boot "$T/a.log" 'epoxy: stage1 initramfs' 400
ta=$(($(date +%s) - t0))
check "HTTPS boot fetched stage0 (HEAD then GET, firmware User-Agent)" quiet \
	grep -q "$HTTPS_PORT \"GET /boot/stage0 HTTP/1.1\" 200 .*UefiHttpBoot" "$T/access.log"
check "iPXE fetched the fixed stage0 script over HTTP" quiet \
	grep -q "$HTTP_PORT \"GET /boot/stage0 HTTP/1.1\" 200 .*iPXE" "$T/access.log"
check "iPXE sent the host identity (mac, platform)" quiet \
	grep -q 'stage1.ipxe?mac=52-54-00-12-34-56&uuid=.*&platform=efi&buildarch=x86_64' "$T/access.log"
check "iPXE honoured 503 + Retry-After and retried the stage1 script" quiet \
	bash -c "grep '/boot/stage1.ipxe' '$T/access.log' | awk '{print \$6}' | tr '\n' ' ' | grep -q '^503 503 200'"
gap=$(grep '/boot/stage1.ipxe' "$T/access.log" | awk 'NR==1{a=$1} NR==2{printf "%d", ($1 - a) * 1000}')
check "iPXE waited about Retry-After (2 s) between tries (${gap:-?} ms)" quiet test "${gap:-0}" -ge 1500
check "firmware refused the tampered stage1.efi and the script said EPOXY-E1401" quiet \
	grep -aq 'EPOXY-E1401 the firmware refused' "$T/a.log"
check "the script retried and the signed UKI booted under Secure Boot" quiet \
	grep -aq 'EFI stub: UEFI Secure Boot is enabled' "$T/a.log"
check "minimal initramfs reached in ${ta} s" quiet grep -aq '^epoxy: stage1 initramfs' "$T/a.log"
check "nothing on the plain-HTTP leg carried the credential" quiet \
	bash -c "! grep -q '$(cat "$T/cred")' '$T/access.log'"

# boot B: stage0 signed by a key outside db: refused, iPXE never runs
touch "$T/other"; : >"$T/access.log"
uefi_boot "$T/b.log" 'Access Denied\|Security Violation\|failed to start Boot0080' 240
check "stage0 signed outside db was served" quiet grep -q "$HTTPS_PORT \"GET /boot/stage0" "$T/access.log"
check "firmware refused stage0 signed outside db" quiet \
	grep -aq 'Access Denied\|Security Violation\|failed to start Boot0080' "$T/b.log"
check "iPXE never started" quiet bash -c "! grep -aq 'iPXE initialising' '$T/b.log'"
rm -f "$T/other"

# boot C: legacy BIOS: SeaBIOS + Debian's iPXE NIC ROM, the same scripts,
# kernel and initramfs fetched over plain HTTP and booted unverified
biosrom=$(cfg IPXE_BIOS_ROM)
mkdir -p "$W/stage1"
cp "$I/stage1/vmlinuz" "$I/stage1/initramfs" "$I/stage1/cmdline" "$W/stage1/"
: >"$T/access.log"
t0=$(date +%s)
qemu_run "$T/c.log" 'no UEFI (legacy BIOS boot)' 240 -machine pc -netdev "$(netdev)" \
	-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56${biosrom:+,romfile=$biosrom}" -boot n
tc=$(($(date +%s) - t0))
check "BIOS iPXE asked for the pcbios script" quiet grep -q 'stage1.ipxe?mac=52-54-00-12-34-56&.*platform=pcbios' "$T/access.log"
# (Debian's BIOS iPXE writes to the VGA console only: its echo lines are
# not on the serial log; the kernel's command line shows the branch ran)
check "BIOS script's imgargs gave the kernel the stage1 command line" quiet \
	grep -aqF "Kernel command line: initrd=initrd $(cat "$I/stage1/cmdline")" "$T/c.log"
check "BIOS path fetched stage1/vmlinuz and stage1/initramfs" quiet \
	bash -c "grep -q 'GET /boot/stage1/vmlinuz' '$T/access.log' && grep -q 'GET /boot/stage1/initramfs' '$T/access.log'"
check "BIOS path reached the minimal initramfs with the stage1 command line in ${tc} s" quiet \
	bash -c "grep -aq '^epoxy: stage1 initramfs' '$T/c.log' && grep -aq 'no UEFI (legacy BIOS boot)' '$T/c.log'"
done_testing
