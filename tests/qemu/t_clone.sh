#!/bin/bash
# t_clone.sh: the README's commands work from any clone (issue 12).
#
# Clones this repository's HEAD into "<tmp>/home/epoxy clone", where home
# is mode 0700 like root's home (so the service user epoxyd drops to
# cannot search it) and the path has a space, with the build directory
# O="<tmp>/home/build dir" outside the clone (a space again), then, there:
# make all images, one QEMU scenario (happy-direct: the default boot path,
# firmware to joined node) and the loopback server
# tests (tests/server/t_*.sh) but CLONE_SKIP.  All must pass.
#
# CLONE_SKIP: what the clone changes is where files are (a 0700 parent, a
# space, O outside the tree), and every server test starts epoxyd, its
# store (SQLite or PostgreSQL), its data dir and its keys from there.  The
# tests left out check logic that no path reaches and are among the
# longest: the rollouts (storm rounds, 220 s) and the rollout page (its own
# storm rounds in Chromium, 55 s; t_page runs there), the slow-client guard and
# the refusals and pre-body checks of hostile requests (120 s), the crash
# rounds (47 s), the token refusals and the boot-storm shedding (replays,
# expiry and token buckets: 31 s and 23 CPU-s; t_session still proves a
# token opens a session from the clone), the S3 archive (Swift runs from
# the test's own temporary directory, not from the clone: 94 s) and the
# PostgreSQL twins of tests whose SQLite run stays (t_pg starts PostgreSQL
# from the clone's paths);
# they run in the parent's tree in the same make check.
#
# The stage1 kernel is not rebuilt (15 min or more): the parent build's
# $O/stage1 (hard links; every small file and stamp copied) and $O/keys
# (the kernel embeds their kexec certificate) seed the clone's build dir,
# and the Debian sources of $O/src spare the network.  That is valid only
# when the clone's kernel inputs are the ones the parent's kernel was
# built from, which is checked first.  Everything made is removed at the
# end; the logs are kept in $O/test-logs/clone-*.log.
. "$(dirname "$0")/../lib/tap.sh"
ROOT=$PWD
LOGS=$O/test-logs; mkdir -p "$LOGS"

[ "$(id -u)" = 0 ] || bail "t_clone runs as root (as the README's user does)"
for f in "$O/keys/.stamp" "$O/stage1/kbuild/.stamp" "$O/stage1/kernel/.stamp" \
  "$O/src/mbedtls/.epoxy-fetched"; do
  [ -f "$f" ] || bail "parent build complete" "$f missing (make images)"
done

tmpdir epoxy-clone; BASE=$T_DIR
chmod 0755 "$BASE"
# the space-free link make used for O (scripts/o-link.sh)
at_exit rm -f "/tmp/epoxy-o-$(printf '%s' "$BASE/home/build dir" | sha256sum | cut -c1-16)"
trap 'exit 130' INT TERM
mkdir -m 0700 "$BASE/home"
C="$BASE/home/epoxy clone"
CO="$BASE/home/build dir"

t0=$(date +%s)
if git clone -q "$ROOT" "$C" 2>"$LOGS/clone-git.log"; then
  pass "clone of HEAD under a 0700 parent, at a path with a space"
else
  bail "clone of HEAD" "see $LOGS/clone-git.log"
fi
runuser -u nobody -- test -x "$BASE/home" 2>/dev/null && fail "nobody cannot search the clone's parent"
# the kernel's inputs must be the ones the parent's kernel came from
for f in stage1/kernel-minimal.config stage1/build-kernel.sh; do
  cmp -s "$C/$f" "$ROOT/$f" ||
    bail "seed: $f as in the parent build" "differs: run make images in $ROOT first"
done
# own copies of the small files and stamps (the clone's build may rewrite
# them; a rewrite through a hard link would change the parent's)
own_copy() {
  local f
  while IFS= read -r -d '' f; do
    cp -p "$f" "$f.copy" && mv -f "$f.copy" "$f" || return 1
  done < <(find "$@" -maxdepth 2 -type f -print0)
}
mkdir -p "$CO"
stamps() { # the parent's stamps and mtimes that its images' make compares
  stat -c '%n %Y' "$O/keys/.stamp" "$O/stage1/kbuild/.stamp" "$O/stage1/kernel/.stamp" \
    "$O/stage1/source-package" "$O/musl/mbedtls/.built" 2>&1
}
pstamps=$(stamps)
# the kernel's build time is that of the last commit of its inputs
# (stage1/images.mk): a parent built before that commit has the same
# kernel but for its time stamp, which the seed then takes for the clone's
kepoch=$(git -C "$C" log -1 --format=%ct -- stage1/kernel-minimal.config stage1/build-kernel.sh)
kpkg=$(cut -d' ' -f1 "$O/stage1/source-package")
if cp -al "$O/keys" "$O/stage1" "$O/src" "$CO/" && own_copy "$CO/stage1" "$CO/keys" &&
   echo "$kpkg $kepoch" >"$CO/stage1/source-package" &&
   touch "$CO/stage1/kernel/.stamp" && touch "$CO/stage1/kbuild/.stamp"; then
  pass "build dir seeded with the parent's keys, stage1 kernel and sources"
