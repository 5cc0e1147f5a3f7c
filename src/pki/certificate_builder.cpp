#include "estd/pki/certificate_builder.hpp"

#include <algorithm>
#include <array>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "estd/pki/extensions.hpp"
#include "estd/pki/openssl_error.hpp"

namespace estd::pki {

namespace {

using Asn1BitStringPtr = OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using Asn1OctetStringPtr = OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Asn1Ia5StringPtr = OpenSslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free>;
using Asn1ObjectPtr = OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using BasicConstraintsPtr = OpenSslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using AuthorityKeyIdPtr = OpenSslPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using CrlDistPointsPtr = OpenSslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
using DistPointPtr = OpenSslPtr<DIST_POINT, DIST_POINT_free>;
using AuthorityInfoAccessPtr = OpenSslPtr<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>;
using AccessDescriptionPtr = OpenSslPtr<ACCESS_DESCRIPTION, ACCESS_DESCRIPTION_free>;
using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using TlsFeaturePtr = OpenSslPtr<TLS_FEATURE, TLS_FEATURE_free>;

// RFC 7633: status_request, the TLS extension number of OCSP stapling.
constexpr long kTlsFeatureStatusRequest = 5;

Error failure(const std::string& what) {
    return Error::internal("cannot build certificate: " + what + ": " + drain_openssl_errors());
}

Status add_extension(X509* cert, int nid, void* value, bool critical, const char* what) {
    if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
        return failure(std::string("adding ") + what);
    }
    return Ok{};
}

GeneralNamePtr uri_general_name(const std::string& uri) {
    Asn1Ia5StringPtr text(ASN1_IA5STRING_new());
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!text || !name ||
        ASN1_STRING_set(text.get(), uri.data(), static_cast<int>(uri.size())) != 1) {
        return nullptr;
    }
    GENERAL_NAME_set0_value(name.get(), GEN_URI, text.release());
    return name;
}

Result<Asn1IntegerPtr> random_serial() {
    // 128 bits from the CSPRNG (CA/B Forum asks for at least 64), the top
    // bit cleared so the DER INTEGER stays positive within 16 bytes.
    std::array<unsigned char, 16> bytes{};
    do {
        if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
            return failure("drawing a serial number");
        }
        bytes[0] &= 0x7f;
    } while (std::all_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b == 0; }));
    const BignumPtr number(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    Asn1IntegerPtr serial(number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr);
    if (!serial) {
        return failure("encoding the serial number");
    }
    return serial;
}

Status set_validity(X509* cert, const CertificateTemplate& tmpl) {
    if (tmpl.not_after <= tmpl.not_before) {
        return Error::internal("cannot build certificate: NotAfter is not after NotBefore");
    }
    const auto not_before = std::chrono::system_clock::to_time_t(tmpl.not_before);
    const auto not_after = std::chrono::system_clock::to_time_t(tmpl.not_after);
    if (ASN1_TIME_set(X509_getm_notBefore(cert), not_before) == nullptr ||
        ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == nullptr) {
        return failure("setting the validity");
    }
    return Ok{};
}

Status add_key_usage(X509* cert, EVP_PKEY* subject_key) {
    const int usage = key_usage_for(subject_key);
    Asn1BitStringPtr bits(ASN1_BIT_STRING_new());
    if (!bits) {
        return failure("allocating keyUsage");
    }
    // KU_* flags are the first two bytes of the BIT STRING, most significant
    // bit first: bit n of the ASN.1 value is flag 0x80 >> n (0x8000 for n = 8).
    for (int bit = 0; bit <= 8; ++bit) {
        const int flag = bit < 8 ? (0x80 >> bit) : KU_DECIPHER_ONLY;
        if ((usage & flag) != 0 && ASN1_BIT_STRING_set_bit(bits.get(), bit, 1) != 1) {
            return failure("setting keyUsage");
        }
    }
    return add_extension(cert, NID_key_usage, bits.get(), true, "keyUsage");
}

Status add_extended_key_usage(X509* cert, const std::vector<std::string>& usages) {
    if (usages.empty()) {
        return Ok{};
    }
    auto extension = extended_key_usage_extension(usages);
    if (!extension) {
        return Error::internal("cannot build certificate: " + extension.error().message);
    }
    if (X509_add_ext(cert, extension->get(), -1) != 1) {
        return failure("adding extendedKeyUsage");
    }
    return Ok{};
}

