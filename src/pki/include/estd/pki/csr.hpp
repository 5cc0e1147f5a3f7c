#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// Whether from_der checks the request's self-signature.
enum class CsrSignature {
    verify,  // proof of possession: every enrollment
    // serverkeygen (RFC 7030 §4.4.1): the request is a template whose key and
    // signature the server ignores; the key must still be readable.
    ignore,
};

// A parsed PKCS#10 request whose self-signature has been verified (unless it
// was parsed as a serverkeygen template, CsrSignature::ignore).
class Csr {
  public:
    // 400 errors (with a message saying what was wrong) for garbage,
    // truncated or trailing-data DER, a version other than v1, more than one
    // extensionRequest attribute (or one that does not decode), an extension
    // requested twice, and, when verified, a bad signature.
    static Result<Csr> from_der(std::span<const std::uint8_t> der,
                                CsrSignature signature = CsrSignature::verify);

    X509_REQ* get() const { return req_.get(); }
    const X509_NAME* subject() const;
    EVP_PKEY* public_key() const;  // borrowed, owned by the Csr
    // The key as the request encodes it (SubjectPublicKeyInfo), borrowed.
    const X509_PUBKEY* public_key_info() const;

    // Requested extensions (extensionRequest attribute); empty when none.
    X509ExtensionStackPtr requested_extensions() const;
    // The SubjectAltName from the requested extensions; null when none.
    GeneralNamesPtr subject_alt_names() const;
    std::vector<std::string> subject_alt_name_strings() const;
    // challengePassword (1.2.840.113549.1.9.7) as text, when present.
    std::optional<std::string> challenge_password() const;
    // The value of a single-valued attribute holding an OCTET STRING.
    std::optional<Bytes> octet_string_attribute(const char* dotted_oid) const;
    // The value of a single-valued attribute holding a directory string
    // (PrintableString, UTF8String, ...) as UTF-8.
    std::optional<std::string> text_attribute(int nid) const;
    // True when the request carries an attribute of this type at all.
    bool has_attribute(int nid) const;
    bool has_attribute(const char* dotted_oid) const;

    // The same request — subject, attributes, requested extensions — for
    // another key, signed by that key (serverkeygen: the issuer sees a CSR
    // that matches the certificate it signs).
    Result<Csr> rebuilt_for_key(EVP_PKEY* private_key) const;

  private:
    explicit Csr(X509ReqPtr req, EvpPkeyPtr key) : req_(std::move(req)), key_(std::move(key)) {}
    X509ReqPtr req_;
    EvpPkeyPtr key_;
};

}  // namespace estd::pki
