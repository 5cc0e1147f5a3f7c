#!/usr/bin/env bash
# The standard estd benchmark (docs/performance.md):
#   1. builds estd and estd-bench in Release (build-release/),
#   2. makes a DEV-ONLY PKI (ECDSA P-256 CA and TLS certificate),
#   3. starts estd: TLS 1.3, an anonymous profile "anon" and a Basic profile "basic",
#   4. runs the scenarios at each concurrency, the TLS handshake ceiling against
#      `openssl s_server` with the same certificate, and the idle-connection RSS,
#   5. prints `openssl speed` figures beside them and writes
#      bench/results/<date>.json and bench/results/<date>.txt.
#
# Environment knobs (defaults in brackets):
#   DURATION [5]          seconds per run
#   CONCURRENCY ["1 16 256"]
#   SCENARIOS ["cacerts-keepalive enroll-new-conn enroll-keepalive reenroll-mtls"]
#   IDLE [10000]          idle TLS connections to hold (0 = skip)
#   SERVER_THREADS [2]    estd I/O threads
#   WORKER_THREADS [0]    estd worker threads for requests that may wait (0 = estd's default)
#   CLIENT_THREADS [1]    estd-bench threads
#   JOBS [2]              ninja -j
#   BUILD_DIR [build-release]  where to build (Release)
#   SKIP_BUILD [0]        1 = use BUILD_DIR as it is
#   LIBEST [0]            1 = also run the kept-alive and new-connection scenarios against
#                         libest's example server (TLS 1.2, its own CA, Basic), built from
#                         ../shared/thirdparty/libest/ into BUILD_DIR/libest by
#                         tests/interop/build-libest.sh and bound to 127.0.0.1, and print
#                         libest's server CPU per request over estd's as ratios
#   STORE [sqlite]        sqlite: the embedded store in a temporary data directory;
#                         postgres: a throwaway PostgreSQL cluster on 127.0.0.1 (Debian's
#                         postgresql package; default settings, so fsync and
#                         synchronous_commit on), or the server of DATABASE_URL when set
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-5}
concurrency=${CONCURRENCY:-"1 16 256"}
scenarios=${SCENARIOS:-"cacerts-keepalive enroll-new-conn enroll-keepalive reenroll-mtls"}
idle=${IDLE:-10000}
server_threads=${SERVER_THREADS:-2}
worker_threads=${WORKER_THREADS:-0}
client_threads=${CLIENT_THREADS:-1}
build=${BUILD_DIR:-"$root/build-release"}
store=${STORE:-sqlite}
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
results="$root/bench/results"
mkdir -p "$results"
json_file="$results/$stamp.json"
table_file="$results/$stamp.txt"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DESTD_BUILD_TESTS=OFF >/dev/null
  ninja -C "$build" -j "${JOBS:-2}" estd estd-bench
fi
estd="$build/estd"
bench="$build/bench/estd-bench"

work=$(mktemp -d /tmp/estd-bench.XXXXXX)
estd_pid=""
sserver_pid=""
libest_pid=""
pg_bin=""
# The PostgreSQL tools run as the postgres user when this script runs as root.
as_pg_user() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "$estd_pid" ] && kill "$estd_pid" 2>/dev/null && wait "$estd_pid" 2>/dev/null
  [ -n "$sserver_pid" ] && kill "$sserver_pid" 2>/dev/null && wait "$sserver_pid" 2>/dev/null
  [ -n "$libest_pid" ] && kill "$libest_pid" 2>/dev/null && wait "$libest_pid" 2>/dev/null
  [ -n "$pg_bin" ] && as_pg_user "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/estd-server.sh
. "$root/bench/estd-server.sh"

make_bench_pki
port=$(free_port)

