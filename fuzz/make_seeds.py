#!/usr/bin/env python3
"""Regenerates the committed seed corpora in fuzz/corpus/ (run from anywhere).

Real, valid inputs made with python3-cryptography, so each target starts
from what estd and estctl actually meet: CSRs in every wire form, EST HTTP
requests, certs-only PKCS#7, a serverkeygen multipart answer, an env file.
"""
import base64
import datetime
import pathlib
import urllib.parse

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
CHANNEL_BINDING = ObjectIdentifier("1.2.840.113549.1.9.16.2.56")
CHALLENGE_PASSWORD = ObjectIdentifier("1.2.840.113549.1.9.7")
SERIAL_NUMBER_ATTRIBUTE = ObjectIdentifier("2.5.4.5")


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def csr(key, cn, sans=(), password=None, binding=None, serial=None, eku=False):
    names = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if serial:
        names.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    if password is not None:
        builder = builder.add_attribute(CHALLENGE_PASSWORD, password.encode(),
                                        _tag=_ASN1Type.UTF8String)
    if binding is not None:
        builder = builder.add_attribute(CHANNEL_BINDING, binding, _tag=_ASN1Type.OctetString)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.DER)


def b64_lines(der, width=76, eol="\n"):
    text = base64.b64encode(der).decode()
    return eol.join(text[i:i + width] for i in range(0, len(text), width)) + eol


def pem(der, label):
    return f"-----BEGIN {label}-----\n" + b64_lines(der, 64) + f"-----END {label}-----\n"


def certificate(key, cn, issuer_key=None, issuer_cn=None, ca=False):
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or cn)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return builder.sign(issuer_key or key, hashes.SHA256())


def http_request(method, target, body="", headers=()):
    lines = [f"{method} {target} HTTP/1.1", "Host: est.example.com", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def http_response(status, reason, content_type, body):
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body.encode())}"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    return "\r\n".join(head) + "\r\n\r\n" + body


def write_operator_seeds(plain_csr):
    """The operator API (the fuzzer's keys) and the CRL/OCSP routes, each
    after an enrollment so the store has a certificate to list or revoke."""
    enroll = http_request("POST", "/.well-known/est/simpleenroll", b64_lines(plain_csr),
                          ["Content-Type: application/pkcs10"])
    admin = "Authorization: Bearer fuzz-admin-key"
    reader = "Authorization: Bearer fuzz-reader-key"
    json_type = "Content-Type: application/json"
    write("operator_api", "operator_enroll_then_list",
          enroll + http_request("GET", "/api/v1/est/certificates?limit=5&include=pem&issuer_id=iss-local",
                                headers=[reader]))
    write("operator_api", "operator_enroll_then_bulk_revoke",
          enroll + http_request("POST", "/api/v1/est/certificates/bulk-revoke",
                                '{"common_name":"device-1","reason":"keyCompromise"}',
                                [admin, json_type])
          + http_request("GET", "/.well-known/pki/crls/iss-local.crl"))
    write("operator_api", "operator_audit_profiles_reload_metrics",
          http_request("GET", "/api/v1/audit?limit=3&action_prefix=est_", headers=[admin])
          + http_request("GET", "/api/v1/admin/est/profiles", headers=[admin])
          + http_request("POST", "/api/v1/admin/est/reload-trust", '{"path_id":"fleet"}',
                         [admin, json_type])
          + http_request("GET", "/api/v1/metrics", headers=[reader]))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(ca_key, "Seed CA", ca=True)
    leaf = certificate(ec.generate_private_key(ec.SECP256R1()), "device-1", ca_key, "Seed CA")
    ocsp_request = (ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1()).build()
                    .public_bytes(serialization.Encoding.DER))
    write("operator_api", "pki_ca_and_ocsp_get",
          http_request("GET", "/.well-known/pki/certs/iss-local.crt")
          + http_request("GET", "/.well-known/pki/ocsp/"
                         + urllib.parse.quote(base64.b64encode(ocsp_request).decode(), safe="")))


