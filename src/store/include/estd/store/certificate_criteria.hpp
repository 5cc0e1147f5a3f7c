#pragma once

#include <optional>
#include <string>
#include <vector>

#include "estd/store/time_point.hpp"

namespace estd::store {

enum class CertificateState { any, active, revoked };

// Criteria shared by listing and bulk revocation. Empty strings and unset
// times do not filter.
struct CertificateCriteria {
    std::string issuer_id;
    std::string profile_id;
    std::string est_profile;
    std::string source;
    std::string common_name;
    std::vector<std::string> serials;
    std::optional<TimePoint> issued_before;
    std::optional<TimePoint> issued_after;
    CertificateState state = CertificateState::any;

    bool empty() const {
        return issuer_id.empty() && profile_id.empty() && est_profile.empty() &&
               common_name.empty() && serials.empty() && !issued_before && !issued_after;
    }
};

}  // namespace estd::store
