# Shared by the container tests (sourced). Sets up podman for this machine,
# builds what is missing, and gives each test a temporary directory that is
# removed, with every container and volume the test made, on exit.
# shellcheck shell=bash
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
test_name=$(basename "$0" .sh)
log() { echo "[$test_name] $*"; }
fail() {
  echo "[$test_name] FAIL: $*" >&2
  exit 1
}
# exit 77: CTest's SKIP_RETURN_CODE for these tests.
skip() {
  echo "[$test_name] SKIPPED: $*"
  exit 77
}

if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then
  msg="podman and mmdebstrap are needed (scripts/install-deps.sh installs them)"
  if [ "${CI:-}" = true ]; then fail "$msg"; fi
  skip "$msg"
fi

tmp=$(mktemp -d /tmp/estd-container-test.XXXXXX)
chmod 755 "$tmp"
containers=()
volumes=()
extra_cleanup() { :; }
cleanup() {
  local c v
  extra_cleanup || true
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  for v in "${volumes[@]}"; do podman volume rm -f "$v" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# podman's defaults do not fit every host (SPEC.md, "Containers"): crun refuses
# a hybrid cgroup v1/v2 setup, where runc works, and the default ulimits
# (nofile 1048576) are refused above the host's hard limit.
hard_nofile=$(ulimit -Hn)
if [ "$hard_nofile" = unlimited ] || [ "$hard_nofile" -gt 65536 ]; then hard_nofile=65536; fi
cat >"$tmp/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$hard_nofile:$hard_nofile", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$tmp/containers.conf

image=${ESTD_TEST_IMAGE:-localhost/estd-test}
base=localhost/estd-base:bookworm

# The base image from Debian's packages (deploy/container/base.sh), when
# missing, then: can this machine run a container at all? Only a failure of
# that probe skips the test.
prepare_podman() {
  if ! podman image exists "$base"; then
    log "building $base with mmdebstrap"
    nice -n 10 "$repo/deploy/container/base.sh" "$base" >"$tmp/base.log" 2>&1 || {
      tail -30 "$tmp/base.log" >&2
      fail "the base image does not build"
    }
  fi
  if ! podman run --rm --network host "$base" true >"$tmp/probe.log" 2>&1; then
    cat "$tmp/probe.log"
    skip "this machine cannot run containers: $(tail -1 "$tmp/probe.log")"
  fi
}

# The image from this checkout, at low priority: the machine's other work
# goes first. ESTD_TEST_NO_BUILD=1 tests $ESTD_TEST_IMAGE as it is.
build_image() {
  if [ "${ESTD_TEST_NO_BUILD:-0}" = 1 ]; then
    log "testing $image as it is (ESTD_TEST_NO_BUILD=1)"
    return
  fi
  log "building $image from $repo"
  local start=$SECONDS
  ESTD_IMAGE=$image BASE_IMAGE=$base nice -n 10 "$repo/deploy/container/build.sh" --quiet \
    --network host >"$tmp/build.log" 2>&1 || {
    tail -50 "$tmp/build.log" >&2
    fail "the image does not build"
  }
  log "image built in $((SECONDS - start)) s"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_https URL CACERT [SECONDS]
wait_https() {
  local deadline=$((SECONDS + ${3:-60}))
  until curl -fsS --cacert "$2" --max-time 2 -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# A dev PKI (scripts/dev-pki.sh) readable by the image's user, uid 10001.
make_pki() {
  "$repo/scripts/dev-pki.sh" "$1" estd-container >/dev/null
  chown -R 10001:10001 "$1"
}

# enroll_curl BASE_URL CACERT CN OUT: the README's curl enrollment.
enroll_curl() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$3.key"
  openssl req -new -key "$tmp/$3.key" -subj "/CN=$3" -outform DER -out "$tmp/$3.csr.der"
  curl -fsS --cacert "$2" -H "Content-Type: application/pkcs10" \
    --data-binary "$(base64 -w0 "$tmp/$3.csr.der")" "$1/.well-known/est/simpleenroll" |
    base64 -d | openssl pkcs7 -inform DER -print_certs >"$4"
  openssl x509 -in "$4" -noout -serial | cut -d= -f2
}
