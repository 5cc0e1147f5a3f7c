#include "estd/policy/certificate_profile.hpp"

#include "estd/policy/baseline.hpp"
#include "estd/policy/extended_key_usage.hpp"
#include "estd/policy/key_algorithm.hpp"
#include "estd/policy/lifetime.hpp"
#include "estd/policy/requested_extensions.hpp"
#include "estd/policy/required_attributes.hpp"

namespace estd::policy {

CertificateProfile::CertificateProfile(config::CertificateProfileConfig config)
    : config_(std::move(config)) {
    // An empty configured list cannot pass config validation; guard anyway so
    // generated_key_algorithm() always has a first entry.
    if (config_.allowed_key_algorithms && config_.allowed_key_algorithms->empty()) {
        config_.allowed_key_algorithms.reset();
    }
}

const std::vector<config::KeyAlgorithm>& CertificateProfile::key_algorithms() const {
    return config_.allowed_key_algorithms ? *config_.allowed_key_algorithms
                                          : default_key_algorithms();
}

const std::vector<config::ExtendedKeyUsage>& CertificateProfile::extended_key_usages() const {
    return config_.allowed_ekus ? *config_.allowed_ekus : default_extended_key_usages();
}

Status CertificateProfile::check(const pki::Csr& csr) const {
    if (auto ok = check_baseline(config_, csr); !ok) {
        return ok;
    }
    return check_request(csr);
}

Status CertificateProfile::check_request(const pki::Csr& csr) const {
    if (auto ok = check_requested_extensions(*this, csr); !ok) {
        return ok;
    }
    if (auto ok = check_common_name(config_, csr); !ok) {
        return ok;
    }
    if (auto subject = issued_subject(id(), config_.required_csr_attributes, csr); !subject) {
        return std::move(subject).take_error();
    }
    return Ok{};
}

Result<pki::CertificateTemplate> CertificateProfile::certificate_template(
    const pki::Csr& csr, std::chrono::seconds default_ttl,
    std::chrono::system_clock::time_point now) const {
    if (auto ok = check(csr); !ok) {
        return std::move(ok).take_error();
    }
    auto subject = issued_subject(id(), config_.required_csr_attributes, csr);
    if (!subject) {
        return std::move(subject).take_error();
    }
    pki::CertificateTemplate tmpl;
    tmpl.subject = std::move(*subject);
    tmpl.public_key = pki::share(csr.public_key());
    tmpl.public_key_info = pki::copy_public_key_info(csr.public_key_info());
    tmpl.subject_alt_names = csr.subject_alt_names();
    if (X509_NAME_entry_count(tmpl.subject.get()) == 0 && !tmpl.subject_alt_names) {
        return Error::bad_request("CSR has neither a subject nor a subjectAltName");
    }
    const Validity validity = validity_for(config_.max_ttl, default_ttl, now);
    if (auto ok = check_lifetime(id(), config_.max_ttl, validity); !ok) {
        return std::move(ok).take_error();
    }
    tmpl.not_before = validity.not_before;
    tmpl.not_after = validity.not_after;
    for (const auto& usage : extended_key_usages()) {
        tmpl.extended_key_usages.push_back(usage.oid);
    }
    tmpl.must_staple = config_.must_staple;
    return tmpl;
}

}  // namespace estd::policy
