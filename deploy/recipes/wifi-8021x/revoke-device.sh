#!/bin/sh
# Takes a device off the WiFi: revokes every certificate the wifi profile
# issued to it (its current one and any earlier renewal). estd rebuilds the
# CRL before it answers; FreeRADIUS refuses the device once crl-refresh.sh
# has fetched that CRL. See docs/recipes/wifi-8021x.md.
#
# Usage: revoke-device.sh CN [REASON]    (REASON default keyCompromise)
# Environment: EST_SERVER, EST_CA, ESTCTL as device-enroll.sh; the admin key
# in CERTCTL_API_KEY.
set -eu

"${ESTCTL:-estctl}" admin bulk-revoke --server "$EST_SERVER" --cacert "$EST_CA" \
  --est-profile wifi --cn "$1" --reason "${2:-keyCompromise}"
