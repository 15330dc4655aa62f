#!/bin/sh
# The whole test suite: installs what is missing, builds four trees, each a preset of
# CMakePresets.json (ASan+UBSan: every headless suite; TSan: the threaded suites; clang: the
# fuzzers; optimised: the console's suites, the browser, the contract journeys, the soak,
# packaging), then runs CTest in the optimised tree. Its tests include the other trees' suites,
# so the summary printed last covers everything: every suite on SQLite and on a throwaway
# PostgreSQL cluster, the console offscreen, the contract journeys (when ../shared/contract
# exists), OpenAPI lint and formatting (docs/operations.md, "Tests").
set -eu
cd "$(dirname "$0")/.."
packaging/install-deps.sh test
# Everything is installed now: a missing keychain fails instead of skipping (a missing Node
# reference library in tests/peers always fails, unless MERCATO_TEST_ALLOW_MISSING_PEERS=1).
export MERCATO_TEST_REQUIRE_PEERS=1
jobs=$(nproc)
# The trees are CMakePresets.json's: asan, tsan and fuzz first, then plain, whose tests include
# theirs. The ASan tree's suite, the longest, begins as soon as that tree is built, beside the
# builds of the others (at a lower priority: its suites mostly wait on servers and sockets); the
# plain tree's sanitizers.asan_ubsan test then reports that run (tests/subsuite.sh).
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
tests/subsuite.sh start asan "$PWD/build-asan" 2 ctest
for preset in tsan fuzz plain; do
    cmake --preset "$preset" >/dev/null
    nice -n 10 cmake --build --preset "$preset" -j "$jobs"
done
cd build
# CTest's own summary, then (on a failure) the last lines of each failing test's output, since
# a long log is often read from its end, and the summary once more.
# (set -e holds in the subshell too: the status is taken with || so a failing CTest still writes it.)
(s=0; ctest --output-on-failure --timeout 2400 || s=$?; echo "$s" >ctest.status) 2>&1 | tee ctest.out
status=$(cat ctest.status)
if [ "$status" != 0 ] && [ -s Testing/Temporary/LastTestsFailed.log ]; then
    echo "== The last 60 lines of each failing test's output (build/Testing/Temporary/LastTest.log)"
    cut -d: -f2- Testing/Temporary/LastTestsFailed.log | while read -r name; do
        echo "-- $name"
        awk -v t="$name" '
            $0 ~ (" Testing: " t "$") { mine = 1; next }
            mine && /^Output:/ { on = 1; n = 0; next }
            on && /^<end of output>/ { on = 0; mine = 0
                for (i = (n > 60 ? n - 60 : 0); i < n; i++) print buf[i % 60] }
            on { buf[n++ % 60] = $0 }' Testing/Temporary/LastTest.log
    done
    for log in pg-test.log ../build-asan/pg-test.log ../build-tsan/pg-test.log; do
        [ -f "$log" ] || continue
        echo "== PostgreSQL's complaints in build/$log (FATAL and PANIC lines; the last 40)"
        grep -E "FATAL|PANIC" "$log" | tail -n 40
    done
    echo "== CTest's summary"
    sed -n '/% tests passed, /,$p' ctest.out
fi
exit "$status"
