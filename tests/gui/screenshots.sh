#!/bin/sh
# Runs the console under Xvfb on a fresh store with --demo data, signs in as the demo seller
# and saves a PNG of the sign-in dialog and of every page, for review.
#   tests/gui/screenshots.sh [build-dir] [output-dir]
# Needs xvfb-run (Debian: xvfb). PNGs: <output-dir>/NN-page.png (default build/screenshots/tour).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
out=${2:-$build/screenshots/tour}
app=$build/app/mercato
[ -x "$app" ] || { echo "no console binary at $app (build with the GUI on)" >&2; exit 2; }
command -v xvfb-run >/dev/null || { echo "xvfb-run is missing (apt-get install xvfb)" >&2; exit 2; }
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
mkdir -p "$out"
rm -f "$out"/*.png
# A private D-Bus session when available, so the keychain answers (or fails) at once.
launcher=""
command -v dbus-run-session >/dev/null && launcher="dbus-run-session --"
MERCATO_SCREENSHOT_DIR="$out" \
MERCATO_SCREENSHOT_EMAIL=seller@demo.mercato.test \
MERCATO_SCREENSHOT_PASSWORD=demo-seller-pass \
QT_QPA_PLATFORM=xcb \
    timeout 180 xvfb-run -a -s "-screen 0 1280x860x24" $launcher \
    "$app" --demo --data-dir "$data" --listen 127.0.0.1:0 --workers 2
count=$(ls "$out"/*.png 2>/dev/null | wc -l)
echo "saved $count screenshots in $out"
ls "$out"/*-not-signed-in.png >/dev/null 2>&1 && { echo "the demo seller could not sign in" >&2; exit 1; }
[ "$count" -ge 10 ] || { echo "expected a picture of every page" >&2; exit 1; }
