#include "estd/est/enrollment.hpp"

#include <string>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "estd/pki/certificate.hpp"
#include "estd/policy/baseline.hpp"

namespace estd::est {
namespace {

using pki::GeneralNamesPtr;

// DER as encoded: a parsed name keeps the bytes it arrived in, so two names
// compare equal only when they are spelled, cased, spaced and typed alike.
pki::Bytes name_der(const X509_NAME* name) {
    unsigned char* der = nullptr;
    const int length = name != nullptr ? i2d_X509_NAME(name, &der) : 0;
    const pki::OpenSslBuffer<unsigned char> owned(der);
    return length > 0 ? pki::Bytes(der, der + length) : pki::Bytes{};
}

// Empty when there are none.
pki::Bytes general_names_der(const GENERAL_NAMES* names) {
    unsigned char* der = nullptr;
    const int length = names != nullptr ? i2d_GENERAL_NAMES(names, &der) : 0;
    const pki::OpenSslBuffer<unsigned char> owned(der);
    return length > 0 ? pki::Bytes(der, der + length) : pki::Bytes{};
}

// `what`'s subject and SANs against the certificate being renewed, byte for
// byte (X509_NAME_cmp would ignore case and spacing).
Status check_same_names(const X509_NAME* subject, const GENERAL_NAMES* sans, X509* current,
                        const std::string& what) {
    const X509_NAME* current_subject = X509_get_subject_name(current);
    if (name_der(subject) != name_der(current_subject)) {
        return Error::bad_request(
            what + " subject \"" + pki::name_to_string(subject) +
            "\" differs from that of the certificate being renewed (\"" +
            pki::name_to_string(current_subject) +
            "\"): a renewal repeats it exactly, in the same spelling, case, spacing and string "
            "types");
    }
    int critical = 0;
    const GeneralNamesPtr current_sans(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(current, NID_subject_alt_name, &critical, nullptr)));
    ERR_clear_error();
    if (general_names_der(sans) != general_names_der(current_sans.get())) {
        return Error::bad_request(
            what +
            " subjectAltName differs from that of the certificate being renewed: a "
            "renewal repeats it exactly, the same names in the same order and spelling");
    }
    return Ok{};
}

}  // namespace

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
    const GeneralNamesPtr requested = csr.subject_alt_names();
    return check_same_names(csr.subject(), requested.get(), current, "re-enrollment CSR");
}

Status check_renewal_template(const pki::CertificateTemplate& tmpl, X509* current) {
    return check_same_names(tmpl.subject.get(), tmpl.subject_alt_names.get(), current,
                            "renewed certificate (as this profile's policy makes it)");
}

}  // namespace estd::est
