#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds estd, creates (if
# absent) a DEVELOPMENT-ONLY CA and TLS certificate under ./data/dev, and
# serves the legacy root EST profile anonymously on https://127.0.0.1:8443.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESTD_BUILD_TESTS=OFF >/dev/null
cmake --build build --target estd

data_dir=${CERTCTL_DATA_DIR:-$PWD/data}
./scripts/dev-pki.sh "$data_dir/dev"

cat >&2 <<BANNER

  ********************************************************************
  *  estd DEVELOPMENT MODE - the CA and TLS keys in $data_dir/dev
  *  are generated, unprotected and for local trials only.
  *  The EST profile is ANONYMOUS: anyone who reaches the port enrolls.
  *  Trust anchor for clients: $data_dir/dev/root-ca.crt
  ********************************************************************

BANNER

export CERTCTL_EST_ENABLED=true
export CERTCTL_EST_ISSUER_ID=iss-local
export CERTCTL_CA_CERT_PATH="$data_dir/dev/ca-chain.crt"
export CERTCTL_CA_KEY_PATH="$data_dir/dev/ca.key"
export CERTCTL_SERVER_TLS_CERT_PATH="$data_dir/dev/tls.crt"
export CERTCTL_SERVER_TLS_KEY_PATH="$data_dir/dev/tls.key"
export CERTCTL_SERVER_HOST=${CERTCTL_SERVER_HOST:-127.0.0.1}
export CERTCTL_SERVER_PORT=${CERTCTL_SERVER_PORT:-8443}
export CERTCTL_DATA_DIR="$data_dir"
exec ./build/estd serve