else
  bail "build dir seeded"
fi
# the agent's musl build of mbedTLS (2-4 min) comes from the same Debian
# source and stage2/mbedtls_config.h: seeded too when that file is the
# parent's, and marked newer than the clone's checkout
if [ -f "$O/musl/mbedtls/.built" ] && cmp -s "$C/stage2/mbedtls_config.h" stage2/mbedtls_config.h; then
  # (.built is the clone's own copy before it is touched: through the hard
  # link the touch made the parent's musl objects older than its mbedTLS,
  # and the parent's next make rebuilt them and every image)
  if mkdir -p "$CO/musl" && cp -al "$O/musl/mbedtls" "$CO/musl/" &&
     rm -f "$CO/musl/mbedtls/.built" && cp -p "$O/musl/mbedtls/.built" "$CO/musl/mbedtls/.built" &&
     touch "$CO/musl/mbedtls/.built"; then
    pass "build dir seeded with the parent's musl mbedTLS"
  else
    bail "build dir seeded with the parent's musl mbedTLS"
  fi
fi

s=$(date +%s); kmtime=$(stat -c %Y "$CO/stage1/kbuild/bzImage")
if (cd "$C" && make -j2 O="$CO" all images) >"$LOGS/clone-make.log" 2>&1; then
  pass "make all images in the clone, O outside it, with a space too ($(( $(date +%s) - s )) s)"
else
  bail "make all images in the clone" "see $LOGS/clone-make.log"
fi
[ "$(stat -c %Y "$CO/stage1/kbuild/bzImage")" = "$kmtime" ] ||
  fail "no kernel rebuilt" "see $LOGS/clone-make.log"
# the seed is hard links: the clone's build must not have changed what the
# parent's make compares (the parent's next make would rebuild every image)
is "$(stamps)" "$pstamps" "the parent's build stamps untouched by the clone's build"

s=$(date +%s)
(cd "$C" && O="$CO" QEMU_PORT_BASE=18470 tests/qemu/run-scenario tests/qemu/scenarios/happy-direct.scn) \
  >"$LOGS/clone-qemu.log" 2>&1
rc=$?
p=$(grep -c '^ok ' "$LOGS/clone-qemu.log"); f=$(grep -c '^not ok ' "$LOGS/clone-qemu.log")
if [ "$rc" = 0 ] && [ "$f" = 0 ] && [ "$p" -gt 0 ]; then
  pass "QEMU scenario happy-direct in the clone: $p checks passed ($(( $(date +%s) - s )) s)"
else
  fail "QEMU scenario happy-direct in the clone ($p passed, $f failed, exit $rc)" "see $LOGS/clone-qemu.log"
  grep '^not ok' "$LOGS/clone-qemu.log" | head -5 | sed 's/^/#   /'
fi

s=$(date +%s)
CLONE_SKIP='^server/t_(rollout|rollout_pg|page_rollout|slow|refuse|prebody|crash|tokens|storm|archive_s3|nodeid_pg|experiment_pg|sliverset_pg|inventory_pg)$'
(cd "$C" && O="$CO" TESTS_ONLY=script TESTS_MATCH='^server/' TESTS_EXCLUDE="$CLONE_SKIP" tests/run.sh) \
  >"$LOGS/clone-server.log" 2>&1
rc=$?
sum=$(tail -1 "$LOGS/clone-server.log")
if [ "$rc" = 0 ] && [[ $sum =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then
  pass "loopback server tests in the clone: $sum ($(( $(date +%s) - s )) s)"
else
  fail "loopback server tests in the clone: $sum" "see $LOGS/clone-server.log"
  grep -E 'FAIL|^ +not ok' "$LOGS/clone-server.log" | head -8 | sed 's/^/#   /'
fi
echo "# t_clone: $(( $(date +%s) - t0 )) s"
done_testing