Status add_key_identifiers(X509* cert, X509* issuer_cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING.
    if (X509_pubkey_digest(cert, EVP_sha1(), digest.data(), &length) != 1) {
        return failure("hashing the subject key");
    }
    Asn1OctetStringPtr subject_key_id(ASN1_OCTET_STRING_new());
    if (!subject_key_id ||
        ASN1_OCTET_STRING_set(subject_key_id.get(), digest.data(), static_cast<int>(length)) != 1) {
        return failure("encoding subjectKeyIdentifier");
    }
    if (auto added = add_extension(cert, NID_subject_key_identifier, subject_key_id.get(), false,
                                   "subjectKeyIdentifier");
        !added) {
        return added;
    }

    AuthorityKeyIdPtr authority_key_id(AUTHORITY_KEYID_new());
    if (!authority_key_id) {
        return failure("allocating authorityKeyIdentifier");
    }
    if (const ASN1_OCTET_STRING* issuer_key_id = X509_get0_subject_key_id(issuer_cert)) {
        authority_key_id->keyid = ASN1_OCTET_STRING_dup(issuer_key_id);
    } else {
        // An issuer without SKI: the same hash method as above identifies it.
        if (X509_pubkey_digest(issuer_cert, EVP_sha1(), digest.data(), &length) != 1) {
            return failure("hashing the issuer key");
        }
        authority_key_id->keyid = ASN1_OCTET_STRING_new();
        if (authority_key_id->keyid != nullptr &&
            ASN1_OCTET_STRING_set(authority_key_id->keyid, digest.data(),
                                  static_cast<int>(length)) != 1) {
            return failure("encoding authorityKeyIdentifier");
        }
    }
    if (authority_key_id->keyid == nullptr) {
        return failure("encoding authorityKeyIdentifier");
    }
    return add_extension(cert, NID_authority_key_identifier, authority_key_id.get(), false,
                         "authorityKeyIdentifier");
}

Status add_crl_distribution_points(X509* cert, const std::vector<std::string>& urls) {
    if (urls.empty()) {
        return Ok{};
    }
    CrlDistPointsPtr points(sk_DIST_POINT_new_null());
    if (!points) {
        return failure("allocating cRLDistributionPoints");
    }
    for (const std::string& url : urls) {
        DistPointPtr point(DIST_POINT_new());
        GeneralNamePtr uri = uri_general_name(url);
        GeneralNamesPtr full_name(GENERAL_NAMES_new());
        if (!point || !uri || !full_name || sk_GENERAL_NAME_push(full_name.get(), uri.get()) <= 0) {
            return failure("encoding a CRL distribution point");
        }
        static_cast<void>(uri.release());
        point->distpoint = DIST_POINT_NAME_new();
        if (point->distpoint == nullptr) {
            return failure("encoding a CRL distribution point");
        }
        point->distpoint->type = 0;  // fullName
        point->distpoint->name.fullname = full_name.release();
        if (sk_DIST_POINT_push(points.get(), point.get()) <= 0) {
            return failure("encoding a CRL distribution point");
        }
        static_cast<void>(point.release());
    }
    return add_extension(cert, NID_crl_distribution_points, points.get(), false,
                         "cRLDistributionPoints");
}

Status add_authority_info_access(X509* cert, const std::vector<std::string>& ocsp_urls,
                                 const std::vector<std::string>& ca_issuers_urls) {
    if (ocsp_urls.empty() && ca_issuers_urls.empty()) {
        return Ok{};
    }
    AuthorityInfoAccessPtr access(sk_ACCESS_DESCRIPTION_new_null());
    if (!access) {
        return failure("allocating authorityInfoAccess");
    }
    const auto add = [&](int method, const std::string& url) -> Status {
        AccessDescriptionPtr description(ACCESS_DESCRIPTION_new());
        GeneralNamePtr location = uri_general_name(url);
        if (!description || !location) {
            return failure("encoding authorityInfoAccess");
        }
        ASN1_OBJECT_free(description->method);
        description->method = OBJ_nid2obj(method);
        GENERAL_NAME_free(description->location);
        description->location = location.release();
        if (sk_ACCESS_DESCRIPTION_push(access.get(), description.get()) <= 0) {
            return failure("encoding authorityInfoAccess");
        }
        static_cast<void>(description.release());
        return Ok{};
    };
    for (const std::string& url : ocsp_urls) {
        if (auto added = add(NID_ad_OCSP, url); !added) {
            return added;
        }
    }
    for (const std::string& url : ca_issuers_urls) {
        if (auto added = add(NID_ad_ca_issuers, url); !added) {
            return added;
        }
    }
    return add_extension(cert, NID_info_access, access.get(), false, "authorityInfoAccess");
}

