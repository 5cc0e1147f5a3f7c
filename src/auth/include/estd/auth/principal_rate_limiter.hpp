#pragma once

// The per-(CN, source IP) limit (RATE_LIMIT_PER_PRINCIPAL_24H): at most N
// admitted enrollments per principal in a sliding 24 hours. It runs after
// authentication, so it keeps a misbehaving (or compromised) device from
// hammering the CA; it is not a defence against guessing.
//
// Bounded in both directions: a principal keeps at most `steps` counters
// (enrollments in the same step share one), so an admission leaves the
// window between 24h - 24h/steps and 24h after it was made; and at most
// `max_tracked` principals are remembered. When full, principals with
// nothing left in the window go first, then the least recently admitted one
// (forgetting a count only ever errs towards admitting; flushing a given
// principal takes `max_tracked` authenticated enrollments).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace estd::auth {

class PrincipalRateLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    struct Limits {
        std::uint64_t max_per_window = 0;  // must be > 0
        Clock::duration window = std::chrono::hours(24);
        std::size_t steps = 48;  // 30-minute resolution for 24h
        std::size_t max_tracked = 100'000;
    };

    explicit PrincipalRateLimiter(Limits limits);
    PrincipalRateLimiter(const PrincipalRateLimiter&) = delete;
    PrincipalRateLimiter& operator=(const PrincipalRateLimiter&) = delete;

    // Admits and counts one enrollment for `principal`, or says how long
    // until one would be admitted (at least one second). A refused attempt
    // is not counted, so a device retrying too early does not push its own
    // window further out.
    std::optional<std::chrono::seconds> try_acquire(std::string_view principal,
                                                    Clock::time_point now);

    std::size_t tracked() const;
    const Limits& limits() const { return limits_; }

  private:
    struct Step {
        Clock::time_point start;
        std::uint64_t count = 0;
    };
    using Recency = std::list<std::string>;
    struct Record {
        std::deque<Step> steps;  // oldest first
        Recency::iterator recency;
    };

    void forget_expired(Clock::time_point now);
    void prune(Record& record, Clock::time_point now) const;
    std::chrono::seconds wait_until_admitted(const Record& record, Clock::time_point now) const;

    Limits limits_;
    Clock::duration step_length_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Record> records_;
    Recency recency_;  // least recently admitted first
};

// The principal an enrollment is counted under: the CSR's CN and the
// client address (a CSR without CN counts under the empty CN).
std::string principal_key(std::string_view common_name, std::string_view client_address);

}  // namespace estd::auth
