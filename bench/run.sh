#!/bin/sh
# GET /healthz under wrk on Mercato (1 and 2 workers) and on a bare QHttpServer hello route
# (the ceiling), one run, figures written into bench/README.md's results table.
#   bench/run.sh [BUILD_DIR] [DURATION_SECONDS]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${2:-10}
server=$build/app/mercato-server
hello=$build/bench/bench-hello-qhttpserver
[ -x "$server" ] && [ -x "$hello" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
pid=; trap 'kill ${pid:-} 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=18181

measure() { # label, then the command that serves on $port
    label=$1; shift
    "$@" >"$tmp/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    wrk -t2 -c64 -d2s "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 # warm-up
    out=$(wrk -t2 -c64 -d"${duration}s" --latency "http://127.0.0.1:$port/healthz")
    rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    kill -TERM $pid; wait $pid 2>/dev/null || true
    rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    echo "| $label | $rps | $p50 | $p99 | $rss | ${errors:-none} |"
}

export MERCATO_DATA_DIR="$tmp/data" MERCATO_JWT_SECRET=$(head -c 32 /dev/urandom | base64) MERCATO_AUTH_RATE_LIMIT=0
rows="$(measure "bare QHttpServer hello (1 thread, ceiling)" "$hello" $port)"
row1="$(MERCATO_WORKERS=1 measure "Mercato, 1 worker" "$server" --listen 127.0.0.1:$port)"
rm -rf "$tmp/data"
row2="$(MERCATO_WORKERS=2 measure "Mercato, 2 workers" "$server" --listen 127.0.0.1:$port)"
ceiling=$(echo "$rows" | awk -F'|' '{print $3}')
r1=$(echo "$row1" | awk -F'|' '{print $3}')
r2=$(echo "$row2" | awk -F'|' '{print $3}')
ratio1=$(awk "BEGIN {printf \"%.2f\", $r1 / $ceiling}")
ratio2=$(awk "BEGIN {printf \"%.2f\", $r2 / $ceiling}")

results="<!-- results:start -->
Run on $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), wrk -t2 -c64 -d${duration}s on the same machine,
\`GET /healthz\` over loopback.

| server | requests/s | p50 | p99 | peak RSS (KiB) | errors |
| --- | ---: | ---: | ---: | ---: | --- |
$rows
$row1
$row2

Mercato / ceiling: ${ratio1} with 1 worker, ${ratio2} with 2 workers.
<!-- results:end -->"
python3 - "$results" <<'PY'
import re, sys
path = "bench/README.md"
text = open(path).read()
new = re.sub(r"<!-- results:start -->.*<!-- results:end -->", lambda m: sys.argv[1], text, flags=re.S)
open(path, "w").write(new)
PY
echo "$results"
