#!/bin/sh
# The device's first enrollment on the WiFi profile: a new EAP-TLS key made
# on the device, the CSR bound to the TLS connection (channel binding) and
# sent over mTLS with the factory certificate. See docs/recipes/wifi-8021x.md.
#
# Usage: device-enroll.sh DIR CN SERIAL
#   DIR holds factory.crt and factory.key; eap.key and eap.crt are written there.
# Environment: EST_SERVER (https://est.example.com:8443), EST_CA (the trust
# anchor of estd's TLS certificate), ESTCTL (default: estctl).
set -eu
dir=$1 cn=$2 serial=$3

(umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$dir/eap.key")
"${ESTCTL:-estctl}" est enroll --server "$EST_SERVER" --cacert "$EST_CA" \
  --est-mtls --profile wifi \
  --cert "$dir/factory.crt" --key "$dir/factory.key" \
  --csr-key "$dir/eap.key" --cn "$cn" --serial "$serial" \
  --channel-binding --out "$dir/eap.crt"
