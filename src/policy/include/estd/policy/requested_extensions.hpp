#pragma once

#include "estd/core/error.hpp"
#include "estd/pki/csr.hpp"

namespace estd::policy {

class CertificateProfile;

// Every extension the CSR requests, against the profile. Nothing requested is
// copied into the certificate except the subjectAltName; a request is only
// accepted when what it asks for is what the certificate gets anyway:
// - subjectAltName: check_subject_alt_names ("SAN");
// - extendedKeyUsage: a subset of the profile's usages ("EKU");
// - keyUsage: a subset of the usage fitting the key type ("key usage");
// - basicConstraints: only CA:FALSE ("extension");
// - TLS feature (must-staple): only when the profile sets MUST_STAPLE;
// - subjectKeyIdentifier: tolerated, ignored (estd computes its own);
// - anything else, or any extension twice: refused ("extension").
Status check_requested_extensions(const CertificateProfile& profile, const pki::Csr& csr);

}  // namespace estd::policy
