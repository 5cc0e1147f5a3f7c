#include "estd/pki/extensions.hpp"

#include <array>

#include <openssl/err.h>

#include "estd/pki/openssl_error.hpp"

namespace estd::pki {
namespace {

using Asn1ObjectPtr = OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using ExtendedKeyUsagePtr = OpenSslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
using TlsFeaturePtr = OpenSslPtr<TLS_FEATURE, TLS_FEATURE_free>;

// RFC 7633: status_request, the TLS extension number of OCSP stapling.
constexpr long kTlsFeatureStatusRequest = 5;

std::string object_text(const ASN1_OBJECT* object, int no_name) {
    std::array<char, 128> text{};
    const int length = OBJ_obj2txt(text.data(), static_cast<int>(text.size()), object, no_name);
    return length > 0 ? std::string(text.data()) : std::string();
}

}  // namespace

Result<X509ExtensionPtr> extended_key_usage_extension(const std::vector<std::string>& usages) {
    ExtendedKeyUsagePtr eku(EXTENDED_KEY_USAGE_new());
    if (!eku) {
        return Error::internal("cannot allocate extendedKeyUsage");
    }
    for (const auto& usage : usages) {
        Asn1ObjectPtr oid(OBJ_txt2obj(usage.c_str(), 0));
        if (!oid || sk_ASN1_OBJECT_push(eku.get(), oid.get()) <= 0) {
            ERR_clear_error();
            return Error::internal("unknown extended key usage '" + usage + "'");
        }
        static_cast<void>(oid.release());
    }
    X509ExtensionPtr extension(X509V3_EXT_i2d(NID_ext_key_usage, 0, eku.get()));
    if (!extension) {
        return Error::internal("cannot encode extendedKeyUsage: " + drain_openssl_errors());
    }
    return extension;
}

Result<X509ExtensionPtr> must_staple_extension() {
    TlsFeaturePtr features(TLS_FEATURE_new());
    Asn1IntegerPtr status_request(ASN1_INTEGER_new());
    if (!features || !status_request ||
        ASN1_INTEGER_set(status_request.get(), kTlsFeatureStatusRequest) != 1 ||
        sk_ASN1_INTEGER_push(features.get(), status_request.get()) <= 0) {
        return Error::internal("cannot encode the TLS feature extension");
    }
    static_cast<void>(status_request.release());
    X509ExtensionPtr extension(X509V3_EXT_i2d(NID_tlsfeature, 0, features.get()));
    if (!extension) {
        return Error::internal("cannot encode the TLS feature extension: " +
                               drain_openssl_errors());
    }
    return extension;
}

std::vector<std::string> extended_key_usage_oids(const EXTENDED_KEY_USAGE* usages) {
    std::vector<std::string> oids;
    oids.reserve(static_cast<std::size_t>(sk_ASN1_OBJECT_num(usages)));
    for (int i = 0; i < sk_ASN1_OBJECT_num(usages); ++i) {
        oids.push_back(object_dotted(sk_ASN1_OBJECT_value(usages, i)));
    }
    return oids;
}

std::string object_name(const ASN1_OBJECT* object) {
    const int nid = OBJ_obj2nid(object);
    const char* short_name = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
    return short_name != nullptr ? std::string(short_name) : object_dotted(object);
}

std::string object_dotted(const ASN1_OBJECT* object) {
    return object_text(object, 1);
}

}  // namespace estd::pki
