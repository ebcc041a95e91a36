# shellcheck shell=bash
# tests/lib/tap.sh: the one TAP library of the shell tests (sourced, bash).
#
# Guarantees, to every tests/*/t_*.sh and to tests/run.sh which sums them:
#   - each check prints exactly one "ok N - NAME" or "not ok N - NAME" line,
#     its detail on "#   " lines below it; done_testing prints the plan
#     "1..N" and exits 1 when any check failed, else 0;
#   - a skip is never a pass: skip prints "not ok" unless the environment
#     sets EPOXY_TEST_ALLOW_SKIP=1, and then "ok N - NAME # SKIP REASON",
#     which tests/run.sh counts as skipped, not passed;
#   - a missing tool or build output (need, need_built) is a failure that
#     names it, never a skip;
#   - the cleanups given to at_exit run once, newest first, on every exit
#     path; tmpdir's directory goes last, and stays when KEEP=1.
# Sourcing it sets -u, moves to the top of the tree and defaults O to
# ./build, so a test reads the same wherever it is started from.
#
# Checks         pass NAME | fail NAME [DETAIL] | ok STATUS NAME [DETAIL]
#                is GOT WANT NAME | check NAME CMD [ARG...] | skip NAME REASON
# Flow           diag TEXT... | bail NAME [DETAIL] | done_testing
#                not CMD [ARG...] (check NAME not CMD: CMD must fail)
# Process        tmpdir PREFIX | at_exit CMD [ARG...] | need CMD... |
#                need_built FILE... | quiet CMD... | port_free PORT | free_port [N]
#                apt_need [--no-recommends] WHAT=PKG... (Debian packages)
# TAP_PREFIX is put in front of every NAME (run-scenario: "scenario: ").
# tests/lib/epoxyd.sh adds a real epoxyd; tests/README.md shows a test.

set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
O=${O:-$PWD/build}; export O
TAP_N=0 TAP_FAILED=0 TAP_PREFIX=${TAP_PREFIX:-}
TAP_AT_EXIT=()

# ------------------------------------------------------------ checks
pass() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $TAP_PREFIX$1"; }
fail() { # NAME [DETAIL]: one failed check; DETAIL (any lines) as diagnostics
  TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
  echo "not ok $TAP_N - $TAP_PREFIX$1"
  if [ -n "${2:-}" ]; then tap_prefix '#   ' "$2"; fi
  return 0
}
tap_prefix() { # PREFIX TEXT: each line of TEXT after PREFIX (no process started)
  local l
  while IFS= read -r l || [ -n "$l" ]; do printf '%s%s\n' "$1" "$l"; done <<<"$2"
}
ok() { # STATUS NAME [DETAIL]: passes when STATUS is 0 (cmd; ok $? NAME)
  if [ "$1" = 0 ]; then pass "$2"; else fail "$2" "${3:-}"; return 1; fi
}
is() { # GOT WANT NAME
  if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got '$1', want '$2'"; return 1; fi
}
check() { # NAME CMD [ARG...]: runs CMD, passes when it exits 0
  local tap_name=$1; shift
  if "$@"; then pass "$tap_name"; else fail "$tap_name"; return 1; fi
}
not() { ! "$@"; }
skip() { # NAME REASON: a failure, unless EPOXY_TEST_ALLOW_SKIP=1
  if [ "${EPOXY_TEST_ALLOW_SKIP:-0}" = 1 ]; then
    TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $TAP_PREFIX$1 # SKIP $2"
  else
    fail "$1" "not run: $2 (EPOXY_TEST_ALLOW_SKIP=1 would count it as skipped)"
  fi
}

# ------------------------------------------------------------ flow
diag() { tap_prefix '# ' "$*"; }
done_testing() { echo "1..$TAP_N"; [ "$TAP_FAILED" = 0 ] && exit 0; exit 1; }
bail() { fail "$@"; done_testing; } # NAME [DETAIL]: a failed set-up ends the test

