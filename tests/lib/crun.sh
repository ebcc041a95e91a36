# shellcheck shell=bash
# tests/lib/crun.sh: crun helpers of the node manager's shell tests
# (sourced after epoxyd.sh or tap.sh; t_nm_run, t_nm_api).
#
# CRUN_ROOT    crun's --root (the node manager's --runtime-root); set it
#              before calling these
# crun_list    the containers' names, sorted, each followed by a space
# crun_pid N   the pid of container N (empty when it has none)
# in_ns CMD... runs CMD (exec) in a private mount namespace whose
#              /sys/fs/cgroup is cgroup2: on this hybrid cgroup host crun
#              then sees a unified hierarchy (t_nm_run.sh says why); run
#              it in a subshell in the background and $! is CMD itself
crun_list() { crun --root "$CRUN_ROOT" list -q 2>/dev/null | sort | tr '\n' ' '; }
crun_pid() { crun --root "$CRUN_ROOT" state "$1" 2>/dev/null | sed -n 's/^ *"pid": \([0-9]*\),$/\1/p'; }
in_ns() { exec unshare -m --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' in_ns "$@"; }
