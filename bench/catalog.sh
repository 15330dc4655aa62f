#!/bin/sh
# Catalog reads under wrk (-t2 -c64): `GET /api/v1/products?limit=20` (first page, newest) and
# `?limit=20&q=lantern` (full-text, relevance; one product in 40 matches) on mercato-server
# (2 workers) with 10k and 1M products on SQLite and 10k on PostgreSQL, and the bare QHttpServer
# hello route in the same run (the ceiling the issue's ratios refer to). The catalogue is seeded
# by bench-catalog-seed through the model's bulk import (not timed by wrk; seeding time shown).
# PostgreSQL: a private throwaway cluster (tests/pg-cluster.sh) unless a URL of an EMPTY
# database is given. The table goes between the catalog markers of bench/README.md.
#   bench/catalog.sh [BUILD_DIR] [SECONDS] [POSTGRESQL_URL]
#   MERCATO_BENCH_BIG=1000000 (size of the big SQLite catalogue), MERCATO_BENCH_PG=0 to skip PG,
#   MERCATO_BENCH_BIG_URL=sqlite:FILE to use a big catalogue seeded before by bench-catalog-seed.
# Each URL is measured twice: the same request over and over (answers the server's read cache
# keeps), and with a different maxPriceCents each time (every request a new query).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${2:-10}
pgurl=${3:-}
big=${MERCATO_BENCH_BIG:-1000000}
server=$build/app/mercato-server
hello=$build/bench/bench-hello-qhttpserver
seed=$build/bench/bench-catalog-seed
for b in "$server" "$hello" "$seed"; do
    [ -x "$b" ] || { echo "build first: cmake --build $build ($b missing)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
pgdir=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$pgdir" ] && tests/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
port=18183
secret=$(head -c 32 /dev/urandom | base64)

wait_up() {
    for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "the server did not start" >&2
    return 1
}

# wrk on one URL: "requests/s|p99|errors". With a second argument "vary", every request adds
# a different maxPriceCents above every price (same rows, same work, a different query), so no
# answer comes from the server's read cache.
load() {
    script=
    if [ "${2:-}" = vary ]; then
        script="$tmp/vary.lua"
        printf '%s\n' 'request = function()' \
            '  return wrk.format("GET", wrk.path .. "&maxPriceCents=" .. math.random(200000, 100000000))' \
            'end' >"$script"
        set -- "$1" -s "$script"
    else
        set -- "$1"
    fi
    wrk -t2 -c64 -d2s "$@" >/dev/null 2>&1 # warm-up
    out=$(wrk -t2 -c64 -d"${duration}s" --latency "$@")
    rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    echo "$rps|$p99|${errors:-none}"
}

ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }

"$hello" $port >"$tmp/hello.log" 2>&1 &
pid=$!
wait_up
h=$(load "http://127.0.0.1:$port/healthz")
kill -TERM $pid; wait $pid 2>/dev/null || true
pid=
hrps=${h%%|*}
rows="| bare QHttpServer hello (1 thread) | – | \`/healthz\` | $hrps | $(echo "$h" | cut -d'|' -f2) | 1.00 | $(echo "$h" | cut -d'|' -f3) |"

run() { # label, database URL, products[, "seeded" when the URL holds a seeded catalogue]
    label=$1 url=$2 n=$3
    if [ "${4:-}" = seeded ]; then
        seeded="seeded before"
    else
        seeded=$("$seed" --database "$url" --products "$n" 2>"$tmp/seed.log" | awk '/seeded/ {print $(NF-1) " s to seed"}')
        [ -n "$seeded" ] || { cat "$tmp/seed.log" >&2; exit 1; }
    fi
    MERCATO_DATABASE=$url MERCATO_DATA_DIR=$tmp/data MERCATO_LISTEN=127.0.0.1:$port MERCATO_WORKERS=2 \
        MERCATO_JWT_SECRET=$secret MERCATO_AUTH_RATE_LIMIT=0 MERCATO_MAX_CONNECTIONS_PER_CLIENT=1024 \
        "$server" >"$tmp/server.log" 2>&1 &
    pid=$!
    wait_up
    for path in "/api/v1/products?limit=20" "/api/v1/products?limit=20&q=lantern"; do
        curl -fs "http://127.0.0.1:$port$path" | grep -q '"items":\[{' \
            || { echo "$label: $path returned no products" >&2; exit 1; }
        for mode in same vary; do
            r=$(load "http://127.0.0.1:$port$path" $mode)
            rps=${r%%|*}
            shown=$path
            [ $mode = vary ] && shown="$path&maxPriceCents=(random)"
            rows="$rows
| $label ($seeded) | $n | \`$shown\` | $rps | $(echo "$r" | cut -d'|' -f2) | $(ratio "$rps" "$hrps") | $(echo "$r" | cut -d'|' -f3) |"
        done
    done
    kill -TERM $pid; wait $pid 2>/dev/null || true
    pid=
    rm -rf "$tmp/data"
}

run "SQLite" "sqlite:$tmp/small.db" 10000
if [ -n "${MERCATO_BENCH_BIG_URL:-}" ]; then # a catalogue of $big products seeded earlier
    run "SQLite" "$MERCATO_BENCH_BIG_URL" "$big" seeded
else
    run "SQLite" "sqlite:$tmp/big.db" "$big"
    rm -f "$tmp/big.db"*
fi
if [ "${MERCATO_BENCH_PG:-1}" != 0 ]; then
    if [ -z "$pgurl" ]; then
        chmod 755 "$tmp" # the cluster runs as postgres when this runs as root
        pgdir=$tmp/pg
        tests/pg-cluster.sh start "$pgdir" >/dev/null
        psql -h "$pgdir/socket" -p 54329 -U postgres -qc "CREATE DATABASE catalog_bench" postgres
        pgurl="postgresql://postgres@/catalog_bench?host=$pgdir/socket&port=54329"
    fi
    run "PostgreSQL" "$pgurl" 10000
fi

results="<!-- catalog:start -->
Run on $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD) on $(nproc) cores ($(uname -m)),
load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c64 -d${duration}s over
loopback on the same machine; mercato-server with 2 workers. Ratio: requests/s over the hello
route's in this run.

| server | products | request | requests/s | p99 | ratio to hello | errors |
| --- | ---: | --- | ---: | ---: | ---: | --- |
$rows
<!-- catalog:end -->"
python3 - "$results" <<'PY'
import re, sys
path = "bench/README.md"
text = open(path).read()
new = re.sub(r"<!-- catalog:start -->.*<!-- catalog:end -->", lambda m: sys.argv[1], text, flags=re.S)
open(path, "w").write(new)
PY
echo "$results"
