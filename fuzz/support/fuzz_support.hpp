#pragma once

// What several fuzz targets share: a small PKI made once per process with
// the OpenSSL API (the same helpers the unit tests use), CSR re-signing so
// mutated requests get past the signature check, and an in-memory TLS
// connection whose channel binding the server side can compute.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "estd/issuer/local_issuer.hpp"
#include "estd/pki/handles.hpp"
#include "support/test_pki.hpp"

namespace estd::fuzz {

inline std::span<const std::uint8_t> input_bytes(const std::uint8_t* data, std::size_t size) {
    return {data, size};
}
inline std::string_view input_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A CA (EC P-256) with its files in a temporary directory and a local
// issuer loaded from them, plus end-entity keys of each kind a CSR may hold.
struct TestPki {
    test::TempDir dir;
    pki::EvpPkeyPtr ca_key;
    pki::X509Ptr ca_cert;
    std::string ca_cert_path;
    std::string ca_key_path;
    std::unique_ptr<issuer::LocalIssuer> issuer;
    pki::EvpPkeyPtr ec_key;
    pki::EvpPkeyPtr rsa_key;
    pki::EvpPkeyPtr ed25519_key;
};

// Built on first use, alive until exit.
TestPki& test_pki();

// The request in `der` with its public key replaced by `key` and signed by
// it, so that everything after the proof-of-possession check sees the
// mutated content. nullopt when `der` is not an X509_REQ at all.
std::optional<pki::Bytes> resigned_csr(std::span<const std::uint8_t> der, EVP_PKEY* key);
// `req` signed by `key` (its public key left as it is), DER encoded.
std::optional<pki::Bytes> signed_request_der(X509_REQ* req, EVP_PKEY* key);

using SslPtr = pki::OpenSslPtr<SSL, SSL_free>;

// The server end of a completed in-memory TLS handshake (the client end is
// kept alive with it).
struct TlsConnection {
    SslPtr server;
    SslPtr client;
};

// TLS 1.3, or TLS 1.2 with Extended Master Secret.
TlsConnection& tls_connection(int version);

}  // namespace estd::fuzz
