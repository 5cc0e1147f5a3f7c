#!/usr/bin/env bash
# deploy/compose.yaml brought up with Debian's podman-compose (issue 25): PostgreSQL
# and two estd replicas, every one on 127.0.0.1 (host network, free ports).
# A certificate enrolled on one replica is revoked through the other's
# operator API, and the CRL of either lists it.
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"

command -v podman-compose >/dev/null || {
  [ "${CI:-}" = true ] && fail "podman-compose is missing (scripts/install-deps.sh installs it)"
  skip "podman-compose is missing (scripts/install-deps.sh installs it)"
}
prepare_podman
build_image
pg_image=${ESTD_TEST_POSTGRES_IMAGE:-localhost/estd-postgres-test:15}
log "building $pg_image"
nice -n 10 podman build --quiet --network host --format docker -t "$pg_image" "$repo/deploy/postgres" \
  >"$tmp/pg-build.log" 2>&1 || {
  tail -30 "$tmp/pg-build.log" >&2
  fail "the PostgreSQL image does not build"
}

# The operator's steps (docs/deploy.md) in a copy of deploy/.
project=$tmp/deploy
mkdir -p "$project"
cp "$repo/deploy/compose.yaml" "$project/"
cp -r "$repo/deploy/compose" "$project/"
echo "PGPASSWORD=$(openssl rand -hex 24)" >"$project/compose/db.env"
api_key=$(openssl rand -hex 24)
echo "CERTCTL_API_KEYS_NAMED=ops:$api_key:admin" >"$project/compose/api-keys.env"
chmod 600 "$project/compose/db.env" "$project/compose/api-keys.env"
make_pki "$project/compose/pki"

export ESTD_IMAGE=$image:latest ESTD_POSTGRES_IMAGE=$pg_image ESTD_HOST=127.0.0.1
ESTD_PORT_1=$(free_port)
ESTD_PORT_2=$(free_port)
ESTD_DB_PORT=$(free_port)
export ESTD_PORT_1 ESTD_PORT_2 ESTD_DB_PORT
name=estdtest$$
# Debian 12's podman-compose 1.0.3 needs the wrapper for host networking
# (deploy/container/podman-hostnet, docs/deploy.md).
compose() {
  podman-compose --podman-path "$repo/deploy/container/podman-hostnet" \
    --project-name "$name" -f "$project/compose.yaml" "$@"
}
extra_cleanup() {
  compose down -v -t 0 >/dev/null 2>&1
  podman volume rm -f "${name}_db-data" "${name}_estd-1-data" "${name}_estd-2-data" >/dev/null 2>&1
}

log "up: db on 127.0.0.1:$ESTD_DB_PORT, estd-1 on :$ESTD_PORT_1, estd-2 on :$ESTD_PORT_2"
compose up -d >"$tmp/up.log" 2>&1 || {
  cat "$tmp/up.log" >&2
  fail "podman-compose up"
}
ca=$project/compose/pki/root-ca.crt
url1=https://127.0.0.1:$ESTD_PORT_1
url2=https://127.0.0.1:$ESTD_PORT_2
for url in "$url1" "$url2"; do
  wait_https "$url/readyz" "$ca" 120 || {
    podman ps -a --filter "label=io.podman.compose.project=$name" >&2
    for c in db estd-1 estd-2; do podman logs "${name}_${c}_1" 2>&1 | tail -15 >&2; done
    fail "$url is not ready"
  }
done
for c in db estd-1 estd-2; do
  podman healthcheck run "${name}_${c}_1" >/dev/null || fail "health check of $c"
done
log "both replicas ready, every health check passes"

serial=$(enroll_curl "$url1" "$ca" device-compose "$tmp/device.crt")
log "enrolled $serial on estd-1"
podman run --rm --network host --no-healthcheck -v "$project/compose/pki:/pki:ro" -e CERTCTL_API_KEY="$api_key" \
  --entrypoint /usr/local/bin/estctl "$image" admin bulk-revoke --server "$url2" \
  --cacert /pki/root-ca.crt --reason keyCompromise --serial "$serial" >"$tmp/revoke.log" 2>&1 || {
  cat "$tmp/revoke.log" >&2
  fail "bulk-revoke on estd-2"
}
log "revoked on estd-2"

# Each replica rebuilds its CRL within seconds of a revocation on another.
for url in "$url2" "$url1"; do
  deadline=$((SECONDS + 30))
  until curl -fsS --cacert "$ca" "$url/.well-known/pki/crls/iss-local.crl" |
    openssl crl -inform DER -noout -text 2>/dev/null | grep -qi "Serial Number: *$serial"; do
    [ $SECONDS -lt $deadline ] || fail "the CRL of $url does not list $serial"
    sleep 1
  done
  log "the CRL of $url lists $serial"
done

compose down -t 15 >"$tmp/down.log" 2>&1 || {
  cat "$tmp/down.log" >&2
  fail "podman-compose down"
}
log OK
