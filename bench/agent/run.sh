#!/bin/bash
# bench/agent/run.sh [MB]: in one run, on loopback, from epoxyd (the server
# the agent really talks to, set up by tests/lib/epoxyd.sh with a release
# whose kernel is MB MiB of random bytes):
#  1. the agent's download throughput (its own progress line for the
#     kernel artifact, TLS + hash-while-streaming + sealed memfd) against
#     curl fetching the same artifact from the same epoxyd with the same
#     pinned CA and a token of its own session, to /dev/null (the anchor)
#     to a file on tmpfs (curl storing the bytes in memory, as the
#     agent does in its memfd), and to tmpfs through sha256sum with the
#     digest compared (the agent's whole job done in a shell).
#     BENCH_RUNS rounds (default 3), every round running each agent, then
#     the three curls, so all see the same machine; best of the rounds
#     each, printed side by side and as the ratio agent/curl: a figure,
#     never an assertion.  The load average is printed with every round,
#     and epoxyd's CPU time with every download (on two cores the server
#     takes its share of the CPU the agent's second thread would use);
#  2. the agent's whole stage 1 (session, statements, four artifacts) in
#     wall-clock time and the TLS handshakes epoxyd saw for it;
#  3. what verification costs: the agent hashes each piece as it stores it
#     (a build hashing on a second thread prints the "hash tail" it waited
#     for after the last byte; that tail counts in its rate).  For scale,
#     the SHA-256 and AES-GCM throughputs of the agent's own build (musl,
#     the trimmed mbedTLS, net/aesgcm.c) and the share of the download
#     time the hash of every byte takes; the CPU time (user + system) of
#     each agent run and each curl download, and of each of the agent's
#     two threads on the kernel artifact (its own "CPU ... receiving,
#     ... hashing" figures): the floor two cores put under each client's
#     download time, (every thread's CPU + epoxyd's) / 2, against the
#     floor of its busiest thread alone (a client with a core per thread
#     and the server elsewhere, as on a node);
#  4. the first download of a UEFI node: the stage1 UKI as built
#     ($O/images/stage1.efi: the minimal kernel built from source) against
#     the same UKI with Debian's kernel instead (bench/agent/uki.sh), both
#     fetched from epoxyd's /boot/stage1.efi by curl, over HTTPS with the
#     pinned CA (the direct path's firmware) and over plain HTTP (iPXE),
#     best of BENCH_RUNS each; skipped when the images are not built.
# BENCH_AGENT: the agent build(s) to measure, space-separated (before and
# after figures in one run; default $O/bin/epoxy-agent).
# Figures go to stdout and $O/bench/agent.txt.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
MB=${1:-128}
RUNS=${BENCH_RUNS:-3}
KERNEL_SIZE=$((MB * 1048576))
. tests/lib/epoxyd.sh >/dev/null
read -r -a AGENTS <<<"${BENCH_AGENT:-$O/bin/epoxy-agent}"
need_built "${AGENTS[@]}" "$O/agent-test/sha256bench" "$O/agent-test/gcmbench"
load() { cut -d' ' -f1 /proc/loadavg; }
LOAD0=$(load)
KERNEL_SIZE=$KERNEL_SIZE epoxyd_setup >/dev/null || bail "epoxyd set-up failed"
# the UKIs of part 4, served as epoxyd serves the real one
UKI_MIN=$O/images/stage1.efi UKI_DEB=$T_DIR/stage1-deb.efi
if [ -f "$UKI_MIN" ] && bench/agent/uki.sh "$UKI_DEB" >"$T_DIR/uki.log" 2>&1; then
  cp "$UKI_MIN" "$T_DIR/stage1-min.efi"; chmod 0644 "$T_DIR"/stage1-*.efi
else
  UKI_MIN=
