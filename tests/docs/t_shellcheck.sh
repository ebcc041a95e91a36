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
# (bash reads each first line itself: a head and a grep for each of the
# ~1,700 tracked files cost 35 CPU-s, a third of this test)
is_shell() { # FILE: named *.sh, or a sh/bash/dash shebang
  case $1 in *.sh) return 0 ;; esac
  local first='' re='^#![[:space:]]*/(usr/)?bin/(env[[:space:]]+)?(ba|da)?sh([[:space:]]|$)'
  { IFS= read -r -n 512 first <"$1"; } 2>/dev/null
  [[ $first =~ $re ]]
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
# (a ":" in a name would make the "file:..." lines of shellcheck and grep
# below ambiguous)
colon=""
for f in "${files[@]}"; do case $f in *:*) colon+=" $f" ;; esac; done
[ -z "$missing" ] && [ -z "$colon" ] && [ ${#files[@]} -ge 50 ]
ok $? "${#files[@]} tracked shell scripts listed" \
  "not listed:${missing:- (none)}; a \":\" in the name:${colon:- (none)}"

# ------------------------------------------------------------ shellcheck
# one run over all of them (sourced libraries are parsed once per script
# either way); its gcc-style lines are "file:line:col: level: text [SCxxxx]",
# sorted to their files here without a process per file; a line that
# names no listed file (shellcheck's own error) fails
out=$(shellcheck -f gcc -- "${files[@]}" 2>&1)
declare -A found=()
for f in "${files[@]}"; do found[$f]=''; done
stray=''
while IFS= read -r line; do
  [ -n "$line" ] || continue
  f=${line%%:*}
  if [ -n "${found[$f]+set}" ]; then found[$f]+=$line$'\n'; else stray+=$line$'\n'; fi
done <<<"$out"
findings=0
for f in "${files[@]}"; do
  mine=${found[$f]%$'\n'}
  if [ -z "$mine" ]; then pass "shellcheck $f"
  else
    lines=${found[$f]//[!$'\n']/}
    fail "shellcheck $f" "$mine"; findings=$((findings + ${#lines}))
  fi
done
[ -z "$stray" ]
ok $? "every line of shellcheck's output names a listed file" "${stray%$'\n'}"
diag "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): $findings findings in ${#files[@]} files"

# ------------------------------------------------------------ one library
# "name file" for every function definition in a shell file under tests/
# (one grep and one sed over all of them; grep -H puts "file:" in front of
# each line, and no listed name has a ":": the first check)
tfiles=()
for f in "${files[@]}"; do case $f in tests/*) tfiles+=("$f") ;; esac; done
defs=$(grep -aH '' -- "${tfiles[@]}" |
  sed -nE 's/^([^:]*):[[:space:]]*(function[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(\)[[:space:]]*\{?.*/\3 \1/p')
twice=$(awk '{n[$1]++; w[$1] = w[$1] " " $2} END {for (k in n) if (n[k] > 1) print k ":" w[k]}' <<<"$defs" | sort)
[ -z "$twice" ]
ok $? "no shell function is defined twice under tests/ ($(wc -l <<<"$defs") definitions)" "$twice"
done_testing
