#include "estd/policy/csr_attributes.hpp"

#include <vector>

#include "estd/pki/csr_attrs.hpp"
#include "estd/pki/extensions.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/policy/key_algorithm.hpp"
#include "estd/policy/required_attributes.hpp"

namespace estd::policy {
namespace {

using Type = config::KeyAlgorithm::Type;

// One item per key family, at the position of its first allowed entry.
Status add_key_algorithms(pki::CsrAttrsBuilder& out,
                          const std::vector<config::KeyAlgorithm>& algorithms) {
    std::vector<int> curves;
    for (const auto& algorithm : algorithms) {
        if (algorithm.type == Type::ec_p256) {
            curves.push_back(NID_X9_62_prime256v1);
        } else if (algorithm.type == Type::ec_p384) {
            curves.push_back(NID_secp384r1);
        }
    }
    bool curves_added = false;
    for (const auto& algorithm : algorithms) {
        Status added = Ok{};
        if (algorithm.type == Type::rsa) {
            added = out.add_attribute_with_integer(NID_rsaEncryption, algorithm.rsa_min_bits);
        } else if (algorithm.type == Type::ed25519) {
            added = out.add_oid(NID_ED25519);
        } else if (!curves_added) {
            added = out.add_attribute_with_oids(NID_X9_62_id_ecPublicKey, curves);
            curves_added = true;
        }
        if (!added) {
            return added;
        }
    }
    return Ok{};
}

Status add_extension_request(pki::CsrAttrsBuilder& out, const CertificateProfile& profile) {
    std::vector<pki::X509ExtensionPtr> extensions;
    if (profile.config().allowed_ekus) {
        std::vector<std::string> oids;
        for (const auto& usage : profile.extended_key_usages()) {
            oids.push_back(usage.oid);
        }
        auto eku = pki::extended_key_usage_extension(oids);
        if (!eku) {
            return std::move(eku).take_error();
        }
        extensions.push_back(std::move(*eku));
    }
    if (profile.config().must_staple) {
        auto staple = pki::must_staple_extension();
        if (!staple) {
            return std::move(staple).take_error();
        }
        extensions.push_back(std::move(*staple));
    }
    return extensions.empty() ? Status(Ok{}) : out.add_extension_request(extensions);
}

Status add_profile(pki::CsrAttrsBuilder& out, const CertificateProfile& profile) {
    if (auto added = add_key_algorithms(out, profile.key_algorithms()); !added) {
        return added;
    }
    for (const auto attribute : profile.config().required_csr_attributes) {
        if (auto added = out.add_oid(subject_nid(attribute)); !added) {
            return added;
        }
    }
    return add_extension_request(out, profile);
}

}  // namespace

Result<pki::Bytes> csr_attributes_der(const CertificateProfile* profile,
                                      bool channel_binding_required) {
    pki::CsrAttrsBuilder out;
    if (channel_binding_required) {
        if (auto added = out.add_oid(NID_pkcs9_challengePassword); !added) {
            return std::move(added).take_error();
        }
    }
    if (profile != nullptr) {
        if (auto added = add_profile(out, *profile); !added) {
            return std::move(added).take_error();
        }
    } else if (auto added = add_key_algorithms(out, default_key_algorithms()); !added) {
        return std::move(added).take_error();
    }
    if (out.empty()) {
        return pki::Bytes{};
    }
    return out.der();
}

}  // namespace estd::policy
