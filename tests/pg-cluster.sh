#!/bin/sh
# Starts or stops the throwaway PostgreSQL cluster of the test suite (Unix socket only).
#   pg-cluster.sh start|stop DIR [PGBIN]
set -eu
action=$1
dir=$2
pgbin=${3:-/usr/lib/postgresql/15/bin}
data=$dir/data
sock=$dir/socket
port=54329
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $action in
start)
    if [ -f "$data/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$data" "$sock"
    chmod 700 "$data"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
    as_pg "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log"; exit 1; }
    as_pg "$pgbin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
        -o "-k $sock -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start
    echo "PostgreSQL ready at $sock port $port"
    ;;
stop)
    if [ -f "$data/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w -t 30 stop
    fi
    # The server's log outlives the cluster (DIR.log), for a failing suite's report.
    [ -f "$data/server.log" ] && cp "$data/server.log" "$dir.log"
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR [PGBIN]" >&2
    exit 2
    ;;
esac
