#!/bin/bash
# t_measure: /bin/measure (node/measure/measure.sh), the measurement
# slice's entry, with the image's BusyBox applets alone on PATH (the
# links stage1/measure-image.sh makes) and stand-ins for epoxy-tcpinfo
# and epoxy-pusher, as an unprivileged uid.  It checks the start order:
# the pusher starts only once epoxy-tcpinfo wrote its metrics in this
# run (a file of an earlier run does not count); epoxy-tcpinfo that
# exits first or does not come up within MEASURE_UP_WAIT ends measure
# with a clear error and the tail of its log, and no pusher; a bad
# MEASURE_UP_WAIT is a usage error; SIGTERM stops both and measure ends;
# a pusher that dies while both run ends measure with its status and
# epoxy-tcpinfo is stopped.
# The real services in the real sliver: tests/qemu/run-measure.
. "$(dirname "$0")/../lib/tap.sh"
need setpriv
SETPRIV=$(command -v setpriv)
[ -x /bin/busybox ] || bail "/bin/busybox is needed (package busybox-static)"
tmpdir t_measure
chmod 0755 "$T_DIR"
B=$T_DIR/bin R=$T_DIR/out C=$T_DIR/certs
mkdir -p "$B" "$R" "$C"
for a in sh mkdir sleep id cat ls kill rm tail; do ln -s /bin/busybox "$B/$a"; done
install -m 0755 node/measure/measure.sh "$B/measure"
echo cert >"$C/archive.crt"
echo key >"$C/archive.key"
chmod 0644 "$C"/*

# the stand-ins: STUB_TCPINFO says how epoxy-tcpinfo behaves (up: its
# metrics after 1 s; dead: exits 3 at once; mute: never writes them);
# the pusher notes whether epoxy-tcpinfo's metrics existed when it began
cat >"$B/epoxy-tcpinfo" <<EOF
#!$B/sh
m=
while [ \$# -gt 0 ]; do [ "\$1" = -M ] && m=\$2; shift; done
trap 'echo term >$R/tcpinfo-term; exit 0' TERM
echo "tcpinfo: starting (\$STUB_TCPINFO)" >&2
case \$STUB_TCPINFO in
dead) echo "tcpinfo: boom: netlink refused" >&2; exit 3;;
up) sleep 1; echo "epoxy_tcpinfo_up 1" >"\$m";;
esac
while :; do sleep 0.1; done
EOF
cat >"$B/epoxy-pusher" <<EOF
#!$B/sh
m=
while [ \$# -gt 0 ]; do [ "\$1" = --metrics ] && m=\$2; shift; done
if [ -s $R/metrics/tcpinfo.prom ]; then echo yes; else echo no; fi >$R/pusher-started
echo "epoxy_pusher_up 1" >"\$m"
trap 'exit 0' TERM
[ "\$STUB_PUSHER" = die ] && { sleep 2; echo "pusher: boom" >&2; exit 4; }
while :; do sleep 0.1; done
EOF
chmod 0755 "$B"/epoxy-*

measure_run() { # MODE WAIT [PUSHER]: measure as nobody, in the background (pid in MP)
  rm -rf "$R" && mkdir -p "$R/metrics" && chmod 0777 "$R" "$R/metrics"
  # what an earlier run left: stale metrics and a stale ready
  echo "epoxy_tcpinfo_up 1" >"$R/metrics/tcpinfo.prom"
  echo stale >"$R/ready"
  chmod 0666 "$R/metrics/tcpinfo.prom" "$R/ready"
  env -i PATH="$B" EPOXY_PRIV=/run/epoxy-priv/sock EPOXY_HOST=node1 STUB_TCPINFO="$1" \
    STUB_PUSHER="${3:-}" MEASURE_UP_WAIT="$2" MEASURE_ROOT="$R" MEASURE_CERTS="$C" \
    "$SETPRIV" --reuid=65534 --regid=65534 --clear-groups "$B/sh" "$B/measure" \
    https://epoxy.test:4443 >"$T_DIR/stdout" 2>"$T_DIR/stderr" &
  MP=$!
}
measure_end() { # SECONDS: measure's exit status (124: still running then)
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    kill -0 "$MP" 2>/dev/null || { wait "$MP"; return; }
    sleep 0.1
  done
  kill -KILL "$MP" 2>/dev/null; wait "$MP" 2>/dev/null; measure_stop; return 124
}
# the stand-ins a measure that did not end left behind (this test's own)
measure_stop() { pkill -KILL -f "^$B/sh $B/epoxy-" 2>/dev/null || true; }
at_exit measure_stop

# ---- up: the pusher after epoxy-tcpinfo's metrics of this run
measure_run up 10
for ((i = 0; i < 100; i++)); do
  [ "$(cat "$R/ready" 2>/dev/null)" = up ] && [ -e "$R/pusher-started" ] && break
  sleep 0.1
done
is "$(cat "$R/pusher-started" 2>/dev/null)" yes \
  "the pusher starts only once epoxy-tcpinfo wrote its metrics (not an earlier run's)"
is "$(cat "$R/ready" 2>/dev/null)" up "ready says up once both run"
kill -TERM "$MP"
measure_end 10
ok "$(($? == 124))" "SIGTERM stops both services and measure ends"
is "$(cat "$R/tcpinfo-term" 2>/dev/null)" term "...epoxy-tcpinfo got SIGTERM"

# ---- the pusher dies while both run: measure ends, epoxy-tcpinfo stopped
measure_run up 10 die
measure_end 15
is "$?" 4 "the pusher exits 4 while epoxy-tcpinfo runs: measure exits with its status"
is "$(cat "$R/tcpinfo-term" 2>/dev/null)" term "...epoxy-tcpinfo is stopped"

# ---- dead: epoxy-tcpinfo exits before it is up
measure_run dead 10
measure_end 10
is "$?" 3 "epoxy-tcpinfo exits first: measure exits with its status"
check "...and says so" grep -q "epoxy-tcpinfo exited with status 3 before it was up" "$T_DIR/stderr"
check "...with the end of its log" grep -q "boom: netlink refused" "$T_DIR/stderr"
check "...and the pusher is not started" not test -e "$R/pusher-started"
check "...and no ready left (an earlier run's is removed)" not test -e "$R/ready"

# ---- mute: never up within MEASURE_UP_WAIT
start=$SECONDS
measure_run mute 1
measure_end 15
is "$?" 1 "epoxy-tcpinfo not up within MEASURE_UP_WAIT=1: measure exits 1"
ok "$((SECONDS - start <= 6 ? 0 : 1))" "...within a bounded wait ($((SECONDS - start)) s)"
check "...and says so" grep -q "epoxy-tcpinfo not up after 1 s" "$T_DIR/stderr"
check "...with the end of its log" grep -q "tcpinfo: starting (mute)" "$T_DIR/stderr"
is "$(cat "$R/tcpinfo-term" 2>/dev/null)" term "...epoxy-tcpinfo is stopped"
check "...and the pusher is not started" not test -e "$R/pusher-started"

# ---- a wait that is not a number
measure_run up x
measure_end 10
is "$?" 2 "MEASURE_UP_WAIT=x: a usage error (exit 2)"
check "...named" grep -q "MEASURE_UP_WAIT 'x' is not a number" "$T_DIR/stderr"
done_testing
