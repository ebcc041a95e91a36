#!/bin/bash
# t_tcpinfo.sh: epoxy-tcpinfo in a private network namespace (loopback only,
# made here with unshare -n), against `ss -tin` for the same sockets:
#   - N connections opened and closed by the test give exactly N open and N
#     close events on the event socket (the listener side is filtered out
#     with --exclude-port, so each connection is one socket);
#   - the last snapshot before an `ss -tin` of idle connections has ss's
#     bytes_acked, rtt and cwnd;
#   - idle connections write no record (snapshots_total stays put);
#   - a file rotation mid-connection keeps the records' Seq continuous and
#     numbers the files 00000, 00001 ... with Metadata on each first line;
#   - --help, bad values, the man page and a guide mention.
# Needs root (unshare -n), socat, jq, zstd.
. "$(dirname "$0")/../lib/tap.sh"
BIN=$O/bin/epoxy-tcpinfo
if [ -z "${TCPINFO_NETNS:-}" ]; then
  exec unshare -n env TCPINFO_NETNS=1 O="$O" bash "$0" "$@"
fi
need socat jq zstd ss
need_built "$BIN"

tmpdir t_tcpinfo; W=$T_DIR
PIDS=()
tcpinfo_cleanup() {
  local p
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
at_exit tcpinfo_cleanup
ip link set lo up

# ------------------------------------------------------------ usage
out=$("$BIN" --help); rc=$?
[ $rc = 0 ] && grep -q "^usage: epoxy-tcpinfo" <<<"$out"; ok $? "--help exits 0 with a usage"
"$BIN" --interval 0 >/dev/null 2>&1; rc=$?
[ $rc = 2 ]; ok $? "--interval 0 refused with status 2"
"$BIN" --port 65536 >/dev/null 2>&1; rc=$?
[ $rc = 2 ]; ok $? "--port 65536 refused with status 2"
"$BIN" --zstd-level 07 >/dev/null 2>&1; rc=$?
[ $rc = 2 ]; ok $? "a number with a leading zero refused"
warn=$(groff -man -Tutf8 -ww -z docs/man/epoxy-tcpinfo.8 2>&1)
[ -f docs/man/epoxy-tcpinfo.8 ] && [ -z "$warn" ]; ok $? "man page formats cleanly" "$warn"
grep -rqw epoxy-tcpinfo docs/guide/; ok $? "named in the operator guide"

# ------------------------------------------------------------ a run
N=5 PORT=7000
socat TCP-LISTEN:$PORT,fork,reuseaddr,bind=127.0.0.1 EXEC:cat 2>/dev/null & PIDS+=($!)
socat "TCP6-LISTEN:$PORT,fork,reuseaddr,bind=[::1]" EXEC:cat 2>/dev/null & PIDS+=($!)
"$BIN" -d "$W/data" -M "$W/m.prom" -e "$W/ev.sock" -x $PORT -r 3 -f 0 -i 10 \
  2>"$W/err" & TI=$!; PIDS+=("$TI")
for _ in $(seq 50); do [ -S "$W/ev.sock" ] && break; sleep 0.1; done
socat -u UNIX-CONNECT:"$W/ev.sock" - >"$W/events" 2>/dev/null & PIDS+=($!)
for _ in $(seq 50); do [ "$(ss -ltn | grep -c ":$PORT ")" = 2 ] && break; sleep 0.1; done
sleep 0.2
fds=()
for i in $(seq $N); do
  addr=127.0.0.1; [ "$i" = $N ] && addr=::1     # the last one over IPv6
  exec {fd}<>/dev/tcp/$addr/$PORT
  fds+=("$fd")
  printf 'hello %d %0200d\n' "$i" 0 >&"$fd"
  read -r -t 2 _ <&"$fd"
done
metric() { sed -n "s/^$1 //p" "$W/m.prom" 2>/dev/null; }
sleep 1.5                       # idle from here on
ts=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
ss -tin "( dport = :$PORT )" >"$W/ss"
s1=$(metric tcpinfo_snapshots_total)
sleep 2.2
s2=$(metric tcpinfo_snapshots_total)
[ -n "$s1" ] && [ "$s1" = "$s2" ]; ok $? "idle connections write no record (snapshots $s1 then $s2)"
[ "$(metric tcpinfo_connections)" = $N ]; ok $? "$N connections tracked"
# past --rotate 3: the next record of connection 1 starts file 00001
printf 'more\n' >&"${fds[0]}"
read -r -t 2 _ <&"${fds[0]}"
sleep 0.3
for fd in "${fds[@]}"; do exec {fd}>&-; done
sleep 1
kill -TERM $TI; wait $TI; rc=$?
[ $rc = 0 ]; ok $? "SIGTERM: clean exit" "$(head -3 "$W/err")"
sleep 0.2

# ------------------------------------------------------------ events
opens=$(grep -c '"Event":"open"' "$W/events"); closes=$(grep -c '"Event":"close"' "$W/events")
[ "$opens" = $N ]; ok $? "$N connections: exactly $N open events ($opens)"
[ "$closes" = $N ]; ok $? "$N connections: exactly $N close events ($closes)"
[ "$(grep -c "\"Dst\":\"[^\"]*:$PORT\"" "$W/events")" = $((2 * N)) ] &&
  [ "$(grep -c "\"Dst\":\"\[::1\]:$PORT\"" "$W/events")" = 2 ]
ok $? "every event is to port $PORT, two over IPv6"

# ------------------------------------------------------------ files
mapfile -t files < <(find "$W/data" -name '*.jsonl.zst' | sort)
[ ${#files[@]} -ge $N ] && ! printf "%s\n" "${files[@]#"$W"/data/}" |
  grep -vqE "^[0-9]{4}/[0-9]{2}/[0-9]{2}/[A-Za-z0-9._-]+_[0-9]+_[0-9A-F]{16}\.[0-9]{5}\.jsonl\.zst$"
ok $? "file names: <dir>/YYYY/MM/DD/<host>_<boot>_<cookie>.<n>.jsonl.zst"
zstd -tq "${files[@]}" 2>/dev/null; ok $? "every file is a whole zstd stream"
uuids=$(printf '%s\n' "${files[@]##*/}" | sed 's/\.[0-9]*\.jsonl\.zst$//' | sort -u)
[ "$(wc -l <<<"$uuids")" = "$N" ]; ok $? "one stream per connection ($(wc -l <<<"$uuids") uuids)"
rot=0 seqok=1 metaok=1
for u in $uuids; do
  fs=$(printf '%s\n' "${files[@]}" | grep "/${u}\.")
  nf=$(wc -l <<<"$fs")
  [ "$nf" -gt 1 ] && rot=$((rot + 1))
  # files numbered 0..nf-1, each opening with Metadata of its number
  i=0
  for f in $fs; do
    [[ $f == *".$(printf %05d $i).jsonl.zst" ]] || metaok=0
    zstd -dc "$f" | head -1 | jq -e --argjson i $i --arg u "$u" \
      '.Metadata.Sequence == $i and .Metadata.UUID == $u' >/dev/null || metaok=0
    i=$((i + 1))
  done
  got=$(for f in $fs; do zstd -dc "$f"; done | jq -r .Seq | tr '\n' ' ')
  want=$(seq 0 $(($(wc -w <<<"$got") - 1)) | tr '\n' ' ')
  [ "$got" = "$want" ] || { seqok=0; echo "# $u: Seq $got"; }
  first=$(zstd -dc "$(head -1 <<<"$fs")" | head -1 | jq -r .Event)
  last=$(zstd -dc "$(tail -1 <<<"$fs")" | tail -1 | jq -r .Event)
  [ "$first" = open ] && [ "$last" = close ] || seqok=0
done
[ $rot -ge 1 ]; ok $? "a connection rotated mid-stream ($rot)"
[ $metaok = 1 ]; ok $? "files numbered 00000.. with Metadata (UUID, Sequence) on each first line"
[ $seqok = 1 ]; ok $? "records' Seq continuous across rotation, open first, close last"

# ------------------------------------------------------------ against ss
# tcp_info (Attributes[2]): rtt at 68, snd_cwnd at 80 (u32), bytes_acked at 120 (u64)
u32() { od -An -tu4 -j"$1" -N4 | tr -d ' '; }
match=0 total=0
while read -r lport acked rtt cwnd; do
  total=$((total + 1))
  src=$(grep "\"Src\":\"[^\"]*:$lport\"" "$W/events" | head -1)
  u=$(jq -r .UUID <<<"$src")
  rec=$(for f in $(printf '%s\n' "${files[@]}" | grep "/${u}\."); do zstd -dc "$f"; done |
    jq -r --arg t "$ts" 'select(.Timestamp < $t and .Attributes != null) | .Attributes[2]' | tail -1)
  [ -n "$rec" ] || { echo "# no snapshot of port $lport"; continue; }
  b=$(base64 -d <<<"$rec" | od -An -tu8 -j120 -N8 | tr -d ' ')
  r=$(base64 -d <<<"$rec" | u32 68)
  c=$(base64 -d <<<"$rec" | u32 80)
  ssr=$(awk -v x="$rtt" 'BEGIN { printf "%d", x * 1000 + 0.5 }')
  d=$((r - ssr)); d=${d#-}
  if [ "$b" = "$acked" ] && [ "$c" = "$cwnd" ] && [ "$d" -le 1 ]; then match=$((match + 1))
  else echo "# port $lport: ss acked=$acked rtt=${ssr}us cwnd=$cwnd; record acked=$b rtt=${r}us cwnd=$c"; fi
done < <(awk '/^ESTAB/ { p = $4; sub(/.*:/, "", p) } /bytes_acked/ {
    acked = rtt = cwnd = ""
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^bytes_acked:/) { sub(/.*:/, "", $i); acked = $i }
      else if ($i ~ /^rtt:/) { sub(/^rtt:/, "", $i); sub(/\/.*/, "", $i); rtt = $i }
      else if ($i ~ /^cwnd:/) { sub(/.*:/, "", $i); cwnd = $i }
    }
    print p, acked, rtt, cwnd }' "$W/ss")
[ $total = $N ] && [ $match = $N ]
ok $? "snapshots match ss -tin (bytes_acked, rtt, cwnd) for $match of $total sockets"
! grep -E "^tcpinfo_errors_total\{kind=\"(poll|bad_message|write|record)\"\} [1-9]" "$W/m.prom"; ok $? "no errors counted"

done_testing
