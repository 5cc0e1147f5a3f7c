#include "estd/policy/requested_extensions.hpp"

#include <set>
#include <string>

#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/extensions.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/policy/extended_key_usage.hpp"
#include "estd/policy/subject_alt_names.hpp"
#include "estd/policy/violation.hpp"

namespace estd::policy {
namespace {

using Asn1BitStringPtr = pki::OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using ExtendedKeyUsagePtr = pki::OpenSslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
using BasicConstraintsPtr = pki::OpenSslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;

std::string extension_name(X509_EXTENSION* extension) {
    const ASN1_OBJECT* object = X509_EXTENSION_get_object(extension);
    const auto name = pki::object_name(object);
    const auto dotted = pki::object_dotted(object);
    return name == dotted ? dotted : name + " (" + dotted + ")";
}

Error undecodable(const CertificateProfile& profile, X509_EXTENSION* extension) {
    return violation(profile.id(), dimension::kExtension,
                     "the requested " + extension_name(extension) + " cannot be decoded");
}

// The KU_* flags of a keyUsage BIT STRING (bit n is flag 0x80 >> n; bit 8 is
// decipherOnly), as pki::key_usage_for returns them.
int key_usage_flags(const ASN1_BIT_STRING* bits) {
    int flags = 0;
    for (int bit = 0; bit <= 8; ++bit) {
        if (ASN1_BIT_STRING_get_bit(bits, bit) == 1) {
            flags |= bit < 8 ? (0x80 >> bit) : KU_DECIPHER_ONLY;
        }
    }
    return flags;
}

Status check_eku(const CertificateProfile& profile, X509_EXTENSION* extension) {
    const ExtendedKeyUsagePtr usages(static_cast<EXTENDED_KEY_USAGE*>(X509V3_EXT_d2i(extension)));
    if (!usages) {
        return undecodable(profile, extension);
    }
    return check_requested_ekus(profile.id(), profile.extended_key_usages(),
                                pki::extended_key_usage_oids(usages.get()));
}

Status check_san(const CertificateProfile& profile, X509_EXTENSION* extension) {
    const pki::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
    if (!names) {
        return undecodable(profile, extension);
    }
    return check_subject_alt_names(profile.config(), names.get());
}

Status check_key_usage(const CertificateProfile& profile, X509_EXTENSION* extension,
                       EVP_PKEY* key) {
    const Asn1BitStringPtr bits(static_cast<ASN1_BIT_STRING*>(X509V3_EXT_d2i(extension)));
    if (!bits) {
        return undecodable(profile, extension);
    }
    const int fitting = pki::key_usage_for(key);
    if ((key_usage_flags(bits.get()) & ~fitting) != 0) {
        return violation(profile.id(), dimension::kKeyUsage,
                         "the CSR asks for key usages beyond what its key type gets "
                         "(digitalSignature; keyEncipherment for RSA; keyAgreement for EC)");
    }
    return Ok{};
}

Status check_basic_constraints(const CertificateProfile& profile, X509_EXTENSION* extension) {
    const BasicConstraintsPtr constraints(
        static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(extension)));
    if (!constraints) {
        return undecodable(profile, extension);
    }
    if (constraints->ca != 0) {
        return violation(profile.id(), dimension::kExtension,
                         "the CSR asks for a CA certificate (basicConstraints CA:TRUE)");
    }
    return Ok{};
}

Status check_one(const CertificateProfile& profile, const pki::Csr& csr,
                 X509_EXTENSION* extension) {
    switch (OBJ_obj2nid(X509_EXTENSION_get_object(extension))) {
        case NID_subject_alt_name:
            return check_san(profile, extension);
        case NID_ext_key_usage:
            return check_eku(profile, extension);
        case NID_key_usage:
            return check_key_usage(profile, extension, csr.public_key());
        case NID_basic_constraints:
            return check_basic_constraints(profile, extension);
        // The CA writes these itself; a renewal CSR copies them from the old
        // certificate (libest's estclient -r does), so they are ignored.
        case NID_subject_key_identifier:
        case NID_authority_key_identifier:
        case NID_crl_distribution_points:
        case NID_info_access:
            return Ok{};
        case NID_tlsfeature:
            if (profile.config().must_staple) {
                return Ok{};
            }
            return violation(profile.id(), dimension::kExtension,
                             "the CSR asks for must-staple (TLS feature), which the profile "
                             "does not set");
        default:
            return violation(profile.id(), dimension::kExtension,
                             "the CSR requests " + extension_name(extension) +
                                 ", which the profile does not provide");
    }
}

}  // namespace

Status check_requested_extensions(const CertificateProfile& profile, const pki::Csr& csr) {
    const pki::X509ExtensionStackPtr extensions = csr.requested_extensions();
    std::set<std::string> seen;
    for (int i = 0; i < sk_X509_EXTENSION_num(extensions.get()); ++i) {
        X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions.get(), i);
        if (!seen.insert(pki::object_dotted(X509_EXTENSION_get_object(extension))).second) {
            return violation(profile.id(), dimension::kExtension,
                             "the CSR requests " + extension_name(extension) + " twice");
        }
        if (auto ok = check_one(profile, csr, extension); !ok) {
            return ok;
        }
    }
    return Ok{};
}

}  // namespace estd::policy
