#include "estd/pki/cms.hpp"

#include <climits>

#include "estd/pki/openssl_error.hpp"

namespace estd::pki {
namespace {

Error failure(const char* what) {
    return Error::internal(std::string("cannot build the EnvelopedData: ") + what + ": " +
                           drain_openssl_errors());
}

// OpenSSL addresses a key-transport recipient through a certificate. This one
// only carries the recipient's key and the issuer name and serial number the
// RecipientInfo will show; it is signed by a throwaway key because OpenSSL
// reads a certificate's fields only once it is well formed, and it never
// leaves this function.
Result<X509Ptr> recipient_carrier(EVP_PKEY* recipient, const X509_NAME* name) {
    X509Ptr carrier(X509_new());
    if (!carrier || X509_set_version(carrier.get(), X509_VERSION_3) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(carrier.get()), 1) != 1 ||
        (name != nullptr && X509_set_issuer_name(carrier.get(), name) != 1) ||
        X509_set_pubkey(carrier.get(), recipient) != 1) {
        return failure("recipient");
    }
    const EvpPkeyPtr throwaway(EVP_EC_gen("P-256"));
    if (!throwaway || X509_sign(carrier.get(), throwaway.get(), EVP_sha256()) <= 0) {
        return failure("recipient");
    }
    return carrier;
}

}  // namespace

Result<Bytes> envelope_for_key(std::span<const std::uint8_t> content, EVP_PKEY* recipient,
                               const X509_NAME* recipient_name) {
    if (recipient == nullptr || !EVP_PKEY_is_a(recipient, "RSA")) {
        return Error::bad_request("the recipient key must be RSA (key transport)");
    }
    if (content.size() > static_cast<std::size_t>(INT_MAX)) {
        return Error::internal("cannot build the EnvelopedData: content too large");
    }
    auto carrier = recipient_carrier(recipient, recipient_name);
    if (!carrier) {
        return std::move(carrier).take_error();
    }
    // CMS_PARTIAL: the recipient is added before the content is encrypted.
    CmsPtr cms(CMS_encrypt(nullptr, nullptr, EVP_aes_256_cbc(), CMS_PARTIAL | CMS_BINARY));
    if (!cms || CMS_add1_recipient_cert(cms.get(), carrier->get(), 0) == nullptr) {
        return failure("recipient info");
    }
    // A read-only BIO over the caller's buffer: no copy of the plaintext.
    BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    if (!in || CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY) != 1) {
        return failure("encryption");
    }
    const int length = i2d_CMS_ContentInfo(cms.get(), nullptr);
    if (length <= 0) {
        return failure("encoding");
    }
    Bytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_CMS_ContentInfo(cms.get(), &cursor);
    return der;
}

}  // namespace estd::pki
