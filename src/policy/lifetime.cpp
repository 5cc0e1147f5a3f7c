#include "estd/policy/lifetime.hpp"

#include <algorithm>
#include <string>

#include "estd/policy/violation.hpp"

namespace estd::policy {
namespace {

constexpr std::chrono::minutes kBackdate{5};

}  // namespace

Validity validity_for(std::optional<std::chrono::seconds> max_ttl, std::chrono::seconds default_ttl,
                      std::chrono::system_clock::time_point now) {
    Validity validity;
    validity.not_before = now - kBackdate;
    validity.not_after = now + default_ttl;
    if (max_ttl) {
        validity.not_after = std::min(validity.not_after, validity.not_before + *max_ttl);
    }
    return validity;
}

Status check_lifetime(std::string_view profile_id, std::optional<std::chrono::seconds> max_ttl,
                      const Validity& validity) {
    if (!max_ttl) {
        return Ok{};
    }
    const auto span =
        std::chrono::duration_cast<std::chrono::seconds>(validity.not_after - validity.not_before);
    if (span > *max_ttl) {
        return violation(profile_id, dimension::kTtl,
                         "the certificate would be valid for " + std::to_string(span.count()) +
                             " seconds; the maximum is " + std::to_string(max_ttl->count()));
    }
    return Ok{};
}

}  // namespace estd::policy
