#include "estd/policy/baseline.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "estd/config/env_parsing.hpp"
#include "estd/pki/extensions.hpp"
#include "estd/policy/key_algorithm.hpp"
#include "estd/policy/name_syntax.hpp"
#include "estd/policy/subject_alt_names.hpp"
#include "estd/policy/violation.hpp"

namespace estd::policy {
namespace {

constexpr std::size_t kMaxCommonName = 64;  // X.520 ub-common-name

using RsaPssParamsPtr = pki::OpenSslPtr<RSA_PSS_PARAMS, RSA_PSS_PARAMS_free>;

bool strong_digest(int md_nid) {
    switch (md_nid) {
        case NID_sha256:
        case NID_sha384:
        case NID_sha512:
        case NID_sha3_256:
        case NID_sha3_384:
        case NID_sha3_512:
            return true;
        default:
            return false;
    }
}

// The digest an RSASSA-PSS signature names; SHA-1 when it names none
// (RFC 4055's default).
int pss_digest(const X509_ALGOR* algorithm) {
    const RsaPssParamsPtr params(static_cast<RSA_PSS_PARAMS*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), algorithm->parameter)));
    ERR_clear_error();
    if (!params) {
        return NID_undef;
    }
    return params->hashAlgorithm == nullptr ? NID_sha1
                                            : OBJ_obj2nid(params->hashAlgorithm->algorithm);
}

// Decodes UTF-8 as OpenSSL writes it; nullopt for a malformed sequence.
std::optional<std::vector<unsigned>> code_points(const std::string& utf8) {
    std::vector<unsigned> out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        const std::size_t length = lead < 0x80           ? 1
                                   : (lead >> 5) == 0x6  ? 2
                                   : (lead >> 4) == 0xe  ? 3
                                   : (lead >> 3) == 0x1e ? 4
                                                         : 0;
        if (length == 0 || i + length > utf8.size()) {
            return std::nullopt;
        }
        unsigned point = length == 1 ? lead : lead & (0x7fU >> length);
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(utf8[i + k]);
            if ((next & 0xc0) != 0x80) {
                return std::nullopt;
            }
            point = (point << 6) | (next & 0x3fU);
        }
        out.push_back(point);
        i += length;
    }
    return out;
}

bool control(unsigned point) {
    return point < 0x20 || (point >= 0x7f && point < 0xa0);
}

bool looks_like_host_name(const std::string& text) {
    if (text.find('.') == std::string::npos || std::all_of(text.begin(), text.end(), [](char c) {
            return c == '.' || (c >= '0' && c <= '9');
        })) {
        return false;  // no dot, or digits and dots (an IPv4 address)
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '*';
    });
}

std::vector<std::string> requested_dns_names(const pki::Csr& csr) {
    std::vector<std::string> out;
    const pki::GeneralNamesPtr names = csr.subject_alt_names();
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type == GEN_DNS) {
            const ASN1_IA5STRING* dns = name->d.dNSName;
            out.push_back(config::env::to_lower(
                std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                            static_cast<std::size_t>(ASN1_STRING_length(dns)))));
        }
    }
    return out;
}

Status check_host_name_cn(const config::CertificateProfileConfig& profile, const pki::Csr& csr,
                          const std::string& cn) {
    const auto refuse = [&](const std::string& detail) {
        return violation(profile.id, dimension::kSubject,
                         "the commonName \"" + printable(cn) + "\" " + detail);
    };
    if (cn.find('*') != std::string::npos && !profile.allow_wildcard_dns) {
        return refuse("is a wildcard, which needs a certificate profile with ALLOW_WILDCARD_DNS");
    }
    if (profile.san_dns_suffixes.empty()) {
        return Ok{};
    }
    const auto dns_names = requested_dns_names(csr);
    if (std::find(dns_names.begin(), dns_names.end(), config::env::to_lower(cn)) !=
        dns_names.end()) {
        return Ok{};  // a requested DNS name, already held to the rules
    }
    if (auto problem = dns_name_problem(cn, profile.allow_wildcard_dns)) {
        return refuse("looks like a host name but " + *problem);
    }
    if (!dns_name_within(cn, profile.san_dns_suffixes)) {
        std::string suffixes;
        for (const auto& suffix : profile.san_dns_suffixes) {
            suffixes += (suffixes.empty() ? "" : ", ") + suffix;
        }
        return refuse("looks like a host name and is not within " + suffixes +
                      " (nor one of the requested DNS names)");
    }
    return Ok{};
}

}  // namespace

