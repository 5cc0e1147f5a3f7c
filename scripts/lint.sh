#!/usr/bin/env bash
# What no reviewer should have to catch, for the project's own C++:
#   1. clang-format drift (.clang-format) in every tracked C++ file;
#   2. clang-tidy (.clang-tidy: a small, explained set of checks, every
#      finding an error) on every translation unit of the daemon and estctl
#      (src/), and on the project headers they include.
# Usage: scripts/lint.sh [BUILD_DIR]   (a configured build tree; its
# compile_commands.json says how each file is compiled; default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build"}
cd "$root"

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
echo "lint: clang-format on ${#sources[@]} files"
clang-format-14 --dry-run --Werror "${sources[@]}"

if [ ! -f "$build/compile_commands.json" ]; then
  echo "lint: $build/compile_commands.json is missing; configure the build first" >&2
  exit 1
fi
# The test suite is left to the compiler's warnings: its files are most of
# the translation units and gtest's macros most of clang-tidy's findings.
# bench/ is too: estd-bench is written with Asio's C++20 coroutines, which
# Debian 12's clang-tidy (clang 14) cannot parse with GCC 12's library.
echo "lint: clang-tidy on src/"
run-clang-tidy-14 -quiet -p "$build" -j "$(nproc)" -header-filter="^$root/src/" "^$root/src/" \
  >"$build/clang-tidy.log" 2>&1 ||
  {
    sed 's/\x1b\[[0-9;]*m//g' "$build/clang-tidy.log" | grep -E 'warning:|error:' | sort -u >&2
    echo "lint: clang-tidy found the problems above (full output: $build/clang-tidy.log)" >&2
    exit 1
  }
echo "lint: clean"