fi
uki_serve() { # min|deb: epoxyd opens /boot/stage1.efi per request
  cp "$T_DIR/stage1-$1.efi" "$BOOT/stage1.efi.new" && mv -f "$BOOT/stage1.efi.new" "$BOOT/stage1.efi"
}
epoxyd_start || bail "epoxyd did not start" "$(tail -5 "$T_DIR/epoxyd.log")"
E=$T_DIR/agent; mkdir -p "$E/etc" "$E/efi" "$E/rec"
cp "$CA_CRT" "$E/etc/ca.pem"; cp "$KEYS/keyset" "$E/etc/keyset"
echo 5 >"$E/etc/floor"; echo qemu-x86_64 >"$E/etc/hwclass"
printf '\007\000\000\000epoxy-boot 1\nhost node1\ncredential %s\nend\n' "$(cat "$T_DIR/cred.node1")" \
  >"$E/efi/EpoxyBoot-2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13"
echo "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=127.0.0.1 epoxy.port=$HTTPS_PORT epoxy.stage=1" \
  >"$E/cmdline"
SHM=$(mktemp -d /dev/shm/epoxy-bench.XXXXXX) || bail "no tmpfs at /dev/shm"
at_exit rm -rf "$SHM"

declare -A best_rate best_tail best_wall best_cpu hshakes best_rcpu best_hcpu best_scpu
for a in "${AGENTS[@]}"; do
  best_rate[$a]=0; best_tail[$a]=0; best_wall[$a]=999999; best_cpu[$a]=999999
  best_rcpu[$a]=999999; best_hcpu[$a]=999999; best_scpu[$a]=999999
