#!/bin/bash
# t_priv.sh: epoxy-priv as root in a private network namespace (the "node",
# made here with unshare -n), its clients as other uids (setpriv), each in
# a network namespace of its own (the "slivers"):
#   - a granted open (exact file and beneath a granted directory) hands a
#     read-only descriptor of a root-only file and the client reads its
#     data; the descriptor refuses a write;
#   - refused, each with its own code, on the client and in the log: a path
#     the slice was not granted, a symbolic link (last component and a
#     directory on the way), '..', /run/epoxy, a key in a granted
#     directory, a FIFO, a write open, an unknown uid and root, oversized
#     and malformed requests, sock_diag for a slice without the grant;
#   - a granted sock_diag socket dumps the node's TCP sockets (a listener
#     of the node's namespace is in it, the client's own listener is not);
#   - a client that sends nothing delays nobody and is cut at its deadline;
#     connections past --max-clients are refused;
#   - the socket's mode, an unsafe socket directory, a malformed grants file
#     (serve does not start), a grant of a node secret, SIGHUP re-reading
#     without dropping a connection;
#   - the log has one line per grant and refusal and no file content; the
#     service holds as many descriptors at the end as at the start;
#   - --help, the man page, a guide mention.
# Needs root (unshare -n, setpriv), socat.
. "$(dirname "$0")/../lib/tap.sh"
BIN0=$O/bin/epoxy-priv
if [ -z "${PRIV_NETNS:-}" ]; then
  exec unshare -n env PRIV_NETNS=1 O="$O" bash "$0" "$@"
fi
need socat setpriv ip unshare
need_built "$BIN0"
[ "$(id -u)" = 0 ] || bail "t_priv runs as root"

# a lowercase work directory (epoxy-priv paths are [a-z0-9._-] components)
W=/tmp/epoxy-priv-$$
rm -rf "$W"
mkdir -m 0711 "$W" || bail "mkdir $W"
PIDS=()
priv_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${KEEP:-0}" != 0 ]; then diag "kept $W"; else rm -rf "$W"; fi
}
at_exit priv_cleanup
ip link set lo up

mkdir -m 0711 "$W/bin" "$W/run" "$W/pub" "$W/pub/sub" "$W/outside"
cp "$BIN0" "$W/bin/epoxy-priv" && chmod 0755 "$W/bin/epoxy-priv"
BIN=$W/bin/epoxy-priv S=$W/run/priv.sock LOG=$W/priv.log
SECRET="node-file-content-$RANDOM$RANDOM"
printf '%s hello\n' "$SECRET" >"$W/pub/hello.txt"
printf '%s sub\n' "$SECRET" >"$W/pub/sub/data.txt"
printf '%s outside\n' "$SECRET" >"$W/outside/data.txt"
printf '%s key\n' "$SECRET" >"$W/pub/node.key"
chmod 0600 "$W/pub/hello.txt" "$W/pub/sub/data.txt" "$W/outside/data.txt" "$W/pub/node.key"
ln -s "$W/outside/data.txt" "$W/pub/link"
ln -s "$W/outside" "$W/pub/ldir"
mkfifo -m 0600 "$W/pub/fifo"
U1=61001 U2=61002 U3=61003
cat >"$W/grants" <<EOF
# test grants
slice meas uid $U1
slice web uid $U2
grant meas sock_diag
grant meas dir $W/pub
grant web file $W/pub/hello.txt
grant web file $W/pub/ldir/data.txt
EOF

priv_as() { # UID CMD...: run CMD as UID (no groups) in a network namespace of its own
  local u=$1; shift
  unshare -n setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}
priv_ask() { priv_as "$1" "$BIN" ask --socket "$S" "${@:2}"; }

# ------------------------------------------------------------ usage
out=$("$BIN" --help); rc=$?
[ $rc = 0 ] && grep -q "^usage: epoxy-priv" <<<"$out"; ok $? "--help exits 0 with a usage"
"$BIN" serve --socket "$S" --grants "$W/grants" --max-clients 0 >/dev/null 2>&1
is $? 2 "--max-clients 0 refused with status 2"
"$BIN" serve --socket "$S" --grants "$W/grants" --timeout-ms 0100 >/dev/null 2>&1
is $? 2 "a number with a leading zero refused"
"$BIN" serve --socket "$S" --grants "$W/grants" --access world >/dev/null 2>&1
is $? 2 "--access world refused"
warn=$(groff -man -Tutf8 -ww -z docs/man/epoxy-priv.8 2>&1)
[ -f docs/man/epoxy-priv.8 ] && [ -z "$warn" ]; ok $? "man page formats cleanly" "$warn"
grep -rqw epoxy-priv docs/guide/; ok $? "named in the operator guide"

