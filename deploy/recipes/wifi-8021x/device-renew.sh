#!/bin/sh
# The device's renewal (cron, daily): over mTLS with the EAP-TLS certificate
# itself, the CSR repeating its subject (CN and serialNumber) and bound to the
# connection. estctl renews only when at most RENEW_AT of the certificate's
# lifetime remains (the guide: 50% for laptops), and replaces eap.crt
# atomically. See docs/recipes/wifi-8021x.md.
#
# Usage: device-renew.sh DIR        (DIR holds eap.crt and eap.key)
# Environment: EST_SERVER, EST_CA, ESTCTL as device-enroll.sh; RENEW_AT
# (default 50%).
set -eu
dir=$1

"${ESTCTL:-estctl}" est reenroll --server "$EST_SERVER" --cacert "$EST_CA" \
  --est-mtls --profile wifi \
  --cert "$dir/eap.crt" --key "$dir/eap.key" \
  --channel-binding --if-remaining "${RENEW_AT:-50%}" --out "$dir/eap.crt"
