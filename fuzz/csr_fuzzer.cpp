// CSR parsing and its proof-of-possession check on the bytes as given, then
// the same request re-signed (so a mutated request gets past the signature)
// through everything that reads a CSR: attributes, the certificate profile
// checks and template, the plain template, the serverkeygen rebuild.
//
// Every template that comes out is signed, and the certificate is held to
// the profile's name rules and the baseline again, from the certificate
// itself: a certificate that breaks them aborts the run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "estd/config/env_parsing.hpp"
#include "estd/est/enrollment.hpp"
#include "estd/est/wire.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/csr.hpp"
#include "estd/policy/baseline.hpp"
#include "estd/policy/certificate_profile.hpp"
#include "estd/policy/key_algorithm.hpp"
#include "estd/policy/name_syntax.hpp"
#include "estd/policy/subject_alt_names.hpp"
#include "support/fuzz_support.hpp"
#include "support/profiles.hpp"

namespace {

using estd::pki::Csr;

void read_attributes(const Csr& csr) {
    (void)csr.subject();
    (void)csr.requested_extensions();
    (void)csr.subject_alt_names();
    (void)csr.subject_alt_name_strings();
    (void)csr.challenge_password();
    (void)csr.octet_string_attribute("1.2.840.113549.1.9.16.2.56");
    (void)csr.text_attribute(NID_serialNumber);
    (void)csr.has_attribute(NID_pkcs9_challengePassword);
}

[[noreturn]] void broken(const char* profile, const std::string& what) {
    std::fprintf(stderr, "csr_fuzzer: a certificate of %s breaks the rules: %s\n", profile,
                 what.c_str());
    std::abort();
}

std::string text_of(const ASN1_STRING* value) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       static_cast<std::size_t>(ASN1_STRING_length(value)));
}

// The certificate's names, each of a type estd issues, in its syntax, within
// the profile's rules; its commonNames short, free of control bytes and, when
// host names are restricted, one of the DNS names or within the suffixes.
void check_names(const estd::config::CertificateProfileConfig& profile, X509* cert) {
    const char* id = profile.id.empty() ? "the baseline" : profile.id.c_str();
    const estd::pki::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    std::vector<std::string> dns_names;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        std::optional<std::string> problem;
        switch (name->type) {
            case GEN_DNS:
                dns_names.push_back(text_of(name->d.dNSName));
                problem =
                    estd::policy::dns_name_problem(dns_names.back(), profile.allow_wildcard_dns);
                if (!problem && !profile.san_dns_suffixes.empty() &&
                    !estd::policy::dns_name_within(dns_names.back(), profile.san_dns_suffixes)) {
                    problem = "is outside the suffixes";
                }
                break;
            case GEN_EMAIL:
                problem = estd::policy::email_problem(text_of(name->d.rfc822Name));
                break;
            case GEN_URI:
                problem = estd::policy::uri_problem(text_of(name->d.uniformResourceIdentifier));
                break;
            case GEN_IPADD:
                problem = estd::policy::ip_problem(
                    static_cast<std::size_t>(ASN1_STRING_length(name->d.iPAddress)));
                break;
            default:
                problem = "is a GeneralName of type " + std::to_string(name->type);
        }
        if (problem) {
            broken(id, "SAN " + std::to_string(i) + " " + *problem);
        }
    }
    if (names) {
        if (auto ok = estd::policy::check_subject_alt_names(profile, names.get()); !ok) {
            broken(id, ok.error().message);
        }
    }
    const X509_NAME* subject = X509_get_subject_name(cert);
    for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
        unsigned char* utf8 = nullptr;
        const int length =
            ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
        const estd::pki::OpenSslBuffer<unsigned char> owned(utf8);
        if (length < 0 || length > 4 * 64) {
            broken(id, "a commonName is unreadable or too long");
        }
        const std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
        for (const char c : cn) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                broken(id, "a commonName holds a control character");
            }
        }
        if (cn.find('*') != std::string::npos && cn.find('.') != std::string::npos &&
            cn.find(' ') == std::string::npos && !profile.allow_wildcard_dns) {
            broken(id, "a commonName is a wildcard");
        }
        const bool hostish = cn.find('.') != std::string::npos &&
                             cn.find_first_not_of(
                                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                                 "WXYZ0123456789-._*") == std::string::npos &&
                             cn.find_first_not_of("0123456789.") != std::string::npos;
        if (hostish && !profile.san_dns_suffixes.empty() &&
            std::find_if(dns_names.begin(), dns_names.end(),
                         [&](const std::string& dns) {
                             return estd::config::env::to_lower(dns) ==
                                    estd::config::env::to_lower(cn);
                         }) == dns_names.end() &&
            !estd::policy::dns_name_within(cn, profile.san_dns_suffixes)) {
            broken(id, "a host-name commonName is outside the suffixes");
        }
    }
}

void check_issued(const estd::config::CertificateProfileConfig& profile, const Csr& csr,
                  const estd::pki::CertificateTemplate& tmpl) {
    auto& pki = estd::fuzz::test_pki();
    auto cert = estd::pki::build_certificate(tmpl, pki.ca_cert.get(), pki.ca_key.get());
    if (!cert) {
        return;
    }
    const char* id = profile.id.empty() ? "the baseline" : profile.id.c_str();
    const auto& keys = profile.allowed_key_algorithms ? *profile.allowed_key_algorithms
                                                      : estd::policy::default_key_algorithms();
    // The template's key: the builder copies the encoded key into the
    // certificate undecoded, so X509_get0_pubkey is null there.
    if (auto ok = estd::policy::check_key_algorithm(profile.id, keys, tmpl.public_key.get(),
                                                    profile.allow_small_rsa_exponent);
        !ok) {
        broken(id, ok.error().message);
    }
    if (auto ok = estd::policy::check_signature_digest(profile.id, csr); !ok) {
        broken(id, ok.error().message);
    }
    check_names(profile, cert->get());
}

void apply_policies(const Csr& csr) {
    static const estd::policy::CertificateProfile strict(estd::fuzz::strict_certificate_profile());
    static const estd::policy::CertificateProfile open(estd::fuzz::open_certificate_profile());
    const auto ttl = std::chrono::hours(24 * 365);
    for (const auto* profile : {&strict, &open}) {
        (void)profile->check(csr);
        if (auto tmpl = profile->certificate_template(csr, ttl)) {
            check_issued(profile->config(), csr, *tmpl);
        }
    }
    if (auto tmpl = estd::est::template_from_csr(csr, ttl)) {
        check_issued(estd::policy::baseline_profile(), csr, *tmpl);
    }
    (void)estd::est::check_reenroll_matches(csr, estd::fuzz::test_pki().ca_cert.get());
}

// Keys of each kind a profile may allow; which one by the input's size so
// every kind is reached.
EVP_PKEY* signing_key(std::size_t size) {
    auto& pki = estd::fuzz::test_pki();
    EVP_PKEY* keys[] = {pki.ec_key.get(), pki.ed25519_key.get(), pki.rsa_key.get()};
    return keys[size % 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto der = estd::est::decode_request_body(estd::fuzz::input_text(data, size));
    if (!der) {
        return 0;
    }
    if (auto csr = Csr::from_der(*der)) {
        read_attributes(*csr);
    }
    const auto resigned = estd::fuzz::resigned_csr(*der, signing_key(size));
    if (!resigned) {
        return 0;
    }
    auto csr = Csr::from_der(*resigned);
    if (!csr) {
        return 0;
    }
    read_attributes(*csr);
    apply_policies(*csr);
    (void)csr->rebuilt_for_key(estd::fuzz::test_pki().ec_key.get());
    return 0;
}