# ------------------------------------------------------------ grants files
priv_grants_bad() { # NAME TEXT LINE: serve refuses the file with E3201 at LINE
  printf '%s\n' "$2" >"$W/bad.grants"
  "$BIN" serve --socket "$W/run/bad.sock" --grants "$W/bad.grants" >/dev/null 2>"$W/bad.err"
  local rc=$?
  [ $rc = 1 ] && grep -q "EPOXY-E3201 .* line $3:" "$W/bad.err" && [ ! -e "$W/run/bad.sock" ]
  ok $? "grants file refused, serve does not start: $1" "rc=$rc $(cat "$W/bad.err")"
}
priv_grants_bad "grant of /run/epoxy" "slice a uid 5"$'\n'"grant a dir /run/epoxy" 2
priv_grants_bad "grant of a key" "slice a uid 5"$'\n'"grant a file /etc/x/node.key" 2
priv_grants_bad "grant for an undeclared slice" "grant a sock_diag" 1
priv_grants_bad "uid 0" "slice a uid 0" 1
priv_grants_bad "uid of two slices" "slice a uid 5"$'\n'"slice b uid 5" 2
priv_grants_bad "uid with a leading zero" "slice a uid 05" 1
priv_grants_bad "two spaces" "slice a  uid 5" 1
priv_grants_bad "'..' in a grant" "slice a uid 5"$'\n'"grant a dir /tmp/../etc" 2
priv_grants_bad "unknown operation" "slice a uid 5"$'\n'"grant a mount /tmp" 2
"$BIN" check --grants "$W/grants" | grep -q "2 slices, 4 grants"
ok $? "check: the test's grants file has 2 slices and 4 grants"

# ------------------------------------------------------------ the socket
chmod 0777 "$W/run"
"$BIN" serve --socket "$S" --grants "$W/grants" >/dev/null 2>"$W/bad.err"
is $? 1 "a socket directory writable by others: refused"
grep -q "EPOXY-E3202" "$W/bad.err"; ok $? "... with E3202" "$(cat "$W/bad.err")"
chmod 0711 "$W/run"
echo plain >"$S"
"$BIN" serve --socket "$S" --grants "$W/grants" >/dev/null 2>"$W/bad.err"
[ $? = 1 ] && [ "$(cat "$S")" = plain ]; ok $? "a regular file at the socket path: refused and left alone"
rm -f "$S"

# ------------------------------------------------------------ serve
# (the test's namespace is the node's: the service runs in it)
PORT=$(free_port 2) || bail "no free port"
socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" EXEC:cat 2>/dev/null & PIDS+=($!)
"$BIN" serve --socket "$S" --grants "$W/grants" --access all --max-clients 8 \
  --timeout-ms 3000 2>"$LOG" & SRV=$!; PIDS+=("$SRV")
for _ in $(seq 50); do [ -S "$S" ] && break; sleep 0.1; done
[ -S "$S" ] || bail "the service listens on $S" "$(cat "$LOG")"
is "$(stat -c %a "$S")" 666 "--access all: socket mode 0666"
FDS0=$(find "/proc/$SRV/fd" -mindepth 1 | wc -l)
for _ in $(seq 50); do ss -ltnH "( sport = :$PORT )" | grep -q . && break; sleep 0.1; done

# ---- grants
out=$(priv_ask $U1 open "$W/pub/hello.txt" 2>"$W/err"); rc=$?
[ $rc = 0 ] && [ "$out" = "$SECRET hello" ]; ok $? "meas: granted open of a root-only file beneath its dir, data read" "rc=$rc $(cat "$W/err")"
grep -q "read-only descriptor" "$W/err"; ok $? "the descriptor is read-only (a write on it fails with EBADF)" "$(cat "$W/err")"
priv_as $U1 cat "$W/pub/hello.txt" >/dev/null 2>&1; is $? 1 "the same uid cannot open the file itself"
out=$(priv_ask $U1 open "$W/pub/sub/data.txt" 2>"$W/err"); rc=$?
[ $rc = 0 ] && [ "$out" = "$SECRET sub" ]; ok $? "meas: granted open two levels beneath its dir" "rc=$rc $(cat "$W/err")"
out=$(priv_ask $U2 open "$W/pub/hello.txt" 2>"$W/err"); rc=$?
[ $rc = 0 ] && [ "$out" = "$SECRET hello" ]; ok $? "web: granted open of its exact file" "rc=$rc $(cat "$W/err")"

