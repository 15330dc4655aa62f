#!/bin/sh
# Runs the libFuzzer targets:  tests/fuzz/run.sh [seconds-per-fuzzer] [name...]
# Each fuzzer starts from its seed corpus (tests/fuzz/corpus/NAME, only read) and what earlier
# runs found (WORK/NAME), then fuzzes for the given seconds (default 60). A crash leaves its
# input in WORK/artifacts/ and fails the run. CTest's fuzz.NAME smoke calls this with 5 s.
#   MERCATO_FUZZ_BUILD_DIR  the clang tree configured with -DMERCATO_FUZZ=ON (default build-fuzz)
#   MERCATO_FUZZ_WORK_DIR   where corpora, logs and crash inputs go (default BUILD/fuzz-work)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${MERCATO_FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${MERCATO_FUZZ_WORK_DIR:-$build/fuzz-work}
names="$*"
[ -n "$names" ] || names=$(ls "$here/corpus")
status=0
for n in $names; do
    bin=$build/tests/fuzz/fuzz_$n
    if [ ! -x "$bin" ]; then
        echo "$n: no $bin (configure a clang tree with -DMERCATO_FUZZ=ON and build it)"
        exit 2
    fi
    extra=""
    # QSettings keeps a process-wide cache of parsed files; LeakSanitizer would rescan the
    # heap after every input that grows it (70 ms each), so the config fuzzer skips leaks.
    [ "$n" = config ] && extra="-detect_leaks=0"
    mkdir -p "$work/$n" "$work/artifacts"
    log=$work/$n.log
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $extra \
        -artifact_prefix="$work/artifacts/$n-" "$work/$n" "$here/corpus/$n" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "$n: ${runs:-?} executions in ${secs} s, no crash"
    else
        echo "$n: FAILED (log: $log)"
        tail -n 60 "$log"
        status=1
    fi
done
exit $status
