#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "estd/core/error.hpp"

namespace estd::policy {

struct Validity {
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after;
};

// NotBefore is backdated five minutes (device clocks run behind); NotAfter is
// `default_ttl` from now, but never more than `max_ttl` after NotBefore, so
// the whole validity span stays within the profile's MAX_TTL_SECONDS.
// PKCS#10 carries no requested lifetime, so the profile's maximum caps the
// server's own default rather than refusing the request. (The issuer caps
// NotAfter again at the CA's own.)
Validity validity_for(std::optional<std::chrono::seconds> max_ttl, std::chrono::seconds default_ttl,
                      std::chrono::system_clock::time_point now);

// A validity span longer than the profile allows is refused on "TTL": the
// last check before signing, whatever computed the span.
Status check_lifetime(std::string_view profile_id, std::optional<std::chrono::seconds> max_ttl,
                      const Validity& validity);

}  // namespace estd::policy
