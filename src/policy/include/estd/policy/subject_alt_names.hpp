#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::policy {

// The requested subjectAltName against the profile: each name's type must
// be allowed (dns, ip, email, uri; other GeneralName forms never are, on any
// profile), each name must have its RFC 5280 syntax (policy/name_syntax.hpp;
// a wildcard only with ALLOW_WILDCARD_DNS), then a DNS name must equal or
// end in ".<suffix>" for one of SAN_DNS_SUFFIXES when that is set, an email
// address's domain must be one of SAN_EMAIL_DOMAINS when that is set (both
// compared without regard to case). "SAN" otherwise. With the baseline
// profile (no certificate profile) only the type and syntax rules apply.
// `name` (any case) equals one of `suffixes` or ends in "." and one of them.
bool dns_name_within(const std::string& name, const std::vector<std::string>& suffixes);

Status check_subject_alt_names(const config::CertificateProfileConfig& profile,
                               const GENERAL_NAMES* names);

}  // namespace estd::policy
