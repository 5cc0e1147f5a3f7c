#include "estd/est/server_keygen.hpp"

#include "estd/est/multipart.hpp"
#include "estd/est/wire.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/cms.hpp"
#include "estd/pki/pkcs8.hpp"
#include "estd/policy/key_algorithm.hpp"

namespace estd::est {
namespace {

constexpr int kMinRecipientBits = 2048;

// A std::string holding key material, overwritten when it goes away.
struct WipedText {
    explicit WipedText(std::string value) : text(std::move(value)) {}
    WipedText(WipedText&&) noexcept = default;  // moves the heap buffer, copies nothing
    WipedText(const WipedText&) = delete;
    WipedText& operator=(const WipedText&) = delete;
    WipedText& operator=(WipedText&&) = delete;
    ~WipedText() { OPENSSL_cleanse(text.data(), text.size()); }
    std::string text;
};

// The key part's base64 text: EnvelopedData of the PKCS#8, or the PKCS#8.
Result<WipedText> key_part(EVP_PKEY* generated_key, EVP_PKEY* recipient,
                           const X509_NAME* recipient_name, pki::Base64Layout layout) {
    auto pkcs8 = pki::private_key_pkcs8_der(generated_key);
    if (!pkcs8) {
        return std::move(pkcs8).take_error();
    }
    if (recipient == nullptr) {
        return WipedText{pki::base64_encode(pkcs8->view(), layout)};
    }
    auto enveloped = pki::envelope_for_key(pkcs8->view(), recipient, recipient_name);
    if (!enveloped) {
        return std::move(enveloped).take_error();
    }
    return WipedText{pki::base64_encode(*enveloped, layout)};
}

}  // namespace

Status check_decrypt_key_identifiers(const pki::Csr& csr) {
    if (csr.has_attribute(kDecryptKeyIdentifierOid)) {
        return Error::bad_request(
            "serverkeygen: the CSR asks for the generated key to be encrypted with a symmetric "
            "key it names (DecryptKeyIdentifier, 1.2.840.113549.1.9.16.2.37, RFC 7030 "
            "§4.4.1.1); this server holds no key by that identifier, so no key is generated. "
            "Send the request without that attribute");
    }
    if (csr.has_attribute(kAsymmetricDecryptKeyIdentifierOid)) {
        return Error::bad_request(
            "serverkeygen: the CSR asks for the generated key to be encrypted to a key it names "
            "(AsymmetricDecryptKeyIdentifier, 1.2.840.113549.1.9.16.2.54, RFC 7030 §4.4.1.2); "
            "this server holds no key by that identifier, so no key is generated. Send the "
            "request without that attribute");
    }
    return Ok{};
}

Status check_key_recipient(const pki::Csr& csr, config::ServerKeygenEncryption mode) {
    if (mode == config::ServerKeygenEncryption::none) {
        return Ok{};
    }
    EVP_PKEY* key = csr.public_key();
    if (!EVP_PKEY_is_a(key, "RSA")) {
        return Error::bad_request(
            "serverkeygen returns the generated key encrypted to the CSR's public key (CMS "
            "EnvelopedData, key transport), which needs an RSA key; this CSR carries " +
            policy::describe_key(key) +
            ". Send a CSR signed with an RSA key (its key only protects the answer), or ask "
            "the operator for SERVERKEYGEN_KEY_ENCRYPTION=none on this profile");
    }
    if (EVP_PKEY_get_bits(key) < kMinRecipientBits) {
        return Error::bad_request("serverkeygen: the CSR's RSA key has " +
                                  std::to_string(EVP_PKEY_get_bits(key)) +
                                  " bits, too weak to protect the generated key; use at least " +
                                  std::to_string(kMinRecipientBits));
    }
    return Ok{};
}

Result<GeneratedRequest> generate_request(const pki::Csr& csr,
                                          const config::KeyAlgorithm& algorithm) {
    auto key = policy::generate_key(algorithm);
    if (!key) {
        return std::move(key).take_error();
    }
    auto rebuilt = csr.rebuilt_for_key(key->get());
    if (!rebuilt) {
        return std::move(rebuilt).take_error();
    }
    return GeneratedRequest{std::move(*key), std::move(*rebuilt)};
}

Result<KeygenAnswer> serverkeygen_answer(EVP_PKEY* generated_key, X509* certificate,
                                         EVP_PKEY* recipient, const X509_NAME* recipient_name,
                                         pki::Base64Layout layout) {
    auto key = key_part(generated_key, recipient, recipient_name, layout);
    if (!key) {
        return std::move(key).take_error();
    }
    auto certs = certs_only_body({certificate}, layout);
    if (!certs) {
        return std::move(certs).take_error();
    }
    const std::vector<MimePart> parts = {
        {std::string(recipient != nullptr ? kEnvelopedKeyContentType : kPlainKeyContentType),
         &key->text},
        {std::string(kCertsOnlyContentType), &*certs},
    };
    return KeygenAnswer{multipart_content_type(), multipart_mixed(parts)};
}

}  // namespace estd::est
