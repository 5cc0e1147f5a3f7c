#include "estd/pki/csr.hpp"

#include <array>

#include <climits>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include "estd/pki/certificate.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/openssl_error.hpp"
#include "key_deferring_context.hpp"

namespace estd::pki {

namespace {

using Asn1ObjectPtr = OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;

EvpPkeyPtr curve_parameters(const char* group) {
    EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
        OSSL_PARAM_construct_end()};
    EVP_PKEY* key = nullptr;
    if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
        ERR_clear_error();
        return {};
    }
    return EvpPkeyPtr(key);
}

// A parameters-only key for the named curves built without the decoder,
// made once: a request's key is a copy with the point set, which is cheaper
// than building the curve's group again. Null for other curves and for
// explicit parameters, which take the library's decoder.
EVP_PKEY* curve_template(const X509_ALGOR* parameters) {
    static const EvpPkeyPtr p256 = curve_parameters(SN_X9_62_prime256v1);
    static const EvpPkeyPtr p384 = curve_parameters(SN_secp384r1);
    static const EvpPkeyPtr p521 = curve_parameters(SN_secp521r1);
    int type = 0;
    const void* value = nullptr;
    X509_ALGOR_get0(nullptr, &type, &value, parameters);
    if (type != V_ASN1_OBJECT) {
        return nullptr;
    }
    switch (OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(value))) {
        case NID_X9_62_prime256v1:
            return p256.get();
        case NID_secp384r1:
            return p384.get();
        case NID_secp521r1:
            return p521.get();
        default:
            return nullptr;
    }
}

// Null for a point that is not on the curve.
EvpPkeyPtr ec_public_key(EVP_PKEY* curve, const unsigned char* point, int length) {
    EvpPkeyPtr key(EVP_PKEY_dup(curve));
    if (!key ||
        EVP_PKEY_set1_encoded_public_key(key.get(), point, static_cast<std::size_t>(length)) != 1) {
        return {};
    }
    return key;
}

// Any key shape, through the library's decoder (as d2i_X509_REQ would).
EvpPkeyPtr decoded_public_key(const X509_PUBKEY* info) {
    const Bytes der = public_key_info_der(info);
    const unsigned char* cursor = der.data();
    return der.empty() ? EvpPkeyPtr{}
                       : EvpPkeyPtr(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
}

// The key a SubjectPublicKeyInfo carries: named-curve EC and RSA keys
// without the decoder framework, anything else through it. Null when the
// key cannot be read.
EvpPkeyPtr public_key_of(const X509_PUBKEY* info) {
    ASN1_OBJECT* algorithm = nullptr;
    const unsigned char* key_bytes = nullptr;
    int key_length = 0;
    X509_ALGOR* parameters = nullptr;
    if (info == nullptr ||
        X509_PUBKEY_get0_param(&algorithm, &key_bytes, &key_length, &parameters, info) != 1) {
        return {};
    }
    switch (OBJ_obj2nid(algorithm)) {
        case NID_X9_62_id_ecPublicKey:
            if (EVP_PKEY* curve = curve_template(parameters)) {
                return ec_public_key(curve, key_bytes, key_length);
            }
            break;
        case NID_rsaEncryption: {
            // RSAPublicKey DER; the key is exported to the provider on first use.
            const unsigned char* cursor = key_bytes;
            EvpPkeyPtr key(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, key_length));
            return cursor == key_bytes + key_length ? std::move(key) : EvpPkeyPtr{};
        }
        default:
            break;
    }
    return decoded_public_key(info);
}

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

