#!/bin/bash
# t_slice_pg: the whole of t_slice.sh (slices and images through epoxyctl
# and a real epoxyd) on a real PostgreSQL store instead of SQLite.
CTL_PG=1 exec "$(dirname "$0")/t_slice.sh"
