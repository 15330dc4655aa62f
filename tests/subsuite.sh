#!/bin/sh
# Another build tree's suite, run as one test of the CI's plain tree (tests/CMakeLists.txt).
#   subsuite.sh asan|tsan DIR JOBS CTEST         runs it now, or reports the run that `start`
#                                                began (waiting for its end)
#   subsuite.sh start asan|tsan DIR JOBS CTEST   begins it in the background and returns at
#                                                once (packaging/test.sh: the ASan suite runs
#                                                beside the builds of the other trees)
set -eu
background=false
if [ "$1" = start ]; then
    background=true
    shift
fi
kind=$1
dir=$2
jobs=$3
ctest=$4
case $kind in
# The ASan tree is headless (CMakePresets.json): the console's suites, the browser and the
# contract journeys run in the plain tree, every other suite here.
asan) set -- -E '^(sanitizers|contract|packaging|console|consolecluster|browser)\.' ;;
tsan) set -- -L threads ;;
*)
    echo "usage: $0 [start] asan|tsan DIR JOBS CTEST" >&2
    exit 2
    ;;
esac
if $background; then
    rm -f "$dir/subsuite.out" "$dir/subsuite.status"
    touch "$dir/subsuite.started"
    (
        s=0
        "$ctest" --test-dir "$dir" --output-on-failure -j "$jobs" "$@" >"$dir/subsuite.out" 2>&1 || s=$?
        echo "$s" >"$dir/subsuite.status"
    ) </dev/null &
    exit 0
fi
if [ -f "$dir/subsuite.started" ]; then
    # Reported once: a later run of this test runs the suite afresh.
    rm -f "$dir/subsuite.started"
    while [ ! -f "$dir/subsuite.status" ]; do
        sleep 5
    done
    cat "$dir/subsuite.out"
    exit "$(cat "$dir/subsuite.status")"
fi
exec "$ctest" --test-dir "$dir" --output-on-failure -j "$jobs" "$@"