// One version (v1), at most one extensionRequest with one value that decodes,
// each extension in it once: anything else would be read as something it
// does not say (a second request ignored, two subjectAltNames read as none).
Status check_structure(X509_REQ* req) {
    const long version = X509_REQ_get_version(req);
    if (version != X509_REQ_VERSION_1) {
        return Error::bad_request("CSR version must be v1 (0), not " + std::to_string(version));
    }
    int requests = 0;
    for (int i = 0; i < X509_REQ_get_attr_count(req); ++i) {
        X509_ATTRIBUTE* attribute = X509_REQ_get_attr(req, i);
        const int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(attribute));
        if (nid != NID_ext_req && nid != NID_ms_ext_req) {
            continue;
        }
        if (++requests > 1) {
            return Error::bad_request("CSR carries more than one extensionRequest attribute");
        }
        if (X509_ATTRIBUTE_count(attribute) != 1) {
            return Error::bad_request("CSR's extensionRequest attribute must hold one value");
        }
    }
    if (requests == 0) {
        return Ok{};
    }
    const X509ExtensionStackPtr extensions(X509_REQ_get_extensions(req));
    ERR_clear_error();
    if (!extensions) {
        return Error::bad_request("CSR's extensionRequest cannot be decoded");
    }
    std::vector<const ASN1_OBJECT*> seen;
    for (int i = 0; i < sk_X509_EXTENSION_num(extensions.get()); ++i) {
        const ASN1_OBJECT* object =
            X509_EXTENSION_get_object(sk_X509_EXTENSION_value(extensions.get(), i));
        for (const ASN1_OBJECT* earlier : seen) {
            if (OBJ_cmp(earlier, object) == 0) {
                const int nid = OBJ_obj2nid(object);
                std::array<char, 128> dotted{};
                OBJ_obj2txt(dotted.data(), dotted.size(), object, 1);
                return Error::bad_request(
                    std::string("CSR requests the extension ") +
                    (nid != NID_undef ? std::string(OBJ_nid2sn(nid)) + " (" + dotted.data() + ")"
                                      : std::string(dotted.data())) +
                    " more than once");
            }
        }
        seen.push_back(object);
    }
    return Ok{};
}

}  // namespace

Result<Csr> Csr::from_der(std::span<const std::uint8_t> der, CsrSignature signature) {
    if (der.empty()) {
        return Error::bad_request("CSR is empty");
    }
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return Error::bad_request("CSR is too large");
    }
    // The key stays undecoded (key_deferring_context); public_key_of builds it.
    const unsigned char* cursor = der.data();
    X509ReqPtr req(reinterpret_cast<X509_REQ*>(
        ASN1_item_d2i_ex(nullptr, &cursor, static_cast<long>(der.size()), ASN1_ITEM_rptr(X509_REQ),
                         key_deferring_context(), nullptr)));
    if (!req) {
        ERR_clear_error();
        return Error::bad_request("CSR is not valid DER (truncated or garbage)");
    }
    if (cursor != der.data() + der.size()) {
        return Error::bad_request("CSR DER is followed by trailing data");
    }
    if (auto ok = check_structure(req.get()); !ok) {
        return std::move(ok).take_error();
    }
    EvpPkeyPtr key = public_key_of(X509_REQ_get_X509_PUBKEY(req.get()));
    if (!key) {
        ERR_clear_error();
        return Error::bad_request("CSR public key cannot be read (unsupported key type?)");
    }
    if (signature == CsrSignature::ignore) {
        return Csr(std::move(req), std::move(key));
    }
    // The default library context: the request's own has no algorithms.
    const int verified = X509_REQ_verify_ex(req.get(), key.get(), nullptr, nullptr);
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

bool Csr::has_attribute(const char* dotted_oid) const {
    const Asn1ObjectPtr oid(OBJ_txt2obj(dotted_oid, 1));
    if (!oid) {
        ERR_clear_error();
        return false;
    }
    return X509_REQ_get_attr_by_OBJ(req_.get(), oid.get(), -1) >= 0;
}

Result<Csr> Csr::rebuilt_for_key(EVP_PKEY* private_key) const {
    X509ReqPtr copy(X509_REQ_dup(req_.get()));
    ERR_clear_error();  // the copy's key stays undecoded, as the original's
    // Signed through a context of the default library context: the copy keeps
    // the request's, which has no algorithms.
    const EvpMdCtxPtr signing(EVP_MD_CTX_new());
    if (!copy || !signing || X509_REQ_set_pubkey(copy.get(), private_key) != 1 ||
        EVP_DigestSignInit(signing.get(), nullptr, signature_digest_for(private_key), nullptr,
                           private_key) != 1 ||
        X509_REQ_sign_ctx(copy.get(), signing.get()) <= 0) {
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
