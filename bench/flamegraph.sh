#!/usr/bin/env bash
# A flame graph of estd under one benchmark scenario (docs/performance.md,
# "Flame graphs"):
#   1. starts estd exactly as bench/run.sh does (bench/estd-server.sh),
#   2. runs estd-bench with SCENARIO for DURATION seconds,
#   3. samples estd's stacks for the middle of the run with
#      `perf record -e cpu-clock -F 999 --call-graph dwarf,32768` (the binaries
#      have no frame pointers, so perf unwinds from a copy of each sample's
#      stack; perf's default 8 KB copy cuts the I/O threads' Boost.Asio stacks
#      short, and their frames then hang from an "[unknown]" root),
#   4. renders the samples to a standalone SVG with the npm package
#      `flamegraph` (bench/flamegraph/render.mjs, pinned by
#      bench/flamegraph/package-lock.json), titled with the scenario and date,
#   5. opens the SVG in Debian's chromium (playwright-core) and checks it
#      (bench/flamegraph/check-svg.mjs): frames, heading, the expected frame.
#
# Needs perf (Debian's linux-perf), node and npm, chromium for the check, and
# perf_event access: root, or kernel.perf_event_paranoid <= 1.
#
# Environment knobs (defaults in brackets):
#   SCENARIO [enroll-keepalive]  an estd-bench scenario
#   CONCURRENCY [16]      estd-bench clients
#   DURATION [4]          seconds of load; perf records all but the first and
#                         last second (at least 1 s)
#   PROFILE [anon]        anon, or basic (HTTP Basic)
#   KEY_TYPE [p256]       the CSRs' key type
#   SERVER_THREADS [2]    estd I/O threads
#   WORKER_THREADS [0]    estd worker threads (0 = estd's default)
#   STACK_DUMP [32768]    bytes of stack perf copies per sample
#   OUT [docs/images/flamegraph-<scenario>.svg]
#   PNG []                also write a screenshot of the graph there (with CHECK=1)
#   CHECK [1]             0 = skip the check in chromium
#   EXPECT                frame names the check requires, |-separated
#                         [EstService::enroll for the enrollment scenarios]
#   JOBS [2]              ninja -j
#   BUILD_DIR [build-release]  where to build (Release, as bench/run.sh)
#   SKIP_BUILD [0]        1 = use BUILD_DIR as it is (build/ is RelWithDebInfo,
#                         whose debug info adds the inlined frames)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
scenario=${SCENARIO:-enroll-keepalive}
concurrency=${CONCURRENCY:-16}
duration=${DURATION:-4}
profile=${PROFILE:-anon}
key_type=${KEY_TYPE:-p256}
server_threads=${SERVER_THREADS:-2}
worker_threads=${WORKER_THREADS:-0}
build=${BUILD_DIR:-"$root/build-release"}
out=${OUT:-"$root/docs/images/flamegraph-$scenario.svg"}
png=${PNG:-}
stack_dump=${STACK_DUMP:-32768}
tools="$root/bench/flamegraph"
case $scenario in
  enroll-* | reenroll-*) expect=${EXPECT-EstService::enroll} ;;
  *) expect=${EXPECT-} ;;
esac

for tool in perf node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "flamegraph.sh: $tool is missing (scripts/install-deps.sh installs it)" >&2
    exit 2
  fi
done
if [ "$(id -u)" != 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 1 ]; then
  echo "flamegraph.sh: perf needs root or kernel.perf_event_paranoid <= 1" >&2
  exit 2
fi
if [ ! -d "$tools/node_modules" ]; then
  (cd "$tools" && npm ci --no-audit --no-fund --ignore-scripts)
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DESTD_BUILD_TESTS=OFF >/dev/null
  ninja -C "$build" -j "${JOBS:-2}" estd estd-bench
fi
estd="$build/estd"
bench="$build/bench/estd-bench"
out=$(realpath -m "$out")
[ -n "$png" ] && png=$(realpath -m "$png")

work=$(mktemp -d /tmp/estd-flamegraph.XXXXXX)
estd_pid=""
bench_pid=""
cleanup() {
  [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
  [ -n "$estd_pid" ] && kill "$estd_pid" 2>/dev/null && wait "$estd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/estd-server.sh
. "$root/bench/estd-server.sh"

make_bench_pki
port=$(free_port)
database_url=""
start_estd

args=(--url "https://127.0.0.1:$port" --cacert "$work/pki/root-ca.crt" --tls 1.3 --json
  --scenario "$scenario" --profile "$profile" --key-type "$key_type" -c "$concurrency"
  -d "$duration" --server-pid "$estd_pid")
[ "$profile" = basic ] && args+=(--user bench --password-file "$work/password")
"$bench" "${args[@]}" >"$work/bench.json" 2>"$work/bench.log" &
bench_pid=$!

# Leave out the first and last second: connections opening and closing.
record=$((duration - 2))
[ "$record" -lt 1 ] && record=1
[ "$duration" -gt 2 ] && sleep 1
perf record -q -e cpu-clock -F 999 --call-graph "dwarf,$stack_dump" -p "$estd_pid" -o "$work/perf.data" \
  -- sleep "$record" 2>"$work/perf.log" || { cat "$work/perf.log" >&2; exit 1; }
wait "$bench_pid" || { echo "estd-bench failed:" >&2; cat "$work/bench.log" >&2; exit 1; }
bench_pid=""
jq -r '"\(.label // .scenario): \(.requests_per_second | floor) req/s, server \(.server.cpu_ms_per_request * 1000 | floor / 1000) ms CPU per request, \(.errors.total) errors"' \
  "$work/bench.json" 2>/dev/null || true

title="estd $scenario, $concurrency clients, $profile, $(date -u '+%Y-%m-%d %H:%M UTC')"
mkdir -p "$(dirname "$out")"
# Symbol offsets (+0x..) would split one function into a frame per address.
perf script -F comm,tid,time,period,event,ip,sym,dso -i "$work/perf.data" 2>"$work/script.log" |
  node "$tools/render.mjs" "$title" >"$work/flamegraph.svg"
mv "$work/flamegraph.svg" "$out"
echo "flame graph: $out ($(grep -c '^<g class="func_g' "$out") frames, $(du -h "$out" | cut -f1))"

if [ "${CHECK:-1}" = 1 ]; then
  EXPECT="$expect" TITLE="$title" node "$tools/check-svg.mjs" "$out" ${png:+"$png"}
fi
