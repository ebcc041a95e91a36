#!/bin/bash
# t_rollout_pg: the whole of t_rollout.sh on a real PostgreSQL store, plus
# two epoxyd sharing it that both advance the rollout.  Its fleet is 300
# hosts (ROLLOUT_HOSTS overrides): t_rollout.sh runs the 1,000-host fleet
# on SQLite; here the point is the store and the two servers, and 300 hosts
# at 100 sites still give every wave, canaries from distinct sites and the
# halt (make check's time: 575 s and 168 CPU seconds at 1,000).
ROLLOUT_PG=1 ROLLOUT_HOSTS=${ROLLOUT_HOSTS:-300} exec "$(dirname "$0")/t_rollout.sh"
