#!/bin/bash
# throughput.sh: artifact download throughput of epoxyd against nginx
# serving the same file with the same certificate and TLS versions, to the
# same client (curl), in one run; HTTPS (token-gated artifact vs nginx
# static file) and plain HTTP (firmware-leg boot file vs nginx).
# BENCH_MB (default 128) sets the file size, BENCH_RUNS (3) the repetitions.
O=${O:-$(cd "$(dirname "$0")/../.." && pwd)/build}
. "$(dirname "$0")/../../tests/lib/epoxyd.sh"
MB=${BENCH_MB:-128}; RUNS=${BENCH_RUNS:-3}
command -v nginx >/dev/null || { echo "throughput: nginx missing (make deps)"; exit 1; }
KERNEL_SIZE=$((MB * 1048576)) epoxyd_setup 18080 >/dev/null || { echo "setup failed"; exit 1; }
sed -i 's/^user nobody$/user nobody\nmax_downloads 8/' "$T_DIR/epoxyd.conf"
cp "$T_DIR/art/kernel" "$BOOT/stage1.efi"; chmod 0644 "$BOOT/stage1.efi" "$T_DIR/art/kernel"
epoxyd_start || { echo "epoxyd did not start"; exit 1; }
NG=$T_DIR/nginx; mkdir -p "$NG/logs"
cat >"$NG/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	server {
		listen 127.0.0.1:18082 ssl;
		listen 127.0.0.1:18083;
		server_name epoxy.test;
		ssl_certificate $T_DIR/pki/server.crt;
		ssl_certificate_key $T_DIR/pki/server.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		location = /kernel { alias $T_DIR/art/kernel; }
	}
}
NGX
nginx -p "$NG" -c "$NG/nginx.conf" & NPID=$!
at_exit kill "$NPID"
sleep 0.5
speed() { # curl args: prints MB/s
	curl -s -o /dev/null -w '%{speed_download}\n' "$@" | awk '{printf "%.0f\n", $1 / 1048576}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
TLS=(--cacert "$T_DIR/pki/ca.crt" --resolve "epoxy.test:18080:127.0.0.1" --resolve "epoxy.test:18082:127.0.0.1")
for _ in $(seq 1 "$RUNS"); do
	open_session >/dev/null
	speed "${TLS[@]}" -H "Authorization: Bearer $(tok kernel)" https://epoxy.test:18080/v1/artifact/kernel >>"$T_DIR/e_tls"
	speed "${TLS[@]}" https://epoxy.test:18082/kernel >>"$T_DIR/n_tls"
	speed http://127.0.0.1:18081/boot/stage1.efi >>"$T_DIR/e_http"
	speed http://127.0.0.1:18083/kernel >>"$T_DIR/n_http"
done
cmp <(curl -s "${TLS[@]}" https://epoxy.test:18082/kernel) "$T_DIR/art/kernel" || echo "throughput: nginx served other bytes!"
echo "throughput: $MB MiB file, median of $RUNS runs, curl $(curl --version | head -1 | cut -d' ' -f2), same certificate"
echo "throughput: HTTPS  epoxyd (token-gated artifact) $(median <"$T_DIR/e_tls") MiB/s   nginx $(median <"$T_DIR/n_tls") MiB/s"
echo "throughput: HTTP   epoxyd (boot file, sendfile)  $(median <"$T_DIR/e_http") MiB/s   nginx $(median <"$T_DIR/n_http") MiB/s"
c1=$(curl -sv -o /dev/null "${TLS[@]}" https://epoxy.test:18080/healthz 2>&1 | grep -o 'SSL connection using.*' | head -1)
c2=$(curl -sv -o /dev/null "${TLS[@]}" https://epoxy.test:18082/nothing 2>&1 | grep -o 'SSL connection using.*' | head -1)
echo "throughput: epoxyd ${c1:-?}; nginx ${c2:-?}"
echo "throughput: epoxyd peak RSS $(awk '/VmHWM/ {print $2, $3}' /proc/$SRV_PID/status)"
