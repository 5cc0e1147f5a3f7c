#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/test_pki.hpp"

// Requests and keys a well-behaved client would not make: for tests of what
// estd refuses. Failures throw std::runtime_error, as in test_pki.hpp.
namespace estd::test {

// "ED448", "X25519", ...: a key of a type the library generates by name.
pki::EvpPkeyPtr make_key(const char* type);
// RSA with a chosen public exponent: generated for odd e > 1; for e = 1 a
// key pair with d = 1 (it signs); for an even e a public key only.
pki::EvpPkeyPtr make_rsa_key_with_exponent(unsigned bits, unsigned long exponent);

struct ExtendedCsrOptions : CsrOptions {
    // SAN entries as raw bytes (NUL, newline, non-ASCII kept): (GEN_DNS,
    // GEN_EMAIL, GEN_URI or GEN_IPADD, bytes). They make a subjectAltName of
    // their own: with subject_alt_names as well, the request carries two.
    std::vector<std::pair<int, std::string>> raw_names;
    // A commonName as a UTF8String of exactly these bytes (any length, NUL
    // kept), instead of common_name.
    std::optional<std::string> raw_common_name;
    // A second extension request attribute with these extensions (under
    // Microsoft's OID 1.3.6.1.4.1.311.2.1.14: the library adds no attribute
    // type twice).
    std::vector<std::pair<std::string, std::string>> second_extension_request;
    long version = 0;    // the CSR's version field (0 is v1)
    std::string digest;  // signing digest by name ("MD5", "SHA1"); empty: estd's choice
};

// A signed PKCS#10 request, DER encoded.
pki::Bytes make_csr(EVP_PKEY* key, const ExtendedCsrOptions& options);

}  // namespace estd::test
