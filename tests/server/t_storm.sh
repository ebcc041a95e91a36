#!/bin/bash
# t_storm: boot-storm protection on a real epoxyd: the per-address token
# bucket sheds with 503 + Retry-After in [retry_min, retry_max] and refills;
# the download limit sheds with 503 + Retry-After without spending the
# token, and a slot comes back when a download ends or is cut.
. "$(dirname "$0")/../lib/epoxyd.sh"

KERNEL_SIZE=33554432 epoxyd_setup || bail "setup"
sed -i '/^rate_per_sec /d; /^rate_burst /d' "$T_DIR/epoxyd.conf"
cat >>"$T_DIR/epoxyd.conf" <<EOF
rate_per_sec 1
rate_burst 4
retry_min 3
retry_max 9
max_downloads 1
EOF

# --- per-address rate limit
epoxyd_start || bail "epoxyd did not start"
t0=$(date +%s%N)
codes=$(for i in $(seq 1 8); do hp_code /boot/stage1.efi; echo; done | tr '\n' ' ')
el=$(( ($(date +%s%N) - t0) / 1000000000 + 1 ))
# 4 from the burst, plus at most one per second elapsed (1/s refill)
n200=$(grep -o 200 <<<"$codes" | wc -l)
[[ $codes == "200 200 200 200 "* ]] && [ "$n200" -lt 8 ] && [ "$n200" -le $((4 + el)) ]
ok $? "burst of 4 served, the rest shed with 503 ($codes in ${el}s)"
for i in $(seq 1 20); do   # the next refusal (a slow machine may refill one)
	hp /boot/stage1.efi -D "$T_DIR/hdr" -o "$T_DIR/body"
	[ "$(head -1 "$T_DIR/hdr" | cut -d' ' -f2)" = 503 ] && break
done
ra=$(tr -d '\r' <"$T_DIR/hdr" | awk 'tolower($1)=="retry-after:" {print $2}')
[ -n "$ra" ] && [ "$ra" -ge 3 ] && [ "$ra" -le 9 ]; ok $? "Retry-After $ra within [3, 9]"
is "$(cut -c1-11 "$T_DIR/body")" EPOXY-E2231 "rate refusal says EPOXY-E2231"
is "$(hp_code /healthz)" 200 "health checks are not rate-limited"
is "$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "http://127.0.0.1:$HTTP_PORT/boot/stage1.efi")" 200 \
	"another address has its own bucket"
sleep 1.2
is "$(hp_code /boot/stage1.efi)" 200 "bucket refills at rate_per_sec"
# many distinct addresses: the fixed table recycles, the server keeps serving
ok=0
for i in $(seq 1 200); do
	c=$(curl -s -o /dev/null -w '%{http_code}' --interface "127.0.$((i / 250 + 1)).$((i % 250 + 1))" \
		"http://127.0.0.1:$HTTP_PORT/healthz")
	[ "$c" = 200 ] && ok=$((ok + 1))
done
is "$ok" 200 "200 distinct source addresses served"
epoxyd_stop

# --- concurrent download limit
sed -i 's/^rate_per_sec 1$/rate_per_sec 1000/; s/^rate_burst 4/rate_burst 1000/' "$T_DIR/epoxyd.conf"
epoxyd_start || bail "epoxyd did not restart"
is "$(open_session)" 200 "session"
# 32 MiB at 200 KB/s: more than the socket buffers hold, so it streams on
curl -s --cacert "$T_DIR/pki/ca.crt" --resolve "epoxy.test:$HTTPS_PORT:127.0.0.1" --limit-rate 200k \
	-H "Authorization: Bearer $(tok kernel)" -o /dev/null "https://epoxy.test:$HTTPS_PORT/v1/artifact/kernel" &
slow=$!
sleep 1
hs /v1/artifact/initramfs -H "Authorization: Bearer $(tok initramfs)" -D "$T_DIR/hdr" -o "$T_DIR/body"
is "$(head -1 "$T_DIR/hdr" | cut -d' ' -f2) $(head -c 11 "$T_DIR/body" | tr -cd 'A-Z0-9-')" "503 EPOXY-E2230" \
	"second download while the only slot streams: 503 EPOXY-E2230"
ra=$(tr -d '\r' <"$T_DIR/hdr" | awk 'tolower($1)=="retry-after:" {print $2}')
[ -n "$ra" ] && [ "$ra" -ge 3 ] && [ "$ra" -le 9 ]; ok $? "busy answer carries Retry-After $ra"
is "$(sqlite3 "$DB" "select count(*) from tokens where purpose='initramfs' and used_at is null")" 1 \
	"a shed request does not spend its token"
is "$(hs /metrics | awk '$1=="epoxyd_active{kind=\"download\"}" {print $2}')" 1 "metrics show the held slot"
kill "$slow"; wait "$slow" 2>/dev/null
t0=$(date +%s%N)
for i in $(seq 1 100); do
	[ "$(hs /metrics | awk '$1=="epoxyd_active{kind=\"download\"}" {print $2}')" = 0 ] && break
	sleep 0.1
done
echo "# slot came back $(( ($(date +%s%N) - t0) / 1000000 )) ms after the client cut"
is "$(hs_code /v1/artifact/initramfs -H "Authorization: Bearer $(tok initramfs)")" 200 \
	"slot released when the client cut its download; the same token then works"
is "$(hs /metrics | awk '$1=="epoxyd_active{kind=\"download\"}" {print $2}')" 0 "no slot leaked"
done_testing
