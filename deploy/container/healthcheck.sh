#!/bin/sh
# The image's HEALTHCHECK: GET /healthz on estd's own listener. A liveness
# probe of the local process, so the server certificate is not checked here
# (clients check it; /readyz tells whether estd can enroll).
host=${CERTCTL_SERVER_HOST:-127.0.0.1}
case "$host" in
  "" | 0.0.0.0 | "::" | "[::]") host=127.0.0.1 ;;
  *:*) host="[$host]" ;;
esac
exec curl --silent --show-error --fail --insecure --max-time 4 --output /dev/null \
  "https://$host:${CERTCTL_SERVER_PORT:-8443}/healthz"
