# shellcheck shell=bash disable=SC2154  # the variables below are the caller's
# Sourced by bench/run.sh and bench/flamegraph.sh: estd started the way the
# benchmarks run it, so every figure and profile comes from the same setup.
#
# make_bench_pki needs root and work: a DEV-ONLY PKI in $work/pki and the Basic
# profile's password in $work/password.
# start_estd needs: estd (the binary), work (a directory holding pki/ from
# make_bench_pki), port, server_threads, worker_threads and database_url
# (empty: the embedded store in $work/data). It sets estd_pid, and exits when
# estd does not answer /healthz within 10 s (the caller's EXIT trap cleans up).

make_bench_pki() {
  "$root/scripts/dev-pki.sh" "$work/pki" bench >/dev/null 2>&1
  printf 'bench-password\n' >"$work/password"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_estd() {
  env -i PATH="$PATH" \
    CERTCTL_EST_ENABLED=true \
    CERTCTL_SERVER_HOST=127.0.0.1 \
    CERTCTL_SERVER_PORT="$port" \
    CERTCTL_SERVER_THREADS="$server_threads" \
    CERTCTL_SERVER_WORKER_THREADS="$worker_threads" \
    CERTCTL_SERVER_TLS_CERT_PATH="$work/pki/tls.crt" \
    CERTCTL_SERVER_TLS_KEY_PATH="$work/pki/tls.key" \
    CERTCTL_SERVER_TLS_MIN_VERSION=1.3 \
    CERTCTL_SERVER_READ_TIMEOUT=10m \
    CERTCTL_SERVER_IDLE_TIMEOUT=10m \
    CERTCTL_SERVER_MAX_CONNECTIONS=20000 \
    CERTCTL_CA_CERT_PATH="$work/pki/ca-chain.crt" \
    CERTCTL_CA_KEY_PATH="$work/pki/ca.key" \
    CERTCTL_EST_PROFILES=anon,basic \
    CERTCTL_EST_PROFILE_ANON_ISSUER_ID=iss-local \
    CERTCTL_EST_PROFILE_BASIC_ISSUER_ID=iss-local \
    CERTCTL_EST_PROFILE_BASIC_ALLOWED_AUTH_MODES=basic \
    CERTCTL_EST_PROFILE_BASIC_ENROLLMENT_PASSWORD=bench-password \
    CERTCTL_DATA_DIR="$work/data" \
    ${database_url:+CERTCTL_DATABASE_URL="$database_url"} \
    CERTCTL_LOG_LEVEL=warn \
    "$estd" serve >"$work/estd.log" 2>&1 &
  estd_pid=$!
  for _ in $(seq 100); do
    curl -fsS --cacert "$work/pki/root-ca.crt" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  if ! kill -0 "$estd_pid" 2>/dev/null; then
    echo "estd did not start:" >&2
    cat "$work/estd.log" >&2
    exit 1
  fi
}
