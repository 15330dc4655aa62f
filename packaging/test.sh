#!/bin/sh
# The whole test suite: installs what is missing, builds the project three times (plain,
# ASan+UBSan, TSan for the threaded suites) plus the libFuzzer targets (clang, build-fuzz),
# then runs CTest in the plain tree. Its tests
# include the sanitizer trees' suites, so the summary printed last covers everything:
# every test on SQLite and on a throwaway PostgreSQL cluster, the console offscreen, the
# contract journeys (when ../shared/contract exists), OpenAPI lint and formatting.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
packaging/install-deps.sh test
# Everything is installed now: a missing keychain fails instead of skipping (a missing Node
# reference library in tests/peers always fails, unless MERCATO_TEST_ALLOW_MISSING_PEERS=1).
export MERCATO_TEST_REQUIRE_PEERS=1
jobs=$(nproc)
common="-G Ninja -DMERCATO_WARNINGS_AS_ERRORS=ON"
cmake -S . -B build-asan $common -DCMAKE_BUILD_TYPE=Debug -DMERCATO_SANITIZE="address;undefined" >/dev/null
cmake --build build-asan -j "$jobs"
cmake -S . -B build-tsan $common -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMERCATO_SANITIZE=thread \
      -DMERCATO_BUILD_GUI=OFF >/dev/null
cmake --build build-tsan -j "$jobs"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMERCATO_FUZZ=ON \
      -DMERCATO_BUILD_GUI=OFF -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-fuzz -j "$jobs"
cmake -S . -B build $common -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DMERCATO_ASAN_BUILD_DIR="$root/build-asan" -DMERCATO_TSAN_BUILD_DIR="$root/build-tsan" \
      -DMERCATO_FUZZ_BUILD_DIR="$root/build-fuzz" >/dev/null
cmake --build build -j "$jobs"
cd build
exec ctest --output-on-failure --timeout 2400