Status add_must_staple(X509* cert) {
    TlsFeaturePtr features(TLS_FEATURE_new());
    Asn1IntegerPtr status_request(ASN1_INTEGER_new());
    if (!features || !status_request ||
        ASN1_INTEGER_set(status_request.get(), kTlsFeatureStatusRequest) != 1 ||
        sk_ASN1_INTEGER_push(features.get(), status_request.get()) <= 0) {
        return failure("encoding the TLS feature extension");
    }
    static_cast<void>(status_request.release());
    // RFC 7633 §4.2.1: the extension is not marked critical.
    return add_extension(cert, NID_tlsfeature, features.get(), false, "TLS feature");
}

Status add_basic_constraints_end_entity(X509* cert) {
    BasicConstraintsPtr basic_constraints(BASIC_CONSTRAINTS_new());
    if (!basic_constraints) {
        return failure("allocating basicConstraints");
    }
    basic_constraints->ca = 0;
    return add_extension(cert, NID_basic_constraints, basic_constraints.get(), true,
                         "basicConstraints");
}

Status add_extensions(X509* cert, const CertificateTemplate& tmpl, X509* issuer_cert,
                      bool subject_empty, bool has_alt_names) {
    if (auto added = add_basic_constraints_end_entity(cert); !added) {
        return added;
    }
    if (auto added = add_key_usage(cert, tmpl.public_key.get()); !added) {
        return added;
    }
    if (auto added = add_extended_key_usage(cert, tmpl.extended_key_usages); !added) {
        return added;
    }
    if (has_alt_names) {
        // RFC 5280 §4.2.1.6: critical when the subject is empty.
        if (auto added = add_extension(cert, NID_subject_alt_name, tmpl.subject_alt_names.get(),
                                       subject_empty, "subjectAltName");
            !added) {
            return added;
        }
    }
    if (auto added = add_key_identifiers(cert, issuer_cert); !added) {
        return added;
    }
    if (auto added = add_crl_distribution_points(cert, tmpl.crl_distribution_points); !added) {
        return added;
    }
    if (auto added = add_authority_info_access(cert, tmpl.ocsp_urls, tmpl.ca_issuers_urls);
        !added) {
        return added;
    }
    if (tmpl.must_staple) {
        return add_must_staple(cert);
    }
    return Ok{};
}

// Copies the algorithm identifier and the key bytes; the key itself is not
// decoded (to is a fresh X509_PUBKEY, or the empty one of a new X509).
bool copy_public_key_params(const X509_PUBKEY* from, X509_PUBKEY* to) {
    ASN1_OBJECT* algorithm = nullptr;
    const unsigned char* key_bytes = nullptr;
    int key_length = 0;
    X509_ALGOR* algor = nullptr;
    if (from == nullptr || to == nullptr ||
        X509_PUBKEY_get0_param(&algorithm, &key_bytes, &key_length, &algor, from) != 1 ||
        algor == nullptr || key_length <= 0) {
        return false;
    }
    int param_type = V_ASN1_UNDEF;
    const void* param = nullptr;
    X509_ALGOR_get0(nullptr, &param_type, &param, algor);
    Asn1ObjectPtr algorithm_copy(OBJ_dup(algorithm));
    if (!algorithm_copy) {
        return false;
    }
    // The parameters EC (named curve), RSA (NULL), RSA-PSS and EdDSA keys
    // carry; anything else takes the re-encoding path.
    Asn1ObjectPtr param_object;
    OpenSslPtr<ASN1_STRING, ASN1_STRING_free> param_string;
    void* param_copy = nullptr;
    switch (param_type) {
        case V_ASN1_UNDEF:
        case V_ASN1_NULL:
            break;
        case V_ASN1_OBJECT:
            param_object.reset(OBJ_dup(static_cast<const ASN1_OBJECT*>(param)));
            if (!param_object) {
                return false;
            }
            param_copy = param_object.get();
            break;
        case V_ASN1_SEQUENCE:
            param_string.reset(ASN1_STRING_dup(static_cast<const ASN1_STRING*>(param)));
            if (!param_string) {
                return false;
            }
            param_copy = param_string.get();
            break;
        default:
            return false;
    }
    OpenSslBuffer<unsigned char> key_copy(
        static_cast<unsigned char*>(OPENSSL_memdup(key_bytes, static_cast<size_t>(key_length))));
    if (!key_copy) {
        return false;
    }
    if (X509_PUBKEY_set0_param(to, algorithm_copy.get(), param_type, param_copy, key_copy.get(),
                               key_length) != 1) {
        return false;
    }
    // Owned by `to` now.
    static_cast<void>(algorithm_copy.release());
    static_cast<void>(param_object.release());
    static_cast<void>(param_string.release());
    static_cast<void>(key_copy.release());
    return true;
}

}  // namespace

