#!/bin/sh
# Installs what is missing, builds, and runs Mercato: the console where a display is,
# otherwise the headless API server, on the embedded SQLite default with demo data.
set -eu
cd "$(dirname "$0")/.."
packaging/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMERCATO_BUILD_TESTS=OFF >/dev/null
cmake --build build
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec build/app/mercato --demo "$@"
fi
exec build/app/mercato-server --demo --listen "${MERCATO_LISTEN:-127.0.0.1:8080}" "$@"
