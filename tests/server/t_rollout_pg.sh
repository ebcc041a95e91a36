#!/bin/bash
# t_rollout_pg: the whole of t_rollout.sh on a real PostgreSQL store, plus
# two epoxyd sharing it that both advance the rollout.
ROLLOUT_PG=1 exec "$(dirname "$0")/t_rollout.sh"
