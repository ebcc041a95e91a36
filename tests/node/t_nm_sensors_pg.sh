#!/bin/bash
# t_nm_sensors_pg: the whole of t_nm_sensors.sh (the sensors, the heartbeat
# snapshot and epoxyctl sliver list) on a real PostgreSQL store.
SENSORS_PG=1 exec "$(dirname "$0")/t_nm_sensors.sh"
