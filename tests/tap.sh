# shellcheck shell=bash
# tap.sh: the TAP helpers of the shell tests (sourced, bash), so that one
# test reads like another: ok NAME, nok NAME [DETAIL], finish (the plan
# line, then exit non-zero when anything failed).  n counts the checks,
# failed is 1 after any nok.  (The older folders still have their own
# dialects: issue 11 point 5 moves them here.)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "#   $2"; }
finish() { echo "1..$n"; exit "$failed"; }
