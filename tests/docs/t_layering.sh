#!/bin/bash
# t_layering.sh: the #include graph keeps the layering of docs/layering.md.
#   - lib/ includes only lib/;
#   - net/, store/ and keys/ include only lib/ and themselves (net/ never
#     stage2/ or server/: the agent's console is injected, not included);
#   - a program folder includes only lib/, net/, store/, keys/ and itself;
#   - no include cycle between files;
#   - no two C modules (file names without the folder) share a name,
#     anywhere in the tree (.c and .h apart);
#   - every static function of a .c file in lib/ store/ server/ ctl/ keys/
#     stage2/ node/ initramfs/ boot/ net/ is named after its file: foo.c's
#     are foo or foo_* (STYLE.md; the rule is in docs/layering.md).
# tests/ and bench/ may include anything.  Known violations are listed
# below with their reason; one that no longer occurs must be removed.
. "$(dirname "$0")/../lib/tap.sh"
res() { if [ -z "$2" ]; then pass "$1"; else fail "$1" "$2"; fi; } # name, what failed

# Known, each with the issue that removes it ("file include").
known=(
)
known_modules=(
)

# (no process per file or per include: this test ran a sed and a subshell
# per file, two $(layer) subshells per include and an awk per .c file,
# 22 CPU-s on a VM where a process start costs ~5 ms)
layer() { # FOLDER: LAYER=0 lib, 1 library, 2 program, 3 test
  case $1 in
    lib) LAYER=0 ;;
    net|store|keys) LAYER=1 ;;
    tests|bench) LAYER=3 ;;
    *) LAYER=2 ;;
  esac
}

mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h')
declare -A tracked=()
for f in "${files[@]}"; do tracked[$f]=1; done
# "file include" for every #include "..." naming a tracked file
# (one sed over all files: F prints the file's name, then the include)
edges=$(sed -sn '/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/{F;s//\1/p}' -- "${files[@]}" |
  paste -d ' ' - - |
  while read -r f inc; do [ -n "${tracked[$inc]:-}" ] && echo "$f $inc"; done)
res "read $(echo "$edges" | wc -l) includes of ${#files[@]} files" \
  "$([ -n "$edges" ] || echo "no include found")"

is_known() { local k; for k in "${known[@]}"; do [ "$k" = "$1" ] && return 0; done; return 1; }

bad=() seen_known=()
while read -r f inc; do
  [ -n "$f" ] || continue
  from=${f%%/*} to=${inc%%/*}
  [ "$from" = "$to" ] && continue
  layer "$from"; lf=$LAYER
  layer "$to"; lt=$LAYER
  [ "$lf" = 3 ] && continue
  if [ "$lt" -lt "$lf" ] && { [ "$lf" != 1 ] || [ "$lt" = 0 ]; }; then continue; fi
  if is_known "$f $inc"; then seen_known+=("$f $inc"); continue; fi
  bad+=("$f includes $inc ($from/ may not include $to/)")
done <<<"$edges"
for l in lib net store keys; do
  v=$(printf '%s\n' "${bad[@]}" | grep "^$l/")
  res "$l/ includes only what its layer may" "$v"
done
v=$(printf '%s\n' "${bad[@]}" | grep -v '^lib/\|^net/\|^store/\|^keys/')
res "no program folder includes another program's folder" "$v"
stale=""
for k in "${known[@]}"; do
  printf '%s\n' "${seen_known[@]}" | grep -qxF "$k" || stale+=" [$k]"
done
res "every known violation still occurs (${#known[@]} listed)" \
  "${stale:+fixed, remove from the list:$stale}"

# include cycles: tsort names the files of a loop on stderr
loop=$(echo "$edges" | tsort 2>&1 >/dev/null | grep -v '^tsort: -: input contains a loop:$' | sed 's/^tsort: //')
res "no include cycle between files" "$(echo "$loop" | tr '\n' ' ' | sed 's/ *$//')"

# module names: each foo.c and each foo.h has one home in the whole tree
dups=$(printf '%s\n' "${files[@]}" | sed 's#.*/##' | sort | uniq -d)
for m in "${known_modules[@]}"; do dups=$(echo "$dups" | grep -vxF "$m"); done
res "no two modules share a name" \
  "$(for d in $dups; do printf '%s\n' "${files[@]}" | grep "/$d\$" | tr '\n' ' '; done)"

# static functions: each named after its file (STYLE.md, docs/layering.md)
cfiles=()
for f in "${files[@]}"; do
  case $f in
    lib/*.c|store/*.c|server/*.c|ctl/*.c|keys/*.c|stage2/*.c|node/*.c|initramfs/*.c|boot/*.c|net/*.c) ;;
    *) continue ;;
  esac
  [ -f "$f" ] && cfiles+=("$f")
done
# one awk over all of them: b, the file's base name, is set at its first line
prefix_bad=$(awk '
    function name(s) { sub(/\(.*/, "", s); sub(/.*[^a-z0-9_]/, "", s); return s }
    function judge(n) { if (n != b && index(n, b "_") != 1) printf "%s:%d %s\n", FILENAME, FNR, n }
    FNR == 1 { b = FILENAME; sub(/.*\//, "", b); sub(/\.c$/, "", b); prev = "" }
    /^static[^=;(]*[a-z0-9_]\(/ { judge(name($0)); prev = ""; next }
    prev != "" && /^[a-z_][a-z0-9_]*\(/ { judge(name($0)) }
    { prev = ($0 ~ /^static[^=;(]*$/) ? $0 : "" }' "${cfiles[@]}")
nbad=$(grep -c . <<<"$prefix_bad")
res "every static function is named after its file (foo.c: foo_*)" \
  "$( [ "$nbad" = 0 ] || echo "$nbad: $(head -20 <<<"$prefix_bad" | tr '\n' ' ')")"

done_testing
