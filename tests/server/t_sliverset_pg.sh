#!/bin/bash
# t_sliverset_pg: the whole of t_sliverset.sh (the node's signed sliver
# set, its serial and long poll) on a real PostgreSQL store.
SLIVERSET_PG=1 exec "$(dirname "$0")/t_sliverset.sh"