X509PubkeyPtr copy_public_key_info(const X509_PUBKEY* from) {
    X509PubkeyPtr copy(X509_PUBKEY_new());
    if (!copy || !copy_public_key_params(from, copy.get())) {
        ERR_clear_error();
        return nullptr;
    }
    return copy;
}

int key_usage_for(EVP_PKEY* subject_key) {
    int usage = KU_DIGITAL_SIGNATURE;
    if (EVP_PKEY_is_a(subject_key, "RSA")) {
        usage |= KU_KEY_ENCIPHERMENT;
    } else if (EVP_PKEY_is_a(subject_key, "EC")) {
        usage |= KU_KEY_AGREEMENT;
    }
    return usage;
}

const EVP_MD* signature_digest_for(EVP_PKEY* signing_key) {
    if (EVP_PKEY_is_a(signing_key, "ED25519") || EVP_PKEY_is_a(signing_key, "ED448")) {
        return nullptr;  // EdDSA hashes internally
    }
    if (EVP_PKEY_is_a(signing_key, "EC")) {
        const int bits = EVP_PKEY_get_bits(signing_key);
        if (bits > 384) {
            return EVP_sha512();
        }
        if (bits > 256) {
            return EVP_sha384();
        }
    }
    return EVP_sha256();
}

Result<X509Ptr> build_certificate(const CertificateTemplate& tmpl, X509* issuer_cert,
                                  EVP_PKEY* issuer_key) {
    if (!tmpl.public_key || issuer_cert == nullptr || issuer_key == nullptr) {
        return Error::internal("cannot build certificate: missing subject key or issuer");
    }
    const bool subject_empty = !tmpl.subject || X509_NAME_entry_count(tmpl.subject.get()) == 0;
    const bool has_alt_names =
        tmpl.subject_alt_names && sk_GENERAL_NAME_num(tmpl.subject_alt_names.get()) > 0;
    if (subject_empty && !has_alt_names) {
        return Error::bad_request(
            "the certificate would have neither a subject nor a subjectAltName");
    }
    ERR_clear_error();

    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
        return failure("allocating");
    }
    auto serial = random_serial();
    if (!serial) {
        return std::move(serial).take_error();
    }
    if (X509_set_serialNumber(cert.get(), serial->get()) != 1) {
        return failure("setting the serial number");
    }
    // A fresh X509 already carries an empty subject, which a null template subject means.
    if ((tmpl.subject && X509_set_subject_name(cert.get(), tmpl.subject.get()) != 1) ||
        X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1) {
        return failure("setting the names");
    }
    if (auto valid = set_validity(cert.get(), tmpl); !valid) {
        return std::move(valid).take_error();
    }
    const bool copied =
        tmpl.public_key_info &&
        copy_public_key_params(tmpl.public_key_info.get(), X509_get_X509_PUBKEY(cert.get()));
    if (!copied && X509_set_pubkey(cert.get(), tmpl.public_key.get()) != 1) {
        return failure("setting the public key");
    }

    if (auto added = add_extensions(cert.get(), tmpl, issuer_cert, subject_empty, has_alt_names);
        !added) {
        return std::move(added).take_error();
    }

    if (X509_sign(cert.get(), issuer_key, signature_digest_for(issuer_key)) <= 0) {
        return failure("signing");
    }
    return cert;
}

}  // namespace estd::pki
