#!/bin/bash
# t_package: epoxyd installed and run as a Debian service (issue 12).
#   - dpkg-buildpackage on a clone of HEAD, without network (unshare -n);
#   - lintian on the package: no error (its findings are printed);
#   - systemd-analyze security on the unit: exposure 2.0 or less, and the
#     sandbox the issue asks for is in the unit;
#   - dpkg -i: the epoxy system user, /var/lib/epoxy owned by it,
#     /etc/epoxy/epoxyd.conf a conffile;
#   - epoxyd started through systemd when systemd runs here, otherwise
#     through the unit's own ExecStartPre/ExecStart lines as its User= with
#     its UMask=, no new privileges and no capabilities: it answers
#     /healthz on both listeners, logs with <N> priorities, reloads on
#     SIGHUP (ExecReload);
#   - dpkg -r leaves no epoxyd running; dpkg --purge removes the state.
# Everything it made is removed at the end: package, state, the epoxy user
# (when the test made it), the build; logs stay in $O/test-logs/package-*.
. "$(dirname "$0")/../lib/tap.sh"
ROOT=$PWD
LOGS=$O/test-logs; mkdir -p "$LOGS"

[ "$(id -u)" = 0 ] || bail "t_package runs as root (it installs a package)"
need dpkg-buildpackage dh lintian setpriv systemd-analyze curl
need_built "$O/keys/.stamp"
if dpkg-query -W -f='${Status}' epoxy-server 2>/dev/null | grep -q 'install ok'; then
  fail "epoxy-server not installed before the test" "an install of its own: dpkg --purge epoxy-server"
  done_testing
fi
# package_dpkg LOG ARG...: dpkg ARG..., its output appended to LOG.  A test
# beside this one may be installing what it needs (apt-get, which holds
# dpkg's lock while it runs): wait for the lock as they do (their
# DPkg::Lock::Timeout=300) instead of failing at once.
package_dpkg() {
  local log=$1 out rc t0=$SECONDS; shift
  while :; do
    out=$(dpkg "$@" 2>&1); rc=$?
    printf '%s\n' "$out" >>"$log"
    [ "$rc" != 0 ] && [[ $out == *"locked by another process"* ]] && [ $((SECONDS - t0)) -lt 300 ] || return "$rc"
    echo "# dpkg's lock is held: waiting ($((SECONDS - t0)) s)" >>"$log"
    sleep 2
  done
}
made_user=1; getent passwd epoxy >/dev/null && made_user=0
PORT=$(free_port 2) || bail "two free loopback ports"
tmpdir epoxy-pkg; T=$T_DIR
PID=''
package_cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  rm -f /etc/epoxy/server.crt /etc/epoxy/server.key /etc/epoxy/online.key /etc/epoxy/keyset \
    /etc/epoxy/ca.crt
  dpkg-query -W -f='${Status}' epoxy-server 2>/dev/null | grep -qv 'not-installed' &&
    package_dpkg /dev/null --purge epoxy-server
  if [ "$made_user" = 1 ] && getent passwd epoxy >/dev/null; then
    userdel epoxy 2>/dev/null; getent group epoxy >/dev/null && groupdel epoxy 2>/dev/null
  fi
}
at_exit package_cleanup
trap 'exit 130' INT TERM

# ------------------------------------------------------------ build
git clone -q "$ROOT" "$T/src" || bail "clone of HEAD"
NET=(unshare -n); unshare -n true 2>/dev/null || NET=()
s=$(date +%s)
(cd "$T/src" && "${NET[@]}" dpkg-buildpackage -b -us -uc) >"$LOGS/package-build.log" 2>&1
ok $? "dpkg-buildpackage -b on the tree${NET[*]:+ without network} ($(( $(date +%s) - s )) s)" \
  "see $LOGS/package-build.log"
debs=("$T"/epoxy-server_*.deb); deb=${debs[0]}
[ -f "$deb" ] || bail "epoxy-server .deb built"

lintian -I --tag-display-limit 0 "$deb" >"$LOGS/package-lintian.log" 2>&1
nerr=$(grep -c '^E: ' "$LOGS/package-lintian.log"); nwarn=$(grep -c '^W: ' "$LOGS/package-lintian.log")
ninfo=$(grep -c '^I: ' "$LOGS/package-lintian.log")
grep -E '^[EWI]: ' "$LOGS/package-lintian.log" | sed 's/^/# lintian: /'
ok "$nerr" "lintian: $nerr errors ($nwarn warnings, $ninfo notes)"

unit=$T/src/debian/epoxy-server/lib/systemd/system/epoxyd.service
systemd-analyze security --offline=true --no-pager "$unit" >"$LOGS/package-security.log" 2>&1
score=$(sed -n 's/.*Overall exposure level for epoxyd.service: \([0-9.]*\).*/\1/p' "$LOGS/package-security.log")
echo "# systemd-analyze security: exposure ${score:-?} (0 safest, 10 exposed)"
ok "$(awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'; echo $?)" \
  "systemd-analyze security: exposure ${score:-?} <= 2.0" "see $LOGS/package-security.log"
missing=
for d in User=epoxy StateDirectory=epoxy ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
  NoNewPrivileges=yes CapabilityBoundingSet=CAP_NET_BIND_SERVICE SystemCallFilter=@system-service \
  ExecReload=; do
  grep -q "^$d" "$unit" || missing="$missing $d"