const config::CertificateProfileConfig& baseline_profile() {
    static const config::CertificateProfileConfig profile;
    return profile;
}

Status check_signature_digest(std::string_view profile_id, const pki::Csr& csr) {
    const X509_ALGOR* algorithm = nullptr;
    X509_REQ_get0_signature(csr.get(), nullptr, &algorithm);
    const int signature = algorithm != nullptr ? OBJ_obj2nid(algorithm->algorithm) : NID_undef;
    int digest = NID_undef;
    int key = NID_undef;
    if (signature == NID_rsassaPss) {
        digest = pss_digest(algorithm);
    } else if (OBJ_find_sigid_algs(signature, &digest, &key) != 1) {
        digest = NID_undef;
        key = NID_undef;
    }
    const bool eddsa = digest == NID_undef && (key == NID_ED25519 || key == NID_ED448);
    if (eddsa || strong_digest(digest)) {
        return Ok{};
    }
    const std::string name =
        algorithm != nullptr ? pki::object_name(algorithm->algorithm) : std::string("(none)");
    return violation(profile_id, dimension::kSignature,
                     "the CSR is signed with " + name +
                         (signature == NID_rsassaPss && digest != NID_undef
                              ? std::string(" over ") + OBJ_nid2sn(digest)
                              : std::string()) +
                         "; estd takes signatures with SHA-256 or better");
}

Status check_common_name(const config::CertificateProfileConfig& profile, const pki::Csr& csr) {
    const X509_NAME* subject = csr.subject();
    for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
        const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
        unsigned char* utf8 = nullptr;
        const int length = ASN1_STRING_to_UTF8(&utf8, data);
        const pki::OpenSslBuffer<unsigned char> owned(utf8);
        const auto refuse = [&](const std::string& detail) {
            return violation(profile.id, dimension::kSubject, "the commonName " + detail);
        };
        if (length < 0) {
            ERR_clear_error();
            return refuse("cannot be read as text");
        }
        const std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
        const auto points = code_points(cn);
        if (!points) {
            return refuse("is not valid UTF-8");
        }
        if (points->size() > kMaxCommonName) {
            return refuse("has " + std::to_string(points->size()) +
                          " characters; the maximum is 64 (ub-common-name)");
        }
        if (points->empty() || std::any_of(points->begin(), points->end(), control)) {
            return refuse("\"" + printable(cn) + "\" is empty or holds a control character");
        }
        if (looks_like_host_name(cn)) {
            if (auto ok = check_host_name_cn(profile, csr, cn); !ok) {
                return ok;
            }
        }
    }
    return Ok{};
}

Status check_baseline(const config::CertificateProfileConfig& profile, const pki::Csr& csr) {
    const auto& keys = profile.allowed_key_algorithms && !profile.allowed_key_algorithms->empty()
                           ? *profile.allowed_key_algorithms
                           : default_key_algorithms();
    if (auto ok = check_key_algorithm(profile.id, keys, csr.public_key(),
                                      profile.allow_small_rsa_exponent);
        !ok) {
        return ok;
    }
    if (auto ok = check_signature_digest(profile.id, csr); !ok) {
        return ok;
    }
    const pki::X509ExtensionStackPtr extensions = csr.requested_extensions();
    for (int i = 0; i < sk_X509_EXTENSION_num(extensions.get()); ++i) {
        X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions.get(), i);
        if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) {
            continue;
        }
        const pki::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
        ERR_clear_error();
        if (!names) {
            return violation(profile.id, dimension::kSan,
                             "the requested subjectAltName cannot be decoded");
        }
        if (auto ok = check_subject_alt_names(profile, names.get()); !ok) {
            return ok;
        }
    }
    return check_common_name(profile, csr);
}

}  // namespace estd::policy
