#pragma once

// The failed-Basic lockout across several estd sharing one database
// (store::SharedFailureCounts): the same rule as FailedAuthLimiter (so many
// failures from a source within the window lock it out until enough of
// them leave it), on counts every estd adds to. It comes on top of each
// process's own FailedAuthLimiter, which still decides alone while the
// database cannot be read.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "estd/auth/failed_auth_limiter.hpp"
#include "estd/store/store.hpp"

namespace estd::auth {

class SharedLockout {
  public:
    // Failures are counted in steps of `step`: a lockout may outlast the
    // exact window by up to one step.
    SharedLockout(store::SharedFailureCounts& counts, std::string profile,
                  FailedAuthLimiter::Limits limits,
                  std::chrono::seconds step = std::chrono::seconds(60));

    // How long `source` is still locked out, or nullopt (also when the
    // database cannot be read: that is logged).
    std::optional<std::chrono::seconds> lockout(const std::string& source) const;
    void record_failure(const std::string& source) const;

  private:
    store::SharedFailureCounts& counts_;
    std::string profile_;
    std::uint64_t max_failures_;
    std::chrono::seconds window_;
    std::chrono::seconds step_;
};

// How long a source whose failures are `steps` (oldest first, all within
// the window) stays locked out at `now`, or nullopt under `max_failures`.
// The lockout ends when the step whose departure brings the count under the
// limit leaves the window; at least one second.
std::optional<std::chrono::seconds> lockout_from_steps(const std::vector<store::CountedStep>& steps,
                                                       std::uint64_t max_failures,
                                                       std::chrono::seconds window,
                                                       store::TimePoint now);

}  // namespace estd::auth
