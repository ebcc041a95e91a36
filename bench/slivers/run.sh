#!/bin/bash
# bench/slivers/run.sh [NODES]: epoxyd serving sliver sets to NODES
# (default 5000, BENCH_SLIVER_NODES) simulated nodes long-polling at once
# (issue 14), on loopback, one run:
#  1. a fleet of NODES hosts (epoxyd-seed fleet) joins for real through
#     epoxyd-storm's join mode (session, join credential, CSR, node
#     certificate, heartbeat: each host `joined`); the certificates are
#     kept (STORM_CERT_DIR), all for one fleet key; every host is put in
#     node group "fleet" (SQL on the store: one statement, not NODES admin
#     calls);
#  2. epoxyd-pollers (bench/slivers/pollers.c: OpenSSL on one epoll loop)
#     opens one keep-alive mutual-TLS connection per node (at most 64
#     handshakes at a time), each from its
#     own loopback address 127.2.x.y (epoxyd's per-address limits see a
#     fleet, not one client); each node fetches its set, then long-polls
#     (If-None-Match, ?wait=25) at once and again after every answer, as
#     epoxy-nm does; for each of BENCH_SLIVER_ROUNDS rounds (default 3),
#     once the polls are held, one admin change that reaches every node
#     runs: round 1 `epoxyctl slice add-nodes web --group fleet`, then
#     `epoxyctl slice set web mem_max=...`; each node's first new set is
#     timed from the moment epoxyctl returned (the change committed);
#  3. epoxyd's RSS: idle, with every poll held, peak during the answers
#     (sampled every 100 ms), and its VmHWM at the end.
# epoxyd runs the test configuration (tests/lib/epoxyd.sh: 2 threads, the
# per-address rate limit lifted) with one override: max_connections=NODES
# + 1000 (default 1024); every other limit is the default (HOLD_MAX 8192
# held polls).  A figure, never an assertion.  Output: stdout and
# $O/bench/slivers.txt.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-$PWD/build}; export O
NODES=${1:-5000}
ROUNDS=${BENCH_SLIVER_ROUNDS:-3}
. tests/lib/epoxyd.sh >/dev/null
need_built "$BIN/epoxyd-storm" "$BIN/epoxyd-pollers" "$BIN/epoxyctl" "$O/keys/node-ca.crt"
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((NODES + 200)) ] || bail "open files: $(ulimit -n) is too few for $NODES nodes"
epoxyd_setup >/dev/null || bail "epoxyd set-up failed"
node_ca || bail "node CA"
"$BIN/epoxyd-seed" admin "$STORE" ops "$T_DIR/admin.cred" >/dev/null || bail "admin"
"$BIN/epoxyd-seed" fleet "$STORE" "$NODES" "$T_DIR/fleet" >/dev/null || bail "fleet"
epoxyd_start -o max_connections=$((NODES + 1000)) || bail "epoxyd did not start"
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
export HOME=$T_DIR/home
unset EPOXY_CONFIG

openssl ecparam -name prime256v1 -genkey -noout -out "$T_DIR/fleet.key" 2>/dev/null
mkdir -p "$T_DIR/certs"
t0=$(date +%s)
STORM_CERT_DIR=$T_DIR/certs "$BIN/epoxyd-storm" "$T_DIR/fleet" "$HTTPS_PORT" "$CA_CRT" 16 "$NODES" 0.05 \
  join "$T_DIR/fleet.key" 7 0 >"$T_DIR/join.out" 2>"$T_DIR/join.err"
joined=$(grep -c ' joined$' "$T_DIR/join.out")
echo "join: $joined of $NODES hosts joined in $(( $(date +%s) - t0 )) s (epoxyd-storm join, 16 threads)"
[ "$joined" = "$NODES" ] || bail "not every host joined" "$(tail -3 "$T_DIR/join.err")"
sql "UPDATE hosts SET node_groups = 'fleet'" >/dev/null || bail "group"
ctl() { "$BIN/epoxyctl" "$@" >"$T_DIR/ctl.out" 2>&1 || { cat "$T_DIR/ctl.out"; return 1; }; }
head -c 4096 /dev/urandom >"$T_DIR/rootfs.tar"
ctl image publish "$T_DIR/rootfs.tar" --name img || bail "image"
ctl site add lab || bail "site"
ctl slice create web --site lab --image "sha256:$(sha256sum "$T_DIR/rootfs.tar" | cut -d' ' -f1)" \
  --entry '/bin/true' --days 2 || bail "slice"
cat >"$T_DIR/change" <<EOC
#!/bin/sh
# round \$1: a change that reaches every node
if [ "\$1" = 1 ]; then exec "$BIN/epoxyctl" slice add-nodes web --group fleet >/dev/null
else exec "$BIN/epoxyctl" slice set web mem_max=\$((\$1 * 1000000)) >/dev/null; fi
EOC
chmod +x "$T_DIR/change"
"$BIN/epoxyd-pollers" "$T_DIR/fleet" "$T_DIR/certs" "$T_DIR/fleet.key" "$HTTPS_PORT" "$CA_CRT" 25 \
  "$ROUNDS" "$SRV_PID" "\"$T_DIR/change\" \"\$1\"" 2>"$T_DIR/pollers.err" | tee "$T_DIR/pollers.out"
rc=${PIPESTATUS[0]}
[ -s "$T_DIR/pollers.err" ] && { echo "pollers' errors (first lines):"; head -5 "$T_DIR/pollers.err"; }
refused=$(grep -c ' 503 \| -> 503' "$T_DIR/epoxyd.log" 2>/dev/null)
echo "epoxyd log: $refused lines with 503"
mkdir -p "$O/bench"
{ echo "nodes: $NODES, rounds: $ROUNDS, epoxyd threads 2, max_connections $((NODES + 1000))"
  cat "$T_DIR/pollers.out"; } >"$O/bench/slivers.txt"
epoxyd_stop
exit "$rc"
