#include "estd/est/enrollment.hpp"

#include <algorithm>

#include "estd/pki/certificate.hpp"
#include "estd/policy/baseline.hpp"

namespace estd::est {

Result<pki::CertificateTemplate> template_from_csr(const pki::Csr& csr, std::chrono::seconds ttl) {
    if (auto ok = policy::check_baseline(policy::baseline_profile(), csr); !ok) {
        return std::move(ok).take_error();
    }
    pki::CertificateTemplate tmpl;
    tmpl.subject.reset(X509_NAME_dup(csr.subject()));
    tmpl.public_key = pki::share(csr.public_key());
    tmpl.public_key_info = pki::copy_public_key_info(csr.public_key_info());
    tmpl.subject_alt_names = csr.subject_alt_names();
    if (!tmpl.subject) {
        return Error::internal("cannot copy the CSR subject");
    }
    if (X509_NAME_entry_count(tmpl.subject.get()) == 0 && !tmpl.subject_alt_names) {
        return Error::bad_request("CSR has neither a subject nor a subjectAltName");
    }
    const auto now = std::chrono::system_clock::now();
    // Backdated a little: device clocks are often slightly behind.
    tmpl.not_before = now - std::chrono::minutes(5);
    tmpl.not_after = now + ttl;
    tmpl.extended_key_usages = {"clientAuth", "serverAuth"};
    return tmpl;
}

Status check_reenroll_matches(const pki::Csr& csr, X509* current) {
    if (X509_NAME_cmp(csr.subject(), X509_get_subject_name(current)) != 0) {
        return Error::bad_request("re-enrollment CSR subject \"" +
                                  pki::name_to_string(csr.subject()) +
                                  "\" differs from the certificate being renewed (\"" +
                                  pki::name_to_string(X509_get_subject_name(current)) + "\")");
    }
    auto requested = csr.subject_alt_name_strings();
    auto existing = pki::subject_alt_names(current);
    std::sort(requested.begin(), requested.end());
    std::sort(existing.begin(), existing.end());
    if (requested != existing) {
        return Error::bad_request(
            "re-enrollment CSR subjectAltName differs from the certificate being renewed");
    }
    return Ok{};
}

}  // namespace estd::est