def main():
    device_key = ec.generate_private_key(ec.SECP256R1())
    plain = csr(device_key, "device-1", sans=["device-1.example.com"])
    rich = csr(device_key, "laptop-001", sans=["laptop-001.example.com"], serial="ABC123", eku=True)
    bound = csr(device_key, "device-2", password=base64.b64encode(bytes(32)).decode(),
                binding=bytes(32))
    edwards = csr(ed25519.Ed25519PrivateKey.generate(), "sensor-7")

    for target in ("est_body", "csr"):
        write(target, "csr.pem", pem(plain, "CERTIFICATE REQUEST"))
        write(target, "csr_b64_crlf", b64_lines(plain, 64, "\r\n"))
        write(target, "csr_b64_one_line", base64.b64encode(rich).decode())
        write(target, "csr.der", rich)
    write("csr", "csr_channel_binding.der", bound)
    write("csr", "csr_ed25519.der", edwards)
    write("est_body", "b64_spaces", "  " + b64_lines(plain, 60).replace("\n", " \n\t") + "  ")
    write("channel_binding", "binding_attribute_and_password.der", bound)
    write("channel_binding", "password_only.der",
          csr(device_key, "device-3", password=base64.b64encode(b"x" * 32).decode()))
    write("channel_binding", "none.der", plain)

    basic = "Authorization: Basic " + base64.b64encode(b"device:fuzz-password").decode()
    write("http_router", "cacerts", http_request("GET", "/.well-known/est/cacerts"))
    write("http_router", "csrattrs_corp", http_request("GET", "/.well-known/est/corp/csrattrs"))
    write("http_router", "simpleenroll_legacy",
          http_request("POST", "/.well-known/est/simpleenroll", b64_lines(plain),
                       ["Content-Type: application/pkcs10"]))
    write("http_router", "simpleenroll_corp_basic",
          http_request("POST", "/.well-known/est/corp/simpleenroll", b64_lines(rich),
                       ["Content-Type: application/pkcs10", basic,
                        "X-Forwarded-For: 198.51.100.9, 192.0.2.1"]))
    write("http_router", "serverkeygen_plain_pem",
          http_request("POST", "/.well-known/est/plain/serverkeygen",
                       pem(plain, "CERTIFICATE REQUEST"), ["Content-Type: application/pkcs10"]))
    write("http_router", "simplereenroll_bound_chunked",
          "POST /.well-known/est/bound/simplereenroll HTTP/1.1\r\nHost: est\r\n"
          "Transfer-Encoding: chunked\r\nContent-Type: application/pkcs10\r\n\r\n"
          + f"{len(b64_lines(bound)):x}\r\n{b64_lines(bound)}\r\n0\r\n\r\n")
    write("http_router", "pipelined_healthz_mtls",
          http_request("GET", "/healthz") + http_request("GET", "/.well-known/est-mtls/fleet/cacerts"))
    forwarded = certificate(device_key, "device-1").public_bytes(serialization.Encoding.PEM)
    write("http_router", "simplereenroll_forwarded_cert",
          http_request("POST", "/.well-known/est/corp/simplereenroll", b64_lines(plain),
                       ["Content-Type: application/pkcs10",
                        "X-SSL-Client-Cert: " + urllib.parse.quote(forwarded.decode(), safe=""),
                        "X-Forwarded-For: 198.51.100.9"]))
    write_operator_seeds(plain)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(ca_key, "Seed CA", ca=True)
    leaf = certificate(device_key, "device-1", ca_key, "Seed CA")
    der = serialization.Encoding.DER
    certs_only = pkcs7.serialize_certificates([leaf, ca], der)
    mime = "application/pkcs7-mime; smime-type=certs-only"
    write("client_response", "cacerts_200",
          http_response(200, "OK", mime, b64_lines(pkcs7.serialize_certificates([ca], der), 76, "\r\n")))
    write("client_response", "simpleenroll_200_pem",
          http_response(200, "OK", mime, pem(certs_only, "PKCS7")))
    write("client_response", "pending_202",
          "HTTP/1.1 202 Accepted\r\nRetry-After: 60\r\nContent-Length: 0\r\n\r\n")
    write("client_response", "error_401",
          http_response(401, "Unauthorized", "text/plain", "wrong enrollment password\n"))
    pkcs8 = device_key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    boundary = "estd-seed-boundary"
    multipart = (f"preamble\r\n--{boundary}\r\nContent-Type: application/pkcs8\r\n"
                 f"Content-Transfer-Encoding: base64\r\n\r\n{b64_lines(pkcs8)}"
                 f"\r\n--{boundary}\r\nContent-Type: {mime}\r\n"
                 f"Content-Transfer-Encoding: base64\r\n\r\n"
                 f"{b64_lines(pkcs7.serialize_certificates([leaf], der))}\r\n--{boundary}--\r\n")
    write("client_response", "serverkeygen_multipart",
          http_response(200, "OK", f'multipart/mixed; boundary="{boundary}"', multipart))

    write("config", "minimal.env",
          "CERTCTL_EST_ENABLED=true\nCERTCTL_SERVER_TLS_CERT_PATH=tls.crt\n"
          "CERTCTL_SERVER_TLS_KEY_PATH=tls.key\nCERTCTL_CA_CERT_PATH=ca.crt\n"
          "CERTCTL_CA_KEY_PATH=ca.key\n")
    write("config", "database_url.env",
          "CERTCTL_EST_ENABLED=true\nCERTCTL_SERVER_TLS_CERT_PATH=tls.crt\n"
          "CERTCTL_SERVER_TLS_KEY_PATH=tls.key\nCERTCTL_CA_CERT_PATH=ca.crt\n"
          "CERTCTL_CA_KEY_PATH=ca.key\nCERTCTL_DATABASE_URL=postgresql://estd:secret@db.example:5432"
          "/estd?sslmode=verify-full&connect_timeout=5\nCERTCTL_DATABASE_MAX_CONNECTIONS=16\n")
    write("config", "profiles.env",
          "# two fleets\nCERTCTL_EST_ENABLED=true\nCERTCTL_SERVER_TLS_CERT_PATH=tls.crt\n"
          "CERTCTL_SERVER_TLS_KEY_PATH=tls.key\nCERTCTL_CA_CERT_PATH=ca.crt\n"
          "CERTCTL_CA_KEY_PATH=ca.key\nCERTCTL_SERVER_READ_TIMEOUT=1h30m\n"
          "CERTCTL_TRUSTED_PROXIES=10.0.0.0/8, 2001:db8::/32\nCERTCTL_EST_PROFILES=corp,iot\n"
          "CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES=basic,mtls\n"
          "CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD=change-me-please\n"
          "CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED=true\n"
          "CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH=trust.pem\n"
          "CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES=mtls\nCERTCTL_EST_PROFILE_IOT_MTLS_ENABLED=true\n"
          "CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH=trust.pem\n"
          "CERTCTL_EST_PROFILE_IOT_RATE_LIMIT_PER_PRINCIPAL_24H=3\n"
          "CERTCTL_API_KEYS_NAMED=ops:0123456789abcdef0123:admin\n")
    write("config", "cert_profiles_json.env",
          "CERTCTL_EST_ENABLED=true\nCERTCTL_SERVER_TLS_CERT_PATH=tls.crt\n"
          "CERTCTL_SERVER_TLS_KEY_PATH=tls.key\nCERTCTL_CA_CERT_PATH=ca.crt\n"
          "CERTCTL_CA_KEY_PATH=ca.key\nCERTCTL_CERT_PROFILES_FILE=fuzz.json\n"
          "CERTCTL_EST_PROFILE_ID=cp-wifi\n%%json\n"
          '{"profiles": {"cp-wifi": {"allowed_key_algorithms": ["EC-P256", "RSA-2048"], '
          '"allowed_ekus": ["clientAuth"], "allowed_san_types": ["dns"], '
          '"san_dns_suffixes": ["corp.example.com"], '
          '"required_csr_attributes": ["deviceSerialNumber"], "max_ttl_seconds": 86400}}}\n')


if __name__ == "__main__":
    main()