done
ok "$([ -z "$missing" ]; echo $?)" "the unit's sandbox: User, StateDirectory, ProtectSystem=strict ..." \
  "missing:$missing"

# ------------------------------------------------------------ install
: >"$LOGS/package-install.log"
package_dpkg "$LOGS/package-install.log" -i "$deb"
ok $? "dpkg -i" "see $LOGS/package-install.log"
ok "$(getent passwd epoxy | cut -d: -f7 | grep -q nologin; echo $?)" "system user epoxy, no login shell"
ok "$([ "$(stat -c '%U %G %a' /var/lib/epoxy)" = "epoxy epoxy 750" ]; echo $?)" \
  "/var/lib/epoxy owned by epoxy (0750)" "$(stat -c '%U %G %a' /var/lib/epoxy 2>&1)"
ok "$(dpkg-query -W -f='${Conffiles}' epoxy-server | grep -q '/etc/epoxy/epoxyd.conf'; echo $?)" \
  "/etc/epoxy/epoxyd.conf installed as a conffile"

# keys as an operator places them: the TLS key readable by the service's
# group, the online key the service user's own
cp "$O/keys/server.crt" "$O/keys/ca.crt" "$O/keys/keyset" /etc/epoxy/
install -m 0640 -g epoxy "$O/keys/server.key" /etc/epoxy/
install -m 0600 -o epoxy "$O/keys/online.key" /etc/epoxy/   # epoxyd wants it 0600, its own
sed -i "s|^listen_addr .*|listen_addr 127.0.0.1|; s|^https_port .*|https_port $PORT|;
  s|^http_port .*|http_port $((PORT + 1))|" /etc/epoxy/epoxyd.conf
epoxyctl admin init --store sqlite:/var/lib/epoxy/epoxy.db --out "$T/admin.cred" >/dev/null 2>&1 &&
  chown -R epoxy: /var/lib/epoxy
ok $? "store made in /var/lib/epoxy (epoxyctl admin init)"

# ------------------------------------------------------------ run
LOG=$LOGS/package-epoxyd.log; : >"$LOG"
if [ -d /run/systemd/system ]; then
  how=systemd
  systemctl daemon-reload && systemctl start epoxyd
  PID=$(systemctl show -p MainPID --value epoxyd)
else
  how="the unit's ExecStart as User=epoxy"
  key() { sed -n "s/^$1=//p" "/lib/systemd/system/epoxyd.service" | head -1; }
  user=$(key User); umask_=$(key UMask)
  read -r -a pre <<<"$(key ExecStartPre)"; read -r -a start <<<"$(key ExecStart)"
  # what systemd does for this unit that can be done here; exec all the
  # way down, so that $! is epoxyd itself
  as_unit=(setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs --inh-caps=-all
    env -i PATH=/usr/sbin:/usr/bin EPOXYD_LOG_PRIORITY=1)
  (cd / && umask "$umask_" && exec "${as_unit[@]}" "${pre[@]}") >>"$LOG" 2>&1
  ok $? "ExecStartPre (epoxyd -n) as $user" "see $LOG"
  (cd / && umask "$umask_" && exec "${as_unit[@]}" "${start[@]}") >>"$LOG" 2>&1 &
  PID=$!
fi
up=1
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$((PORT + 1))/healthz" >/dev/null 2>&1 && { up=0; break; }
  sleep 0.1
done
ok "$up" "epoxyd started through $how answers /healthz (http)" "see $LOG"
curl -sf --cacert /etc/epoxy/ca.crt --resolve "epoxy.test:$PORT:127.0.0.1" \
  "https://epoxy.test:$PORT/healthz" | grep -qx ok
ok $? "...and over HTTPS with the fleet CA"
ok "$([ "$(ps -o user= -p "$PID" 2>/dev/null)" = epoxy ]; echo $?)" "...running as epoxy"
if [ "$how" != systemd ]; then
  ok "$(grep -cv '^<[0-7]>epoxyd: ' "$LOG")" "every log line has a journald priority prefix" "see $LOG"
fi
kill -HUP "$PID"; sleep 0.5
grep -q 'reloaded the configuration' "$LOG" || [ "$how" = systemd ]
ok $? "SIGHUP (ExecReload): reloaded, still serving: $(curl -s "http://127.0.0.1:$((PORT + 1))/healthz")"

# ------------------------------------------------------------ remove
rm -f /etc/epoxy/server.crt /etc/epoxy/server.key /etc/epoxy/online.key /etc/epoxy/keyset /etc/epoxy/ca.crt
: >"$LOGS/package-remove.log"
package_dpkg "$LOGS/package-remove.log" -r epoxy-server
ok $? "dpkg -r" "see $LOGS/package-remove.log"
for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null; alive=$?
ok "$([ "$alive" != 0 ] && ! pgrep -x epoxyd -u epoxy >/dev/null; echo $?)" "dpkg -r leaves no epoxyd running"
[ "$alive" != 0 ] && PID=
package_dpkg "$LOGS/package-remove.log" --purge epoxy-server
ok "$([ ! -e /var/lib/epoxy ] && [ ! -e /etc/epoxy/epoxyd.conf ]; echo $?)" \
  "dpkg --purge removes /var/lib/epoxy and the configuration"
done_testing
