#!/bin/sh
# Checkout throughput (POST /orders from prepared carts, manual payment) at 64 connections on
# mercato-server with 2 workers: on SQLite, and on PostgreSQL when a URL of an EMPTY database
# is given: 24,000 customers with a one-line cart over 20 products of 1,080 units (2,400 must be
# refused). Prints orders/s, latency p50/p99 and oversold units (must be 0).
#   bench/checkout.sh [BUILD_DIR] [POSTGRESQL_URL]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
pg=${2:-}
server=$build/app/mercato-server
bench=$build/bench/bench-checkout
[ -x "$server" ] && [ -x "$bench" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
port=18182
secret=$(head -c 32 /dev/urandom | base64)

run() { # label, database URL
    MERCATO_DATABASE=$2 MERCATO_DATA_DIR=$tmp/data MERCATO_LISTEN=127.0.0.1:$port MERCATO_WORKERS=2 \
        MERCATO_JWT_SECRET=$secret MERCATO_AUTH_RATE_LIMIT=0 MERCATO_MAX_CONNECTIONS_PER_CLIENT=1024 \
        "$server" >"$tmp/server-$1.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    echo "== $1"
    "$bench" --database "$2" --jwt-secret "$secret" --port $port --connections 64 --customers 24000 --stock 1080 || status=1
    kill -TERM $pid; wait $pid 2>/dev/null || true
    pid=
}

status=0
run sqlite "sqlite:$tmp/bench.db"
[ -n "$pg" ] && run postgresql "$pg"
exit $status
