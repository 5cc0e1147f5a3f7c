#!/usr/bin/env bash
# Runs testssl.sh (the Debian package) against estd's default listener: the
# development PKI, TLS 1.3 minimum, on a loopback port. Offline: no DNS, no
# CRL/OCSP fetches. Fails on any finding of severity MEDIUM or above.
#
#   scripts/testssl.sh [build-dir]      (default: ./build, which must hold estd)
#
# Output: <build-dir>/testssl/result.json (findings MEDIUM and above only)
# and result.log (the full human-readable run).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=$(realpath "${1:-build}")
estd_bin="$build_dir/estd"
[ -x "$estd_bin" ] || { echo "testssl: $estd_bin not built" >&2; exit 2; }
testssl_bin=$(command -v testssl || command -v testssl.sh || true)
[ -n "$testssl_bin" ] || { echo "testssl: testssl.sh is not installed (scripts/install-deps.sh)" >&2; exit 2; }

out_dir="$build_dir/testssl"
work=$(mktemp -d /tmp/estd-testssl-XXXXXX)
estd_pid=
cleanup() {
  if [ -n "$estd_pid" ]; then kill "$estd_pid" 2>/dev/null || true; wait "$estd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out_dir"
rm -f "$out_dir/result.json" "$out_dir/result.log"

./scripts/dev-pki.sh "$work/pki" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The defaults of scripts/run-dev.sh: nothing TLS-related is overridden.
env -i PATH="$PATH" \
  CERTCTL_EST_ENABLED=true CERTCTL_EST_ISSUER_ID=iss-local \
  CERTCTL_CA_CERT_PATH="$work/pki/ca-chain.crt" CERTCTL_CA_KEY_PATH="$work/pki/ca.key" \
  CERTCTL_SERVER_TLS_CERT_PATH="$work/pki/tls.crt" CERTCTL_SERVER_TLS_KEY_PATH="$work/pki/tls.key" \
  CERTCTL_SERVER_HOST=127.0.0.1 CERTCTL_SERVER_PORT="$port" CERTCTL_DATA_DIR="$work/data" \
  "$estd_bin" serve >"$work/estd.log" 2>&1 &
estd_pid=$!

for _ in $(seq 1 100); do
  if curl -sk --max-time 2 -o /dev/null "https://127.0.0.1:$port/healthz"; then break; fi
  kill -0 "$estd_pid" 2>/dev/null || { cat "$work/estd.log" >&2; exit 2; }
  sleep 0.2
done

started=$(date +%s)
# Full checks (no --fast). The dev root is added as a CA so the chain of
# trust is judged as a client that was given the root would judge it.
set +e
"$testssl_bin" --quiet --color 0 --warnings off --nodns none \
  --connect-timeout 10 --openssl-timeout 10 \
  --add-ca "$work/pki/root-ca.crt" --ip 127.0.0.1 \
  --severity MEDIUM --jsonfile "$out_dir/result.json" \
  "https://localhost:$port/" >"$out_dir/result.log" 2>&1
testssl_rc=$?
set -e
elapsed=$(( $(date +%s) - started ))
echo "testssl: $("$testssl_bin" --version 2>/dev/null | grep -o 'testssl *[0-9.a-z+-]*' | head -1 | tr -s ' ') ran ${elapsed}s, exit $testssl_rc; log $out_dir/result.log"

[ -s "$out_dir/result.json" ] || { echo "testssl: no JSON result" >&2; tail -40 "$out_dir/result.log" >&2; exit 2; }
# The JSON holds only MEDIUM and above (--severity) plus the scanner's own
# notices (WARN, e.g. its openssl lacking GOST: about the scanner, not
# estd, so shown but not failing). FATAL means the scan itself failed.
report=$(python3 - "$out_dir/result.json" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1])):
    if f.get("severity") in ("MEDIUM", "HIGH", "CRITICAL", "FATAL", "WARN"):
        print(f'{f["severity"]:8} {f["id"]}: {f["finding"]}')
PY
)
grep '^WARN' <<<"$report" | sed 's/^/testssl: scanner notice: /' || true
findings=$(grep -v '^WARN' <<<"$report" || true)
if [ -n "$findings" ]; then
  echo "testssl: findings of severity MEDIUM or above:" >&2
  echo "$findings" >&2
  exit 1
fi
echo "testssl: no finding of severity MEDIUM or above"
