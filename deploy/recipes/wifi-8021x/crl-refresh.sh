#!/bin/sh
# Fetches the CRL estd publishes for one issuer into FreeRADIUS's CRL
# directory (the eap module's ca_path). Run it from cron every few minutes;
# see docs/recipes/wifi-8021x.md.
#
# Usage: crl-refresh.sh ESTD_URL ISSUER_ID CA_FILE CRL_DIR [TLS_CA_FILE]
#   ESTD_URL     https://est.example.com:8443
#   ISSUER_ID    the issuer of the WiFi profile (iss-local)
#   CA_FILE      that issuer's CA chain (the eap module's ca_file): the CRL
#                must be signed by it, or nothing is changed
#   CRL_DIR      the eap module's ca_path
#   TLS_CA_FILE  trust anchor of estd's TLS certificate (default CA_FILE)
#
# Each new CRL (a cRLNumber not seen before) is added as a new file and the
# directory rehashed: OpenSSL inside FreeRADIUS looks for further
# <hash>.rN files at every authentication, so a revocation counts at the next
# one, without a restart. A CRL already read stays in FreeRADIUS's memory
# until ca_path_reload_interval; the newest one (by thisUpdate) is used.
# Exit status: 0 when the directory holds the current CRL, 1 otherwise (the
# previous CRLs stay in place; FreeRADIUS refuses every client once the last
# one is past its nextUpdate, so a broken refresh fails closed).
set -eu

if [ $# -lt 4 ] || [ $# -gt 5 ]; then
  echo "usage: $0 ESTD_URL ISSUER_ID CA_FILE CRL_DIR [TLS_CA_FILE]" >&2
  exit 2
fi
url=$1 issuer=$2 ca_file=$3 crl_dir=$4 tls_ca=${5:-$3}

fetched=$(mktemp "$crl_dir/.fetch-XXXXXX")
trap 'rm -f "$fetched" "$fetched.pem"' EXIT

curl -sSf --max-time 30 --cacert "$tls_ca" -o "$fetched" \
  "$url/.well-known/pki/crls/$issuer.crl"
if ! openssl crl -inform DER -in "$fetched" -CAfile "$ca_file" -noout 2>/dev/null; then
  echo "$0: the CRL from $url is not signed by a CA in $ca_file; nothing changed" >&2
  exit 1
fi
number=$(openssl crl -inform DER -in "$fetched" -noout -crlnumber)
number=${number#crlNumber=}
target="$crl_dir/$issuer-$number.crl.pem"
if [ -e "$target" ]; then
  exit 0
fi
openssl crl -inform DER -in "$fetched" -out "$fetched.pem"
mv "$fetched.pem" "$target"
openssl rehash "$crl_dir"
echo "$0: $issuer CRL $number installed in $crl_dir"