database_url=${DATABASE_URL:-}
case $store in
  sqlite) database_url=""; store_label="SQLite (embedded, synchronous=FULL)" ;;
  postgres)
    if [ -z "$database_url" ]; then
      pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
      if [ -z "$pg_bin" ]; then
        echo "STORE=postgres: no PostgreSQL server under /usr/lib/postgresql (scripts/install-deps.sh installs it)" >&2
        exit 2
      fi
      chmod 711 "$work"
      mkdir "$work/pg"
      [ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
      as_pg_user "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-instructions >"$work/pg/initdb.log" 2>&1
      pg_port=$(free_port)
      as_pg_user "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
        -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
      "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE estd" postgres
      database_url="postgresql://postgres@127.0.0.1:$pg_port/estd"
      store_label="PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), a throwaway cluster on 127.0.0.1 with default settings; db ms/rq is its CPU"
    else
      store_label="PostgreSQL at DATABASE_URL"
    fi ;;
  *) echo "STORE must be sqlite or postgres" >&2; exit 2 ;;
esac

# 10 000 idle connections need more than the usual 1024 descriptors.
ulimit -n "$(ulimit -Hn)" || true

start_estd

url="https://127.0.0.1:$port"
common=(--url "$url" --cacert "$work/pki/root-ca.crt" --tls 1.3 --threads "$client_threads" --json)
runs="$work/runs.jsonl"
: >"$runs"

