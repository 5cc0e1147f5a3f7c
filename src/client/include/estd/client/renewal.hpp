#pragma once

#include <chrono>
#include <string_view>

#include <openssl/x509.h>

#include "estd/core/error.hpp"

namespace estd::client {

// When a device renews (RFC 7030 §4.2.2 leaves it to the device): once the
// remaining part of its certificate's lifetime is at or below a threshold,
// e.g. 25% for an IoT fleet, 50% for laptops (the guide's renewal model).
struct RenewalThreshold {
    // Parts per ten thousand of the lifetime (25% = 2500): whole numbers
    // keep the comparison exact at the boundary.
    long long basis_points = 0;
};

// "25%", "25" or "12.5%": more than 0, at most 100, at most two decimals.
Result<RenewalThreshold> parse_renewal_threshold(std::string_view text);

struct RenewalCheck {
    bool due = false;
    // Remaining lifetime in basis points of the whole lifetime, clamped to
    // 0..10000 (an expired certificate has 0).
    long long remaining_basis_points = 0;
};

// Due when NotAfter - now <= threshold * (NotAfter - NotBefore); a
// certificate already expired, or with no positive lifetime, is due.
RenewalCheck renewal_check(std::chrono::system_clock::time_point not_before,
                           std::chrono::system_clock::time_point not_after,
                           std::chrono::system_clock::time_point now, RenewalThreshold threshold);
RenewalCheck renewal_check(const X509* cert, std::chrono::system_clock::time_point now,
                           RenewalThreshold threshold);

}  // namespace estd::client
