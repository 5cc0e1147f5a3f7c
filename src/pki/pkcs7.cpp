#include "estd/pki/pkcs7.hpp"

#include <climits>
#include <openssl/err.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/openssl_error.hpp"
#include "key_deferring_context.hpp"

namespace estd::pki {

Result<Bytes> certs_only_der(const std::vector<X509*>& certs) {
    if (certs.empty()) {
        return Error::internal("a certs-only structure needs at least one certificate");
    }
    Pkcs7Ptr p7(PKCS7_new());
    // SignedData whose encapsulated content is id-data with the content
    // itself absent: what `openssl crl2pkcs7` and RFC 7030 clients expect.
    if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 ||
        PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1 || PKCS7_set_detached(p7.get(), 1) != 1) {
        return Error::internal("cannot build certs-only structure: " + drain_openssl_errors());
    }
    for (X509* cert : certs) {
        if (PKCS7_add_certificate(p7.get(), cert) != 1) {
            return Error::internal("cannot add certificate to certs-only structure: " +
                                   drain_openssl_errors());
        }
    }
    const int length = i2d_PKCS7(p7.get(), nullptr);
    if (length <= 0) {
        return Error::internal("cannot encode certs-only structure: " + drain_openssl_errors());
    }
    Bytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_PKCS7(p7.get(), &cursor);
    return der;
}

namespace {

// The certificates of a certs-only structure, parsed in `context` (null: the
// default one).
Result<Pkcs7Ptr> parse_certs_only(std::span<const std::uint8_t> der, OSSL_LIB_CTX* context) {
    if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return Error::bad_request("certs-only structure is empty or too large");
    }
    const unsigned char* cursor = der.data();
    Pkcs7Ptr p7(reinterpret_cast<PKCS7*>(ASN1_item_d2i_ex(
        nullptr, &cursor, static_cast<long>(der.size()), ASN1_ITEM_rptr(PKCS7), context, nullptr)));
    if (!p7) {
        ERR_clear_error();
        return Error::bad_request("certs-only structure is not valid DER (truncated or garbage)");
    }
    if (cursor != der.data() + der.size()) {
        return Error::bad_request("certs-only DER is followed by trailing data");
    }
    if (!PKCS7_type_is_signed(p7.get()) || p7->d.sign == nullptr) {
        return Error::bad_request("certs-only structure is not a SignedData");
    }
    if (sk_X509_num(p7->d.sign->cert) <= 0) {
        return Error::bad_request("certs-only structure carries no certificate");
    }
    return p7;
}

}  // namespace

Result<std::vector<X509Ptr>> parse_certs_only_der(std::span<const std::uint8_t> der) {
    auto p7 = parse_certs_only(der, nullptr);
    if (!p7) {
        return std::move(p7).take_error();
    }
    const STACK_OF(X509)* stack = (*p7)->d.sign->cert;
    std::vector<X509Ptr> certs;
    certs.reserve(static_cast<std::size_t>(sk_X509_num(stack)));
    for (int i = 0; i < sk_X509_num(stack); ++i) {
        certs.push_back(share(sk_X509_value(stack, i)));
    }
    return certs;
}

Result<std::vector<Bytes>> certs_only_public_key_infos(std::span<const std::uint8_t> der) {
    auto p7 = parse_certs_only(der, key_deferring_context());
    if (!p7) {
        return std::move(p7).take_error();
    }
    const STACK_OF(X509)* stack = (*p7)->d.sign->cert;
    std::vector<Bytes> infos;
    for (int i = 0; i < sk_X509_num(stack); ++i) {
        infos.push_back(public_key_info_der(X509_get_X509_PUBKEY(sk_X509_value(stack, i))));
        if (infos.back().empty()) {
            return Error::bad_request("a certificate's public key cannot be encoded");
        }
    }
    return infos;
}

}  // namespace estd::pki
