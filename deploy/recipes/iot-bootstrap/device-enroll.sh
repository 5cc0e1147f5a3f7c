#!/bin/sh
# First boot: the device makes its key, puts its serial number in the CSR
# (deviceSerialNumber) and enrolls over mTLS with its factory certificate.
# See docs/recipes/iot-bootstrap.md.
#
# Usage: device-enroll.sh DIR SERIAL
#   DIR holds factory.crt and factory.key; device.key and device.crt are
#   written there. The subject is CN=sensor-SERIAL, serialNumber=SERIAL.
# Environment: EST_SERVER (https://est.example.com:8443), EST_CA (the trust
# anchor of estd's TLS certificate), ESTCTL (default: estctl).
set -eu
dir=$1 serial=$2

(umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$dir/device.key")
"${ESTCTL:-estctl}" est enroll --server "$EST_SERVER" --cacert "$EST_CA" \
  --est-mtls --profile iot \
  --cert "$dir/factory.crt" --key "$dir/factory.key" \
  --csr-key "$dir/device.key" --cn "sensor-$serial" --serial "$serial" \
  --out "$dir/device.crt"