done
best_curl=0; best_shm=0; best_ccpu=999999; best_cscpu=999999; best_c0=999999
cpu_ms() { awk 'END {printf "%d", ($1 + $2) * 1000}' "$1"; } # FILE ending in "user sys" (s)
# epoxyd's CPU time so far, all its threads, in ms (the scheduler's ns)
srv_ms() { cat /proc/"$SRV_PID"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s / 1e6 }'; }
agent_run() { # AGENT: one stage 1; prints "rate tail wall requests handshakes cpu server-cpu
  #            receiving-thread-cpu hashing-thread-cpu" (the last two "-" from a
  #            build that does not print them)
  local rc n0 s0 t0 wall reqs rate hs tail TIMEFORMAT='%U %S'
  rm -rf "$E/rec"; mkdir -p "$E/rec"
  n0=$(grep -c 'https$' "$T_DIR/epoxyd.log")
  s0=$(srv_ms)
  t0=$(date +%s%N)
  { time timeout 300 "$1" --cmdline "$E/cmdline" --efivars "$E/efi" --etc "$E/etc" \
    --kexec-record "$E/rec" --retries 2 --backoff-ms 50 --server-wait 0 \
    --mac 52-54-00-12-34-56 --min-rate 1 >"$E/out" 2>&1; } 2>"$E/cpu"
  rc=$?
  wall=$(( ($(date +%s%N) - t0) / 1000000 ))
  s0=$(( $(srv_ms) - s0 ))
  reqs=$(( $(grep -c 'https$' "$T_DIR/epoxyd.log") - n0 ))
  rate=$(grep -o "download kernel $KERNEL_SIZE/[0-9]* bytes 100% [0-9]* KiB/s" "$E/out" |
         awk '{print $6}')
  if [ "$rc" != 0 ] || [ -z "$rate" ]; then
    echo "agent $1 failed (exit $rc):" >&2; tail -5 "$E/out" >&2; return 1
  fi
  hs=$(sed -n 's/.*stage connect [0-9]* requests over \([0-9]*\) TLS handshakes.*/\1/p' "$E/out")
  tail=$(sed -n 's/.*stage verify kernel .*hash tail \([0-9]*\) ms.*/\1/p' "$E/out")
  # a build hashing on a second thread finishes the hash after the last
  # byte (its "hash tail"): the artifact is verified only then, so the
  # tail counts in its rate; a build hashing as it receives has none
  tail=${tail:-0}
  read -r rcpu hcpu < <(sed -n 's/.*stage verify kernel .*; CPU \([0-9]*\) ms receiving, \([0-9]*\) ms hashing.*/\1 \2/p' "$E/out")
  rate=$(awk -v r="$rate" -v t="$tail" -v b="$KERNEL_SIZE" \
    'BEGIN { printf "%d", b / 1024 / (b / 1024 / r + t / 1000) }')
  echo "$rate $tail $wall $reqs ${hs:--} $(cpu_ms "$E/cpu") $s0 ${rcpu:--} ${hcpu:--}"
}
kernel_auth() { # the Authorization header of a new session's kernel token
  [ "$(open_session)" = 200 ] || { echo "curl's session: $(cat "$T_DIR/session")" >&2; return 1; }
  bearer "$(tok kernel)"
}
curl_run() { # OUT-FILE: one download of the kernel by curl; prints "KiB/s cpu-ms server-cpu-ms"
  local c h s0 TIMEFORMAT='%U %S'
  h=$(kernel_auth) || return 1
  s0=$(srv_ms)
  { time c=$(hs /v1/artifact/kernel -o "$1" -w '%{speed_download}' -H "$h"); } 2>"$E/cpu"
  s0=$(( $(srv_ms) - s0 ))
  rm -f "$SHM/kernel"
  awk -v c="$c" -v m="$(cpu_ms "$E/cpu")" -v s="$s0" 'BEGIN{printf "%d %d %d\n", c / 1024, m, s}'
}
curl_start_ms() { # CPU of a curl that only starts and makes its TLS handshake
  local TIMEFORMAT='%U %S'
  { time hs /healthz -o /dev/null; } 2>"$E/cpu"
  cpu_ms "$E/cpu"
}
# the agent's job done in a shell: curl to tmpfs through sha256sum, the
# digest compared; the rate from curl's first byte to sha256sum's end
KSUM=$(sha256sum <"$T_DIR/art/kernel" | cut -d' ' -f1)
curl_sum_run() { # prints "KiB/s cpu-ms server-cpu-ms"
  local h s0 t0 t1 sum ttfb TIMEFORMAT='%U %S'
  h=$(kernel_auth) || return 1
  s0=$(srv_ms)
  t0=$(date +%s%N)
  { time sum=$(hs /v1/artifact/kernel -o - -w '%{stderr}%{time_starttransfer}' -H "$h" \
      2>"$E/ttfb" | tee "$SHM/kernel" | sha256sum); } 2>"$E/cpu"
  t1=$(date +%s%N)
  s0=$(( $(srv_ms) - s0 ))
  rm -f "$SHM/kernel"
  [ "${sum%% *}" = "$KSUM" ] || { echo "curl | sha256sum: digest differs" >&2; return 1; }
  ttfb=$(cat "$E/ttfb")
  awk -v b="$KERNEL_SIZE" -v t0="$t0" -v t1="$t1" -v f="$ttfb" -v m="$(cpu_ms "$E/cpu")" -v s="$s0" \
    'BEGIN { printf "%d %d %d\n", b / 1024 / ((t1 - t0) / 1e9 - f), m, s }'
}
best_sum=0
for i in $(seq 1 "$RUNS"); do
  line="run $i (load $(load)):"
  for a in "${AGENTS[@]}"; do
    read -r rate tail wall reqs hs cpu scpu rcpu hcpu < <(agent_run "$a") || exit 1
    [ -n "${rate:-}" ] || exit 1
    [ "$cpu" -lt "${best_cpu[$a]}" ] && best_cpu[$a]=$cpu
    [ "$scpu" -lt "${best_scpu[$a]}" ] && best_scpu[$a]=$scpu
    if [ "$rcpu" != - ]; then
      [ "$rcpu" -lt "${best_rcpu[$a]}" ] && best_rcpu[$a]=$rcpu
      [ "$hcpu" -lt "${best_hcpu[$a]}" ] && best_hcpu[$a]=$hcpu
    fi
    if [ "$rate" -gt "${best_rate[$a]}" ]; then best_rate[$a]=$rate; best_tail[$a]=$tail; fi
    [ "$wall" -lt "${best_wall[$a]}" ] && best_wall[$a]=$wall
    hshakes[$a]=$hs
    [ "${#AGENTS[@]}" -gt 1 ] && line="$line $(basename "$a"):"
    line="$line agent $rate KiB/s (hash tail $tail ms; stage 1 $wall ms, $cpu ms CPU, kernel: $rcpu ms receiving + $hcpu ms hashing, epoxyd $scpu ms CPU, $reqs requests, $hs TLS handshakes),"
  done
  read -r c ccpu cscpu < <(curl_run /dev/null) || exit 1
  [ -n "${c:-}" ] || exit 1
  [ "$c" -gt "$best_curl" ] && best_curl=$c
  [ "$ccpu" -lt "$best_ccpu" ] && best_ccpu=$ccpu
  [ "$cscpu" -lt "$best_cscpu" ] && best_cscpu=$cscpu
  c0=$(curl_start_ms)
  [ "$c0" -lt "$best_c0" ] && best_c0=$c0
  read -r s tcpu tscpu < <(curl_run "$SHM/kernel") || exit 1
  [ -n "${s:-}" ] || exit 1
  [ "$s" -gt "$best_shm" ] && best_shm=$s
  read -r v vcpu vscpu < <(curl_sum_run) || exit 1
  [ -n "${v:-}" ] || exit 1
  [ "$v" -gt "$best_sum" ] && best_sum=$v
  echo "$line curl $c KiB/s ($ccpu ms CPU, epoxyd $cscpu ms CPU), curl to tmpfs $s KiB/s ($tcpu ms CPU, epoxyd $tscpu ms CPU), curl | tee tmpfs | sha256sum $v KiB/s ($vcpu ms CPU, epoxyd $vscpu ms CPU)"
