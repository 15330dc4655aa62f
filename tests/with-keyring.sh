#!/bin/sh
# Runs a command in a private D-Bus session with an unlocked gnome-keyring (Secret Service)
# and a throwaway HOME, so keychain tests touch no real keyring:
#   tests/with-keyring.sh ./tst_keychain
set -u
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT INT TERM
mkdir -p "$home/run" && chmod 700 "$home/run"
HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config" \
XDG_CACHE_HOME="$home/.cache" XDG_RUNTIME_DIR="$home/run" \
    dbus-run-session -- sh -c '
        # Foreground, so this script knows the daemon it started and stops exactly it.
        printf pw | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
        keyring=$!
        i=0
        while [ $i -lt 50 ] && ! dbus-send --session --print-reply --dest=org.freedesktop.DBus \
                / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
                | grep -q "boolean true"; do
            sleep 0.1; i=$((i + 1))
        done
        "$@"
        rc=$?
        kill "$keyring" 2>/dev/null
        wait "$keyring" 2>/dev/null
        exit $rc' sh "$@"
