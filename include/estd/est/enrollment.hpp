#pragma once

#include <chrono>

#include "estd/core/error.hpp"
#include "estd/pki/certificate_builder.hpp"
#include "estd/pki/csr.hpp"

namespace estd::est {

// What the issued certificate takes from a CSR: its subject, public key and
// subjectAltName; nothing else the CSR asks for is copied.
Result<pki::CertificateTemplate> template_from_csr(const pki::Csr& csr, std::chrono::seconds ttl);

// RFC 7030 §4.2.2: a renewal keeps the subject and SANs of the certificate
// being renewed. 400 naming what differs.
Status check_reenroll_matches(const pki::Csr& csr, X509* current);

}  // namespace estd::est
