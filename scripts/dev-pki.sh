#!/usr/bin/env bash
# Creates, if absent, DEVELOPMENT-ONLY PKI material in DIR:
#   root-ca.{crt,key}          ECDSA P-256 root
#   ca.{crt,key}               ECDSA P-256 intermediate (the issuing CA)
#   ca-chain.crt               intermediate followed by the root
#   tls.{crt,key}              TLS server certificate for localhost / 127.0.0.1
# Every subject says DEV-ONLY, and estd warns loudly at boot when it sees one.
# Usage: dev-pki.sh DIR [NAME]   (NAME distinguishes several dev CAs in tests)
set -euo pipefail

dir=${1:?usage: dev-pki.sh DIR [NAME]}
name=${2:-estd}
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

if [ -s ca-chain.crt ] && [ -s ca.key ] && [ -s tls.crt ] && [ -s tls.key ]; then
  exit 0
fi

umask 077
org="/O=${name} DEV-ONLY not for production"

cat > ext.cnf <<CNF
[intermediate]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tls]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
# The CRL estd publishes for this CA under scripts/run-dev.sh (issuer
# iss-local, port 8443), so a TLS client can check this certificate.
crlDistributionPoints = URI:https://localhost:8443/.well-known/pki/crls/iss-local.crl
CNF

openssl ecparam -name prime256v1 -genkey -noout -out root-ca.key
openssl req -new -x509 -key root-ca.key -sha256 -days 3650 \
  -subj "${org}/CN=${name} DEV-ONLY Root CA" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out root-ca.crt

openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -new -key ca.key -subj "${org}/CN=${name} DEV-ONLY Issuing CA" -out ca.csr
openssl x509 -req -in ca.csr -CA root-ca.crt -CAkey root-ca.key -CAcreateserial -sha256 \
  -days 1825 -extfile ext.cnf -extensions intermediate -out ca.crt 2>/dev/null

openssl ecparam -name prime256v1 -genkey -noout -out tls.key
openssl req -new -key tls.key -subj "${org}/CN=localhost" -out tls.csr
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 \
  -days 825 -extfile ext.cnf -extensions tls -out tls.leaf.crt 2>/dev/null

cat ca.crt root-ca.crt > ca-chain.crt
cat tls.leaf.crt ca.crt > tls.crt
rm -f ca.csr tls.csr ext.cnf root-ca.srl ca.srl tls.leaf.crt
chmod 600 ./*.key
chmod 644 ./*.crt