done

# part 4: the UKIs, minimal kernel against Debian's, interleaved; each
# figure the best of 5 (at least) of curl's whole request (connection and
# TLS handshake included) and of its body alone (after the head)
uki_lines=()
if [ -n "$UKI_MIN" ]; then
  declare -A ubest
  for k in min-https deb-https min-http deb-http; do ubest[$k]="999999 999999"; done
  uki_best() { # KEY "TOTAL BODY" (s): keeps the smaller of each, in us
    local old=${ubest[$1]}
    ubest[$1]=$(awk -v o="$old" -v n="$2" 'BEGIN { split(o, a); split(n, b);
      t = b[1] * 1e6; d = (b[1] - b[2]) * 1e6;
      printf "%d %d", (t < a[1] ? t : a[1]), (d < a[2] ? d : a[2]) }')
  }
  for i in $(seq 1 $(( RUNS > 5 ? RUNS : 5 ))); do
    for v in min deb; do
      uki_serve "$v" || exit 1
      uki_best "$v-https" "$(hs /boot/stage1.efi -o /dev/null -w '%{time_total} %{time_starttransfer}')"
      uki_best "$v-http" "$(hp /boot/stage1.efi -o /dev/null -w '%{time_total} %{time_starttransfer}')"
    done
  done
  for v in min deb; do
    uki_lines+=("$v $(stat -c %s "$T_DIR/stage1-$v.efi") ${ubest[$v-https]} ${ubest[$v-http]}")
  done
