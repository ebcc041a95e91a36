#!/bin/bash
# t_cli: epoxyd's command line: -n on the shipped example config, errors
# with file:line and code, -o overrides, -p round trip, --help, exit codes.
. "$(dirname "$0")/../lib/epoxyd.sh"
E=$BIN/epoxyd
# -n opens every file the configuration names and checks it as the
# service user: the shipped example, pointed at this test's files
epoxyd_setup >/dev/null || bail "set-up"
OVR=(-o "tls_cert=$T_DIR/pki/server.crt" -o "tls_key=$T_DIR/pki/server.key"
  -o "store=sqlite:$DB" -o "data_dir=$DATA" -o "boot_dir=$BOOT"
  -o "online_key=$KEYS/online.key" -o "keyset=$KEYS/keyset" -o user=nobody)
"$E" -n -c server/epoxyd.conf.example "${OVR[@]}" 2>"$T_DIR/err"; is "$?" 0 "-n accepts server/epoxyd.conf.example"
printf 'https_port 8443\nhttps_prot 1\n' >"$T_DIR/bad.conf"
"$E" -n -c "$T_DIR/bad.conf" 2>"$T_DIR/err"; is "$?" 1 "-n refuses an unknown key (exit 1)"
grep -q "bad.conf:2: EPOXY-E2302 unknown config key" "$T_DIR/err"; ok $? "...naming file, line and code"
printf 'https_port 8443\nhttps_port 9443\n' >"$T_DIR/dup.conf"
"$E" -n -c "$T_DIR/dup.conf" 2>"$T_DIR/err"; is "$?" 1 "-n refuses a repeated key"
grep -q 'EPOXY-E2304' "$T_DIR/err"; ok $? "...as EPOXY-E2304"
"$E" -n -c server/epoxyd.conf.example -o rate_burst=0 2>"$T_DIR/err"; is "$?" 1 "-o value out of range refused"
"$E" -n -c server/epoxyd.conf.example -o tls_cert=/c -o http_port=8443 2>"$T_DIR/err"; is "$?" 1 "cross-field rule: ports must differ"
grep -q 'http_port' "$T_DIR/err"; ok $? "...names the key"
"$E" -n -c "$T_DIR/missing.conf" 2>"$T_DIR/err"; is "$?" 1 "missing config file"
grep -q 'EPOXY-E2300' "$T_DIR/err"; ok $? "...as EPOXY-E2300"
"$E" -p -c server/epoxyd.conf.example >"$T_DIR/printed.conf"; is "$?" 0 "-p prints the effective config"
"$E" -n -c "$T_DIR/printed.conf" "${OVR[@]}" 2>/dev/null; is "$?" 0 "the printed config is itself valid"
is "$("$E" -p -c "$T_DIR/printed.conf" | md5sum)" "$(md5sum <"$T_DIR/printed.conf")" "-p round trip is stable"
"$E" --help >"$T_DIR/help"; is "$?" 0 "--help exits 0"
grep -q '^usage: epoxyd' "$T_DIR/help" && grep -q -- '-n ' "$T_DIR/help"; ok $? "--help shows usage and -n"
"$E" --bogus 2>/dev/null; is "$?" 2 "unknown option: exit 2"
"$E" --version | grep -q '^epoxyd '; ok $? "--version"
# a second epoxyd on the same ports: exit 1 with EPOXY-E2310 (no
# SO_REUSEPORT: two servers never silently share a port)
epoxyd_start || bail "first epoxyd"
timeout 10 "$E" -c "$T_DIR/epoxyd.conf" 2>"$T_DIR/err"; rc=$?
is "$rc" 1 "port in use: exit 1"
grep -q 'EPOXY-E2310' "$T_DIR/err"; ok $? "...with EPOXY-E2310"
is "$(hp /healthz)" ok "the first epoxyd keeps serving"
done_testing
