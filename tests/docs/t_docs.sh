#!/bin/bash
# t_docs.sh: the documentation keeps up with the code.
#   - every operator program answers --help (exit 0, a usage line on stdout)
#     and has a man page in docs/man that groff formats without a warning,
#     and a mention in the operator guide;
#   - every boot-chain code of lib/errors.def (1000-1599, the codes a node
#     prints on its console) is explained in docs/guide/60-console-codes.md,
#     by itself ("E1201") or inside a range ("E1110-E1116", "E1400 .. E1403");
#   - every code the guide names exists in the registry (no stale codes);
#   - every code of the registry lies in one of the ranges its header
#     declares, and is raised somewhere (its EPX_ name in a source file, or
#     its number in a boot script that runs where no epoxy program does) or
#     marked "reserved:" (kept so that its number is never reused);
#   - no C file prints a literal "EPOXY-E<digits>": codes are printed
#     through the registry (epx_code(), http_resp_fail()).
# Fails naming the program or the code.
. "$(dirname "$0")/../lib/tap.sh"

# ------------------------------------------------------------ programs
# name, how to run it, man page
progs=(
  "epoxyd|$O/bin/epoxyd|docs/man/epoxyd.8"
  "epoxyctl|$O/bin/epoxyctl|docs/man/epoxyctl.1"
  "epoxy-agent|$O/bin/epoxy-agent|docs/man/epoxy-agent.8"
  "epoxy-keys|$O/bin/epoxy-keys|docs/man/epoxy-keys.1"
  "epoxy-mkinitramfs|$O/bin/epoxy-mkinitramfs|docs/man/epoxy-mkinitramfs.1"
  "epoxy-mkvars|$O/bin/epoxy-mkvars|docs/man/epoxy-mkvars.1"
  "epoxy-pki|keys/epoxy-pki|docs/man/epoxy-pki.1"
  "store-bench|$O/bin/store-bench|docs/man/store-bench.1"
  "epoxy-tcpinfo|$O/bin/epoxy-tcpinfo|docs/man/epoxy-tcpinfo.8"
  "epoxy-nm|$O/bin/epoxy-nm|docs/man/epoxy-nm.8"
  "epoxy-priv|$O/bin/epoxy-priv|docs/man/epoxy-priv.8"
  "epoxy-pusher|$O/bin/epoxy-pusher|docs/man/epoxy-pusher.8"
  "epoxy-watch|initramfs/watch.sh|docs/man/epoxy-watch.8"
)
for p in "${progs[@]}"; do
  IFS='|' read -r name bin man <<<"$p"
  if [ ! -x "$bin" ]; then fail "$name: program built" "$bin missing"; continue; fi
  out=$("$bin" --help 2>/dev/null); rc=$?
  if [ "$rc" = 0 ] && grep -qi 'usage' <<<"$out"; then pass "$name --help: exit 0 with a usage"
  else fail "$name --help: exit 0 with a usage" "exit $rc"; fi
  if [ ! -f "$man" ]; then fail "$name: man page" "$man missing"; continue; fi
  warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
  if [ -z "$warn" ]; then pass "$name: man page $man formats cleanly"
  else fail "$name: man page $man formats cleanly" "$(head -3 <<<"$warn" | tr '\n' ' ')"; fi
  if grep -rqw -- "$name" docs/guide/; then pass "$name: named in the operator guide"
  else fail "$name: named in the operator guide"; fi
done

# ------------------------------------------------------------ console codes
# (the lists below are bash arrays, looked up without a process: a grep
# per code over the sources and one per code of each list took most of
# this test's 25 CPU-s on a VM where a process start costs ~5 ms)
in_list() { local w=$1 k; shift; for k; do [ "$k" = "$w" ] && return 0; done; return 1; } # WORD LIST...
guide=docs/guide/60-console-codes.md
codes=$(sed -n 's/^EPX_ERR([A-Z0-9_]*, *\([0-9]*\),.*/\1/p' lib/errors.def | sort -n)
[ -n "$codes" ]; ok $? "registry read ($(wc -w <<<"$codes") codes)"
declare -A is_code=()
for c in $codes; do is_code[$c]=1; done
# documented single codes and ranges of the guide
singles=$(grep -o 'E[0-9]\{4\}' "$guide" | tr -d E | sort -un)
declare -A is_single=()
for c in $singles; do is_single[$c]=1; done
ranges=$(grep -o 'E[0-9]\{4\} *\(-\|\.\.\|–\) *E[0-9]\{4\}' "$guide" | tr -dc '0-9\n ' |
  awk '{ gsub(/ +/, " "); print }' | sed 's/^\([0-9]\{4\}\) *\([0-9]\{4\}\)$/\1 \2/')