row() {  # one result JSON → one table line
  jq -r '[.label, (.concurrency|tostring), (.requests_per_second|floor|tostring),
          (.latency_ms.p50|tostring), (.latency_ms.p90|tostring), (.latency_ms.p99|tostring),
          (.latency_ms.max|tostring), (.errors.total|tostring),
          ((.server.cpu_ms_per_request // 0) * 1000 | floor / 1000 | tostring),
          ((.server.peak_rss_mb // 0) | floor | tostring),
          ((.client_cpu_seconds // 0) / .seconds * 100 | floor | tostring),
          (.database_server.cpu_ms_per_request // "" | if . == "" then . else . * 1000 | floor / 1000 | tostring end)] | @tsv' \
    | awk -F'\t' '{printf "%-34s %5s %9s %8.2f %8.2f %8.2f %8.2f %7s %9s %6s %7s%s\n",$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,($12 == "" ? "" : sprintf(" %9s", $12))}'
}

# CPU ticks of the throwaway PostgreSQL cluster: the postmaster (with its
# reaped children) and its live children.
db_ticks() {
  local postmaster
  postmaster=$(head -n 1 "$work/pg/data/postmaster.pid")
  for p in $postmaster $(pgrep -P "$postmaster"); do
    awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || true
  done | awk '{s += $1} END {print s + 0}'
}

one() {  # label, then estd-bench arguments
  local label=$1
  shift
  local out db_before=0
  [ -n "$pg_bin" ] && db_before=$(db_ticks)
  out=$("$bench" "${common[@]}" --label "$label" "$@" || true)
  if [ -z "$out" ]; then
    echo "$label: estd-bench failed" >&2
    return
  fi
  if [ -n "$pg_bin" ]; then
    out=$(echo "$out" | jq --argjson ticks "$(($(db_ticks) - db_before))" --argjson hz "$(getconf CLK_TCK)" \
      '. + {database_server: {cpu_seconds: ($ticks / $hz),
            cpu_ms_per_request: (if .requests_ok > 0 then $ticks / $hz * 1000 / .requests_ok else 0 end)}}')
  fi
  echo "$out" | jq -c . >>"$runs"
  echo "$out" | row | tee -a "$table_file"
}

{
  echo "estd benchmark $stamp  (host $(hostname), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "estd: $server_threads I/O threads, $worker_threads worker threads (0 = default), TLS 1.3, ECDSA P-256 CA and server key; estd-bench: $client_threads thread(s); ${duration}s per run"
  echo "store: $store_label"
  printf '%-34s %5s %9s %8s %8s %8s %8s %7s %9s %6s %7s%s\n' scenario conc 'req/s' 'p50 ms' 'p90 ms' 'p99 ms' 'max ms' errors 'srv ms/rq' 'RSS MB' 'cli cpu%' \
    "${pg_bin:+  db ms/rq}"
} | tee "$table_file"

for c in $concurrency; do
  for s in $scenarios; do
    case $s in
      cacerts-keepalive) one "$s anon" --scenario "$s" --profile anon -c "$c" -d "$duration" --server-pid "$estd_pid" ;;
      *) one "$s anon p256" --scenario "$s" --profile anon -c "$c" -d "$duration" --server-pid "$estd_pid" ;;
    esac
  done
  one "enroll-keepalive basic p256" --scenario enroll-keepalive --profile basic --user bench \
    --password-file "$work/password" -c "$c" -d "$duration" --server-pid "$estd_pid"
done
one "enroll-keepalive anon rsa2048" --scenario enroll-keepalive --profile anon --key-type rsa2048 \
  -c 16 -d "$duration" --server-pid "$estd_pid"
one "handshake estd" --scenario handshake -c 16 -d "$duration" --server-pid "$estd_pid"

# The handshake ceiling: openssl s_server, same certificate, TLS 1.3. It is
# single-threaded, so compare CPU per handshake (srv ms/rq), not req/s.
sport=$(free_port)
openssl s_server -quiet -www -tls1_3 -accept "127.0.0.1:$sport" \
  -cert "$work/pki/tls.crt" -cert_chain "$work/pki/ca.crt" -key "$work/pki/tls.key" >/dev/null 2>&1 &
sserver_pid=$!
sleep 0.5
"$bench" --url "https://127.0.0.1:$sport" --cacert "$work/pki/root-ca.crt" --tls 1.3 \
  --json --label "handshake openssl-s_server" --scenario handshake -c 16 -d "$duration" \
  --server-pid "$sserver_pid" >"$work/sserver.json" || true
if [ -s "$work/sserver.json" ]; then
  jq -c . "$work/sserver.json" >>"$runs"
  row <"$work/sserver.json" | tee -a "$table_file"
fi
kill "$sserver_pid" 2>/dev/null || true
wait "$sserver_pid" 2>/dev/null || true
sserver_pid=""

# libest's example server beside estd: the same client, the same scenarios.
# It speaks TLS 1.2 only (estd runs TLS 1.3 above), with its own CA from its
# createCA.sh and Basic estuser/estpwd.
if [ "${LIBEST:-0}" = 1 ]; then
  libest_dir="$(cd "$build" && pwd)/libest"  # the build script changes directory
  "$root/tests/interop/build-libest.sh" "$root/../shared/thirdparty/libest/libest-3.2.0-a464ba8.tar.xz" \
    "$libest_dir"
  mkdir -p "$work/libest"
  cp "$libest_dir"/src/example/server/*.cnf "$libest_dir"/src/example/server/*.sh "$work/libest/"
  (cd "$work/libest" && bash ./createCA.sh >createCA.log 2>&1)
  printf 'estpwd\n' >"$work/libest/estpwd"
  lport=$(free_port)
  (cd "$work/libest" && EST_TRUSTED_CERTS=trustedcerts.crt EST_CACERTS_RESP=estCA/cacert.crt \
    EST_OPENSSL_CACONFIG=estExampleCA.cnf exec "$libest_dir/bin/estserver" \
    -c estCA/private/estservercertandkey.pem -k estCA/private/estservercertandkey.pem \
    -r estrealm -p "$lport" >estserver.log 2>&1 </dev/null) &
  libest_pid=$!
  for _ in $(seq 100); do
    curl -fsS -o /dev/null --cacert "$work/libest/estCA/cacert.crt" \
      "https://127.0.0.1:$lport/.well-known/est/cacerts" 2>/dev/null && break
    sleep 0.1
  done
  for c in $concurrency; do
    for s in cacerts-keepalive enroll-keepalive enroll-new-conn; do
      out=$("$bench" --url "https://127.0.0.1:$lport" --cacert "$work/libest/estCA/cacert.crt" --tls 1.2 \
        --user estuser --password-file "$work/libest/estpwd" --json --label "$s libest" \
        --scenario "$s" -c "$c" -d "$duration" --server-pid "$libest_pid" || true)
      if [ -n "$out" ]; then
        echo "$out" | jq -c . >>"$runs"
        echo "$out" | row | tee -a "$table_file"
      fi
    done
  done
  kill "$libest_pid" 2>/dev/null || true
  wait "$libest_pid" 2>/dev/null || true
  libest_pid=""
  # Ratios from this run: libest's server CPU per request over estd's, same
  # scenario and concurrency (estd's anonymous P-256 rows).
  jq -rs '
    map(select(.server.cpu_ms_per_request != null)) as $all
    | $all[] | select(.label | endswith(" libest")) as $l
    | ($l.label | sub(" libest$"; "")) as $s
    | [$all[] | select(.concurrency == $l.concurrency
        and (.label == ($s + " anon") or .label == ($s + " anon p256")))][0] as $e
    | select($e != null and $e.server.cpu_ms_per_request > 0)
    | "libest / estd, \($s) c\($l.concurrency): \($l.server.cpu_ms_per_request * 1000 | floor / 1000) / \($e.server.cpu_ms_per_request * 1000 | floor / 1000) ms = \($l.server.cpu_ms_per_request / $e.server.cpu_ms_per_request * 100 | floor / 100)x"' \
    "$runs" | tee -a "$table_file"
fi

if [ "$idle" -gt 0 ]; then
  "$bench" "${common[@]}" --label "idle $idle" --idle-connections "$idle" -c 64 --hold 3 \
    --server-pid "$estd_pid" >"$work/idle.json" || true
  if [ -s "$work/idle.json" ]; then
    jq -c . "$work/idle.json" >>"$runs"
    jq -r '"idle connections: \(.open) of \(.requested) open, estd RSS \(.server.rss_mb|floor) MB (before \(.server.rss_before_mb|floor) MB, peak \(.server.peak_rss_mb|floor) MB)"' \
      "$work/idle.json" | tee -a "$table_file"
  fi
fi

# The machine's crypto ceiling, per core.
speed_ec=$(openssl speed -seconds 2 ecdsap256 2>/dev/null | awk '/ecdsa \(nistp256\)/ {print $(NF-1), $NF}')
speed_x=$(openssl speed -seconds 2 ecdhx25519 2>/dev/null | awk '/ecdh \(X25519\)/ {print $NF}')
sign=${speed_ec% *}
verify=${speed_ec#* }
{
  echo "openssl speed (one core): ECDSA P-256 sign ${sign}/s verify ${verify}/s; X25519 ${speed_x} ops/s"
  awk -v s="$sign" -v v="$verify" -v n="$(nproc)" 'BEGIN { if (s > 0 && v > 0) {
    per = 1 / (1 / s + 1 / v);
    printf "crypto ceiling for an enrollment (1 CSR verify + 1 signature): %.0f/s per core, %.0f/s on %d cores\n", per, per * n, n } }'
  # estd beside them, from this run: a kept-alive enrollment against the
  # crypto it cannot avoid, a new-connection one against s_server's handshake.
  jq -rs --argjson s "${sign:-0}" --argjson v "${verify:-0}" '
    (if $s > 0 and $v > 0 then 1000 / $s + 1000 / $v else 0 end) as $crypto
    | ([.[] | select(.label == "handshake openssl-s_server")][0].server.cpu_ms_per_request // 0) as $hs
    | .[] | select(.server.cpu_ms_per_request != null) | .server.cpu_ms_per_request as $ms
    | if .label == "enroll-keepalive anon p256" and $crypto > 0 then
        "estd kept-alive enrollment c\(.concurrency): \($ms * 1000 | floor / 1000) ms = \($ms / $crypto * 10 | floor / 10)x its crypto (\($crypto * 1000 | floor / 1000) ms on one core)"
      elif .label == "enroll-new-conn anon p256" and $hs > 0 then
        "estd new-connection enrollment c\(.concurrency): \($ms * 1000 | floor / 1000) ms = the s_server handshake (\($hs * 1000 | floor / 1000) ms) + \(($ms - $hs) * 1000 | floor / 1000) ms"
      else empty end' "$runs"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$table_file"

jq -s --arg stamp "$stamp" --arg host "$(hostname)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
  --arg openssl "$(openssl version)" --argjson cores "$(nproc)" \
  --argjson sign "${sign:-0}" --argjson verify "${verify:-0}" --argjson x25519 "${speed_x:-0}" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson duration "$duration" --arg store "$store_label" \
  '{date: $stamp, host: $host, cpu: $cpu, cores: $cores, openssl: $openssl, load_average_end: $load,
    seconds_per_run: $duration, store: $store,
    openssl_speed: {ecdsap256_sign_per_s: $sign, ecdsap256_verify_per_s: $verify, x25519_per_s: $x25519},
    runs: .}' "$runs" >"$json_file"
echo "results: $json_file and $table_file"
