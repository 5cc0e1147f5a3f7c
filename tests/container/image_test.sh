#!/usr/bin/env bash
# The estd image end to end (issue 25): built from this checkout on a base
# made from Debian's packages, run on 127.0.0.1 (host network) with a dev PKI
# mounted read-only and the data directory a named volume; enrollment with
# curl and with the image's estctl; non-root; the health check; SIGTERM stops
# it within its grace period with exit code 0; a new container on the same
# volume still has the inventory and the audit trail; labels, size, no
# compiler in the runtime image.
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"

prepare_podman
build_image

# ---- the image itself ------------------------------------------------------
version=$(sed -n 's/^project(estd VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
label() { podman image inspect --format "{{index .Labels \"$1\"}}" "$image"; }
[ "$(label org.opencontainers.image.version)" = "$version" ] || fail "version label is not $version"
[ "$(label org.opencontainers.image.revision)" != "" ] || fail "no revision label"
podman image inspect --format '{{index .Labels "org.opencontainers.image.source"}}' "$image" >/dev/null
[ "$(podman run --rm --network none "$image" --version)" = "estd $version" ] ||
  fail "estd --version in the image is not estd $version"
[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = "10001:10001" ] || fail "image user"
[ "$(podman image inspect --format '{{.Config.StopSignal}}' "$image")" = "SIGTERM" ] || fail "STOPSIGNAL"
podman image inspect --format '{{.Config.Volumes}}' "$image" | grep -q /var/lib/estd || fail "no volume"
podman image inspect "$image" | grep -q '"/usr/local/bin/estd-healthcheck"' ||
  fail "no HEALTHCHECK (build with --format docker)"
compilers=$(podman run --rm --network none --entrypoint /bin/sh "$image" -c \
  'for c in cc gcc g++ c++ cpp clang as ld make cmake; do command -v $c; done;
   dpkg-query -W -f="\${Package}\n" |
     grep -E "^(gcc|g\+\+|cpp|clang|binutils)(-[0-9]+)?\$|^(make|cmake|ninja-build)\$|-dev\$" || true')
[ -z "$compilers" ] || fail "the runtime image has build tools: $compilers"
size=$(podman image inspect --format '{{.Size}}' "$image")
log "image size: $size bytes ($((size / 1000000)) MB); no compiler in it"

# ---- run it ------------------------------------------------------------------
make_pki "$tmp/pki"
port=$(free_port)
api_key=$(openssl rand -hex 24)
volume=estd-test-data-$$
podman volume create "$volume" >/dev/null
volumes+=("$volume")
run_estd() {  # NAME: estd on 127.0.0.1:$port, everything through CERTCTL_*
  containers+=("$1")
  podman run -d --name "$1" --network host \
    --read-only --tmpfs /tmp --cap-drop all --security-opt no-new-privileges \
    -v "$volume:/var/lib/estd" -v "$tmp/pki:/etc/estd/pki:ro" \
    -e CERTCTL_EST_ENABLED=true \
    -e CERTCTL_SERVER_HOST=127.0.0.1 -e CERTCTL_SERVER_PORT="$port" \
    -e CERTCTL_CA_CERT_PATH=/etc/estd/pki/ca-chain.crt -e CERTCTL_CA_KEY_PATH=/etc/estd/pki/ca.key \
    -e CERTCTL_SERVER_TLS_CERT_PATH=/etc/estd/pki/tls.crt \
    -e CERTCTL_SERVER_TLS_KEY_PATH=/etc/estd/pki/tls.key \
    -e CERTCTL_API_KEYS_NAMED="ops:$api_key:admin" \
    "$image" >/dev/null
}
url=https://127.0.0.1:$port
ca=$tmp/pki/root-ca.crt
run_estd estd-test-a-$$
wait_https "$url/healthz" "$ca" 60 || {
  podman logs "estd-test-a-$$" 2>&1 | tail -30
  fail "estd in the container did not answer /healthz"
}
log "serving on $url"

# The process runs as uid 10001, seen from the host too.
pid=$(podman inspect --format '{{.State.Pid}}' "estd-test-a-$$")
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
[ "$uids" = "10001 10001 10001 10001" ] || fail "estd runs with uids $uids, not 10001"
[ "$(podman exec "estd-test-a-$$" id -u)" = 10001 ] || fail "exec user"

podman healthcheck run "estd-test-a-$$" >/dev/null || fail "the health check fails"
log "health check: healthy"

# The operator console is compiled into the image's estd.
page=$(curl -fsS --cacert "$ca" "$url/est") || fail "the console (/est) is not served"
[[ "$page" == *"<title>"* ]] || fail "/est is not the console's page"
log "console: /est served"

serial_curl=$(enroll_curl "$url" "$ca" device-curl "$tmp/curl.crt")
openssl verify -CAfile "$ca" -untrusted "$tmp/pki/ca.crt" "$tmp/curl.crt" >/dev/null ||
  fail "curl's certificate does not verify"
estctl() {
  podman run --rm --network host --no-healthcheck -v "$tmp:/work:ro" -v "$tmp/out:/out" \
    -e CERTCTL_API_KEY="$api_key" --entrypoint /usr/local/bin/estctl "$image" "$@"
}
mkdir -p "$tmp/out" && chown 10001:10001 "$tmp/out"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/device-estctl.key"
chmod 644 "$tmp/device-estctl.key"
estctl est enroll --server "$url" --cacert /work/pki/root-ca.crt --key /work/device-estctl.key \
  --cn device-estctl --out /out/estctl.crt >/dev/null || fail "estctl enroll"
serial_estctl=$(openssl x509 -in "$tmp/out/estctl.crt" -noout -serial | cut -d= -f2)
log "enrolled with curl ($serial_curl) and estctl ($serial_estctl)"

# SIGTERM (the image's STOPSIGNAL): a clean exit, well within the grace period.
start=$(date +%s%N)
podman stop -t 15 "estd-test-a-$$" >/dev/null
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
code=$(podman inspect --format '{{.State.ExitCode}}' "estd-test-a-$$")
[ "$code" = 0 ] || fail "estd exited with $code after SIGTERM (137 = killed after the grace period)"
[ "$elapsed_ms" -lt 15000 ] || fail "stopping took $elapsed_ms ms"
podman logs "estd-test-a-$$" 2>&1 | grep -q '"estd stopped"\|estd stopped' || fail "no 'estd stopped' line"
# Logs are JSON lines on stdout.
podman logs "estd-test-a-$$" 2>/dev/null | head -5 | python3 -c '
import json, sys
for line in sys.stdin:
    json.loads(line)' || fail "the log is not JSON lines"
log "SIGTERM: exit 0 after $elapsed_ms ms; logs are JSON"

# A new container on the same volume: the inventory and the audit trail.
run_estd estd-test-b-$$
wait_https "$url/healthz" "$ca" 60 || fail "the second container did not start"
certs=$(estctl admin certs --server "$url" --cacert /work/pki/root-ca.crt --json)
for serial in "$serial_curl" "$serial_estctl"; do
  echo "$certs" | python3 -c '
import json, sys
serial = sys.argv[1].lower().lstrip("0")
rows = json.load(sys.stdin)
rows = rows if isinstance(rows, list) else rows.get("certificates", rows.get("items", []))
sys.exit(0 if any(str(r.get("serial", r.get("serial_number", ""))).lower().replace(":", "").lstrip("0") == serial for r in rows) else 1)' "$serial" ||
    fail "certificate $serial is not in the inventory after the restart: $certs"
done
audit=$(estctl admin audit --server "$url" --cacert /work/pki/root-ca.crt --action-prefix est_simple_enroll_success --json)
[ "$(echo "$audit" | grep -o est_simple_enroll_success | wc -l)" -ge 2 ] ||
  fail "the audit trail lost the enrollments: $audit"
lines=$(podman exec "estd-test-b-$$" grep -c est_simple_enroll_success /var/lib/estd/audit.log)
[ "$lines" -ge 2 ] || fail "audit.log on the volume has $lines enrollment lines"
podman exec "estd-test-b-$$" stat -c '%u %a' /var/lib/estd/estd.db | grep -q '^10001 600$' ||
  fail "estd.db is not 0600 and owned by 10001"
log "after a restart on the same volume: both certificates and their audit rows are there"

podman stop -t 15 "estd-test-b-$$" >/dev/null
log OK