# ------------------------------------------------------------ process
at_exit() { TAP_AT_EXIT+=("$(printf '%q ' "$@")"); } # CMD [ARG...], as given now
tap_at_exit_run() {
  local i
  for ((i = ${#TAP_AT_EXIT[@]} - 1; i >= 0; i--)); do eval "${TAP_AT_EXIT[i]}"; done
  TAP_AT_EXIT=()
}
trap tap_at_exit_run EXIT
tmpdir() { # PREFIX: a new directory in T_DIR, removed at exit unless KEEP=1
  # shellcheck disable=SC2034 # T_DIR is for the test that sources this file
  T_DIR=$(mktemp -d "/tmp/$1.XXXXXX") || bail "mktemp -d /tmp/$1.XXXXXX"
  at_exit tmpdir_remove "$T_DIR"
}
tmpdir_remove() { if [ "${KEEP:-0}" != 0 ]; then diag "kept $1"; else rm -rf "$1"; fi; }
need() { # CMD...: each is installed, or the test ends failing
  local c
  for c; do command -v "$c" >/dev/null || bail "$c is needed (make deps installs it)"; done
}
# apt_need [--no-recommends] WHAT=PKG...: installs, in one apt-get call, the
# Debian package PKG of each WHAT that is missing, or the test ends failing
# (never skips).  WHAT is a command on PATH; /bin/busybox, a static one
# (busybox-static); any other absolute path, a file; dpkg:NAME, the
# installed package NAME.  apt-get waits up to 300 s for dpkg's lock, held
# by a test beside this one installing its own; its output goes to
# $T_DIR/apt.log (or /tmp/apt-PID.log before tmpdir).
apt_need() {
  local want='' w p log=/tmp/apt-$$.log recs=()
  [ -z "${T_DIR:-}" ] || log=$T_DIR/apt.log
  if [ "${1:-}" = --no-recommends ]; then recs=(--no-install-recommends); shift; fi
  for w; do
    p=${w#*=} w=${w%%=*}
    case $w in
      /bin/busybox) file -L /bin/busybox 2>/dev/null | grep -q statically && continue ;;
      /*) [ -e "$w" ] && continue ;;
      dpkg:*) dpkg-query -W -f='${Status}' "${w#dpkg:}" 2>/dev/null |
                grep -q 'install ok installed' && continue ;;
      *) command -v "$w" >/dev/null && continue ;;
    esac
    case " $want " in *" $p "*) ;; *) want="$want $p" ;; esac
  done
  [ -n "$want" ] || return 0
  diag "installing$want"
  # shellcheck disable=SC2086 # a list of package names, split on purpose
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
    ${recs[@]+"${recs[@]}"} $want >"$log" 2>&1 ||
    bail "apt-get install$want" "$(tail -n 5 "$log")"
}
need_built() { # FILE...: each build output exists, or the test ends failing
  local f
  for f; do [ -e "$f" ] || bail "$f not built (make O=$O check builds it)"; done
}
quiet() { "$@" >/dev/null 2>&1; }
pid_gone() { # PID [TENTHS]: 0 once PID has ended (gone, or a zombie no one
  # reaped yet), polled every 0.1 s up to TENTHS times (default 30)
  local i st
  for ((i = 0; i < ${2:-30}; i++)); do
    st=''; read -r st 2>/dev/null <"/proc/$1/stat"; st=${st##*) }; st=${st%% *}
    { [ -z "$st" ] || [ "$st" = Z ]; } && return 0
    sleep 0.1
  done
  return 1
}
port_free() { ! ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q .; }
# EPOXY_PORT_SLOT=S (tests/run.sh gives each test running at once its
# own): free_port draws from 20000 + 2000 * (S mod 6) + [0, 1900), else
# from [20000, 32000), below the kernel's ephemeral range
free_port() { # [N]: prints P with P .. P+N-1 (default 2) free on loopback
  local n=${1:-2} p i _
  command -v ss >/dev/null || { echo "free_port: ss missing (package iproute2)" >&2; return 1; }
  for _ in $(seq 200); do
    if [ -n "${EPOXY_PORT_SLOT:-}" ]; then p=$((20000 + 2000 * (EPOXY_PORT_SLOT % 6) + RANDOM % 1900))
    else p=$((20000 + RANDOM % 12000)); fi
    for ((i = 0; i < n; i++)); do port_free $((p + i)) || continue 2; done
    echo "$p"; return 0
  done
  return 1
}
