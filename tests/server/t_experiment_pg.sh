#!/bin/bash
# t_experiment_pg: the whole of t_experiment.sh (experiments and archived data
# through epoxyctl and a real epoxyd) on a real PostgreSQL store instead of SQLite.
EXP_PG=1 exec "$(dirname "$0")/t_experiment.sh"
