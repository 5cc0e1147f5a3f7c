#!/bin/sh
# FreeRADIUS's own certificate (the one EAP-TLS supplicants check against
# peer.conf's ca_cert and domain_suffix_match), from estd's radius profile
# with its enrollment password. See docs/recipes/wifi-8021x.md.
#
# Usage: radius-server-cert.sh DIR DNS_NAME
#   writes DIR/server.key and DIR/server.pem (certificate and chain)
# Environment: EST_SERVER, EST_CA, ESTCTL as device-enroll.sh;
# EST_PASSWORD_FILE (first line: the radius profile's password).
set -eu
dir=$1 name=$2

(umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$dir/server.key")
"${ESTCTL:-estctl}" est enroll --server "$EST_SERVER" --cacert "$EST_CA" \
  --profile radius --user radius --password-file "$EST_PASSWORD_FILE" \
  --key "$dir/server.key" --cn "$name" --dns "$name" --out "$dir/server.pem"