# ---- refusals: NAME UID CODE ASK-ARGS...
priv_refused() {
  local name=$1 u=$2 code=$3 out rc; shift 3
  out=$(priv_ask "$u" "$@" 2>"$W/err"); rc=$?
  [ $rc = 1 ] && [ -z "$out" ] && grep -q "EPOXY-E$code" "$W/err"
  ok $? "$name: refused with E$code" "rc=$rc out=$out $(cat "$W/err")"
}
priv_refused "web: a file beneath meas's dir, not granted to web" $U2 3208 open "$W/pub/sub/data.txt"
priv_refused "meas: a path outside its grants" $U1 3208 open "$W/outside/data.txt"
priv_refused "meas: a symbolic link out of its dir" $U1 3212 open "$W/pub/link"
priv_refused "meas: a path through a linked directory" $U1 3212 open "$W/pub/ldir/data.txt"
priv_refused "web: its granted file, through a linked directory" $U2 3212 open "$W/pub/ldir/data.txt"
priv_refused "meas: '..' out of its dir" $U1 3211 open "$W/pub/../outside/data.txt"
priv_refused "meas: '.' in a path" $U1 3211 open "$W/pub/./hello.txt"
priv_refused "meas: a relative path" $U1 3211 open "pub/hello.txt"
priv_refused "meas: a path with '//'" $U1 3211 open "$W/pub//hello.txt"
priv_refused "meas: /run/epoxy" $U1 3209 open /run/epoxy/handover
priv_refused "meas: a key file inside its granted dir" $U1 3209 open "$W/pub/node.key"
priv_refused "meas: /proc/1/environ" $U1 3209 open /proc/1/environ
priv_refused "meas: a FIFO inside its granted dir" $U1 3214 open "$W/pub/fifo"
priv_refused "meas: a missing file" $U1 3213 open "$W/pub/nothere"
priv_refused "meas: a write open" $U1 3210 --raw "open $W/pub/hello.txt rw"
priv_refused "meas: a write-only open" $U1 3210 --raw "open $W/pub/hello.txt w"
priv_refused "meas: an unknown open mode" $U1 3203 --raw "open $W/pub/hello.txt rx"
priv_refused "an unknown uid" $U3 3207 open "$W/pub/hello.txt"
priv_refused "root is no slice" 0 3207 open "$W/pub/hello.txt"
priv_refused "an unknown uid asking sock_diag" $U3 3207 sock_diag
priv_refused "web: sock_diag without the grant" $U2 3208 sock_diag
priv_refused "an oversized request (400 bytes)" $U1 3204 --raw "open /$(printf 'a%.0s' $(seq 400))"
priv_refused "an unknown verb" $U1 3203 --raw "mount /tmp"
priv_refused "sock_diag with an argument" $U1 3203 --raw "sock_diag x"
priv_refused "an empty request" $U1 3203 --raw ""
priv_refused "two requests in one" $U1 3203 --raw "sock_diag"$'\n'"sock_diag"
priv_refused "a control byte in a path" $U1 3211 --raw "open $W/pub/hello.txt"$'\x01'
priv_refused "upper case in a path" $U1 3211 open "$W/pub/HELLO.txt"

