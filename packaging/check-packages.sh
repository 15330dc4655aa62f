#!/bin/sh
# Builds the .deb packages with CPack and checks them: lintian (errors fail), the package
# contents and dependencies, desktop-file-validate, appstreamcli validate, systemd-analyze
# verify and security on the unit, nginx -t on the example, and the packaged mercato-server
# started from the unpacked files until /readyz answers 200.
#   packaging/check-packages.sh BUILD_DIR OUT_DIR
set -eu
build=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is missing (packaging/install-deps.sh test installs it)"; }
need cpack
need lintian
need dpkg-deb
need desktop-file-validate
need appstreamcli
need curl

rm -rf "$out"
mkdir -p "$out"
echo "== cpack"
cpack -G DEB -B "$out" --config "$build/CPackConfig.cmake" >"$out/cpack.log" 2>&1 || { cat "$out/cpack.log"; fail "cpack"; }
server_deb=$(ls "$out"/mercato-server_*.deb 2>/dev/null | head -n1)
console_deb=$(ls "$out"/mercato_*.deb 2>/dev/null | head -n1)
[ -n "$server_deb" ] || fail "no mercato-server package in $out"
grep -q console "$build/CPackConfig.cmake" && { [ -n "$console_deb" ] || fail "no mercato package in $out"; }

echo "== lintian"
for deb in $server_deb $console_deb; do
    echo "-- $(basename "$deb")"
    lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reports errors in $(basename "$deb")"
done

echo "== contents and dependencies"
root=$out/root
for deb in $server_deb $console_deb; do
    dpkg-deb -x "$deb" "$root"
done
for f in usr/bin/mercato-server lib/systemd/system/mercato-server.service etc/mercato/mercato.conf \
         usr/share/mercato-server/mercato.env.example usr/share/doc/mercato-server/copyright \
         usr/share/doc/mercato-server/changelog.Debian.gz usr/share/doc/mercato-server/examples/nginx-mercato.conf; do
    [ -e "$root/$f" ] || fail "mercato-server lacks /$f"
done
dpkg-deb -I "$server_deb" conffiles | grep -qx /etc/mercato/mercato.conf || fail "mercato.conf is not a conffile"
server_depends=$(dpkg-deb -f "$server_deb" Depends)
echo "mercato-server Depends: $server_depends"
echo "$server_depends" | grep -q libqt6sql6-sqlite || fail "mercato-server must depend on the SQLite driver"
echo "$server_depends" | grep -q adduser || fail "mercato-server must depend on adduser (postinst)"
# Qt Gui is there for its image readers (uploads are decoded before they are kept), Widgets never.
echo "$server_depends" | grep -q libqt6widgets && fail "mercato-server must not depend on Qt Widgets"
echo "$server_depends" | grep -q qt6-image-formats-plugins || fail "mercato-server must depend on the WebP reader plugin"
dpkg-deb -I "$server_deb" postinst | grep -q "adduser --system" || fail "postinst does not create the mercato user"
if [ -n "$console_deb" ]; then
    for f in usr/bin/mercato usr/share/applications/org.mercato.Mercato.desktop \
             usr/share/metainfo/org.mercato.Mercato.metainfo.xml \
             usr/share/icons/hicolor/scalable/apps/org.mercato.Mercato.svg; do
        [ -e "$root/$f" ] || fail "mercato lacks /$f"
    done
    for size in 16 22 24 32 48 64 128 256; do
        [ -e "$root/usr/share/icons/hicolor/${size}x${size}/apps/org.mercato.Mercato.png" ] || fail "no ${size}px icon"
    done
    echo "mercato Depends: $(dpkg-deb -f "$console_deb" Depends)"
    dpkg-deb -f "$console_deb" Depends | grep -q libqt6widgets || fail "mercato must depend on Qt Widgets"

    echo "== desktop-file-validate"
    desktop-file-validate "$root/usr/share/applications/org.mercato.Mercato.desktop" || fail "desktop file"
    echo "== appstreamcli validate"
    appstreamcli validate --no-net "$root/usr/share/metainfo/org.mercato.Mercato.metainfo.xml" || fail "metainfo"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
    echo "== systemd-analyze verify"
    # verify looks for ExecStart's binary: point it at the unpacked one.
    unit=$out/unit/mercato-server.service
    mkdir -p "$out/unit"
    sed "s|/usr/bin/mercato-server|$root/usr/bin/mercato-server|" "$root/lib/systemd/system/mercato-server.service" >"$unit"
    systemd-analyze verify "$unit" >"$out/verify.log" 2>&1 || { cat "$out/verify.log"; fail "systemd-analyze verify"; }
    # It exits 0 on values it ignores; any message is a finding.
    [ ! -s "$out/verify.log" ] || { cat "$out/verify.log"; fail "systemd-analyze verify reports problems"; }
    systemd-analyze security --offline=true --threshold=20 "$unit" >"$out/security.log" 2>&1 \
        || { cat "$out/security.log"; fail "the unit's exposure is above 2.0"; }
    tail -n 1 "$out/security.log"
else
    echo "systemd-analyze not found: unit not verified"
fi

