#pragma once

#include <chrono>

#include "estd/core/error.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/csr.hpp"

namespace estd::est {

// The certificate of an EST profile without a certificate profile, once the
// CSR passes the baseline (policy/baseline.hpp; a 400 otherwise): it takes
// the CSR's subject, public key and subjectAltName; nothing else the CSR
// asks for is copied.
Result<pki::CertificateTemplate> template_from_csr(const pki::Csr& csr, std::chrono::seconds ttl);

// RFC 7030 §4.2.2: a renewal keeps the subject and SANs of the certificate
// being renewed, identical: the same DER (spelling, case, spacing, string
// types; the SANs in the same order). 400 naming what differs.
Status check_reenroll_matches(const pki::Csr& csr, X509* current);
// The same for the template the profile's policy built from a matching CSR,
// so the renewed certificate carries exactly the renewed one's names.
Status check_renewal_template(const pki::CertificateTemplate& tmpl, X509* current);

}  // namespace estd::est