# ---- sock_diag: the node's sockets, not the caller's
out=$(unshare -n bash -c "ip link set lo up; socat TCP-LISTEN:$((PORT + 1)),bind=127.0.0.1 EXEC:cat 2>/dev/null & sleep 0.3
  setpriv --reuid=$U1 --regid=$U1 --clear-groups '$BIN' ask --socket '$S' sock_diag; rc=\$?; kill %1; exit \$rc" 2>"$W/err"); rc=$?
[ $rc = 0 ] && grep -qx "tcp4 LISTEN $PORT" <<<"$out"
ok $? "meas: the granted sock_diag socket dumps the node's listener on $PORT" "rc=$rc $out $(cat "$W/err")"
! grep -q " $((PORT + 1))\$" <<<"$out"
ok $? "... and not the caller's own listener on $((PORT + 1)) (the socket is the node's netns)" "$out"

# ---- deadlines and the cap on clients
# (a silent client's stdin stays open: process substitution, no job to wait for)
socat - UNIX-CONNECT:"$S" >"$W/idle.out" 2>/dev/null < <(sleep 8) & IDLE=$!; PIDS+=("$IDLE")
sleep 0.3
t0=$(date +%s%N)
out=$(priv_ask $U1 open "$W/pub/hello.txt" 2>/dev/null)
t1=$(date +%s%N)
[ "$out" = "$SECRET hello" ] && [ ! -s "$W/idle.out" ]
ok $? "a client that sends nothing delays nobody: answered in $(((t1 - t0) / 1000000)) ms, the silent one still waiting"
for _ in $(seq 50); do [ -s "$W/idle.out" ] && break; sleep 0.1; done
grep -q "refused EPOXY-E3205" "$W/idle.out"; ok $? "the silent client is cut at its deadline with E3205" "$(cat "$W/idle.out")"
kill "$IDLE" 2>/dev/null
HOLD=()
for _ in $(seq 8); do
  socat - UNIX-CONNECT:"$S" >/dev/null 2>&1 < <(sleep 8) & HOLD+=($!); PIDS+=($!)
done
sleep 0.5
priv_refused "a ninth client past --max-clients 8" $U1 3206 open "$W/pub/hello.txt"
kill "${HOLD[@]}" 2>/dev/null
sleep 0.5

# ---- SIGHUP: web gains sock_diag; a malformed file keeps the grants
printf 'grant web sock_diag\n' >>"$W/grants"
kill -HUP "$SRV"; sleep 0.3
priv_ask $U2 sock_diag >/dev/null 2>"$W/err"; ok $? "SIGHUP re-reads the grants: web's new sock_diag grant" "$(cat "$W/err")"
printf 'grant web dir /run/epoxy\n' >>"$W/grants"
# a connection open across the reload keeps its place and gets its answer
(sleep 0.6; printf 'sock_diag\n'; sleep 1) |
  setpriv --reuid=$U2 --regid=$U2 --clear-groups socat - UNIX-CONNECT:"$S" >"$W/hup.out" 2>/dev/null &
HUPC=$!
sleep 0.3; kill -HUP "$SRV"; wait "$HUPC"
is "$(cat "$W/hup.out")" ok "a connection open across a SIGHUP is answered, not dropped"
priv_ask $U2 sock_diag >/dev/null 2>"$W/err"; ok $? "a malformed grants file at SIGHUP: the old grants stay" "$(cat "$W/err")"
grep -q "EPOXY-E3220 $W/grants" "$LOG"; ok $? "... and the log says so (E3220)"

# ---- a grants file renamed into place (as epoxy-nm writes it) is read
# again before the next request is decided, without a SIGHUP
grep -v '/run/epoxy' "$W/grants" >"$W/grants.new"
printf 'grant web dir %s\n' "$W/pub/sub" >>"$W/grants.new"
mv "$W/grants.new" "$W/grants"
priv_ask $U2 open "$W/pub/sub/data.txt" >"$W/out" 2>"$W/err"
ok $? "a changed grants file: web's new dir grant holds at once, no SIGHUP" "$(cat "$W/err")"
grep -q "grants re-read (the file changed)" "$LOG"; ok $? "... and the log says the file changed"

# ------------------------------------------------------------ the log
FDS1=$(find "/proc/$SRV/fd" -mindepth 1 | wc -l)
is "$FDS1" "$FDS0" "no descriptor leaked by the service after $(grep -c '^epoxy-priv: \(grant\|refuse\) ' "$LOG") answers"
kill "$SRV"; wait "$SRV" 2>/dev/null
[ ! -e "$S" ]; ok $? "the socket is removed when the service stops"
! grep -q "$SECRET" "$LOG"; ok $? "the log holds no byte of any file's content"
grep -q "^epoxy-priv: grant uid=$U1 pid=[0-9]* slice=meas op=open path=$W/pub/hello.txt\$" "$LOG"
ok $? "log: the grant of meas's open, with uid, pid, slice and path" "$(head -5 "$LOG")"
grep -q "^epoxy-priv: grant uid=$U1 pid=[0-9]* slice=meas op=sock_diag\$" "$LOG"
ok $? "log: the grant of meas's sock_diag"
for c in 3203 3204 3205 3206 3207 3208 3209 3210 3211 3212 3213 3214; do
  grep -q "^epoxy-priv: refuse EPOXY-E$c uid=" "$LOG"; ok $? "log: a refusal line with E$c"
done
grep -q "^epoxy-priv: refuse EPOXY-E3209 uid=$U1 pid=[0-9]* slice=meas op=open path=/run/epoxy/handover: " "$LOG"
ok $? "log: the /run/epoxy refusal names uid, slice and path"
grep -q "^epoxy-priv: refuse EPOXY-E3207 uid=$U3 pid=[0-9]* slice=- op=open" "$LOG"
ok $? "log: the unknown uid's refusal has no slice"
n_grant=$(grep -c "^epoxy-priv: grant " "$LOG")
n_ref=$(grep -c "^epoxy-priv: refuse " "$LOG")
# (a malformed file is reported at each reload that meets it: at its
# change and again at a SIGHUP that comes after)
n_other=$(grep -cv "^epoxy-priv: \(grant\|refuse\) \|answer not delivered\|grants re-read\|EPOXY-E3201 \|EPOXY-E3220 " "$LOG")
is "$n_other" 1 "log: every line is a grant or a refusal but the start, the reloads and the malformed file's ($n_grant grants, $n_ref refusals)"
done_testing
