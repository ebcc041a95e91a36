#!/bin/bash
# t_ctl_pg: the whole of t_ctl.sh (every epoxyctl command against a real
# epoxyd) on a real PostgreSQL store instead of SQLite.
CTL_PG=1 exec "$(dirname "$0")/t_ctl.sh"
