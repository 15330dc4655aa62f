#!/bin/sh
# The layers the build keeps: app -> ui, server -> model. Fails when a file includes a header
# across a forbidden edge (model/ from server/, ui/ or app/; server/ from ui/ or app/; ui/ from
# server/ or app/; ui/ from the app code that mercato-server is built from: everything in app/
# but main_gui.cpp and app/console/), and when the headless mercato-server links console code.
#   tests/layers.sh SOURCE_DIR [MERCATO_SERVER_BINARY]
#   tests/layers.sh --selftest SOURCE_DIR   the check passes on a copy of the tree, then fails
#                                           on the copy with one forbidden include added
set -eu
if [ "$1" = --selftest ]; then
    src=$2
    copy=$(mktemp -d)
    trap 'rm -rf "$copy"' EXIT
    (cd "$src" && tar cf - app model server ui) | (cd "$copy" && tar xf -)
    "$0" "$copy" >/dev/null || { echo "selftest: the check fails on the tree as it is"; exit 1; }
    for edge in "model/orders.cpp:server/router.h" "server/api.cpp:ui/page.h" \
                "app/runtime.cpp:ui/servermonitor.h" "ui/page.cpp:server/http.h"; do
        file=${edge%%:*}
        header=${edge#*:}
        cp "$copy/$file" "$copy/$file.orig"
        printf '#include "%s"\n' "$header" >>"$copy/$file"
        if out=$("$0" "$copy"); then
            echo "selftest: #include \"$header\" in $file was not caught"
            exit 1
        fi
        echo "caught: $(echo "$out" | sed -n 2p | sed 's/^ *//')"
        mv "$copy/$file.orig" "$copy/$file"
    done
    echo "selftest: every forbidden include was caught"
    exit 0
fi
src=$1
binary=${2:-}
status=0
forbid() {
    folder=$1
    pattern=$2
    hits=$(cd "$src" && grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]($pattern)/" \
        --include='*.h' --include='*.cpp' "$folder" || true)
    if [ -n "$hits" ]; then
        echo "$folder/ must not include $(echo "$pattern" | sed 's/|/, /g')/ headers:"
        echo "$hits" | sed 's/^/  /'
        status=1
    fi
}
forbid model 'server|ui|app'
forbid server 'ui|app'
forbid ui 'server|app'
hits=$(cd "$src" && grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]ui/' \
    --include='*.h' --include='*.cpp' app | grep -vE '^app/(main_gui\.cpp|console/)' || true)
if [ -n "$hits" ]; then
    echo "app/ code that mercato-server is built from must not include ui/ headers:"
    echo "$hits" | sed 's/^/  /'
    status=1
fi
if [ -n "$binary" ]; then
    # Console classes (the window, its pages and the console's view of the server).
    console=$(nm -C "$binary" | grep -E 'Mercato::(ServerMonitor|MetricsMonitor|MainWindow|Page|ConsoleWorker)\b' || true)
    if [ -n "$console" ]; then
        echo "mercato-server links console code:"
        echo "$console" | head -n 10 | sed 's/^/  /'
        status=1
    fi
fi
[ "$status" = 0 ] && echo "layers: no include crosses a forbidden edge; mercato-server has no console code"
exit "$status"
