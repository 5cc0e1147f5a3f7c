#pragma once

// A limit across several estd sharing one database (store::SharedCounts):
// at most `max` events of a key within the window, the same rule as the
// process's own limiters (FailedAuthLimiter, PrincipalRateLimiter), on
// counts every estd adds to. It comes on top of each process's own limiter,
// which still decides alone while the database cannot be read.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "estd/store/shared_counts.hpp"

namespace estd::auth {

class SharedLimit {
  public:
    // Events are counted in steps of `step`: a limit may hold up to one step
    // longer than the exact window.
    SharedLimit(store::SharedCounts& counts, store::CountedEvent event, std::string profile,
                std::uint64_t max, std::chrono::seconds window,
                std::chrono::seconds step = std::chrono::seconds(60));

    // How long `key` must still wait (it has `max` events in the window), or
    // nullopt (also when the database cannot be read: that is logged).
    std::optional<std::chrono::seconds> wait(const std::string& key) const;
    void count(const std::string& key) const;

  private:
    store::SharedCounts& counts_;
    store::CountedEvent event_;
    std::string profile_;
    std::uint64_t max_;
    std::chrono::seconds window_;
    std::chrono::seconds step_;
};

// How long a key whose events are `steps` (oldest first, all within the
// window) must wait at `now`, or nullopt under `max`. The wait ends when the
// step whose departure brings the count under `max` leaves the window; at
// least one second.
std::optional<std::chrono::seconds> wait_from_steps(const std::vector<store::CountedStep>& steps,
                                                    std::uint64_t max, std::chrono::seconds window,
                                                    store::TimePoint now);

}  // namespace estd::auth
