#!/bin/sh
# Steady state (cron, e.g. hourly): renew over mTLS with the device's own
# certificate once 25% or less of its lifetime remains; before that estctl
# sends nothing. device.crt is replaced atomically. RENEW_AT overrides the
# threshold (100% renews now). See docs/recipes/iot-bootstrap.md.
#
# Usage: device-renew.sh DIR        (DIR holds device.crt and device.key)
# Environment: EST_SERVER, EST_CA, ESTCTL as device-enroll.sh.
set -eu
dir=$1

"${ESTCTL:-estctl}" est reenroll --server "$EST_SERVER" --cacert "$EST_CA" \
  --est-mtls --profile iot \
  --cert "$dir/device.crt" --key "$dir/device.key" \
  --if-remaining "${RENEW_AT:-25%}" --out "$dir/device.crt"
