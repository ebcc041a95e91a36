#!/bin/bash
# t_revoke_race_pg: t_revoke_race on PostgreSQL with two epoxyd instances.
CTL_PG=1 exec "$(dirname "$0")/t_revoke_race.sh"
