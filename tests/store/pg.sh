#!/bin/bash
# pg.sh: a throw-away PostgreSQL 15 server for tests and benchmarks.
#
#   tests/store/pg.sh start DIR [PORT]   initdb DIR/data, start it, create db
#                                        "epoxy"; prints the libpq conninfo
#                                        (use as store URI "postgres:<conninfo>")
#   tests/store/pg.sh conninfo DIR       prints the conninfo again
#   tests/store/pg.sh createdb DIR NAME  creates another database; prints its
#                                        conninfo
#   tests/store/pg.sh crash DIR          immediate stop (no checkpoint: like a
#                                        crash, WAL recovery at start), start again
#   tests/store/pg.sh stop DIR           fast shutdown, then removes DIR
#
# The server listens only on a unix socket inside DIR (no TCP), so runs in
# parallel never collide; PORT (default 15432, range 15432-15439) names the
# socket.  Runs as root: the server itself runs as user postgres (runuser).
# Durability settings are PostgreSQL's defaults (fsync, synchronous_commit on).
set -eu
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}; dir=${2:-}
{ [ -n "$cmd" ] && [ -n "$dir" ]; } || { sed -n '2,17p' "$0" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
conninfo() { echo "host=$dir port=$(cat "$dir/port") dbname=epoxy user=epoxy"; }
pg_start() {
  as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $(cat "$dir/port") -c max_connections=60" \
    start >/dev/null || { tail -5 "$dir/server.log" >&2; exit 1; }
}

case $cmd in
start)
  port=${3:-15432}
  [ -x "$BIN/initdb" ] || { echo "pg.sh: $BIN/initdb missing: apt-get install postgresql-15" >&2; exit 1; }
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 0755 "$dir"
  as_pg test -x "$dir" || { echo "pg.sh: user postgres cannot reach $dir (a parent dir is private)" >&2; exit 1; }
  echo "$port" >"$dir/port.tmp"; mv "$dir/port.tmp" "$dir/port"
  as_pg "$BIN/initdb" -D "$dir/data" -U epoxy --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { tail -5 "$dir/initdb.log" >&2; exit 1; }
  pg_start
  as_pg "$BIN/createdb" -h "$dir" -p "$port" -U epoxy epoxy
  conninfo
  ;;
crash)
  dir=$(cd "$dir" && pwd)
  as_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  pg_start
  ;;
conninfo) dir=$(cd "$dir" && pwd); conninfo ;;
createdb)
  dir=$(cd "$dir" && pwd); name=${3:?database name}
  as_pg "$BIN/createdb" -h "$dir" -p "$(cat "$dir/port")" -U epoxy "$name"
  conninfo | sed "s/dbname=epoxy/dbname=$name/"
  ;;
stop)
  if [ -d "$dir/data" ]; then as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  ;;
*) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
