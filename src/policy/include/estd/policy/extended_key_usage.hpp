#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"

namespace estd::policy {

// What a profile's certificates get when ALLOWED_EKUS is not set: the same
// as a certificate issued without a profile.
const std::vector<config::ExtendedKeyUsage>& default_extended_key_usages();

// Every usage the CSR requests (dotted OIDs) must be one the profile allows;
// otherwise "EKU", naming the first one that is not.
Status check_requested_ekus(std::string_view profile_id,
                            const std::vector<config::ExtendedKeyUsage>& allowed,
                            const std::vector<std::string>& requested_oids);

}  // namespace estd::policy