covered() {
  local c=$1 a b
  [ -n "${is_single[$c]:-}" ] && return 0
  while read -r a b; do
    [ -n "$a" ] && [ -n "$b" ] && [ "$c" -ge "$a" ] && [ "$c" -le "$b" ] && return 0
  done <<<"$ranges"
  return 1
}
missing=""
for c in $codes; do
  { [ "$c" -ge 1000 ] && [ "$c" -lt 1600 ]; } || continue
  covered "$c" || missing="$missing E$c"
done
[ -z "$missing" ]; ok $? "every boot-chain code (1000-1599) is explained in $guide" "missing:$missing"
# codes named alone (range bounds such as "E2000 .. E2499" name no code)
alone=$(sed 's/E[0-9]\{4\} *\(-\|\.\.\|–\) *E[0-9]\{4\}//g' "$guide" | grep -o 'E[0-9]\{4\}' | tr -d E | sort -un)
stale=""
for c in $alone; do [ -n "${is_code[$c]:-}" ] || stale="$stale E$c"; done
[ -z "$stale" ]; ok $? "every code named in $guide exists in lib/errors.def" "unknown:$stale"

# ------------------------------------------------------------ the registry
# ranges declared in the header ("  1000-1099 lib: ...")
declared=$(sed -n '1,/\*\//s/^ \*   \([0-9]\{4\}\)-\([0-9]\{4\}\) .*/\1 \2/p' lib/errors.def)
outside=""
for c in $codes; do
  in=0
  while read -r a b; do [ "$c" -ge "$a" ] && [ "$c" -le "$b" ] && in=1; done <<<"$declared"
  [ "$in" = 1 ] || outside="$outside E$c"
done
[ -n "$declared" ] && [ -z "$outside" ]; ok $? "every code lies in a declared range ($(wc -l <<<"$declared") ranges)" "outside:$outside"

# where a code may be raised: sources and boot scripts, not tests, docs or
# the registry itself
mapfile -t src < <(git ls-files --cached --others --exclude-standard |
  grep -v '^tests/\|^bench/\|^docs/\|^lib/errors\.def$\|^lib/err\.[ch]$' |
  grep -E '\.(c|h|sh|in)$|^keys/epoxy-pki$')
# raised by work in flight, each with its issue; one that is raised (or
# gone) must leave the list
pending=(
)
# every EPX_ name and EPOXY-E code the sources name, read once: the words
# `grep -w` finds (a word character is [A-Za-z0-9_]; the one before the
# word, if any, is matched too and dropped: it is never an E)
declare -A named=()
while IFS= read -r w; do
  [[ $w == E* ]] || w=${w:1}
  named[$w]=1
done < <(grep -ahoE '(^|[^A-Za-z0-9_])(EPX_|EPOXY-E)[A-Za-z0-9_]*' -- "${src[@]}")
unused="" stale_pending=""
while read -r name num text; do
  [[ $text == '"reserved:'* ]] && continue
  if [ -n "${named[EPX_$name]:-}" ] || [ -n "${named[EPOXY-E$num]:-}" ]; then
    in_list "$name" "${pending[@]}" && stale_pending="$stale_pending $name"
    continue
  fi
  in_list "$name" "${pending[@]}" && continue
  unused="$unused E$num($name)"
done < <(sed -n 's/^EPX_ERR(\([A-Z0-9_]*\), *\([0-9]*\), *[0-9]*, \(.*\))$/\1 \2 \3/p' lib/errors.def)
[ -z "$unused" ]; ok $? "every code is raised somewhere or marked reserved" "neither:$unused"
[ -z "$stale_pending" ]; ok $? "every pending code is still unraised (${#pending[@]} listed)" "raised now, remove from the list:$stale_pending"

# literal codes in C: printed only through the registry.  A known one
# names the file and the issue that removes it; one that is gone must
# leave the list.
known_literal=(
)
csrc=()
for f in "${src[@]}"; do case $f in *.[ch]) csrc+=("$f") ;; esac; done
# (comments may show the form of a code: one-line /* */ comments are cut
# and comment lines skipped first; one awk over all the files)
lit=$(awk '{ gsub(/\/\*.*\*\//, "") }
  /^[[:space:]]*(\*|\/\*)/ { next }
  /"[^"]*EPOXY-E[0-9]/ { print FILENAME; nextfile }' "${csrc[@]}")
bad="" stale_lit=""
for f in $lit; do printf '%s\n' "${known_literal[@]}" | grep -qx "$f" || bad="$bad $f"; done
for f in "${known_literal[@]}"; do grep -qx "$f" <<<"$lit" || stale_lit="$stale_lit $f"; done
[ -z "$bad" ]; ok $? "no C file prints a literal EPOXY-E code" "literal in:$bad"
[ -z "$stale_lit" ]; ok $? "every file of the literal list still has one (${#known_literal[@]} listed)" "fixed, remove:$stale_lit"

done_testing
