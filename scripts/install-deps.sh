#!/usr/bin/env bash
# Installs the Debian 12 packages estd needs to build, run and test.
# Idempotent: only packages that are missing are installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libssl-dev openssl
  libboost-dev libboost-system-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev
  libsqlite3-dev sqlite3
  # PostgreSQL store: estd links libpq; tests run throwaway servers (tests/support/postgres.cpp)
  libpq-dev postgresql
  prometheus-cpp-dev
  curl ccache
  # tests: the reference Python client parses estd's /api/v1/metrics
  python3 python3-prometheus-client
  libp11-dev libp11-kit-dev softhsm2 opensc
  testssl.sh
  # tests/container: the image (deploy/Containerfile) on a Debian base, compose
  podman runc mmdebstrap podman-compose containernetworking-plugins iptables
  # interop suite (docs/interop.md): strongSwan's pki with its curl plugin
  # (extra) and openssl plugin (standard: EC certificates), and what libest's
  # build needs (liburiparser for estclient --path-seg)
  strongswan-pki libstrongswan-extra-plugins libstrongswan-standard-plugins
  liburiparser-dev xz-utils
  # recipes (docs/recipes/): nginx as the TLS 1.2 proxy and the replicas'
  # load balancer (stream module); a FreeRADIUS of the test's own on a
  # loopback port and eapol_test as access point and supplicant
  nginx libnginx-mod-stream freeradius eapoltest
  # fuzz/run.sh: libFuzzer targets built with clang
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  # scripts/lint.sh (CI): clang-format drift and clang-tidy's checks
  clang-format-14 clang-tidy-14
  # tests/console: the operator console in Debian's Chromium (playwright-core
  # from npm, pinned by tests/console/package-lock.json, drives it)
  chromium
  # bench/flamegraph.sh: perf samples estd's stacks
  linux-perf
)

# Node.js and npm for the console's browser tests: whatever node is on the
# PATH (a machine may carry a newer Node.js than Debian's, with its own npm),
# else Debian's nodejs and npm. playwright-core needs Node.js 20 or later.
if ! command -v node >/dev/null; then packages+=(nodejs); fi
if ! command -v npm >/dev/null; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The console tests' npm packages, exactly as the lockfile pins them; here,
# at install time, never during a build or a test.
console_tests="$(dirname "$0")/../tests/console"
if [ ! -d "$console_tests/node_modules/playwright-core" ]; then
  echo "install-deps: npm ci in tests/console"
  (cd "$console_tests" && npm ci --no-audit --no-fund --ignore-scripts)
fi
