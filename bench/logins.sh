#!/bin/sh
# POST /api/v1/auth/login under wrk on mercato-server with 1 and 2 workers, with the password
# hash Mercato uses (scrypt N=2^17, r=8, p=1: about 129 MiB per derivation), figures written
# into bench/README.md's logins table.
#   bench/logins.sh [BUILD_DIR] [DURATION_SECONDS] [CONNECTIONS]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${2:-10}
connections=${3:-8}
server=$build/app/mercato-server
[ -x "$server" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
port=18182
email=bench@example.com
password="bench password 0123"

cat >"$tmp/login.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$email","password":"$password"}'
EOF

measure() { # workers
    workers=$1
    rm -rf "$tmp/data"
    printf '%s\n' "$password" | "$server" user create --role customer --email "$email" \
        --data-dir "$tmp/data" >/dev/null 2>&1
    MERCATO_WORKERS=$workers "$server" --data-dir "$tmp/data" --listen 127.0.0.1:$port \
        >"$tmp/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    base=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    out=$(wrk -t2 -c"$connections" -d"${duration}s" --timeout 60s --latency -s "$tmp/login.lua" "http://127.0.0.1:$port/api/v1/auth/login")
    peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    kill -TERM $pid; wait $pid 2>/dev/null || true
    pid=""
    rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.1f", $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    echo "| $workers | $rps | $p50 | $p99 | $((base / 1024)) | $((peak / 1024)) | ${errors:-none} |"
}

export MERCATO_JWT_SECRET=$(head -c 32 /dev/urandom | base64) MERCATO_AUTH_RATE_LIMIT=0
load=$(cut -d' ' -f1-3 /proc/loadavg)
row1=$(measure 1)
row2=$(measure 2)

results="<!-- logins:start -->
Run on $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), \`wrk -t2 -c$connections -d${duration}s --timeout 60s\` on the
same machine (load average $load when it started: other jobs shared the cores), every request
a successful login of one customer (scrypt N=2^17, r=8, p=1 verified, tokens signed, a
refresh token stored; rate limit off).

| API workers | logins/s | p50 | p99 | RSS idle (MiB) | peak RSS (MiB) | errors |
| ---: | ---: | ---: | ---: | ---: | ---: | --- |
$row1
$row2
<!-- logins:end -->"
python3 - "$results" <<'PY'
import re, sys
path = "bench/README.md"
text = open(path).read()
new = re.sub(r"<!-- logins:start -->.*<!-- logins:end -->", lambda m: sys.argv[1], text, flags=re.S)
open(path, "w").write(new)
PY
echo "$results"