if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
    echo "== nginx -t on the example"
    n=$out/nginx
    mkdir -p "$n/logs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=shop.example.com \
        -keyout "$n/key.pem" -out "$n/cert.pem" >/dev/null 2>&1
    sed -e "s|/etc/letsencrypt/live/shop.example.com/fullchain.pem|$n/cert.pem|" \
        -e "s|/etc/letsencrypt/live/shop.example.com/privkey.pem|$n/key.pem|" \
        "$root/usr/share/doc/mercato-server/examples/nginx-mercato.conf" >"$n/site.conf"
    printf 'pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents {}\nhttp {\n access_log off;\n include %s/site.conf;\n}\n' \
        "$n" "$n" "$n" >"$n/nginx.conf"
    nginx -t -p "$n" -c "$n/nginx.conf" >"$n/test.log" 2>&1 || { cat "$n/test.log"; fail "nginx -t on nginx-mercato.conf"; }
fi

# Starts a command in the background, waits until /readyz on $port answers 200, stops it with
# SIGTERM, and fails unless it answered and then exited with 0.
#   serve_until_ready WHAT LOG COMMAND...
serve_until_ready() {
    what=$1
    log=$2
    shift 2
    "$@" >"$log" 2>&1 &
    pid=$!
    ready=""
    i=0
    while [ $i -lt 100 ]; do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)" = 200 ]; then
            ready=yes
            break
        fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.2
        i=$((i + 1))
    done
    kill -TERM $pid 2>/dev/null || true
    rc=0
    wait $pid || rc=$?
    [ -n "$ready" ] || { cat "$log"; fail "$what did not answer /readyz"; }
    [ $rc -eq 0 ] || { cat "$log"; fail "$what exited with $rc on SIGTERM"; }
}

echo "== the packaged server starts and is ready"
data=$out/data
mkdir -p "$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
serve_until_ready "the packaged mercato-server" "$out/server.log" \
    env MERCATO_JWT_SECRET="$(head -c 32 /dev/urandom | base64)" QT_ENABLE_REGEXP_JIT=0 \
    "$root/usr/bin/mercato-server" --config "$root/etc/mercato/mercato.conf" --data-dir "$data" \
    --listen "127.0.0.1:$port"
grep -q "request_id=" "$out/server.log" || fail "no request log line"

# Installed for real on this machine (CI runs as root on a throwaway machine; elsewhere set
# MERCATO_PACKAGE_INSTALL=0 to skip): dpkg creates the mercato user and /var/lib/mercato, the
# installed server starts as that user from /etc/mercato/mercato.conf and answers /readyz,
# keeps its generated JWT key 0600 in its data folder, and a purge removes it all again.
if [ "$(id -u)" = 0 ] && [ "${MERCATO_PACKAGE_INSTALL:-1}" = 1 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installed with apt on this machine"
    # One install at a time on a machine where several builds run this check.
    exec 9>/tmp/mercato-package-install.lock
    flock 9
    if dpkg -s mercato-server >/dev/null 2>&1 || [ -e /var/lib/mercato ]; then
        fail "mercato-server or /var/lib/mercato is already here: not touching it (MERCATO_PACKAGE_INSTALL=0 skips this step)"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$(realpath "$server_deb")" \
        >"$out/install.log" 2>&1 || { cat "$out/install.log"; fail "apt-get install of $(basename "$server_deb")"; }
    # The purge keeps a shop's data and account by design (server-postrm): this check removes
    # what it made itself.
    purge() {
        DEBIAN_FRONTEND=noninteractive dpkg --purge mercato-server >>"$out/install.log" 2>&1 || true
        rm -rf /var/lib/mercato
        userdel mercato >/dev/null 2>&1 || true
    }
    trap purge EXIT
    id mercato >/dev/null 2>&1 || fail "the package made no mercato user"
    [ "$(stat -c %U /var/lib/mercato)" = mercato ] || fail "/var/lib/mercato is not owned by mercato"
    [ -x /usr/bin/mercato-server ] || fail "no /usr/bin/mercato-server"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # setpriv execs the server itself (runuser would stand between it and the SIGTERM).
    serve_until_ready "the installed mercato-server" "$out/installed-server.log" \
        setpriv --reuid=mercato --regid=mercato --init-groups /usr/bin/mercato-server \
        --config /etc/mercato/mercato.conf --listen "127.0.0.1:$port"
    [ -f /var/lib/mercato/mercato.db ] || fail "the installed server kept no shop in /var/lib/mercato"
    key=/var/lib/mercato/jwt.key
    [ -f "$key" ] && [ "$(stat -c '%a %U' "$key")" = "600 mercato" ] || fail "the JWT key is not 0600 mercato in /var/lib/mercato"
    purge
    trap - EXIT
    [ ! -e /usr/bin/mercato-server ] || fail "the purge left /usr/bin/mercato-server"
    [ ! -e /etc/mercato/mercato.conf ] || fail "the purge left /etc/mercato/mercato.conf"
    echo "installed, served /readyz as the mercato user, purged"
    flock -u 9
fi

echo "packages OK: $(basename "$server_deb") ${console_deb:+$(basename "$console_deb")}"