fi
epoxyd_stop
LOAD1=$(load)
read -r sha shamb < <("$O/agent-test/sha256bench" 512)
gcm=$("$O/agent-test/gcmbench" 256 | awk '$2 == "auto" {printf "%s %s ", $1, $3}')
mkdir -p "$O/bench"
{
  printf 'file: %d MiB over TLS 1.2 on loopback from epoxyd; load average %s at the start, %s at the end\n' \
    "$MB" "$LOAD0" "$LOAD1"
  for a in "${AGENTS[@]}"; do
    [ "${#AGENTS[@]}" -gt 1 ] && echo "agent build: $a"
    awk -v a="${best_rate[$a]}" -v c="$best_curl" -v m="$best_shm" -v v="$best_sum" -v mb="$MB" \
        -v t="${best_tail[$a]}" -v w="${best_wall[$a]}" -v h="${hshakes[$a]}" -v n="$RUNS" \
        -v s="$sha" -v u="${best_cpu[$a]}" -v cu="$best_ccpu" -v r="${best_rcpu[$a]}" \
        -v hc="${best_hcpu[$a]}" -v sa="${best_scpu[$a]}" -v sc="$best_cscpu" -v c0="$best_c0" 'BEGIN {
      dl = mb * 1024 / a; hsh = mb / s;
      printf "agent download: %.1f MiB/s (best of %d; to the verified artifact, hash tail included)\n", a / 1024, n
      printf "curl download:  %.1f MiB/s (best of %d; to tmpfs: %.1f MiB/s)\n", c / 1024, n, m / 1024
      printf "curl | tee tmpfs | sha256sum (the agent'"'"'s job in a shell): %.1f MiB/s (best of %d)\n", v / 1024, n
      printf "agent/curl: %.2f (agent/curl to tmpfs: %.2f; agent/curl | sha256sum: %.2f)\n", a / c, a / m, a / v
      printf "agent stage 1 (session to kexec record), best of %d: %.3f s, %s TLS handshakes\n", n, w / 1000, h
      printf "CPU time, least of %d: agent stage 1 %d ms (the kexec record of the bench included), curl download %d ms\n", n, u, cu
      printf "agent download time: %.3f s, of it hash tail after the last byte: %.3f s\n", dl, t / 1000
      printf "SHA-256 of every byte at this build'"'"'s speed: %.3f s = %.1f%% of the download time\n", hsh, 100 * hsh / dl
      if (r == 999999) {
        print "CPU per thread: not printed by this agent build"
      } else {
        cd = cu - c0; if (cd < 1) cd = 1
        printf "CPU per thread on the kernel artifact, least of %d: the agent'"'"'s receiving thread %d ms, its hashing thread %d ms; curl %d ms (%d ms less %d ms for its start and TLS handshake alone); epoxyd %d ms serving the agent'"'"'s stage 1, %d ms serving curl\n", n, r, hc, cd, cu, c0, sa, sc
        fa = (r + hc + sa) / 2; if (r > fa) fa = r
        fc = (cd + sc) / 2; if (cd > fc) fc = cd
        printf "floor of the download time on two cores shared with epoxyd (max(busiest thread, all CPU / 2)): agent %d ms, curl %d ms: agent/curl at most %.2f\n", fa, fc, fc / fa
        printf "floor with a core per thread and epoxyd elsewhere (busiest thread): agent %d ms, curl %d ms: agent/curl at most %.2f\n", r, cd, cd / r
      }
    }'
  done
  printf 'sha256 of the agent build: %.1f MiB/s (mbedTLS alone: %.1f MiB/s)\n' "$sha" "$shamb"
  echo "$gcm" | awk '{printf "AES-GCM decryption of the agent build (16 KiB records, the widest path this CPU has): %s %.1f MiB/s, %s %.1f MiB/s\n", $1, $2, $3, $4}'
  if [ "${#uki_lines[@]}" -gt 0 ]; then
    echo "stage1 UKI, fetched from epoxyd's /boot/stage1.efi by curl on loopback, best of" \
      "$(( RUNS > 5 ? RUNS : 5 )) (whole request / body after the head; at 1 Gbit/s the body alone would take):"
    for l in "${uki_lines[@]}"; do
      echo "$l" | awk '{printf "  %-26s %8d bytes  HTTPS %5.1f / %5.1f ms  HTTP %5.1f / %5.1f ms  1 Gbit/s %5.1f ms\n",
        ($1 == "min" ? "minimal kernel (as built)" : "Debian'"'"'s kernel"), $2,
        $3 / 1000, $4 / 1000, $5 / 1000, $6 / 1000, $2 * 8 / 1e6}'
    done
  else
    echo "stage1 UKI: not measured ($O/images/stage1.efi or Debian's kernel not built: make images)"
  fi
} | tee "$O/bench/agent.txt"
