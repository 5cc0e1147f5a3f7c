#pragma once

#include <string_view>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::policy {

// The requested subjectAltName against the profile: each name's type must
// be allowed (dns, ip, email, uri; other GeneralName forms never are), a DNS
// name must equal or end in ".<suffix>" for one of SAN_DNS_SUFFIXES when
// that is set, an email address's domain must be one of SAN_EMAIL_DOMAINS
// when that is set (both compared without regard to case). "SAN" otherwise.
Status check_subject_alt_names(const config::CertificateProfileConfig& profile,
                               const GENERAL_NAMES* names);

}  // namespace estd::policy
