#pragma once

#include <string>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/csr.hpp"
#include "estd/pki/handles.hpp"

namespace estd::est {

// serverkeygen (RFC 7030 §4.4, the guide's section on it, SPEC's wire rules).
// The generated key lives in memory only, between generation and encoding;
// it is never logged nor stored, and every buffer that held it in the clear
// is wiped (OPENSSL_cleanse) before the answer leaves this module.

// RFC 7030 §4.4.1.1 and §4.4.1.2: a client asks for the generated key to be
// encrypted to a key it names, with a DecryptKeyIdentifier (a symmetric key
// shared with the server) or an AsymmetricDecryptKeyIdentifier attribute.
// estd holds no such keys, so such a request ends with a 400 naming the
// attribute, never with a key the client did not ask for.
inline constexpr const char* kDecryptKeyIdentifierOid = "1.2.840.113549.1.9.16.2.37";
inline constexpr const char* kAsymmetricDecryptKeyIdentifierOid = "1.2.840.113549.1.9.16.2.54";
Status check_decrypt_key_identifiers(const pki::Csr& csr);

// In `cms` mode the CSR's key receives the generated key by key transport: it
// must be RSA, of at least 2048 bits. 400 saying why otherwise.
Status check_key_recipient(const pki::Csr& csr, config::ServerKeygenEncryption mode);

// A fresh key of `algorithm` and the CSR rebuilt around it (same subject,
// attributes and requested extensions, signed by the new key), so the
// policy and the issuer see a request that matches the certificate.
struct GeneratedRequest {
    pki::EvpPkeyPtr key;
    pki::Csr csr;
};
Result<GeneratedRequest> generate_request(const pki::Csr& csr,
                                          const config::KeyAlgorithm& algorithm);

// The 200 answer: multipart/mixed, the key part first (RFC 7030 §4.4.2), then
// the certificate as certs-only. The key part is PKCS#8 enveloped to
// `recipient`, the CSR's key (CMS EnvelopedData, AES-256-CBC, part type
// application/pkcs7-mime; smime-type=server-generated-key; the RecipientInfo
// names `recipient_name`, the CSR's subject, see pki::envelope_for_key) or,
// when `recipient` is null, plain PKCS#8 (application/pkcs8).
struct KeygenAnswer {
    std::string content_type;
    std::string body;
};
// Both parts' base64 in `layout`.
Result<KeygenAnswer> serverkeygen_answer(EVP_PKEY* generated_key, X509* certificate,
                                         EVP_PKEY* recipient,
                                         const X509_NAME* recipient_name = nullptr,
                                         pki::Base64Layout layout = pki::Base64Layout::wrapped);

inline constexpr std::string_view kEnvelopedKeyContentType =
    "application/pkcs7-mime; smime-type=server-generated-key";
inline constexpr std::string_view kPlainKeyContentType = "application/pkcs8";

}  // namespace estd::est
