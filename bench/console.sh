#!/bin/sh
# The console stays responsive while the API is saturated: bench-console-stall runs the console
# (signed in, moving between pages) with the API on its worker threads, on a --demo store, while
# two wrk processes saturate the catalog routes (list, search, product) and the checkout routes
# (cart PUT, POST /orders) for SECONDS. Prints the GUI thread's stall p50/p99/max (target p99
# under 16 ms) and what the GUI thread did for the API (must be 0 requests, 0 SQL statements).
#   bench/console.sh [BUILD_DIR] [SECONDS]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
seconds=${2:-20}
bench=$build/bench/bench-console-stall
[ -x "$bench" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
tmp=${MERCATO_BENCH_TMP:-$(mktemp -d)}
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
port=18183
QT_QPA_PLATFORM=offscreen "$bench" --data-dir "$tmp/data" --port $port --seconds "$seconds" \
    --lua-dir "$tmp" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 600); do grep -q READY "$tmp/out" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$tmp/out" || { cat "$tmp/err" >&2; echo "the console did not start" >&2; exit 1; }
url=http://127.0.0.1:$port
wrk -t1 -c32 -d"${seconds}s" -s "$tmp/catalog.lua" "$url" >"$tmp/wrk-catalog" 2>&1 &
w1=$!
wrk -t1 -c32 -d"${seconds}s" -s "$tmp/checkout.lua" "$url" >"$tmp/wrk-checkout" 2>&1 &
w2=$!
wait $w1 $w2 || true
status=0
wait $pid || status=$?
pid=
echo "== wrk catalog (list, search, product)"; grep -E "Requests/sec|Latency|Non-2xx" "$tmp/wrk-catalog" || true
echo "== wrk checkout (cart PUT, POST /orders)"; grep -E "Requests/sec|Latency|Non-2xx" "$tmp/wrk-checkout" || true
echo "== console GUI thread"
grep -v READY "$tmp/out"
exit $status
