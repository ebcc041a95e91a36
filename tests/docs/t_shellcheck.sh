#!/bin/bash
# t_shellcheck.sh: every tracked shell script passes shellcheck, and the
# shell tests share one library (issue 11 point 5).
#   - the scripts: every file git tracks that is named *.sh or whose first
#     line is a sh/bash shebang (keys/epoxy-pki, tests/qemu/run-scenario,
#     the debian/ maintainer scripts, .ci/run ...); one TAP line per file,
#     its findings below it.  Project-wide choices are in .shellcheckrc,
#     each with its reason; an intended finding is annotated where it is
#     (# shellcheck disable=SCxxxx # reason);
#   - at least one of each kind named above is in the list (a broken
#     listing must not pass by checking nothing);
#   - no shell function is defined twice under tests/: shared helpers live
#     in tests/lib/, a folder's lib.sh holds only that folder's own.
. "$(dirname "$0")/../lib/tap.sh"
need shellcheck git

# ------------------------------------------------------------ the list
is_shell() { # FILE: named *.sh, or a sh/bash/dash shebang
  case $1 in *.sh) return 0 ;; esac
  head -n 1 -- "$1" 2>/dev/null | grep -qE '^#![[:space:]]*/(usr/)?bin/(env[[:space:]]+)?(ba|da)?sh([[:space:]]|$)'
}
files=()
while IFS= read -r f; do
  [ -f "$f" ] && is_shell "$f" && files+=("$f")
done < <(git ls-files)
missing=""
for f in keys/epoxy-pki tests/qemu/run-scenario debian/epoxy-server.postinst .ci/run \
         tests/lib/tap.sh; do
  printf '%s\n' "${files[@]}" | grep -qxF "$f" || missing+=" $f"
done
[ -z "$missing" ] && [ ${#files[@]} -ge 50 ]
ok $? "${#files[@]} tracked shell scripts listed" "not listed:${missing:- (none)}"

# ------------------------------------------------------------ shellcheck
# one run over all of them (sourced libraries are parsed once per script
# either way); its gcc-style lines are "file:line:col: level: text [SCxxxx]"
out=$(shellcheck -f gcc -- "${files[@]}" 2>&1)
findings=0
for f in "${files[@]}"; do
  mine=$(awk -v p="$f:" 'index($0, p) == 1' <<<"$out")
  if [ -z "$mine" ]; then pass "shellcheck $f"
  else
    fail "shellcheck $f" "$mine"; findings=$((findings + $(wc -l <<<"$mine")))
  fi
done
diag "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): $findings findings in ${#files[@]} files"

# ------------------------------------------------------------ one library
# "name file" for every function definition in a shell file under tests/
defs=$(for f in "${files[@]}"; do
  case $f in tests/*) ;; *) continue ;; esac
  sed -nE 's/^[[:space:]]*(function[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(\)[[:space:]]*\{?.*/\2/p' "$f" |
    sed "s|\$| $f|"
done)
twice=$(awk '{n[$1]++; w[$1] = w[$1] " " $2} END {for (k in n) if (n[k] > 1) print k ":" w[k]}' <<<"$defs" | sort)
[ -z "$twice" ]
ok $? "no shell function is defined twice under tests/ ($(wc -l <<<"$defs") definitions)" "$twice"
done_testing
