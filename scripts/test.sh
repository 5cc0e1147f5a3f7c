#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds estd and its tests,
# and runs the whole suite (unit + integration against the real daemon).
# Set ESTD_SANITIZE=1 to build and run it under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

build_dir=build
sanitize=OFF
if [ "${ESTD_SANITIZE:-0}" = 1 ]; then
  build_dir=build-asan
  sanitize=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESTD_SANITIZE="$sanitize" \
  >/dev/null
cmake --build "$build_dir"
ctest --test-dir "$build_dir" --output-on-failure --timeout 300 -j2 "$@"
