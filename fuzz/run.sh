#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz/ and runs each for
# FUZZ_SECONDS (default 60), two at a time. Exits non-zero when any target
# found a crash, leak, timeout or out-of-memory, naming the artifact and how
# to reproduce it. Installs nothing: scripts/install-deps.sh does.
#
#   FUZZ_SECONDS=3600 fuzz/run.sh            # longer
#   FUZZ_TARGETS="csr http_router" fuzz/run.sh
#   FUZZ_JOBS=1 fuzz/run.sh                  # one target at a time
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-2}"
all_targets=(est_body csr channel_binding http_router operator_api config client_response)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"

# Longest input each target is given: a little above what the real inputs
# need, so time goes to structure rather than size.
max_len() {
  case "$1" in
    http_router | operator_api) echo 16384 ;;
    client_response) echo 32768 ;;
    config) echo 8192 ;;
    channel_binding) echo 4096 ;;
    *) echo 8192 ;;
  esac
}

# libFuzzer scans the whole heap for leaks after every input whose mallocs
# and frees differ. operator_api's store frees each input's writes on its
# writer thread after the input returns, so it would scan after nearly every
# input (90 against ~600 inputs/s); its leaks are reported by LeakSanitizer
# at exit instead (checked: the run then fails).
in_run_leak_checks() {
  case "$1" in
    operator_api) echo 0 ;;
    *) echo 1 ;;
  esac
}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root/fuzz" -B "$build" -G Ninja
fi
cmake --build "$build" -j2

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
mkdir -p "$build/logs"
touch "$build/logs/run.started"

# Runs one target on its working corpus (the committed seeds plus whatever
# earlier runs found), keeping artifacts under build-fuzz/artifacts/<target>/.
run_target() {
  local target="$1" status
  local corpus="$build/corpus/$target"
  local artifacts="$build/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp -n "$root/fuzz/corpus/$target/"* "$corpus/" 2>/dev/null || true
  local dict=()
  if [ -f "$root/fuzz/dict/$target.dict" ]; then
    dict=("-dict=$root/fuzz/dict/$target.dict")
  fi
  "$build/${target}_fuzzer" "$corpus" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
    -detect_leaks="$(in_run_leak_checks "$target")" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 \
    >"$build/logs/$target.log" 2>&1 && status=0 || status=$?
  # Kept in a file: `wait -n` below may reap the job before its status is read.
  echo "$status" >"$build/logs/$target.status"
}

# One line per target: runs, coverage, seconds; or what it found.
report() {
  local target="$1" status="$2"
  local log="$build/logs/$target.log"
  local runs cov secs
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  secs="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 | awk '{print $5}')"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')"
  local artifact
  # Only what this run found: older artifacts were reported by their run.
  artifact="$(find "$build/artifacts/$target" -type f -newer "$build/logs/run.started" | head -1)"
  if [ "$status" -eq 0 ] && [ -z "$artifact" ]; then
    printf '%-16s ok    runs: %-9s cov: %-6s seconds: %s\n' "$target" "${runs:-?}" "${cov:-?}" \
      "${secs:-$seconds}"
    return 0
  fi
  printf '%-16s FOUND (exit %s) runs: %s cov: %s\n' "$target" "$status" "${runs:-?}" "${cov:-?}"
  grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|ALARM' "$log" \
    | sed 's/^/    /' || true
  echo "    artifact: ${artifact:-none (see log)}"
  echo "    log:      $log"
  if [ -n "$artifact" ]; then
    echo "    reproduce: $build/${target}_fuzzer $artifact"
  fi
  return 1
}

for target in "${targets[@]}"; do
  if [ ! -x "$build/${target}_fuzzer" ]; then
    echo "fuzz: unknown target $target (have: ${all_targets[*]})" >&2
    exit 2
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n || true
  done
  echo "fuzz: $target for ${seconds}s"
  rm -f "$build/logs/$target.status"
  run_target "$target" &
done
wait

failed=0
for target in "${targets[@]}"; do
  report "$target" "$(cat "$build/logs/$target.status" 2>/dev/null || echo 1)" || failed=1
done
exit "$failed"
