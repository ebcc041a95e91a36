#!/bin/bash
# t_inventory_pg: the whole of t_inventory.sh (the node's inventory, the
# flag on a change, refused reports) on a real PostgreSQL store.
INVENTORY_PG=1 exec "$(dirname "$0")/t_inventory.sh"
