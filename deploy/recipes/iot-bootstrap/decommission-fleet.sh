#!/bin/sh
# Compromise or decommission: revokes every certificate estd issued under the
# fleet's certificate profile (every device, every renewal). estd rebuilds the
# CRL before it answers and refuses their renewals from then on.
# See docs/recipes/iot-bootstrap.md.
#
# Usage: decommission-fleet.sh [REASON]   (default keyCompromise)
# Environment: EST_SERVER, EST_CA, ESTCTL as device-enroll.sh; the admin key
# in CERTCTL_API_KEY.
set -eu

"${ESTCTL:-estctl}" admin bulk-revoke --server "$EST_SERVER" --cacert "$EST_CA" \
  --profile-id cp-iot-sensors --reason "${1:-keyCompromise}"
