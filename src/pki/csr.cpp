#include "estd/pki/csr.hpp"

#include <climits>
#include <openssl/err.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/openssl_error.hpp"

namespace estd::pki {

namespace {

using Asn1ObjectPtr = OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;

// The single value of a single-valued attribute; null when the attribute is
// absent or carries zero or several values.
const ASN1_TYPE* single_attribute_value(X509_REQ* req, int index) {
    if (index < 0) {
        return nullptr;
    }
    X509_ATTRIBUTE* attribute = X509_REQ_get_attr(req, index);
    if (attribute == nullptr || X509_ATTRIBUTE_count(attribute) != 1) {
        return nullptr;
    }
    return X509_ATTRIBUTE_get0_type(attribute, 0);
}

bool is_directory_string(int type) {
    switch (type) {
        case V_ASN1_PRINTABLESTRING:
        case V_ASN1_UTF8STRING:
        case V_ASN1_IA5STRING:
        case V_ASN1_T61STRING:
        case V_ASN1_BMPSTRING:
        case V_ASN1_UNIVERSALSTRING:
            return true;
        default:
            return false;
    }
}

}  // namespace

Result<Csr> Csr::from_der(std::span<const std::uint8_t> der) {
    if (der.empty()) {
        return Error::bad_request("CSR is empty");
    }
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return Error::bad_request("CSR is too large");
    }
    const unsigned char* cursor = der.data();
    X509ReqPtr req(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
    if (!req) {
        ERR_clear_error();
        return Error::bad_request("CSR is not valid DER (truncated or garbage)");
    }
    if (cursor != der.data() + der.size()) {
        return Error::bad_request("CSR DER is followed by trailing data");
    }
    EvpPkeyPtr key(X509_REQ_get_pubkey(req.get()));
    if (!key) {
        ERR_clear_error();
        return Error::bad_request("CSR public key cannot be read (unsupported key type?)");
    }
    const int verified = X509_REQ_verify(req.get(), key.get());
    ERR_clear_error();
    if (verified != 1) {
        return Error::bad_request("CSR signature does not verify");
    }
    return Csr(std::move(req), std::move(key));
}

const X509_NAME* Csr::subject() const {
    return X509_REQ_get_subject_name(req_.get());
}

EVP_PKEY* Csr::public_key() const {
    return key_.get();
}

const X509_PUBKEY* Csr::public_key_info() const {
    return X509_REQ_get_X509_PUBKEY(req_.get());
}

X509ExtensionStackPtr Csr::requested_extensions() const {
    X509ExtensionStackPtr extensions(X509_REQ_get_extensions(req_.get()));
    ERR_clear_error();  // a malformed extensionRequest reads as "none"
    if (!extensions) {
        extensions.reset(sk_X509_EXTENSION_new_null());
    }
    return extensions;
}

GeneralNamesPtr Csr::subject_alt_names() const {
    const X509ExtensionStackPtr extensions = requested_extensions();
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509V3_get_d2i(extensions.get(), NID_subject_alt_name, nullptr, nullptr)));
    ERR_clear_error();
    return names;
}

std::vector<std::string> Csr::subject_alt_name_strings() const {
    const GeneralNamesPtr names = subject_alt_names();
    return pki::subject_alt_names(names.get());
}

std::optional<std::string> Csr::challenge_password() const {
    return text_attribute(NID_pkcs9_challengePassword);
}

bool Csr::has_attribute(int nid) const {
    return X509_REQ_get_attr_by_NID(req_.get(), nid, -1) >= 0;
}

Result<Csr> Csr::rebuilt_for_key(EVP_PKEY* private_key) const {
    X509ReqPtr copy(X509_REQ_dup(req_.get()));
    if (!copy || X509_REQ_set_pubkey(copy.get(), private_key) != 1 ||
        X509_REQ_sign(copy.get(), private_key, signature_digest_for(private_key)) <= 0) {
        return Error::internal("cannot rebuild the CSR around the generated key: " +
                               drain_openssl_errors());
    }
    const int length = i2d_X509_REQ(copy.get(), nullptr);
    if (length <= 0) {
        return Error::internal("cannot encode the rebuilt CSR: " + drain_openssl_errors());
    }
    Bytes der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_X509_REQ(copy.get(), &cursor);
    return from_der(der);
}

std::optional<std::string> Csr::text_attribute(int nid) const {
    const ASN1_TYPE* value =
        single_attribute_value(req_.get(), X509_REQ_get_attr_by_NID(req_.get(), nid, -1));
    if (value == nullptr || !is_directory_string(value->type)) {
        return std::nullopt;
    }
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value->value.asn1_string);
    const OpenSslBuffer<unsigned char> owned(utf8);
    if (length < 0) {
        ERR_clear_error();
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
}

std::optional<Bytes> Csr::octet_string_attribute(const char* dotted_oid) const {
    const Asn1ObjectPtr oid(OBJ_txt2obj(dotted_oid, 1));
    if (!oid) {
        ERR_clear_error();
        return std::nullopt;
    }
    const ASN1_TYPE* value =
        single_attribute_value(req_.get(), X509_REQ_get_attr_by_OBJ(req_.get(), oid.get(), -1));
    if (value == nullptr || value->type != V_ASN1_OCTET_STRING) {
        return std::nullopt;
    }
    const ASN1_OCTET_STRING* octets = value->value.octet_string;
    const unsigned char* data = ASN1_STRING_get0_data(octets);
    return Bytes(data, data + ASN1_STRING_length(octets));
}

}  // namespace estd::pki
