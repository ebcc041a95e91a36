# shellcheck shell=bash
# tests/lib/flip.sh: flip_byte, the one way the shell tests change a byte
# (sourced, bash).
# flip_byte FILE OFFSET: xor the byte at OFFSET with 0x01, in place.  The
# byte always changes, whatever it held (writing a fixed value is a no-op
# when the byte already held it, and a tamper check then passes wrongly).
flip_byte() {
  local f=$1 off=$2 b
  b=$(od -A n -t u1 -j "$off" -N 1 "$f" | tr -d ' ')
  [ -n "$b" ] || { echo "flip_byte: $f has no byte at $off" >&2; return 1; }
  printf '%b' "$(printf '\\%03o' $(( b ^ 1 )))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
