#!/bin/sh
# Installs the Debian 12 packages Mercato needs that are missing.
#   packaging/install-deps.sh build   compilers, Qt 6 and library headers
#   packaging/install-deps.sh test    build + what the test suite starts (PostgreSQL, SMTP,
#                                     keyring, Xvfb, wrk, Node peers of Stripe/Cloudinary,
#                                     headless Chromium + Selenium for the storefront)
set -eu
profile=${1:-build}

build_pkgs="cmake ninja-build g++ lld ccache pkg-config qt6-base-dev qt6-httpserver-dev
qt6-websockets-dev qtkeychain-qt6-dev libqt6sql6-sqlite libqt6sql6-psql qt6-image-formats-plugins
libssl-dev libsqlite3-dev libgl-dev qt6-tools-dev qt6-l10n-tools"
test_pkgs="postgresql python3 python3-aiosmtpd xvfb xauth gnome-keyring dbus-daemon dbus-bin
dbus-x11 libsecret-tools imagemagick wrk clang-format clang libclang-rt-14-dev curl nodejs
lintian desktop-file-utils appstream systemd nginx-light openssl
chromium chromium-driver python3-selenium poppler-utils"

pkgs=$build_pkgs
[ "$profile" = test ] && pkgs="$build_pkgs $test_pkgs"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "Installing:$missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Debian's nodejs comes without npm (NodeSource's includes it): add Debian's npm only when
# no npm is there, so the two never fight.
if [ "$profile" = test ] && ! command -v npm >/dev/null 2>&1; then
    echo "Installing: npm"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

if [ "$profile" = test ] && [ -f "$(dirname "$0")/../tests/peers/package-lock.json" ]; then
    if command -v npm >/dev/null 2>&1; then
        npm ci --silent --no-audit --no-fund --prefix "$(dirname "$0")/../tests/peers" >/dev/null
    else
        echo "npm not found: the Stripe/Cloudinary cross-checks will be skipped" >&2
    fi
fi
echo "Dependencies ready ($profile)."
