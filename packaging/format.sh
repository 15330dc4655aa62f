#!/bin/sh
# Formats the C++ sources with the committed .clang-format (clang-format 14, Debian 12),
#   packaging/format.sh          rewrite in place
#   packaging/format.sh --check  list what differs and fail (CTest's format.check)
set -eu
cd "$(dirname "$0")/.."
files=$(find app bench model server tests ui -name '*.cpp' -o -name '*.h' | grep -v '/node_modules/' | sort)
if [ "${1:-}" = --check ]; then
    exec clang-format --dry-run -Werror $files
fi
clang-format -i $files
