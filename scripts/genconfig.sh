#!/bin/sh
# genconfig.sh CONFIG OUTDIR: turn a Kconfig .config into
#   OUTDIR/include/epoxy_config.h  every symbol defined: bools 0/1 as
#                                  CONFIG_X and ENABLE_X, ints, strings
#   OUTDIR/config.mk               the same for make
# and refuse configurations that cannot be built.
set -eu
cfg=$1; out=$2
mkdir -p "$out/include"
h=$out/include/epoxy_config.h.tmp; mk=$out/config.mk.tmp
{
  echo "/* generated from $cfg by scripts/genconfig.sh: do not edit */"
  echo "#ifndef EPOXY_CONFIG_H"; echo "#define EPOXY_CONFIG_H"
} >"$h"
: >"$mk"
# every symbol Kconfig declares, so unset ones are defined 0 too
syms=$(grep -h '^config ' Kconfig ./*/Kconfig 2>/dev/null | awk '{print $2}' | sort -u)
for s in $syms; do
  line=$(grep -E "^(CONFIG_$s=|# CONFIG_$s is not set)" "$cfg" || true)
  case $line in
    "CONFIG_$s=y") v=1 ;;
    "CONFIG_$s=\""*) v=${line#"CONFIG_$s="} ;;
    "CONFIG_$s="*) v=${line#"CONFIG_$s="} ;;
    *) v=0 ;;
  esac
  case $v in
    \"*) echo "#define CONFIG_$s $v" >>"$h"
         v2=${v#\"}; echo "CONFIG_$s := ${v2%\"}" >>"$mk" ;;
    *) echo "#define CONFIG_$s $v" >>"$h"
       case $line in "CONFIG_$s=y"|"# CONFIG_$s is not set"|"") echo "#define ENABLE_$s $v" >>"$h";; esac
       echo "CONFIG_$s := $v" >>"$mk" ;;
  esac
done
echo "#endif" >>"$h"

# impossible configurations fail here with a clear message
val() { sed -n "s/^CONFIG_$1 := //p" "$mk"; }
fail() { echo "config error: $*" >&2; rm -f "$h" "$mk"; exit 1; }
[ "$(val FIRMWARE_UEFI)" = 1 ] || [ "$(val FIRMWARE_BIOS)" = 1 ] ||
  fail "neither FIRMWARE_UEFI nor FIRMWARE_BIOS is enabled: nodes could not boot"
[ "$(val STORE_DEFAULT_POSTGRES)" = 1 ] && [ "$(val STORE_BACKEND_POSTGRES)" != 1 ] &&
  fail "STORE_DEFAULT_POSTGRES needs STORE_BACKEND_POSTGRES"
name=$(val SERVER_NAME)
case $name in
  ''|*[!a-z0-9.-]*) fail "SERVER_NAME '$name' must be a DNS name (a-z 0-9 . -)";;
esac
echo "$name" | grep -Eq '^[0-9.]+$' &&
  fail "SERVER_NAME '$name' is an IP address; mbedTLS 2.28 matches DNS names only"
[ -z "$(val KERNEL_SOURCE_PACKAGE)" ] &&
  fail "KERNEL_SOURCE_PACKAGE is empty (the stage1 kernel is built from it)"
[ -z "$(val KERNEL_PACKAGE)" ] &&
  fail "KERNEL_PACKAGE is empty (the production kernel)"
{ cmp -s "$h" "$out/include/epoxy_config.h" 2>/dev/null && rm -f "$h"; } || mv "$h" "$out/include/epoxy_config.h"
mv "$mk" "$out/config.mk"
