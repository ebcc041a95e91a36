#!/bin/bash
# t_nodeid_pg: t_nodeid on a PostgreSQL store.
NODEID_PG=1 exec "$(dirname "$0")/t_nodeid.sh"
